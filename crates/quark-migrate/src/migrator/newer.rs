//! Databases ahead of this binary. A rolling deploy runs release N beside release N+1, and a
//! rollback brings N back, against a schema N+1 already migrated. Each applied revision is
//! remembered in `<version table>_revisions` (parents, labels, message, `Breaking:`, and the
//! downgrade the applying binary would run on that dialect, with its checksum), so a binary that
//! does not embed a revision still sees where it sits in the graph: when the version rows descend
//! from this binary's heads through remembered revisions, the database is ahead, not foreign. The
//! remembered revisions join this binary's graph as a second source of edges, which lets
//! `current`, `history` and `verify` show them and `downgrade` take them back.

use log::warn;

use super::Migrator;
use crate::app::log_target;
use crate::backend::{Backend, BackendError};
use crate::error::Error;
use crate::plan::Step;
use crate::remembered::Vouched;
use crate::revision::{Direction, Revision, RevisionMap, Target, parse_revision};
use crate::store::RevisionRecord;

/// A database ahead of this binary: its rows, and the graph extended with what it remembers.
#[derive(Debug, Clone)]
pub struct Ahead {
    /// The version table's rows.
    pub rows: Vec<String>,
    /// The revisions applied that this binary does not embed, oldest first.
    pub newer: Vec<String>,
    /// Those of them marked `Breaking:` for this binary (not naming, as `Compatible From:`, a
    /// revision it embeds), with the reason.
    pub breaking: Vec<(String, String)>,
    /// This binary's heads that the database has passed.
    pub known_heads: Vec<String>,
    /// This binary's graph with the remembered revisions added.
    pub map: RevisionMap,
    /// Each newer revision, and whether a key this binary trusts signed its record.
    pub vouched: Vec<(String, Vouched)>,
}

impl Ahead {
    /// The newer revisions whose records no trusted key signed, with why.
    pub fn unvouched(&self) -> Vec<(String, String)> {
        self.vouched
            .iter()
            .filter_map(|(id, v)| match v {
                Vouched::Not(why) => Some((id.clone(), why.clone())),
                Vouched::By(_) => None,
            })
            .collect()
    }
}

/// Where the database stands for this binary.
#[derive(Debug, Clone)]
pub enum Standing {
    /// At revisions this binary embeds (or at base).
    Known(Vec<String>),
    /// Ahead of this binary: a newer release migrated it.
    Ahead(Box<Ahead>),
}

/// How the path of a revision rebuilt from its record starts (no file holds it).
const REMEMBERED: &str = "<remembered in ";

/// Whether `rev` was rebuilt from the database's record rather than embedded.
#[deprecated(note = "ask the graph: `RevisionMap::is_remembered(&rev.id)`")]
pub fn is_remembered(rev: &Revision) -> bool {
    rev.path.starts_with(REMEMBERED)
}

/// A revision rebuilt from its record: its downgrade is the recorded one; its upgrade, never
/// run (the database applied it), a placeholder.
fn revision_of(record: &RevisionRecord, table: &str) -> Result<Revision, Error> {
    let path = format!("{REMEMBERED}{table}>");
    let tampered = |why: &str| {
        Error::Backend(BackendError::message(format!(
            "the record of {} in {table} {why}: it cannot be shown or reverted",
            record.revision
        )))
    };
    match (&record.downgrade, &record.downgrade_checksum) {
        (Some(sql), Some(sum)) if crate::checksum::checksum(sql) != *sum => {
            return Err(tampered(
                "was changed after it was recorded (its downgrade's checksum differs)",
            ));
        }
        (Some(_), None) => {
            return Err(tampered("has a downgrade without its checksum"));
        }
        _ => {}
    }
    let list = |ids: &[String]| {
        if ids.is_empty() {
            "None".to_string()
        } else {
            ids.join(", ")
        }
    };
    let mut text = format!(
        "-- {}\n--\n-- Revision ID: {}\n-- Revises: {}\n",
        record.message.replace('\n', " "),
        record.revision,
        list(&record.parents)
    );
    if !record.branch_labels.is_empty() {
        text.push_str(&format!(
            "-- Branch Labels: {}\n",
            record.branch_labels.join(", ")
        ));
    }
    if !record.depends_on.is_empty() {
        text.push_str(&format!(
            "-- Depends On: {}\n",
            record.depends_on.join(", ")
        ));
    }
    if !record.transactional {
        text.push_str("-- Transactional: false\n");
    }
    if let Some(reason) = &record.breaking {
        text.push_str(&format!("-- Breaking: {}\n", reason.replace('\n', " ")));
        if let Some(from) = &record.compatible_from {
            text.push_str(&format!(
                "-- Compatible From: {}\n",
                from.replace('\n', " ")
            ));
        }
    }
    text.push_str("\n-- +upgrade\nSELECT 1;\n");
    if let Some(sql) = &record.downgrade {
        text.push_str("\n-- +downgrade\n");
        text.push_str(sql);
    }
    parse_revision(&path, &format!("{}.sql", record.revision), &text)
        .map_err(|errors| tampered(&format!("does not read as a revision ({})", errors[0])))
}

impl Migrator<'_> {
    /// Where the database stands: at revisions this binary embeds (checked as
    /// [`Migrator::current`] checks them), or ahead of it.
    pub fn standing(&self, db: &mut dyn Backend) -> Result<Standing, Error> {
        let rows = self.settings.store.heads(db)?;
        match self.classify_rows(db, rows)? {
            // The rows read once, checked as `current` checks them.
            Standing::Known(rows) => Ok(Standing::Known(self.checked_current(db, rows)?)),
            ahead => Ok(ahead),
        }
    }

    /// Whether the version rows `rows` are known to this binary, or ahead of it (they descend
    /// from this binary's heads through remembered revisions). Rows that are neither come back
    /// as known, for [`Migrator::current`] to refuse.
    fn classify_rows(&self, db: &mut dyn Backend, rows: Vec<String>) -> Result<Standing, Error> {
        if rows.iter().all(|r| self.map.get(r).is_some()) {
            return Ok(Standing::Known(rows));
        }
        let records = self.settings.store.records(db)?;
        let table = self.settings.store.records_table();
        let mut extra: Vec<Revision> = Vec::new();
        let mut vouched = Vec::new();
        let mut stack: Vec<String> = rows.clone();
        let mut seen = std::collections::HashSet::new();
        while let Some(id) = stack.pop() {
            if self.map.get(&id).is_some() || !seen.insert(id.clone()) {
                continue;
            }
            let Some(record) = records.get(&id) else {
                return Ok(Standing::Known(rows));
            };
            stack.extend(record.parents.iter().cloned());
            stack.extend(record.depends_on.iter().cloned());
            extra.push(revision_of(record, &table)?);
            vouched.push((
                id.clone(),
                self.settings.vouching.vouch(record, db.dialect()),
            ));
        }
        let Ok(map) = RevisionMap::with_remembered(self.map, extra) else {
            return Ok(Standing::Known(rows));
        };
        let below = map.ancestors(rows.iter().map(String::as_str));
        let passed = |id: &str| map.position(id).is_some_and(|p| below[p]);
        if !self.map.heads().iter().all(|h| passed(&h.id)) {
            // Not ahead: another line of descent, which `current` refuses.
            return Ok(Standing::Known(rows));
        }
        let newer: Vec<String> = map
            .iter()
            .filter(|r| self.map.get(&r.id).is_none() && passed(&r.id))
            .map(|r| r.id.clone())
            .collect();
        // A breaking revision that names, as the oldest a release must embed to keep running,
        // one this binary embeds does not break it.
        let breaking = newer
            .iter()
            .filter_map(|id| {
                let rev = map.get(id)?;
                let reason = rev.breaking.as_ref()?.0.clone();
                let spared = rev
                    .compatible_from
                    .as_ref()
                    .is_some_and(|(from, _)| self.map.get(from).is_some());
                (!spared).then(|| (id.clone(), reason))
            })
            .collect();
        Ok(Standing::Ahead(Box::new(Ahead {
            rows,
            newer,
            breaking,
            known_heads: self.map.heads().iter().map(|r| r.id.clone()).collect(),
            map,
            vouched,
        })))
    }

    /// An upgrade to head on a database ahead of this binary: nothing to do, with a warning
    /// naming the newer revisions; refused when one of them is breaking, or when newer schemas
    /// are refused altogether.
    pub(crate) fn accept_ahead(&self, ahead: &Ahead) -> Result<(), Error> {
        let unvouched = ahead.unvouched();
        if !unvouched.is_empty() && !self.settings.vouching.trusts_unvouched() {
            if !self.settings.vouching.trusted().is_empty() {
                // This release signs its records: one unsigned or forged is not a newer release's.
                return Err(Error::Unvouched {
                    revisions: unvouched,
                    hint: "They are not a newer release's, or that release was built without the signing key this one trusts (QUARK_MIGRATE_SIGNING_KEY, QUARK_MIGRATE_TRUSTED_KEYS); this release does not run on them.".to_string(),
                });
            }
            log::info!(target: log_target(), "The records of {} are not signed (this binary trusts no signing key): shown, never run", unvouched.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>().join(", "));
        }
        if let Some((revision, reason)) = ahead.breaking.first() {
            return Err(Error::BreakingNewer {
                revision: revision.clone(),
                reason: reason.clone(),
                newer: ahead.newer.clone(),
            });
        }
        if self.settings.refuse_newer {
            return Err(Error::NewerSchema {
                rows: ahead.rows.clone(),
                newer: ahead.newer.clone(),
                heads: ahead.known_heads.clone(),
            });
        }
        warn!(target: log_target(), "The database is ahead of this binary (at {}, its heads {}): {} applied by a newer release; nothing to upgrade, running on the newer schema", crate::plan::describe(&ahead.rows), crate::plan::describe(&ahead.known_heads), ahead.newer.join(", "));
        Ok(())
    }

    /// Whether the database remembers every applied revision this binary embeds.
    pub(super) fn remembers(&self, db: &mut dyn Backend, heads: &[String]) -> Result<bool, Error> {
        let remembered = self.settings.store.records(db)?;
        let applied = self.map.ancestors(heads.iter().map(String::as_str));
        Ok(self
            .map
            .iter()
            .enumerate()
            .all(|(i, r)| !applied[i] || remembered.contains_key(&r.id)))
    }

    /// Records applied revisions this binary embeds that the database does not remember yet
    /// (databases migrated before revisions were remembered), in one transaction where DDL
    /// allows.
    pub(super) fn remember_applied(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
    ) -> Result<(), Error> {
        let remembered = self.settings.store.records(db)?;
        let applied = self.map.ancestors(heads.iter().map(String::as_str));
        let missing: Vec<&Revision> = self
            .map
            .iter()
            .enumerate()
            .filter(|(i, r)| applied[*i] && !remembered.contains_key(&r.id))
            .map(|(_, r)| r)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let dialect = db.dialect();
        db.begin()?;
        for rev in &missing {
            if let Err(e) = self
                .settings
                .store
                .remember(db, &self.settings.vouching.record(rev, dialect))
            {
                let _ = db.rollback();
                return Err(e.into());
            }
        }
        db.commit()?;
        Ok(())
    }

    /// This migrator over another graph (this one extended with remembered revisions, see
    /// [`Migrator::standing`]).
    pub fn on_map<'x>(&'x self, map: &'x RevisionMap) -> Migrator<'x> {
        Migrator {
            map,
            settings: std::borrow::Cow::Borrowed(&*self.settings),
            code: self.code.clone(),
            scratch: self.scratch,
        }
    }

    /// Remembers or forgets the revision of a step, in the step's transaction.
    pub(super) fn record_revision(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
    ) -> Result<(), BackendError> {
        match step.direction {
            // A checkpoint is remembered as the revisions it stands for, which a later
            // downgrade reverts.
            Direction::Upgrade if step.revision.checkpoint_of.is_some() => {
                let covered = self.map.ancestors(step.after.iter().map(String::as_str));
                for (rev, _) in self.map.iter().zip(covered).filter(|(_, c)| *c) {
                    let record = self.settings.vouching.record(rev, db.dialect());
                    self.settings.store.remember(db, &record)?;
                }
                Ok(())
            }
            Direction::Upgrade => {
                let record = self.settings.vouching.record(step.revision, db.dialect());
                self.settings.store.remember(db, &record)
            }
            Direction::Downgrade => self.settings.store.forget(db, &step.revision.id),
        }
    }

    /// Refuses a downgrade to `target` on a database ahead of this binary when a revision it
    /// would revert with remembered SQL is not vouched for (and the operator did not vouch).
    pub(super) fn refuse_unvouched(
        &self,
        ahead: &Ahead,
        target: &Target,
        dialect: crate::revision::Dialect,
    ) -> Result<(), Error> {
        if self.settings.vouching.trusts_unvouched() {
            return Ok(());
        }
        let steps = crate::plan::downgrade(&ahead.map, &ahead.rows, target, dialect)?;
        let unvouched: Vec<(String, String)> = ahead
            .unvouched()
            .into_iter()
            .filter(|(id, _)| {
                steps
                    .iter()
                    .any(|s| s.direction == Direction::Downgrade && s.revision.id == *id)
            })
            .collect();
        if unvouched.is_empty() {
            return Ok(());
        }
        Err(Error::Unvouched {
            revisions: unvouched,
            hint: format!(
                "{} shows the SQL it would run; once you have read it, {} runs it.",
                crate::app::command(&format!("downgrade {target} --dry-run")),
                crate::app::command(&format!("downgrade {target} --trust-remembered"))
            ),
        })
    }
}

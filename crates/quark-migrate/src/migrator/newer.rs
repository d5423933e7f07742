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
use crate::revision::{Dialect, Direction, Revision, RevisionMap, parse_revision};
use crate::store::RevisionRecord;

/// A database ahead of this binary: its rows, and the graph extended with what it remembers.
#[derive(Debug, Clone)]
pub struct Ahead {
    /// The version table's rows.
    pub rows: Vec<String>,
    /// The revisions applied that this binary does not embed, oldest first.
    pub newer: Vec<String>,
    /// Those of them marked `Breaking:`, with the reason.
    pub breaking: Vec<(String, String)>,
    /// This binary's heads that the database has passed.
    pub known_heads: Vec<String>,
    /// This binary's graph with the remembered revisions added.
    pub map: RevisionMap,
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
pub fn is_remembered(rev: &Revision) -> bool {
    rev.path.starts_with(REMEMBERED)
}

/// What the database remembers of `rev`, as applied on `dialect`.
pub(super) fn record_of(rev: &Revision, dialect: Dialect) -> RevisionRecord {
    let (downgrade, no_downgrade) = if rev.code.is_some() {
        let none = if rev.can_run(Direction::Downgrade, dialect) {
            "its downgrade is written in Rust, which only its own binary can run"
        } else {
            "it is irreversible"
        };
        (None, Some(none.to_string()))
    } else {
        match rev.statements(Direction::Downgrade, dialect) {
            Some(Ok(statements)) => {
                let script: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
                (Some(script.join("\n;\n") + "\n;\n"), None)
            }
            _ if rev.is_merge() => (Some(String::new()), None),
            _ => (None, Some("it has no downgrade".to_string())),
        }
    };
    RevisionRecord {
        revision: rev.id.clone(),
        parents: rev.down_revisions.clone(),
        depends_on: rev.depends_on.clone(),
        branch_labels: rev.branch_labels.clone(),
        message: rev.message.clone(),
        breaking: rev.breaking.as_ref().map(|(reason, _)| reason.clone()),
        transactional: rev.transactional,
        downgrade_checksum: downgrade.as_deref().map(crate::checksum::checksum),
        downgrade,
        no_downgrade,
    }
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
    if let (Some(sql), Some(sum)) = (&record.downgrade, &record.downgrade_checksum)
        && crate::checksum::checksum(sql) != *sum
    {
        return Err(tampered(
            "was changed after it was recorded (its downgrade's checksum differs)",
        ));
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
        let rows = self.store.heads(db)?;
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
        let records = self.store.records(db)?;
        let table = self.store.records_table();
        let mut extra: Vec<Revision> = Vec::new();
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
        }
        let mut all: Vec<Revision> = self.map.iter().cloned().collect();
        all.extend(extra);
        let Ok(map) = RevisionMap::new(all) else {
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
        let breaking = newer
            .iter()
            .filter_map(|id| {
                let reason = map.get(id)?.breaking.as_ref()?.0.clone();
                Some((id.clone(), reason))
            })
            .collect();
        Ok(Standing::Ahead(Box::new(Ahead {
            rows,
            newer,
            breaking,
            known_heads: self.map.heads().iter().map(|r| r.id.clone()).collect(),
            map,
        })))
    }

    /// An upgrade to head on a database ahead of this binary: nothing to do, with a warning
    /// naming the newer revisions; refused when one of them is breaking, or when newer schemas
    /// are refused altogether.
    pub(super) fn upgrade_ahead(&self, ahead: &Ahead) -> Result<(), Error> {
        if let Some((revision, reason)) = ahead.breaking.first() {
            return Err(Error::BreakingNewer {
                revision: revision.clone(),
                reason: reason.clone(),
                newer: ahead.newer.clone(),
            });
        }
        if self.refuse_newer {
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
        let remembered = self.store.records(db)?;
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
        let remembered = self.store.records(db)?;
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
            if let Err(e) = self.store.remember(db, &record_of(rev, dialect)) {
                let _ = db.rollback();
                return Err(e.into());
            }
        }
        db.commit()?;
        Ok(())
    }

    /// This migrator over another graph (this one extended with remembered revisions, see
    /// [`Migrator::standing`]).
    pub fn on_map<'x>(&self, map: &'x RevisionMap) -> Migrator<'x> {
        Migrator {
            map,
            store: self.store.clone(),
            lock_timeout: self.lock_timeout,
            lock_lease: self.lock_lease,
            use_lock: self.use_lock,
            lock_wait: self.lock_wait,
            ignore_drift: self.ignore_drift,
            resume: self.resume,
            single_transaction: self.single_transaction,
            refuse_newer: self.refuse_newer,
            backups: self.backups,
            watch: self.watch.clone(),
            code: self.code.clone(),
            table_engine: self.table_engine.clone(),
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
            Direction::Upgrade => {
                let record = record_of(step.revision, db.dialect());
                self.store.remember(db, &record)
            }
            Direction::Downgrade => self.store.forget(db, &step.revision.id),
        }
    }
}

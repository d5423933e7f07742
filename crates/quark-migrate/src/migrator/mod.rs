//! Running plans against a database: lock, check, run each step, record it.
//!
//! [`Migrator`] is the engine's whole command set over one revision graph (what the command line
//! runs); applications use [`crate::Migrations`]. A run applies its steps to a live database, or
//! writes them as a script: a preview of a connected database, or an offline script.

mod backup;
mod code_step;
mod durable;
mod fenced;
mod lease;
mod lock;
mod lock_wait;
mod newer;
mod offline;
mod recover;
mod releases;
mod run;
mod schema_record;
mod settings;
mod shared_table;

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::info;

pub(crate) use crate::progress::Watch;
pub use crate::progress::{Event, Observer};
pub use crate::store::{DEFAULT_VERSION_TABLE, HistoryEntry, Operation, Outcome};
pub use backup::{BackupPolicy, Backups};
pub use lock::DEFAULT_LOCK_LEASE;
pub use lock_wait::LockWait;
#[allow(deprecated)]
pub use newer::is_remembered;
pub use newer::{Ahead, Standing};
pub use shared_table::Split;

use crate::app::log_target;
use crate::backend::{Backend, SessionSettings};
use crate::code::Code;
use crate::error::{Drift, Error};
use crate::plan;
use crate::revision::{Direction, RevisionMap, Target};
use crate::store::Store;
pub(crate) use lease::{host, token};
pub use releases::LiveRelease;
use run::Mode;
pub use schema_record::{Recorded, SchemaCheck};
pub use settings::{
    DEFAULT_FAILOVER_TIMEOUT, DEFAULT_INSTANCE_TTL, DEFAULT_REPLICA_WAIT, DEFAULT_VERIFY_WAIT,
    DriftCheck, LiveReleases,
};
pub(crate) use settings::{Settings, setting_builders};

/// What a command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Version-table rows before.
    pub before: Vec<String>,
    /// Version-table rows after.
    pub after: Vec<String>,
    /// The steps that ran, in order.
    pub steps: Vec<StepReport>,
    /// The replica that had replayed the run's last commit when it reported success, on a
    /// server with replicas that could take over from it (see
    /// [`Migrator::replica_wait`]); `None` without any, or when the run took no lock.
    pub replicated_by: Option<String>,
    /// `Breaking:` revisions an upgrade stopped before, since live instances are of releases
    /// they break (see [`LiveReleases::StopBefore`]); empty otherwise.
    pub held_back: Vec<String>,
}

impl Report {
    /// The report of an upgrade that found the database at `heads` with nothing to do; says so
    /// in the log.
    pub(crate) fn nothing_to_upgrade(heads: Vec<String>) -> Report {
        info!(target: log_target(), "Already at {}: nothing to upgrade", plan::describe(&heads));
        Report {
            before: heads.clone(),
            after: heads,
            steps: Vec::new(),
            replicated_by: None,
            held_back: Vec::new(),
        }
    }
}

/// One step that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The revision.
    pub revision: String,
    /// Which way.
    pub direction: Direction,
    /// Statements run.
    pub statements: usize,
    /// How long it took.
    pub duration: Duration,
}

/// Runs upgrades, downgrades and stamps of one revision graph.
#[derive(Debug, Clone)]
pub struct Migrator<'m> {
    map: &'m RevisionMap,
    /// The run's settings: borrowed from [`crate::Migrations`], copied when changed here.
    settings: Cow<'m, Settings>,
    code: HashMap<String, Code>,
    /// Whether this migrator builds a scratch database (its steps are logged at debug level).
    scratch: bool,
}

settings::setting_builders!(Migrator<'_>);

/// `engine` when it can be a MySQL storage engine's name: letters, digits and `_`.
pub(crate) fn storage_engine(engine: &str) -> Result<String, Error> {
    let valid = engine.len() <= 64
        && engine.starts_with(|c: char| c.is_ascii_alphabetic())
        && engine
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(Error::TableEngine(engine.to_string()));
    }
    Ok(engine.to_string())
}

impl<'m> Migrator<'m> {
    /// A migrator for `map` keeping its state in `alembic_version` and its history table.
    pub fn new(map: &'m RevisionMap) -> Migrator<'m> {
        Migrator::with_settings(map, Cow::Owned(Settings::default()))
    }

    /// A migrator for `map` under `settings`.
    pub(crate) fn with_settings(map: &'m RevisionMap, settings: Cow<'m, Settings>) -> Migrator<'m> {
        Migrator {
            map,
            settings,
            code: HashMap::new(),
            scratch: false,
        }
    }

    fn settings_mut(&mut self) -> &mut Settings {
        self.settings.to_mut()
    }

    /// The session settings this migrator's runs are under.
    fn session_settings(&self) -> SessionSettings {
        SessionSettings {
            lock_wait: self.settings.lock_wait.timeout,
            table_engine: self.settings.table_engine.clone(),
        }
    }

    /// The compiled functions of the revisions written in Rust, by revision id.
    pub fn code(mut self, code: impl IntoIterator<Item = (String, Code)>) -> Self {
        self.code.extend(code);
        self
    }

    /// Tells `observer` of each step starting, its progress and its end (see [`Event`]).
    pub fn observe(mut self, observer: std::sync::Arc<dyn Observer>) -> Self {
        self.settings_mut().watch = Watch::new(observer);
        self
    }

    /// The revision graph.
    pub fn map(&self) -> &'m RevisionMap {
        self.map
    }

    /// Every row of the history table, oldest first.
    pub fn history(&self, db: &mut dyn Backend) -> Result<Vec<HistoryEntry>, Error> {
        Ok(self.settings.store.history(db)?)
    }

    /// The database's current revisions, refusing rows this graph does not have and rows that
    /// contradict each other; with its own version table empty, refusing too when this graph's
    /// revisions sit in the shared default table instead.
    pub fn current(&self, db: &mut dyn Backend) -> Result<Vec<String>, Error> {
        let heads = self.settings.store.heads(db)?;
        self.checked_current(db, heads)
    }

    /// The version rows `heads`, already read, checked as [`Migrator::current`] checks them.
    fn checked_current(
        &self,
        db: &mut dyn Backend,
        heads: Vec<String>,
    ) -> Result<Vec<String>, Error> {
        self.check_rows(&heads)?;
        if heads.is_empty() {
            self.refuse_shared(db)?;
        }
        Ok(heads)
    }

    /// Refuses rows this graph does not have, a row twice, and a row with one of its ancestors.
    fn check_rows(&self, heads: &[String]) -> Result<(), Error> {
        self.check_known(heads)?;
        // The rows come sorted: a revision twice is two neighbours.
        let mut problems: Vec<String> = heads
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| format!("{} twice", w[0]))
            .collect();
        for h in heads {
            let below = self.map.ancestors([h.as_str()]);
            for g in heads.iter().filter(|g| *g != h) {
                if self.map.position(g).is_some_and(|p| below[p]) {
                    problems.push(format!("{g} below {h}, which already includes it"));
                }
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        problems.dedup();
        Err(Error::InconsistentVersions {
            table: self.settings.store.version_table().to_string(),
            rows: heads.to_vec(),
            problem: problems.join(", "),
            state: self
                .map
                .heads_of(&self.map.ancestors(heads.iter().map(String::as_str))),
        })
    }

    /// With a version table of its own configured and empty, refuses when the shared default
    /// table holds revisions of this graph (the database is not at base: they were recorded
    /// there).
    fn refuse_shared(&self, db: &mut dyn Backend) -> Result<(), Error> {
        if self.settings.store.version_table() == DEFAULT_VERSION_TABLE {
            return Ok(());
        }
        let shared = Store::default();
        let ours = self.ours_in(&shared.heads(db)?);
        if ours.is_empty() {
            return Ok(());
        }
        Err(Error::InSharedTable {
            shared: shared.version_table().to_string(),
            own: self.settings.store.version_table().to_string(),
            revisions: ours,
        })
    }

    /// The rows of `rows` that are revisions of this graph.
    fn ours_in(&self, rows: &[String]) -> Vec<String> {
        rows.iter()
            .filter(|r| self.map.get(r).is_some())
            .cloned()
            .collect()
    }

    fn check_known(&self, heads: &[String]) -> Result<(), Error> {
        let unknown: Vec<String> = heads
            .iter()
            .filter(|h| self.map.get(h).is_none())
            .cloned()
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(Error::UnknownRevisions {
            table: self.settings.store.version_table().to_string(),
            unknown,
            heads: self.map.heads().iter().map(|r| r.id.clone()).collect(),
        })
    }

    /// Applied revisions whose embedded SQL no longer matches the checksum recorded when applied.
    pub fn verify(&self, db: &mut dyn Backend) -> Result<Vec<Drift>, Error> {
        let heads = self.current(db)?;
        let recorded = self.settings.store.applied_checksums(db)?;
        Ok(self.drift(db, &heads, &recorded))
    }

    fn drift(
        &self,
        db: &dyn Backend,
        heads: &[String],
        recorded: &HashMap<String, String>,
    ) -> Vec<Drift> {
        let applied = self.map.ancestors(heads.iter().map(String::as_str));
        let revisions = self
            .map
            .iter()
            .enumerate()
            .filter(|(i, r)| applied[*i] && !self.map.is_remembered(&r.id))
            .map(|(_, r)| r);
        // A checkpoint the database ran is checked as a revision is.
        revisions
            .chain(self.map.checkpoints())
            .filter_map(|r| {
                let recorded = recorded.get(&r.id)?;
                let embedded = r.checksum(Direction::Upgrade, db.dialect())?;
                (!r.accepts_checksum(db.dialect(), recorded)).then(|| Drift {
                    revision: r.id.clone(),
                    path: r.path.clone(),
                    recorded: recorded.clone(),
                    embedded,
                })
            })
            .collect()
    }

    fn refuse_drift(&self, db: &mut dyn Backend, heads: &[String]) -> Result<(), Error> {
        if self.settings.ignore_drift {
            return Ok(());
        }
        let recorded = self.settings.store.applied_checksums(db)?;
        let drift = self.drift(db, heads, &recorded);
        if drift.is_empty() {
            Ok(())
        } else {
            Err(Error::Drift(drift))
        }
    }

    /// The step that stopped part-way, and the statement to go on from: with `--resume`, the
    /// one its history row records (the operator repaired the database); a step a killed run
    /// interrupted, settled from the database when `settle`; otherwise an error naming it.
    fn unfinished(
        &self,
        db: &mut dyn Backend,
        settle: bool,
    ) -> Result<Option<HistoryEntry>, Error> {
        let last = match self.settings.store.last_entry(db)? {
            Some(last) if last.is_unfinished() => last,
            _ => return Ok(None),
        };
        if last.operation == Operation::Stamp {
            return Err(Error::Unfinished(Box::new(last)));
        }
        if self.settings.resume {
            return Ok(Some(last));
        }
        if settle && last.outcome == Outcome::InProgress {
            return self.settle(db, last).map(Some);
        }
        Err(Error::Unfinished(Box::new(last)))
    }

    /// The revision a run left part-way, if the last history row says one was (for `current`
    /// and `status`).
    pub fn interrupted(&self, db: &mut dyn Backend) -> Result<Option<HistoryEntry>, Error> {
        Ok(self
            .settings
            .store
            .last_entry(db)?
            .filter(HistoryEntry::is_unfinished))
    }

    /// Upgrades to `target`; takes the lock only when something is pending.
    pub fn upgrade(&self, db: &mut dyn Backend, target: &Target) -> Result<Report, Error> {
        if let Some(heads) = self.already_at_heads(db, target) {
            return Ok(Report::nothing_to_upgrade(heads));
        }
        self.upgrade_checked(db, target)
    }

    /// [`Migrator::upgrade`] the full way, for a caller that has already found the database
    /// not at its heads.
    pub(crate) fn upgrade_checked(
        &self,
        db: &mut dyn Backend,
        target: &Target,
    ) -> Result<Report, Error> {
        let heads = match self.standing(db)? {
            Standing::Known(heads) => heads,
            Standing::Ahead(ahead) => return self.nothing_ahead(target, &ahead),
        };
        let steps = self.upgrade_plan(self.map, &heads, target, db.dialect())?;
        if steps.is_empty() && self.interrupted(db)?.is_none() && self.remembers(db, &heads)? {
            self.refuse_drift(db, &heads)?;
            return Ok(Report::nothing_to_upgrade(heads));
        }
        self.wait_for_drain(db, &steps)?;
        if let Some(report) = self.held_at_once(db, &heads, &steps)? {
            return Ok(report);
        }
        self.locked(db, |db| {
            let heads = match self.standing(db)? {
                Standing::Known(heads) => heads,
                Standing::Ahead(ahead) => return self.nothing_ahead(target, &ahead),
            };
            self.refuse_drift(db, &heads)?;
            self.remember_applied(db, &heads)?;
            let steps = self.upgrade_plan(self.map, &heads, target, db.dialect())?;
            let stop_before = match self.held_back(db, &steps)? {
                Some(held) => self.settle_held(held)?,
                None => None,
            };
            let mut report = self.settled_then(db, heads, |map, heads, dialect| {
                let mut steps = self.upgrade_plan(map, heads, target, dialect)?;
                if let Some(stop) = &stop_before
                    && let Some(at) = steps.iter().position(|s| s.revision.id == *stop)
                {
                    steps.truncate(at);
                }
                Ok(steps)
            })?;
            report.held_back.extend(stop_before);
            Ok(report)
        })
        .and_then(|report| self.durable(db, report))
    }

    /// The upgrade steps from `heads` to `target` on `map`, from a checkpoint unless these
    /// settings replay history.
    fn upgrade_plan<'a>(
        &self,
        map: &'a RevisionMap,
        heads: &[String],
        target: &Target,
        dialect: crate::revision::Dialect,
    ) -> Result<Vec<plan::Step<'a>>, plan::PlanError> {
        plan::upgrade(map, heads, target, dialect, self.settings.from_checkpoints)
    }

    /// An upgrade on a database ahead of this binary: to head, nothing to do (or refused, see
    /// [`Migrator::refuse_newer_schema`]); to a revision, refused: going back is a downgrade.
    fn nothing_ahead(&self, target: &Target, ahead: &Ahead) -> Result<Report, Error> {
        if !matches!(target, Target::Head | Target::Heads) {
            return Err(Error::NewerSchema {
                rows: ahead.rows.clone(),
                newer: ahead.newer.clone(),
                heads: ahead.known_heads.clone(),
            });
        }
        self.accept_ahead(ahead)?;
        Ok(Report {
            before: ahead.rows.clone(),
            after: ahead.rows.clone(),
            steps: Vec::new(),
            replicated_by: None,
            held_back: Vec::new(),
        })
    }

    /// Runs the plan `plan` makes from the version rows, after finishing the step a killed run
    /// left part-way (settled from the database) when that step is not where the plan starts:
    /// the plan is then made from where the database stands once it is finished.
    fn settled_then(
        &self,
        db: &mut dyn Backend,
        heads: Vec<String>,
        plan: impl for<'a> Fn(
            &'a RevisionMap,
            &[String],
            crate::revision::Dialect,
        ) -> Result<Vec<plan::Step<'a>>, plan::PlanError>,
    ) -> Result<Report, Error> {
        let Some(entry) = self.unfinished(db, true)? else {
            let steps = plan(self.map, &heads, db.dialect())?;
            return self.run(db, heads, &steps, None, Mode::Apply);
        };
        let steps = plan(self.map, &heads, db.dialect());
        let starts_there = steps.as_ref().is_ok_and(|steps| {
            steps.first().is_some_and(|s| {
                s.revision.id == entry.revision && Operation::from(s.direction) == entry.operation
            })
        });
        if starts_there {
            return self.run(db, heads, &steps?, Some(&entry), Mode::Apply);
        }
        let Some(direction) = entry.operation.direction() else {
            return Err(Error::Unfinished(Box::new(entry)));
        };
        let Some(step) = plan::single(self.map, &heads, &entry.revision, direction) else {
            return Err(Error::Unfinished(Box::new(entry)));
        };
        info!(target: log_target(), "Finishing the {} of {} that an earlier run left part-way, before planning the rest", direction.name(), entry.revision);
        let first = self.run(db, heads, &[step], Some(&entry), Mode::Apply)?;
        let steps = plan(self.map, &first.after, db.dialect())?;
        let rest = self.run(db, first.after.clone(), &steps, None, Mode::Apply)?;
        Ok(Report {
            before: first.before,
            after: rest.after,
            steps: first.steps.into_iter().chain(rest.steps).collect(),
            replicated_by: None,
            held_back: Vec::new(),
        })
    }

    /// The database's rows when `target` means every head and the database is there with no
    /// applied revision edited since: checked in one round trip, as an application starting up
    /// checks it. `None` sends the upgrade the full way, which explains anything amiss.
    fn already_at_heads(&self, db: &mut dyn Backend, target: &Target) -> Option<Vec<String>> {
        let ours = self.map.heads();
        let every_head = match target {
            Target::Heads => true,
            Target::Head => ours.len() == 1,
            _ => false,
        };
        if !every_head {
            return None;
        }
        let mut wanted: Vec<&str> = ours.iter().map(|r| r.id.as_str()).collect();
        wanted.sort_unstable();
        let dialect = db.dialect();
        let ignore = self.settings.ignore_drift;
        self.settings
            .store
            .at_heads(db, &wanted, self.map.len(), |revision, sum| {
                ignore
                    || self.map.revision_or_checkpoint(revision).is_none_or(|r| {
                        self.map.is_remembered(&r.id)
                            || r.checksum(Direction::Upgrade, dialect).is_none()
                            || r.accepts_checksum(dialect, sum)
                    })
            })
    }

    /// Downgrades to `target`; refused before anything runs when a step is irreversible. On a
    /// database ahead of this binary, the revisions it does not embed are reverted with the
    /// downgrades the database remembers for them.
    pub fn downgrade(&self, db: &mut dyn Backend, target: &Target) -> Result<Report, Error> {
        let heads = match self.standing(db)? {
            Standing::Known(heads) => heads,
            Standing::Ahead(ahead) => {
                self.refuse_unvouched(&ahead, target, db.dialect())?;
                return self.on_map(&ahead.map).downgrade(db, target);
            }
        };
        plan::downgrade(self.map, &heads, target, db.dialect())?;
        self.locked(db, |db| {
            let heads = self.current(db)?;
            self.settled_then(db, heads, |map, heads, dialect| {
                plan::downgrade(map, heads, target, dialect)
            })
        })
        .and_then(|report| self.durable(db, report))
    }

    /// Sets the version table to `target` without running any SQL; `purge` first empties it,
    /// unknown revisions included.
    pub fn stamp(
        &self,
        db: &mut dyn Backend,
        target: &Target,
        purge: bool,
    ) -> Result<Report, Error> {
        self.locked(db, |db| {
            let before = self.settings.store.heads(db)?;
            let known = if purge { Vec::new() } else { before.clone() };
            if !purge {
                self.check_rows(&before)?;
            }
            let wanted = plan::resolve(self.map, &known, target).map_err(plan::PlanError::from)?;
            let after = if purge {
                self.map.heads_of(&self.map.ancestors(wanted.iter().map(String::as_str)))
            } else {
                self.map.stamped(&before, &wanted)
            };
            info!(target: log_target(), "Running stamp_revision {} -> {}", plan::describe(&before), plan::describe(&after));
            db.begin()?;
            let result = (|| {
                if purge {
                    self.settings.store.clear_heads(db)?;
                    self.settings.store.replace_heads(db, &[], &after)?;
                } else {
                    let removed: Vec<String> = before.iter().filter(|h| !after.contains(h)).cloned().collect();
                    let added: Vec<String> = after.iter().filter(|h| !before.contains(h)).cloned().collect();
                    self.settings.store.replace_heads(db, &removed, &added)?;
                }
                let stamped = if after.is_empty() { vec!["base".to_string()] } else { after.clone() };
                for id in &stamped {
                    let mut entry = Store::entry(id, Operation::Stamp, None, 0);
                    entry.finish(Outcome::Success, 0, Instant::now(), None);
                    self.settings.store.record(db, &entry)?;
                }
                db.commit()
            })();
            if let Err(e) = result {
                let _ = db.rollback();
                return Err(e.into());
            }
            Ok(Report { before, after, steps: Vec::new(), replicated_by: None, held_back: Vec::new() })
        })
        .and_then(|report| self.durable(db, report))
    }
}

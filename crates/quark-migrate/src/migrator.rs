//! Running plans against a database: lock, check, run each step, record it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::{debug, info};

use crate::LOG_TARGET;
use crate::backend::script::Script;
use crate::backend::{Backend, BackendError, BatchError};
use crate::checksum::checksum;
use crate::code::{Code, Db};
use crate::error::{CodeFailure, Drift, Error, StepFailure};
use crate::plan::{self, Step};
use crate::revision::{Dialect, Direction, RevisionMap, Statement, Target};
use crate::store::{HistoryEntry, Outcome, Store};

/// What a command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Version-table rows before.
    pub before: Vec<String>,
    /// Version-table rows after.
    pub after: Vec<String>,
    /// The steps that ran, in order.
    pub steps: Vec<StepReport>,
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
    store: Store,
    lock_timeout: Duration,
    use_lock: bool,
    ignore_drift: bool,
    resume: bool,
    single_transaction: bool,
    code: HashMap<String, Code>,
}

/// Releases the migration lock when dropped, on every path out, panics included; a panic also
/// rolls back the transaction it interrupted.
struct LockGuard<'a> {
    db: &'a mut dyn Backend,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.db.rollback();
        }
        if let Err(e) = self.db.unlock() {
            log::warn!(target: LOG_TARGET, "{e}");
        }
    }
}

impl<'m> Migrator<'m> {
    /// A migrator for `map` keeping its state in `store`.
    pub fn new(map: &'m RevisionMap, store: Store) -> Migrator<'m> {
        Migrator {
            map,
            store,
            lock_timeout: Duration::from_secs(60),
            use_lock: true,
            ignore_drift: false,
            resume: false,
            single_transaction: false,
            code: HashMap::new(),
        }
    }

    /// The compiled functions of the revisions written in Rust, by revision id.
    pub fn code(mut self, code: impl IntoIterator<Item = (String, Code)>) -> Self {
        self.code.extend(code);
        self
    }

    /// How long to wait for another migrator's lock (default 60 s).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Whether to take the migration lock (default true); without it, concurrent migrators are
    /// not serialised.
    pub fn use_lock(mut self, lock: bool) -> Self {
        self.use_lock = lock;
        self
    }

    /// Continue a revision that stopped part-way from its first unfinished statement, instead of
    /// refusing to run.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Run all the revisions of one command in a single transaction, all or nothing, where the
    /// database and every revision allow it (not on MySQL, not with `Transactional: false`).
    pub fn single_transaction(mut self, single: bool) -> Self {
        self.single_transaction = single;
        self
    }

    /// Proceed even when applied revisions changed since they were applied.
    pub fn ignore_drift(mut self, ignore: bool) -> Self {
        self.ignore_drift = ignore;
        self
    }

    /// The revision graph.
    pub fn map(&self) -> &'m RevisionMap {
        self.map
    }

    /// The version and history tables.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The database's current revisions, refusing revisions this graph does not have.
    pub fn current(&self, db: &mut dyn Backend) -> Result<Vec<String>, Error> {
        let heads = self.store.heads(db)?;
        self.check_known(&heads)?;
        Ok(heads)
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
            table: self.store.version_table().to_string(),
            unknown,
            heads: self.map.heads().iter().map(|r| r.id.clone()).collect(),
        })
    }

    /// Applied revisions whose embedded SQL no longer matches the checksum recorded when applied.
    pub fn verify(&self, db: &mut dyn Backend) -> Result<Vec<Drift>, Error> {
        let heads = self.current(db)?;
        let recorded = self.store.applied_checksums(db)?;
        Ok(self.drift(db, &heads, &recorded))
    }

    fn drift(
        &self,
        db: &dyn Backend,
        heads: &[String],
        recorded: &HashMap<String, String>,
    ) -> Vec<Drift> {
        let applied = self.map.ancestors(heads.iter().map(String::as_str));
        self.map
            .iter()
            .enumerate()
            .filter(|(i, _)| applied[*i])
            .filter_map(|(_, r)| {
                let recorded = recorded.get(&r.id)?;
                let embedded = checksum(r.checksummed_text(Direction::Upgrade, db.dialect())?);
                (embedded != *recorded).then(|| Drift {
                    revision: r.id.clone(),
                    path: r.path.clone(),
                    recorded: recorded.clone(),
                    embedded,
                })
            })
            .collect()
    }

    fn refuse_drift(&self, db: &mut dyn Backend, heads: &[String]) -> Result<(), Error> {
        if self.ignore_drift {
            return Ok(());
        }
        let recorded = self.store.applied_checksums(db)?;
        let drift = self.drift(db, heads, &recorded);
        if drift.is_empty() {
            Ok(())
        } else {
            Err(Error::Drift(drift))
        }
    }

    /// The step that stopped part-way, to resume when asked; otherwise an error naming it.
    fn unfinished(&self, db: &mut dyn Backend) -> Result<Option<HistoryEntry>, Error> {
        match self.store.last_entry(db)? {
            Some(last) if last.is_unfinished() => {
                if self.resume && last.direction == Direction::Upgrade.name() {
                    Ok(Some(last))
                } else {
                    Err(Error::Unfinished(Box::new(last)))
                }
            }
            _ => Ok(None),
        }
    }

    /// Runs `f` holding the migration lock, with the version tables in place.
    fn locked<T>(
        &self,
        db: &mut dyn Backend,
        f: impl FnOnce(&mut dyn Backend) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if !self.use_lock {
            self.store.ensure(db)?;
            return f(db);
        }
        db.lock(self.store.version_table(), self.lock_timeout)?;
        let guard = LockGuard { db };
        self.store.ensure(guard.db)?;
        f(guard.db)
    }

    /// Upgrades to `target`; takes the lock only when something is pending.
    pub fn upgrade(&self, db: &mut dyn Backend, target: &Target) -> Result<Report, Error> {
        let heads = self.current(db)?;
        let steps = plan::upgrade(self.map, &heads, target, db.dialect())?;
        if steps.is_empty() {
            self.refuse_drift(db, &heads)?;
            info!(target: LOG_TARGET, "Already at {}: nothing to upgrade", plan::describe(&heads));
            return Ok(Report {
                before: heads.clone(),
                after: heads,
                steps: Vec::new(),
            });
        }
        self.locked(db, |db| {
            let heads = self.current(db)?;
            self.refuse_drift(db, &heads)?;
            let steps = plan::upgrade(self.map, &heads, target, db.dialect())?;
            let resume = self.unfinished(db)?;
            self.run(db, heads, &steps, resume.as_ref(), false)
        })
    }

    /// The SQL that takes a database at `from` to `target` in `direction`, with version-table
    /// updates and transaction boundaries, written without a database (Alembic's offline mode).
    pub fn script(
        &self,
        dialect: Dialect,
        from: &[String],
        target: &Target,
        direction: Direction,
    ) -> Result<(Report, String), Error> {
        self.check_known(from)?;
        let mut script = Script::new(dialect, []);
        let report = self.write_script(&mut script, from, target, direction, true)?;
        Ok((report, script.text().to_string()))
    }

    /// What `upgrade` or `downgrade` to `target` would run on `db` now, refusing as they would;
    /// reads the database, changes nothing and takes no lock.
    pub fn preview(
        &self,
        db: &mut dyn Backend,
        target: &Target,
        direction: Direction,
    ) -> Result<(Report, String), Error> {
        let heads = self.current(db)?;
        if direction == Direction::Upgrade {
            self.refuse_drift(db, &heads)?;
            self.unfinished(db)?;
        }
        let mut existing = Vec::new();
        for table in [self.store.version_table(), self.store.history_table()] {
            if db.table_exists(table)? {
                existing.push(table.to_string());
            }
        }
        let mut script = Script::new(db.dialect(), existing);
        let report = self.write_script(&mut script, &heads, target, direction, false)?;
        Ok((report, script.text().to_string()))
    }

    fn write_script(
        &self,
        script: &mut Script,
        from: &[String],
        target: &Target,
        direction: Direction,
        offline: bool,
    ) -> Result<Report, Error> {
        let dialect = script.dialect();
        let steps = match direction {
            Direction::Upgrade => plan::upgrade(self.map, from, target, dialect)?,
            Direction::Downgrade => plan::downgrade(self.map, from, target, dialect)?,
        };
        let rust: Vec<String> = steps
            .iter()
            .filter(|s| s.revision.code.is_some())
            .map(|s| s.revision.id.clone())
            .collect();
        if offline && !rust.is_empty() {
            return Err(Error::NotScriptable { revisions: rust });
        }
        if steps.is_empty() {
            return Ok(Report {
                before: from.to_vec(),
                after: from.to_vec(),
                steps: Vec::new(),
            });
        }
        self.store.ensure(script)?;
        self.run(script, from.to_vec(), &steps, None, true)
    }

    /// Downgrades to `target`; refused before anything runs when a step is irreversible.
    pub fn downgrade(&self, db: &mut dyn Backend, target: &Target) -> Result<Report, Error> {
        let heads = self.current(db)?;
        plan::downgrade(self.map, &heads, target, db.dialect())?;
        self.locked(db, |db| {
            let heads = self.current(db)?;
            let steps = plan::downgrade(self.map, &heads, target, db.dialect())?;
            let resume = self.unfinished(db)?;
            self.run(db, heads, &steps, resume.as_ref(), false)
        })
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
            let before = self.store.heads(db)?;
            let known = if purge { Vec::new() } else { before.clone() };
            if !purge {
                self.check_known(&before)?;
            }
            let wanted = plan::resolve(self.map, &known, target).map_err(plan::PlanError::from)?;
            let after = self.map.heads_of(&self.map.ancestors(wanted.iter().map(String::as_str)));
            info!(target: LOG_TARGET, "Running stamp_revision {} -> {}", plan::describe(&before), plan::describe(&after));
            db.begin()?;
            let result = (|| {
                if purge {
                    self.store.clear_heads(db)?;
                    self.store.replace_heads(db, &[], &after)?;
                } else {
                    let removed: Vec<String> = before.iter().filter(|h| !after.contains(h)).cloned().collect();
                    let added: Vec<String> = after.iter().filter(|h| !before.contains(h)).cloned().collect();
                    self.store.replace_heads(db, &removed, &added)?;
                }
                let stamped = if after.is_empty() { vec!["base".to_string()] } else { after.clone() };
                for id in &stamped {
                    let mut entry = Store::entry(id, "stamp", None, 0);
                    entry.finish(Outcome::Success, 0, Instant::now(), None);
                    self.store.record(db, &entry)?;
                }
                db.commit()
            })();
            if let Err(e) = result {
                let _ = db.rollback();
                return Err(e.into());
            }
            Ok(Report { before, after, steps: Vec::new() })
        })
    }

    fn run(
        &self,
        db: &mut dyn Backend,
        before: Vec<String>,
        steps: &[Step<'_>],
        resume: Option<&HistoryEntry>,
        rendering: bool,
    ) -> Result<Report, Error> {
        let grouped = self.single_transaction && self.can_group(db, steps, resume);
        let mut report = Report {
            before: before.clone(),
            after: before.clone(),
            steps: Vec::new(),
        };
        if grouped {
            db.begin()?;
        }
        for step in steps {
            let skip = resume
                .filter(|r| r.revision == step.revision.id && r.direction == step.direction.name())
                .map_or(0, |r| r.statements_done as usize);
            let group = grouped.then_some(before.as_slice());
            let report_step = if step.revision.code.is_some() {
                self.run_code(db, step, group, rendering)?
            } else {
                self.run_step(db, step, skip, group)?
            };
            report.steps.push(report_step);
            report.after = step.after.clone();
        }
        if grouped {
            // The version table changes once for the whole run.
            let removed: Vec<String> = before
                .iter()
                .filter(|h| !report.after.contains(h))
                .cloned()
                .collect();
            let added: Vec<String> = report
                .after
                .iter()
                .filter(|h| !before.contains(h))
                .cloned()
                .collect();
            let done = self
                .store
                .replace_heads(db, &removed, &added)
                .and_then(|()| db.commit());
            if let Err(e) = done {
                let _ = db.rollback();
                return Err(e.into());
            }
        }
        Ok(report)
    }

    /// Whether the steps can share one transaction; says why not when they cannot.
    fn can_group(
        &self,
        db: &dyn Backend,
        steps: &[Step<'_>],
        resume: Option<&HistoryEntry>,
    ) -> bool {
        let why_not = if !db.transactional_ddl() {
            Some(format!("{} commits DDL implicitly", db.dialect()))
        } else if let Some(step) = steps.iter().find(|s| !s.revision.transactional) {
            Some(format!("{} is not transactional", step.revision.id))
        } else if resume.is_some() {
            Some("a revision is being resumed".to_string())
        } else {
            None
        };
        if let Some(why) = &why_not {
            log::warn!(target: LOG_TARGET, "One transaction per revision instead of a single one: {why}");
        }
        why_not.is_none()
    }

    /// Logs the step about to run, and marks it in a script.
    fn announce(&self, db: &mut dyn Backend, step: &Step<'_>) {
        let rev = step.revision;
        let parents = rev.parents_label();
        let (from, to) = match step.direction {
            Direction::Upgrade => (parents, rev.id.clone()),
            Direction::Downgrade => (rev.id.clone(), parents),
        };
        info!(target: LOG_TARGET, "Running {} {from} -> {to}, {}", step.direction.name(), rev.message);
        db.note(&format!(
            "Running {} {from} -> {to}, {} ({})",
            step.direction.name(),
            rev.message,
            rev.path
        ));
    }

    /// Runs one step from statement `skip` on. Where the database can roll the whole revision
    /// back, its SQL and its version-table update commit together; otherwise the step is recorded
    /// as in progress first and its progress after every statement, so a failure can be resumed.
    /// With `group` (the heads before the whole run), the step is part of one transaction that
    /// the caller opened and commits; a failure rolls all of it back.
    fn run_step(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
        skip: usize,
        group: Option<&[String]>,
    ) -> Result<StepReport, Error> {
        let rev = step.revision;
        let dialect = db.dialect();
        self.announce(db, step);
        let statements = match rev.statements(step.direction, dialect) {
            Some(result) => result?,
            None => Vec::new(),
        };
        if skip > 0 {
            info!(target: LOG_TARGET, "Resuming {} at statement {} of {}", rev.id, skip + 1, statements.len());
        }
        let sum = rev.checksummed_text(step.direction, dialect).map(checksum);
        for statement in statements.iter().skip(skip) {
            debug!(target: LOG_TARGET, "{}:{}: {}", rev.path, statement.line, statement.sql);
        }
        let mut run = StepRun {
            entry: Store::entry(&rev.id, step.direction.name(), sum, statements.len()),
            step,
            statements,
            skip,
            group,
            started: Instant::now(),
        };
        if rev.transactional && db.transactional_ddl() {
            self.in_transaction(db, &mut run)?;
        } else {
            self.resumable(db, &mut run)?;
        }
        Ok(StepReport {
            revision: rev.id.clone(),
            direction: step.direction,
            statements: run.statements.len(),
            duration: run.started.elapsed(),
        })
    }

    /// Runs a step in one transaction with its bookkeeping: the statements as one batch, then
    /// the version-table update, the history row and the commit as another (two round trips
    /// where the driver can batch). In a group, a savepoint lets a failed batch be replayed
    /// without losing the steps before it.
    fn in_transaction(&self, db: &mut dyn Backend, run: &mut StepRun<'_>) -> Result<(), Error> {
        let dialect = db.dialect();
        let mut batch = match run.group {
            None => vec![dialect.begin()],
            Some(_) if db.locates_batch_failures() => Vec::new(),
            Some(_) => vec!["SAVEPOINT quark_step"],
        };
        let first = batch.len();
        batch.extend(run.statements.iter().skip(run.skip).map(|s| s.sql.as_str()));
        match db.run_batch(&batch) {
            Ok(()) => {}
            Err(BatchError {
                index: Some(i),
                error,
            }) if i < first => {
                let _ = db.rollback();
                return Err(error.into());
            }
            Err(BatchError {
                index: Some(i),
                error,
            }) => return Err(self.failed(db, run, run.skip + i - first, error)),
            Err(BatchError { index: None, .. }) => {
                // The driver cannot say which statement failed: find it by running them one by
                // one (the failed batch left no trace).
                if run.group.is_some() {
                    db.run("ROLLBACK TO SAVEPOINT quark_step")?;
                } else {
                    let _ = db.rollback();
                    db.begin()?;
                }
                for i in run.skip..run.statements.len() {
                    if let Err(e) = db.run(&run.statements[i].sql) {
                        return Err(self.failed(db, run, i, e));
                    }
                }
            }
        }
        run.entry
            .finish(Outcome::Success, run.statements.len(), run.started, None);
        self.commit_step(db, run.step, &run.entry, run.group)
    }

    /// Records a step that succeeded inside its transaction (the version table unless in a
    /// group, and the history row) and commits unless in a group, in one batch.
    fn commit_step(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
        entry: &HistoryEntry,
        group: Option<&[String]>,
    ) -> Result<(), Error> {
        let mut book = Script::new(db.dialect(), []);
        if group.is_none() {
            self.store
                .replace_heads(&mut book, &step.removed(), &step.added())?;
        }
        self.store.record(&mut book, entry)?;
        let mut batch = book.statements();
        if group.is_none() {
            batch.push("COMMIT");
        }
        if let Err(e) = db.run_batch(&batch) {
            let _ = db.rollback();
            return Err(e.error.into());
        }
        Ok(())
    }

    /// Runs a step of a revision written in Rust: its function, then its bookkeeping, in one
    /// transaction on every backend (in a group, inside the group's). When writing a preview,
    /// the code is not run (it works on data a script cannot read): a comment says so.
    fn run_code(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
        group: Option<&[String]>,
        rendering: bool,
    ) -> Result<StepReport, Error> {
        let rev = step.revision;
        let dir = step.direction;
        let missing = || Error::CodeMissing {
            revision: rev.id.clone(),
            path: rev.path.clone(),
        };
        let code = self.code.get(&rev.id).ok_or_else(missing)?;
        let function = match dir {
            Direction::Upgrade => code.upgrade,
            Direction::Downgrade => code.downgrade.ok_or_else(missing)?,
        };
        let line = rev.code.as_ref().map_or(0, |c| match dir {
            Direction::Upgrade => c.upgrade_line,
            Direction::Downgrade => c.downgrade_line.unwrap_or(0),
        });
        self.announce(db, step);
        let sum = rev.checksummed_text(dir, db.dialect()).map(checksum);
        let started = Instant::now();
        let mut entry = Store::entry(&rev.id, dir.name(), sum, 0);
        if group.is_none() {
            db.begin()?;
        }
        let outcome = if rendering {
            db.note(&format!(
                "{} of {} runs Rust code ({}:{}) on the data it reads: not shown",
                dir.name(),
                rev.id,
                rev.path,
                line
            ));
            Ok(0)
        } else {
            let mut handle = Db::new(db);
            function(&mut handle).map(|()| handle.statements())
        };
        match outcome {
            Ok(done) => {
                entry.finish(Outcome::Success, done, started, None);
                self.commit_step(db, step, &entry, group)?;
                Ok(StepReport {
                    revision: rev.id.clone(),
                    direction: dir,
                    statements: done,
                    duration: started.elapsed(),
                })
            }
            Err(error) => {
                entry.finish(Outcome::Failed, 0, started, Some(error.to_string()));
                self.record_failure(db, &entry, true);
                Err(Error::CodeFailed(Box::new(CodeFailure {
                    revision: rev.id.clone(),
                    path: rev.path.clone(),
                    direction: dir,
                    line,
                    error,
                    left_at: group.unwrap_or(&step.before).to_vec(),
                })))
            }
        }
    }

    /// Runs a step outside a transaction: recorded as in progress first and its progress after
    /// every statement, so that a failure or a crash can be resumed where it stopped.
    fn resumable(&self, db: &mut dyn Backend, run: &mut StepRun<'_>) -> Result<(), Error> {
        run.entry
            .finish(Outcome::InProgress, run.skip, run.started, None);
        self.store.record(db, &run.entry)?;
        for i in run.skip..run.statements.len() {
            if let Err(e) = db.run(&run.statements[i].sql) {
                return Err(self.failed(db, run, i, e));
            }
            run.entry
                .finish(Outcome::InProgress, i + 1, run.started, None);
            self.store.update(db, &run.entry)?;
        }
        db.begin()?;
        run.entry
            .finish(Outcome::Success, run.statements.len(), run.started, None);
        let recorded = self
            .store
            .replace_heads(db, &run.step.removed(), &run.step.added())
            .and_then(|()| self.store.update(db, &run.entry));
        if let Err(e) = recorded.and_then(|()| db.commit()) {
            let _ = db.rollback();
            return Err(e.into());
        }
        Ok(())
    }

    /// Records a failed step in the history: after rolling back its transaction when it ran in
    /// one (`atomic`), else over its in-progress row. A failure to record is only logged, so
    /// that the step's own error is the one reported.
    fn record_failure(&self, db: &mut dyn Backend, entry: &HistoryEntry, atomic: bool) {
        let recorded = if atomic {
            let _ = db.rollback();
            self.store.record(db, entry)
        } else {
            self.store.update(db, entry)
        };
        if let Err(record) = recorded {
            log::warn!(target: LOG_TARGET, "could not record the failure in {}: {record}", self.store.history_table());
        }
    }

    /// Records that statement `i` of a step failed, and the error that says what took effect.
    fn failed(
        &self,
        db: &mut dyn Backend,
        run: &mut StepRun<'_>,
        i: usize,
        e: BackendError,
    ) -> Error {
        let rev = run.step.revision;
        let atomic = rev.transactional && db.transactional_ddl();
        let took_effect = if atomic { 0 } else { i };
        run.entry.finish(
            Outcome::Failed,
            took_effect,
            run.started,
            Some(e.to_string()),
        );
        self.record_failure(db, &run.entry, atomic);
        let statement = &run.statements[i];
        Error::StepFailed(Box::new(StepFailure {
            revision: rev.id.clone(),
            path: rev.path.clone(),
            direction: run.step.direction,
            statement: i + 1,
            statements: run.statements.len(),
            line: statement.line,
            sql: statement.sql.clone(),
            message: e.to_string(),
            took_effect,
            left_at: run.group.unwrap_or(&run.step.before).to_vec(),
        }))
    }
}

/// One step being run: what it runs, where it is, and its history row.
struct StepRun<'r> {
    step: &'r Step<'r>,
    statements: Vec<Statement>,
    skip: usize,
    group: Option<&'r [String]>,
    entry: HistoryEntry,
    started: Instant,
}

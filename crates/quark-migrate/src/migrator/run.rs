//! Applying steps: each revision in its transaction with its bookkeeping where the database can
//! roll it back, else statement by statement with its progress recorded so it can be resumed.

use std::sync::Arc;
use std::time::Instant;

use log::{debug, info, warn};

use super::recover::effect;
use super::{Event, Migrator, Report, StepReport};
use crate::app::log_target;
use crate::backend::script::Script;
use crate::backend::{Backend, BackendError, BatchError};
use crate::error::{Error, StepFailure};
use crate::plan::Step;
use crate::revision::{Dialect, Direction, Effect, Statement};
use crate::store::{HistoryEntry, Outcome, Store};
use crate::telemetry;

/// What a run does with the database it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Applies every step to a live database.
    Apply,
    /// Writes what a connected database would run into a script; revisions written in Rust are
    /// shown as a comment, since their code works on data a script cannot read.
    Preview,
    /// Writes a script for a database the engine does not see; revisions written in Rust are
    /// refused before anything is written.
    Offline,
}

impl Migrator<'_> {
    /// Runs `steps` from the version-table rows `before`, in `mode`; `resume` is a step that
    /// stopped part-way, continued at its first unfinished statement.
    pub(super) fn run(
        &self,
        db: &mut dyn Backend,
        before: Vec<String>,
        steps: &[Step<'_>],
        resume: Option<&HistoryEntry>,
        mode: Mode,
    ) -> Result<Report, Error> {
        if mode == Mode::Apply {
            self.back_up_before(db, &before, steps)?;
        }
        let grouped = self.settings.single_transaction && self.can_group(db, steps, resume);
        let mut report = Report {
            before: before.clone(),
            after: before.clone(),
            steps: Vec::new(),
            replicated_by: None,
            held_back: Vec::new(),
        };
        if grouped {
            db.begin()?;
        }
        for step in steps {
            let resumed = resume
                .filter(|r| r.revision == step.revision.id && r.operation == step.direction.into());
            let skip = resumed.map_or(0, |r| r.statements_done);
            // The step left part-way has its in-progress row already: carried on, not doubled.
            let recorded = resumed.is_some_and(|r| r.outcome == Outcome::InProgress);
            let group = grouped.then_some(before.as_slice());
            let span = telemetry::revision(step);
            let started = Instant::now();
            let ran = span.in_scope(|| {
                if step.revision.code.is_some() {
                    self.run_code(db, step, group, mode)
                } else {
                    self.run_step(db, step, skip, recorded, group)
                }
            });
            telemetry::finish(&span, &ran, Error::kind);
            if mode == Mode::Apply && !self.scratch {
                telemetry::revision_finished(step, started.elapsed(), ran.is_ok());
            }
            let report_step = ran?;
            span.record("quark.statements", report_step.statements);
            self.settings.watch.tell(|| Event::StepFinished {
                revision: report_step.revision.clone(),
                direction: report_step.direction,
                statements: report_step.statements,
                duration: report_step.duration,
            });
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
                .settings
                .store
                .replace_heads(db, &removed, &added)
                .and_then(|()| db.commit());
            if let Err(e) = done {
                let _ = db.rollback();
                return Err(e.into());
            }
        }
        if mode == Mode::Apply && !steps.is_empty() && !self.scratch {
            self.record_schema(db, &report.after);
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
            log::warn!(target: log_target(), "One transaction per revision instead of a single one: {why}");
        }
        why_not.is_none()
    }

    /// Logs the step about to run, and marks it in a script.
    pub(super) fn announce(&self, db: &mut dyn Backend, step: &Step<'_>) {
        let rev = step.revision;
        let parents = rev.parents_label();
        let (from, to) = match (step.direction, &rev.checkpoint_of) {
            (_, Some((of, _))) => (parents, format!("{of} from checkpoint {}", rev.id)),
            (Direction::Upgrade, None) => (parents, rev.id.clone()),
            (Direction::Downgrade, None) => (rev.id.clone(), parents),
        };
        if self.scratch {
            debug!(target: log_target(), "(scratch) Running {} {from} -> {to}, {}", step.direction.name(), rev.message);
        } else {
            info!(target: log_target(), "Running {} {from} -> {to}, {}", step.direction.name(), rev.message);
        }
        db.note(format_args!(
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
        recorded: bool,
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
            info!(target: log_target(), "Resuming {} at statement {} of {}", rev.id, skip + 1, statements.len());
        }
        self.settings.watch.tell(|| Event::StepStarted {
            revision: rev.id.clone(),
            direction: step.direction,
            statements: statements.len(),
        });
        let sum = rev.checksum(step.direction, dialect);
        for statement in statements.iter().skip(skip) {
            debug!(target: log_target(), "{}:{}: {}", rev.path, statement.line, statement.sql);
        }
        let mut run = StepRun {
            entry: Store::entry(&rev.id, step.direction.into(), sum, statements.len()),
            step,
            statements,
            skip,
            recorded,
            group,
            started: Instant::now(),
            blocked_by: Vec::new(),
            attempts: 1,
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

    /// Runs a step in one transaction with its bookkeeping: the statements, the version-table
    /// update, the history row and the commit as one batch where the server can time it
    /// (PostgreSQL: one round trip), else the statements as one batch and the rest as another.
    /// In a group, a savepoint lets a failed batch be replayed without losing the steps before it. A statement that gave up waiting for another
    /// session's lock rolls the step back, which is tried again (not in a group).
    fn in_transaction(&self, db: &mut dyn Backend, run: &mut StepRun<'_>) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (i, e) = match self.try_in_transaction(db, run) {
                Ok(()) => return Ok(()),
                Err(Attempt::Done(e)) => return Err(e),
                Err(Attempt::Statement(i, e)) => (i, e),
            };
            if e.is_retryable() && run.group.is_none() {
                let _ = db.rollback();
                let what = format!("{} of {}", run.step.direction.name(), run.step.revision.id);
                let (again, holders) = self.wait_out_lock(db, &what, &e, attempt);
                if again {
                    continue;
                }
                run.blocked_by = holders;
                run.attempts = attempt;
            }
            return Err(self.failed(db, run, i, e));
        }
    }

    fn try_in_transaction(
        &self,
        db: &mut dyn Backend,
        run: &mut StepRun<'_>,
    ) -> Result<(), Attempt> {
        let dialect = db.dialect();
        let mut batch = match run.group {
            None => vec![dialect.begin()],
            Some(_) if db.tuning().locates_batch_failures => Vec::new(),
            Some(_) => vec!["SAVEPOINT quark_step"],
        };
        let first = batch.len();
        batch.extend(run.statements.iter().skip(run.skip).map(|s| s.sql.as_str()));
        // Where a batch is a round trip and the server can time it, the bookkeeping goes in
        // the same batch: one round trip per revision, as when running its SQL by hand.
        let book = match db.tuning().batch_elapsed_ms {
            Some(elapsed_ms) => {
                run.entry
                    .finish(Outcome::Success, run.statements.len(), run.started, None);
                let book = self
                    .bookkeeping(dialect, run.step, &run.entry, run.group, Some(elapsed_ms))
                    .map_err(|e| Attempt::Done(e.into()))?;
                Some(book)
            }
            None => None,
        };
        let last = batch.len();
        let book_statements = book.as_ref().map(Script::statements).unwrap_or_default();
        batch.extend(book_statements);
        let ran = telemetry::batch(last - first).in_scope(|| db.run_batch(&batch));
        match ran {
            Ok(()) if book.is_some() => return Ok(()),
            Ok(()) => {}
            Err(BatchError {
                index: Some(i),
                error,
            }) if i >= last => {
                let _ = db.rollback();
                return Err(Attempt::Done(error.into()));
            }
            Err(BatchError {
                index: Some(i),
                error,
            }) if i < first => {
                let _ = db.rollback();
                return Err(Attempt::Done(error.into()));
            }
            Err(BatchError {
                index: Some(i),
                error,
            }) => return Err(Attempt::Statement(run.skip + i - first, error)),
            Err(BatchError { index: None, .. }) => {
                // The driver cannot say which statement failed: find it by running them one by
                // one (the failed batch left no trace).
                let restart = if run.group.is_some() {
                    db.run("ROLLBACK TO SAVEPOINT quark_step")
                } else {
                    let _ = db.rollback();
                    db.begin()
                };
                restart.map_err(|e| Attempt::Done(e.into()))?;
                for i in run.skip..run.statements.len() {
                    if let Err(e) = db.run(&run.statements[i].sql) {
                        return Err(Attempt::Statement(i, e));
                    }
                }
            }
        }
        run.entry
            .finish(Outcome::Success, run.statements.len(), run.started, None);
        self.commit_step(db, run.step, &run.entry, run.group)
            .map_err(Attempt::Done)
    }

    /// Records a step that succeeded inside its transaction (the version table unless in a
    /// group, and the history row) and commits unless in a group: in one batch on a server,
    /// with bound parameters in process.
    pub(super) fn commit_step(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
        entry: &HistoryEntry,
        group: Option<&[String]>,
    ) -> Result<(), Error> {
        let recorded = in_one_batch(db, |db| self.record_step(db, step, entry, group, None));
        if let Err(e) = recorded {
            let _ = db.rollback();
            return Err(e.into());
        }
        Ok(())
    }

    /// The statements that record a step inside its transaction and commit it (unless in a
    /// group), its duration measured by the server with `elapsed_ms` when given.
    fn bookkeeping(
        &self,
        dialect: Dialect,
        step: &Step<'_>,
        entry: &HistoryEntry,
        group: Option<&[String]>,
        elapsed_ms: Option<&str>,
    ) -> Result<Script, BackendError> {
        let mut book = Script::new(dialect, []);
        self.record_step(&mut book, step, entry, group, elapsed_ms)?;
        Ok(book)
    }

    /// Records a step on `db` (the version table unless in a group, the history row) and
    /// commits unless in a group.
    fn record_step(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
        entry: &HistoryEntry,
        group: Option<&[String]>,
        elapsed_ms: Option<&str>,
    ) -> Result<(), BackendError> {
        if group.is_none() {
            self.settings
                .store
                .replace_heads(db, &step.removed(), &step.added())?;
        }
        self.record_revision(db, step)?;
        self.settings.store.record_timed(db, entry, elapsed_ms)?;
        if group.is_none() {
            db.commit()?;
        }
        Ok(())
    }

    /// Runs a step outside a transaction: recorded as in progress first and its progress after
    /// every statement, so that a failure or a crash can be resumed where it stopped. A
    /// statement that gave up waiting for another session's lock did not run: it is tried
    /// again after a pause.
    fn resumable(&self, db: &mut dyn Backend, run: &mut StepRun<'_>) -> Result<(), Error> {
        run.entry
            .finish(Outcome::InProgress, run.skip, run.started, None);
        if run.recorded {
            // The row an interrupted run left goes on: the history shows the step once.
            self.settings.store.update(db, &run.entry)?;
        } else {
            self.settings.store.record(db, &run.entry)?;
        }
        // A resumed step runs on a new session: the settings the skipped statements made first.
        for s in &run.statements[..run.skip] {
            if effect(&s.sql, db.dialect()) == Effect::Session {
                db.run(&s.sql)?;
            }
        }
        for i in run.skip..run.statements.len() {
            let data = effect(&run.statements[i].sql, db.dialect()) == Effect::Data;
            let statement = &run.statements[i];
            let _span =
                telemetry::statement(&statement.sql, db.dialect(), statement.line, i).entered();
            let mut attempt = 0;
            loop {
                attempt += 1;
                // A statement changing data commits with its progress: never half-known.
                let ran = if data {
                    run.entry
                        .finish(Outcome::InProgress, i + 1, run.started, None);
                    let sql = &run.statements[i].sql;
                    db.begin().and_then(|()| db.run(sql)).and_then(|()| {
                        self.settings
                            .store
                            .update(db, &run.entry)
                            .and_then(|()| db.commit())
                    })
                } else {
                    db.run(&run.statements[i].sql)
                };
                let e = match ran {
                    Ok(()) => break,
                    Err(e) => e,
                };
                if data {
                    let _ = db.rollback();
                    run.entry.finish(Outcome::InProgress, i, run.started, None);
                }
                if e.is_retryable() {
                    // What the interrupted statement may have left (PostgreSQL's invalid
                    // index of CREATE INDEX CONCURRENTLY) goes before it runs again.
                    match db.clean_up_interrupted(&run.statements[i].sql) {
                        Ok(Some(done)) => {
                            warn!(target: log_target(), "{}: {done}", run.step.revision.id)
                        }
                        Ok(None) => {}
                        Err(cleanup) => return Err(self.failed(db, run, i, cleanup)),
                    }
                    let what = format!(
                        "statement {} of {} of {} ({}:{})",
                        i + 1,
                        run.step.direction.name(),
                        run.step.revision.id,
                        run.step.revision.path,
                        run.statements[i].line
                    );
                    let (again, holders) = self.wait_out_lock(db, &what, &e, attempt);
                    if again {
                        continue;
                    }
                    run.blocked_by = holders;
                    run.attempts = attempt;
                }
                return Err(self.failed(db, run, i, e));
            }
            if !data {
                run.entry
                    .finish(Outcome::InProgress, i + 1, run.started, None);
                self.settings.store.update(db, &run.entry)?;
            }
            self.settings.watch.tell(|| Event::Progress {
                revision: run.step.revision.id.clone(),
                statements_done: i + 1,
                statements: run.statements.len(),
                rows: None,
                elapsed: run.started.elapsed(),
            });
        }
        run.entry
            .finish(Outcome::Success, run.statements.len(), run.started, None);
        // The version rows, the revision's record and the finished history row in one
        // transaction.
        let finish = |db: &mut dyn Backend| {
            db.begin()?;
            self.settings
                .store
                .replace_heads(db, &run.step.removed(), &run.step.added())?;
            self.record_revision(db, run.step)?;
            self.settings.store.update(db, &run.entry)?;
            db.commit()
        };
        if let Err(e) = in_one_batch(db, finish) {
            let _ = db.rollback();
            return Err(e.into());
        }
        Ok(())
    }

    /// Records a failed step in the history: after rolling back its transaction when it ran in
    /// one (`atomic`), else over its in-progress row. A failure to record is only logged, so
    /// that the step's own error is the one reported.
    pub(super) fn record_failure(&self, db: &mut dyn Backend, entry: &HistoryEntry, atomic: bool) {
        let recorded = if atomic {
            let _ = db.rollback();
            self.settings.store.record(db, entry)
        } else {
            self.settings.store.update(db, entry)
        };
        if let Err(record) = recorded {
            log::warn!(target: log_target(), "could not record the failure in {}: {record}", self.settings.store.history_table());
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
            source: Some(Arc::new(e)),
            blocked_by: std::mem::take(&mut run.blocked_by),
            attempts: run.attempts,
            took_effect,
            left_at: run.group.unwrap_or(&run.step.before).to_vec(),
        }))
    }
}

/// How an attempt at a step ended, when it did not succeed.
enum Attempt {
    /// Statement `.0` failed with the database's error `.1`, not recorded yet.
    Statement(usize, BackendError),
    /// Anything else, already dealt with.
    Done(Error),
}

/// One step being run: what it runs, where it is, and its history row.
struct StepRun<'r> {
    step: &'r Step<'r>,
    statements: Vec<Statement>,
    skip: usize,
    /// Whether the step's in-progress row is in the history already (an interrupted run's).
    recorded: bool,
    group: Option<&'r [String]>,
    entry: HistoryEntry,
    started: Instant,
    /// The sessions that held the lock its last statement gave up waiting for.
    blocked_by: Vec<String>,
    /// How many times it was tried.
    attempts: u32,
}

/// Runs the bookkeeping `write` sends: on `db` itself in process (bound parameters, each
/// statement compiled once per run: no round trip to save), else written out as one batch, one
/// round trip on a server.
fn in_one_batch(
    db: &mut dyn Backend,
    write: impl FnOnce(&mut dyn Backend) -> Result<(), BackendError>,
) -> Result<(), BackendError> {
    if db.tuning().in_process {
        return write(db);
    }
    let mut book = Script::new(db.dialect(), []);
    write(&mut book)?;
    db.run_batch(&book.statements()).map_err(|e| e.error)
}

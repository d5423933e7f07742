//! Steps of revisions written in Rust: their function and their bookkeeping in one transaction.

use std::time::Instant;

use super::run::Mode;
use super::{Event, Migrator, StepReport};
use crate::backend::Backend;
use crate::code::Db;
use crate::error::{CodeFailure, Error};
use crate::plan::Step;
use crate::revision::Direction;
use crate::store::{Outcome, Store};

impl Migrator<'_> {
    /// Runs a step of a revision written in Rust: its function, then its bookkeeping, in one
    /// transaction on every backend (in a group, inside the group's). When writing a preview,
    /// the code is not run (it works on data a script cannot read): a comment says so.
    pub(super) fn run_code(
        &self,
        db: &mut dyn Backend,
        step: &Step<'_>,
        group: Option<&[String]>,
        mode: Mode,
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
        let sum = rev.checksum(dir, db.dialect());
        let started = Instant::now();
        let mut entry = Store::entry(&rev.id, dir.into(), sum, 0);
        if group.is_none() {
            db.begin()?;
        }
        let outcome = if mode != Mode::Apply {
            db.note(format_args!(
                "{} of {} runs Rust code ({}:{}) on the data it reads: not shown",
                dir.name(),
                rev.id,
                rev.path,
                line
            ));
            Ok(0)
        } else {
            self.settings.watch.tell(|| Event::StepStarted {
                revision: rev.id.clone(),
                direction: dir,
                statements: 0,
            });
            let mut handle = Db::watched(db, &rev.id, &self.settings.watch, started);
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
}

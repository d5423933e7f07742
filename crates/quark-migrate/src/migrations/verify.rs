//! A verify-only start, for an application whose role may not change the schema: it checks that
//! the database is at this binary's heads (or compatibly ahead, as a rolling deploy leaves it),
//! waits a bounded time for a migrator running elsewhere, and otherwise fails naming what is
//! missing. It reads the engine's tables and looks at the migration lock; it never writes, never
//! takes the lock, and never runs DDL.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use super::{Migrations, Status};
use crate::app::log_target;
use crate::backend::waiting::{Try, wait_until};
use crate::backend::{self, Backend, Database};
use crate::error::Error;
use crate::migrator::Standing;
use crate::plan::describe;
use crate::url::DatabaseUrl;

/// What a verify-only start found: the database ready for this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The version table's rows.
    pub current: Vec<String>,
    /// Revisions a newer release applied that this binary does not embed, oldest first (empty
    /// unless the database is compatibly ahead).
    pub newer: Vec<String>,
    /// How long it waited for a migrator to finish.
    pub waited: Duration,
}

/// What one look at the database found.
enum Look {
    /// At this binary's heads, or compatibly ahead.
    Ready {
        current: Vec<String>,
        newer: Vec<String>,
    },
    /// Below them, or left part-way: a migrator must run.
    Behind(Status),
}

impl Migrations {
    /// Connects to `url` with a session that cannot write where the database enforces it, and
    /// checks that the database is ready for this binary, as [`Migrations::verify_connection`]
    /// does: the start-up call of an application whose role may not change the schema.
    pub fn verify(&self, url: &str) -> Result<Verified, Error> {
        self.verify_url(&DatabaseUrl::parse(url)?)
    }

    /// [`Migrations::verify`] of a parsed URL.
    pub fn verify_url(&self, url: &DatabaseUrl) -> Result<Verified, Error> {
        let options = backend::ConnectOptions {
            read_only: true,
            ..self.connect_options()
        };
        let mut db = backend::connect(url, &options)?;
        self.verify_connection(&mut db)
    }

    /// Checks that `db` is at this binary's heads (or ahead of them by revisions a newer release
    /// applied, none of them `Breaking:`, as [`Migrations::upgrade`] accepts), reading only the
    /// engine's tables: no lock taken, nothing written, no DDL. Below head, it waits up to
    /// [`Migrations::verify_wait`] for a migrator running elsewhere to bring it there, looking
    /// at the version table and the migration lock; then it fails with
    /// [`Error::NotMigrated`], naming the missing revisions and the command that applies them.
    /// Applied revisions whose SQL changed fail at once ([`Error::Drift`]), as an upgrade would.
    pub fn verify_connection<D: Database + ?Sized>(&self, db: &mut D) -> Result<Verified, Error> {
        let _app = self.app.scope();
        let mut session = db.session()?;
        let db = session.backend();
        let start = Instant::now();
        let timeout = self.settings.verify_wait;
        let last: RefCell<Option<Status>> = RefCell::new(None);
        let announce = |holder: &Option<String>| {
            if timeout.is_zero() {
                return;
            }
            if let Some(status) = last.borrow().as_ref() {
                log::warn!(
                    target: log_target(),
                    "Waiting up to {}s for a migrator to bring the database to this binary's heads: it is at {}, {} missing; {}",
                    timeout.as_secs(),
                    describe(&status.current),
                    describe(&status.pending),
                    holder.as_ref().map_or_else(
                        || "no migrator holds the migration lock yet".to_string(),
                        |h| format!("a migrator is running ({h})")
                    )
                );
            }
        };
        let outcome = wait_until("the database to be migrated", timeout, announce, |shown| {
            let look = match self.look(db) {
                Ok(look) => look,
                Err(e) => return Ok(Try::Got(Err(e))),
            };
            match look {
                Look::Ready { current, newer } => Ok(Try::Got(Ok(Verified {
                    current,
                    newer,
                    waited: start.elapsed(),
                }))),
                Look::Behind(status) => {
                    *last.borrow_mut() = Some(status);
                    if !shown {
                        return Ok(Try::Held(None));
                    }
                    match reading(db, |db| self.migrator()?.lock_holder(db)) {
                        Ok(holder) => Ok(Try::Held(holder)),
                        Err(e) => Ok(Try::Got(Err(e))),
                    }
                }
            }
        })?;
        match outcome {
            Ok(Ok(verified)) => {
                reading(db, |db| self.drift_at_start(db, &verified.current))?;
                Ok(verified)
            }
            Ok(Err(e)) => Err(e),
            Err(gave_up) => {
                let status = last.into_inner().unwrap_or_else(|| Status {
                    current: Vec::new(),
                    pending: Vec::new(),
                    drift: Vec::new(),
                    interrupted: None,
                    newer: Vec::new(),
                });
                Err(Error::NotMigrated {
                    current: status.current,
                    missing: status.pending,
                    interrupted: status.interrupted.map(|e| e.revision),
                    waited: gave_up.waited,
                    holder: gave_up.holder,
                })
            }
        }
    }

    /// One look at where `db` stands, read without the lock, in transactions that may only
    /// read (which PostgreSQL enforces, DDL included).
    fn look(&self, db: &mut dyn Backend) -> Result<Look, Error> {
        let status = match reading(db, |db| Ok(self.status_at_head(db)))? {
            Some(status) => status,
            // A second transaction: on PostgreSQL the first is aborted by a missing table.
            None => reading(db, |db| self.status_in_full(db))?,
        };
        if !status.drift.is_empty() && !self.settings.ignore_drift {
            return Err(Error::Drift(status.drift));
        }
        if status.is_ahead() {
            // Accepted as an upgrade to head accepts it: no `Breaking:` revision, every record
            // vouched for where this release signs them, newer schemas not refused.
            let migrator = self.migrator()?;
            if let Standing::Ahead(ahead) = reading(db, |db| migrator.standing(db))? {
                migrator.accept_ahead(&ahead)?;
            }
            return Ok(Look::Ready {
                current: status.current,
                newer: status.newer,
            });
        }
        if status.pending.is_empty() && status.interrupted.is_none() {
            return Ok(Look::Ready {
                current: status.current,
                newer: Vec::new(),
            });
        }
        Ok(Look::Behind(status))
    }
}

/// Runs `f` in a transaction that may only read, rolled back after.
fn reading<T>(
    db: &mut dyn Backend,
    f: impl FnOnce(&mut dyn Backend) -> Result<T, Error>,
) -> Result<T, Error> {
    db.run(db.dialect().begin_read_only())?;
    let result = f(db);
    let ended = db.rollback();
    let value = result?;
    ended?;
    Ok(value)
}

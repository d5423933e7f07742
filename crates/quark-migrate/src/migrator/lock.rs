//! The migration lock a run holds while it writes: the server's own on the session, or where a
//! session's lock keeps nobody out, a leased row of the lock table; released on every path out.

use std::time::Duration;

use log::info;

use super::fenced::Fenced;
use super::{Migrator, lease};
use crate::app::log_target;
use crate::backend::Backend;
use crate::backend::waiting::{Try, wait_for_lock};
use crate::error::Error;

/// How long a migration lock kept in a table stays with a holder that stopped renewing it
/// (see [`Migrator::lock_lease`]).
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(15);

/// The migration lock a run holds.
enum Held {
    /// None (`use_lock(false)`).
    Nothing,
    /// The server's lock on the migrating session.
    Session,
    /// A row of the lock table, renewed while held.
    Lease(lease::Lease),
}

/// Puts the session back when dropped, on every path out, panics included: a panic rolls back
/// the transaction it interrupted, the session's own settings come back, and the migration lock
/// is released.
struct LockGuard<'a> {
    db: &'a mut dyn Backend,
    held: Held,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.db.rollback();
        }
        if let Err(e) = self.db.migration_session(None) {
            log::warn!(target: log_target(), "{e}");
        }
        let released = match std::mem::replace(&mut self.held, Held::Nothing) {
            Held::Nothing => Ok(()),
            Held::Session => self.db.unlock(),
            Held::Lease(lease) => lease.release(self.db),
        };
        if let Err(e) = released {
            log::warn!(target: log_target(), "could not release the migration lock: {e}");
        }
    }
}

impl Migrator<'_> {
    /// Runs `f` holding the migration lock, with the version tables in place; refused before
    /// anything is written on a server that takes no writes.
    pub(super) fn locked<T>(
        &self,
        db: &mut dyn Backend,
        f: impl FnOnce(&mut dyn Backend) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let held = self.lock(db)?;
        let guard = LockGuard { db, held };
        guard.db.migration_session(Some(&self.session_settings()))?;
        match &guard.held {
            // Under a lease, every statement and commit of the run is fenced by it, the
            // engine's own tables made first included: a holder paused in that transaction
            // past its lease commits none of it.
            Held::Lease(lease) => {
                let mut fenced = Fenced {
                    fence: lease.fence(),
                    inner: &mut *guard.db,
                };
                self.settings.store.ensure(&mut fenced)?;
                f(&mut fenced)
            }
            _ => {
                self.settings.store.ensure(guard.db)?;
                f(guard.db)
            }
        }
    }

    /// Makes the engine's tables that are missing (a database a release before them left), under
    /// the migration lock.
    pub(crate) fn ensure_tables(&self, db: &mut dyn Backend) -> Result<(), Error> {
        self.locked(db, |_| Ok(()))
    }

    /// Who holds the migration lock, looked at without taking it or writing anything (an
    /// application's role may have no right to either): `None` when nobody does.
    pub(crate) fn lock_holder(&self, db: &mut dyn Backend) -> Result<Option<String>, Error> {
        let store = &self.settings.store;
        Ok(match db.facts()?.session_lock_unsafe {
            None => db.lock_holder(store.version_table()),
            Some(_) => lease::holder(db, &store.lock_table())?,
        })
    }

    /// Takes the migration lock the server allows: its own on the session, or where a session's
    /// lock keeps nobody out (a Galera cluster, a transaction pooler), a leased row of the lock
    /// table.
    fn lock(&self, db: &mut dyn Backend) -> Result<Held, Error> {
        if self.scratch {
            return Ok(Held::Nothing);
        }
        let facts = db.facts()?;
        if let Some(reason) = facts.read_only {
            return Err(Error::ReadOnly {
                node: facts.node,
                reason,
            });
        }
        if !self.settings.use_lock {
            return Ok(Held::Nothing);
        }
        let Some(why) = &facts.session_lock_unsafe else {
            let name = self.settings.store.version_table();
            wait_for_lock(&facts.node, self.settings.lock_timeout, |shown| {
                Ok(match db.try_lock(name)? {
                    true => Try::Got(()),
                    false => Try::Held(if shown { db.lock_holder(name) } else { None }),
                })
            })?;
            return Ok(Held::Session);
        };
        info!(target: log_target(), "Keeping the migration lock in the table {}: {why}", self.settings.store.lock_table());
        let lease = lease::Lease::acquire(
            db,
            &self.settings.store.lock_table(),
            &facts,
            self.settings.lock_timeout,
            self.settings.lock_lease,
        )?;
        Ok(Held::Lease(lease))
    }
}

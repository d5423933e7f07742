//! A migration never makes the application wait behind it for long: each statement waits a
//! short while for a lock another session holds, then gives up without taking effect, and the
//! revision is tried again after a pause, a bounded number of times, naming who held the lock.

use std::time::Duration;

use log::warn;

use super::Migrator;
use crate::app::log_target;
use crate::backend::{Backend, BackendError};

/// How long a statement of a migration waits for another session's lock, and how often a
/// revision that gave up waiting is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockWait {
    /// The wait for one statement (PostgreSQL `lock_timeout`, MySQL `lock_wait_timeout`).
    pub timeout: Duration,
    /// How many times a revision is tried again after a statement gave up waiting.
    pub retries: u32,
}

impl Default for LockWait {
    fn default() -> LockWait {
        LockWait {
            timeout: Duration::from_secs(5),
            retries: 5,
        }
    }
}

impl Migrator<'_> {
    /// After `attempt` tries of `what` ended waiting for a lock: whether to try again. Logs the
    /// sessions holding locks, then pauses (0.5 s, doubling, at most 8 s) before a retry; the
    /// holders are returned for the message of the last failure.
    pub(super) fn wait_out_lock(
        &self,
        db: &mut dyn Backend,
        what: &str,
        error: &BackendError,
        attempt: u32,
    ) -> (bool, Vec<String>) {
        let (why, holders) = if error.is_lock_wait() {
            let holders = db.lock_holders();
            let held = if holders.is_empty() {
                "another session".to_string()
            } else {
                holders.join("; ")
            };
            let why = format!(
                "waited {:?} for a lock held by {held}",
                self.settings.lock_wait.timeout
            );
            (why, holders)
        } else {
            // A deadlock victim or a Galera certification failure: rolled back, nothing waited.
            let why = format!("was rolled back by a conflict with another transaction ({error})");
            (why, Vec::new())
        };
        if attempt > self.settings.lock_wait.retries {
            warn!(target: log_target(), "{what} {why}; giving up after {attempt} attempts");
            return (false, holders);
        }
        let pause = Duration::from_millis(500 * (1 << attempt.saturating_sub(1).min(4)));
        warn!(target: log_target(), "{what} {why}; trying again in {pause:?} (attempt {} of {})", attempt.saturating_add(1), self.settings.lock_wait.retries.saturating_add(1));
        let span = crate::telemetry::lock_wait(what);
        span.record("quark.holder", why.as_str());
        span.in_scope(|| std::thread::sleep(pause));
        (true, holders)
    }
}

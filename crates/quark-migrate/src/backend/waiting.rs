//! The one loop that waits for the migration lock, whatever holds it: a session lock of the
//! server, SQLite's lock file, or a leased row of the lock table. A driver only says whether one
//! try took the lock; the wait, its pauses, its one warning and its timeout are written here.

use std::time::{Duration, Instant};

use super::{BackendError, held_by};

/// What one try for the lock found.
pub(crate) enum Try<T> {
    /// The lock was taken.
    Got(T),
    /// Another migrator holds it: described for a message, when that is known.
    Held(Option<String>),
}

/// The first pause between tries, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// Tries `attempt` until it takes the lock on `place`, or `timeout` has passed: pauses doubling
/// from 5 ms to 250 ms between tries, one warning naming the holder when it first has to wait,
/// and [`BackendError::LockTimeout`] naming where and who at the end. `attempt` is told whether
/// its answer will be shown (to describe the holder only then).
pub(crate) fn wait_for_lock<T>(
    place: &str,
    timeout: Duration,
    mut attempt: impl FnMut(bool) -> Result<Try<T>, BackendError>,
) -> Result<T, BackendError> {
    let start = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut first_holder: Option<Option<String>> = None;
    loop {
        let shown = first_holder.is_none();
        let holder = match attempt(shown)? {
            Try::Got(got) => return Ok(got),
            Try::Held(holder) => holder,
        };
        if first_holder.is_none() {
            log::warn!(
                target: crate::app::log_target(),
                "Waiting up to {}s for the migration lock on {place}: {}",
                timeout.as_secs(),
                held_by(&holder)
            );
            first_holder = Some(holder);
        }
        if start.elapsed() >= timeout {
            let last = match attempt(true)? {
                Try::Got(got) => return Ok(got),
                Try::Held(holder) => holder,
            };
            return Err(BackendError::LockTimeout {
                target: place.to_string(),
                waited: start.elapsed(),
                holder: last.or(first_holder.flatten()),
            });
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_lock_once_it_is_free_and_names_the_holder_when_it_never_is() {
        let mut tries = 0;
        let got = wait_for_lock("db", Duration::from_secs(5), |_| {
            tries += 1;
            Ok(if tries < 4 {
                Try::Held(None)
            } else {
                Try::Got(tries)
            })
        });
        assert_eq!(got.unwrap(), 4);
        let mut described = Vec::new();
        let err = wait_for_lock::<()>("db", Duration::from_millis(30), |shown| {
            described.push(shown);
            Ok(Try::Held(shown.then(|| "pid 7".to_string())))
        })
        .unwrap_err();
        match err {
            BackendError::LockTimeout {
                target,
                holder,
                waited,
            } => {
                assert_eq!((target.as_str(), holder.as_deref()), ("db", Some("pid 7")));
                assert!(waited >= Duration::from_millis(30));
            }
            other => panic!("{other}"),
        }
        assert!(
            described[0] && *described.last().unwrap(),
            "asked to describe first and last"
        );
        assert!(
            described[1..described.len() - 1].iter().all(|s| !s),
            "not in between"
        );
    }
}

//! The one loop that waits on another migrator, whatever it holds: the migration lock (a
//! session lock of the server, SQLite's lock file, a leased row of the lock table) for a
//! migrator that wants it, the database's version for an application that waits for it to be
//! migrated ([`wait_until`]). A caller only says what one look found; the pauses, the one
//! announcement and the timeout are written here.

use std::time::{Duration, Instant};

use super::{BackendError, held_by};

/// What one try for the lock found.
pub(crate) enum Try<T> {
    /// The lock was taken (or what was waited for has happened).
    Got(T),
    /// Another migrator holds it (or has not finished): described for a message, when that is
    /// known.
    Held(Option<String>),
}

/// The first pause between tries, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// Why [`wait_until`] gave up: how long it waited, and what held it up, last described.
#[derive(Debug)]
pub(crate) struct GaveUp {
    /// How long it waited.
    pub waited: Duration,
    /// What held it up, as last described (the first description when the last had none).
    pub holder: Option<String>,
}

/// Looks with `attempt` until it finds `what` it waits for, or `timeout` has passed: pauses
/// doubling from 5 ms to 250 ms between looks, `announce` told what held it up the first time
/// it has to wait (once), and one last look at the end. `attempt` is told whether its answer
/// will be shown (to describe the holder only then: first and last).
pub(crate) fn wait_until<T>(
    what: &str,
    timeout: Duration,
    announce: impl FnOnce(&Option<String>),
    mut attempt: impl FnMut(bool) -> Result<Try<T>, BackendError>,
) -> Result<Result<T, GaveUp>, BackendError> {
    let start = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut announce = Some(announce);
    let mut first_holder: Option<Option<String>> = None;
    // Entered from the first time it has to wait until it returns.
    let mut _waiting = None;
    loop {
        let shown = first_holder.is_none();
        let holder = match attempt(shown)? {
            Try::Got(got) => return Ok(Ok(got)),
            Try::Held(holder) => holder,
        };
        if let Some(announce) = announce.take() {
            announce(&holder);
            let span = crate::telemetry::lock_wait(what);
            if let Some(holder) = &holder {
                span.record("quark.holder", holder.as_str());
            }
            _waiting = Some(span.entered());
            first_holder = Some(holder);
        }
        if start.elapsed() >= timeout {
            let last = match attempt(true)? {
                Try::Got(got) => return Ok(Ok(got)),
                Try::Held(holder) => holder,
            };
            return Ok(Err(GaveUp {
                waited: start.elapsed(),
                holder: last.or(first_holder.flatten()),
            }));
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Tries `attempt` until it takes the migration lock on `place`, or `timeout` has passed
/// ([`wait_until`]), with one warning naming the holder when it first has to wait and
/// [`BackendError::LockTimeout`] naming where and who at the end.
pub(crate) fn wait_for_lock<T>(
    place: &str,
    timeout: Duration,
    attempt: impl FnMut(bool) -> Result<Try<T>, BackendError>,
) -> Result<T, BackendError> {
    let announce = |holder: &Option<String>| {
        log::warn!(
            target: crate::app::log_target(),
            "Waiting up to {}s for the migration lock on {place}: {}",
            timeout.as_secs(),
            held_by(holder)
        )
    };
    wait_until(place, timeout, announce, attempt)?.map_err(|gave_up| BackendError::LockTimeout {
        target: place.to_string(),
        waited: gave_up.waited,
        holder: gave_up.holder,
    })
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

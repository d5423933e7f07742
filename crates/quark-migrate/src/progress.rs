//! What a run reports as it goes: a step starting, its progress (statements done, and rows for
//! a data revision), a step finished. The command line shows them as a live line on a terminal
//! and as log lines elsewhere; an application hands its own observer to
//! [`crate::Migrations::observe`] and puts them in its logs or metrics.

use std::sync::Arc;
use std::time::Duration;

use crate::revision::Direction;

/// One thing a run reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A step starts.
    StepStarted {
        /// The revision.
        revision: String,
        /// Which way.
        direction: Direction,
        /// Its statements (0 for a revision written in Rust, which says how far it is itself).
        statements: usize,
    },
    /// A step is under way.
    Progress {
        /// The revision.
        revision: String,
        /// Statements done so far.
        statements_done: usize,
        /// Statements in the step.
        statements: usize,
        /// For a data revision, the rows done so far and the rows in all, when it knows them.
        rows: Option<(u64, Option<u64>)>,
        /// Time since the step started.
        elapsed: Duration,
    },
    /// A step finished.
    StepFinished {
        /// The revision.
        revision: String,
        /// Which way.
        direction: Direction,
        /// Statements run.
        statements: usize,
        /// How long it took.
        duration: Duration,
    },
}

impl Event {
    /// For progress, the time still to go at the pace so far, where the total is known.
    pub fn remaining(&self) -> Option<Duration> {
        let Event::Progress {
            statements_done,
            statements,
            rows,
            elapsed,
            ..
        } = self
        else {
            return None;
        };
        let (done, total) = match rows {
            Some((done, Some(total))) => (*done as f64, *total as f64),
            Some((_, None)) => return None,
            None => (*statements_done as f64, *statements as f64),
        };
        // Not past what a Duration holds, however slow the pace so far.
        (done > 0.0 && total >= done)
            .then(|| Duration::try_from_secs_f64(elapsed.as_secs_f64() * ((total - done) / done)))
            .map(|left| left.unwrap_or(Duration::MAX))
    }
}

/// Hears a run's events.
pub trait Observer: Send + Sync {
    /// Called for each event, on the migrating thread: keep it quick.
    fn event(&self, event: &Event);
}

impl<F: Fn(&Event) + Send + Sync> Observer for F {
    fn event(&self, event: &Event) {
        self(event)
    }
}

/// A run's observer, if any.
#[derive(Clone, Default)]
pub(crate) struct Watch(Option<Arc<dyn Observer>>);

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Watch(observed)"
        } else {
            "Watch(none)"
        })
    }
}

impl Watch {
    /// Watched by `observer`.
    pub(crate) fn new(observer: Arc<dyn Observer>) -> Watch {
        Watch(Some(observer))
    }

    /// Whether anyone listens.
    pub(crate) fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Tells the observer, if any, of `event` (built only when someone listens).
    pub(crate) fn tell(&self, event: impl FnOnce() -> Event) {
        if let Some(observer) = &self.0 {
            observer.event(&event());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_saturates_instead_of_overflowing() {
        let progress = |rows, elapsed| Event::Progress {
            revision: "r1".into(),
            statements_done: 0,
            statements: 1,
            rows: Some(rows),
            elapsed,
        };
        let slow = progress((1, Some(u64::MAX)), Duration::from_secs(3600));
        assert_eq!(slow.remaining(), Some(Duration::MAX));
        let half = progress((50, Some(100)), Duration::from_secs(10));
        assert_eq!(half.remaining(), Some(Duration::from_secs(10)));
        assert_eq!(progress((0, Some(100)), Duration::ZERO).remaining(), None);
    }
}

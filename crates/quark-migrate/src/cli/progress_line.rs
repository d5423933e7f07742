//! How far a step is, for a person: a live line on a terminal, log lines elsewhere.

use super::shown::{ID, shown};
use crate::migrator::{Event, Observer};

/// How far a step is, for a person: on a terminal a live line on stderr, redrawn in place;
/// elsewhere (or with `--format json`) a log line at most every `interval`.
pub struct ProgressLine {
    live: bool,
    interval: std::time::Duration,
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl ProgressLine {
    /// A live line when `live`, log lines at most every `interval` otherwise.
    pub fn new(live: bool, interval: std::time::Duration) -> ProgressLine {
        ProgressLine {
            live,
            interval,
            last: std::sync::Mutex::new(None),
        }
    }
}

/// What a progress event says, in words: `1664300cb03a: 230000 of 1000000 rows (23%), 4.1s,
/// about 13s left`.
pub fn progress_text(event: &Event) -> Option<String> {
    let Event::Progress {
        revision,
        statements_done,
        statements,
        rows,
        elapsed,
    } = event
    else {
        return None;
    };
    let done = match rows {
        Some((done, Some(total))) if *total > 0 => {
            let percent = u128::from(*done) * 100 / u128::from(*total);
            format!("{done} of {total} rows ({percent}%)")
        }
        Some((done, _)) => format!("{done} rows"),
        None => format!("statement {statements_done} of {statements}"),
    };
    let left = event
        .remaining()
        .map(|r| format!(", about {:.0}s left", r.as_secs_f64().ceil()))
        .unwrap_or_default();
    Some(format!(
        "{}: {done}, {:.1}s{left}",
        shown(revision, ID),
        elapsed.as_secs_f64()
    ))
}

impl Observer for ProgressLine {
    fn event(&self, event: &Event) {
        if self.live {
            match event {
                Event::Progress { .. } => {
                    if let Some(text) = progress_text(event) {
                        eprint!("\r\x1b[2K  {text}");
                    }
                }
                Event::StepFinished { .. } => eprint!("\r\x1b[2K"),
                _ => {}
            }
            return;
        }
        let Some(text) = progress_text(event) else {
            if matches!(event, Event::StepFinished { .. }) {
                *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            return;
        };
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        let due = match *last {
            None => event_elapsed(event) >= self.interval,
            Some(at) => now.duration_since(at) >= self.interval,
        };
        if due {
            *last = Some(now);
            log::info!(target: crate::app::log_target(), "{text}");
        }
    }
}

/// Time since the step of a progress event started.
fn event_elapsed(event: &Event) -> std::time::Duration {
    match event {
        Event::Progress { elapsed, .. } => *elapsed,
        _ => std::time::Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_row_counts_give_a_percentage_without_overflowing() {
        let progress = Event::Progress {
            revision: "r1".into(),
            statements_done: 0,
            statements: 1,
            rows: Some((u64::MAX, Some(u64::MAX))),
            elapsed: std::time::Duration::from_secs(1),
        };
        assert!(progress_text(&progress).unwrap().contains("(100%)"));
    }
}

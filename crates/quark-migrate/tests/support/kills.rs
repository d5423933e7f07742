//! Fault tests that kill a process at random moments: how many trials, when to kill, and how
//! many kills must land where the test means them to. Shared by the engine's tests and quark's
//! (`#[path]`).

#![allow(dead_code)]

/// How many trials a fault test runs: `variable` when set, else `ci` under CI and `local` here.
pub fn trials(variable: &str, ci: usize, local: usize) -> usize {
    match std::env::var(variable) {
        Ok(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("{variable} is a number")),
        Err(_) if std::env::var_os("CI").is_some() => ci,
        Err(_) => local,
    }
}

/// Delays before a kill: the replayed ones (`QUARK_CRASH_DELAYS_MS=ms,ms,...`), or `trials`
/// uniform over the length of a clean run.
pub fn kill_delays(clean: std::time::Duration, trials: usize) -> Vec<std::time::Duration> {
    use std::time::Duration;
    if let Ok(list) = std::env::var("QUARK_CRASH_DELAYS_MS") {
        return list
            .split(',')
            .map(|ms| Duration::from_millis(ms.trim().parse().expect("milliseconds")))
            .collect();
    }
    (0..trials)
        .map(|_| {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).unwrap();
            clean.mul_f64(u64::from_le_bytes(bytes) as f64 / u64::MAX as f64)
        })
        .collect()
}

/// The kill moments of a fault test, and the count of kills that landed where the test needs
/// them (inside a revision): `trials` delays drawn uniformly over a measured clean run (or the
/// replayed `QUARK_CRASH_DELAYS_MS`); while fewer than `wanted` kills have landed, more are drawn
/// the same way, up to four times `trials` in all, so that the share asserted at the end
/// ([`Kills::assert_landed`]) rests on the draws, not on the luck of a few.
pub struct Kills {
    clean: std::time::Duration,
    trials: usize,
    wanted: usize,
    delays: Vec<std::time::Duration>,
    replayed: bool,
    next: usize,
    landed: usize,
}

impl Kills {
    /// `trials` kills over a clean run of `clean`, of which at least a third (at least one) must
    /// land where the test needs them.
    pub fn new(clean: std::time::Duration, trials: usize) -> Kills {
        let replayed = std::env::var_os("QUARK_CRASH_DELAYS_MS").is_some();
        Kills {
            clean,
            trials,
            wanted: trials.div_ceil(3).max(1),
            delays: kill_delays(clean, trials),
            replayed,
            next: 0,
            landed: 0,
        }
    }

    /// The next trial's number and delay before its kill; `None` when done.
    pub fn next(&mut self) -> Option<(usize, std::time::Duration)> {
        if self.next == self.delays.len()
            && !self.replayed
            && self.landed < self.wanted
            && self.delays.len() < 4 * self.trials
        {
            self.delays.extend(kill_delays(self.clean, 1));
        }
        let delay = *self.delays.get(self.next)?;
        self.next += 1;
        Some((self.next - 1, delay))
    }

    /// Counts the last kill as landed where the test needs it when `landed`.
    pub fn landed(&mut self, landed: bool) {
        self.landed += usize::from(landed);
    }

    /// How many kills ran, and how many of them landed.
    pub fn counts(&self) -> (usize, usize) {
        (self.next, self.landed)
    }

    /// Fails unless at least `wanted` of the kills landed `where_`; a replay (a chosen few
    /// delays, to reproduce a failure) only says how many did.
    pub fn assert_landed(&self, case: &str, where_: &str) {
        let (kills, landed) = self.counts();
        let said = format!(
            "{case}: {landed} of {kills} kills over a clean run of {} ms landed {where_}",
            self.clean.as_millis()
        );
        if self.replayed {
            eprintln!("{said} (replayed delays: not asserted)");
            return;
        }
        assert!(
            landed >= self.wanted,
            "{said}; at least {} must, or the test does not test what it says",
            self.wanted
        );
        eprintln!("{said}");
    }
}

/// How a child process ended: by the SIGKILL sent to it (`true`), or by itself first.
pub fn killed(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    const SIGKILL: i32 = 9;
    status.signal() == Some(SIGKILL)
}

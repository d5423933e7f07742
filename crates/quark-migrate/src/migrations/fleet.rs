//! Many databases in one run, several at a time: each upgraded under its own lock, a failure
//! stopping none of the others.

use std::time::Duration;

use super::Migrations;
use crate::error::Error;
use crate::migrator::Report;
use crate::url::DatabaseUrl;

/// One database of a run over many ([`Migrations::migrate_all`]).
#[derive(Debug)]
pub struct FleetResult {
    /// The database's URL, its password masked.
    pub database: String,
    /// What the upgrade did, or why it failed.
    pub outcome: Result<Report, Error>,
    /// How long it took, connecting included.
    pub duration: Duration,
}

impl Migrations {
    /// Upgrades every database of `urls` to head, `jobs` at a time (each under its own lock, as
    /// [`Migrations::migrate`]): a database that fails does not stop the others. `done` hears of
    /// each as it finishes (how many are done, and the result); the results come back in the
    /// order of `urls`.
    pub fn migrate_all(
        &self,
        urls: &[String],
        jobs: usize,
        done: impl Fn(usize, &FleetResult) + Sync,
    ) -> Vec<FleetResult> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<FleetResult>>> =
            urls.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, urls.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(url) = urls.get(i) else {
                            return;
                        };
                        let started = std::time::Instant::now();
                        // Parsed once: for what is shown, and for the run.
                        let (database, outcome) = match DatabaseUrl::parse(url) {
                            Ok(u) => (u.masked().to_string(), self.migrate_url(&u)),
                            Err(e) => (crate::url::mask_password(url), Err(e.into())),
                        };
                        let result = FleetResult {
                            database,
                            outcome,
                            duration: started.elapsed(),
                        };
                        let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        done(n, &result);
                        *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|r| {
                r.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .expect("every database was run")
            })
            .collect()
    }
}

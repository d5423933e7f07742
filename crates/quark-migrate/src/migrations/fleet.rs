//! Many databases in one run, several at a time: each upgraded under its own lock, a canary
//! first and then waves, a failure stopping none of the others until the run's failure budget
//! is spent.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Migrations, Status};
use crate::backend::Backend;
use crate::error::Error;
use crate::migrator::Report;
use crate::url::DatabaseUrl;

/// One database of a run over many ([`Migrations::migrate_all`]).
#[derive(Debug)]
pub struct FleetResult {
    /// The database's URL, its password masked.
    pub database: String,
    /// The wave it was in, from 1 (the canary's, when the plan has one).
    pub wave: usize,
    /// What the upgrade did, or why it failed; `None` when it was not started, the run having
    /// stopped before it (a canary failed, or the failures passed the budget).
    pub outcome: Option<Result<Report, Error>>,
    /// How long it took, connecting included.
    pub duration: Duration,
}

impl FleetResult {
    /// Whether the database was started and failed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Some(Err(_)))
    }
}

/// The status of one database of many ([`Migrations::status_all`]).
#[derive(Debug)]
pub struct FleetStatus {
    /// The database's URL, its password masked.
    pub database: String,
    /// Where it stands, or why that could not be read.
    pub outcome: Result<Status, Error>,
}

/// How a run over many databases goes ([`Migrations::migrate_waves`]): how many at once, a
/// canary set, waves, and how many failures it takes to start no more.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WavePlan {
    jobs: usize,
    canary: usize,
    wave_size: usize,
    max_failures: Option<usize>,
}

impl WavePlan {
    /// `jobs` databases at once, in one wave, every database started whatever fails.
    pub fn new(jobs: usize) -> WavePlan {
        WavePlan {
            jobs: jobs.max(1),
            canary: 0,
            wave_size: 0,
            max_failures: None,
        }
    }

    /// The first `n` databases go first, as a wave of their own: if any of them fails, no other
    /// database is started.
    pub fn canary(mut self, n: usize) -> WavePlan {
        self.canary = n;
        self
    }

    /// The databases after the canary go `n` to a wave (0: all in one); a wave starts when the
    /// one before it has finished.
    pub fn wave_size(mut self, n: usize) -> WavePlan {
        self.wave_size = n;
        self
    }

    /// Once more than `n` databases have failed, no other is started (those under way finish).
    pub fn max_failures(mut self, n: usize) -> WavePlan {
        self.max_failures = Some(n);
        self
    }

    /// The waves of a run over `count` databases, as ranges of their indexes.
    fn waves(&self, count: usize) -> Vec<Range<usize>> {
        let canary = self.canary.min(count);
        let mut waves = Vec::new();
        if canary > 0 {
            waves.push(0..canary);
        }
        let size = if self.wave_size == 0 {
            count.max(1)
        } else {
            self.wave_size
        };
        let mut start = canary;
        while start < count {
            let end = (start + size).min(count);
            waves.push(start..end);
            start = end;
        }
        waves
    }
}

/// Whether the database `url` falls in shard `index` of `shards` (from 0): each URL, its
/// password masked, is in exactly one shard, the same on every machine and in every order.
pub fn in_shard(url: &str, index: usize, shards: usize) -> bool {
    let n = crate::checksum::number(&crate::url::mask_password(url.trim()));
    shards > 0 && n % shards as u64 == index as u64
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
        self.migrate_waves(urls, &WavePlan::new(jobs), done)
    }

    /// Upgrades every database of `urls` to head as `plan` says: the canary, then each wave
    /// once the one before it has finished, `jobs` at a time, starting no more once the failure
    /// budget is spent. Run again after an interruption, it finds the databases already at head
    /// at the cost of one check each. `done` hears of each database as it finishes; the results
    /// come back in the order of `urls`, those never started with no outcome.
    pub fn migrate_waves(
        &self,
        urls: &[String],
        plan: &WavePlan,
        done: impl Fn(usize, &FleetResult) + Sync,
    ) -> Vec<FleetResult> {
        let waves = plan.waves(urls.len());
        let results: Vec<Mutex<Option<FleetResult>>> =
            urls.iter().map(|_| Mutex::new(None)).collect();
        let finished = AtomicUsize::new(0);
        let failures = AtomicUsize::new(0);
        let stopped = AtomicBool::new(false);
        let span = crate::telemetry::fleet(urls.len(), plan.jobs, waves.len());
        for (w, wave) in waves.iter().enumerate() {
            let canary = plan.canary > 0 && w == 0;
            side_by_side(wave.clone(), plan.jobs, &stopped, |i, kept| {
                let result = span.in_scope(|| self.one_of_many(&urls[i], w + 1, kept));
                if result.failed() {
                    let failed = failures.fetch_add(1, Ordering::SeqCst) + 1;
                    if canary || plan.max_failures.is_some_and(|max| failed > max) {
                        stopped.store(true, Ordering::SeqCst);
                    }
                }
                let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
                done(n, &result);
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            });
        }
        span.record("quark.failed", failures.load(Ordering::SeqCst));
        span.record(
            "quark.not_started",
            urls.len() - finished.load(Ordering::SeqCst),
        );
        results
            .into_iter()
            .zip(urls)
            .enumerate()
            .map(|(i, (r, url))| {
                r.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .unwrap_or_else(|| FleetResult {
                        database: shown(url),
                        wave: waves
                            .iter()
                            .position(|w| w.contains(&i))
                            .map_or(1, |w| w + 1),
                        outcome: None,
                        duration: Duration::ZERO,
                    })
            })
            .collect()
    }

    /// Reads where each database of `urls` stands, `jobs` at a time, writing nothing; the
    /// results come back in the order of `urls`.
    pub fn status_all(&self, urls: &[String], jobs: usize) -> Vec<FleetStatus> {
        let results: Vec<Mutex<Option<FleetStatus>>> =
            urls.iter().map(|_| Mutex::new(None)).collect();
        side_by_side(
            0..urls.len(),
            jobs,
            &AtomicBool::new(false),
            |i, _: &mut ()| {
                let (database, outcome) = match DatabaseUrl::parse(&urls[i]) {
                    Ok(u) => (
                        u.masked(),
                        self.connect_url(&u)
                            .and_then(|mut db| self.status_of(db.as_mut())),
                    ),
                    Err(e) => (crate::url::mask_password(&urls[i]), Err(e.into())),
                };
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(FleetStatus { database, outcome });
            },
        );
        results
            .into_iter()
            .map(|r| {
                r.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .expect("every database was read")
            })
            .collect()
    }

    /// Upgrades the database `url` as one of a run's, in wave `wave`, on the session the worker
    /// `kept` from the tenant before when it is another schema of the same database.
    fn one_of_many(&self, url: &str, wave: usize, kept: &mut Option<Kept>) -> FleetResult {
        let started = Instant::now();
        // Parsed once: for what is shown, and for the run.
        let (database, outcome) = match DatabaseUrl::parse(url) {
            Ok(u) => (u.masked().to_string(), self.migrate_tenant(&u, wave, kept)),
            Err(e) => (crate::url::mask_password(url), Err(e.into())),
        };
        FleetResult {
            database,
            wave,
            outcome: Some(outcome),
            duration: started.elapsed(),
        }
    }
}

/// A session a worker keeps from one tenant schema to the next of the same database: what
/// it was opened for (the URL without its schema), and the session.
pub(super) struct Kept {
    key: String,
    db: Box<dyn Backend>,
}

impl Migrations {
    /// Upgrades the database `url` in wave `wave`: a tenant schema on the session `kept` from
    /// the tenant before when that is another schema of the same database (no new connection,
    /// no new TLS handshake), else on a session of its own, which is then kept. A session that
    /// failed is not kept; one lost is opened again as [`Migrations::migrate_url`] does.
    fn migrate_tenant(
        &self,
        url: &DatabaseUrl,
        wave: usize,
        kept: &mut Option<Kept>,
    ) -> Result<Report, Error> {
        let Some(schema) = url.option("schema") else {
            return self.migrate_in_wave(url, Some(wave));
        };
        let key = url.without_schema();
        let span = crate::telemetry::database(url, Some(wave));
        let migrated = span.in_scope(|| {
            let reused = match kept.take() {
                Some(mut k) if k.key == key => match k.db.enter_tenant_schema(schema) {
                    Ok(true) => Some(k),
                    _ => None,
                },
                _ => None,
            };
            let mut session = match reused {
                Some(k) => k,
                None => match self.connect_url(url) {
                    Ok(db) => Kept { key, db },
                    Err(e) if e.is_connection_lost() => {
                        return self.reconnecting(url, |db| self.upgrade(db));
                    }
                    Err(e) => return Err(e),
                },
            };
            match self.upgrade(session.db.as_mut()) {
                Ok(report) => {
                    *kept = Some(session);
                    Ok(report)
                }
                Err(e) if e.is_connection_lost() => self.reconnecting(url, |db| self.upgrade(db)),
                Err(e) => Err(e),
            }
        });
        crate::telemetry::finish(&span, &migrated, Error::kind);
        migrated
    }
}

/// Runs `work` on each index of `range`, `jobs` at a time, starting none once `stop` is set;
/// each worker has a state of its own that `work` is given.
fn side_by_side<W: Default>(
    range: Range<usize>,
    jobs: usize,
    stop: &AtomicBool,
    work: impl Fn(usize, &mut W) + Sync,
) {
    let next = AtomicUsize::new(range.start);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, range.len().max(1)) {
            scope.spawn(|| {
                let mut state = W::default();
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= range.end {
                        return;
                    }
                    work(i, &mut state);
                }
            });
        }
    });
}

/// A URL as a run's results show it.
fn shown(url: &str) -> String {
    match DatabaseUrl::parse(url) {
        Ok(u) => u.masked(),
        Err(_) => crate::url::mask_password(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canary_then_waves_of_the_rest() {
        let plan = WavePlan::new(2).canary(2).wave_size(3);
        assert_eq!(plan.waves(9), vec![0..2, 2..5, 5..8, 8..9]);
        assert_eq!(WavePlan::new(2).waves(4), vec![0..4]);
        assert_eq!(WavePlan::new(2).canary(10).waves(3), vec![0..3]);
        assert_eq!(
            WavePlan::new(2).wave_size(2).waves(0),
            Vec::<Range<usize>>::new()
        );
    }

    #[test]
    fn every_url_is_in_exactly_one_shard() {
        let urls: Vec<String> = (0..300).map(|i| format!("sqlite:///t/{i}.db")).collect();
        let mut sizes = [0usize; 3];
        for url in &urls {
            let shards: Vec<usize> = (0..3).filter(|&k| in_shard(url, k, 3)).collect();
            assert_eq!(shards.len(), 1, "{url}");
            sizes[shards[0]] += 1;
        }
        assert!(sizes.iter().all(|&n| n > 60), "{sizes:?}");
        // The password does not move a database to another shard.
        let a = "postgresql://u:one@h/db?schema=t1";
        let b = "postgresql://u:two@h/db?schema=t1";
        assert!((0..5).all(|k| in_shard(a, k, 5) == in_shard(b, k, 5)));
    }
}

//! A run from a URL that outlives a failover: when its connection is lost (the server killed,
//! shut down or demoted to a standby), it connects again, to whichever server takes the session
//! now (with several hosts and `target_session_attrs=read-write`, the new primary), for at most
//! the failover timeout, and runs again from what the database holds: a step whose commit was
//! lost with the old server is applied again, a step that survived is not, and a step left
//! part-way is settled as after a crash.

use std::time::{Duration, Instant};

use log::{info, warn};

use super::Migrations;
use crate::app::log_target;
use crate::backend::Backend;
use crate::error::Error;
use crate::url::DatabaseUrl;

/// How many lost connections one run outlives: each needs the server killed, shut down or
/// demoted under it, so a run that loses more is facing a server that keeps failing, not a
/// failover.
const MOST_LOSSES: u32 = 10;

/// The first pause before connecting again, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MOST_PAUSE: Duration = Duration::from_secs(2);

impl Migrations {
    /// Connects to `url` and calls `run` on the connection; when the connection is lost (see
    /// [`Error::is_connection_lost`]: the server was killed, shut down or demoted, as in a
    /// failover) connects again and calls `run` again on the new connection, for at most
    /// [`Migrations::failover_timeout`] from each loss. `run` must plan from what the database
    /// holds (as every command of [`crate::migrator::Migrator`] does), since what the lost
    /// connection committed may or may not have survived. A first connection that fails is an
    /// error at once, unless the URL dials a cluster (several hosts, or
    /// `target_session_attrs`) none of whose hosts takes the session yet.
    pub fn reconnecting<T>(
        &self,
        url: &DatabaseUrl,
        mut run: impl FnMut(&mut dyn Backend) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let _app = self.app.scope();
        let timeout = self.settings.failover_timeout;
        // Since when the run has had no connection, and how often it lost one.
        let mut lost: Option<Instant> = None;
        let mut losses = 0;
        let mut pause = FIRST_PAUSE;
        loop {
            let error = match self.connect_url(url) {
                Ok(mut db) => {
                    if let Some(since) = lost.take() {
                        info!(target: log_target(), "Connected to {} again after {:.1}s: going on from what the database holds", url.masked(), since.elapsed().as_secs_f64());
                        pause = FIRST_PAUSE;
                    }
                    match run(db.as_mut()) {
                        Ok(done) => return Ok(done),
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            // While the connection is lost, any failure to connect is the failover going on.
            let again = error.is_connection_lost()
                || (lost.is_some() && matches!(error, Error::Connect { .. }));
            if !again || timeout.is_zero() {
                return Err(error);
            }
            let since = match lost {
                Some(since) => since,
                None => {
                    losses += 1;
                    if losses > MOST_LOSSES {
                        warn!(target: log_target(), "The connection to {} was lost {MOST_LOSSES} times in one run: giving up", url.masked());
                        return Err(error);
                    }
                    warn!(target: log_target(), "{}: {error}; connecting again for up to {}s (the failover timeout), then going on from what the database holds", url.masked(), timeout.as_secs());
                    *lost.insert(Instant::now())
                }
            };
            let waited = since.elapsed();
            if waited >= timeout {
                return Err(Error::FailoverTimeout {
                    database: url.masked(),
                    waited,
                    last: Box::new(error),
                });
            }
            log::debug!(target: log_target(), "{}: not yet: {error}", url.masked());
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(MOST_PAUSE);
        }
    }
}

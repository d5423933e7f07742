//! Durable before done: on a server whose replicas could take over from it (asynchronous
//! streaming replication, where a commit the server acknowledged is lost when a replica that
//! had not received it is promoted), a run that wrote reports success only once one of them
//! has replayed its last commit.

use std::time::{Duration, Instant};

use log::info;

use super::{Migrator, Report};
use crate::app::log_target;
use crate::backend::{Backend, Replication};
use crate::error::Error;

/// The longest pause between two looks at the replicas.
const MOST_PAUSE: Duration = Duration::from_millis(250);

impl Migrator<'_> {
    /// `report`, once a replica that could take over from the server has replayed the run's
    /// last commit (at once where the server has none), waiting at most
    /// [`Migrator::replica_wait`]; the replica goes in the report and in the log.
    pub(super) fn durable(
        &self,
        db: &mut dyn Backend,
        mut report: Report,
    ) -> Result<Report, Error> {
        let wait = self.settings.replica_wait;
        if self.scratch || wait.is_zero() {
            return Ok(report);
        }
        let Some(position) = db.log_position()? else {
            return Ok(report);
        };
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        let mut said = false;
        loop {
            let replicas = match db.replication(&position)? {
                Replication::NoReplicas => return Ok(report),
                Replication::Replayed { replica } => {
                    info!(target: log_target(), "Replica {replica} has replayed the run's last commit (the server's log at {position}): what it did survives a failover");
                    report.replicated_by = Some(replica);
                    return Ok(report);
                }
                Replication::Behind { replicas } => replicas,
            };
            let waited = started.elapsed();
            if waited >= wait {
                return Err(Error::NotReplicated {
                    position,
                    waited,
                    replicas,
                });
            }
            if !said && waited >= Duration::from_secs(1) {
                said = true;
                info!(target: log_target(), "Waiting up to {}s for a replica to replay the run's last commit (the server's log at {position}): {}", wait.as_secs(), replicas.join("; "));
            }
            std::thread::sleep(pause.min(wait - waited));
            pause = (pause * 2).min(MOST_PAUSE);
        }
    }
}

//! The engine's settings as the command line and the configuration files give them, and the
//! durations they are given in.

use std::time::Duration;

use super::args::{self, Backup, CheckDrift, DbArgs, Format};
use super::{ConfigFiles, Failure, output};
use crate::migrator::{
    BackupPolicy, Backups, DEFAULT_VERSION_TABLE, DriftCheck, LiveReleases, LockWait,
};
use crate::{App, EmbeddedFile, Migrations};

/// The migrations with the settings the command line and the configuration files give.
pub(super) fn configured(
    cli: &DbArgs,
    config: &ConfigFiles,
    app: App,
    files: &'static [EmbeddedFile],
) -> Result<Migrations, Failure> {
    let version_table = cli
        .version_table
        .clone()
        .or_else(|| config.version_table())
        .unwrap_or_else(|| DEFAULT_VERSION_TABLE.to_string());
    let mut migrations = Migrations::new(files)?;
    if let Some(engine) = cli.mysql_engine.clone().or_else(|| config.mysql_engine()) {
        migrations = migrations.mysql_engine(&engine)?;
    }
    Ok(migrations
        .app(app)
        .version_table(&version_table)?
        .lock_timeout(whole_seconds("--lock-timeout", cli.lock_timeout)?)
        .connect_timeout(whole_seconds("--connect-timeout", cli.connect_timeout)?)
        .lock_lease(seconds("--lock-lease", cli.lock_lease)?)
        .failover_timeout(seconds("--failover-timeout", cli.failover_timeout)?)
        .replica_wait(seconds("--replica-wait", cli.replica_wait)?)
        .refuse_newer_schema(cli.refuse_newer_schema)
        // A person or a job running the command is told, never left with a partial upgrade.
        .live_releases(LiveReleases::Refuse)
        .check_drift(match cli.check_drift {
            CheckDrift::Off => DriftCheck::Off,
            CheckDrift::Warn => DriftCheck::Warn,
            CheckDrift::Fail => DriftCheck::Fail,
        })
        .observe(output::ProgressLine::new(
            // One live line per terminal: not for several databases migrating at once.
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && cli.format == Format::Text
                && !cli.quiet
                && cli.database_connection.len() <= 1
                && cli.databases.is_none()
                && cli.schemas.is_none()
                && cli.schemas_from.is_none(),
            seconds("--progress-interval", cli.progress_interval)?,
        ))
        .backups(Backups {
            policy: match cli.backup {
                Backup::Never => BackupPolicy::Never,
                Backup::PointOfNoReturn => BackupPolicy::PointOfNoReturn,
                Backup::EveryChange => BackupPolicy::EveryChange,
            },
            keep: cli.keep_backups,
        })
        .use_lock(!cli.no_lock)
        .lock_wait(LockWait {
            timeout: seconds("--ddl-lock-timeout", cli.ddl_lock_timeout)?,
            retries: cli.ddl_lock_retries,
        }))
}

/// A duration given in seconds on the command line: from 0 to [`args::MAX_SECONDS`], the
/// longest wait every database accepts (clap checks it; a [`DbArgs`] built by hand is checked
/// here).
pub(super) fn seconds(flag: &str, value: f64) -> Result<Duration, Failure> {
    args::check_seconds(value)
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            Failure::Usage(format!(
                "{flag} {value:?} is not a number of seconds from 0 to {}",
                args::MAX_SECONDS
            ))
        })
}

/// [`seconds`] for a whole number of seconds.
pub(super) fn whole_seconds(flag: &str, value: u64) -> Result<Duration, Failure> {
    if value > args::MAX_SECONDS {
        return Err(Failure::Usage(format!(
            "{flag} {value} is more than {} seconds, the longest wait the databases accept",
            args::MAX_SECONDS
        )));
    }
    Ok(Duration::from_secs(value))
}

//! The subcommands that change a database (`upgrade`, `downgrade`, `stamp`), or print what they
//! would run (`--dry-run`, `--sql`).

use super::args::RunMode;
use super::{Context, Failure, output};
use std::path::Path;
use std::process::ExitCode;

use crate::app::log_target;
use crate::migrations::Record;
use crate::migrator::{Migrator, Report};
use crate::plan;
use crate::revision::{Direction, Target};

/// `upgrade TARGET` with `migrator` (its flags applied).
pub(super) fn upgrade(
    ctx: &Context<'_>,
    migrator: &Migrator<'_>,
    target: &str,
    mode: &RunMode,
) -> Result<(), Failure> {
    migrate(ctx, migrator, target, Direction::Upgrade, mode)
}

/// `upgrade head` on a database already there, found as an application's start-up finds it
/// (with the build's summaries and the digest of the last full check: a constant amount read,
/// the revisions not parsed); `false`, having changed nothing, when it is not certain.
pub(super) fn already_at_head(
    ctx: &Context<'_>,
    target: &str,
    mode: &RunMode,
) -> Result<bool, Failure> {
    let every_head = match target {
        "heads" => true,
        "head" => ctx.migrations.heads()?.len() == 1,
        _ => false,
    };
    if !every_head || mode.sql || mode.dry_run || mode.single_transaction {
        return Ok(false);
    }
    let (url, _) = ctx.configured()?;
    let mut db = match ctx.migrations.connect_url(&url) {
        Ok(db) => db,
        // A cluster none of whose hosts takes the session yet (a failover under way): the
        // full way waits for one, within the failover timeout.
        Err(e) if e.is_connection_lost() => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let Some(heads) = ctx.migrations.at_head(db.as_mut(), Record::Digest) else {
        return Ok(false);
    };
    ctx.migrations.drift_at_start(db.as_mut(), &heads)?;
    output::report(ctx.format(), &url, &Report::nothing_to_upgrade(heads));
    Ok(true)
}

/// `upgrade --verify-only`: the database at head (or compatibly ahead), checked without
/// writing, waiting up to `wait` for a migrator running elsewhere.
pub(super) fn verify_only(
    ctx: &Context<'_>,
    target: Option<&str>,
    wait: std::time::Duration,
    ignore_drift: bool,
) -> Result<(), Failure> {
    if !matches!(target, None | Some("head" | "heads")) {
        return Err(Failure::Usage(format!(
            "--verify-only checks the database against this binary's heads; drop the target '{}'",
            target.unwrap_or_default()
        )));
    }
    let (url, _) = ctx.configured()?;
    let migrations = ctx
        .migrations
        .clone()
        .verify_wait(wait)
        .ignore_drift(ignore_drift);
    let verified = migrations.verify_url(&url)?;
    output::verified(ctx.format(), &url, &verified);
    Ok(())
}

/// `upgrade head` over many databases, `--jobs` at a time, in waves (--canary, --wave-size)
/// within a failure budget (--max-failures): a table of what each did, and a failure when any
/// failed or was not started.
pub(super) fn upgrade_all(ctx: &Context<'_>, urls: &[String]) -> Result<ExitCode, Failure> {
    let total = urls.len();
    let cli = ctx.cli;
    let mut plan = crate::WavePlan::new(cli.jobs)
        .canary(cli.canary)
        .wave_size(cli.wave_size);
    if let Some(max) = cli.max_failures {
        plan = plan.max_failures(max);
    }
    let results = ctx.migrations.migrate_waves(urls, &plan, |done, result| {
        let how = match &result.outcome {
            Some(Ok(report)) => format!("{} revisions", report.steps.len()),
            Some(Err(e)) => format!("FAILED: {e}"),
            None => "not started".to_string(),
        };
        log::info!(target: log_target(), "{done}/{total} databases done: {} (wave {}, {how}, {:.1?})", result.database, result.wave, result.duration);
    });
    output::fleet(ctx.format(), &results, cli.canary > 0);
    let failed = results.iter().filter(|r| r.failed()).count();
    let untouched = results.iter().filter(|r| r.outcome.is_none()).count();
    match (failed, untouched) {
        (0, _) => Ok(ExitCode::SUCCESS),
        (_, 0) => Err(Failure::Usage(format!(
            "{failed} of {total} databases failed (the others were upgraded); see the table above"
        ))),
        _ => Err(Failure::Usage(format!(
            "{failed} of {total} databases failed and {untouched} were not started ({}): fix the failure and run again; databases already at head are skipped",
            if cli.canary > 0 && results.iter().any(|r| r.wave == 1 && r.failed()) {
                "a canary failed".to_string()
            } else {
                format!("more than {} failed", cli.max_failures.unwrap_or(0))
            }
        ))),
    }
}

/// `downgrade TARGET [--trust-remembered]`.
pub(super) fn downgrade(
    ctx: &Context<'_>,
    target: &str,
    trust_remembered: bool,
    mode: &RunMode,
) -> Result<(), Failure> {
    let migrator = ctx.migrator()?.trust_unvouched(trust_remembered);
    migrate(ctx, &migrator, target, Direction::Downgrade, mode)
}

/// `stamp TARGET [--purge]`.
pub(super) fn stamp(ctx: &Context<'_>, target: &str, purge: bool) -> Result<(), Failure> {
    let target: Target = target.parse()?;
    let (_, mut db) = ctx.connect()?;
    ctx.migrator()?.stamp(db.as_mut(), &target, purge)?;
    Ok(())
}

/// `restore` in a build without SQLite, the only database backed up.
#[cfg(not(feature = "sqlite"))]
pub(super) fn restore(ctx: &Context<'_>, _: Option<&Path>, _: bool) -> Result<(), Failure> {
    let (url, _) = ctx.configured()?;
    Err(Failure::Usage(format!(
        "{}: only SQLite database files are backed up and restored, and this build has no SQLite driver",
        url.masked()
    )))
}

/// `restore [--from FILE] [--list]`: a SQLite database file put back as a backup holds it.
#[cfg(feature = "sqlite")]
pub(super) fn restore(ctx: &Context<'_>, from: Option<&Path>, list: bool) -> Result<(), Failure> {
    let (url, _) = ctx.configured()?;
    if list {
        let file = url
            .database
            .clone()
            .filter(|_| url.dialect == crate::revision::Dialect::Sqlite);
        let backups = match file {
            Some(file) => crate::backend::backups(Path::new(&file))
                .map_err(|e| Failure::Usage(format!("cannot list the backups of {file}: {e}")))?,
            None => Vec::new(),
        };
        output::backups(&url, &backups);
        return Ok(());
    }
    let restored = ctx.migrations.restore_url(&url, from)?;
    output::restored(&url, &restored);
    Ok(())
}

/// `split-version-table --from TABLE [--restore REV] [--dry-run]`.
pub(super) fn split_version_table(
    ctx: &Context<'_>,
    from: &str,
    restore: Option<&str>,
    dry_run: bool,
) -> Result<(), Failure> {
    let (url, mut db) = ctx.connect()?;
    let split = ctx
        .migrator()?
        .split_version_table(db.as_mut(), from, restore, dry_run)?;
    output::split(&url, &split, dry_run);
    Ok(())
}

/// Runs, previews (`--dry-run`) or writes out (`--sql`) a move in `direction` to `spec`.
fn migrate(
    ctx: &Context<'_>,
    migrator: &Migrator<'_>,
    spec: &str,
    direction: Direction,
    mode: &RunMode,
) -> Result<(), Failure> {
    let migrator = &migrator.clone().single_transaction(mode.single_transaction);
    if mode.sql {
        return script(ctx, migrator, spec, direction);
    }
    let target: Target = spec.parse()?;
    if mode.dry_run {
        let (url, mut db) = ctx.connect()?;
        let (report, sql) = migrator.preview(db.as_mut(), &target, direction)?;
        output::dry_run(ctx.format(), &url, direction, &report, &sql);
        return Ok(());
    }
    // A connection lost on the way (a failover) is opened again, and the run goes on from what
    // the database holds (--failover-timeout).
    let (url, _) = ctx.configured()?;
    let report = ctx.migrations.reconnecting(&url, |db| {
        let report = match direction {
            Direction::Upgrade => migrator.upgrade(db, &target)?,
            Direction::Downgrade => migrator.downgrade(db, &target)?,
        };
        if direction == Direction::Upgrade {
            ctx.migrations.drift_at_start(db, &report.after)?;
        }
        Ok(report)
    })?;
    output::report(ctx.format(), &url, &report);
    Ok(())
}

/// `--sql`: the script for `[FROM:]TO`, written without a database.
fn script(
    ctx: &Context<'_>,
    migrator: &Migrator<'_>,
    spec: &str,
    direction: Direction,
) -> Result<(), Failure> {
    let (from, to) = match spec.split_once(':') {
        Some((from, to)) => (Some(from), to),
        None if direction == Direction::Downgrade => {
            return Err(Failure::Usage(format!(
                "downgrade --sql needs FROM:TO (e.g. head:{spec}): offline, the database's revision is not read"
            )));
        }
        None => (None, spec),
    };
    let from = match from {
        None | Some("" | "base") => Vec::new(),
        Some(from) => plan::resolve(ctx.map()?, &[], &from.parse()?)?,
    };
    let target: Target = to.parse()?;
    let dialect = ctx.offline_dialect()?;
    let (report, sql) = migrator.script(dialect, &from, &target, direction)?;
    output::script(direction, dialect, &report, &sql);
    Ok(())
}

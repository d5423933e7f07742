//! The subcommands that read: `current`, `verify`, `history`, `heads`, `branches`, `show`.

use super::{Context, ExitCode, Failure, output};
use crate::error::Error;
use crate::migrator::Standing;
use crate::plan;
use crate::revision::{Range, RevisionMap, Target};

/// `current`: the database's revisions (those a newer release applied marked as such).
pub(super) fn current(ctx: &Context<'_>) -> Result<(), Failure> {
    let (url, mut db) = ctx.connect()?;
    let migrator = ctx.migrator()?;
    let standing = migrator.standing(db.as_mut())?;
    let interrupted = migrator.interrupted(db.as_mut())?;
    let (map, heads, _) = seen(ctx, &standing)?;
    let revisions: Vec<_> = heads.iter().filter_map(|h| map.get(h)).collect();
    // What each live instance holds back of what this binary would still apply (nothing on a
    // database ahead of it: this binary's heads are applied).
    let applied: Vec<String> = match &standing {
        Standing::Known(heads) => heads.clone(),
        Standing::Ahead(_) => ctx.map()?.heads().iter().map(|r| r.id.clone()).collect(),
    };
    let live = migrator.live_instances(db.as_mut(), &applied)?;
    output::current(
        ctx.format(),
        ctx.cli.verbose,
        map,
        &url,
        &revisions,
        interrupted.as_ref(),
        &live,
    );
    Ok(())
}

/// `current` over many databases, `--jobs` at a time: a line each and a summary; a failure
/// when any could not be read.
pub(super) fn current_all(ctx: &Context<'_>, urls: &[String]) -> Result<ExitCode, Failure> {
    let results = ctx.migrations.status_all(urls, ctx.cli.jobs);
    output::fleet_status(ctx.format(), &results);
    let failed = results.iter().filter(|r| r.outcome.is_err()).count();
    if failed > 0 {
        return Err(Failure::Usage(format!(
            "{failed} of {} databases could not be read; see the table above",
            results.len()
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// The graph to show the database in, its rows, and the revisions newer than this binary.
fn seen<'s>(
    ctx: &'s Context<'_>,
    standing: &'s Standing,
) -> Result<(&'s RevisionMap, &'s [String], &'s [String]), Failure> {
    Ok(match standing {
        Standing::Known(heads) => (ctx.map()?, heads, &[]),
        Standing::Ahead(ahead) => (&ahead.map, &ahead.rows, &ahead.newer),
    })
}

/// `verify`: applied revisions against the embedded SQL; an error listing any drift. On a
/// database ahead of this binary, the revisions it embeds are verified, and the newer ones'
/// remembered downgrades against their recorded checksums.
pub(super) fn verify(ctx: &Context<'_>) -> Result<(), Failure> {
    let (url, mut db) = ctx.connect()?;
    let migrator = ctx.migrator()?;
    let standing = migrator.standing(db.as_mut())?;
    let (map, current, newer) = seen(ctx, &standing)?;
    let drift = migrator.on_map(map).verify(db.as_mut())?;
    let vouched = match &standing {
        Standing::Ahead(ahead) => &ahead.vouched[..],
        Standing::Known(_) => &[],
    };
    output::verify(ctx.format(), &url, current, &drift, newer, vouched);
    if drift.is_empty() {
        Ok(())
    } else {
        Err(Error::Drift(drift).into())
    }
}

/// `history [-r FROM:TO]`: revisions in the range, newest first.
pub(super) fn history(ctx: &Context<'_>, range: Option<&str>) -> Result<(), Failure> {
    let range: Range = match range {
        Some(r) => r.parse()?,
        None => Range {
            from: None,
            to: None,
        },
    };
    let uses_current = [&range.from, &range.to]
        .iter()
        .any(|t| matches!(t, Some(Target::Current)));
    // With a database configured, revisions a newer release applied are listed too.
    // With a database configured, revisions a newer release applied are listed too; a range
    // that names `current` needs the database.
    let standing = match (ctx.configured_url()?, uses_current) {
        (_, true) => Some(ctx.migrator()?.standing(ctx.connect()?.1.as_mut())?),
        (Some(url), false) => match ctx.connect() {
            Ok((_, mut db)) => Some(ctx.migrator()?.standing(db.as_mut())?),
            Err(e) => {
                log::warn!(target: crate::app::log_target(), "Listing this binary's revisions only: cannot read {url}: {e}");
                None
            }
        },
        (None, false) => None,
    };
    let (map, current, _) = match &standing {
        Some(standing) => seen(ctx, standing)?,
        None => (ctx.map()?, &[][..], &[][..]),
    };
    let listed = map.history(if uses_current { current } else { &[] }, &range)?;
    output::revisions(ctx.format(), ctx.cli.verbose, map, &listed);
    Ok(())
}

/// `heads`.
pub(super) fn heads(ctx: &Context<'_>) -> Result<(), Failure> {
    let map = ctx.map()?;
    output::revisions(ctx.format(), ctx.cli.verbose, map, &map.heads());
    Ok(())
}

/// `branches`: each branch point and where it leads.
pub(super) fn branches(ctx: &Context<'_>) -> Result<(), Failure> {
    let map = ctx.map()?;
    output::branches(map, &map.branch_points());
    Ok(())
}

/// `show REV`.
pub(super) fn show(ctx: &Context<'_>, revision: &str) -> Result<(), Failure> {
    let map = ctx.map()?;
    if let Some(checkpoint) = map.checkpoints().iter().find(|c| c.id == revision) {
        output::show(map, &[checkpoint]);
        return Ok(());
    }
    let target: Target = revision.parse()?;
    let ids = plan::resolve(map, &[], &target)?;
    let revisions: Vec<_> = ids.iter().filter_map(|id| map.get(id)).collect();
    output::show(map, &revisions);
    Ok(())
}

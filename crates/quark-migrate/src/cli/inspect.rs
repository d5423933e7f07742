//! The subcommands that read: `current`, `verify`, `history`, `heads`, `branches`, `show`.

use super::{Context, Failure, output};
use crate::error::Error;
use crate::plan;
use crate::revision::{Range, Target};

/// `current`: the database's revisions.
pub(super) fn current(ctx: &Context<'_>) -> Result<(), Failure> {
    let (url, mut db) = ctx.connect()?;
    let migrator = ctx.migrator()?;
    let heads = migrator.current(db.as_mut())?;
    let interrupted = migrator.interrupted(db.as_mut())?;
    let revisions: Vec<_> = heads.iter().filter_map(|h| ctx.map.get(h)).collect();
    output::current(
        ctx.format(),
        ctx.cli.verbose,
        ctx.map,
        &url,
        &revisions,
        interrupted.as_ref(),
    );
    Ok(())
}

/// `verify`: applied revisions against the embedded SQL; an error listing any drift.
pub(super) fn verify(ctx: &Context<'_>) -> Result<(), Failure> {
    let (url, mut db) = ctx.connect()?;
    let migrator = ctx.migrator()?;
    let drift = migrator.verify(db.as_mut())?;
    let current = migrator.current(db.as_mut())?;
    output::verify(ctx.format(), &url, &current, &drift);
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
    let current = if uses_current {
        let (_, mut db) = ctx.connect()?;
        ctx.migrator()?.current(db.as_mut())?
    } else {
        Vec::new()
    };
    let listed = ctx.map.history(&current, &range)?;
    output::revisions(ctx.format(), ctx.cli.verbose, ctx.map, &listed);
    Ok(())
}

/// `heads`.
pub(super) fn heads(ctx: &Context<'_>) {
    output::revisions(ctx.format(), ctx.cli.verbose, ctx.map, &ctx.map.heads());
}

/// `branches`: each branch point and where it leads.
pub(super) fn branches(ctx: &Context<'_>) {
    output::branches(ctx.map, &ctx.map.branch_points());
}

/// `show REV`.
pub(super) fn show(ctx: &Context<'_>, revision: &str) -> Result<(), Failure> {
    let target: Target = revision.parse()?;
    let ids = plan::resolve(ctx.map, &[], &target)?;
    let revisions: Vec<_> = ids.iter().filter_map(|id| ctx.map.get(id)).collect();
    output::show(ctx.map, &revisions);
    Ok(())
}

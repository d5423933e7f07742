//! Rehearsing a checkpoint: run on a fresh database, it must leave the schema, rows and counters
//! that a replay of the revisions it stands for leaves.

use std::collections::HashSet;

use super::{Fault, introspect, list, replay, run, statements};
use crate::backend::{Backend, BackendError};
use crate::revision::{Direction, Revision, RevisionMap};
use crate::schema::{self, Schema, Scratch};

/// Checks that `checkpoint` gives, on a fresh database of the scratch's dialect, the schema
/// that replaying the revisions it stands for leaves; its key (the checkpoint's text and the key
/// of its revision) once it passed, `None` when it has no section for the dialect. A key in
/// `passed` is not checked again.
pub(super) fn check_checkpoint(
    map: &RevisionMap,
    checkpoint: &Revision,
    keys: &[String],
    fresh: &mut dyn FnMut() -> Result<Scratch, BackendError>,
    passed: &HashSet<String>,
) -> Result<Option<String>, Fault> {
    let connect = |e: BackendError| Fault(format!("cannot open a scratch database: {e}"));
    let Some((of, line)) = &checkpoint.checkpoint_of else {
        return Ok(None);
    };
    let mut scratch = fresh().map_err(connect)?;
    let dialect = scratch.db().dialect();
    let Some(text) = checkpoint.checksummed_text(Direction::Upgrade, dialect) else {
        return Ok(None);
    };
    let Some(position) = map.position(of) else {
        return Err(Fault(format!(
            "{}:{line}: 'Checkpoint Of:' names unknown revision '{of}'",
            checkpoint.path
        )));
    };
    let key = crate::checksum::checksum(&format!(
        "{dialect}\n{}\n{text}\n--\n{}\n",
        checkpoint.id, keys[position]
    ));
    if passed.contains(&key) {
        return Ok(Some(key));
    }
    let statements = statements(checkpoint, scratch.db(), Direction::Upgrade)?;
    run(checkpoint, scratch.db(), Direction::Upgrade, &statements)?;
    let (built, built_rows) = contents(scratch.db())?;
    let (replayed, replayed_rows) = contents(replayed_at(map, of, fresh)?.db())?;
    let differs = schema::diff(&replayed, &built);
    let count = map.ancestors([of.as_str()]).iter().filter(|a| **a).count();
    if differs.is_empty() && built_rows != replayed_rows {
        let missing: Vec<&String> = replayed_rows
            .iter()
            .filter(|r| !built_rows.contains(r))
            .take(5)
            .collect();
        let extra: Vec<&String> = built_rows
            .iter()
            .filter(|r| !replayed_rows.contains(r))
            .take(5)
            .collect();
        return Err(Fault(format!(
            "{}:{line}: checkpoint {} does not give the rows its {count} revisions up to {of} leave on {dialect}: {} rows against {}; not in the checkpoint's: {missing:?}; only in the checkpoint's: {extra:?}\n    (write it again with `checkpoint {of}`)",
            checkpoint.path,
            checkpoint.id,
            built_rows.len(),
            replayed_rows.len(),
        )));
    }
    if !differs.is_empty() {
        return Err(Fault(format!(
            "{}:{line}: checkpoint {} does not give the schema its {count} revisions up to {of} leave on {dialect}; from that schema to the checkpoint's:\n{}\n    (write it again with `checkpoint {of}`, or delete it: databases then replay the revisions)",
            checkpoint.path,
            checkpoint.id,
            list(&differs)
        )));
    }
    Ok(Some(key))
}

/// The schema of `db` and its rows (and counters), as a snapshot to compare.
fn contents(db: &mut dyn Backend) -> Result<(Schema, Vec<String>), Fault> {
    let read = introspect(db)?;
    let rows = schema::Rows::read(db, &read)
        .map_err(|e| Fault(format!("cannot read the scratch rows: {e}")))?;
    Ok((read, rows.snapshot()))
}

/// A fresh scratch database with revision `of` and its ancestors applied (revisions written in
/// Rust, which cannot run here, left out).
pub(crate) fn replayed_at(
    map: &RevisionMap,
    of: &str,
    fresh: &mut dyn FnMut() -> Result<Scratch, BackendError>,
) -> Result<Scratch, Fault> {
    let mut scratch = fresh().map_err(|e| Fault(format!("cannot open a scratch database: {e}")))?;
    replay(map, scratch.db(), &map.ancestors([of]))?;
    Ok(scratch)
}

//! Rehearsing a revision graph on scratch databases, as the build does: every revision's
//! upgrade runs on the schema of its parents, then its downgrade, which must give back that
//! schema, then its upgrade again, which must give back the schema after it. At the end, the
//! schema at head is compared with the declared schema.

use crate::backend::{Backend, BackendError};
use crate::revision::{Direction, Revision, RevisionMap, Statement};
use crate::schema::{self, DeclaredFile, Schema, Scratch};

/// What a rehearsal went through.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rehearsed {
    /// Revisions whose upgrade ran.
    pub upgraded: usize,
    /// Revisions whose downgrade ran and gave back the schema before them.
    pub round_trips: usize,
    /// Revisions written in Rust, which cannot run at build time (their effect is assumed).
    pub skipped: Vec<String>,
}

/// A fault found by a rehearsal, as `path:line: what` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault(pub String);

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Rehearses `map` on databases `fresh` opens (each empty), comparing the schema at head with
/// `declared` when given.
pub fn rehearse(
    map: &RevisionMap,
    declared: Option<&[DeclaredFile]>,
    fresh: &mut dyn FnMut() -> Result<Scratch, BackendError>,
) -> Result<Rehearsed, Fault> {
    let connect = |e: BackendError| Fault(format!("cannot open a scratch database: {e}"));
    let mut scratch = fresh().map_err(connect)?;
    let dialect = scratch.db().dialect();
    let mut applied = vec![false; map.len()];
    let mut done = Rehearsed::default();
    for (i, rev) in map.iter().enumerate() {
        // The revision runs on the schema of exactly what it needs.
        let mut needs = map.ancestors([rev.id.as_str()]);
        needs[i] = false;
        if needs != applied {
            scratch = fresh().map_err(connect)?;
            replay(map, scratch.db(), &needs)?;
            applied = needs;
        }
        if rev.code.is_some() {
            done.skipped.push(rev.id.clone());
        } else {
            let round_trip = check_revision(rev, scratch.db())?;
            done.upgraded += 1;
            done.round_trips += usize::from(round_trip);
        }
        applied[i] = true;
    }
    if let Some(declared) = declared.filter(|d| !d.is_empty()) {
        let everything = vec![true; map.len()];
        if applied != everything {
            scratch = fresh().map_err(connect)?;
            replay(map, scratch.db(), &everything)?;
        }
        let at_head = introspect(scratch.db())?;
        let mut other = fresh().map_err(connect)?;
        schema::load_declared(other.db(), declared).map_err(|e| Fault(e.to_string()))?;
        let wanted = introspect(other.db())?;
        let changes = schema::diff(&at_head, &wanted);
        if !changes.is_empty() {
            let folder = declared[0]
                .path
                .rsplit_once('/')
                .map_or(declared[0].path.as_str(), |(dir, _)| dir);
            return Err(Fault(format!(
                "{folder}: the migrations at head do not build the declared schema on {dialect}; to get there from the migrations:\n{}",
                list(&changes)
            )));
        }
    }
    Ok(done)
}

/// Applies the upgrades of the revisions `which` marks, in order, checking nothing.
fn replay(map: &RevisionMap, db: &mut dyn Backend, which: &[bool]) -> Result<(), Fault> {
    for (rev, _) in map.iter().zip(which).filter(|(_, w)| **w) {
        if rev.code.is_none() {
            let upgrade = statements(rev, db, Direction::Upgrade)?;
            run(rev, db, Direction::Upgrade, &upgrade)?;
        }
    }
    Ok(())
}

/// Upgrades `rev`, then, when it has a downgrade, downgrades and upgrades it again, comparing
/// schemas; whether it made the round trip.
fn check_revision(rev: &Revision, db: &mut dyn Backend) -> Result<bool, Fault> {
    let upgrade = statements(rev, db, Direction::Upgrade)?;
    let before = introspect(db)?;
    run(rev, db, Direction::Upgrade, &upgrade)?;
    let Some(section) = rev.section(Direction::Downgrade, db.dialect()) else {
        return Ok(false);
    };
    let downgrade = statements(rev, db, Direction::Downgrade)?;
    let after = introspect(db)?;
    run(rev, db, Direction::Downgrade, &downgrade)?;
    let back = introspect(db)?;
    let left = schema::diff(&before, &back);
    if !left.is_empty() {
        return Err(Fault(format!(
            "{}:{}: the downgrade of {} does not give back the schema before its upgrade on {}; from that schema to the one it leaves:\n{}",
            rev.path,
            section.line.saturating_sub(1),
            rev.id,
            db.dialect(),
            list(&left)
        )));
    }
    run(rev, db, Direction::Upgrade, &upgrade)?;
    let again = introspect(db)?;
    let differs = schema::diff(&after, &again);
    if !differs.is_empty() {
        return Err(Fault(format!(
            "{}:{}: upgrading {} again after its downgrade gives another schema on {}:\n{}",
            rev.path,
            section.line.saturating_sub(1),
            rev.id,
            db.dialect(),
            list(&differs)
        )));
    }
    Ok(true)
}

/// The statements `rev` runs `direction` on `db`'s dialect; a revision that cannot run there
/// is a fault, in a set that targets the dialect.
fn statements(
    rev: &Revision,
    db: &dyn Backend,
    direction: Direction,
) -> Result<Vec<Statement>, Fault> {
    let dialect = db.dialect();
    match rev.statements(direction, dialect) {
        Some(Ok(statements)) => Ok(statements),
        Some(Err(e)) => Err(Fault(e.to_string())),
        None if rev.is_merge() && direction == Direction::Upgrade => Ok(Vec::new()),
        None => Err(Fault(format!(
            "{}:{}: {} has no {} for {dialect}, a dialect these migrations target",
            rev.path,
            rev.id_line,
            rev.id,
            direction.name()
        ))),
    }
}

/// Runs `statements`; a refused one is a fault naming its line and quoting it.
fn run(
    rev: &Revision,
    db: &mut dyn Backend,
    direction: Direction,
    statements: &[Statement],
) -> Result<(), Fault> {
    for s in statements {
        db.run(&s.sql).map_err(|e| {
            Fault(format!(
                "{}:{}: {} of {} fails on {}: {e}\n    {}",
                rev.path,
                s.line,
                direction.name(),
                rev.id,
                db.dialect(),
                s.sql.replace('\n', "\n    ")
            ))
        })?;
    }
    Ok(())
}

fn introspect(db: &mut dyn Backend) -> Result<Schema, Fault> {
    schema::introspect(db, &[]).map_err(|e| Fault(format!("cannot read the scratch schema: {e}")))
}

/// The changes, one per line, the first 20 of them.
fn list(changes: &[schema::Change]) -> String {
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = changes
        .iter()
        .take(SHOWN)
        .map(|c| format!("    {c}"))
        .collect();
    if changes.len() > SHOWN {
        lines.push(format!("    ... and {} more", changes.len() - SHOWN));
    }
    lines.join("\n")
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::backend::ConnectOptions;
    use crate::source::{SourceFile, build_map};

    fn map(files: &[(&str, &str, &str, &str)]) -> RevisionMap {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(id, revises, up, down)| SourceFile {
                path: format!("migrations/{id}_x.sql"),
                name: format!("{id}_x.sql"),
                text: format!(
                    "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n-- Branch Labels: l_{id}\n\n-- +upgrade\n{up}\n\n-- +downgrade\n{down}\n"
                ),
            })
            .collect();
        build_map(&files).unwrap()
    }

    fn sqlite(map: &RevisionMap) -> Result<Rehearsed, Fault> {
        rehearse(map, None, &mut || {
            Scratch::open(None, &ConnectOptions::default())
        })
    }

    #[test]
    fn each_revision_runs_on_the_schema_of_its_parents() {
        let good = map(&[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            ("b2", "a1", "CREATE TABLE t_b (x INT);", "DROP TABLE t_b;"),
            ("c3", "a1", "CREATE TABLE t_c (x INT);", "DROP TABLE t_c;"),
            (
                "d4",
                "b2, c3",
                "CREATE INDEX ix ON t_b (x);",
                "DROP INDEX ix;",
            ),
        ]);
        let done = sqlite(&good).unwrap();
        assert_eq!((done.upgraded, done.round_trips), (4, 4));

        // c3 comes after b2 in order, yet does not see b2's table: it is not its parent.
        let leaning = map(&[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            ("b2", "a1", "CREATE TABLE t_b (x INT);", "DROP TABLE t_b;"),
            (
                "c3",
                "a1",
                "CREATE INDEX ix_c ON t_b (x);",
                "DROP INDEX ix_c;",
            ),
        ]);
        let fault = sqlite(&leaning).unwrap_err().to_string();
        assert!(
            fault.starts_with(
                "migrations/c3_x.sql:8: upgrade of c3 fails on sqlite: no such table: main.t_b"
            ),
            "{fault}"
        );
    }

    #[test]
    fn an_upgrade_that_does_not_come_back_after_its_downgrade_is_a_fault() {
        // A downgrade may take detours: only the schema it leaves counts.
        let odd = map(&[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            (
                "b2",
                "a1",
                "CREATE TABLE t_b (x INT);",
                "DROP TABLE t_b;\nCREATE TABLE t_b2 (x INT);\nDROP TABLE t_b2;",
            ),
        ]);
        assert_eq!(sqlite(&odd).unwrap().round_trips, 2);
        let wrong = map(&[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            (
                "b2",
                "a1",
                "CREATE TABLE t_b (x INT);",
                "ALTER TABLE t_b RENAME TO t_c;",
            ),
        ]);
        let fault = sqlite(&wrong).unwrap_err().to_string();
        assert!(
            fault.starts_with(
                "migrations/b2_x.sql:10: the downgrade of b2 does not give back the schema"
            ),
            "{fault}"
        );
        assert!(fault.contains("t_c"), "{fault}");
    }
}

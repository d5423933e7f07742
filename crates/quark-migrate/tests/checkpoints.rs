//! Checkpoints: `checkpoint REV` writes one file holding the schema REV and its ancestors leave;
//! a database at base runs it instead of replaying them and ends with the schema a replay gives,
//! downgrades through the old revisions, and a database past base never runs it. On a chain of
//! 300 revisions on SQLite and 40 on PostgreSQL and MariaDB, through the command line of the
//! application in `support/app.rs`.

#![cfg(all(
    feature = "cli",
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql"
))]

#[path = "support/app.rs"]
mod app;
#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;
#[path = "support/sqlite_file.rs"]
mod sqlite_file;
#[path = "support/target.rs"]
mod target;

use std::path::Path;

use quark_migrate::backend::Backend;
use quark_migrate::revision::{Dialect, Direction, RevisionMap};
use quark_migrate::schema::{self, Schema};
use quark_migrate::source::{build_map, read_dir};
use quark_migrate::{Error, Migrations};
use target::Target;

fn id(i: usize) -> String {
    format!("r{i:04}")
}

/// The first revision's table with an auto-increment key, one row left of two: its counter is
/// past the rows.
const COUNTED: &str = "-- +sqlite\nCREATE TABLE counted (id INTEGER PRIMARY KEY, name VARCHAR(40));\n-- +postgresql\nCREATE TABLE counted (id SERIAL PRIMARY KEY, name VARCHAR(40));\n-- +mysql\nCREATE TABLE counted (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40));\nINSERT INTO counted (name) VALUES ('one');\nINSERT INTO counted (name) VALUES ('two');\nDELETE FROM counted WHERE name = 'two';\n";

/// Writes a chain of `n` revisions into `dir`: each creates a table with a foreign key to the
/// table before it, a default, an index and a row (its text with a quote and a backslash), and
/// adds a column to the table before it; the first also makes `counted`.
fn write_chain(dir: &Path, n: usize) {
    for i in 1..=n {
        let (revises, fk, add, drop) = if i == 1 {
            (
                "None".to_string(),
                String::new(),
                COUNTED.to_string(),
                "DROP TABLE counted;\n".to_string(),
            )
        } else {
            (
                id(i - 1),
                format!(", FOREIGN KEY (parent) REFERENCES t{} (id)", i - 1),
                format!("ALTER TABLE t{} ADD COLUMN c{i} INT;\n", i - 1),
                format!("ALTER TABLE t{} DROP COLUMN c{i};\n", i - 1),
            )
        };
        let text = format!(
            "-- revision {i}\n--\n-- Revision ID: {}\n-- Revises: {revises}\n\n-- +upgrade\nCREATE TABLE t{i} (id INT NOT NULL PRIMARY KEY, parent INT, name VARCHAR(40) DEFAULT 'x'{fk});\nCREATE INDEX ix_t{i}_name ON t{i} (name);\nINSERT INTO t{i} (id, name) VALUES (1, 'it''s a \\\\ in {i}');\n{add}\n-- +downgrade\n{drop}DROP TABLE t{i};\n",
            id(i)
        );
        std::fs::write(dir.join(format!("{}_revision_{i}.sql", id(i))), text).unwrap();
    }
}

fn map_of(dir: &Path) -> RevisionMap {
    build_map(&read_dir(dir, "migrations").unwrap()).unwrap()
}

/// Runs `checkpoint of` on `dir` (with the server of `scratch`, if any); the file it wrote.
fn checkpoint(dir: &Path, of: &str, scratch: Option<&str>) -> String {
    let dir_arg = dir.display().to_string();
    let mut args = vec!["checkpoint", of, "--migrations-dir", &dir_arg];
    if let Some(url) = scratch {
        args.extend(["--scratch-url", url]);
    }
    let (ok, stdout, stderr) = app::outcome(&args);
    assert!(ok, "checkpoint {of}: {stdout}\n{stderr}");
    let written: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains("_checkpoint_"))
        .collect();
    let [name] = &written[..] else {
        panic!("one checkpoint file, not {written:?}");
    };
    assert!(stdout.contains(name.as_str()), "{stdout}");
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn upgrade(m: &Migrations, db: &mut dyn Backend, to: &str) -> Vec<String> {
    let report = m
        .migrator()
        .unwrap()
        .upgrade(db, &to.parse().unwrap())
        .unwrap_or_else(|e| panic!("upgrade to {to} on {}: {e}", db.dialect()));
    report.steps.iter().map(|s| s.revision.clone()).collect()
}

fn downgrade(m: &Migrations, db: &mut dyn Backend, to: &str) -> usize {
    let report = m
        .migrator()
        .unwrap()
        .downgrade(db, &to.parse().unwrap())
        .unwrap_or_else(|e| panic!("downgrade to {to} on {}: {e}", db.dialect()));
    report.steps.len()
}

/// The schema as the engine reads it, and as the server's catalog describes it.
fn schema_of(db: &mut dyn Backend) -> (Schema, Vec<String>) {
    let dialect = db.dialect();
    let read = schema::introspect(db, &[]).unwrap();
    let catalog = match dialect {
        // SQLite keeps each table's CREATE text, which a replay writes otherwise: the engine's
        // reading of it is the comparison there.
        Dialect::Sqlite => Vec::new(),
        _ => servers::catalog(db, dialect),
    };
    (read, catalog)
}

fn assert_same(replayed: &mut dyn Backend, built: &mut dyn Backend, when: &str) {
    let (a, a_catalog) = schema_of(replayed);
    let (b, b_catalog) = schema_of(built);
    let differs = schema::diff(&a, &b);
    assert!(differs.is_empty(), "{when}: {differs:#?}");
    assert_eq!(a_catalog, b_catalog, "{when}");
}

/// The same rows in both, and the same id for a new row (the counters where the history left
/// them); both get that row and lose it again, which moves their counters alike.
fn assert_same_rows(replayed: &mut dyn Backend, built: &mut dyn Backend, when: &str) {
    let run = |db: &mut dyn Backend, sql: &str| db.run(sql).unwrap();
    run(replayed, "INSERT INTO counted (name) VALUES ('next')");
    run(built, "INSERT INTO counted (name) VALUES ('next')");
    let rows = |db: &mut dyn Backend| -> Vec<Vec<Option<String>>> {
        db.query_text(&[
            "SELECT id, name FROM counted ORDER BY id",
            "SELECT id, name FROM t2",
        ])
        .unwrap()
        .concat()
    };
    assert_eq!(
        rows(replayed),
        rows(built),
        "{when}: the rows, and the id a new row gets"
    );
    run(replayed, "DELETE FROM counted WHERE name = 'next'");
    run(built, "DELETE FROM counted WHERE name = 'next'");
}

/// A checkpoint at `of` of an `n`-revision chain: a database at base runs it and the revisions
/// after it, and has the schema a replay gives; it downgrades across it through the old
/// revisions and comes back; one past base upgrades through the revisions; `verify` checks the
/// checkpoint's checksum as it checks a revision's.
fn a_checkpoint_gives_the_schema_of_a_replay(dialect: Dialect) {
    let (n, at) = match dialect {
        Dialect::Sqlite => (300, 290),
        _ => (40, 30),
    };
    let (Some(replayed), Some(built), Some(past)) = (
        Target::new(dialect),
        Target::new(dialect),
        Target::new(dialect),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), n);
    let history = Migrations::from_map(map_of(dir.path()));
    let scratch = (dialect != Dialect::Sqlite).then(|| built.url());
    let text = checkpoint(dir.path(), &id(at), scratch.as_deref());
    assert!(text.contains(&format!("-- +upgrade {dialect}\n")), "{text}");
    let map = map_of(dir.path());
    let cp = map.checkpoints()[0].id.clone();
    let with_checkpoint = Migrations::from_map(map);

    let (mut a, mut b) = (replayed.db(), built.db());
    assert_eq!(upgrade(&history, a.as_mut(), "head").len(), n);
    let steps = upgrade(&with_checkpoint, b.as_mut(), "head");
    assert_eq!(
        steps.len(),
        1 + n - at,
        "the checkpoint, then what follows it"
    );
    assert_eq!(
        (steps[0].as_str(), steps[1].as_str()),
        (cp.as_str(), id(at + 1).as_str())
    );
    let m = with_checkpoint.migrator().unwrap();
    assert_eq!(m.current(b.as_mut()).unwrap(), [id(n)]);
    assert_same(a.as_mut(), b.as_mut(), &format!("{dialect} at head"));
    assert_same_rows(a.as_mut(), b.as_mut(), &format!("{dialect} at head"));
    assert!(m.verify(b.as_mut()).unwrap().is_empty());
    // It is remembered as the revisions it stands for, as a replay remembers them.
    let remembered = |db: &mut dyn Backend| {
        let mut ids: Vec<String> = db
            .query("SELECT revision FROM alembic_version_revisions", &[])
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(remembered(b.as_mut()), remembered(a.as_mut()));
    assert_eq!(remembered(b.as_mut()).len(), n);

    // Down across the checkpoint, through the revisions it stands for, and back.
    let below = id(at - 10);
    assert_eq!(downgrade(&with_checkpoint, b.as_mut(), &below), n - at + 10);
    downgrade(&history, a.as_mut(), &below);
    assert_same(a.as_mut(), b.as_mut(), &format!("{dialect} at {below}"));
    assert_eq!(
        upgrade(&with_checkpoint, b.as_mut(), "head").len(),
        n - at + 10
    );
    upgrade(&history, a.as_mut(), "head");
    assert_same(a.as_mut(), b.as_mut(), &format!("{dialect} back at head"));

    // A database past base upgrades through the revisions: the checkpoint is not for it.
    let mut c = past.db();
    upgrade(&history, c.as_mut(), &id(3));
    let steps = upgrade(&with_checkpoint, c.as_mut(), "head");
    assert_eq!(steps.len(), n - 3);
    assert!(!steps.contains(&cp));
    assert_same(
        a.as_mut(),
        c.as_mut(),
        &format!("{dialect} from {} to head", id(3)),
    );

    // `replay_history` replays even from base.
    let d_target = Target::new(dialect).unwrap();
    let mut d = d_target.db();
    let replay = with_checkpoint.clone().replay_history(true);
    assert_eq!(upgrade(&replay, d.as_mut(), "head").len(), n);

    // The checkpoint's text edited after a database ran it is drift, named.
    let path = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("_checkpoint_"))
        .unwrap();
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("VARCHAR(40)", "VARCHAR(41)");
    std::fs::write(&path, edited).unwrap();
    let edited = Migrations::from_map(map_of(dir.path()));
    let drift = edited.migrator().unwrap().verify(b.as_mut()).unwrap();
    assert_eq!(
        drift
            .iter()
            .map(|d| d.revision.as_str())
            .collect::<Vec<_>>(),
        [cp.as_str()]
    );
    match edited.upgrade(&mut b) {
        Err(Error::Drift(d)) => assert_eq!(d[0].revision, cp),
        other => panic!("an edited checkpoint is drift: {other:?}"),
    }
}

/// An offline script from base starts from the checkpoint too, and piped into the sqlite3 shell
/// leaves what a replay leaves.
#[test]
fn an_offline_script_from_base_starts_from_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), 30);
    let history = Migrations::from_map(map_of(dir.path()));
    checkpoint(dir.path(), &id(20), None);
    let map = map_of(dir.path());
    let cp = map.checkpoints()[0].id.clone();
    let with_checkpoint = Migrations::from_map(map);
    let (report, script) = with_checkpoint
        .migrator()
        .unwrap()
        .script(
            Dialect::Sqlite,
            &[],
            &"head".parse().unwrap(),
            Direction::Upgrade,
        )
        .unwrap();
    assert_eq!(report.steps.len(), 11);
    assert_eq!(report.steps[0].revision, cp);
    assert!(
        !script.contains("CREATE TABLE t5 (id INT"),
        "no revision below the checkpoint runs"
    );
    let (Some(replayed), Some(offline)) =
        (Target::new(Dialect::Sqlite), Target::new(Dialect::Sqlite))
    else {
        unreachable!("SQLite is always there");
    };
    let mut a = replayed.db();
    upgrade(&history, a.as_mut(), "head");
    sqlite_file::sqlite3(&offline.file().unwrap(), &script);
    let mut b = offline.db();
    assert_eq!(
        with_checkpoint
            .migrator()
            .unwrap()
            .current(b.as_mut())
            .unwrap(),
        [id(30)]
    );
    assert_same(a.as_mut(), b.as_mut(), "an offline script");
    assert_same_rows(a.as_mut(), b.as_mut(), "an offline script");
}

/// The rows a history leaves are carried, up to 10,000 of them: more is data, not seed rows, and
/// is refused naming the tables; nothing is written.
#[test]
fn seed_rows_are_carried_and_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), 3);
    let text = checkpoint(dir.path(), &id(3), None);
    assert!(text.contains("INSERT INTO t2 (id, parent, name, c3) VALUES\n    ('1', NULL, 'it''s a \\\\ in 2', NULL)"), "{text}");
    // SQLite's AUTOINCREMENT is a keyword the checkpoint cannot write: no SQLite section then.
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), 1);
    let first = dir.path().join("r0001_revision_1.sql");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(
        &first,
        text.replace(
            "id INTEGER PRIMARY KEY,",
            "id INTEGER PRIMARY KEY AUTOINCREMENT,",
        ),
    )
    .unwrap();
    let dir_arg = dir.path().display().to_string();
    let (ok, _, stderr) = app::outcome(&["checkpoint", "r0001", "--migrations-dir", &dir_arg]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("No sqlite section: the checkpoint cannot make counted with AUTOINCREMENT"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), 1);
    std::fs::write(
        dir.path().join("r0002_data.sql"),
        "-- data\n--\n-- Revision ID: r0002\n-- Revises: r0001\n\n-- +upgrade\nWITH RECURSIVE c(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM c WHERE x <= 10001) INSERT INTO t1 (id, name) SELECT x, 'n' FROM c;\n",
    )
    .unwrap();
    let dir_arg = dir.path().display().to_string();
    let (ok, _, stderr) = app::outcome(&["checkpoint", "r0002", "--migrations-dir", &dir_arg]);
    assert!(!ok);
    assert!(
        stderr.contains("the revisions up to r0002 leave 10003 rows on sqlite (counted (1), t1 (10002)): a checkpoint carries at most 10000 seed rows"),
        "{stderr}"
    );
    let written = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("checkpoint")
        })
        .count();
    assert_eq!(written, 0, "nothing written");
}

on_each_backend! {
    a_checkpoint_gives_the_schema_of_a_replay => sqlite_checkpoint_replay, postgres_checkpoint_replay, mysql_checkpoint_replay;
}

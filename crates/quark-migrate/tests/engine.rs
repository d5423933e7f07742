//! The engine through the library API, on SQLite, with chains written by each test.

use std::path::Path;

use quark_migrate::backend::DatabaseUrl;
use quark_migrate::backend::{self, Backend, ConnectOptions};
use quark_migrate::migrator::{Migrator, Operation, Outcome};
use quark_migrate::revision::RevisionMap;
use quark_migrate::{Error, source};

fn write_chain(dir: &Path, files: &[(impl AsRef<str>, impl AsRef<str>)]) -> RevisionMap {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    for (name, text) in files {
        std::fs::write(migrations.join(name.as_ref()), text.as_ref()).unwrap();
    }
    source::build_map(&source::read_dir(&migrations, "migrations").unwrap()).unwrap()
}

fn rev(id: &str, revises: &str, up: &str, down: &str) -> (String, String) {
    let down = if down.is_empty() {
        String::new()
    } else {
        format!("-- +downgrade\n{down}\n")
    };
    (
        format!("{id}_x.sql"),
        format!(
            "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- +upgrade\n{up}\n{down}"
        ),
    )
}

fn open(dir: &Path) -> Box<dyn Backend> {
    let url = DatabaseUrl::parse(&format!("sqlite:///{}", dir.join("t.db").display())).unwrap();
    backend::connect(&url, &ConnectOptions::default()).unwrap()
}

fn tables(db: &mut dyn Backend) -> Vec<String> {
    db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't_%' ORDER BY name",
        &[],
    )
    .unwrap()
    .into_iter()
    .map(|r| r[0].as_text().unwrap().to_string())
    .collect()
}

fn chain(dir: &Path, specs: &[(&str, &str, &str, &str)]) -> RevisionMap {
    let files: Vec<(String, String)> = specs.iter().map(|(id, p, u, d)| rev(id, p, u, d)).collect();
    write_chain(dir, &files)
}

#[test]
fn a_failing_revision_rolls_back_and_names_file_statement_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let map = chain(
        dir.path(),
        &[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            (
                "b2",
                "a1",
                "CREATE TABLE t_b (x INT);\nINSERT INTO t_b VALUES (1);\nINSERT INTO t_missing VALUES (2);",
                "DROP TABLE t_b;",
            ),
        ],
    );
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (f.revision.as_str(), f.statement, f.statements, f.line),
        ("b2", 3, 3, 9)
    );
    assert_eq!(f.path, "migrations/b2_x.sql");
    assert!(f.message.contains("no such table: t_missing"));
    let driver = driver_error(&err).expect("the driver's error is kept as the source");
    assert!(driver.to_string().contains("no such table: t_missing"));
    let text = err.to_string();
    assert!(text.contains("upgrade of b2 failed at statement 3 of 3 (migrations/b2_x.sql:9): INSERT INTO t_missing VALUES (2): no such table: t_missing"), "{text}");
    assert!(
        text.contains("the database is left at a1, nothing of this upgrade took effect"),
        "{text}"
    );
    assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    assert_eq!(tables(db.as_mut()), ["t_a"], "t_b was rolled back");
    let failed = m
        .history(db.as_mut())
        .unwrap()
        .into_iter()
        .find(|e| e.outcome == Outcome::Failed)
        .unwrap();
    assert_eq!(
        (
            failed.revision.as_str(),
            failed.statements,
            failed.statements_done
        ),
        ("b2", 3, 0)
    );
    assert!(failed.error.unwrap().contains("t_missing"));
}

#[test]
fn non_transactional_revision_reports_what_took_effect() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        rev("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
        (
            "b2_x.sql".to_string(),
            "-- vacuum\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n\n-- +upgrade\nCREATE TABLE t_b (x INT);\nVACUUM;\n\n-- +downgrade\nDROP TABLE t_b;\n".to_string(),
        ),
        rev("c3", "b2", "CREATE TABLE t_c (x INT);\nCREATE TABLE t_c (x INT);", "DROP TABLE t_c;"),
    ];
    let map = write_chain(dir.path(), &files);
    assert!(!map.get("b2").unwrap().transactional);
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    // VACUUM cannot run inside a transaction: it succeeds only because b2 runs outside one.
    m.upgrade(db.as_mut(), &"b2".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    m.downgrade(db.as_mut(), &"base".parse().unwrap()).unwrap();
    assert!(tables(db.as_mut()).is_empty());
    // A transactional revision with a failing second statement leaves nothing.
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("the database is left at b2"),
        "{err}"
    );
    assert_eq!(tables(db.as_mut()), ["t_a", "t_b"]);
}

#[test]
fn a_failing_non_transactional_revision_says_which_statements_took_effect() {
    let dir = tempfile::tempdir().unwrap();
    let files = [(
        "a1_x.sql".to_string(),
        "-- outside\n--\n-- Revision ID: a1\n-- Revises: None\n-- Transactional: false\n\n-- +upgrade\nCREATE TABLE t_a (x INT);\nCREATE TABLE t_a (x INT);\n".to_string(),
    )];
    let map = write_chain(dir.path(), &files);
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("statements 1 to 1 took effect"), "{text}");
    assert!(text.contains("the database is left at base"), "{text}");
    assert!(m.current(db.as_mut()).unwrap().is_empty());
    assert_eq!(tables(db.as_mut()), ["t_a"]);
}

#[test]
fn branches_merge_and_label_targets() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        rev("r0", "None", "CREATE TABLE t_r (x INT);", "DROP TABLE t_r;"),
        rev("a1", "r0", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
        rev("b1", "r0", "CREATE TABLE t_b (x INT);", "DROP TABLE t_b;"),
        (
            "m2_x.sql".to_string(),
            "-- merge\n--\n-- Revision ID: m2\n-- Revises: a1, b1\n\n-- +upgrade\n-- +downgrade\n"
                .to_string(),
        ),
    ];
    let map = write_chain(dir.path(), &files);
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    m.upgrade(db.as_mut(), &"a1".parse().unwrap()).unwrap();
    m.upgrade(db.as_mut(), &"b1".parse().unwrap()).unwrap();
    assert_eq!(
        m.current(db.as_mut()).unwrap(),
        ["a1", "b1"],
        "two rows while two branches are applied"
    );
    let report = m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(m.current(db.as_mut()).unwrap(), ["m2"]);
    m.downgrade(db.as_mut(), &"-1".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["a1", "b1"]);
    m.downgrade(db.as_mut(), &"a1".parse().unwrap()).unwrap();
    assert_eq!(
        m.current(db.as_mut()).unwrap(),
        ["a1", "b1"],
        "a1 is already the floor of its branch"
    );
    m.downgrade(db.as_mut(), &"r0".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["r0"]);
    assert_eq!(tables(db.as_mut()), ["t_r"]);
}

#[test]
fn irreversible_downgrade_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let map = chain(
        dir.path(),
        &[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            ("b2", "a1", "CREATE TABLE t_b (x INT);", ""),
            ("c3", "b2", "CREATE TABLE t_c (x INT);", "DROP TABLE t_c;"),
        ],
    );
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
    let err = m
        .downgrade(db.as_mut(), &"base".parse().unwrap())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot downgrade revision b2 (migrations/b2_x.sql)"),
        "{err}"
    );
    assert_eq!(m.current(db.as_mut()).unwrap(), ["c3"]);
    assert_eq!(tables(db.as_mut()), ["t_a", "t_b", "t_c"]);
    m.downgrade(db.as_mut(), &"b2".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
}

#[test]
fn statements_with_semicolons_in_strings_and_triggers_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let up = "CREATE TABLE t_a (x TEXT);\nCREATE TABLE t_log (n INT);\nCREATE TRIGGER t_trg AFTER INSERT ON t_a BEGIN\n  INSERT INTO t_log VALUES (1);\n  INSERT INTO t_log VALUES (2);\nEND;\nINSERT INTO t_a VALUES ('a;b'); -- trailing; comment\n/* block; */ INSERT INTO t_a VALUES ('it''s;');";
    let map = chain(
        dir.path(),
        &[("a1", "None", up, "DROP TABLE t_log;\nDROP TABLE t_a;")],
    );
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    let report = m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
    assert_eq!(report.steps[0].statements, 5);
    let rows = db.query("SELECT x FROM t_a ORDER BY x", &[]).unwrap();
    let values: Vec<&str> = rows.iter().map(|r| r[0].as_text().unwrap()).collect();
    assert_eq!(values, ["a;b", "it's;"]);
    let log = db.query("SELECT count(*) FROM t_log", &[]).unwrap();
    assert_eq!(log[0][0].as_int(), Some(4));
}

#[test]
fn concurrent_migrators_wait_for_the_lock_and_apply_once() {
    let dir = tempfile::tempdir().unwrap();
    let slow = "CREATE TABLE t_slow (n INT);\nINSERT INTO t_slow WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c;";
    let map = chain(
        dir.path(),
        &[
            ("a1", "None", slow, "DROP TABLE t_slow;"),
            ("b2", "a1", "CREATE TABLE t_b (x INT);", "DROP TABLE t_b;"),
        ],
    );
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut db = open(dir.path());
                Migrator::new(&map)
                    .upgrade(db.as_mut(), &"head".parse().unwrap())
                    .unwrap();
            });
        }
    });
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    let history = m.history(db.as_mut()).unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|e| e.operation == Operation::Upgrade)
            .count(),
        2,
        "{history:?}"
    );
}

#[test]
fn lock_timeout_is_reported_and_the_lock_is_released_after_errors() {
    let dir = tempfile::tempdir().unwrap();
    let map = chain(
        dir.path(),
        &[(
            "a1",
            "None",
            "CREATE TABLE t_a (x INT);\nCREATE TABLE t_a (x INT);",
            "DROP TABLE t_a;",
        )],
    );
    let mut holder = open(dir.path());
    holder
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
    let mut db = open(dir.path());
    let m = Migrator::new(&map).lock_timeout(std::time::Duration::from_millis(200));
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("waiting for the migration lock"),
        "{err}"
    );
    holder.unlock().unwrap();
    // The revision fails; the lock must still be released, so another migrator can take it at once.
    assert!(matches!(
        m.upgrade(db.as_mut(), &"head".parse().unwrap()),
        Err(Error::StepFailed(_))
    ));
    let mut other = open(dir.path());
    other
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
}

#[test]
fn a_partly_applied_revision_blocks_upgrades_until_resumed_or_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        rev("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
        (
            "b2_x.sql".to_string(),
            "-- outside\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_fix VALUES (1);\nCREATE TABLE t_c (x INT);\n\n-- +downgrade\nDROP TABLE t_c;\nDROP TABLE t_b;\n".to_string(),
        ),
    ];
    let map = write_chain(dir.path(), &files);
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    let head = "head".parse().unwrap();
    let first = m.upgrade(db.as_mut(), &head).unwrap_err();
    assert!(
        first.to_string().contains("statements 1 to 1 took effect"),
        "{first}"
    );
    // The next run refuses with the same facts until the user acts.
    let again = m.upgrade(db.as_mut(), &head).unwrap_err();
    let Error::Unfinished(row) = &again else {
        panic!("{again}")
    };
    assert_eq!(
        (row.revision.as_str(), row.statements_done, row.statements),
        ("b2", 1, 3)
    );
    let text = again.to_string();
    assert!(
        text.contains("revision b2")
            && text.contains("failed at statement 2 of 3")
            && text.contains("no such table: t_fix"),
        "{text}"
    );
    assert!(
        text.contains("`upgrade --resume` to continue at statement 2"),
        "{text}"
    );
    assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    // Repair, then resume: statement 1 (CREATE TABLE t_b) must not run twice.
    db.run("CREATE TABLE t_fix (x INT)").unwrap();
    let report = m.clone().resume(true).upgrade(db.as_mut(), &head).unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    assert_eq!(tables(db.as_mut()), ["t_a", "t_b", "t_c", "t_fix"]);
    let last = m.history(db.as_mut()).unwrap().pop().unwrap();
    assert_eq!((last.outcome, last.statements_done), (Outcome::Success, 3));
}

#[test]
fn stamping_clears_an_unfinished_revision() {
    let dir = tempfile::tempdir().unwrap();
    let files = [(
        "a1_x.sql".to_string(),
        "-- outside\n--\n-- Revision ID: a1\n-- Revises: None\n-- Transactional: false\n\n-- +upgrade\nCREATE TABLE t_a (x INT);\nINSERT INTO t_fix VALUES (1);\n".to_string(),
    )];
    let map = write_chain(dir.path(), &files);
    let mut db = open(dir.path());
    let m = Migrator::new(&map);
    let head = "head".parse().unwrap();
    m.upgrade(db.as_mut(), &head).unwrap_err();
    assert!(matches!(
        m.upgrade(db.as_mut(), &head),
        Err(Error::Unfinished(_))
    ));
    assert!(matches!(
        m.downgrade(db.as_mut(), &"base".parse().unwrap()),
        Err(Error::Unfinished(_))
    ));
    m.stamp(db.as_mut(), &"a1".parse().unwrap(), false).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    assert!(m.upgrade(db.as_mut(), &head).unwrap().steps.is_empty());
}

#[test]
fn startup_api_status_without_the_lock_then_upgrade_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let map = chain(
        dir.path(),
        &[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            ("b2", "a1", "CREATE TABLE t_b (x INT);", "DROP TABLE t_b;"),
        ],
    );
    let migrations = quark_migrate::Migrations::from_map(map)
        .lock_timeout(std::time::Duration::from_millis(200));
    assert_eq!(migrations.heads().unwrap(), ["b2"]);
    let url = format!("sqlite:///{}", dir.path().join("t.db").display());
    let mut db = migrations.connect(&url).unwrap();

    // Another process holds the lock: the status still answers, the upgrade times out, typed.
    let mut holder = open(dir.path());
    holder
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
    let status = migrations.status(db.as_mut()).unwrap();
    assert!(status.current.is_empty());
    assert_eq!(status.pending, ["a1", "b2"]);
    assert!(!status.is_up_to_date());
    assert!(matches!(
        migrations.upgrade(db.as_mut()),
        Err(Error::LockTimeout { .. })
    ));
    holder.unlock().unwrap();

    let report = migrations.upgrade(db.as_mut()).unwrap();
    let ran: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(ran, ["a1", "b2"]);
    assert_eq!(report.after, ["b2"]);
    assert!(report.steps.iter().all(|s| s.statements == 1));
    let status = migrations.status(db.as_mut()).unwrap();
    assert!(status.is_up_to_date(), "{status:?}");

    // Nothing pending: a second start takes no lock, so a held lock does not delay it.
    holder
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
    assert!(migrations.upgrade(db.as_mut()).unwrap().steps.is_empty());
    holder.unlock().unwrap();

    // An edited revision shows as drift.
    db.run("UPDATE alembic_version_history SET checksum = 'edited' WHERE revision = 'a1'")
        .unwrap();
    let status = migrations.status(db.as_mut()).unwrap();
    assert_eq!(status.drift.len(), 1);
    assert_eq!(status.drift[0].revision, "a1");
    assert!(!status.is_up_to_date());

    // Connection failures are typed too.
    let missing = format!(
        "sqlite:///{}",
        dir.path().join("no/such/dir/t.db").display()
    );
    let Err(err) = migrations.connect(&missing) else {
        panic!("a directory that does not exist cannot hold a database")
    };
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(
        driver_error(&err).is_some(),
        "the driver's error is the source"
    );
}

/// The `rusqlite` error somewhere in `err`'s chain of sources.
fn driver_error(err: &dyn std::error::Error) -> Option<&rusqlite::Error> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(found) = e.downcast_ref::<rusqlite::Error>() {
            return Some(found);
        }
        source = e.source();
    }
    None
}

#[test]
fn single_transaction_applies_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let map = chain(
        dir.path(),
        &[
            ("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            ("b2", "a1", "CREATE TABLE t_b (x INT);", "DROP TABLE t_b;"),
            (
                "c3",
                "b2",
                "CREATE TABLE t_c (x INT);\nINSERT INTO t_missing VALUES (1);",
                "DROP TABLE t_c;",
            ),
        ],
    );
    let mut db = open(dir.path());
    let m = Migrator::new(&map).single_transaction(true);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (f.revision.as_str(), f.statement, f.took_effect),
        ("c3", 2, 0)
    );
    assert!(f.left_at.is_empty(), "the whole run rolled back: {err}");
    assert!(
        err.to_string().contains("the database is left at base"),
        "{err}"
    );
    assert!(m.current(db.as_mut()).unwrap().is_empty());
    assert!(
        tables(db.as_mut()).is_empty(),
        "t_a and t_b rolled back too"
    );
    let failed = db
        .query("SELECT revision, outcome FROM alembic_version_history", &[])
        .unwrap();
    assert_eq!(failed.len(), 1, "only the failure is recorded: {failed:?}");

    m.upgrade(db.as_mut(), &"b2".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    assert!(tables(db.as_mut()).contains(&"t_b".to_string()));
}

#[test]
fn single_transaction_falls_back_to_one_per_revision_for_a_non_transactional_revision() {
    let dir = tempfile::tempdir().unwrap();
    let map = write_chain(
        dir.path(),
        &[
            rev("a1", "None", "CREATE TABLE t_a (x INT);", "DROP TABLE t_a;"),
            (
                "b2_x.sql".to_string(),
                "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n\n-- +upgrade\nINSERT INTO t_missing VALUES (1);\n".to_string(),
            ),
        ],
    );
    let mut db = open(dir.path());
    let m = Migrator::new(&map).single_transaction(true);
    assert!(m.upgrade(db.as_mut(), &"head".parse().unwrap()).is_err());
    assert_eq!(
        m.current(db.as_mut()).unwrap(),
        ["a1"],
        "a1 committed on its own"
    );
}

mod rust_revisions {
    //! Revisions written in Rust, with the functions defined here and handed to the migrator as
    //! build.rs would embed them.

    use super::*;
    use quark_migrate::backend::Value;
    use quark_migrate::code::{Code, CodeError, Db};
    use quark_migrate::revision::Dialect;

    const RUST_REV: &str = "//! copy rows in code\n//!\n//! Revision ID: b2\n//! Revises: a1\n//! Create Date: 2026-11-25\n\nuse quark_migrate::code::{CodeError, Db};\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    unreachable!()\n}\n\npub fn downgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    unreachable!()\n}\n";

    /// Doubles every value of t_a into t_b.
    fn double(db: &mut Db<'_>) -> Result<(), CodeError> {
        for row in db.query("SELECT x FROM t_a ORDER BY x", &[])? {
            let x = row[0].as_int().ok_or_else(|| CodeError::msg("x is NULL"))?;
            db.execute(
                "INSERT INTO t_b (x, label) VALUES (?, ?)",
                &[Value::Int(2 * x), Value::from("it's ?")],
            )?;
        }
        Ok(())
    }

    fn empty_t_b(db: &mut Db<'_>) -> Result<(), CodeError> {
        db.execute("DELETE FROM t_b", &[]).map(|_| ())
    }

    /// Writes a row, then gives up: the row must not survive.
    fn gives_up(db: &mut Db<'_>) -> Result<(), CodeError> {
        db.execute(
            "INSERT INTO t_b (x, label) VALUES (?, ?)",
            &[Value::Int(99), Value::Null],
        )?;
        Err(CodeError::msg(
            "subnet s1 has the CIDR 'nope', which is not a CIDR",
        ))
    }

    fn setup(dir: &Path, rust: &str) -> RevisionMap {
        write_chain(
            dir,
            &[
                rev(
                    "a1",
                    "None",
                    "CREATE TABLE t_a (x INT);\nCREATE TABLE t_b (x INT, label VARCHAR(20));\nINSERT INTO t_a VALUES (1);\nINSERT INTO t_a VALUES (5);",
                    "DROP TABLE t_b;\nDROP TABLE t_a;",
                ),
                ("b2_copy.rs".to_string(), rust.to_string()),
                rev("c3", "b2", "CREATE TABLE t_c (x INT);", "DROP TABLE t_c;"),
            ],
        )
    }

    fn t_b(db: &mut dyn Backend) -> Vec<(i64, Option<String>)> {
        db.query("SELECT x, label FROM t_b ORDER BY x", &[])
            .unwrap()
            .into_iter()
            .map(|r| (r[0].as_int().unwrap(), r[1].as_text().map(str::to_string)))
            .collect()
    }

    #[test]
    fn runs_with_bound_parameters_and_is_recorded_with_the_checksum_of_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let map = setup(dir.path(), RUST_REV);
        let code = map.get("b2").unwrap().code.clone().unwrap();
        assert_eq!((code.upgrade_line, code.downgrade_line), (9, Some(13)));
        let mut db = open(dir.path());
        let m = Migrator::new(&map).code([(
            "b2".to_string(),
            Code {
                upgrade: double,
                downgrade: Some(empty_t_b),
            },
        )]);
        let report = m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
        assert_eq!(report.steps[1].revision, "b2");
        assert_eq!(report.steps[1].statements, 3, "one query and two inserts");
        let it = Some("it's ?".to_string());
        assert_eq!(t_b(db.as_mut()), [(2, it.clone()), (10, it)]);
        let entry = m
            .history(db.as_mut())
            .unwrap()
            .into_iter()
            .find(|e| e.revision == "b2")
            .unwrap();
        let b2 = map.get("b2").unwrap();
        let up = quark_migrate::revision::Direction::Upgrade;
        assert_eq!(
            b2.checksummed_text(up, Dialect::Sqlite).as_deref(),
            Some(RUST_REV)
        );
        assert_eq!(entry.checksum, b2.checksum(up, Dialect::Sqlite));
        assert!(m.verify(db.as_mut()).unwrap().is_empty());
        m.downgrade(db.as_mut(), &"a1".parse().unwrap()).unwrap();
        assert!(t_b(db.as_mut()).is_empty());
        assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    }

    #[test]
    fn a_failure_rolls_its_writes_back_and_names_the_file_and_function() {
        let dir = tempfile::tempdir().unwrap();
        let map = setup(dir.path(), RUST_REV);
        let mut db = open(dir.path());
        let m = Migrator::new(&map).code([(
            "b2".to_string(),
            Code {
                upgrade: gives_up,
                downgrade: None,
            },
        )]);
        let err = m
            .upgrade(db.as_mut(), &"head".parse().unwrap())
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("upgrade of b2 failed in its Rust code (migrations/b2_copy.rs:9): subnet s1 has the CIDR 'nope', which is not a CIDR; the database is left at a1, nothing of this upgrade took effect"),
            "{text}"
        );
        assert!(t_b(db.as_mut()).is_empty(), "the insert was rolled back");
        assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
        let failed = m.history(db.as_mut()).unwrap().pop().unwrap();
        assert_eq!(
            (failed.revision.as_str(), failed.outcome),
            ("b2", Outcome::Failed)
        );
        // A failure that took nothing into effect does not block the next upgrade.
        let m = m.code([(
            "b2".to_string(),
            Code {
                upgrade: double,
                downgrade: None,
            },
        )]);
        m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
        assert_eq!(m.current(db.as_mut()).unwrap(), ["c3"]);
    }

    #[test]
    fn a_failed_statement_is_reported_with_its_number_and_sql() {
        fn bad_sql(db: &mut Db<'_>) -> Result<(), CodeError> {
            db.execute("INSERT INTO t_b (x) VALUES (?)", &[Value::Int(1)])?;
            db.query("SELECT nope FROM t_b WHERE x = ?", &[Value::Int(1)])?;
            Ok(())
        }
        let dir = tempfile::tempdir().unwrap();
        let map = setup(dir.path(), RUST_REV);
        let mut db = open(dir.path());
        let m = Migrator::new(&map).code([(
            "b2".to_string(),
            Code {
                upgrade: bad_sql,
                downgrade: None,
            },
        )]);
        let text = m
            .upgrade(db.as_mut(), &"head".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("statement 2 failed: no such column: nope"),
            "{text}"
        );
        assert!(text.contains("SELECT nope FROM t_b WHERE x = ?"), "{text}");
        assert!(t_b(db.as_mut()).is_empty());
    }

    #[test]
    fn without_a_downgrade_it_is_irreversible_and_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let irreversible = RUST_REV.split("\npub fn downgrade").next().unwrap();
        let map = setup(dir.path(), irreversible);
        assert!(!map.get("b2").unwrap().can_run(
            quark_migrate::revision::Direction::Downgrade,
            Dialect::Sqlite
        ));
        let mut db = open(dir.path());
        let m = Migrator::new(&map).code([(
            "b2".to_string(),
            Code {
                upgrade: double,
                downgrade: None,
            },
        )]);
        m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
        let err = m
            .downgrade(db.as_mut(), &"base".parse().unwrap())
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cannot downgrade revision b2 (migrations/b2_copy.rs): it is irreversible"
            ),
            "{err}"
        );
        assert_eq!(
            m.current(db.as_mut()).unwrap(),
            ["c3"],
            "not even c3 was downgraded"
        );
        assert_eq!(tables(db.as_mut()), ["t_a", "t_b", "t_c"]);
    }

    #[test]
    fn code_missing_from_the_program_is_refused_before_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let map = setup(dir.path(), RUST_REV);
        let mut db = open(dir.path());
        let m = Migrator::new(&map);
        let err = m
            .upgrade(db.as_mut(), &"head".parse().unwrap())
            .unwrap_err();
        assert!(
            matches!(&err, Error::CodeMissing { revision, .. } if revision == "b2"),
            "{err}"
        );
        assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    }

    #[test]
    fn offline_sql_refuses_rust_revisions_and_a_preview_notes_them() {
        let dir = tempfile::tempdir().unwrap();
        let map = setup(dir.path(), RUST_REV);
        let mut db = open(dir.path());
        let m = Migrator::new(&map).code([(
            "b2".to_string(),
            Code {
                upgrade: double,
                downgrade: None,
            },
        )]);
        let up = quark_migrate::revision::Direction::Upgrade;
        let err = m
            .script(Dialect::Sqlite, &[], &"head".parse().unwrap(), up)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("revision b2 is written in Rust")
                && err.to_string().contains("(b2:<target> --sql)"),
            "{err}"
        );
        let (_, after) = m
            .script(
                Dialect::Sqlite,
                &["b2".to_string()],
                &"head".parse().unwrap(),
                up,
            )
            .unwrap();
        assert!(after.contains("CREATE TABLE t_c"), "{after}");
        let (report, preview) = m
            .preview(db.as_mut(), &"head".parse().unwrap(), up)
            .unwrap();
        assert_eq!(report.steps.len(), 3);
        assert!(
            preview.contains("-- upgrade of b2 runs Rust code (migrations/b2_copy.rs:9) on the data it reads: not shown"),
            "{preview}"
        );
        assert!(
            m.current(db.as_mut()).unwrap().is_empty(),
            "a preview changes nothing"
        );
    }

    #[test]
    fn in_a_single_transaction_a_rust_failure_undoes_the_whole_run() {
        let dir = tempfile::tempdir().unwrap();
        let map = setup(dir.path(), RUST_REV);
        let mut db = open(dir.path());
        let m = Migrator::new(&map).single_transaction(true).code([(
            "b2".to_string(),
            Code {
                upgrade: gives_up,
                downgrade: None,
            },
        )]);
        let err = m
            .upgrade(db.as_mut(), &"head".parse().unwrap())
            .unwrap_err();
        assert!(
            err.to_string().contains("the database is left at base"),
            "{err}"
        );
        assert!(tables(db.as_mut()).is_empty());
        assert!(m.current(db.as_mut()).unwrap().is_empty());
    }
}

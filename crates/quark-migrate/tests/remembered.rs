//! Remembered SQL runs only when something no database writer holds vouches for it: the
//! signature of a key the release trusts, or the operator's `--trust-remembered`. An attacker
//! with write access to the engine's tables plants or edits a record of a revision the binary
//! does not embed; nothing it wrote runs, on SQLite, PostgreSQL and MariaDB.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;

use quark_migrate::backend::{Backend, Value};
use quark_migrate::code::Db;
use quark_migrate::remembered::{ReleaseKey, Vouching};
use quark_migrate::revision::{Dialect, Target};
use quark_migrate::{EmbeddedFile, Error, Migrations};
use servers::{Kind, TestDb};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn file(id: &str, revises: &str, header: &str, up: &str, down: &str) -> EmbeddedFile {
    EmbeddedFile {
        path: leak(format!("migrations/{id}_x.sql")),
        source: leak(format!(
            "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n{header}\n-- +upgrade\n{up}\n\n-- +downgrade\n{down}\n"
        )),
        summary: None,
        code: None,
    }
}

/// Release N (a1, a2), or N+1 with a3 on top.
fn files(newer: bool) -> Vec<EmbeddedFile> {
    let mut files = vec![
        file(
            "a1",
            "None",
            "",
            "CREATE TABLE items (id INT NOT NULL PRIMARY KEY);",
            "DROP TABLE items;",
        ),
        file(
            "a2",
            "a1",
            "",
            "CREATE TABLE tags (id INT NOT NULL PRIMARY KEY);",
            "DROP TABLE tags;",
        ),
    ];
    if newer {
        files.push(file(
            "a3",
            "a2",
            "",
            "CREATE TABLE notes (id INT NOT NULL PRIMARY KEY);",
            "DROP TABLE notes;",
        ));
    }
    files
}

/// A release built with `key` (signing its records and trusting that key), or without one.
fn release(newer: bool, key: Option<u8>) -> Migrations {
    let m = Migrations::new(Box::leak(files(newer).into_boxed_slice())).unwrap();
    match key {
        Some(seed) => {
            let vouching = Vouching::signed(
                m.map().unwrap(),
                &ReleaseKey::from_seed([seed; 32]),
                &Dialect::ALL,
            );
            m.vouching(vouching)
        }
        None => m,
    }
}

/// A fresh database of `dialect` and its URL.
struct Place {
    _dir: Option<tempfile::TempDir>,
    _server: Option<TestDb>,
    url: String,
}

fn place(dialect: Dialect) -> Option<Place> {
    Some(match dialect {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:///{}", dir.path().join("app.db").display());
            Place {
                _dir: Some(dir),
                _server: None,
                url,
            }
        }
        _ => {
            let kind = if dialect == Dialect::Postgresql {
                Kind::Postgres
            } else {
                Kind::Mysql
            };
            let server = TestDb::new(kind)?;
            let url = server.url.clone();
            Place {
                _dir: None,
                _server: Some(server),
                url,
            }
        }
    })
}

/// The SQL an attacker plants: a table that must never appear.
const PLANTED: &str = "CREATE TABLE pwned (x INT)\n;\n";

/// SHA-256 in hex, as anyone can compute it (the checksum is no secret).
fn checksum(sql: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn planted(db: &mut dyn Backend) -> bool {
    db.table_exists("pwned").unwrap()
}

fn exec(db: &mut dyn Backend, sql: &str, params: &[Value]) {
    Db::new(db)
        .execute(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The attack of the issue: a record of a made-up revision whose parent is the binary's head,
/// with any SQL as its downgrade (and the checksum anyone can compute), and the version row
/// pointed at it.
fn plant(db: &mut dyn Backend, breaking: Option<&str>) {
    exec(
        db,
        "INSERT INTO alembic_version_revisions (revision, parents, depends_on, branch_labels, message, breaking, transactional, downgrade, downgrade_checksum, no_downgrade, recorded_at) VALUES (?, ?, '', '', ?, ?, 1, ?, ?, NULL, '2026-12-07T00:00:00Z')",
        &[
            "zz9".into(),
            "a2".into(),
            "routine maintenance".into(),
            breaking.into(),
            PLANTED.into(),
            checksum(PLANTED).as_str().into(),
        ],
    );
    exec(db, "UPDATE alembic_version SET version_num = 'zz9'", &[]);
}

/// A keyless release refuses to run a remembered downgrade nobody vouched for, shows it in a
/// dry run, and runs it when the operator vouches (`--trust-remembered`).
fn an_unsigned_record_is_shown_and_never_run_unless_the_operator_vouches(dialect: Dialect) {
    let Some(place) = place(dialect) else { return };
    let (old, new) = (release(false, None), release(true, None));
    new.migrate(&place.url).unwrap();
    let mut db = old.connect(&place.url).unwrap();
    let m = old.migrator().unwrap();
    let err = m
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap_err();
    assert!(matches!(err, Error::Unvouched { .. }), "{err}");
    let said = err.to_string();
    assert!(
        said.contains("a3 (it is not signed)")
            && said.contains("--dry-run")
            && said.contains("--trust-remembered"),
        "{said}"
    );
    assert!(db.table_exists("notes").unwrap(), "nothing was run");
    let (_, sql) = m
        .preview(
            db.as_mut(),
            &Target::Revision("a2".into()),
            quark_migrate::revision::Direction::Downgrade,
        )
        .unwrap();
    assert!(
        sql.contains("a3: remembered by the database, NOT vouched for (it is not signed)")
            && sql.contains("DROP TABLE notes"),
        "{sql}"
    );
    let report = m
        .clone()
        .trust_unvouched(true)
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap();
    assert_eq!(report.after, ["a2"]);
    assert!(!db.table_exists("notes").unwrap());
}

/// Releases built with one key: N takes back what N+1 applied, with the SQL N+1 signed.
fn a_signed_record_runs(dialect: Dialect) {
    let Some(place) = place(dialect) else { return };
    let (old, new) = (release(false, Some(1)), release(true, Some(1)));
    new.migrate(&place.url).unwrap();
    let mut db = old.connect(&place.url).unwrap();
    assert!(
        old.migrate(&place.url).unwrap().steps.is_empty(),
        "N starts on N+1's schema"
    );
    let report = old
        .migrator()
        .unwrap()
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap();
    assert_eq!(report.after, ["a2"]);
}

/// The record N+1 signed, edited (its checksum recomputed): its signature no longer holds, so N
/// neither runs it nor starts on it; and a release signed by another key is not trusted.
fn an_edited_or_foreign_record_is_refused(dialect: Dialect) {
    let Some(place) = place(dialect) else { return };
    let (old, new) = (release(false, Some(1)), release(true, Some(1)));
    new.migrate(&place.url).unwrap();
    let mut db = old.connect(&place.url).unwrap();
    exec(
        db.as_mut(),
        "UPDATE alembic_version_revisions SET downgrade = ?, downgrade_checksum = ? WHERE revision = 'a3'",
        &[PLANTED.into(), checksum(PLANTED).as_str().into()],
    );
    let err = old
        .migrator()
        .unwrap()
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("it was changed after it was signed"),
        "{err}"
    );
    match old.migrate(&place.url) {
        Err(Error::Unvouched { revisions, .. }) => assert_eq!(revisions[0].0, "a3"),
        other => panic!("a keyed release does not start on a forged record: {other:?}"),
    }
    assert!(!planted(db.as_mut()));
    // Signed by a key N does not trust.
    let Some(place) = place_again(dialect) else {
        return;
    };
    release(true, Some(2)).migrate(&place.url).unwrap();
    let mut db = old.connect(&place.url).unwrap();
    let err = old
        .migrator()
        .unwrap()
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap_err();
    assert!(
        err.to_string().contains("which this binary does not trust"),
        "{err}"
    );
    assert!(db.table_exists("notes").unwrap());
}

fn place_again(dialect: Dialect) -> Option<Place> {
    place(dialect)
}

/// The attack on a keyed release and on a keyless one: the planted SQL never runs, not
/// by `downgrade -1` nor at start-up; a keyed release refuses to start on it; a planted
/// `Breaking:` record stops a keyless release (a refusal, never SQL).
fn a_planted_record_never_runs(dialect: Dialect) {
    for key in [Some(1), None] {
        let Some(place) = place(dialect) else { return };
        let old = release(false, key);
        old.migrate(&place.url).unwrap();
        let mut db = old.connect(&place.url).unwrap();
        plant(db.as_mut(), None);
        let m = old.migrator().unwrap();
        let err = m
            .downgrade(db.as_mut(), &"-1".parse().unwrap())
            .unwrap_err();
        assert!(matches!(err, Error::Unvouched { .. }), "{key:?}: {err}");
        assert!(!planted(db.as_mut()), "{key:?}");
        match (key, old.migrate(&place.url)) {
            (Some(_), Err(Error::Unvouched { .. })) | (None, Ok(_)) => {}
            (key, other) => panic!("{key:?}: {other:?}"),
        }
        assert!(!planted(db.as_mut()), "{key:?}");
        if key.is_none() {
            exec(
                db.as_mut(),
                "UPDATE alembic_version_revisions SET breaking = 'planted' WHERE revision = 'zz9'",
                &[],
            );
            assert!(matches!(
                old.migrate(&place.url),
                Err(Error::BreakingNewer { .. })
            ));
            assert!(!planted(db.as_mut()));
        }
    }
}

/// A record with a downgrade but no checksum is tampering, whoever reads it.
fn a_record_without_its_checksum_is_tampering(dialect: Dialect) {
    let Some(place) = place(dialect) else { return };
    let old = release(false, None);
    old.migrate(&place.url).unwrap();
    let mut db = old.connect(&place.url).unwrap();
    plant(db.as_mut(), None);
    exec(
        db.as_mut(),
        "UPDATE alembic_version_revisions SET downgrade_checksum = NULL WHERE revision = 'zz9'",
        &[],
    );
    let err = old
        .migrator()
        .unwrap()
        .trust_unvouched(true)
        .downgrade(db.as_mut(), &"-1".parse().unwrap())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("has a downgrade without its checksum"),
        "{err}"
    );
    assert!(!planted(db.as_mut()));
}

on_each_backend! {
    an_unsigned_record_is_shown_and_never_run_unless_the_operator_vouches => sqlite_unsigned, postgres_unsigned, mysql_unsigned;
    a_signed_record_runs => sqlite_signed, postgres_signed, mysql_signed;
    an_edited_or_foreign_record_is_refused => sqlite_edited, postgres_edited, mysql_edited;
    a_planted_record_never_runs => sqlite_planted, postgres_planted, mysql_planted;
    a_record_without_its_checksum_is_tampering => sqlite_no_checksum, postgres_no_checksum, mysql_no_checksum;
}

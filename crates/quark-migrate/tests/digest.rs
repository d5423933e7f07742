//! A start-up at head that reads a constant amount however long the history: once a build has
//! checked the whole history and found it sound, the next start-ups read the version rows, the
//! newest history row and the digest row, in one round trip; anything that changed since (the
//! history grown, another build, other version rows, a step left part-way) takes the full
//! check again. On SQLite, PostgreSQL and MariaDB; on the servers, its round trips are counted
//! on the wire.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[path = "support/recording.rs"]
mod recording;
#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;
#[path = "support/wire.rs"]
mod wire;

use std::sync::{Arc, Mutex};

use quark_migrate::revision::Dialect;
use quark_migrate::source::{SourceFile, build_map};
use quark_migrate::{EmbeddedFile, Error, Migrations};
use recording::Recording;
use servers::{Kind, TestDb};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A chain of `n` revisions as `embed_migrations!()` embeds it, summaries and digests
/// included; `edited` gives that revision another upgrade.
fn chain(n: usize, edited: Option<usize>) -> &'static [EmbeddedFile] {
    let sources: Vec<SourceFile> = (0..n)
        .map(|i| {
            let revises = if i == 0 { "None".to_string() } else { format!("r{:03}", i - 1) };
            let extra = if edited == Some(i) { ", note VARCHAR(10)" } else { "" };
            SourceFile {
                path: format!("migrations/r{i:03}_x.sql"),
                name: format!("r{i:03}_x.sql"),
                text: format!(
                    "-- revision {i}\n--\n-- Revision ID: r{i:03}\n-- Revises: {revises}\n\n-- +upgrade\nCREATE TABLE t{i} (id INT NOT NULL PRIMARY KEY{extra});\n\n-- +downgrade\nDROP TABLE t{i};\n"
                ),
            }
        })
        .collect();
    let map = build_map(&sources).unwrap();
    let files: Vec<EmbeddedFile> = sources
        .iter()
        .map(|source| EmbeddedFile {
            path: leak(source.path.clone()),
            source: leak(source.text.clone()),
            summary: None,
            code: None,
        })
        .collect();
    quark_migrate::build::embed_by_hand(&map, &files)
}

enum Place {
    Sqlite(tempfile::TempDir),
    Server(TestDb),
}

impl Place {
    fn new(dialect: Dialect) -> Option<Place> {
        match dialect {
            Dialect::Sqlite => Some(Place::Sqlite(tempfile::tempdir().unwrap())),
            Dialect::Postgresql => TestDb::new(Kind::Postgres).map(Place::Server),
            Dialect::Mysql => TestDb::new(Kind::Mysql).map(Place::Server),
        }
    }

    fn url(&self) -> String {
        match self {
            Place::Sqlite(dir) => format!("sqlite:///{}", dir.path().join("app.db").display()),
            Place::Server(db) => db.url.clone(),
        }
    }
}

/// What a start-up (`Migrations::upgrade`) of `m` sent, on a new connection.
fn start(m: &Migrations, url: &str) -> (Result<quark_migrate::Report, Error>, Vec<String>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut db: Box<dyn quark_migrate::backend::Backend> = Box::new(Recording {
        inner: m.connect(url).unwrap(),
        sent: sent.clone(),
    });
    let result = m.upgrade(&mut db);
    let sent = sent.lock().unwrap().clone();
    (result, sent)
}

/// Whether `sent` is the constant check alone: three reads, none of the whole history.
fn constant(sent: &[String]) -> bool {
    sent.len() == 3
        && sent[1].contains("ORDER BY id DESC LIMIT 1")
        && sent[2].contains("alembic_version_digest")
}

fn a_sound_history_is_checked_in_full_once(dialect: Dialect) {
    let files = chain(30, None);
    let Some(place) = Place::new(dialect) else {
        return;
    };
    let url = place.url();
    let m = Migrations::new(files).unwrap();
    assert_eq!(m.migrate(&url).unwrap().steps.len(), 30);
    // The first start at head reads the whole history and records the digest.
    let (report, sent) = start(&m, &url);
    assert!(report.unwrap().steps.is_empty());
    assert!(!constant(&sent), "{dialect:?}: {sent:?}");
    assert!(
        sent.iter()
            .any(|s| s.contains("INSERT INTO") && s.contains("alembic_version_digest")),
        "{dialect:?}: {sent:?}"
    );
    // Every start after it reads a constant amount.
    for _ in 0..2 {
        let (report, sent) = start(&m, &url);
        assert!(report.unwrap().steps.is_empty());
        assert!(constant(&sent), "{dialect:?}: {sent:?}");
    }

    // A build that accepts other SQL (a revision edited) does not trust the digest: its full
    // check finds the edit.
    let other = Migrations::new(chain(30, Some(12))).unwrap();
    match start(&other, &url) {
        (Err(Error::Drift(drift)), sent) => {
            assert_eq!(drift[0].revision, "r012");
            assert!(!constant(&sent));
        }
        (other, _) => panic!("{dialect:?}: an edited revision must be found: {other:?}"),
    }

    // A history grown since (a downgrade and the upgrade again) takes the full check once.
    let migrator = m.migrator().unwrap();
    let mut db = m.connect(&url).unwrap();
    migrator
        .downgrade(db.as_mut(), &"-1".parse().unwrap())
        .unwrap();
    let (report, sent) = start(&m, &url);
    assert_eq!(report.unwrap().steps.len(), 1);
    assert!(!constant(&sent));
    let (_, sent) = start(&m, &url);
    assert!(!constant(&sent), "{dialect:?}: the history grew: {sent:?}");
    let (_, sent) = start(&m, &url);
    assert!(constant(&sent), "{dialect:?}: {sent:?}");

    // A step left part-way is never passed over.
    db.run(
        "INSERT INTO alembic_version_history (revision, direction, checksum, applied_at, duration_ms, outcome, statements, statements_done) \
         VALUES ('r029', 'upgrade', NULL, '2026-01-01T00:00:00Z', 0, 'in_progress', 1, 0)",
    )
    .unwrap();
    let (report, sent) = start(&m, &url);
    assert!(!constant(&sent));
    assert!(
        report.is_err(),
        "{dialect:?}: the step left part-way is reported"
    );
}

fn a_database_from_before_the_digest_gets_its_table(dialect: Dialect) {
    let files = chain(5, None);
    let Some(place) = Place::new(dialect) else {
        return;
    };
    let url = place.url();
    let m = Migrations::new(files).unwrap();
    m.migrate(&url).unwrap();
    let mut db = m.connect(&url).unwrap();
    db.run(&format!(
        "DROP TABLE {}",
        db.quote("alembic_version_digest")
    ))
    .unwrap();
    // A verify-only start writes nothing.
    m.verify(&url).unwrap();
    assert!(!db.table_exists("alembic_version_digest").unwrap());
    // A start-up makes the table (under the lock) and records the digest.
    let (_, sent) = start(&m, &url);
    assert!(
        sent.iter().any(|s| s.starts_with("<lock")),
        "{dialect:?}: {sent:?}"
    );
    assert!(db.table_exists("alembic_version_digest").unwrap());
    let (_, sent) = start(&m, &url);
    assert!(constant(&sent), "{dialect:?}: {sent:?}");
}

/// On the wire, a start-up at head costs one round trip more than the connection itself (its
/// handshake, authentication and close, the driver's own exchanges included): the one batch of
/// the constant check. Counted by a proxy, however long the history.
fn a_start_at_head_is_one_round_trip_over_the_connection(kind: Kind) {
    let Some(db) = TestDb::new(kind) else {
        return;
    };
    let port = match kind {
        Kind::Postgres => 5432,
        Kind::Mysql => 3306,
    };
    let counter = wire::Counter::new(port);
    let url = counter.url(&db.url, port);
    let m = Migrations::new(chain(30, None)).unwrap();
    assert_eq!(m.migrate(&url).unwrap().steps.len(), 30);
    // The first start at head checks the whole history and records its digest.
    assert!(m.migrate(&url).unwrap().steps.is_empty());
    counter.take();
    drop(m.connect(&url).unwrap());
    let connection = counter.take();
    for _ in 0..2 {
        assert!(m.migrate(&url).unwrap().steps.is_empty());
        assert_eq!(
            counter.take(),
            connection + 1,
            "{kind:?}: a start-up at head"
        );
    }
}

on_each_server! {
    a_start_at_head_is_one_round_trip_over_the_connection => postgres_one_round_trip, mysql_one_round_trip;
}

on_each_backend! {
    a_sound_history_is_checked_in_full_once => sqlite_checked_once, postgres_checked_once, mysql_checked_once;
    a_database_from_before_the_digest_gets_its_table => sqlite_before_digest, postgres_before_digest, mysql_before_digest;
}

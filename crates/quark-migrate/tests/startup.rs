//! An embedded set as an application starts with it: the summaries `embed_migrations!()` writes
//! at build time agree with the parsed revisions (a scratch application, SQL and Rust
//! revisions), and the start-up check that trusts them still refuses what it must (SQLite).

#![cfg(feature = "sqlite")]

#[path = "support/app.rs"]
mod app;
#[path = "support/scratch.rs"]
#[allow(dead_code)]
mod scratch;

use quark_migrate::revision::{Dialect, Direction};
use quark_migrate::source;
use scratch::{Scratch, good, header};

/// What the scratch application prints of each embedded file: its path, then its summary (id,
/// head, the checksum of each dialect), or `none`.
const PRINT_SUMMARIES: &str = "static FILES: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\n\
fn main() {\n\
    for f in FILES {\n\
        match &f.summary {\n\
            Some(s) => println!(\"{}\\t{}\\t{}\\t{:?}\", f.path, s.id(), s.head(), [s.checksum(0), s.checksum(1), s.checksum(2)]),\n\
            None => println!(\"{}\\tnone\", f.path),\n\
        }\n\
    }\n\
}\n";

#[test]
fn build_time_summaries_match_the_parsed_revisions() {
    let scratch = Scratch::new("scratch_summaries");
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write(
            "b2_x.sql",
            format!(
                "{}\n-- +upgrade\nCREATE TABLE t_b2 (x INT);\n\n-- +upgrade mysql\nCREATE TABLE t_b2 (x INT) ENGINE=InnoDB;\n\n-- +downgrade\nDROP TABLE t_b2;\n",
                header("b2", "a1")
            ),
        )
        .write(
            "c3_data.rs",
            "//! data in Rust\n//!\n//! Revision ID: c3\n//! Revises: b2\n\nuse quark_migrate::code::{CodeError, Db};\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    db.execute(\"INSERT INTO t_b2 (x) VALUES (1)\", &[]).map(|_| ())\n}\n",
        )
        .write("d4_x.sql", good("d4", "c3"));
    std::fs::write(scratch.dir.path().join("src/main.rs"), PRINT_SUMMARIES).unwrap();
    let printed = scratch.runs();
    let map = source::build_map(
        &source::read_dir(&scratch.dir.path().join("migrations"), "migrations").unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), map.len(), "{printed}");
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            fields.len(),
            4,
            "embed_migrations! writes summaries: {line}"
        );
        let (path, id, head, checksums) = (fields[0], fields[1], fields[2], fields[3]);
        let rev = map.get(id).unwrap();
        assert_eq!(rev.path, path);
        assert_eq!(head, map.is_head(&rev.id).to_string());
        let parsed = Dialect::ALL.map(|d| rev.checksum(Direction::Upgrade, d));
        assert_eq!(checksums, format!("{parsed:?}"), "{id}");
    }
    // The dialect section gives MySQL a checksum of its own; the Rust revision one for all.
    let b2 = map.get("b2").unwrap();
    assert_ne!(
        b2.checksum(Direction::Upgrade, Dialect::Mysql),
        b2.checksum(Direction::Upgrade, Dialect::Sqlite)
    );
    assert!(
        map.get("c3")
            .unwrap()
            .checksum(Direction::Upgrade, Dialect::Sqlite)
            .is_some()
    );
}

mod with_summaries {
    use quark_migrate::{EmbeddedFile, Error, Migrations};

    use super::app;

    /// The application's chain with the summaries build.rs would have written for it.
    fn embedded() -> &'static [EmbeddedFile] {
        let files = app::files();
        let map = app::migrations().map().unwrap().clone();
        quark_migrate::build::embed_by_hand(&map, files)
    }

    fn sqlite() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("t.db").display());
        (dir, url)
    }

    #[test]
    fn drift_unknown_revisions_and_pending_work_take_the_full_check() {
        let files = embedded();
        let (_dir, url) = sqlite();
        let m = Migrations::new(files).unwrap();
        let mut db = m.connect(&url).unwrap();
        let status = m.status(db.as_mut()).unwrap();
        assert_eq!(status.pending.len(), files.len());
        m.upgrade(db.as_mut()).unwrap();

        let head = m.heads().unwrap()[0].to_string();
        assert_eq!(head, app::HEAD);
        let edit = format!(
            "UPDATE alembic_version_history SET checksum = 'edited' WHERE revision = '{head}'"
        );
        db.run(&edit).unwrap();
        let m = Migrations::new(files).unwrap();
        assert!(matches!(m.upgrade(db.as_mut()), Err(Error::Drift(d)) if d[0].revision == head));
        assert_eq!(m.status(db.as_mut()).unwrap().drift[0].revision, head);

        db.run("DELETE FROM alembic_version").unwrap();
        db.run("INSERT INTO alembic_version VALUES ('5ac5404bff1e')")
            .unwrap();
        let m = Migrations::new(files).unwrap();
        assert!(matches!(
            m.upgrade(db.as_mut()),
            Err(Error::UnknownRevisions { .. })
        ));
    }
}

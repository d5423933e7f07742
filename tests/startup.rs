//! quark's embedded set as the binary starts with it: the build-time summaries agree with the
//! parsed revisions, and the start-up check refuses what it must (SQLite).

use quark_db_manage::MIGRATIONS;
use quark_migrate::revision::{Dialect, Direction};
use quark_migrate::{Error, Migrations};

#[test]
fn build_time_summaries_match_the_parsed_revisions() {
    let migrations = Migrations::new(MIGRATIONS).unwrap();
    let map = migrations.map().unwrap();
    assert_eq!(MIGRATIONS.len(), map.len());
    for file in MIGRATIONS {
        let summary = file.summary.expect("embed_migrations! writes summaries");
        let rev = map.get(summary.id).unwrap();
        assert_eq!(rev.path, file.path);
        assert_eq!(summary.head, map.is_head(&rev.id));
        for d in Dialect::ALL {
            assert_eq!(
                summary.checksums[d.index()].map(String::from),
                rev.checksum(Direction::Upgrade, d)
            );
        }
    }
}

fn sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("t.db").display());
    (dir, url)
}

#[test]
fn drift_unknown_revisions_and_pending_work_take_the_full_check() {
    let (_dir, url) = sqlite();
    let m = Migrations::new(MIGRATIONS).unwrap();
    let mut db = m.connect(&url).unwrap();
    let status = m.status(db.as_mut()).unwrap();
    assert_eq!(status.pending.len(), MIGRATIONS.len());
    m.upgrade(db.as_mut()).unwrap();

    let head = m.heads().unwrap()[0].to_string();
    let edit =
        format!("UPDATE alembic_version_history SET checksum = 'edited' WHERE revision = '{head}'");
    db.run(&edit).unwrap();
    let m = Migrations::new(MIGRATIONS).unwrap();
    assert!(matches!(m.upgrade(db.as_mut()), Err(Error::Drift(d)) if d[0].revision == head));
    assert_eq!(m.status(db.as_mut()).unwrap().drift[0].revision, head);

    db.run("DELETE FROM alembic_version").unwrap();
    db.run("INSERT INTO alembic_version VALUES ('5ac5404bff1e')")
        .unwrap();
    let m = Migrations::new(MIGRATIONS).unwrap();
    assert!(matches!(
        m.upgrade(db.as_mut()),
        Err(Error::UnknownRevisions { .. })
    ));
}

//! Progress a person can follow: a long step says how far it is (statements of a revision on
//! MySQL, rows of a data revision) as log lines when stderr is no terminal; through the command
//! line of the application in `support/app.rs`.

#![cfg(all(feature = "cli", feature = "sqlite", feature = "mysql"))]

#[path = "support/app.rs"]
mod app;
#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use app::{BEFORE_LAST_RUST, FIRST, LAST_RUST, SECOND};
use servers::{Kind, TestDb};

fn said(url: &str, args: &[&str]) -> String {
    let out = app::cli(url, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

#[test]
fn a_data_revision_says_how_many_rows_are_done_and_how_long_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.db");
    let url = format!("sqlite:///{}", file.display());
    said(&url, &["upgrade", BEFORE_LAST_RUST]);
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 12000) \
         INSERT INTO cidrs (id, cidr) SELECT printf('c%05d', i), '10.0.' || (i / 256 % 256) || '.' || (i % 256) || '/32' FROM c",
    )
    .unwrap();
    drop(conn);
    let log = said(&url, &["--progress-interval", "0", "upgrade", LAST_RUST]);
    for line in [
        "r12: 5000 of 12000 rows (41%)",
        "r12: 10000 of 12000 rows (83%)",
        "r12: 12000 of 12000 rows (100%)",
    ] {
        assert!(log.contains(line), "{line:?} in:\n{log}");
    }
    assert!(log.contains("s left"), "an estimate: {log}");
    // By default, a quick step says nothing more than it ran.
    let quiet = said(&url, &["upgrade", "r13"]);
    assert!(!quiet.contains(" rows ("), "{quiet}");
}

#[test]
fn a_revision_run_statement_by_statement_says_which_statement() {
    let Some(db) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let log = said(&db.url, &["--progress-interval", "0", "upgrade", SECOND]);
    assert!(log.contains(&format!("{FIRST}: statement 1 of ")), "{log}");
    assert!(log.contains(&format!("{SECOND}: statement 1 of ")), "{log}");
}

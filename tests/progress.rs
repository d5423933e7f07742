//! Progress a person can follow: a long step says how far it is (statements of a revision on
//! MySQL, rows of a data revision) as log lines when stderr is no terminal.

#[macro_use]
mod support;

use support::{Kind, TestDb, cli};

fn said(url: &str, args: &[&str]) -> String {
    let out = cli(url, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

#[test]
fn a_data_revision_says_how_many_rows_are_done_and_how_long_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quark.db");
    let url = format!("sqlite:///{}", file.display());
    said(&url, &["upgrade", "1acd075bd7e1"]);
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 12000) \
         INSERT INTO quark_ip_policy_cidrs (id, cidr) SELECT printf('c%05d', i), '10.0.' || (i / 256 % 256) || '.' || (i % 256) || '/32' FROM c",
    )
    .unwrap();
    drop(conn);
    let log = said(
        &url,
        &["--progress-interval", "0", "upgrade", "1664300cb03a"],
    );
    for line in [
        "1664300cb03a: 5000 of 12000 rows (41%)",
        "1664300cb03a: 10000 of 12000 rows (83%)",
        "1664300cb03a: 12000 of 12000 rows (100%)",
    ] {
        assert!(log.contains(line), "{line:?} in:\n{log}");
    }
    assert!(log.contains("s left"), "an estimate: {log}");
    // By default, a quick step says nothing more than it ran.
    let quiet = said(&url, &["upgrade", "28e55acaf366"]);
    assert!(!quiet.contains(" rows ("), "{quiet}");
}

#[test]
fn a_revision_run_statement_by_statement_says_which_statement() {
    let Some(db) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let log = said(
        &db.url,
        &["--progress-interval", "0", "upgrade", "4358d1b8cc75"],
    );
    assert!(log.contains("1817eef6373c: statement 1 of "), "{log}");
    assert!(log.contains("4358d1b8cc75: statement 1 of "), "{log}");
}

//! A SQLite database file in a directory of its own, migrated by the command line of the
//! application in `support/app.rs` (declared beside this file), and what a test reads of it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;

use super::app;

pub struct Run {
    pub out: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn ok(self) -> Self {
        assert!(
            self.out.status.success(),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    pub fn fails(self) -> Self {
        assert_eq!(
            self.out.status.code(),
            Some(1),
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// Runs the command line with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = app::command(args)
        .current_dir(dir)
        .output()
        .expect("run the command line");
    Run {
        out: app::stripped(out),
    }
}

/// `app.db` in a directory of its own.
pub struct Db {
    pub dir: tempfile::TempDir,
}

impl Db {
    pub fn new() -> Db {
        Db {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("app.db")
    }
    pub fn url(&self) -> String {
        format!("sqlite:///{}", self.path().display())
    }
    pub fn run(&self, args: &[&str]) -> Run {
        let url = self.url();
        let mut all = vec!["--database-connection", url.as_str()];
        all.extend_from_slice(args);
        run_in(self.dir.path(), &all)
    }
    pub fn conn(&self) -> Connection {
        Connection::open(self.path()).unwrap()
    }
    pub fn versions(&self) -> Vec<String> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT version_num FROM alembic_version ORDER BY version_num")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
    pub fn tables(&self) -> Vec<String> {
        let c = self.conn();
        let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
    pub fn history_count(&self, revision: &str, direction: &str) -> i64 {
        self.conn()
            .query_row(
                "SELECT count(*) FROM alembic_version_history WHERE revision = ?1 AND direction = ?2 AND outcome = 'success'",
                [revision, direction],
                |r| r.get(0),
            )
            .unwrap()
    }
}

/// Runs `sql` through the sqlite3 shell on `db`, as a DBA would.
pub fn sqlite3(db: &Path, sql: &str) {
    use std::io::Write as _;
    let mut child = Command::new("sqlite3")
        .args(["-bail", db.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("the sqlite3 shell (apt install sqlite3; .ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "sqlite3 rejected the script:\n{sql}"
    );
}

impl Db {
    pub fn schema(&self) -> Vec<(String, String)> {
        let c = self.conn();
        let mut st = c
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }
}

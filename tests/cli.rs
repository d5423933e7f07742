//! The built `quark-db-manage` binary as quark's operators see it, run on temporary SQLite
//! files: the README's output, upstream's configuration file, quark's history, the binary alone
//! on an empty machine, its version and its log lines. (The engine's command line is tested on
//! a chain of its own in `crates/quark-migrate/tests/command_line.rs` and `offline.rs`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_quark-db-manage");
const HEAD: &str = "c07cd8303997";
/// The revision the README's example upgrades to.
const SEED: &str = "1284c81cf727";
/// The newest revision written in Rust (irreversible).
const LAST_RUST: &str = "1664300cb03a";
const HEAD_LINE: &str = "da46a8b30bd8 -> c07cd8303997 (head), FAWS: Added fields for SG migration";

struct Run {
    out: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn ok(self) -> Self {
        assert!(
            self.out.status.success(),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    fn fails(self) -> Self {
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

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run the binary");
    Run { out }
}

struct Db {
    dir: tempfile::TempDir,
}

impl Db {
    fn new() -> Db {
        Db {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> PathBuf {
        self.dir.path().join("quark.db")
    }
    fn url(&self) -> String {
        format!("sqlite:///{}", self.path().display())
    }
    fn run(&self, args: &[&str]) -> Run {
        let url = self.url();
        let mut all = vec!["--database-connection", url.as_str()];
        all.extend_from_slice(args);
        run_in(self.dir.path(), &all)
    }
    fn conn(&self) -> Connection {
        Connection::open(self.path()).unwrap()
    }
    fn versions(&self) -> Vec<String> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT version_num FROM alembic_version ORDER BY version_num")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
    fn tables(&self) -> Vec<String> {
        let c = self.conn();
        let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
    fn history_count(&self, revision: &str, direction: &str) -> i64 {
        self.conn()
            .query_row(
                "SELECT count(*) FROM alembic_version_history WHERE revision = ?1 AND direction = ?2 AND outcome = 'success'",
                [revision, direction],
                |r| r.get(0),
            )
            .unwrap()
    }
}

#[test]
fn upgrade_current_and_downgrade_with_the_seed_output() {
    let db = Db::new();
    let up = db.run(&["upgrade", SEED]).ok();
    assert!(
        up.stderr().contains("INFO  [quark.migration] Running upgrade 4358d1b8cc75 -> 1284c81cf727, create lswitch and lswitch port orphaned tables"),
        "{}",
        up.stderr()
    );
    assert_eq!(db.versions(), [SEED]);
    let current = db.run(&["current"]).ok();
    assert_eq!(
        current.stdout().trim(),
        format!(
            "Current revision for {}: 4358d1b8cc75 -> 1284c81cf727, create lswitch and lswitch port orphaned tables",
            db.url()
        )
    );
    db.run(&["downgrade", "base"]).ok();
    assert!(db.versions().is_empty());
    assert_eq!(
        db.tables(),
        [
            "alembic_version",
            "alembic_version_digest",
            "alembic_version_history",
            "alembic_version_instances",
            "alembic_version_revisions",
            "alembic_version_schema",
            "alembic_version_signatures"
        ]
    );
    assert_eq!(
        db.run(&["current"]).ok().stdout().trim(),
        format!("Current revision for {}: None", db.url())
    );
    db.run(&["upgrade", SEED]).ok();
    db.run(&["upgrade"]).ok();
    assert_eq!(db.versions(), [HEAD]);
    assert_eq!(db.history_count(SEED, "upgrade"), 2);
    assert_eq!(
        db.run(&["current"]).ok().stdout().trim(),
        format!("Current revision for {}: {HEAD_LINE}", db.url())
    );
}

#[test]
fn config_file_and_environment() {
    let db = Db::new();
    let conf = db.dir.path().join("neutron.conf");
    std::fs::write(
        &conf,
        format!("[DEFAULT]\n# core_plugin = x\nverbose = True\n\n[database]\n; old setting\nconnection={}\n\n[quark]\ndefault_net_strategy = {{}}\n", db.url()),
    )
    .unwrap();
    let conf = conf.to_str().unwrap();
    run_in(
        db.dir.path(),
        &["--config-file", conf, "upgrade", "4358d1b8cc75"],
    )
    .ok();
    assert_eq!(db.versions(), ["4358d1b8cc75"]);
    run_in(db.dir.path(), &["--config-file", conf, "downgrade", "base"]).ok();
    assert!(db.versions().is_empty());

    let env = Command::new(BIN)
        .args(["upgrade", "head"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(env.status.success());
    assert_eq!(db.versions(), [HEAD]);

    let none = run_in(db.dir.path(), &["current"]).fails();
    assert!(
        none.stderr().contains("no database given"),
        "{}",
        none.stderr()
    );
    let missing = run_in(
        db.dir.path(),
        &["--config-file", "/nonexistent/neutron.conf", "current"],
    )
    .fails();
    assert!(
        missing
            .stderr()
            .contains("cannot read config file /nonexistent/neutron.conf")
    );
}

#[test]
fn history_heads_branches_and_show_need_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let history = run_in(dir.path(), &["history"]).ok().stdout();
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 40);
    assert_eq!(lines[0], HEAD_LINE);
    assert_eq!(lines[39], "<base> -> 1817eef6373c, Initial version");
    let ranged = run_in(dir.path(), &["history", "-r", "4358d1b8cc75:head"])
        .ok()
        .stdout();
    assert_eq!(ranged.lines().count(), 39);
    let upto = run_in(dir.path(), &["history", "-r", ":4358"])
        .ok()
        .stdout();
    assert_eq!(upto.lines().count(), 2);
    assert!(upto.contains("1817eef6373c") && !upto.contains("(head)"));
    let verbose = run_in(dir.path(), &["history", "--verbose"]).ok().stdout();
    assert!(verbose.contains("Path: migrations/1284c81cf727_create_lswitch_and_lswitch_port_.sql"));
    let heads = run_in(dir.path(), &["heads"]).ok().stdout();
    assert_eq!(heads.trim(), HEAD_LINE);
    let rust = run_in(dir.path(), &["show", LAST_RUST]).ok().stdout();
    assert!(
        rust.contains("Path: migrations/1664300cb03a_populate_first_last_ip_to_ippc.rs")
            && rust.contains("Downgrade: no (irreversible"),
        "{rust}"
    );
    assert_eq!(run_in(dir.path(), &["branches"]).ok().stdout(), "");
    let show = run_in(dir.path(), &["show", "4358"]).ok().stdout();
    assert!(
        show.starts_with("Rev: 4358d1b8cc75\nParent: 1817eef6373c\nChild: 1284c81cf727\n"),
        "{show}"
    );
    assert!(
        show.contains("Downgrade: yes") && show.contains("Create Date: 2014-06-04 15:45:23.481298")
    );
    assert!(!dir.path().join("quark.db").exists());
}

#[test]
fn the_binary_runs_alone_from_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("quark-db-manage");
    // A child `cp` writes the copy, so no descriptor open for writing leaks into a sibling
    // test's fork and makes `exec` of the copy fail with "Text file busy".
    let status = Command::new("cp").arg(BIN).arg(&copy).status().unwrap();
    assert!(status.success());
    let out = Command::new(&copy)
        .args([
            "--database-connection",
            "sqlite:///alone.db",
            "upgrade",
            "head",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!entries.iter().any(|e| e == "migrations"));
    let c = Connection::open(dir.path().join("alone.db")).unwrap();
    let v: String = c
        .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, HEAD);
}

#[test]
fn version_shows_the_crate_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["--version"]).ok().stdout();
    assert!(out.starts_with(&format!("quark-db-manage {}", env!("CARGO_PKG_VERSION"))));
    // The engine's own version beside the application's.
    assert!(out.contains(" (quark-migrate 0."), "{out}");
    assert!(out.contains(&format!("40 revisions, head {HEAD}")), "{out}");
}

#[test]
fn quiet_verbose_and_in_memory_databases() {
    let db = Db::new();
    let quiet = db.run(&["-q", "upgrade", "4358d1b8cc75"]).ok();
    assert_eq!(quiet.stderr(), "");
    let verbose = db.run(&["-v", "upgrade", SEED]).ok().stderr();
    assert!(verbose.contains("DEBUG [quark.migration] migrations/1284c81cf727_create_lswitch_and_lswitch_port_.sql:8: CREATE TABLE quark_nvp_orphaned_lswitches"), "{verbose}");
    let current = db.run(&["current", "--verbose"]).ok().stdout();
    assert!(
        current.contains("Rev: 1284c81cf727\nParent: 4358d1b8cc75\n"),
        "{current}"
    );
    let memory = run_in(
        db.dir.path(),
        &["--database-connection", "sqlite://", "upgrade", "head"],
    )
    .ok()
    .stderr();
    assert_eq!(memory.matches("Running upgrade").count(), 40);
}

/// A live instance of an older release (registered by the library, as a running service
/// does) holds back quark's breaking revision: `upgrade head` refuses before applying
/// anything and names it, `current` lists it with what it holds back, and
/// `--ignore-live-releases` applies anyway.
#[test]
fn a_live_older_release_holds_back_a_breaking_revision() {
    let db = Db::new();
    // Just below 79b768afed65 (Breaking: renames tenant_id), where an older release runs.
    db.run(&["upgrade", "271cce54e15b"]).ok();
    db.conn()
        .execute_batch(
            "INSERT INTO alembic_version_instances (id, application, version, heads, host, pid, \
             started_at, heartbeat_ms, ttl_ms) VALUES ('old', 'quark-server', '2015.1', \
             '271cce54e15b', 'node-7', 4242, '2026-12-01T00:00:00Z', \
             CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 600000)",
        )
        .unwrap();
    let refused = db.run(&["upgrade", "head"]).fails();
    assert!(
        refused.stderr().contains("79b768afed65")
            && refused
                .stderr()
                .contains("quark-server 2015.1 (pid 4242 on node-7")
            && refused.stderr().contains("--wait-for-release-drain"),
        "{}",
        refused.stderr()
    );
    assert_eq!(db.versions(), ["271cce54e15b"], "nothing applied");

    let current = db.run(&["--format", "json", "current"]).ok();
    let json: serde_json::Value = serde_json::from_str(&current.stdout()).unwrap();
    assert_eq!(json["live"][0]["version"], "2015.1", "{json}");
    assert_eq!(json["live"][0]["holds_back"][0], "79b768afed65", "{json}");
    let text = db.run(&["current"]).ok();
    assert!(
        text.stdout()
            .contains("Live instance: quark-server 2015.1 (pid 4242 on node-7")
            && text.stdout().contains("holds back 79b768afed65"),
        "{}",
        text.stdout()
    );

    let waited = db
        .run(&["upgrade", "head", "--wait-for-release-drain", "0.2"])
        .fails();
    assert!(
        waited.stderr().contains("79b768afed65"),
        "{}",
        waited.stderr()
    );
    db.run(&["upgrade", "head", "--ignore-live-releases"]).ok();
    assert_eq!(db.history_count("79b768afed65", "upgrade"), 1);
}

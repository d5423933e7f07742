//! The built `quark-db-manage` binary, run on temporary SQLite files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_quark-db-manage");
const HEAD: &str = "c07cd8303997";
/// The revision the README's example upgrades to.
const SEED: &str = "1284c81cf727";
/// The newest revision written in Rust: offline scripts start after it.
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
            "alembic_version_history",
            "alembic_version_revisions",
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
fn absolute_and_relative_sqlite_urls_and_a_second_upgrade_does_nothing() {
    let db = Db::new();
    let abs = format!("sqlite:///{}", db.path().display());
    assert!(abs.starts_with("sqlite:////"));
    run_in(
        db.dir.path(),
        &["--database-connection", &abs, "upgrade", "head"],
    )
    .ok();
    let rel = run_in(
        db.dir.path(),
        &["--database-connection", "sqlite:///quark.db", "current"],
    )
    .ok();
    assert!(
        rel.stdout().contains("c07cd8303997 (head)"),
        "{}",
        rel.stdout()
    );
    let again = db.run(&["upgrade", "head"]).ok();
    assert!(
        again.stderr().contains("nothing to upgrade"),
        "{}",
        again.stderr()
    );
    assert_eq!(db.history_count(HEAD, "upgrade"), 1);
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
fn target_forms() {
    let db = Db::new();
    db.run(&["upgrade", "+1"]).ok();
    assert_eq!(db.versions(), ["1817eef6373c"]);
    db.run(&["upgrade", "4358"]).ok();
    assert_eq!(db.versions(), ["4358d1b8cc75"]);
    db.run(&["upgrade", "heads"]).ok();
    assert_eq!(db.versions(), [HEAD]);
    db.run(&["downgrade", "-2"]).ok();
    assert_eq!(db.versions(), ["79b768afed65"]);
    db.run(&["upgrade", "79b768afed65+2"]).ok();
    assert_eq!(db.versions(), [HEAD]);
    db.run(&["downgrade", "head-1"]).ok();
    assert_eq!(db.versions(), ["da46a8b30bd8"]);
    let ambiguous = db.run(&["upgrade", "4d"]).fails();
    assert!(
        ambiguous
            .stderr()
            .contains("'4d' is ambiguous: it matches 4d3ed7925db3, 4da4444d7706, 4dbf83f37bc0"),
        "{}",
        ambiguous.stderr()
    );
    let unknown = db.run(&["upgrade", "ffff"]).fails();
    assert!(unknown.stderr().contains("unknown revision 'ffff'"));
    let far = db.run(&["upgrade", "+5"]).fails();
    assert!(
        far.stderr().contains("cannot move +5 revisions"),
        "{}",
        far.stderr()
    );
    let wrong = db.run(&["downgrade", HEAD]).fails();
    assert!(
        wrong.stderr().contains("it is not applied"),
        "{}",
        wrong.stderr()
    );
    let garbage = db.run(&["upgrade", "a b"]).fails();
    assert!(garbage.stderr().contains("is not a target"));
    assert_eq!(db.versions(), ["da46a8b30bd8"]);
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
fn history_with_current_reads_the_database() {
    let db = Db::new();
    db.run(&["upgrade", "4358d1b8cc75"]).ok();
    let out = db.run(&["history", "-r", "current:"]).ok().stdout();
    assert_eq!(out.lines().count(), 39, "{out}");
    assert!(out.contains(HEAD) && out.contains("4358d1b8cc75") && !out.contains("<base>"));
}

#[test]
fn stamp_and_purge() {
    let db = Db::new();
    db.run(&["stamp", HEAD]).ok();
    assert_eq!(db.versions(), [HEAD]);
    assert!(
        !db.tables()
            .contains(&"quark_nvp_orphaned_lswitches".to_string()),
        "stamp runs no SQL"
    );
    db.run(&["stamp", "base"]).ok();
    assert!(db.versions().is_empty());
    db.conn()
        .execute("INSERT INTO alembic_version VALUES ('abcdef012345')", [])
        .unwrap();
    let refused = db.run(&["stamp", HEAD]).fails();
    assert!(refused.stderr().contains("abcdef012345"));
    db.run(&["stamp", HEAD, "--purge"]).ok();
    assert_eq!(db.versions(), [HEAD]);
}

#[test]
fn unknown_revision_in_the_version_table_is_refused_with_the_ways_out() {
    let db = Db::new();
    db.conn()
        .execute_batch("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); INSERT INTO alembic_version VALUES ('5ac5404bff1e');")
        .unwrap();
    let e = db.run(&["upgrade", "head"]).fails().stderr();
    assert!(e.starts_with("FAILED: the version table alembic_version holds revision 5ac5404bff1e unknown to this binary (its heads: c07cd8303997)"), "{e}");
    assert!(e.contains("--version-table") && e.contains("stamp <revision> --purge"));
    assert_eq!(e.lines().count(), 1);
    assert_eq!(
        db.tables(),
        ["alembic_version"],
        "nothing was created or run"
    );
    db.run(&["--version-table", "quark_version", "upgrade", "head"])
        .ok();
    assert_eq!(db.versions(), ["5ac5404bff1e"]);
    let current = db
        .run(&["--version-table", "quark_version", "current"])
        .ok();
    assert!(current.stdout().contains("(head)"));
}

#[test]
fn drift_is_refused_verified_and_can_be_overridden() {
    let db = Db::new();
    db.run(&["upgrade", "head"]).ok();
    assert!(
        db.run(&["verify"])
            .ok()
            .stdout()
            .contains("applied revisions match the embedded SQL")
    );
    db.conn()
        .execute("UPDATE alembic_version_history SET checksum = 'deadbeef' || substr(checksum, 9) WHERE revision = '4358d1b8cc75'", [])
        .unwrap();
    let verify = db.run(&["verify"]).fails().stderr();
    assert!(verify.contains("revision changed since applied: 4358d1b8cc75 (migrations/4358d1b8cc75_added_quark_mac_addresses_index_and_.sql"), "{verify}");
    let up = db.run(&["upgrade", "head"]).fails().stderr();
    assert!(up.contains("--ignore-drift"), "{up}");
    db.run(&["upgrade", "head", "--ignore-drift"]).ok();
}

#[test]
fn alembic_format_of_the_version_table() {
    let db = Db::new();
    db.run(&["upgrade", "head"]).ok();
    let sql: String = db
        .conn()
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'alembic_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        sql,
        "CREATE TABLE \"alembic_version\" (version_num VARCHAR(32) NOT NULL, CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num))"
    );
    // A database that Alembic left at 4358d1b8cc75 (its schema, its table and row, no history)
    // is picked up as it is.
    let alembic = Db::new();
    alembic.run(&["upgrade", "4358d1b8cc75"]).ok();
    alembic
        .conn()
        .execute_batch("DROP TABLE alembic_version_history")
        .unwrap();
    let up = alembic.run(&["upgrade", "head"]).ok();
    assert!(
        up.stderr()
            .contains("Running upgrade 4358d1b8cc75 -> 1284c81cf727")
            && !up.stderr().contains("1817eef6373c ->")
    );
    assert_eq!(alembic.versions(), [HEAD]);
}

#[test]
fn concurrent_upgrades_apply_each_revision_once() {
    for _ in 0..3 {
        let db = Db::new();
        let url = db.url();
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(BIN)
                    .args(["--database-connection", &url, "upgrade", "head"])
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(db.versions(), [HEAD]);
        for rev in ["1817eef6373c", "4358d1b8cc75", LAST_RUST, HEAD] {
            assert_eq!(db.history_count(rev, "upgrade"), 1, "{rev} ran once");
        }
    }
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
fn passwords_are_masked_and_bad_urls_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let e = run_in(
        dir.path(),
        &[
            "--database-connection",
            "oracle://scott:tiger@db/orcl",
            "current",
        ],
    )
    .fails()
    .stderr();
    assert!(
        // A URL that does not parse is masked from its scheme to its last `@`.
        e.contains("oracle://***@db/orcl") && !e.contains("tiger"),
        "{e}"
    );
    let e = run_in(
        dir.path(),
        &[
            "--database-connection",
            "sqlite:////nonexistent/dir/q.db",
            "upgrade",
        ],
    )
    .fails()
    .stderr();
    assert!(
        e.contains("cannot connect to SQLite database /nonexistent/dir/q.db"),
        "{e}"
    );
    let e = run_in(
        dir.path(),
        &[
            "--database-connection",
            "sqlite:///q.db",
            "--version-table",
            "bad-name",
            "current",
        ],
    )
    .fails()
    .stderr();
    assert!(e.contains("invalid version table name 'bad-name'"), "{e}");
}

#[test]
fn revision_and_merge_write_files_that_parse() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(migrations.join("aaa_root.sql"), "-- root\n--\n-- Revision ID: aaa\n-- Revises: None\n-- +upgrade\nCREATE TABLE a (x INT);\n").unwrap();
    let out = run_in(dir.path(), &["revision", "-m", "add b table"])
        .ok()
        .stdout();
    assert!(out.starts_with("Generating migrations/"), "{out}");
    let new: Vec<PathBuf> = std::fs::read_dir(&migrations)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("aaa_root.sql"))
        .collect();
    assert_eq!(new.len(), 1);
    let name = new[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.ends_with("_add_b_table.sql") && name.len() == 12 + "_add_b_table.sql".len(),
        "{name}"
    );
    let text = std::fs::read_to_string(&new[0]).unwrap();
    assert!(
        text.contains(&format!(
            "-- Revision ID: {}\n-- Revises: aaa\n",
            &name[..12]
        )),
        "{text}"
    );
    // Fill in the new revision, branch from the root, then merge the two heads.
    std::fs::write(
        &new[0],
        text.replace("-- +upgrade\n", "-- +upgrade\nCREATE TABLE b (x INT);\n"),
    )
    .unwrap();
    let side = run_in(
        dir.path(),
        &["revision", "-m", "side branch", "--head", "aaa"],
    )
    .ok()
    .stdout();
    let side = PathBuf::from(
        side.lines()
            .next()
            .unwrap()
            .trim_start_matches("Generating ")
            .trim_end_matches(" ... done"),
    );
    let side = dir.path().join(side);
    let side_text = std::fs::read_to_string(&side).unwrap();
    assert!(side_text.contains("-- Revises: aaa\n"));
    std::fs::write(
        &side,
        side_text.replace("-- +upgrade\n", "-- +upgrade\nCREATE TABLE c (x INT);\n"),
    )
    .unwrap();
    let two_heads = run_in(dir.path(), &["revision", "-m", "third"])
        .fails()
        .stderr();
    assert!(two_heads.contains("there are several heads"), "{two_heads}");
    let merged = run_in(dir.path(), &["merge", "-m", "join the branches", "heads"])
        .ok()
        .stdout();
    let merge_file = dir.path().join(
        merged
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("Generating ")
            .trim_end_matches(" ... done"),
    );
    let merge_text = std::fs::read_to_string(merge_file).unwrap();
    // The merge revises exactly the two heads: the revision on `aaa` and the side branch.
    let id_of = |text: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix("-- Revision ID: "))
            .unwrap_or_else(|| panic!("no Revision ID in:\n{text}"))
            .trim()
            .to_string()
    };
    let side_id = id_of(&side_text);
    assert_eq!(id_of(&text), &name[..12]);
    assert_ne!(side_id, &name[..12]);
    let revises: Vec<&str> = merge_text
        .lines()
        .filter_map(|l| l.strip_prefix("-- Revises: "))
        .collect();
    assert_eq!(revises.len(), 1, "one Revises line:\n{merge_text}");
    let mut parents: Vec<&str> = revises[0].split(", ").map(str::trim).collect();
    parents.sort_unstable();
    let mut heads = vec![&name[..12], side_id.as_str()];
    heads.sort_unstable();
    assert_eq!(parents, heads, "{merge_text}");
    assert_eq!(merge_text.matches(", ").count(), 1, "{merge_text}");
    let after = run_in(dir.path(), &["revision", "-m", "after the merge"])
        .ok()
        .stdout();
    assert!(after.starts_with("Generating"));
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

#[test]
fn lock_timeout_and_no_lock() {
    use quark_migrate::backend::{self, ConnectOptions};
    let db = Db::new();
    let url = quark_migrate::backend::DatabaseUrl::parse(&db.url()).unwrap();
    let mut holder = backend::connect(&url, &ConnectOptions::default()).unwrap();
    holder
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
    let e = db
        .run(&["--lock-timeout", "1", "upgrade", "head"])
        .fails()
        .stderr();
    assert!(
        e.contains("timed out after 1s waiting for the migration lock"),
        "{e}"
    );
    assert!(
        db.tables().is_empty(),
        "nothing is created before the lock is held"
    );
    db.run(&["--no-lock", "upgrade", "head"]).ok();
    assert_eq!(db.versions(), [HEAD]);
}

/// Runs `sql` through the sqlite3 shell on `db`, as a DBA would.
fn sqlite3(db: &Path, sql: &str) {
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
    fn schema(&self) -> Vec<(String, String)> {
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

#[test]
fn offline_sql_piped_into_sqlite3_matches_a_live_upgrade_and_downgrade() {
    let live = Db::new();
    let offline = Db::new();
    live.run(&["upgrade", SEED]).ok();
    let dir = tempfile::tempdir().unwrap();
    let script = run_in(
        dir.path(),
        &["upgrade", SEED, "--sql", "--dialect", "sqlite"],
    )
    .ok()
    .stdout();
    assert!(
        script.contains("BEGIN;") && script.contains("COMMIT;"),
        "{script}"
    );
    assert!(
        script.contains("-- Running upgrade 4358d1b8cc75 -> 1284c81cf727"),
        "{script}"
    );
    assert!(
        !dir.path().join("quark.db").exists(),
        "--sql connects to nothing"
    );
    sqlite3(&offline.path(), &script);
    assert_eq!(offline.schema(), live.schema());
    assert_eq!(offline.versions(), [SEED]);
    for rev in ["1817eef6373c", "4358d1b8cc75", SEED] {
        assert_eq!(offline.history_count(rev, "upgrade"), 1);
    }
    offline.run(&["verify"]).ok();

    // The data migrations written in Rust run online; the rest of the chain offline, as a range
    // whose dialect is taken from the URL (not connected to).
    let refused = offline.run(&["upgrade", "head", "--sql"]).fails().stderr();
    assert!(
        refused.contains("revisions 2748e48cee3a, 45a07fac3d38, 552b213c2b8c, 28e55acaf366, 1664300cb03a are written in Rust")
            && refused.contains("(1664300cb03a:<target> --sql)"),
        "{refused}"
    );
    for db in [&live, &offline] {
        db.run(&["upgrade", LAST_RUST]).ok();
    }
    let script = offline
        .run(&["upgrade", &format!("{LAST_RUST}:head"), "--sql"])
        .ok()
        .stdout();
    sqlite3(&offline.path(), &script);
    live.run(&["upgrade", "head"]).ok();
    assert_eq!(offline.schema(), live.schema());
    assert_eq!(offline.versions(), [HEAD]);
    offline.run(&["verify"]).ok();
    let script = offline
        .run(&["downgrade", &format!("head:{LAST_RUST}"), "--sql"])
        .ok()
        .stdout();
    sqlite3(&offline.path(), &script);
    live.run(&["downgrade", LAST_RUST]).ok();
    assert_eq!(offline.schema(), live.schema());
    assert_eq!(offline.versions(), [LAST_RUST]);
    let partial = run_in(
        dir.path(),
        &[
            "upgrade",
            "1817eef6373c:1284c81cf727",
            "--sql",
            "--dialect",
            "sqlite",
        ],
    )
    .ok()
    .stdout();
    assert!(
        !partial.contains("<base> -> 1817eef6373c")
            && partial.contains("1817eef6373c -> 4358d1b8cc75")
    );
}

#[test]
fn offline_sql_needs_a_dialect_and_a_downgrade_range() {
    let dir = tempfile::tempdir().unwrap();
    let e = run_in(dir.path(), &["upgrade", "head", "--sql"])
        .fails()
        .stderr();
    assert!(e.contains("--dialect sqlite|postgresql|mysql"), "{e}");
    let e = run_in(
        dir.path(),
        &["downgrade", "base", "--sql", "--dialect", "mysql"],
    )
    .fails()
    .stderr();
    assert!(e.contains("needs FROM:TO (e.g. head:base)"), "{e}");
    let e = run_in(dir.path(), &["upgrade", "--sql", "--dialect", "oracle"]);
    assert!(
        e.stderr().contains("unknown dialect 'oracle'"),
        "{}",
        e.stderr()
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let db = Db::new();
    db.run(&["upgrade", "4358d1b8cc75"]).ok();
    let before = db.schema();
    let out = db.run(&["upgrade", "head", "--dry-run"]).ok().stdout();
    assert!(
        out.contains("upgrade 4358d1b8cc75 -> c07cd8303997, 38 revision(s); nothing was changed"),
        "{out}"
    );
    assert!(
        out.contains("CREATE TABLE quark_nvp_orphaned_lswitches"),
        "{out}"
    );
    assert!(
        out.contains("-- upgrade of 2748e48cee3a runs Rust code (migrations/2748e48cee3a_truncate_ip_policy_cidr.rs:"),
        "{out}"
    );
    assert!(
        !out.contains("CREATE TABLE IF NOT EXISTS"),
        "the version tables exist: {out}"
    );
    assert_eq!(db.schema(), before);
    assert_eq!(db.versions(), ["4358d1b8cc75"]);
    assert_eq!(db.history_count(HEAD, "upgrade"), 0);
    let out = db.run(&["downgrade", "base", "--dry-run"]).ok().stdout();
    assert!(
        out.contains("downgrade 4358d1b8cc75 -> base, 2 revision(s)"),
        "{out}"
    );
    assert_eq!(db.versions(), ["4358d1b8cc75"]);
    db.run(&["upgrade", "head"]).ok();
    let out = db.run(&["upgrade", "head", "--dry-run"]).ok().stdout();
    assert!(out.contains("nothing to upgrade"), "{out}");
}

fn json(run: Run) -> serde_json::Value {
    serde_json::from_str(&run.ok().stdout()).expect("one JSON document on stdout")
}

#[test]
fn json_output_for_tools() {
    let db = Db::new();
    let report = json(db.run(&["--format", "json", "upgrade", "4358d1b8cc75"]));
    assert_eq!(report["before"], serde_json::json!([]));
    assert_eq!(report["after"], serde_json::json!(["4358d1b8cc75"]));
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["revision"], "1817eef6373c");
    assert_eq!(steps[0]["direction"], "upgrade");
    assert!(steps[0]["duration_ms"].as_f64().unwrap() >= 0.0);

    let current = json(db.run(&["current", "--format", "json"]));
    assert_eq!(current["current"][0]["revision"], "4358d1b8cc75");
    assert_eq!(current["current"][0]["is_head"], false);
    assert!(
        current["database"]
            .as_str()
            .unwrap()
            .starts_with("sqlite:///")
    );

    let heads = json(db.run(&["heads", "--format", "json"]));
    assert_eq!(heads[0]["revision"], HEAD);
    assert_eq!(
        heads[0]["down_revisions"],
        serde_json::json!(["da46a8b30bd8"])
    );
    let history = json(db.run(&["history", "--format", "json"]));
    let ids: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 40);
    assert_eq!(ids[..2], [HEAD, "da46a8b30bd8"]);
    assert_eq!(ids[38..], ["4358d1b8cc75", "1817eef6373c"]);

    let verify = json(db.run(&["verify", "--format", "json"]));
    assert_eq!(verify["ok"], true);
    db.conn()
        .execute(
            "UPDATE alembic_version_history SET checksum = 'abc' WHERE revision = '4358d1b8cc75'",
            [],
        )
        .unwrap();
    let drifted = db.run(&["verify", "--format", "json"]).fails();
    let verify: serde_json::Value = serde_json::from_str(&drifted.stdout()).unwrap();
    assert_eq!(verify["ok"], false);
    assert_eq!(verify["drift"][0]["revision"], "4358d1b8cc75");
    assert_eq!(verify["drift"][0]["recorded_checksum"], "abc");
}

#[test]
fn single_transaction_script_has_one_transaction_for_all_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let range = format!("{LAST_RUST}:head");
    let per_revision = run_in(
        dir.path(),
        &["upgrade", &range, "--sql", "--dialect", "sqlite"],
    )
    .ok()
    .stdout();
    let single = run_in(
        dir.path(),
        &[
            "upgrade",
            &range,
            "--sql",
            "--dialect",
            "sqlite",
            "--single-transaction",
        ],
    )
    .ok()
    .stdout();
    // The version tables are created in a transaction of their own in both.
    assert_eq!(per_revision.matches("COMMIT;").count(), 1 + 28);
    assert_eq!(single.matches("COMMIT;").count(), 1 + 1, "{single}");
    // One row becoming the next is an UPDATE, as Alembic writes it; in one transaction the
    // version table is written once, at the end.
    assert!(per_revision.contains(
        "UPDATE \"alembic_version\" SET version_num = '3b467be51e43' WHERE version_num = '26e984b48a0d';"
    ));
    assert_eq!(
        single
            .matches("UPDATE \"alembic_version\" SET version_num = 'c07cd8303997' WHERE version_num = '1664300cb03a'")
            .count(),
        1,
        "{single}"
    );
    assert_eq!(
        single.matches("UPDATE \"alembic_version\"").count(),
        1,
        "{single}"
    );
    let db = Db::new();
    db.run(&["upgrade", LAST_RUST]).ok();
    sqlite3(&db.path(), &single);
    assert_eq!(db.versions(), [HEAD]);
    let live = Db::new();
    live.run(&["upgrade", "head", "--single-transaction"]).ok();
    assert_eq!(live.schema(), db.schema());
}

/// A record of a revision this binary does not embed, planted by someone who can write the
/// engine's tables: `verify` says nobody vouches for it, `downgrade` refuses to run it and
/// points at the dry run, which shows it, and the operator's `--trust-remembered` runs it.
#[test]
fn remembered_sql_nobody_vouched_for_runs_only_when_the_operator_does() {
    let db = Db::new();
    db.run(&["upgrade", "head"]).ok();
    let sql = "CREATE TABLE operator_read_it (x INT)\n;\n";
    let sum: String = {
        use sha2::Digest;
        sha2::Sha256::digest(sql.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let conn = db.conn();
    conn.execute(
        "INSERT INTO alembic_version_revisions (revision, parents, depends_on, branch_labels, message, breaking, transactional, downgrade, downgrade_checksum, no_downgrade, recorded_at) VALUES ('zz9', 'c07cd8303997', '', '', 'planted', NULL, 1, ?1, ?2, NULL, 'now')",
        rusqlite::params![sql, sum],
    )
    .unwrap();
    conn.execute("UPDATE alembic_version SET version_num = 'zz9'", [])
        .unwrap();
    let verify = db.run(&["verify"]).ok().stdout();
    assert!(
        verify.contains("the record of zz9: NOT vouched for (it is not signed): its downgrade runs only with --trust-remembered"),
        "{verify}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&db.run(&["--format", "json", "verify"]).ok().stdout()).unwrap();
    assert_eq!(json["remembered"][0]["revision"], "zz9");
    assert_eq!(json["remembered"][0]["vouched"], false);
    let refused = db.run(&["downgrade", "-1"]).fails().stderr();
    assert!(
        refused.contains("zz9 (it is not signed)") && refused.contains("--dry-run"),
        "{refused}"
    );
    assert!(!db.tables().contains(&"operator_read_it".to_string()));
    let shown = db.run(&["downgrade", "-1", "--dry-run"]).ok().stdout();
    assert!(
        shown.contains("zz9: remembered by the database, NOT vouched for")
            && shown.contains("CREATE TABLE operator_read_it"),
        "{shown}"
    );
    assert!(!db.tables().contains(&"operator_read_it".to_string()));
    db.run(&["downgrade", "-1", "--trust-remembered"]).ok();
    assert!(db.tables().contains(&"operator_read_it".to_string()));
    assert_eq!(db.versions(), ["c07cd8303997"]);
}

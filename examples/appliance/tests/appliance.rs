//! The appliance, built as its users get it: one binary, copied alone to an empty directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_appliance");
const HEAD: &str = "f6a1b2c3d4e5";

/// An empty directory holding nothing but a copy of the binary.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_executable(Path::new(BIN), &dir.path().join("appliance"));
        Site { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(self.dir.path().join("appliance"));
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("APPLIANCE_DATABASE")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "appliance {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("appliance.db")
    }

    fn query(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open(self.db()).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// Copies an executable by a child `cp`, so this process never holds it open for writing: a
/// test thread forking meanwhile would inherit that descriptor and make `exec` of the copy
/// fail with "Text file busy" (ETXTBSY) until its own child had exec'd.
fn copy_executable(from: &Path, to: &Path) {
    let status = Command::new("cp").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp {} {}", from.display(), to.display());
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn migrates_itself_from_an_empty_directory_then_does_its_job() {
    let site = Site::new();
    let entries: Vec<_> = std::fs::read_dir(site.dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing but the binary");
    let first = text(&site.run(&[]));
    for line in [
        "Running upgrade <base> -> a1b2c3d4e5f6, readings",
        "Running upgrade b2c3d4e5f6a1, c3d4e5f6a1b2 -> d4e5f6a1b2c3, merge units and settings",
        "Running upgrade d4e5f6a1b2c3 -> e5f6a1b2c3d4, compact the database file",
        "Running upgrade e5f6a1b2c3d4 -> f6a1b2c3d4e5, readings in celsius",
        "schema migrated: 6 revision(s)",
        "recorded 0; 1 readings",
    ] {
        assert!(first.contains(line), "missing {line:?} in:\n{first}");
    }
    assert!(!site.dir.path().join("migrations").exists());
    let version: String = rusqlite::Connection::open(site.db())
        .unwrap()
        .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, HEAD);
    assert_eq!(
        site.query("SELECT count(*) FROM settings"),
        1,
        "the branch's data row"
    );
}

#[test]
fn a_second_start_does_no_migration_work() {
    let site = Site::new();
    site.run(&["record", "1"]);
    let second = text(&site.run(&["record", "2"]));
    assert!(!second.contains("Running upgrade"), "{second}");
    assert!(
        second.contains("Already at f6a1b2c3d4e5: nothing to upgrade"),
        "{second}"
    );
    assert!(second.contains("recorded 2; 2 readings"), "{second}");
    assert_eq!(
        site.query("SELECT count(*) FROM alembic_version_history"),
        6
    );
}

#[test]
fn starts_at_once_are_safe() {
    let site = Site::new();
    let children: Vec<_> = (0..4)
        .map(|i| {
            site.command(&["record", &i.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(site.query("SELECT count(*) FROM readings"), 4);
    assert_eq!(
        site.query("SELECT count(*) FROM alembic_version_history WHERE direction = 'upgrade'"),
        6,
        "each revision applied once"
    );
}

#[test]
fn the_mounted_db_subcommand_manages_the_appliance_schema() {
    let site = Site::new();
    site.run(&["db", "upgrade", "d4e5f6a1b2c3"]);
    let current = text(&site.run(&["db", "current"]));
    assert!(
        current.contains(
            "b2c3d4e5f6a1, c3d4e5f6a1b2 -> d4e5f6a1b2c3 (mergepoint), merge units and settings"
        ),
        "{current}"
    );
    let history = text(&site.run(&["db", "history"]));
    assert!(
        history.starts_with("e5f6a1b2c3d4 -> f6a1b2c3d4e5 (head), readings in celsius"),
        "{history}"
    );
    // The engine's lines go under the application's own log target.
    let up = text(&site.run(&["db", "upgrade", "head"]));
    assert!(
        up.contains("INFO  [appliance::migrations] Running upgrade "),
        "{up}"
    );
    site.run(&["db", "downgrade", "c3d4e5f6a1b2"]);
    let current = text(&site.run(&["db", "current"]));
    assert!(current.contains("-> c3d4e5f6a1b2, settings"), "{current}");
    let json = text(&site.run(&["db", "--format", "json", "heads"]));
    assert!(json.contains("\"revision\":\"f6a1b2c3d4e5\""), "{json}");
    let out = site.command(&["db", "upgrade", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("FAILED: "), "{}", text(&out));
}

/// The example's sources copied to a scratch crate outside the workspace.
fn scratch_copy(dir: &Path) {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..").canonicalize().unwrap();
    let engine = root.join("crates/quark-migrate");
    let manifest = std::fs::read_to_string(here.join("Cargo.toml"))
        .unwrap()
        .replace(
            "path = \"../../crates/quark-migrate\"",
            &format!("path = {:?}", engine.display().to_string()),
        );
    std::fs::write(dir.join("Cargo.toml"), format!("{manifest}\n[workspace]\n")).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::copy(here.join("build.rs"), dir.join("build.rs")).unwrap();
    for sub in ["src", "migrations", "migrations/schema"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(here.join(sub)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).unwrap();
            }
        }
    }
}

/// Builds the scratch crate in `dir` and returns its binary.
fn build_scratch(dir: &Path) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("appliance-scratch-target");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("debug/appliance")
}

#[test]
fn the_declared_schema_drives_check_and_autogenerate() {
    let dir = tempfile::tempdir().unwrap();
    scratch_copy(dir.path());
    let db = format!("sqlite:///{}", dir.path().join("site.db").display());
    let app = |bin: &Path, args: &[&str]| {
        Command::new(bin)
            .args(["--database", &db])
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let bin = build_scratch(dir.path());
    let out = app(&bin, &["db", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("No differences"), "{}", text(&out));

    // A column declared without a migration: check fails, naming it.
    let schema = dir.path().join("migrations/schema/appliance.sql");
    let declared = std::fs::read_to_string(&schema).unwrap().replace(
        "    unit TEXT NOT NULL DEFAULT 'C',\n",
        "    unit TEXT NOT NULL DEFAULT 'C',\n    note TEXT,\n",
    );
    std::fs::write(&schema, declared).unwrap();
    let bin = build_scratch(dir.path());
    let out = app(&bin, &["db", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("  - add column readings.note"),
        "{}",
        text(&out)
    );

    // The revision written for it makes check pass after a rebuild, and keeps the readings.
    assert!(app(&bin, &["record", "21"]).status.success());
    let migrations = dir.path().join("migrations");
    let out = app(
        &bin,
        &[
            "db",
            "revision",
            "--autogenerate",
            "-m",
            "reading notes",
            "--migrations-dir",
            migrations.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bin = build_scratch(dir.path());
    assert_eq!(app(&bin, &["db", "check"]).status.code(), Some(0));
    assert!(app(&bin, &["db", "upgrade", "head"]).status.success());
    let out = app(&bin, &["db", "current"]);
    assert!(
        text(&out).contains("(head), reading notes"),
        "{}",
        text(&out)
    );
    let conn = rusqlite::Connection::open(dir.path().join("site.db")).unwrap();
    let (value, note): (i64, Option<String>) = conn
        .query_row("SELECT value, note FROM readings", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((value, note), (21, None));
    drop(conn);
    assert!(app(&bin, &["db", "downgrade", "-1"]).status.success());
    let out = app(&bin, &["db", "check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the embedded chain still reaches head: {}",
        text(&out)
    );
}

#[test]
fn a_broken_migrations_dir_fails_the_appliance_build_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    scratch_copy(dir.path());
    let broken = dir
        .path()
        .join("migrations/d4e5f6a1b2c3_merge_units_and_settings.sql");
    let text = std::fs::read_to_string(&broken).unwrap().replace(
        "Revises: b2c3d4e5f6a1, c3d4e5f6a1b2",
        "Revises: b2c3d4e5f6a1, 0000deadbeef",
    );
    std::fs::write(&broken, text).unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("appliance-scratch-target");
    let out = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the build must fail");
    assert!(
        stderr.contains("migrations/d4e5f6a1b2c3_merge_units_and_settings.sql:4:")
            && stderr.contains("0000deadbeef"),
        "{stderr}"
    );
}

#[test]
fn a_rust_revision_converts_the_rows_it_finds() {
    let site = Site::new();
    site.run(&["db", "upgrade", "e5f6a1b2c3d4"]);
    let db = rusqlite::Connection::open(site.db()).unwrap();
    for (value, unit) in [
        (212, "F"),
        (32, "F"),
        (-40, "F"),
        (33, "F"),
        (0, "F"),
        (21, "C"),
    ] {
        db.execute(
            "INSERT INTO readings (value, taken_at, unit) VALUES (?1, datetime('now'), ?2)",
            rusqlite::params![value, unit],
        )
        .unwrap();
    }
    let out = text(&site.run(&["db", "upgrade", "head"]));
    assert!(out.contains("readings in celsius"), "{out}");
    let mut rows = db
        .prepare("SELECT value, unit FROM readings ORDER BY id")
        .unwrap();
    let rows: Vec<(i64, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let c = |v: i64| (v, "C".to_string());
    assert_eq!(rows, [c(100), c(0), c(-40), c(1), c(-18), c(21)]);
    let sum: String = db
        .query_row(
            "SELECT checksum FROM alembic_version_history WHERE revision = 'f6a1b2c3d4e5'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        sum.len(),
        64,
        "the checksum of the revision's source is recorded"
    );
}

#[test]
fn a_broken_rust_revision_fails_the_appliance_build_naming_its_file() {
    let dir = tempfile::tempdir().unwrap();
    scratch_copy(dir.path());
    let broken = dir
        .path()
        .join("migrations/f6a1b2c3d4e5_readings_in_celsius.rs");
    let text = std::fs::read_to_string(&broken)
        .unwrap()
        .replace("Value::Int(celsius)", "Value::Int(celsius_typo)");
    std::fs::write(&broken, text).unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("appliance-scratch-target");
    let out = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the build must fail");
    assert!(
        stderr.contains("celsius_typo")
            && stderr.contains("migrations/f6a1b2c3d4e5_readings_in_celsius.rs:"),
        "{stderr}"
    );
}

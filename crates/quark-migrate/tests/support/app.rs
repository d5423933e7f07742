//! An application built by the tests: a chain of 40 revisions written here, with what a real
//! application's chain has (data revisions written in Rust that cannot be reverted, a data
//! revision over many rows that says how far it is, revisions of several statements), and the
//! engine's command line over it, run as a process: this test binary run again, its ignored
//! test `app::cli_process` alone, with the command line's arguments in the environment.
//!
//! The chain: `r01` creates `items` and `cidrs`; `r04`, `r06` and `r12` are written in Rust and
//! irreversible (`r12` fills the columns `r11` adds to `cidrs`, a chunk of 5,000 rows at a time);
//! every other revision `rNN` creates `t_rNN` in four statements (table, index, row, column) and
//! drops it in three.

#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::OnceLock;

use quark_migrate::backend::Value;
use quark_migrate::code::{Code, CodeError, Db};
use quark_migrate::{App, EmbeddedFile, Migrations};

/// How many revisions the chain has.
pub const REVISIONS: usize = 40;
/// The first revision: creates `items` and `cidrs`.
pub const FIRST: &str = "r01";
/// The second revision.
pub const SECOND: &str = "r02";
/// The last revision before the first irreversible one.
pub const SEED: &str = "r03";
/// The revisions written in Rust, in chain order: none has a downgrade.
pub const RUST: [&str; 3] = ["r04", "r06", "r12"];
/// The revision that adds `cidrs.first_ip` and `cidrs.last_ip`.
pub const BEFORE_LAST_RUST: &str = "r11";
/// The newest revision written in Rust: downgrades stop there, offline scripts start after it.
pub const LAST_RUST: &str = "r12";
/// The head.
pub const HEAD: &str = "r40";
/// The revision before the head.
pub const BEFORE_HEAD: &str = "r39";
/// The rows `r12` reads and writes at a time.
pub const CHUNK: usize = 5_000;

/// The application: its name on sessions, log lines and the command line.
pub const APP: App = App::new("testapp", "0.1.0");

/// The id of the `n`th revision.
pub fn id(n: usize) -> String {
    format!("r{n:02}")
}

/// The message of revision `id`.
pub fn message(id: &str) -> String {
    match id {
        "r01" => "create items and cidrs".into(),
        "r04" => "name unnamed items".into(),
        "r06" => "trim cidrs".into(),
        "r11" => "add first and last ip to cidrs".into(),
        "r12" => "populate first and last ip".into(),
        _ => format!("create t_{id}"),
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn sql_revision(n: usize) -> (String, String) {
    let (id, parent) = (id(n), if n == 1 { "None".into() } else { id(n - 1) });
    let (up, down) = match n {
        1 => (
            "CREATE TABLE items (id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(255));\nCREATE TABLE cidrs (id VARCHAR(36) NOT NULL PRIMARY KEY, item_id VARCHAR(36), cidr VARCHAR(64));\nCREATE INDEX ix_cidrs_item_id ON cidrs (item_id);".to_string(),
            "DROP TABLE cidrs;\nDROP TABLE items;".to_string(),
        ),
        11 => (
            "ALTER TABLE cidrs ADD COLUMN first_ip VARCHAR(64);\nALTER TABLE cidrs ADD COLUMN last_ip VARCHAR(64);".to_string(),
            "ALTER TABLE cidrs DROP COLUMN last_ip;\nALTER TABLE cidrs DROP COLUMN first_ip;".to_string(),
        ),
        _ => (
            format!(
                "CREATE TABLE t_{id} (id INT NOT NULL PRIMARY KEY, name VARCHAR(50));\nCREATE INDEX ix_t_{id}_name ON t_{id} (name);\nINSERT INTO t_{id} (id, name) VALUES (1, '{id}');\nALTER TABLE t_{id} ADD COLUMN note VARCHAR(50);"
            ),
            format!("ALTER TABLE t_{id} DROP COLUMN note;\nDELETE FROM t_{id};\nDROP TABLE t_{id};"),
        ),
    };
    let name = message(&id).replace(' ', "_");
    (
        format!("migrations/{id}_{name}.sql"),
        format!(
            "-- {}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n-- Create Date: 2026-01-{:02} 12:00:00\n\n-- +upgrade\n{up}\n\n-- +downgrade\n{down}\n",
            message(&id),
            n % 28 + 1
        ),
    )
}

fn rust_revision(n: usize) -> (String, String) {
    let (id, parent) = (id(n), id(n - 1));
    let name = message(&id).replace(' ', "_");
    (
        format!("migrations/{id}_{name}.rs"),
        format!(
            "//! {}\n//!\n//! Revision ID: {id}\n//! Revises: {parent}\n\nuse quark_migrate::code::{{CodeError, Db}};\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {{\n    unreachable!(\"compiled into the tests: see tests/support/app.rs\")\n}}\n",
            message(&id)
        ),
    )
}

/// `r04`: items without a name get one.
fn name_unnamed_items(db: &mut Db<'_>) -> Result<(), CodeError> {
    db.execute(
        "UPDATE items SET name = ? WHERE name IS NULL",
        &[Value::from("unnamed")],
    )
    .map(|_| ())
}

/// `r06`: CIDRs lose the white space around them.
fn trim_cidrs(db: &mut Db<'_>) -> Result<(), CodeError> {
    db.execute("UPDATE cidrs SET cidr = TRIM(cidr)", &[])
        .map(|_| ())
}

/// `r12`: each CIDR's first and last address, computed in Rust, a chunk at a time.
fn populate_first_and_last(db: &mut Db<'_>) -> Result<(), CodeError> {
    db.in_chunks("SELECT id, cidr FROM cidrs", "id", CHUNK, |db, rows| {
        let updates: Vec<Vec<Value>> = rows
            .iter()
            .filter_map(|row| {
                let (id, cidr) = (row[0].as_text()?, row[1].as_text()?);
                let net = cidr.split('/').next().unwrap_or(cidr);
                Some(vec![
                    Value::from(id),
                    Value::Text(format!("{net} first")),
                    Value::Text(format!("{net} last")),
                ])
            })
            .collect();
        db.update_rows("cidrs", "id", &["first_ip", "last_ip"], &updates)
            .map(|_| ())
    })
}

/// The chain, as `embed_migrations!()` would give it (without the build-time summaries).
pub fn files() -> &'static [EmbeddedFile] {
    static FILES: OnceLock<&'static [EmbeddedFile]> = OnceLock::new();
    FILES.get_or_init(|| {
        let files: Vec<EmbeddedFile> = (1..=REVISIONS)
            .map(|n| {
                let code = match n {
                    4 => Some(name_unnamed_items as fn(&mut Db<'_>) -> Result<(), CodeError>),
                    6 => Some(trim_cidrs as _),
                    12 => Some(populate_first_and_last as _),
                    _ => None,
                };
                let (path, source) = match code {
                    Some(_) => rust_revision(n),
                    None => sql_revision(n),
                };
                EmbeddedFile {
                    path: leak(path),
                    source: leak(source),
                    summary: None,
                    code: code.map(|upgrade| Code {
                        upgrade,
                        downgrade: None,
                    }),
                }
            })
            .collect();
        Box::leak(files.into_boxed_slice())
    })
}

/// The chain's migrations, as the application would start them.
pub fn migrations() -> Migrations {
    Migrations::new(files()).unwrap()
}

/// The variable that carries the command line's arguments to [`cli_process`], separated by
/// `\x1f`.
const ARGS: &str = "QUARK_MIGRATE_TEST_APP_ARGS";

/// The application's command line, as its `main` runs it: started by [`command`], this test
/// binary run again with this test alone. Without the variable (a plain
/// `cargo test -- --ignored`) it does nothing.
#[cfg(feature = "cli")]
#[test]
#[ignore = "the test application's command line, run as a process by the tests (QUARK_MIGRATE_TEST_APP_ARGS)"]
fn cli_process() {
    use clap::Parser as _;
    use std::io::Write as _;
    let Some(args) = std::env::var_os(ARGS) else {
        return;
    };
    let args = args.into_string().expect("UTF-8 arguments");
    let args = args.split('\x1f').filter(|a| !a.is_empty());
    let cli = quark_migrate::cli::Cli::try_parse_from(std::iter::once(APP.name).chain(args))
        .unwrap_or_else(|e| e.exit());
    let code = cli.db.run_as(APP, files(), &[]);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // Ended here, before the test harness says anything more on stdout.
    std::process::exit(if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    });
}

/// What the test harness prints on stdout before [`cli_process`] runs.
const HARNESS: &str = "\nrunning 1 test\n";

/// The application's command line with `args`, as a process to start.
pub fn command(args: &[&str]) -> Command {
    for arg in args {
        assert!(
            !arg.is_empty() && !arg.contains('\x1f'),
            "an argument the variable cannot carry: {arg:?}"
        );
    }
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["app::cli_process", "--exact", "--ignored", "--nocapture"])
        .args(["--quiet", "--test-threads", "1"])
        .env(ARGS, args.join("\x1f"))
        .env_remove("DATABASE_URL");
    command
}

/// What a process of [`command`] printed, without the test harness's first lines.
pub fn stripped(mut out: Output) -> Output {
    if out.stdout.starts_with(HARNESS.as_bytes()) {
        out.stdout.drain(..HARNESS.len());
    }
    out
}

/// What a process of [`command`] printed on stdout, without the test harness's first lines.
pub fn without_harness(stdout: String) -> String {
    match stdout.strip_prefix(HARNESS) {
        Some(rest) => rest.to_string(),
        None => stdout,
    }
}

/// Runs the command line with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    stripped(command(args).output().unwrap())
}

/// Runs the command line with `args`: whether it succeeded, and what it printed on stdout and
/// stderr.
pub fn outcome(args: &[&str]) -> (bool, String, String) {
    let out = run(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the command line on the database at `url`.
pub fn cli(url: &str, args: &[&str]) -> Output {
    run(&[&["--database-connection", url], args].concat())
}

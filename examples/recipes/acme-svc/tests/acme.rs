//! acme-svc, built from docs/recipes.md as a new user would build it: its schema managed under
//! `acme-svc db`, which is entirely acme-svc's (help, completions, hints and logs name acme-svc,
//! never quark), and its pooled connection migrated on start. On PostgreSQL (the rules of the
//! engine's tests/support: under CI an unreachable server fails).

#[path = "../../../../crates/quark-migrate/tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::io::Read;
use std::process::{Command, Output, Stdio};

use servers::{Kind, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_acme-svc");

fn acme(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ACME_DATABASE")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_db_command_line_is_acme_svcs() {
    let help = text(&acme(&["db", "--help"]));
    assert!(
        help.contains("Usage: acme-svc db [OPTIONS] [COMMAND]"),
        "{help}"
    );
    assert!(!help.to_lowercase().contains("quark"), "{help}");
    // Nothing of what acme-svc does not have: no SQLite backups, no MySQL engine, no oslo files.
    for absent in [
        "--backup",
        "--keep-backups",
        "restore",
        "--mysql-engine",
        "--config-file",
        "split-version-table",
    ] {
        assert!(!help.contains(absent), "{absent} in:\n{help}");
    }
    let completions = acme(&["db", "completions", "bash"]);
    let script = String::from_utf8_lossy(&completions.stdout);
    assert!(completions.status.success());
    assert!(
        script.contains("cmd=\"acme__svc__subcmd__db__subcmd__upgrade\""),
        "{script}"
    );
    assert!(!script.to_lowercase().contains("quark"), "{script}");
    let version = text(&acme(&["db", "--version"]));
    assert!(
        version.starts_with("acme-svc db 0.1.0 (quark-migrate ")
            && version.contains("2 revisions, head ac0000000002"),
        "{version}"
    );
}

/// A reader that goes away (`acme-svc db completions bash | head -c 10`) ends the program as it
/// ends any tool, never with a panic (101).
#[test]
fn a_closed_pipe_ends_it_quietly() {
    let mut child = Command::new(BIN)
        .args(["db", "completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_ne!(
        out.status.code(),
        Some(101),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn it_migrates_on_start_and_its_hints_and_logs_are_its_own() {
    let Some(db) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let serve = acme(&["--database", &db.url, "serve"]);
    assert!(serve.status.success(), "{}", text(&serve));
    assert!(
        text(&serve).contains("acme-svc serving at schema ac0000000002"),
        "{}",
        text(&serve)
    );
    // -v: the application's and the engine's lines, every other crate's only at warnings.
    let current = acme(&["db", "--database-connection", &db.url, "-v", "current"]);
    let said = text(&current);
    assert!(current.status.success(), "{said}");
    let targets: Vec<&str> = said
        .lines()
        .filter_map(|l| Some(l.split_once(" [")?.1.split_once(']')?.0))
        .collect();
    assert!(
        !targets.is_empty() && targets.iter().all(|t| t.starts_with("acme_svc")),
        "{said}"
    );
    // A version table holding a revision acme-svc never had: the way out spells acme-svc db.
    let mut conn = db.db();
    conn.run("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        .unwrap();
    let refused = text(&acme(&[
        "db",
        "--database-connection",
        &db.url,
        "upgrade",
        "head",
    ]));
    assert!(
        refused.contains("`acme-svc db stamp <revision> --purge`"),
        "{refused}"
    );
    assert!(!refused.to_lowercase().contains("quark"), "{refused}");
}

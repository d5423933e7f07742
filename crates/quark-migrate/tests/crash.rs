//! The command line of the application in `support/app.rs` killed (SIGKILL) at random moments
//! of `upgrade head` over its 40 revisions (and of a downgrade over 28), on SQLite, PostgreSQL
//! and MariaDB/MySQL: the next plain run must finish with no hand repair and leave the schema a
//! clean run leaves. And a migrating process killed between the
//! statements of revisions that run outside a transaction (a small chain written here, run by
//! this test binary as a child process): the next plain start-up settles the statement in doubt
//! from the database and finishes.
//!
//! The kills are drawn uniformly over a measured clean run, and a share of them must land where
//! the test means them to (inside a revision, or inside the run; see `support/kills.rs`), so that
//! a test whose kills all miss fails instead of passing untested.
//!
//! Trials per database: `QUARK_CRASH_TRIALS`, else 10 under CI and 3 locally. The delays are
//! printed, so a failing trial can be replayed with `QUARK_CRASH_DELAYS_MS=ms,ms,...`.

#![cfg(all(
    feature = "cli",
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql"
))]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/app.rs"]
mod app;
#[path = "support/kills.rs"]
mod kills;
#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;
#[path = "support/target.rs"]
mod target;

use app::{HEAD, cli};
use kills::Kills;
use quark_migrate::backend::Backend;
use quark_migrate::migrator::Migrator;
use quark_migrate::revision::{Dialect, RevisionMap};
use quark_migrate::source::{self, SourceFile};
use servers::catalog;
use target::Target;

fn trials() -> usize {
    kills::trials("QUARK_CRASH_TRIALS", 10, 3)
}

/// Kill moments over a clean run of `clean`.
fn kills(clean: Duration) -> Kills {
    Kills::new(clean, trials())
}

/// Runs `command` and SIGKILLs it after `delay`: whether the kill ended it (else it had ended
/// by itself, its run shorter than the delay).
fn kill_after(command: &mut Command, delay: Duration) -> bool {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap();
    kills::killed(child.wait().unwrap())
}

/// Runs the command line with `args` on `url` and SIGKILLs it after `delay`: whether the kill
/// ended it.
fn killed_after(url: &str, args: &[&str], delay: Duration) -> bool {
    kill_after(
        &mut app::command(&[&["--database-connection", url], args].concat()),
        delay,
    )
}

/// What `current --format json` says of the database at `url`: its revisions, and whether a
/// revision was left part-way (the history table's unfinished row).
fn standing(url: &str) -> (Vec<String>, bool) {
    let json = succeeds(url, &["current", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    let current = doc["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_str().unwrap().to_string())
        .collect();
    (current, !doc["interrupted"].is_null())
}

fn succeeds(url: &str, args: &[&str]) -> String {
    let out = cli(url, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{args:?} failed\nstdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    format!("{}{stderr}", String::from_utf8_lossy(&out.stdout))
}

fn killed_at_random_moments(dialect: Dialect) {
    let Some(clean) = Target::new(dialect) else {
        return;
    };
    let started = Instant::now();
    succeeds(&clean.url(), &["upgrade", "head"]);
    let took = started.elapsed();
    let expected = catalog(clean.db().as_mut(), dialect);
    assert!(expected.contains(&format!("version {HEAD}")));

    // Where a kill must land for a share of the trials: inside a revision, left part-way in
    // the history table, where DDL is not transactional (MySQL: every revision runs outside a
    // transaction); on SQLite and PostgreSQL, where a kill inside a revision can only roll it
    // back, inside the run (some revisions committed, not all). The chain below the last test
    // lands kills inside revisions on every database.
    let inside_revisions = dialect == Dialect::Mysql;
    let (mut interrupted, mut mid_run, mut settled, mut took_effect) = (0, 0, 0, 0);
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        let Some(t) = Target::new(dialect) else {
            return;
        };
        let url = t.url();
        let killed = killed_after(&url, &["upgrade", "head"], delay);
        let context = format!(
            "{dialect:?} trial {trial}, killed after {} ms (replay: QUARK_CRASH_DELAYS_MS={})",
            delay.as_millis(),
            delay.as_millis()
        );
        let (revisions, partly) = standing(&url);
        let inside_run = killed && (partly || (!revisions.is_empty() && revisions != [HEAD]));
        mid_run += usize::from(inside_run);
        kills.landed(if inside_revisions {
            killed && partly
        } else {
            inside_run
        });

        let current = succeeds(&url, &["current"]);
        assert_eq!(
            current.contains("partly applied"),
            partly,
            "{context}: {current}"
        );
        if current.contains("partly applied") {
            interrupted += 1;
            // What `current` says of it, for people and for tools.
            assert!(
                current.contains("interrupted): ")
                    && current
                        .contains("the next upgrade reads from the database whether statement"),
                "{context}: {current}"
            );
            let json = succeeds(&url, &["current", "--format", "json"]);
            let doc: serde_json::Value =
                serde_json::from_str(json.lines().next().unwrap()).unwrap();
            let left = &doc["interrupted"];
            assert_eq!(left["outcome"], "in_progress", "{context}: {json}");
            assert!(
                current.starts_with(&format!(
                    "{} partly applied",
                    left["revision"].as_str().unwrap()
                )) || current.contains(&format!(
                    "\n{} partly applied",
                    left["revision"].as_str().unwrap()
                )),
                "{context}: {current}"
            );
            assert!(left["statements_done"].as_u64() <= left["statements"].as_u64());
        }
        // The next plain upgrade finishes the job: no --resume, no stamp, no hand repair.
        let log = succeeds(&url, &["upgrade", "head"]);
        if log.contains("Settled statement") {
            settled += 1;
        }
        if log.contains("so it took effect before the run was interrupted") {
            took_effect += 1;
        }
        assert_eq!(
            catalog(t.db().as_mut(), dialect),
            expected,
            "{context}: the schema differs from a clean upgrade's\nlast run:\n{log}"
        );
        let after = succeeds(&url, &["current"]);
        assert!(!after.contains("partly applied"), "{context}: {after}");
        succeeds(&url, &["verify"]);
        eprintln!(
            "{context}: recovered{}",
            if current.contains("partly applied") {
                " from a partly applied revision"
            } else {
                ""
            }
        );
    }
    eprintln!(
        "{dialect:?}: {} kills over a clean run of {} ms; {mid_run} landed inside the run, {interrupted} left a revision partly applied, {settled} settled a statement from the database ({took_effect} had taken effect after the kill); all recovered",
        kills.counts().0,
        took.as_millis()
    );
    kills.assert_landed(
        &format!("{dialect:?} upgrade head"),
        if inside_revisions {
            "inside a revision (left partly applied)"
        } else {
            "inside the run (some revisions committed, not all)"
        },
    );
}

/// The lowest revision a downgrade from head reaches (the data revisions below are
/// irreversible).
const FLOOR: &str = app::LAST_RUST;

/// `downgrade FLOOR` from head killed at a random moment; the next plain run, alternately the
/// same downgrade and `upgrade head`, settles the revision left part-way from the database and
/// reaches the catalog a clean run of that command leaves.
fn downgrade_killed_at_random_moments(dialect: Dialect) {
    let Some(clean) = Target::new(dialect) else {
        return;
    };
    succeeds(&clean.url(), &["upgrade", "head"]);
    let at_head = catalog(clean.db().as_mut(), dialect);
    let started = Instant::now();
    succeeds(&clean.url(), &["downgrade", FLOOR]);
    let took = started.elapsed();
    let at_floor = catalog(clean.db().as_mut(), dialect);
    assert!(at_floor.contains(&format!("version {FLOOR}")));

    let inside_revisions = dialect == Dialect::Mysql;
    let (mut interrupted, mut mid_run, mut settled) = (0, 0, 0);
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        let Some(t) = Target::new(dialect) else {
            return;
        };
        let url = t.url();
        succeeds(&url, &["upgrade", "head"]);
        let killed = killed_after(&url, &["downgrade", FLOOR], delay);
        let (command, expected) = if trial % 2 == 0 {
            (["downgrade", FLOOR], &at_floor)
        } else {
            (["upgrade", "head"], &at_head)
        };
        let context = format!(
            "{dialect:?} trial {trial}, downgrade killed after {} ms, then {command:?} (replay: QUARK_CRASH_DELAYS_MS={})",
            delay.as_millis(),
            delay.as_millis()
        );
        let (revisions, partly) = standing(&url);
        let inside_run = killed && (partly || (revisions != [HEAD] && revisions != [FLOOR]));
        mid_run += usize::from(inside_run);
        kills.landed(if inside_revisions {
            killed && partly
        } else {
            inside_run
        });
        let current = succeeds(&url, &["current"]);
        assert_eq!(
            current.contains("partly applied"),
            partly,
            "{context}: {current}"
        );
        interrupted += usize::from(partly);
        let log = succeeds(&url, &command);
        if log.contains("Settled statement") {
            settled += 1;
        }
        assert_eq!(
            &catalog(t.db().as_mut(), dialect),
            expected,
            "{context}: the schema differs from a clean run's\nlast run:\n{log}"
        );
        let after = succeeds(&url, &["current"]);
        assert!(!after.contains("partly applied"), "{context}: {after}");
        succeeds(&url, &["verify"]);
        eprintln!("{context}: recovered");
    }
    eprintln!(
        "{dialect:?}: {} kills of a downgrade taking {} ms; {mid_run} landed inside the run, {interrupted} left a revision partly reverted, {settled} settled a statement from the database; all recovered",
        kills.counts().0,
        took.as_millis()
    );
    kills.assert_landed(
        &format!("{dialect:?} downgrade {FLOOR}"),
        if inside_revisions {
            "inside a revision (left partly reverted)"
        } else {
            "inside the run (some revisions reverted, not all)"
        },
    );
}

/// The variable that makes [`chain_migrator_process`] migrate: the database's URL.
const CHAIN_URL: &str = "QUARK_CRASH_CHAIN_URL";

/// Tables of each revision outside a transaction: each created, indexed, given a row (data,
/// committed with its progress) and a column, four statements apiece.
const CHAIN_TABLES: usize = 12;

/// A chain whose run is spent mostly between the statements of revisions outside a transaction
/// (`Transactional: false`), so that a kill can land between two of them on every database:
/// k1 (in a transaction) creates `k_rows`; k2 (outside one) makes CHAIN_TABLES tables; k3 (in
/// a transaction) one more; k4 (outside one) CHAIN_TABLES more.
fn kill_chain() -> RevisionMap {
    let outside = |prefix: &str| {
        (0..CHAIN_TABLES)
            .map(|i| {
                format!(
                    "CREATE TABLE {prefix}_t{i} (id INT);\nCREATE INDEX ix_{prefix}_{i} ON {prefix}_t{i} (id);\nINSERT INTO k_rows (id, note) VALUES ({i}, '{prefix}');\nALTER TABLE {prefix}_t{i} ADD COLUMN z INT;\n"
                )
            })
            .collect::<String>()
    };
    let revisions = [
        (
            "k1",
            "None",
            true,
            "CREATE TABLE k_rows (id INT, note VARCHAR(20));\n".to_string(),
        ),
        ("k2", "k1", false, outside("k2")),
        (
            "k3",
            "k2",
            true,
            "CREATE TABLE k3_t (id INT);\n".to_string(),
        ),
        ("k4", "k3", false, outside("k4")),
    ];
    let files: Vec<SourceFile> = revisions
        .iter()
        .map(|(id, parent, transactional, upgrade)| SourceFile {
            path: format!("migrations/{id}_kill.sql"),
            name: format!("{id}_kill.sql"),
            text: format!(
                "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n{}-- +upgrade\n{upgrade}",
                if *transactional {
                    ""
                } else {
                    "-- Transactional: false\n"
                }
            ),
        })
        .collect();
    source::build_map(&files).unwrap()
}

/// The migrating process of [`chain_killed_between_statements`]: this test binary run again,
/// this test alone, with CHAIN_URL set: it connects and upgrades to head, as an application
/// migrates itself on start-up. Without the variable (a plain `cargo test -- --ignored`) it
/// does nothing.
#[test]
#[ignore = "the child process of the chain kill tests, started by them with QUARK_CRASH_CHAIN_URL"]
fn chain_migrator_process() {
    let Ok(url) = std::env::var(CHAIN_URL) else {
        return;
    };
    let map = kill_chain();
    let mut db = servers::connect(&url).unwrap();
    let report = Migrator::new(&map)
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_or_else(|e| panic!("upgrade head on {url}: {e}"));
    assert_eq!(report.after, ["k4"]);
}

/// The command that runs [`chain_migrator_process`] on `url`.
fn chain_migrator(url: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "chain_migrator_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(CHAIN_URL, url)
        .stdin(Stdio::null());
    command
}

/// A start-up of the chain that must succeed; how long it took.
fn chain_migrates(url: &str, context: &str) -> Duration {
    let started = Instant::now();
    let out = chain_migrator(url).output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{context}: the start-up failed ({})\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// The catalog, and the rows of `k_rows` (each inserted exactly once), of a chain database.
fn chain_state(db: &mut dyn Backend, dialect: Dialect) -> Vec<String> {
    let mut state = catalog(db, dialect);
    for row in db
        .query("SELECT id, note FROM k_rows ORDER BY note, id", &[])
        .unwrap()
    {
        state.push(format!("row {:?} {:?}", row[0], row[1]));
    }
    state
}

/// A process migrating the chain, killed at random moments: a share of the kills must land
/// between the statements of k2 or k4 (the history table left with an unfinished row), and the
/// next plain start-up settles the statement in doubt from the database and reaches what a
/// clean run leaves, each row inserted once.
fn chain_killed_between_statements(dialect: Dialect) {
    let Some(clean) = Target::new(dialect) else {
        return;
    };
    let took = chain_migrates(&clean.url(), &format!("{dialect:?} clean run"));
    let expected = chain_state(clean.db().as_mut(), dialect);
    assert!(expected.contains(&"version k4".to_string()), "{expected:?}");
    assert_eq!(
        expected.iter().filter(|l| l.starts_with("row ")).count(),
        2 * CHAIN_TABLES
    );
    let map = kill_chain();
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        let Some(t) = Target::new(dialect) else {
            return;
        };
        let url = t.url();
        let killed = kill_after(&mut chain_migrator(&url), delay);
        let context = format!(
            "{dialect:?} chain trial {trial}, killed after {} ms (replay: QUARK_CRASH_DELAYS_MS={})",
            delay.as_millis(),
            delay.as_millis()
        );
        let left = {
            let mut db = t.db();
            Migrator::new(&map).interrupted(db.as_mut()).unwrap()
        };
        // Where the kill landed: between the statements of k2 or k4; or, on MySQL, whose DDL
        // commits as it runs (every revision there runs outside a transaction), inside the one
        // statement of k1 or k3, which counts as no landing.
        let between = match &left {
            Some(left) => {
                assert!(
                    killed,
                    "{context}: a run that ended by itself left {left:?}"
                );
                let in_one_statement = dialect == Dialect::Mysql
                    && ["k1", "k3"].contains(&left.revision.as_str())
                    && left.statements == 1;
                assert!(
                    in_one_statement
                        || (["k2", "k4"].contains(&left.revision.as_str())
                            && left.statements == 4 * CHAIN_TABLES),
                    "{context}: {left:?}"
                );
                assert!(
                    left.statements_done <= left.statements,
                    "{context}: {left:?}"
                );
                !in_one_statement
            }
            None => false,
        };
        kills.landed(between);
        chain_migrates(&url, &format!("{context}: the next start-up"));
        let mut db = t.db();
        assert_eq!(
            chain_state(db.as_mut(), dialect),
            expected,
            "{context}: the database differs from a clean run's"
        );
        assert!(
            Migrator::new(&map)
                .interrupted(db.as_mut())
                .unwrap()
                .is_none(),
            "{context}"
        );
        eprintln!(
            "{context}: {}recovered",
            match &left {
                Some(l) => format!(
                    "left {} at statement {} of {}, ",
                    l.revision,
                    l.statements_done + 1,
                    l.statements
                ),
                None => String::new(),
            }
        );
    }
    kills.assert_landed(
        &format!("{dialect:?} chain with revisions outside a transaction"),
        "between the statements of a revision (an unfinished history row)",
    );
}

on_each_backend! {
    killed_at_random_moments => sqlite_killed_at_random_moments, postgres_killed_at_random_moments, mysql_killed_at_random_moments;
    downgrade_killed_at_random_moments => sqlite_downgrade_killed_at_random_moments, postgres_downgrade_killed_at_random_moments, mysql_downgrade_killed_at_random_moments;
    chain_killed_between_statements => sqlite_chain_killed_between_statements, postgres_chain_killed_between_statements, mysql_chain_killed_between_statements;
}

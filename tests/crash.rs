//! The real binary killed (SIGKILL) at random moments of quark's `upgrade head`, on SQLite,
//! PostgreSQL and MariaDB/MySQL: the next plain `upgrade head` must finish with no hand repair
//! and leave the schema a clean upgrade leaves.
//!
//! Trials per database: `QUARK_CRASH_TRIALS`, else 10 under CI and 3 locally. The delays are
//! printed, so a failing trial can be replayed with `QUARK_CRASH_DELAYS_MS=ms,ms,...`.

#![cfg(all(feature = "postgres", feature = "mysql"))]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[macro_use]
mod support;

use quark_migrate::revision::Dialect;
use support::{BIN, Target, catalog, cli};

const HEAD: &str = "c07cd8303997";

fn trials() -> usize {
    support::trials("QUARK_CRASH_TRIALS", 10, 3)
}

/// Delays before a kill: the replayed ones, or uniform over the length of a clean run.
fn delays(clean: Duration) -> Vec<Duration> {
    support::kill_delays(clean, trials())
}

/// Runs the binary with `args` on `url` and SIGKILLs it after `delay`.
fn killed_after(url: &str, args: &[&str], delay: Duration) {
    let mut child = Command::new(BIN)
        .args(["--database-connection", url])
        .args(args)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
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

    let (mut interrupted, mut settled, mut took_effect) = (0, 0, 0);
    let delays = delays(took);
    for (trial, delay) in delays.iter().enumerate() {
        let Some(t) = Target::new(dialect) else {
            return;
        };
        let url = t.url();
        killed_after(&url, &["upgrade", "head"], *delay);
        let context = format!(
            "{dialect:?} trial {trial}, killed after {} ms (replay: QUARK_CRASH_DELAYS_MS={})",
            delay.as_millis(),
            delay.as_millis()
        );

        let current = succeeds(&url, &["current"]);
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
        "{dialect:?}: {} kills over a clean run of {} ms; {interrupted} left a revision partly applied, {settled} settled a statement from the database ({took_effect} had taken effect after the kill); all recovered",
        delays.len(),
        took.as_millis()
    );
}

/// The lowest revision a downgrade from head reaches (the data revisions below are
/// irreversible).
const FLOOR: &str = "1664300cb03a";

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

    let (mut interrupted, mut settled) = (0, 0);
    let delays = delays(took);
    for (trial, delay) in delays.iter().enumerate() {
        let Some(t) = Target::new(dialect) else {
            return;
        };
        let url = t.url();
        succeeds(&url, &["upgrade", "head"]);
        killed_after(&url, &["downgrade", FLOOR], *delay);
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
        if succeeds(&url, &["current"]).contains("partly applied") {
            interrupted += 1;
        }
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
        "{dialect:?}: {} kills of a downgrade taking {} ms; {interrupted} left a revision partly reverted, {settled} settled a statement from the database; all recovered",
        delays.len(),
        took.as_millis()
    );
}

on_each_backend! {
    killed_at_random_moments => sqlite_killed_at_random_moments, postgres_killed_at_random_moments, mysql_killed_at_random_moments;
    downgrade_killed_at_random_moments => sqlite_downgrade_killed_at_random_moments, postgres_downgrade_killed_at_random_moments, mysql_downgrade_killed_at_random_moments;
}

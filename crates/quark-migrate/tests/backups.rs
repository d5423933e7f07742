//! An appliance's point of no return: before the irreversible data revisions of the application
//! in `support/app.rs` run on a SQLite file, its command line copies the file aside; `restore`
//! puts the copy back byte for byte, even after the run was killed part-way.

#![cfg(all(feature = "cli", feature = "sqlite"))]

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

#[path = "support/app.rs"]
mod app;
#[path = "support/kills.rs"]
mod kills;

use app::{FIRST, HEAD, SECOND, cli};

/// The last revision before the first irreversible one.
const BEFORE: &str = app::SEED;

fn ok(url: &str, args: &[&str]) -> String {
    let out = cli(url, args);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?}: {said}");
    said
}

fn backups_of(db: &Path) -> Vec<std::path::PathBuf> {
    let name = db.file_name().unwrap().to_string_lossy().to_string();
    let mut found: Vec<_> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{name}.backup."))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_run_past_the_point_of_no_return_is_backed_up_and_restored_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let url = format!("sqlite:///{}", db.display());
    ok(&url, &["upgrade", BEFORE]);
    assert!(backups_of(&db).is_empty(), "nothing irreversible ran yet");
    let before = std::fs::read(&db).unwrap();

    let log = ok(&url, &["upgrade", "head"]);
    let backups = backups_of(&db);
    assert_eq!(backups.len(), 1, "{log}");
    assert!(log.contains("Backed the database up to"), "{log}");
    let name = backups[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(
        name.ends_with(&format!("{BEFORE}-to-{HEAD}")),
        "named with the revisions: {name}"
    );
    assert!(
        std::fs::read(&backups[0]).unwrap() == before,
        "the backup is the file before the run"
    );
    assert!(ok(&url, &["restore", "--list"]).contains(&name));

    let said = ok(&url, &["restore"]);
    assert!(said.contains(&name), "{said}");
    assert!(std::fs::read(&db).unwrap() == before, "the exact file");
    assert!(ok(&url, &["current"]).contains(BEFORE));
}

/// `upgrade head` on a database at BEFORE, started: the child, and the moment its backup
/// appeared beside the database (waited for by watching the directory, not by a clock). Panics if
/// the run ended without making one.
fn upgrade_until_backed_up(url: &str, db: &Path) -> (Child, Instant) {
    let mut child = app::command(&["--database-connection", url, "upgrade", "head"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if !backups_of(db).is_empty() {
            return (child, Instant::now());
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("upgrade head ended ({status}) without backing the database up");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_run_killed_after_its_backup_is_undone_by_restore() {
    // How long a clean run goes on after its backup appears: the kills land within that.
    let window = {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let url = format!("sqlite:///{}", db.display());
        ok(&url, &["upgrade", BEFORE]);
        let (mut child, backed_up) = upgrade_until_backed_up(&url, &db);
        let status = child.wait().unwrap();
        assert!(status.success(), "the clean run: {status}");
        backed_up.elapsed()
    };
    for trial in 0..3u32 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let url = format!("sqlite:///{}", db.display());
        ok(&url, &["upgrade", BEFORE]);
        let before = std::fs::read(&db).unwrap();
        // Killed as soon as the backup appears, or a tenth or a fifth of the clean run's
        // remainder after: well inside the run, however much one run's speed differs from
        // another's on a busy machine.
        let delay = window * trial / 10;
        let (mut child, _) = upgrade_until_backed_up(&url, &db);
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            kills::killed(status),
            "trial {trial}: the run was to be killed {} ms after its backup (a clean run goes on for {} ms), but it ended by itself: {status}",
            delay.as_millis(),
            window.as_millis()
        );
        ok(&url, &["restore"]);
        assert!(
            std::fs::read(&db).unwrap() == before,
            "trial {trial}: the restored file differs from the one before the run"
        );
        // And the database works from there.
        ok(&url, &["upgrade", "head"]);
    }
}

#[test]
fn backups_are_kept_as_configured_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let url = format!("sqlite:///{}", db.display());
    ok(&url, &["upgrade", FIRST]);
    for target in [SECOND, BEFORE, app::RUST[0]] {
        ok(
            &url,
            &[
                "--backup",
                "every-change",
                "--keep-backups",
                "2",
                "upgrade",
                target,
            ],
        );
    }
    assert_eq!(backups_of(&db).len(), 2, "the newest two kept");
    ok(&url, &["--backup", "never", "upgrade", "head"]);
    assert_eq!(backups_of(&db).len(), 2);
}

#[test]
fn restore_refuses_a_file_that_is_no_backup_and_keeps_the_file_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let url = format!("sqlite:///{}", db.display());
    ok(&url, &["upgrade", BEFORE]);
    let before = std::fs::read(&db).unwrap();
    ok(&url, &["upgrade", "head"]);
    let replaced = std::fs::read(&db).unwrap();

    // A text file: refused, named, with a failing exit status; the database untouched.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "meeting notes, not a database\n").unwrap();
    let out = cli(&url, &["restore", "--from", &notes.display().to_string()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&notes.display().to_string())
            && said.contains("not a SQLite database")
            && said.contains("nothing was replaced"),
        "{said}"
    );
    assert!(std::fs::read(&db).unwrap() == replaced);

    // The backup: restored, and the file it replaced kept beside it.
    let said = ok(&url, &["restore"]);
    assert!(said.contains("kept as"), "{said}");
    assert!(std::fs::read(&db).unwrap() == before);
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("app.db.before-restore.")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{said}");
    assert!(std::fs::read(&kept[0]).unwrap() == replaced);
}

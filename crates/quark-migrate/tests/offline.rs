//! Offline scripts (`--sql`) and previews (`--dry-run`) of the command line of the application
//! in `support/app.rs`: a script piped into the sqlite3 shell leaves what a live run leaves, the
//! revisions written in Rust run online, and a preview changes nothing.

#![cfg(all(feature = "cli", feature = "sqlite"))]

#[path = "support/app.rs"]
mod app;
#[path = "support/sqlite_file.rs"]
mod sqlite_file;

use app::{FIRST, HEAD, LAST_RUST, SECOND, SEED};
use sqlite_file::{Db, run_in, sqlite3};

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
        script.contains(&format!("-- Running upgrade {SECOND} -> {SEED}")),
        "{script}"
    );
    assert!(
        !dir.path().join("app.db").exists(),
        "--sql connects to nothing"
    );
    sqlite3(&offline.path(), &script);
    assert_eq!(offline.schema(), live.schema());
    assert_eq!(offline.versions(), [SEED]);
    for rev in [FIRST, SECOND, SEED] {
        assert_eq!(offline.history_count(rev, "upgrade"), 1);
    }
    offline.run(&["verify"]).ok();

    // The data revisions written in Rust run online; the rest of the chain offline, as a range
    // whose dialect is taken from the URL (not connected to).
    let refused = offline.run(&["upgrade", "head", "--sql"]).fails().stderr();
    assert!(
        refused.contains("revisions r04, r06, r12 are written in Rust")
            && refused.contains(&format!("({LAST_RUST}:<target> --sql)")),
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
            &format!("{FIRST}:{SEED}"),
            "--sql",
            "--dialect",
            "sqlite",
        ],
    )
    .ok()
    .stdout();
    assert!(
        !partial.contains(&format!("<base> -> {FIRST}"))
            && partial.contains(&format!("{FIRST} -> {SECOND}"))
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
    db.run(&["upgrade", SECOND]).ok();
    let before = db.schema();
    let out = db.run(&["upgrade", "head", "--dry-run"]).ok().stdout();
    assert!(
        out.contains(&format!(
            "upgrade {SECOND} -> {HEAD}, 38 revision(s); nothing was changed"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("CREATE TABLE t_{SEED}")), "{out}");
    assert!(
        out.contains("-- upgrade of r04 runs Rust code (migrations/r04_name_unnamed_items.rs:"),
        "{out}"
    );
    assert!(
        !out.contains("CREATE TABLE IF NOT EXISTS"),
        "the version tables exist: {out}"
    );
    assert_eq!(db.schema(), before);
    assert_eq!(db.versions(), [SECOND]);
    assert_eq!(db.history_count(HEAD, "upgrade"), 0);
    let out = db.run(&["downgrade", "base", "--dry-run"]).ok().stdout();
    assert!(
        out.contains(&format!("downgrade {SECOND} -> base, 2 revision(s)")),
        "{out}"
    );
    assert_eq!(db.versions(), [SECOND]);
    db.run(&["upgrade", "head"]).ok();
    let out = db.run(&["upgrade", "head", "--dry-run"]).ok().stdout();
    assert!(out.contains("nothing to upgrade"), "{out}");
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
    assert!(
        per_revision.contains(
            "UPDATE \"alembic_version\" SET version_num = 'r21' WHERE version_num = 'r20';"
        )
    );
    assert_eq!(
        single
            .matches(&format!(
                "UPDATE \"alembic_version\" SET version_num = '{HEAD}' WHERE version_num = '{LAST_RUST}'"
            ))
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

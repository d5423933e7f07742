//! The command line of the application in `support/app.rs`, run as a process on temporary
//! SQLite files: URLs, targets, history, stamp, the version table (Alembic's, unknown revisions,
//! another table, contradicting rows), drift, many processes at once, masked passwords, writing
//! revisions, the migration lock, JSON for tools, and remembered downgrades nobody vouched for.

#![cfg(all(feature = "cli", feature = "sqlite"))]

use std::path::PathBuf;

#[path = "support/app.rs"]
mod app;
#[path = "support/sqlite_file.rs"]
mod sqlite_file;

use app::{BEFORE_HEAD, FIRST, HEAD, LAST_RUST, SECOND, SEED};
use sqlite_file::{Db, Run, run_in};

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
        &["--database-connection", "sqlite:///app.db", "current"],
    )
    .ok();
    assert!(
        rel.stdout().contains(&format!("{HEAD} (head)")),
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
fn target_forms() {
    let db = Db::new();
    db.run(&["upgrade", "+1"]).ok();
    assert_eq!(db.versions(), [FIRST]);
    db.run(&["upgrade", SECOND]).ok();
    assert_eq!(db.versions(), [SECOND]);
    // A unique prefix: only the head's id starts with r4.
    db.run(&["upgrade", "r4"]).ok();
    assert_eq!(db.versions(), [HEAD]);
    db.run(&["upgrade", "heads"]).ok();
    assert_eq!(db.versions(), [HEAD]);
    db.run(&["downgrade", "-2"]).ok();
    assert_eq!(db.versions(), ["r38"]);
    db.run(&["upgrade", "r38+2"]).ok();
    assert_eq!(db.versions(), [HEAD]);
    db.run(&["downgrade", "head-1"]).ok();
    assert_eq!(db.versions(), [BEFORE_HEAD]);
    let ambiguous = db.run(&["upgrade", "r0"]).fails();
    assert!(
        ambiguous
            .stderr()
            .contains("'r0' is ambiguous: it matches r01, r02, r03, r04, r05, r06, r07, r08, r09"),
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
    assert_eq!(db.versions(), [BEFORE_HEAD]);
}

#[test]
fn history_with_current_reads_the_database() {
    let db = Db::new();
    db.run(&["upgrade", SECOND]).ok();
    let out = db.run(&["history", "-r", "current:"]).ok().stdout();
    assert_eq!(out.lines().count(), 39, "{out}");
    assert!(out.contains(HEAD) && out.contains(SECOND) && !out.contains("<base>"));
}

#[test]
fn stamp_and_purge() {
    let db = Db::new();
    db.run(&["stamp", HEAD]).ok();
    assert_eq!(db.versions(), [HEAD]);
    assert!(
        !db.tables().contains(&"items".to_string()),
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
    assert!(e.starts_with("FAILED: the version table alembic_version holds revision 5ac5404bff1e unknown to this binary (its heads: r40)"), "{e}");
    assert!(e.contains("--version-table") && e.contains("stamp <revision> --purge"));
    assert_eq!(e.lines().count(), 1);
    assert_eq!(
        db.tables(),
        ["alembic_version"],
        "nothing was created or run"
    );
    db.run(&["--version-table", "app_version", "upgrade", "head"])
        .ok();
    assert_eq!(db.versions(), ["5ac5404bff1e"]);
    let current = db.run(&["--version-table", "app_version", "current"]).ok();
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
        .execute("UPDATE alembic_version_history SET checksum = 'deadbeef' || substr(checksum, 9) WHERE revision = 'r02'", [])
        .unwrap();
    let verify = db.run(&["verify"]).fails().stderr();
    assert!(
        verify.contains("revision changed since applied: r02 (migrations/r02_create_t_r02.sql"),
        "{verify}"
    );
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
    // A database that Alembic left at the second revision (its schema, its table and row, no
    // history) is picked up as it is.
    let alembic = Db::new();
    alembic.run(&["upgrade", SECOND]).ok();
    alembic
        .conn()
        .execute_batch("DROP TABLE alembic_version_history")
        .unwrap();
    let up = alembic.run(&["upgrade", "head"]).ok();
    assert!(
        up.stderr()
            .contains(&format!("Running upgrade {SECOND} -> {SEED}"))
            && !up.stderr().contains(&format!("{FIRST} ->"))
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
                app::command(&["--database-connection", &url, "upgrade", "head"])
                    .stdout(std::process::Stdio::null())
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
        for rev in [FIRST, SECOND, LAST_RUST, HEAD] {
            assert_eq!(db.history_count(rev, "upgrade"), 1, "{rev} ran once");
        }
    }
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

fn json(run: Run) -> serde_json::Value {
    serde_json::from_str(&run.ok().stdout()).expect("one JSON document on stdout")
}

#[test]
fn json_output_for_tools() {
    let db = Db::new();
    let report = json(db.run(&["--format", "json", "upgrade", SECOND]));
    assert_eq!(report["before"], serde_json::json!([]));
    assert_eq!(report["after"], serde_json::json!([SECOND]));
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["revision"], FIRST);
    assert_eq!(steps[0]["direction"], "upgrade");
    assert!(steps[0]["duration_ms"].as_f64().unwrap() >= 0.0);

    let current = json(db.run(&["current", "--format", "json"]));
    assert_eq!(current["current"][0]["revision"], SECOND);
    assert_eq!(current["current"][0]["is_head"], false);
    assert!(
        current["database"]
            .as_str()
            .unwrap()
            .starts_with("sqlite:///")
    );

    let heads = json(db.run(&["heads", "--format", "json"]));
    assert_eq!(heads[0]["revision"], HEAD);
    assert_eq!(heads[0]["down_revisions"], serde_json::json!([BEFORE_HEAD]));
    let history = json(db.run(&["history", "--format", "json"]));
    let ids: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 40);
    assert_eq!(ids[..2], [HEAD, BEFORE_HEAD]);
    assert_eq!(ids[38..], [SECOND, FIRST]);

    let verify = json(db.run(&["verify", "--format", "json"]));
    assert_eq!(verify["ok"], true);
    db.conn()
        .execute(
            "UPDATE alembic_version_history SET checksum = 'abc' WHERE revision = 'r02'",
            [],
        )
        .unwrap();
    let drifted = db.run(&["verify", "--format", "json"]).fails();
    let verify: serde_json::Value = serde_json::from_str(&drifted.stdout()).unwrap();
    assert_eq!(verify["ok"], false);
    assert_eq!(verify["drift"][0]["revision"], SECOND);
    assert_eq!(verify["drift"][0]["recorded_checksum"], "abc");
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
        "INSERT INTO alembic_version_revisions (revision, parents, depends_on, branch_labels, message, breaking, transactional, downgrade, downgrade_checksum, no_downgrade, recorded_at) VALUES ('zz9', 'r40', '', '', 'planted', NULL, 1, ?1, ?2, NULL, 'now')",
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
    assert_eq!(db.versions(), [HEAD]);
}

#[test]
fn contradicting_version_rows_are_refused_until_stamped() {
    let db = Db::new();
    db.run(&["upgrade", SEED]).ok();
    db.conn()
        .execute("INSERT INTO alembic_version VALUES (?1)", [FIRST])
        .unwrap();
    for command in [
        &["current"][..],
        &["upgrade", "head"],
        &["downgrade", "-1"],
        &["stamp", SECOND],
    ] {
        let e = db.run(command).fails().stderr();
        assert!(
            e.contains(&format!("holds {FIRST}, {SEED}: {FIRST} below {SEED}, which already includes it; nothing was run"))
                && e.contains(&format!("record that with `testapp stamp --purge {SEED}`")),
            "{e}"
        );
    }
    assert_eq!(db.versions(), [FIRST, SEED]);
    db.run(&["stamp", "--purge", SEED]).ok();
    db.run(&["upgrade", "head"]).ok();

    // The same revision twice, in a table without Alembic's primary key (as older Alembic made
    // it), with no history.
    let twice = Db::new();
    twice.run(&["upgrade", SECOND]).ok();
    twice
        .conn()
        .execute_batch(&format!(
            "DROP TABLE alembic_version_history; DROP TABLE alembic_version; CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL); INSERT INTO alembic_version VALUES ('{SECOND}');"
        ))
        .unwrap();
    twice
        .conn()
        .execute("INSERT INTO alembic_version VALUES (?1)", [SECOND])
        .unwrap();
    let e = twice.run(&["upgrade", "head"]).fails().stderr();
    assert!(e.contains(&format!("{SECOND} twice")), "{e}");
}

#[test]
fn upgrade_verify_only_checks_without_writing_and_names_what_is_missing() {
    let db = Db::new();
    db.run(&["upgrade", SECOND]).ok();
    let before = std::fs::read(db.path()).unwrap();
    let refused = db
        .run(&["upgrade", "--verify-only", "--verify-wait", "0"])
        .fails();
    let said = refused.stderr();
    assert!(said.contains(&format!("at {SECOND}")), "{said}");
    assert!(
        said.contains("r03") && said.contains("upgrade head"),
        "{said}"
    );
    assert!(said.contains("Nothing was written"), "{said}");
    assert_eq!(
        std::fs::read(db.path()).unwrap(),
        before,
        "the file changed"
    );
    assert_eq!(db.versions(), [SECOND]);

    // A target other than head, and run options, are refused before connecting.
    let target = db.run(&["upgrade", "--verify-only", FIRST]).fails();
    assert!(
        target.stderr().contains("drop the target"),
        "{}",
        target.stderr()
    );
    let sql = db.run(&["upgrade", "--verify-only", "--sql"]);
    assert_eq!(sql.out.status.code(), Some(2), "{}", sql.stderr());
    assert_eq!(db.versions(), [SECOND]);

    db.run(&["upgrade", "head"]).ok();
    let ok = db.run(&["upgrade", "--verify-only"]).ok();
    assert!(
        ok.stdout().contains(&format!("is at {HEAD}")),
        "{}",
        ok.stdout()
    );
    let json = db
        .run(&["--format", "json", "upgrade", "--verify-only"])
        .ok();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(doc["current"], serde_json::json!([HEAD]));
    assert_eq!(doc["newer"], serde_json::json!([]));
}

#[test]
fn drift_names_what_changed_by_hand_and_prints_the_sql_that_brings_it_back() {
    let db = Db::new();
    db.run(&["upgrade", "head"]).ok();
    let clean = db.run(&["drift"]).ok();
    assert!(clean.stdout().contains("No drift."), "{}", clean.stdout());
    assert!(
        clean.stdout().contains("the same as recorded"),
        "{}",
        clean.stdout()
    );

    // An index dropped by hand during an incident.
    sqlite_file::sqlite3(&db.path(), "DROP INDEX ix_t_r03_name;");
    let found = db.run(&["drift"]).fails();
    let out = found.stdout();
    assert!(
        out.contains("DRIFT (record)") && out.contains("ix_t_r03_name"),
        "{out}"
    );
    let sql: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("-- SQL that brings the database back to the record"))
        .skip(1)
        .collect();
    assert!(sql.iter().any(|l| l.contains("CREATE INDEX")), "{out}");
    let json = db.run(&["--format", "json", "drift"]).fails();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(doc["record"], "drifted");
    assert_eq!(doc["differences"][0]["kind"], "index_dropped");
    assert_eq!(doc["differences"][0]["table"], "t_r03");
    assert_eq!(doc["differences"][0]["source"], "record");
    assert_eq!(doc["current"], serde_json::json!([HEAD]));

    // Start-up: warn goes on, fail refuses naming it.
    db.run(&["--check-drift", "warn", "upgrade", "head"]).ok();
    let refused = db
        .run(&["--check-drift", "fail", "upgrade", "head"])
        .fails();
    assert!(
        refused.stderr().contains("ix_t_r03_name"),
        "{}",
        refused.stderr()
    );
    db.run(&["--check-drift", "fail", "upgrade", "--verify-only"])
        .fails();

    // The printed SQL, run by hand, brings it back.
    sqlite_file::sqlite3(&db.path(), &sql.join("\n"));
    db.run(&["drift"]).ok();
    db.run(&["--check-drift", "fail", "upgrade", "head"]).ok();

    // A change accepted after review: recorded as the expected schema.
    sqlite_file::sqlite3(&db.path(), "CREATE INDEX ix_hotfix ON t_r03 (id);");
    db.run(&["drift"]).fails();
    let recorded = db.run(&["drift", "--record"]).ok();
    assert!(
        recorded.stdout().contains("Recorded the schema"),
        "{}",
        recorded.stdout()
    );
    db.run(&["drift"]).ok();
}

#[test]
fn log_lines_as_json_for_a_log_shipper() {
    let db = Db::new();
    let out = db.run(&["--log-format", "json", "upgrade", "head"]).ok();
    let lines: Vec<serde_json::Value> = out
        .stderr()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(lines.len() >= 40, "{}", out.stderr());
    for line in &lines {
        assert!(
            line["ts"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{line}"
        );
        assert!(
            ["INFO", "WARN"].contains(&line["level"].as_str().unwrap()),
            "{line}"
        );
        assert!(
            line["target"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .unwrap()
            .contains(&format!("-> {FIRST}"))),
        "{}",
        out.stderr()
    );
    // Results on stdout are not log lines.
    let current = db.run(&["--log-format", "json", "current"]).ok();
    assert!(current.stdout().contains(HEAD), "{}", current.stdout());
}

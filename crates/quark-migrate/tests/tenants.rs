//! Runs over many tenants: schemas of one PostgreSQL database and databases of one MySQL
//! server named by a list or a query, each with its own version tables; a canary and waves
//! within a failure budget that leave the databases not started untouched; a killed run that a
//! second run finishes; and three shards run side by side over 300 SQLite files, none migrated
//! twice. Through the command line of the application in `support/app.rs`.

#![cfg(all(
    feature = "cli",
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql"
))]

#[path = "support/app.rs"]
mod app;
#[path = "support/recording.rs"]
mod recording;
#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use app::{HEAD, REVISIONS, outcome as run};
use servers::{Kind, TestDb, connect};

/// `n` SQLite files' URLs in `dir` (not created).
fn files(dir: &Path, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("sqlite:///{}", dir.join(format!("t{i:03}.db")).display()))
        .collect()
}

fn list(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The version rows of a SQLite file, or `None` when the file was never created.
fn versions(url: &str) -> Option<Vec<String>> {
    let path = url.strip_prefix("sqlite:///").unwrap();
    if !Path::new(path).exists() {
        return None;
    }
    let mut db = connect(url).unwrap();
    if !db.table_exists("alembic_version").unwrap() {
        return Some(Vec::new());
    }
    Some(
        db.query("SELECT version_num FROM alembic_version", &[])
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap().to_string())
            .collect(),
    )
}

/// Breaks a SQLite file on purpose: a table of the first revision already there.
fn break_file(url: &str) {
    connect(url)
        .unwrap()
        .run("CREATE TABLE items (id INT)")
        .unwrap();
}

/// How many times each revision was applied to the database at `url`, by its history.
fn applied_once(url: &str) -> bool {
    let rows = connect(url)
        .unwrap()
        .query(
            "SELECT revision, count(*) FROM alembic_version_history WHERE direction = 'upgrade' AND outcome = 'success' GROUP BY revision",
            &[],
        )
        .unwrap();
    rows.len() == REVISIONS && rows.iter().all(|r| r[1].as_int() == Some(1))
}

#[test]
fn a_failed_canary_starts_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let urls = files(dir.path(), 12);
    break_file(&urls[2]);
    let file = list(dir.path(), "all.txt", &urls);
    let (ok, stdout, stderr) = run(&[
        "--databases",
        file.to_str().unwrap(),
        "--canary",
        "3",
        "--jobs",
        "2",
        "upgrade",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("1 of 12 databases failed and 9 were not started (a canary failed)"),
        "{stderr}"
    );
    assert!(
        stdout.contains("12 databases: 2 upgraded, 1 failed, 9 not started"),
        "{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("DATABASE") && lines[0].contains("WAVE"));
    for (i, url) in urls.iter().enumerate() {
        let line = lines[1 + i];
        assert!(line.starts_with(url.as_str()), "{line}");
        match i {
            0 | 1 => {
                assert!(line.contains("canary") && line.ends_with("ok"), "{line}");
                assert_eq!(versions(url), Some(vec![HEAD.to_string()]));
            }
            2 => assert!(
                line.contains("canary") && line.contains("failed: "),
                "{line}"
            ),
            _ => {
                assert!(line.ends_with("not started"), "{line}");
                assert_eq!(versions(url), None, "{url} untouched: not even created");
            }
        }
    }

    // Where each stands: a line each and a summary.
    let (ok, stdout, stderr) = run(&["--databases", file.to_str().unwrap(), "current"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 12 + 1, "{stdout}");
    assert!(
        lines[1].starts_with(urls[0].as_str())
            && lines[1].contains(HEAD)
            && lines[1].ends_with("at head")
    );
    assert!(
        lines[3].ends_with(&format!("{REVISIONS} pending")),
        "{}",
        lines[3]
    );
    assert_eq!(
        lines[13],
        "12 databases: 2 at head, 10 behind, 0 ahead, 0 other, 0 failed"
    );
}

#[test]
fn waves_stop_starting_once_failures_pass_the_budget_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let urls = files(dir.path(), 20);
    for i in [6, 8] {
        break_file(&urls[i]);
    }
    let file = list(dir.path(), "all.txt", &urls);
    let (ok, stdout, stderr) = run(&[
        "--databases",
        file.to_str().unwrap(),
        "--canary",
        "2",
        "--wave-size",
        "5",
        "--max-failures",
        "1",
        "--jobs",
        "1",
        "--format",
        "json",
        "upgrade",
    ]);
    assert!(!ok);
    assert!(stderr.contains("(more than 1 failed)"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let list = doc["databases"].as_array().unwrap();
    let waves: Vec<u64> = list.iter().map(|d| d["wave"].as_u64().unwrap()).collect();
    assert_eq!(
        waves,
        [1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5]
    );
    assert!(list[..2].iter().all(|d| d["canary"] == true));
    assert!(list[2..].iter().all(|d| d["canary"] == false));
    let outcomes: Vec<&str> = list
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    // One at a time: the second failure (index 8) passes the budget; nothing after it starts.
    let mut expected = vec!["ok"; 9];
    expected[6] = "failed";
    expected[8] = "failed";
    expected.extend(["not started"; 11]);
    assert_eq!(outcomes, expected);
    for url in &urls[9..] {
        assert_eq!(versions(url), None, "{url} untouched");
    }

    // Fixed, and run again: the databases at head are found so, the rest upgraded.
    for i in [6, 8] {
        connect(&urls[i]).unwrap().run("DROP TABLE items").unwrap();
    }
    let (ok, stdout, stderr) = run(&[
        "--databases",
        file.to_str().unwrap(),
        "--wave-size",
        "5",
        "--max-failures",
        "1",
        "--format",
        "json",
        "upgrade",
    ]);
    assert!(ok, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let list = doc["databases"].as_array().unwrap();
    for (i, d) in list.iter().enumerate() {
        let steps = d["steps"].as_array().unwrap().len();
        let before_head = [6, 8].contains(&i) || i >= 9;
        assert_eq!(steps, if before_head { REVISIONS } else { 0 }, "{d}");
    }
    for url in &urls {
        assert_eq!(versions(url), Some(vec![HEAD.to_string()]), "{url}");
        assert!(applied_once(url), "{url}");
    }
}

#[test]
fn a_killed_fleet_run_is_finished_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let urls = files(dir.path(), 60);
    let file = list(dir.path(), "all.txt", &urls);
    let mut child = app::command(&[
        "--databases",
        file.to_str().unwrap(),
        "--jobs",
        "2",
        "upgrade",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Killed once some, not all, are at head.
    let started = Instant::now();
    loop {
        let done = urls
            .iter()
            .filter(|u| versions(u).is_some_and(|v| v == [HEAD]))
            .count();
        if done >= 5 || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_head = urls
        .iter()
        .filter(|u| versions(u).is_some_and(|v| v == [HEAD]))
        .count();
    assert!(
        (5..60).contains(&at_head),
        "killed part-way: {at_head} of 60 at head"
    );

    let (ok, stdout, stderr) = run(&["--databases", file.to_str().unwrap(), "upgrade"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.ends_with("60 databases: 60 upgraded, 0 failed\n"),
        "{stdout}"
    );
    for url in &urls {
        assert_eq!(versions(url), Some(vec![HEAD.to_string()]), "{url}");
        assert!(
            applied_once(url),
            "{url}: no revision applied twice or lost"
        );
    }
}

#[test]
fn three_shards_side_by_side_migrate_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let urls = files(dir.path(), 300);
    let file = list(dir.path(), "all.txt", &urls);
    let children: Vec<_> = (0..3)
        .map(|k| {
            let shard = format!("{k}/3");
            app::command(&[
                "--databases",
                file.to_str().unwrap(),
                "--shard",
                &shard,
                "--jobs",
                "1",
                "--format",
                "json",
                "upgrade",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    // The three reports merged into one, as docs/deployment.md merges them.
    let mut merged: Vec<serde_json::Value> = Vec::new();
    for child in children {
        let out = app::stripped(child.wait_with_output().unwrap());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
        let list = doc["databases"].as_array().unwrap();
        assert!(list.len() > 60, "a fair share: {}", list.len());
        merged.extend(list.iter().cloned());
    }
    let mut named: Vec<&str> = merged
        .iter()
        .map(|d| d["database"].as_str().unwrap())
        .collect();
    named.sort();
    let mut expected: Vec<&str> = urls.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(named, expected, "each file in exactly one shard");
    for url in &urls {
        assert_eq!(versions(url), Some(vec![HEAD.to_string()]), "{url}");
        assert!(applied_once(url), "{url}");
    }
    let (ok, _, stderr) = run(&[
        "--database-connection",
        &urls[0],
        "--shard",
        "0/2",
        "upgrade",
    ]);
    assert!(
        !ok && stderr.contains("--shard takes a share of several databases"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&[
        "--databases",
        file.to_str().unwrap(),
        "--shard",
        "3/3",
        "upgrade",
    ]);
    assert!(!ok && stderr.contains("is not a shard K/N"), "{stderr}");
}

#[test]
fn postgresql_schemas_named_by_a_query_each_keep_their_own_versions() {
    let Some(db) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let tenants = ["tenant_a", "tenant_b", "tenant_c", "tenant_\"d e\""];
    let mut admin = db.db();
    for schema in tenants.iter().chain(&["other"]) {
        admin
            .run(&format!(
                "CREATE SCHEMA \"{}\"",
                schema.replace('"', "\"\"")
            ))
            .unwrap();
    }
    let (ok, stdout, stderr) = run(&[
        "--database-connection",
        &db.url,
        "--schemas-from",
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1",
        "--jobs",
        "3",
        "upgrade",
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("4 databases: 4 upgraded, 0 failed\n"),
        "{stdout}"
    );
    for schema in tenants {
        let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
        let version = admin
            .query(
                &format!("SELECT version_num FROM {quoted}.alembic_version"),
                &[],
            )
            .unwrap();
        assert_eq!(version[0][0].as_text(), Some(HEAD), "{schema}");
        let items = admin
            .query(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'items'",
                &[schema.into()],
            )
            .unwrap();
        assert_eq!(items[0][0].as_int(), Some(1), "{schema}");
    }
    for schema in ["public", "other"] {
        let tables = admin
            .query(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1",
                &[schema.into()],
            )
            .unwrap();
        assert_eq!(tables[0][0].as_int(), Some(0), "nothing in {schema}");
    }

    // Run again, one at a time: one session for the query, one for every tenant in turn.
    let sessions = || {
        connect(&db.url)
            .unwrap()
            .query(
                "SELECT sessions FROM pg_catalog.pg_stat_database WHERE datname = current_database()",
                &[],
            )
            .unwrap()[0][0]
            .as_int()
            .unwrap()
    };
    let before = sessions();
    let (ok, stdout, stderr) = run(&[
        "--database-connection",
        &db.url,
        "--schemas-from",
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1",
        "--jobs",
        "1",
        "upgrade",
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("4 databases: 4 upgraded, 0 failed\n"),
        "{stdout}"
    );
    // The reading session above counts too.
    assert_eq!(sessions() - before, 1 + 2, "sessions opened");

    let (ok, stdout, stderr) = run(&[
        "--database-connection",
        &db.url,
        "--schemas-from",
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' OR nspname = 'other' ORDER BY 1",
        "--format",
        "json",
        "current",
    ]);
    assert!(ok, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let states: Vec<(&str, &str)> = doc["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["database"].as_str().unwrap(),
                d["state"].as_str().unwrap(),
            )
        })
        .collect();
    let pending = format!("{REVISIONS} pending");
    assert_eq!(states.len(), 5, "{stdout}");
    for (database, state) in states {
        let expected = if database.ends_with("schema=other") {
            pending.as_str()
        } else {
            "at head"
        };
        assert_eq!(state, expected, "{database}");
    }

    // A list naming a schema that is not there: that tenant fails, by name; the others are
    // at head already.
    let dir = tempfile::tempdir().unwrap();
    let file = list(
        dir.path(),
        "tenants.txt",
        &["tenant_a".into(), "missing".into(), "tenant_b".into()],
    );
    let (ok, stdout, stderr) = run(&[
        "--database-connection",
        &db.url,
        "--schemas",
        file.to_str().unwrap(),
        "--format",
        "json",
        "upgrade",
    ]);
    assert!(!ok);
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let list = doc["databases"].as_array().unwrap();
    assert_eq!(list[0]["database"], format!("{}?schema=tenant_a", db.url));
    assert_eq!(list[0]["steps"].as_array().unwrap().len(), 0);
    assert_eq!(list[1]["outcome"], "failed");
    let error = list[1]["error"].as_str().unwrap();
    assert!(
        error.contains("the schema missing does not exist"),
        "{error}\n{stderr}"
    );
}

#[test]
fn mysql_databases_named_by_a_list_are_the_tenants() {
    let Some(main) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let tenants: Vec<TestDb> = (0..3).map(|_| TestDb::new(Kind::Mysql).unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = tenants.iter().map(|t| t.name.clone()).collect();
    let file = list(dir.path(), "tenants.txt", &names);
    let (ok, stdout, stderr) = run(&[
        "--database-connection",
        &main.url,
        "--schemas",
        file.to_str().unwrap(),
        "upgrade",
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("3 databases: 3 upgraded, 0 failed\n"),
        "{stdout}"
    );
    for t in &tenants {
        assert_eq!(t.versions(), [HEAD], "{}", t.name);
    }
    assert_eq!(
        main.count(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
        ),
        0,
        "the database named in the URL is only where the tenants' server is"
    );
    let (ok, _, stderr) = run(&[
        "--database-connection",
        &format!("{}?schema=x", main.url),
        "upgrade",
    ]);
    assert!(
        !ok && stderr.contains("a MySQL tenant is a database"),
        "{stderr}"
    );
}

/// On a MySQL server holding many databases, reading one database's schema (after every run
/// that changes it, and for `check` and `drift`) opens no table of the others: MariaDB's plan of
/// each catalog query (`EXPLAIN`) scans one database, not all (a join without its own filter on
/// the database made MariaDB open every table of every database on the server: 1.4 s with
/// 10,000 tables elsewhere).
#[test]
fn a_schema_read_opens_no_other_database() {
    let Some(db) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let mut conn = db.db();
    conn.run("CREATE TABLE parent (id INT PRIMARY KEY)")
        .unwrap();
    conn.run("CREATE TABLE child (id INT PRIMARY KEY, parent INT, CONSTRAINT fk_parent FOREIGN KEY (parent) REFERENCES parent (id), CONSTRAINT positive CHECK (id > 0))").unwrap();
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut recording = recording::Recording {
        inner: db.db(),
        sent: sent.clone(),
    };
    let schema = quark_migrate::schema::introspect(&mut recording, &[]).unwrap();
    let child = &schema.tables["child"];
    assert_eq!(child.foreign_keys.len(), 1, "{child:?}");
    let catalog: Vec<String> = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|sql| {
            sql.contains("information_schema.")
                && !sql.contains("table_schema = 'information_schema'")
        })
        .cloned()
        .collect();
    assert!(catalog.len() >= 4, "{catalog:?}");
    for sql in catalog {
        let plan = conn.query_text(&[&format!("EXPLAIN {sql}")]).unwrap();
        let text = format!("{plan:?}");
        assert!(
            !text.contains("Scanned all databases"),
            "a catalog query reads every database on the server:\n{sql}\n{text}"
        );
    }
}

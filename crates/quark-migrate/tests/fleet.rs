//! One upgrade over many databases: 200 SQLite files, 20 PostgreSQL and 20 MariaDB databases,
//! one broken on purpose, named by a file of URLs and migrated eight at a time; the broken one
//! fails alone, the table says what each did, and the exit status says not all succeeded.
//! Through the command line of the application in `support/app.rs`.

#![cfg(all(
    feature = "cli",
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql"
))]

#[path = "support/app.rs"]
mod app;
#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use app::{HEAD, outcome as run};
use servers::{Kind, TestDb};

#[test]
fn two_hundred_files_and_forty_servers_one_broken() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "sqlite:///{}",
                dir.path().join(format!("cell{i:03}.db")).display()
            )
        })
        .collect();
    let mut servers = Vec::new();
    for kind in [Kind::Postgres, Kind::Mysql] {
        for _ in 0..20 {
            let Some(db) = TestDb::new(kind) else {
                return;
            };
            urls.push(db.url.clone());
            servers.push(db);
        }
    }
    // Broken on purpose: a table of the first revision already there.
    let broken = &servers[25];
    broken.db().run("CREATE TABLE items (id INT)").unwrap();
    let list = dir.path().join("databases.txt");
    let text = format!(
        "# every cell of the region\n{}\n\n# the end\n",
        urls.join("\n")
    );
    std::fs::write(&list, text).unwrap();

    let (ok, stdout, stderr) = run(&[
        "--databases",
        list.to_str().unwrap(),
        "--jobs",
        "8",
        "upgrade",
        "head",
    ]);
    assert!(!ok, "one database failed, so the run did: {stderr}");
    assert!(stderr.contains("1 of 240 databases failed"), "{stderr}");
    assert!(
        stderr.contains("240/240 databases done"),
        "progress is counted: {stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("DATABASE"), "{stdout}");
    assert_eq!(lines.len(), 1 + 240 + 1, "{stdout}");
    assert_eq!(lines[241], "240 databases: 239 upgraded, 1 failed");
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains("failed: ")).collect();
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(failed[0].starts_with(&broken.url), "{stdout}");
    for (url, line) in urls.iter().zip(&lines[1..241]) {
        assert!(line.starts_with(url.as_str()), "in the order given: {line}");
        if url != &broken.url {
            assert!(line.contains(HEAD) && line.ends_with("ok"), "{line}");
        }
    }
    for db in servers.iter().filter(|d| d.url != broken.url) {
        assert_eq!(db.versions(), [HEAD], "{}", db.url);
    }
    assert!(
        broken.versions().is_empty(),
        "the broken one is left where it was"
    );

    // Run again: nothing left but the broken one; as JSON.
    let (ok, stdout, _) = run(&[
        "--databases",
        list.to_str().unwrap(),
        "--format",
        "json",
        "upgrade",
    ]);
    assert!(!ok);
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(doc["ok"], false);
    let list = doc["databases"].as_array().unwrap();
    assert_eq!(list.len(), 240);
    assert_eq!(list.iter().filter(|d| d["outcome"] == "failed").count(), 1);
    assert!(
        list.iter()
            .filter(|d| d["outcome"] == "ok")
            .all(|d| d["steps"].as_array().unwrap().is_empty()),
        "the others were at head already"
    );
}

#[test]
fn several_databases_are_for_a_plain_upgrade_only() {
    let dir = tempfile::tempdir().unwrap();
    let a = format!("sqlite:///{}", dir.path().join("a.db").display());
    let b = format!("sqlite:///{}", dir.path().join("b.db").display());
    let (ok, _, stderr) = run(&[
        "--database-connection",
        &a,
        "--database-connection",
        &b,
        "downgrade",
        "base",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("migrated only by a plain `testapp upgrade head`"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = run(&[
        "--database-connection",
        &a,
        "--database-connection",
        &b,
        "upgrade",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.ends_with("2 databases: 2 upgraded, 0 failed\n"),
        "{stdout}"
    );
}

//! Upstream's `--mysql-engine`: the storage engine of the MySQL tables migrations create without
//! naming one. On MariaDB: new tables get it, a table that names its engine keeps it, the engine's
//! own tables stay InnoDB, the session gets its own settings back; an engine the server lacks is
//! refused before anything runs; offline scripts carry it; other databases ignore it.

#![cfg(all(feature = "sqlite", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use quark_migrate::backend::Backend;
use quark_migrate::revision::{Dialect, Direction, Target};
use quark_migrate::{EmbeddedFile, Error, Migrations};
use servers::{ENGINE_TABLES, Kind, TestDb};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn file(id: &str, revises: &str, up: &str, down: &str) -> EmbeddedFile {
    EmbeddedFile {
        path: leak(format!("migrations/{id}_x.sql")),
        source: leak(format!(
            "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- +upgrade\n{up}\n\n-- +downgrade\n{down}\n"
        )),
        summary: None,
        code: None,
    }
}

/// Two revisions: a table with no engine named and one naming InnoDB, then another table.
fn migrations() -> Migrations {
    let files = vec![
        file(
            "e1",
            "None",
            "CREATE TABLE plain (id INT NOT NULL PRIMARY KEY);\n\
             -- +mysql\nCREATE TABLE named (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB;\n\
             -- +sqlite, postgresql\nCREATE TABLE named (id INT NOT NULL PRIMARY KEY);",
            "DROP TABLE named;\nDROP TABLE plain;",
        ),
        file(
            "e2",
            "e1",
            "CREATE TABLE later (id INT NOT NULL PRIMARY KEY);",
            "DROP TABLE later;",
        ),
    ];
    Migrations::new(Box::leak(files.into_boxed_slice())).unwrap()
}

/// Each table of the database with its storage engine.
fn engines(db: &mut dyn Backend) -> Vec<(String, String)> {
    db.query(
        "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
        &[],
    )
    .unwrap()
    .into_iter()
    .map(|r| {
        let text = |i: usize| r[i].as_text().unwrap().to_string();
        (text(0), text(1))
    })
    .collect()
}

/// The session's settings a migration changes: its lock waits and default engine.
fn session(db: &mut dyn Backend) -> String {
    let row = db
        .query(
            "SELECT CONCAT(@@SESSION.lock_wait_timeout, ' ', @@SESSION.innodb_lock_wait_timeout, ' ', \
             @@SESSION.default_storage_engine)",
            &[],
        )
        .unwrap();
    row[0][0].as_text().unwrap().to_string()
}

#[test]
fn new_tables_get_the_engine_and_the_session_gets_its_own_back() {
    let Some(test) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let mut db = test.db();
    db.run("SET SESSION lock_wait_timeout = 1234, innodb_lock_wait_timeout = 77")
        .unwrap();
    let before = session(&mut *db);
    assert_eq!(before, "1234 77 InnoDB");
    let report = migrations()
        .mysql_engine("myisam")
        .unwrap()
        .upgrade(&mut *db)
        .unwrap();
    assert_eq!(report.after, vec!["e2".to_string()]);
    let (own, found): (Vec<_>, Vec<_>) = engines(&mut *db)
        .into_iter()
        .partition(|(t, _)| ENGINE_TABLES.contains(&t.as_str()));
    // Every table of the engine's but the lock table, which only a leased lock makes.
    assert_eq!(own.len(), ENGINE_TABLES.len() - 1, "{own:?}");
    for (table, engine) in own {
        assert_eq!(engine, "InnoDB", "{table}: the engine's own table");
    }
    assert_eq!(
        found,
        [
            ("later", "MyISAM"),
            ("named", "InnoDB"),
            ("plain", "MyISAM")
        ]
        .map(|(t, e)| (t.to_string(), e.to_string()))
    );
    assert_eq!(
        session(&mut *db),
        before,
        "the session's own settings are back"
    );
}

#[test]
fn an_engine_the_server_lacks_is_refused_before_anything_runs() {
    let Some(test) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let mut db = test.db();
    let e = migrations()
        .mysql_engine("NoSuchEngine")
        .unwrap()
        .upgrade(&mut *db)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'NoSuchEngine'") && e.contains("no such engine") && e.contains("InnoDB"),
        "{e}"
    );
    let left: Vec<String> = engines(&mut *db)
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !ENGINE_TABLES.contains(&t.as_str()))
        .collect();
    assert!(left.is_empty(), "nothing of the migrations ran: {left:?}");
    assert!(migrations().status(&mut *db).unwrap().current.is_empty());
}

#[test]
fn a_name_that_is_no_engine_is_refused_when_set() {
    for bad in ["", "InnoDB; DROP TABLE x", "1nnodb", "Inno DB", "`InnoDB`"] {
        let e = migrations().mysql_engine(bad).err().unwrap();
        assert!(matches!(&e, Error::TableEngine(name) if name == bad), "{e}");
        assert!(e.to_string().contains("MySQL storage engine"), "{e}");
    }
}

#[test]
fn offline_scripts_name_the_engine_on_mysql_only() {
    let migrations = migrations().mysql_engine("Aria").unwrap();
    let migrator = migrations.migrator().unwrap();
    let head = Target::Head;
    let (_, mysql) = migrator
        .script(Dialect::Mysql, &[], &head, Direction::Upgrade)
        .unwrap();
    let set = mysql.find("SET default_storage_engine = 'Aria';").unwrap();
    assert!(set < mysql.find("CREATE TABLE").unwrap(), "{mysql}");
    for dialect in [Dialect::Postgresql, Dialect::Sqlite] {
        let (_, other) = migrator
            .script(dialect, &[], &head, Direction::Upgrade)
            .unwrap();
        assert!(!other.contains("storage_engine"), "{other}");
    }
}

#[test]
fn other_databases_ignore_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("t.db").display());
    let report = migrations()
        .mysql_engine("MyISAM")
        .unwrap()
        .migrate(&url)
        .unwrap();
    assert_eq!(report.after, vec!["e2".to_string()]);
}

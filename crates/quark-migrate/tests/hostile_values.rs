//! Values stay values. A value the engine writes into SQL text (`Db::execute_many`, MySQL's
//! `Db::update_rows`) reads back exactly as it was, and never runs as SQL, under every session
//! setting a role can choose for itself: PostgreSQL's `standard_conforming_strings` and
//! `backslash_quote`, MySQL's `NO_BACKSLASH_ESCAPES` and `ANSI_QUOTES`. During a migration the
//! settings the revisions' SQL is read by are pinned, and given back afterwards.

#![cfg(all(feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::path::Path;

use quark_migrate::backend::{Backend, Value};
use quark_migrate::code::{Code, CodeError, Db};
use quark_migrate::migrator::Migrator;
use quark_migrate::revision::{Dialect, RevisionMap};
use quark_migrate::source;
use servers::{Kind, TestDb};

/// Values an attacker with the application's rights could leave in a table.
const HOSTILE: &[&str] = &[
    "it's",
    r"back\slash",
    r"x\'); CREATE TABLE pwned (x INT); --",
    r"x\'; CREATE TABLE pwned (x INT); --",
    r"\",
    r"\\'",
    "'",
    "''",
    "$$ $1 $tag$ ? ?",
    "/* -- */ # ",
    "\" ` ]",
    "é ü 中 🙂",
    "\t\r\n\x0b\x0c\x1b\x7f",
    r"E'\x41'",
    "%_",
    "",
];

/// The session settings tried, per server: each a statement run on the session first.
fn settings(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Postgres => &[
            "SET standard_conforming_strings = on",
            "SET standard_conforming_strings = off",
            "SET standard_conforming_strings = off; SET backslash_quote = on",
        ],
        Kind::Mysql => &[
            "SET SESSION sql_mode = DEFAULT",
            "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'",
            "SET SESSION sql_mode = 'ANSI'",
            "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES'",
        ],
    }
}

/// What the session says of the settings a migration pins.
fn pinned(db: &mut dyn Backend) -> String {
    let sql = match db.dialect() {
        Dialect::Postgresql => "SELECT current_setting('standard_conforming_strings')",
        _ => "SELECT @@SESSION.sql_mode",
    };
    db.query(sql, &[]).unwrap()[0][0]
        .as_text()
        .unwrap_or_default()
        .to_string()
}

fn rows() -> Vec<Vec<Value>> {
    HOSTILE
        .iter()
        .enumerate()
        .map(|(i, v)| vec![Value::Int(i as i64), Value::from(*v)])
        .collect()
}

/// The values of `table`, in id order.
fn values(db: &mut dyn Backend, table: &str) -> Vec<String> {
    db.query(&format!("SELECT v FROM {table} ORDER BY id"), &[])
        .unwrap()
        .into_iter()
        .map(|r| r[0].as_text().unwrap_or("<NULL>").to_string())
        .collect()
}

fn no_table_was_planted(db: &mut dyn Backend) {
    assert!(
        !db.table_exists("pwned").unwrap(),
        "a value ran as SQL on {}",
        db.dialect()
    );
}

/// `Db::execute_many` on a session under `setting`, outside any migration: the literals alone
/// must be right.
fn batched_writes_keep_values(kind: Kind) {
    for setting in settings(kind) {
        let Some(t) = TestDb::new(kind) else { return };
        let mut db = t.db();
        db.run("CREATE TABLE vals (id INT NOT NULL PRIMARY KEY, v VARCHAR(200))")
            .unwrap();
        db.run(setting).unwrap();
        let before = pinned(db.as_mut());
        Db::new(db.as_mut())
            .execute_many("INSERT INTO vals (id, v) VALUES (?, ?)", &rows())
            .unwrap_or_else(|e| panic!("under {setting}: {e}"));
        no_table_was_planted(db.as_mut());
        assert_eq!(values(db.as_mut(), "vals"), HOSTILE, "under {setting}");
        // And through MySQL's set-based update (PostgreSQL binds its arrays).
        let flipped: Vec<Vec<Value>> = rows()
            .into_iter()
            .map(|r| {
                vec![
                    r[0].clone(),
                    Value::Text(format!("{}!", r[1].as_text().unwrap())),
                ]
            })
            .collect();
        Db::new(db.as_mut())
            .update_rows("vals", "id", &["v"], &flipped)
            .unwrap_or_else(|e| panic!("update_rows under {setting}: {e}"));
        no_table_was_planted(db.as_mut());
        let expected: Vec<String> = HOSTILE.iter().map(|v| format!("{v}!")).collect();
        assert_eq!(values(db.as_mut(), "vals"), expected, "under {setting}");
        assert_eq!(
            pinned(db.as_mut()),
            before,
            "the session's settings untouched"
        );
    }
}

/// A NUL, which PostgreSQL text cannot hold, is refused by the server and runs nothing; MySQL
/// stores it.
fn a_nul_is_refused_or_kept(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let mut db = t.db();
    db.run("CREATE TABLE vals (id INT NOT NULL PRIMARY KEY, v VARCHAR(200))")
        .unwrap();
    let nul = vec![vec![
        Value::Int(1),
        Value::from("a\0'); CREATE TABLE pwned (x INT); --"),
    ]];
    let result = Db::new(db.as_mut()).execute_many("INSERT INTO vals (id, v) VALUES (?, ?)", &nul);
    match kind {
        Kind::Postgres => assert!(result.is_err(), "PostgreSQL stored a NUL"),
        Kind::Mysql => {
            result.unwrap();
            assert_eq!(
                values(db.as_mut(), "vals"),
                ["a\0'); CREATE TABLE pwned (x INT); --"]
            );
        }
    }
    no_table_was_planted(db.as_mut());
}

const COPY_REV: &str = "//! copy values\n//!\n//! Revision ID: b2\n//! Revises: a1\n//! Create Date: 2026-12-07\n\nuse quark_migrate::code::{CodeError, Db};\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    unreachable!()\n}\n";

/// The revision in Rust: copies `vals` into `copies` in one batch, and notes the pinned
/// settings it ran under.
fn copy(db: &mut Db<'_>) -> Result<(), CodeError> {
    let rows = db.query("SELECT id, v FROM vals", &[])?;
    db.execute_many("INSERT INTO copies (id, v) VALUES (?, ?)", &rows)?;
    let setting = match db.dialect() {
        Dialect::Postgresql => "SELECT current_setting('standard_conforming_strings')",
        _ => "SELECT @@SESSION.sql_mode",
    };
    let seen = db.query(setting, &[])?.remove(0).remove(0);
    db.execute("INSERT INTO seen (v) VALUES (?)", &[seen])?;
    Ok(())
}

fn chain(dir: &Path) -> RevisionMap {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("a1_x.sql"),
        "-- a\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE copies (id INT NOT NULL PRIMARY KEY, v VARCHAR(200));\nCREATE TABLE seen (v VARCHAR(500));\n-- A backslash in the revision's own SQL reads as the lexer read it.\nINSERT INTO seen (v) VALUES ('a\\b');\n",
    )
    .unwrap();
    std::fs::write(migrations.join("b2_copy.rs"), COPY_REV).unwrap();
    source::build_map(&source::read_dir(&migrations, "migrations").unwrap()).unwrap()
}

/// A migration on a session under each setting: the revision's values copied exactly, its own
/// SQL read as written, the settings pinned while it runs and the session's own afterwards.
fn migrations_pin_the_settings_and_give_them_back(kind: Kind) {
    for setting in settings(kind) {
        let Some(t) = TestDb::new(kind) else { return };
        let dir = tempfile::tempdir().unwrap();
        let map = chain(dir.path());
        let mut db = t.db();
        db.run("CREATE TABLE vals (id INT NOT NULL PRIMARY KEY, v VARCHAR(200))")
            .unwrap();
        Db::new(db.as_mut())
            .execute_many("INSERT INTO vals (id, v) VALUES (?, ?)", &rows())
            .unwrap();
        db.run(setting).unwrap();
        let own = pinned(db.as_mut());
        let m = Migrator::new(&map).code([(
            "b2".to_string(),
            Code {
                upgrade: copy,
                downgrade: None,
            },
        )]);
        m.upgrade(db.as_mut(), &"head".parse().unwrap())
            .unwrap_or_else(|e| panic!("under {setting}: {e}"));
        no_table_was_planted(db.as_mut());
        assert_eq!(values(db.as_mut(), "copies"), HOSTILE, "under {setting}");
        let seen: Vec<String> = db
            .query("SELECT v FROM seen", &[])
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap_or_default().to_string())
            .collect();
        // As each server reads it by default: MySQL's backslash escapes (`\b`, a backspace).
        let own_sql = if matches!(kind, Kind::Postgres) {
            "a\\b"
        } else {
            "a\u{8}"
        };
        assert_eq!(seen[0], own_sql, "the revision's SQL under {setting}");
        match kind {
            Kind::Postgres => assert_eq!(seen[1], "on", "pinned under {setting}"),
            Kind::Mysql => assert!(
                !seen[1].contains("NO_BACKSLASH_ESCAPES") && !seen[1].contains("ANSI_QUOTES"),
                "pinned under {setting}: {}",
                seen[1]
            ),
        }
        assert_eq!(pinned(db.as_mut()), own, "given back after the migration");
    }
}

#[test]
fn postgres_batched_writes_keep_values() {
    batched_writes_keep_values(Kind::Postgres);
}

#[test]
fn mysql_batched_writes_keep_values() {
    batched_writes_keep_values(Kind::Mysql);
}

#[test]
fn postgres_a_nul_is_refused() {
    a_nul_is_refused_or_kept(Kind::Postgres);
}

#[test]
fn mysql_a_nul_is_kept() {
    a_nul_is_refused_or_kept(Kind::Mysql);
}

#[test]
fn postgres_migrations_pin_the_settings_and_give_them_back() {
    migrations_pin_the_settings_and_give_them_back(Kind::Postgres);
}

#[test]
fn mysql_migrations_pin_the_settings_and_give_them_back() {
    migrations_pin_the_settings_and_give_them_back(Kind::Mysql);
}

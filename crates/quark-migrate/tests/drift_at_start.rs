//! The schema recorded after each run, and compared at start-up (`check_drift`), on SQLite,
//! PostgreSQL and MariaDB: an upgrade and a downgrade record it; a change made by hand is a
//! warning or a refused start-up, on the migrator's path and on the verify-only one; a stamp
//! leaves the record behind (nothing compared); `record_now` adopts the live schema.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;
#[path = "support/target.rs"]
mod target;

use std::path::Path;

use quark_migrate::migrator::{Migrator, SchemaCheck};
use quark_migrate::revision::{Dialect, RevisionMap};
use quark_migrate::{DriftCheck, DriftKind, Error, Migrations, source};
use target::Target;

fn chain(dir: &Path) -> RevisionMap {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("a1_items.sql"),
        "-- items\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);\nCREATE INDEX ix_items_name ON items (name);\n\n-- +downgrade\nDROP TABLE items;\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("b2_size.sql"),
        "-- size\n--\n-- Revision ID: b2\n-- Revises: a1\n\n-- +upgrade\nALTER TABLE items ADD COLUMN size INTEGER;\n\n-- +downgrade\nALTER TABLE items DROP COLUMN size;\n",
    )
    .unwrap();
    source::build_map(&source::read_dir(&migrations, "migrations").unwrap()).unwrap()
}

fn check(map: &RevisionMap, target: &Target, heads: &[&str]) -> SchemaCheck {
    let heads: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    Migrator::new(map)
        .check_schema(target.db().as_mut(), &heads)
        .unwrap()
}

fn drop_index_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Mysql => "DROP INDEX ix_items_name ON items",
        _ => "DROP INDEX ix_items_name",
    }
}

fn recorded_and_checked_at_start(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let map = chain(dir.path());
    let url = target.url();
    let migrations = Migrations::from_map(map.clone()).verify_wait(std::time::Duration::ZERO);

    // No run yet: nothing recorded.
    assert_eq!(check(&map, &target, &[]), SchemaCheck::NoRecord);
    migrations.migrate(&url).unwrap();
    assert_eq!(check(&map, &target, &["b2"]), SchemaCheck::Same);

    // A downgrade records too.
    Migrator::new(&map)
        .downgrade(target.db().as_mut(), &"a1".parse().unwrap())
        .unwrap();
    assert_eq!(check(&map, &target, &["a1"]), SchemaCheck::Same);
    migrations.migrate(&url).unwrap();

    // An index dropped by hand: found, named, as the change that brings it back.
    target.db().run(drop_index_sql(dialect)).unwrap();
    let found = check(&map, &target, &["b2"]);
    let differences = found.differences();
    assert_eq!(differences.len(), 1, "{found:?}");
    assert_eq!(differences[0].kind, DriftKind::IndexDropped);
    assert_eq!(differences[0].table, "items");
    assert!(differences[0].to_string().contains("ix_items_name"));

    // Start-up: off says nothing, warn goes on, fail refuses, on both paths.
    migrations.migrate(&url).expect("off");
    migrations
        .clone()
        .check_drift(DriftCheck::Warn)
        .migrate(&url)
        .expect("warn");
    let failing = migrations.clone().check_drift(DriftCheck::Fail);
    for result in [
        failing.migrate(&url).map(|_| ()),
        failing.verify(&url).map(|_| ()),
    ] {
        match result {
            Err(e @ Error::SchemaDrift { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("ix_items_name") && text.contains("drift"),
                    "{text}"
                );
            }
            other => panic!("expected SchemaDrift, got {other:?}"),
        }
    }

    // The index put back: no drift, and start-up with fail goes on.
    target
        .db()
        .run("CREATE INDEX ix_items_name ON items (name)")
        .unwrap();
    assert_eq!(check(&map, &target, &["b2"]), SchemaCheck::Same);
    failing.migrate(&url).unwrap();
    failing.verify(&url).unwrap();

    // A stamp leaves the record at other revisions: nothing compared.
    Migrator::new(&map)
        .stamp(target.db().as_mut(), &"a1".parse().unwrap(), false)
        .unwrap();
    target.db().run(drop_index_sql(dialect)).unwrap();
    assert_eq!(
        check(&map, &target, &["a1"]),
        SchemaCheck::Stale {
            recorded_at: vec!["b2".to_string()]
        }
    );

    // Recording adopts the live schema at the database's revisions.
    let recorded = Migrator::new(&map)
        .record_now(target.db().as_mut())
        .unwrap();
    assert_eq!(recorded.heads, ["a1"]);
    assert_eq!(recorded.tables, 1);
    assert_eq!(check(&map, &target, &["a1"]), SchemaCheck::Same);
}

on_each_backend! {
    recorded_and_checked_at_start => sqlite_records_and_checks_at_start, postgres_records_and_checks_at_start, mysql_records_and_checks_at_start;
}

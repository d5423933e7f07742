//! quark's revisions in the version table it shares with Neutron, on real PostgreSQL and
//! MariaDB/MySQL servers on 127.0.0.1, through the binary: the README's recipe left them there,
//! `split-version-table` moves them out. (The engine's behaviour on servers is tested in
//! `crates/quark-migrate/tests/servers.rs` and `server_failures.rs`.)
//!
//! Each test creates its own database and drops it afterwards. Without a reachable server the
//! tests print why and pass locally; under CI (`CI` set) an unreachable server is a failure.

#![cfg(all(feature = "postgres", feature = "mysql"))]

use std::process::Output;

#[macro_use]
mod support;

use support::{Kind, TestDb, cli};

use quark_migrate::backend::Backend;

const HEAD: &str = "c07cd8303997";

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn fails(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected failure, stderr: {stderr}"
    );
    stderr
}

/// The server's answer to a one-row, one-value query, as text.
fn scalar(db: &mut dyn Backend, sql: &str) -> String {
    match &db.query(sql, &[]).unwrap()[0][0] {
        quark_migrate::backend::Value::Int(i) => i.to_string(),
        quark_migrate::backend::Value::Text(s) => s.clone(),
        quark_migrate::backend::Value::Null => String::new(),
    }
}

/// The README recipe's database on a server: quark's tables at a revision, Neutron's table
/// (with Alembic's primary key or, as older Alembic made it, without) holding Neutron's row and
/// quark's. The split moves quark's row to its own table, Neutron's row stays byte for byte,
/// and quark upgrades to head from its own table.
fn split_shared_version_table(kind: Kind) {
    const NEUTRON: &str = "1f71e54a85e7";
    const AT: &str = "4358d1b8cc75";
    for primary_key in [true, false] {
        let Some(t) = TestDb::new(kind) else { return };
        let mut db = t.db();
        ok(&cli(&t.url, &["upgrade", AT]));
        db.run("DROP TABLE alembic_version_history").unwrap();
        db.run("DROP TABLE alembic_version").unwrap();
        let key = if primary_key {
            ", CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"
        } else {
            ""
        };
        db.run(&format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL{key})"
        ))
        .unwrap();
        db.run(&format!(
            "INSERT INTO alembic_version (version_num) VALUES ('{NEUTRON}'), ('{AT}')"
        ))
        .unwrap();
        let bytes = |db: &mut dyn Backend| {
            scalar(
                db,
                &format!(
                    "SELECT count(*) FROM alembic_version WHERE version_num = '{NEUTRON}' AND length(version_num) = 12"
                ),
            )
        };
        let own = ["--version-table", "quark_alembic_version"];
        let refused = fails(&cli(&t.url, &[&own[..], &["upgrade", "head"]].concat()));
        assert!(
            refused.contains("split-version-table --from alembic_version"),
            "{refused}"
        );
        ok(&cli(
            &t.url,
            &[&own[..], &["split-version-table", "--dry-run"]].concat(),
        ));
        assert_eq!(
            t.count("SELECT count(*) FROM alembic_version"),
            2,
            "the dry run changed nothing"
        );
        let out = cli(&t.url, &[&own[..], &["split-version-table"]].concat());
        ok(&out);
        let split = String::from_utf8_lossy(&out.stdout);
        assert!(
            split.contains(&format!(
                "moved {AT} from alembic_version to quark_alembic_version"
            )),
            "{split}"
        );
        let neutron: Vec<String> = db
            .query("SELECT version_num FROM alembic_version", &[])
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap().to_string())
            .collect();
        assert_eq!(neutron, [NEUTRON]);
        assert_eq!(bytes(db.as_mut()), "1", "Neutron's row is the same bytes");
        ok(&cli(&t.url, &[&own[..], &["upgrade", "head"]].concat()));
        assert_eq!(
            scalar(db.as_mut(), "SELECT version_num FROM quark_alembic_version"),
            HEAD
        );
        assert_eq!(t.count("SELECT count(*) FROM alembic_version"), 1);
    }
}

on_each_server! {
    split_shared_version_table => postgres_split_shared_version_table, mysql_split_shared_version_table;
}

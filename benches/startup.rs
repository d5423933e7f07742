//! Start-up cost and build-time validation, as ratios to a floor measured in the same run.
//!
//! - `noop_check/*`: an application start against a database already at head. `raw_floor` opens
//!   the connection and reads `alembic_version`; `quark` loads the embedded revisions, connects,
//!   and runs `upgrade head` (which finds nothing to do).
//! - `validate/*`: parsing and validating a generated linear chain, as build.rs does.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use quark_db_manage::backend::{self, ConnectOptions};
use quark_db_manage::migrator::Migrator;
use quark_db_manage::source::{SourceFile, build_map};
use quark_db_manage::store::Store;
use quark_db_manage::url::DatabaseUrl;
use quark_db_manage::{MIGRATIONS, load};

fn noop_check(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let url = DatabaseUrl::parse(&format!("sqlite:///{}", path.display())).unwrap();
    let head = "head".parse().unwrap();
    {
        let map = load(MIGRATIONS).unwrap();
        let mut db = backend::connect(&url, &ConnectOptions::default()).unwrap();
        Migrator::new(&map, Store::new("alembic_version").unwrap())
            .upgrade(db.as_mut(), &head)
            .unwrap();
    }
    let mut group = c.benchmark_group("noop_check_sqlite");
    group.bench_function("raw_floor", |b| {
        b.iter(|| {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let v: String = conn
                .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
                .unwrap();
            black_box(v)
        })
    });
    group.bench_function("quark", |b| {
        b.iter(|| {
            let map = load(MIGRATIONS).unwrap();
            let mut db = backend::connect(&url, &ConnectOptions::default()).unwrap();
            let report = Migrator::new(&map, Store::new("alembic_version").unwrap())
                .upgrade(db.as_mut(), &head)
                .unwrap();
            black_box(report)
        })
    });
    group.finish();
}

fn chain(n: usize) -> Vec<SourceFile> {
    (0..n)
        .map(|i| {
            let id = format!("r{i:06}");
            let revises = if i == 0 { "None".to_string() } else { format!("r{:06}", i - 1) };
            SourceFile {
                path: format!("migrations/{id}_x.sql"),
                name: format!("{id}_x.sql"),
                text: format!(
                    "-- revision {i}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n-- Create Date: 2026-01-01 00:00:00\n\n-- +upgrade\nCREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL);\nCREATE INDEX ix_t{i}_name ON t{i} (name);\nINSERT INTO t{i} (name) VALUES ('row; {i}');\n\n-- +downgrade\nDROP TABLE t{i};\n"
                ),
            }
        })
        .collect()
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let files = chain(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &files, |b, files| {
            b.iter(|| black_box(build_map(files).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, noop_check, validate);
criterion_main!(benches);

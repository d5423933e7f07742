//! quark's five data revisions written in Rust mean what upstream's Python migrations meant: a
//! data revision runs once per database and cannot be redone, so a change to one (speed,
//! chunking) must leave the very rows upstream's left.
//!
//! - `upstream_*`: every case of upstream's `quark/tests/test_migrations.py` for the revision,
//!   its rows and what its assertions say of the result, on SQLite as upstream ran them (no
//!   foreign keys: subnets name policies that have no row) and on PostgreSQL and MariaDB with
//!   the policy rows their foreign keys ask for (upstream's migrations never read them).
//! - `oracle_*`: each revision against an oracle written from upstream's code, one row at a time
//!   over whole tables (`data_revisions/oracle.rs`), on generated rows: policy ids without a
//!   policy row (SQLite), NULLs, duplicates, IPv4/IPv6, 0, 1, 1,001 and 10,001 units (across the
//!   revisions' chunks). `QUARK_ORACLE_SEED=<n>` replays a run; each run prints its seed.

#![cfg(all(feature = "postgres", feature = "mysql"))]

#[macro_use]
mod support;

#[path = "data_revisions/netset.rs"]
mod netset;
#[path = "data_revisions/oracle.rs"]
mod oracle;
#[path = "data_revisions/tables.rs"]
mod tables;
#[path = "data_revisions/upstream.rs"]
mod upstream;

use quark_db_manage::MIGRATIONS;
use quark_migrate::Migrations;
use quark_migrate::backend::Backend;
use quark_migrate::migrator::Migrator;
use quark_migrate::revision::Dialect;
use support::Target;
use tables::{Columns, Tables};

/// A data revision: its id, its parent, its oracle, and the columns there at the revision.
struct Revision {
    id: &'static str,
    parent: &'static str,
    oracle: fn(&Tables) -> Tables,
    cases: fn() -> Vec<upstream::Case>,
    columns: Columns,
}

const BEFORE_SIZE: Columns = Columns {
    size: false,
    bounds: false,
};

/// The five, in chain order.
const REVISIONS: [Revision; 5] = [
    Revision {
        id: "2748e48cee3a",
        parent: "1284c81cf727",
        oracle: oracle::truncate_ip_policy_cidr,
        cases: upstream::truncate_ip_policy_cidr,
        columns: BEFORE_SIZE,
    },
    Revision {
        id: "45a07fac3d38",
        parent: "2748e48cee3a",
        oracle: oracle::ensure_default_policy_with_policy,
        cases: upstream::ensure_default_policy_with_policy,
        columns: BEFORE_SIZE,
    },
    Revision {
        id: "552b213c2b8c",
        parent: "45a07fac3d38",
        oracle: oracle::default_policy_without_policy,
        cases: upstream::default_policy_without_policy,
        columns: BEFORE_SIZE,
    },
    Revision {
        id: "28e55acaf366",
        parent: "3d22de205729",
        oracle: oracle::populate_ip_policy_size,
        cases: upstream::populate_ip_policy_size,
        columns: Columns {
            size: true,
            bounds: false,
        },
    },
    Revision {
        id: "1664300cb03a",
        parent: "1acd075bd7e1",
        oracle: oracle::populate_first_last_ip,
        cases: upstream::populate_first_last_ip,
        columns: Columns {
            size: true,
            bounds: true,
        },
    },
];

fn revision(id: &str) -> &'static Revision {
    REVISIONS.iter().find(|r| r.id == id).unwrap()
}

fn upgrade(m: &Migrator<'_>, db: &mut dyn Backend, target: &str) {
    if let Err(e) = m.upgrade(db, &target.parse().unwrap()) {
        panic!("upgrade to {target} on {}: {e}", db.dialect());
    }
}

/// The rows a database of `dialect` can hold: where foreign keys are enforced, every policy id
/// named has its policy row.
fn storable(tables: Tables, dialect: Dialect) -> Tables {
    match dialect {
        Dialect::Sqlite => tables,
        _ => tables.with_policy_rows(),
    }
}

/// Each of upstream's cases for `id`: seeded at the parent, the revision run, its result
/// compared with upstream's assertions, the version stamped back to the parent (a data
/// revision leaves the schema as it found it) for the next case. Upstream's `test_downgrade`:
/// the revision cannot be downgraded, and nothing moves.
fn upstream_cases(dialect: Dialect, id: &str) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let r = revision(id);
    let migrations = Migrations::new(MIGRATIONS).unwrap();
    let m = migrations.migrator().unwrap();
    let mut db = target.db();
    upgrade(&m, db.as_mut(), r.parent);
    for case in (r.cases)() {
        let before = storable(case.before, dialect);
        tables::seed(db.as_mut(), &before);
        upgrade(&m, db.as_mut(), r.id);
        let after = tables::read(db.as_mut(), r.columns);
        let lines: Vec<String> = tables::canonical(&after, &before)
            .into_iter()
            .filter(|l| case.checks.iter().any(|k| l.starts_with(&format!("{k} "))))
            .collect();
        let mut expect = case.expect;
        expect.sort();
        tables::assert_same(&lines, &expect, &format!("{id} {} on {dialect}", case.name));
        tables::wipe(db.as_mut());
        m.stamp(db.as_mut(), &r.parent.parse().unwrap(), false)
            .unwrap();
    }
    // test_downgrade
    upgrade(&m, db.as_mut(), r.id);
    let err = m
        .downgrade(db.as_mut(), &r.parent.parse().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("cannot downgrade revision {id}")) && err.contains("irreversible"),
        "{err}"
    );
    assert_eq!(m.current(db.as_mut()).unwrap(), [r.id]);
}

fn upstream_2748e48cee3a(dialect: Dialect) {
    upstream_cases(dialect, "2748e48cee3a");
}
fn upstream_45a07fac3d38(dialect: Dialect) {
    upstream_cases(dialect, "45a07fac3d38");
}
fn upstream_552b213c2b8c(dialect: Dialect) {
    upstream_cases(dialect, "552b213c2b8c");
}
fn upstream_28e55acaf366(dialect: Dialect) {
    upstream_cases(dialect, "28e55acaf366");
}
fn upstream_1664300cb03a(dialect: Dialect) {
    upstream_cases(dialect, "1664300cb03a");
}

/// The seed of this run's generated rows: `QUARK_ORACLE_SEED`, else a fresh one (printed).
fn seed() -> u64 {
    let seed = match std::env::var("QUARK_ORACLE_SEED") {
        Ok(s) => s.parse().expect("QUARK_ORACLE_SEED is a number"),
        Err(_) => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).unwrap();
            u64::from_le_bytes(bytes)
        }
    };
    eprintln!("generated rows from QUARK_ORACLE_SEED={seed}");
    seed
}

/// Walks one database up the chain; at each data revision's parent, empties the three tables,
/// seeds `units` generated units, runs the revision, and compares every row with its oracle's.
fn against_the_oracle(dialect: Dialect, units: usize) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let mut rng = oracle::Rng::new(seed());
    let migrations = Migrations::new(MIGRATIONS).unwrap();
    let m = migrations.migrator().unwrap();
    let mut db = target.db();
    for r in &REVISIONS {
        upgrade(&m, db.as_mut(), r.parent);
        let before = oracle::generate(&mut rng, units, dialect == Dialect::Sqlite);
        tables::seed(db.as_mut(), &before);
        upgrade(&m, db.as_mut(), r.id);
        let after = tables::read(db.as_mut(), r.columns);
        let expected = (r.oracle)(&before);
        tables::assert_same(
            &tables::canonical(&after, &before),
            &tables::canonical(&expected, &before),
            &format!("{} on {dialect}, {units} units, against its oracle", r.id),
        );
        tables::wipe(db.as_mut());
    }
}

fn oracle_0(dialect: Dialect) {
    against_the_oracle(dialect, 0);
}
fn oracle_1(dialect: Dialect) {
    against_the_oracle(dialect, 1);
}
fn oracle_1001(dialect: Dialect) {
    against_the_oracle(dialect, 1_001);
}
fn oracle_10001(dialect: Dialect) {
    against_the_oracle(dialect, 10_001);
}

on_each_backend! {
    upstream_2748e48cee3a => sqlite_upstream_2748e48cee3a, postgres_upstream_2748e48cee3a, mysql_upstream_2748e48cee3a;
    upstream_45a07fac3d38 => sqlite_upstream_45a07fac3d38, postgres_upstream_45a07fac3d38, mysql_upstream_45a07fac3d38;
    upstream_552b213c2b8c => sqlite_upstream_552b213c2b8c, postgres_upstream_552b213c2b8c, mysql_upstream_552b213c2b8c;
    upstream_28e55acaf366 => sqlite_upstream_28e55acaf366, postgres_upstream_28e55acaf366, mysql_upstream_28e55acaf366;
    upstream_1664300cb03a => sqlite_upstream_1664300cb03a, postgres_upstream_1664300cb03a, mysql_upstream_1664300cb03a;
    oracle_0 => sqlite_oracle_0_units, postgres_oracle_0_units, mysql_oracle_0_units;
    oracle_1 => sqlite_oracle_1_unit, postgres_oracle_1_unit, mysql_oracle_1_unit;
    oracle_1001 => sqlite_oracle_1001_units, postgres_oracle_1001_units, mysql_oracle_1001_units;
    oracle_10001 => sqlite_oracle_10001_units, postgres_oracle_10001_units, mysql_oracle_10001_units;
}

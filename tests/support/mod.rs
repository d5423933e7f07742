//! What quark's tests share: its binary, databases of every dialect (real servers through
//! `servers.rs`, which the engine's tests share too), and the clusters `.ci/clusters` runs.

#![allow(dead_code, unused_macros, unused_imports)]

pub mod clusters;
#[path = "../../crates/quark-migrate/tests/support/servers.rs"]
#[macro_use]
mod servers;

use std::process::{Command, Output};

use quark_migrate::backend::Backend;
use quark_migrate::revision::Dialect;
pub use servers::{ENGINE_TABLES, Kind, TestDb, catalog, connect, database_name};

pub const BIN: &str = env!("CARGO_BIN_EXE_quark-db-manage");

/// How many trials a fault test runs: `variable` when set, else `ci` under CI and `local` here.
pub fn trials(variable: &str, ci: usize, local: usize) -> usize {
    match std::env::var(variable) {
        Ok(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("{variable} is a number")),
        Err(_) if std::env::var_os("CI").is_some() => ci,
        Err(_) => local,
    }
}

/// Delays before a kill: the replayed ones (`QUARK_CRASH_DELAYS_MS=ms,ms,...`), or `trials`
/// uniform over the length of a clean run.
pub fn kill_delays(clean: std::time::Duration, trials: usize) -> Vec<std::time::Duration> {
    use std::time::Duration;
    if let Ok(list) = std::env::var("QUARK_CRASH_DELAYS_MS") {
        return list
            .split(',')
            .map(|ms| Duration::from_millis(ms.trim().parse().expect("milliseconds")))
            .collect();
    }
    (0..trials)
        .map(|_| {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).unwrap();
            clean.mul_f64(u64::from_le_bytes(bytes) as f64 / u64::MAX as f64)
        })
        .collect()
}

/// Runs the binary on the database at `url`.
pub fn cli(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--database-connection", url])
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

/// A database of a dialect: a SQLite file in a directory of its own, or a database on a server.
pub enum Target {
    Sqlite(tempfile::TempDir),
    Server(TestDb),
}

impl Target {
    pub fn new(dialect: Dialect) -> Option<Target> {
        match dialect {
            Dialect::Sqlite => Some(Target::Sqlite(tempfile::tempdir().unwrap())),
            Dialect::Postgresql => TestDb::new(Kind::Postgres).map(Target::Server),
            Dialect::Mysql => TestDb::new(Kind::Mysql).map(Target::Server),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Target::Sqlite(dir) => format!("sqlite:///{}", dir.path().join("quark.db").display()),
            Target::Server(t) => t.url.clone(),
        }
    }

    pub fn db(&self) -> Box<dyn Backend> {
        connect(&self.url()).unwrap()
    }
}

//! What quark's tests share: its binary, databases of every dialect (real servers through
//! `servers.rs`, which the engine's tests share too, as they share the kill tests' `kills.rs`),
//! and the clusters `.ci/clusters` runs.

#![allow(dead_code, unused_macros, unused_imports)]

pub mod clusters;
#[path = "../../crates/quark-migrate/tests/support/kills.rs"]
mod kills;
#[path = "../../crates/quark-migrate/tests/support/servers.rs"]
#[macro_use]
mod servers;

use std::process::{Command, Output};

pub use kills::{Kills, kill_delays, killed, trials};
use quark_migrate::backend::Backend;
use quark_migrate::revision::Dialect;
pub use servers::{ENGINE_TABLES, Kind, TestDb, catalog, connect, database_name, teardown_failed};

pub const BIN: &str = env!("CARGO_BIN_EXE_quark-db-manage");

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

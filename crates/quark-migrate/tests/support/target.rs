//! A database of a dialect for a test: a SQLite file (`app.db`) in a directory of its own, or a
//! database of its own on a server (`servers.rs`, which the test file declares beside this).

#![allow(dead_code)]

use quark_migrate::backend::Backend;
use quark_migrate::revision::Dialect;

use super::servers::{Kind, TestDb, connect};

/// A SQLite file in a directory of its own, or a database on a server.
pub enum Target {
    Sqlite(tempfile::TempDir),
    Server(TestDb),
}

impl Target {
    /// A new database of `dialect`; `None` (the test skips) when its server is unreachable
    /// outside CI.
    pub fn new(dialect: Dialect) -> Option<Target> {
        match dialect {
            Dialect::Sqlite => Some(Target::Sqlite(tempfile::tempdir().unwrap())),
            Dialect::Postgresql => TestDb::new(Kind::Postgres).map(Target::Server),
            Dialect::Mysql => TestDb::new(Kind::Mysql).map(Target::Server),
        }
    }

    /// The SQLite file, for a SQLite target.
    pub fn file(&self) -> Option<std::path::PathBuf> {
        match self {
            Target::Sqlite(dir) => Some(dir.path().join("app.db")),
            Target::Server(_) => None,
        }
    }

    pub fn url(&self) -> String {
        match self {
            Target::Sqlite(dir) => format!("sqlite:///{}", dir.path().join("app.db").display()),
            Target::Server(t) => t.url.clone(),
        }
    }

    pub fn db(&self) -> Box<dyn Backend> {
        connect(&self.url()).unwrap()
    }
}

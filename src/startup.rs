//! The application's entry point: its embedded migrations, checked and applied on start-up.
//!
//! ```no_run
//! use quark_db_manage::{Error, Migrations};
//!
//! static MIGRATIONS: &[quark_db_manage::EmbeddedFile] = quark_db_manage::embed_migrations!();
//!
//! fn main() -> Result<(), Error> {
//!     let migrations = Migrations::new(MIGRATIONS)?;
//!     let report = migrations.migrate("sqlite:////var/lib/app/app.db")?;
//!     for step in &report.steps {
//!         println!("applied {} in {:?}", step.revision, step.duration);
//!     }
//!     Ok(())
//! }
//! ```

use std::time::Duration;

use crate::backend::{self, Backend, ConnectOptions};
use crate::error::{Drift, Error};
use crate::migrator::{Migrator, Report};
use crate::plan;
use crate::revision::{RevisionMap, Target};
use crate::store::{DEFAULT_VERSION_TABLE, Store};
use crate::url::DatabaseUrl;
use crate::{EmbeddedFile, load};

/// An application's migrations with the settings used to apply them.
#[derive(Debug, Clone)]
pub struct Migrations {
    map: RevisionMap,
    store: Store,
    lock_timeout: Duration,
    connect_timeout: Duration,
    use_lock: bool,
}

/// Where a database stands against the embedded migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The revisions the version table holds (empty: base).
    pub current: Vec<String>,
    /// Revisions an upgrade to head would apply, in order.
    pub pending: Vec<String>,
    /// Applied revisions whose SQL changed since they ran.
    pub drift: Vec<Drift>,
}

impl Status {
    /// Whether the database is at head with nothing edited since it was applied.
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty() && self.drift.is_empty()
    }
}

impl Migrations {
    /// Loads embedded migration files into a validated graph (build.rs has already checked them).
    pub fn new(files: &[EmbeddedFile]) -> Result<Migrations, Error> {
        Ok(Migrations::from_map(load(files)?))
    }

    /// Wraps an already validated graph.
    pub fn from_map(map: RevisionMap) -> Migrations {
        Migrations {
            map,
            store: Store::new(DEFAULT_VERSION_TABLE).expect("the default table name is valid"),
            lock_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            use_lock: true,
        }
    }

    /// Keeps the current revisions in `table` instead of `alembic_version`.
    pub fn version_table(mut self, table: &str) -> Result<Migrations, Error> {
        self.store = Store::new(table)?;
        Ok(self)
    }

    /// How long to wait for another migrator's lock, and for a busy SQLite file (default 60 s).
    pub fn lock_timeout(mut self, timeout: Duration) -> Migrations {
        self.lock_timeout = timeout;
        self
    }

    /// How long to wait for a server to accept the connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Migrations {
        self.connect_timeout = timeout;
        self
    }

    /// Whether to take the migration lock (default true); see `--no-lock`.
    pub fn use_lock(mut self, lock: bool) -> Migrations {
        self.use_lock = lock;
        self
    }

    /// The revision graph.
    pub fn map(&self) -> &RevisionMap {
        &self.map
    }

    /// The ids of the embedded heads.
    pub fn heads(&self) -> Vec<&str> {
        self.map.heads().iter().map(|r| r.id.as_str()).collect()
    }

    /// A migrator with these settings, for every other command (downgrade, stamp, ...).
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator::new(&self.map, self.store.clone())
            .lock_timeout(self.lock_timeout)
            .use_lock(self.use_lock)
    }

    /// Opens the database `url` names, with these timeouts.
    pub fn connect(&self, url: &str) -> Result<Box<dyn Backend>, Error> {
        self.connect_url(&DatabaseUrl::parse(url)?)
    }

    /// Opens the database of an already parsed URL.
    pub fn connect_url(&self, url: &DatabaseUrl) -> Result<Box<dyn Backend>, Error> {
        let options = ConnectOptions {
            connect_timeout: self.connect_timeout,
            busy_timeout: self.lock_timeout,
        };
        Ok(backend::connect(url, &options)?)
    }

    /// Current, pending and drifted revisions, read without taking the migration lock.
    pub fn status(&self, db: &mut dyn Backend) -> Result<Status, Error> {
        let migrator = self.migrator();
        let current = migrator.current(db)?;
        let steps = plan::upgrade(&self.map, &current, &Target::Heads, db.dialect())?;
        Ok(Status {
            pending: steps.iter().map(|s| s.revision.id.clone()).collect(),
            drift: migrator.verify(db)?,
            current,
        })
    }

    /// Upgrades to every head under the migration lock; takes no lock when nothing is pending.
    pub fn upgrade(&self, db: &mut dyn Backend) -> Result<Report, Error> {
        self.migrator().upgrade(db, &Target::Heads)
    }

    /// Connects to `url` and upgrades it to head: the one call an application makes on start-up.
    pub fn migrate(&self, url: &str) -> Result<Report, Error> {
        self.upgrade(self.connect(url)?.as_mut())
    }
}

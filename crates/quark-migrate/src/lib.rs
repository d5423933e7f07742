//! # quark-migrate
//!
//! Alembic-style database migrations compiled into your binary: a graph of revisions, each
//! naming the revision it revises, with `upgrade`, `downgrade`, `stamp`, `history`, branches and
//! merges, and Alembic's own `alembic_version` table, so a database that Alembic migrated is
//! picked up as it is.
//!
//! Revisions live in `migrations/<revision>_<slug>.sql` (or `.rs`, for data migrations written in
//! Rust). At build time the whole graph is parsed and validated — a broken chain is a build error
//! naming the file and line — and embedded, so the binary migrates its database with no file
//! beside it, on start-up through this library or through the mountable command line
//! (the `cli` module, feature `cli`).
//!
//! ## In your application
//!
//! Keep your revisions in `migrations/` beside your `Cargo.toml` and depend on this crate twice,
//! with the driver you use (`sqlite`, `postgres`, `mysql`):
//!
//! ```toml
//! [dependencies]
//! quark-migrate = { version = "0.3", default-features = false, features = ["sqlite"] }
//!
//! [build-dependencies]
//! # `sqlite` here rehearses every revision on SQLite in memory at build time; a server's driver
//! # feature (`postgres`, `mysql`) rehearses on the server `QUARK_MIGRATE_CHECK_URL` names.
//! quark-migrate = { version = "0.3", default-features = false, features = ["sqlite"] }
//! ```
//!
//! The repository's `docs/recipes.md` has a complete application for each setup, each built
//! and run by its tests.
//!
//! Your `build.rs` validates and embeds them, with `file:line` errors:
//!
//! ```no_run
//! fn main() {
//!     if let Err(problems) = quark_migrate::build::embed_migrations("migrations") {
//!         eprintln!("{problems}");
//!         std::process::exit(1);
//!     }
//! }
//! ```
//!
//! and [`Migrations`] applies them on start-up, under the migration lock, to the connection your
//! application already holds (any [`Database`]: `rusqlite::Connection`, in memory too,
//! `postgres::Client`, `mysql::Conn`, `mysql::PooledConn`) or to a URL:
//!
//! ```no_run
//! use quark_migrate::{EmbeddedFile, Error, Migrations};
//!
//! # static MIGRATIONS: &[EmbeddedFile] = &[];
//! // static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let mut conn = rusqlite::Connection::open("/var/lib/app/app.db")?;
//!     // Sessions, log lines and scratch databases under this package's name.
//!     let migrations = Migrations::new(MIGRATIONS)?.app(quark_migrate::app!());
//!     match migrations.upgrade(&mut conn) {
//!         Ok(report) => {
//!             for step in &report.steps {
//!                 log::info!("applied {} in {:?}", step.revision, step.duration);
//!             }
//!         }
//!         // Another instance is migrating: it will bring the schema to head.
//!         Err(Error::LockTimeout { .. }) => {}
//!         Err(e) => return Err(e.into()),
//!     }
//!     // ... the application goes on with `conn`.
//!     Ok(())
//! }
//! ```
//!
//! A start against a database already at head is checked with two small queries against facts
//! the build computed; [`Migrations::status`] tells where a database stands without taking the
//! lock.
//!
//! ## In an async service
//!
//! Every call works from async code (the `postgres` driver's blocking work is moved off the
//! threads that drive async tasks). With the `tokio` feature, the `async fn` forms run the
//! whole migration on tokio's blocking threads:
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn start() -> Result<(), quark_migrate::Error> {
//! use quark_migrate::{EmbeddedFile, Migrations};
//!
//! # static MIGRATIONS: &[EmbeddedFile] = &[];
//! // static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();
//!
//! let report = Migrations::new(MIGRATIONS)?
//!     .migrate_async("postgresql://app@db.internal/app")
//!     .await?;
//! log::info!("schema at {:?}", report.after);
//! # Ok(())
//! # }
//! ```
//!
//! A `tokio_postgres::Client` the service already holds (from deadpool or bb8: `&mut **pooled`),
//! or a `mysql_async::Conn` (feature `mysql-async`), is migrated in place with
//! [`Migrations::upgrade_on`]: the engine runs on a blocking thread and the service's task
//! makes each call on the connection.
//!
//! ## What else is here
//!
//! Log lines go through the [`log`] facade under the target the [`App`] gives (its name unless it
//! says otherwise; `quark-migrate` without one). Errors are one
//! typed enum, [`Error`], with the driver's own error as its source. [`code`] is what a
//! revision written in Rust works with. The rest serves tools built on the engine, the command
//! line first: [`migrator`] (every command over a revision graph), [`revision`] (the graph,
//! pure), [`source`] (revision files on disk), [`backend`] (the drivers and the trait they
//! implement), [`schema`] (the declared schema, `check` and autogenerate).
//!
//! Data flows one way: files ([`source`]) → parsed revisions and their graph ([`revision`]) →
//! a plan → a database ([`backend`]), driven by the [`migrator`].

#![warn(missing_docs)]
// The examples above show whole `build.rs` and `main.rs` files, `fn main` included.
#![allow(clippy::needless_doctest_main)]

extern crate self as quark_migrate;

mod app;
pub mod build;
mod checksum;
mod lexer;
pub mod remembered;
pub mod revision;
pub mod source;
mod summary;

// The engine that runs migrations; without the `runtime` feature only the build-time API above
// (and `build::embed_migrations`) is compiled, for build scripts.
#[cfg(feature = "runtime")]
pub mod backend;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "runtime")]
pub mod code;
#[cfg(feature = "runtime")]
mod embed;
#[cfg(feature = "runtime")]
pub mod error;
#[cfg(feature = "runtime")]
mod migrations;
#[cfg(feature = "runtime")]
pub mod migrator;
#[cfg(any(feature = "cli", fuzzing))]
mod oslo_ini;
#[cfg(feature = "runtime")]
mod plan;
#[cfg(feature = "runtime")]
mod progress;
// The fuzz targets' entry points: built by `cargo fuzz` (which sets `--cfg fuzzing`, with the
// `runtime` feature), and replayed over the kept corpus by the unit tests.
#[cfg(any(fuzzing, all(test, feature = "cli")))]
#[doc(hidden)]
pub mod fuzz;
#[cfg(feature = "cli")]
mod scaffold;
#[cfg(feature = "runtime")]
pub mod schema;
#[cfg(feature = "runtime")]
mod store;
#[cfg(feature = "runtime")]
mod telemetry;
#[cfg(feature = "runtime")]
mod url;

pub use app::App;
#[cfg(feature = "tokio")]
pub use backend::AsyncDatabase;
#[cfg(feature = "runtime")]
pub use backend::{Database, Session};
#[cfg(feature = "runtime")]
pub use embed::{EmbeddedFile, SchemaFile};
#[cfg(feature = "runtime")]
pub use error::Error;
#[cfg(feature = "runtime")]
pub use migrations::{
    FleetResult, FleetStatus, LiveInstance, Migrations, Status, Verified, WavePlan, in_shard,
};
#[cfg(feature = "runtime")]
pub use migrator::{DriftCheck, LiveReleases, Report, StepReport};
#[cfg(feature = "runtime")]
pub use schema::{DriftKind, Drifted, drift, repair_sql};
#[cfg(feature = "runtime")]
pub use store::InstanceRecord;

#[cfg(feature = "runtime")]
pub(crate) use embed::load;

/// Expands to the `&'static [EmbeddedFile]` that [`build::embed_migrations`] generated.
#[macro_export]
macro_rules! embed_migrations {
    () => {
        include!(concat!(env!("OUT_DIR"), "/quark_migrate_migrations.rs"))
    };
}

/// Expands to the `&'static [SchemaFile]` of the declared schema that
/// [`build::embed_migrations`] found in `migrations/schema/` (empty when there is none).
#[macro_export]
macro_rules! embed_schema {
    () => {
        include!(concat!(env!("OUT_DIR"), "/quark_migrate_schema.rs"))
    };
}

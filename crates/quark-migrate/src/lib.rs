//! # quark-db-manage
//!
//! Alembic-style database migrations compiled into your binary.
//!
//! Revisions live in `migrations/<revision>_<slug>.sql`, each naming the revision it revises.
//! At build time the whole chain is parsed and validated (a broken chain is a build error naming
//! the file and line) and embedded, so the binary migrates its database with no file beside it.
//! The version table is Alembic's own `alembic_version`, so a database that Alembic migrated is
//! picked up as it is.
//!
//! Data flows one way: files ([`source`]) → parsed revisions and their graph ([`revision`]) →
//! a plan ([`plan`]) → a database ([`backend`]), driven by the [`migrator`].
//!
//! ## In your application
//!
//! Keep your revisions in `migrations/` beside your `Cargo.toml` and depend on this crate twice:
//!
//! ```toml
//! [dependencies]
//! quark-db-manage = { version = "0.1", default-features = false, features = ["sqlite"] }
//!
//! [build-dependencies]
//! quark-db-manage = { version = "0.1", default-features = false }
//! ```
//!
//! Your `build.rs` validates and embeds them, with the same `file:line` errors as ours:
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
//! and one line gets the embedded set; [`Migrations`] applies it on start-up, under the lock,
//! and reports what ran:
//!
//! ```no_run
//! use quark_migrate::{EmbeddedFile, Error, Migrations};
//!
//! # static MIGRATIONS: &[EmbeddedFile] = &[];
//! // static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();
//!
//! fn main() -> Result<(), Error> {
//!     let migrations = Migrations::new(MIGRATIONS)?;
//!     let mut db = migrations.connect("sqlite:////var/lib/app/app.db")?;
//!     let status = migrations.status(db.as_mut())?; // no lock taken
//!     if !status.is_up_to_date() {
//!         match migrations.upgrade(db.as_mut()) {
//!             Ok(report) => {
//!                 for step in &report.steps {
//!                     log::info!("applied {} in {:?}", step.revision, step.duration);
//!                 }
//!             }
//!             Err(Error::LockTimeout { .. }) => return Ok(()), // another instance is migrating
//!             Err(e) => return Err(e),
//!         }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! Log lines go through the [`log`] facade under the target `quark.migration`, so your logger
//! shows them. [`cli::DbArgs`] mounts every subcommand in your own command line (`app db
//! upgrade head`); `examples/appliance` is a complete application built this way.

// The examples above show whole `build.rs` and `main.rs` files, `fn main` included.
#![allow(clippy::needless_doctest_main)]

extern crate self as quark_migrate;

pub mod backend;
pub mod checksum;
#[cfg(feature = "cli")]
pub mod cli;
pub mod code;
mod codegen;
pub mod error;
pub mod migrator;
pub mod plan;
pub mod revision;
pub mod scaffold;
pub mod schema;
pub mod source;
pub mod startup;
pub mod store;
pub mod url;

pub use error::Error;

/// The log target of every line the engine logs (`Running upgrade ...`).
pub const LOG_TARGET: &str = "quark.migration";
pub use backend::{Database, Session};
pub use migrator::{Report, StepReport};
pub use startup::{Migrations, Status};

use revision::{GraphError, RevisionMap};

/// One migration file embedded at build time.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedFile {
    /// The path shown in messages, e.g. `migrations/1284c81cf727_x.sql`.
    pub path: &'static str,
    /// The file's text.
    pub source: &'static str,
    /// What build.rs read from the file, so a start-up at head needs no parsing (absent for
    /// files embedded by hand).
    pub summary: Option<Summary>,
    /// The compiled functions of a revision written in Rust.
    pub code: Option<code::Code>,
}

/// The facts about one embedded revision that a start-up check needs, computed at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The revision id.
    pub id: &'static str,
    /// Whether it is a head of the embedded graph.
    pub head: bool,
    /// The checksum of its upgrade SQL per dialect, in [`revision::Dialect::ALL`] order.
    pub checksums: [Option<&'static str>; 3],
}

/// One file of the declared schema (`migrations/schema/*.sql`) embedded at build time.
#[derive(Debug, Clone, Copy)]
pub struct SchemaFile {
    /// The path shown in messages, e.g. `migrations/schema/quark.sql`.
    pub path: &'static str,
    /// The file's text.
    pub source: &'static str,
}

impl SchemaFile {
    /// The embedded files as declared-schema files.
    pub fn declared(files: &[SchemaFile]) -> Vec<schema::DeclaredFile> {
        files
            .iter()
            .map(|f| schema::DeclaredFile {
                path: f.path.to_string(),
                text: f.source.to_string(),
            })
            .collect()
    }
}

/// Build-script support: validate and embed a migrations directory.
pub mod build {
    pub use crate::codegen::embed_migrations;
}

/// Expands to the `&'static [EmbeddedFile]` that `build::embed_migrations` generated.
#[macro_export]
macro_rules! embed_migrations {
    () => {
        include!(concat!(env!("OUT_DIR"), "/quark_migrate_migrations.rs"))
    };
}

/// Expands to the `&'static [SchemaFile]` of the declared schema that
/// `build::embed_migrations` found in `migrations/schema/` (empty when there is none).
#[macro_export]
macro_rules! embed_schema {
    () => {
        include!(concat!(env!("OUT_DIR"), "/quark_migrate_schema.rs"))
    };
}

/// Parses embedded files into a validated revision graph.
pub fn load(files: &[EmbeddedFile]) -> Result<RevisionMap, GraphError> {
    let files: Vec<source::SourceFile> = files
        .iter()
        .map(|f| source::SourceFile {
            path: f.path.to_string(),
            name: f.path.rsplit('/').next().unwrap_or(f.path).to_string(),
            text: f.source.to_string(),
        })
        .collect();
    source::build_map(&files)
}

//! quark's schema history, compiled in: its 40 revisions (`migrations/`, five of them data
//! migrations written in Rust) and its declared schema at head (`migrations/schema/`), for the
//! `quark-db-manage` binary and for anything that migrates a quark database on start-up.
//!
//! The engine that runs them is [`quark_migrate`]; this crate knows only quark.

// quark's Rust revisions were written when the engine and quark were one crate, and name the
// engine `quark_db_manage`. Their source is what their recorded checksums cover, so it stays as
// applied: within this crate that name is the engine.
extern crate quark_migrate as quark_db_manage;

use quark_migrate::{App, EmbeddedFile, SchemaFile};

/// quark's identity: `quark-db-manage` on its sessions and command line, its log lines under
/// `quark.migration` as before the engine served other applications.
pub const APP: App = quark_migrate::app!().with_log_target("quark.migration");

/// quark's migrations, validated and embedded by build.rs from `migrations/`.
pub static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

/// quark's declared schema at head, embedded from `migrations/schema/`.
pub static SCHEMA: &[SchemaFile] = quark_migrate::embed_schema!();

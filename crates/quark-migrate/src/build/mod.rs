//! Build-script support: what an application's `build.rs` calls to validate its `migrations/`
//! directory, check and rehearse it, and write the code that embeds it.
//!
//! `build.rs` calls [`embed_migrations`]: the files are read and parsed, the revision graph is
//! validated (a broken chain is a build error naming `file:line`), the code generated into
//! `OUT_DIR` embeds every file with `include_str!` (so Cargo rebuilds when one changes, new files
//! included), and the checks run: the rehearsal of every revision on SQLite in memory (and on a
//! server named by `QUARK_MIGRATE_CHECK_URL`), see [`Options`].

mod check;
mod codegen;
#[cfg(feature = "runtime")]
mod rehearsal;
mod statements;

use std::path::PathBuf;

#[cfg(feature = "runtime")]
#[doc(hidden)]
pub use crate::embed::Summary;
use crate::revision::Dialect;
use crate::source::{build_map, read_dir};
pub use codegen::{GENERATED_FILE, GENERATED_SCHEMA_FILE};

/// Validates the revisions in `dir` (relative to the crate being built) and writes the code that
/// embeds them to `OUT_DIR`, telling Cargo to rebuild when any file in `dir` changes; with the
/// `sqlite` feature, rehearses them too (see [`Options`]).
///
/// On failure, returns every problem as `dir/<file>:<line>: <what is wrong>` lines with hints.
pub fn embed_migrations(dir: &str) -> Result<(), String> {
    embed_migrations_with(dir, &Options::default())
}

/// What the build proves about the migrations it embeds, beyond the chain.
///
/// With the engine's `sqlite` feature in the build-dependency, the build rehearses the graph
/// on SQLite in memory (when SQLite is among the [dialects](Options::dialects)): every
/// revision's upgrade on the schema of its parents, its downgrade, which must give back that
/// schema, and its upgrade again; then the schema at head against the declared schema. A
/// failing statement or a downgrade that does not round-trip fails the build naming the file
/// and line. `QUARK_MIGRATE_CHECK_URL` names a PostgreSQL or MySQL server to rehearse on as well
/// (in a scratch schema or database, dropped afterwards; needs that driver's feature);
/// `QUARK_MIGRATE_CHECK=off` skips rehearsals, `=details` reports what they did in a
/// `cargo:warning` line.
#[derive(Debug, Clone)]
pub struct Options {
    dialects: Vec<Dialect>,
    rehearse: bool,
    destructive_check: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dialects: Dialect::ALL.to_vec(),
            rehearse: true,
            destructive_check: true,
        }
    }
}

impl Options {
    /// The dialects the migrations are written for (all three unless told): a rehearsal runs
    /// only on these.
    pub fn dialects(mut self, dialects: &[Dialect]) -> Options {
        self.dialects = dialects.to_vec();
        self
    }

    /// Whether to rehearse the migrations at build time (on by default).
    pub fn rehearse(mut self, rehearse: bool) -> Options {
        self.rehearse = rehearse;
        self
    }

    /// Whether a destructive statement (a dropped or renamed table or column, a narrowed type,
    /// a new NOT NULL, a dropped key) fails the build when its revision is not marked
    /// `Breaking:` and the statement carries no `-- not breaking: <why>` (on by default; off for
    /// an application never deployed beside an older release of itself).
    pub fn destructive_check(mut self, check: bool) -> Options {
        self.destructive_check = check;
        self
    }

    pub(crate) fn rehearses(&self) -> bool {
        self.rehearse
    }

    #[cfg_attr(not(feature = "runtime"), allow(dead_code))]
    pub(crate) fn targets(&self, dialect: Dialect) -> bool {
        self.dialects.contains(&dialect)
    }
}

/// [`embed_migrations`] with options.
pub fn embed_migrations_with(dir: &str, options: &Options) -> Result<(), String> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or("OUT_DIR is not set: call this from build.rs")?;
    let abs = manifest.join(dir);
    println!("cargo:rerun-if-changed={}", abs.display());
    let files = read_dir(&abs, dir).map_err(|e| e.to_string())?;
    let map = build_map(&files).map_err(|e| e.to_string())?;
    let code = codegen::generate_from(&abs, &files, &map);
    std::fs::write(out_dir.join(GENERATED_FILE), code)
        .map_err(|e| format!("cannot write {GENERATED_FILE}: {e}"))?;
    let schema = codegen::generate_schema(&abs.join("schema"), &format!("{dir}/schema"))?;
    std::fs::write(out_dir.join(GENERATED_SCHEMA_FILE), schema)
        .map_err(|e| format!("cannot write {GENERATED_SCHEMA_FILE}: {e}"))?;
    // The rehearsal first: SQL that does not run is the first thing to fix.
    check::run(&map, &abs.join("schema"), &format!("{dir}/schema"), options)?;
    if options.destructive_check {
        let found = statements::undeclared_destructive(&map, &files, |d| options.targets(d));
        if !found.is_empty() {
            let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
            return Err(format!(
                "{}\nerror: {} destructive statement(s) in revisions not marked `Breaking:` (older releases still running would break)",
                lines.join("\n"),
                found.len()
            ));
        }
    }
    Ok(())
}

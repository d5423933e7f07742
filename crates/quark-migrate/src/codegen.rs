//! Build-time embedding: validate a `migrations/` directory and write the code that embeds it.
//!
//! Our own `build.rs` compiles this file directly; applications call it through
//! [`crate::build::embed_migrations`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::revision::{Dialect, Direction, RevisionMap};
use crate::source::{SourceFile, build_map, file_names, is_schema_file, read_dir};

/// The file, in `OUT_DIR`, that [`crate::embed_migrations!`] includes.
pub const GENERATED_FILE: &str = "quark_migrate_migrations.rs";

/// The file, in `OUT_DIR`, that [`crate::embed_schema!`] includes.
pub const GENERATED_SCHEMA_FILE: &str = "quark_migrate_schema.rs";

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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dialects: Dialect::ALL.to_vec(),
            rehearse: true,
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
    let code = generate_from(&abs, &files, &map);
    std::fs::write(out_dir.join(GENERATED_FILE), code)
        .map_err(|e| format!("cannot write {GENERATED_FILE}: {e}"))?;
    let schema = generate_schema(&abs.join("schema"), &format!("{dir}/schema"))?;
    std::fs::write(out_dir.join(GENERATED_SCHEMA_FILE), schema)
        .map_err(|e| format!("cannot write {GENERATED_SCHEMA_FILE}: {e}"))?;
    crate::build_check::run(&map, &abs.join("schema"), &format!("{dir}/schema"), options)
}

/// The Rust expression (a `&[SchemaFile]` slice) that embeds the declared schema's `.sql`
/// files in `abs`, in name order; empty when the directory does not exist.
pub fn generate_schema(abs: &Path, shown: &str) -> Result<String, String> {
    let names = match file_names(abs, is_schema_file) {
        Ok(names) => names,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("{shown}: cannot read the declared schema: {e}")),
    };
    let mut entries = String::new();
    for name in names {
        let full = abs.join(&name);
        println!("cargo:rerun-if-changed={}", full.display());
        let _ = writeln!(
            entries,
            "    ::quark_migrate::SchemaFile {{ path: {:?}, source: include_str!({:?}) }},",
            format!("{shown}/{name}"),
            full.display().to_string()
        );
    }
    Ok(format!("&[\n{entries}]"))
}

/// The Rust expression (a `&[EmbeddedFile]` slice) that embeds every valid revision of `abs`;
/// revisions written in Rust become modules of the block it opens, so the compiler checks them
/// and names their files in its errors.
fn generate_from(abs: &Path, files: &[SourceFile], map: &RevisionMap) -> String {
    let mut modules = String::new();
    let mut entries = String::new();
    for rev in map.iter() {
        let file = files
            .iter()
            .find(|f| f.path == rev.path)
            .expect("every revision has a file");
        let full = abs.join(&file.name);
        println!("cargo:rerun-if-changed={}", full.display());
        if rev.code.is_some() {
            let _ = writeln!(
                modules,
                "    #[path = {:?}]\n    mod revision_{};",
                full.display().to_string(),
                rev.id
            );
        }
        let checksums: Vec<String> = Dialect::ALL
            .iter()
            .map(|d| match rev.checksum(Direction::Upgrade, *d) {
                Some(sum) => format!("Some({sum:?})"),
                None => "None".to_string(),
            })
            .collect();
        let functions = match &rev.code {
            None => "None".to_string(),
            Some(c) => format!(
                "Some(::quark_migrate::code::Code {{ upgrade: revision_{id}::upgrade, downgrade: {} }})",
                if c.downgrade_line.is_some() {
                    format!("Some(revision_{}::downgrade)", rev.id)
                } else {
                    "None".to_string()
                },
                id = rev.id
            ),
        };
        let _ = writeln!(
            entries,
            "    ::quark_migrate::EmbeddedFile {{ path: {:?}, source: include_str!({:?}), summary: Some(::quark_migrate::build::Summary {{ id: {:?}, head: {}, checksums: [{}], earlier: &{:?} }}), code: {functions} }},",
            file.path,
            full.display().to_string(),
            rev.id,
            map.is_head(&rev.id),
            checksums.join(", "),
            rev.earlier_checksums
        );
    }
    format!("{{\n{modules}&[\n{entries}]}}")
}

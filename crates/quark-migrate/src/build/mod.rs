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
pub(crate) mod rehearsal;
mod statements;

use std::path::PathBuf;

/// The SQL dialects migrations target ([`Options::dialects`]).
pub use crate::revision::Dialect;
use crate::source::{build_map, read_dir};
#[cfg(feature = "runtime")]
#[doc(hidden)]
pub use crate::summary::embed_by_hand;
#[doc(hidden)]
pub use crate::summary::{Chain, Summary};
pub use codegen::{GENERATED_FILE, GENERATED_SCHEMA_FILE, accepted_digests};

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
    lock_risks: LockRisks,
    applied_history: Option<String>,
    signing_key: Option<PathBuf>,
    trusted_keys: Vec<PathBuf>,
}

/// What the build does with a statement that locks, rewrites or scans a table (see
/// [`Options::lock_risks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockRisks {
    /// A build warning naming `file:line`, the reason and the safe form (the default).
    Warn,
    /// A build error.
    Deny,
    /// Nothing.
    Allow,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dialects: Dialect::ALL.to_vec(),
            rehearse: true,
            destructive_check: true,
            lock_risks: LockRisks::Warn,
            applied_history: None,
            signing_key: None,
            trusted_keys: Vec::new(),
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

    /// What a statement that locks, rewrites or scans a table it does not create is to the
    /// build (warned of by default); `QUARK_MIGRATE_LOCK_RISKS=deny|warn|allow` overrides it.
    pub fn lock_risks(mut self, risks: LockRisks) -> Options {
        self.lock_risks = risks;
        self
    }

    /// Revisions up to `revision` (it and every revision below it) are history, applied
    /// everywhere: their lock risks are not judged again.
    pub fn applied_history(mut self, revision: &str) -> Options {
        self.applied_history = Some(revision.to_string());
        self
    }

    /// Signs each revision's record with the Ed25519 private key in this PKCS#8 PEM file (relative
    /// to the crate being built; `openssl genpkey -algorithm ed25519` writes one): the database
    /// keeps the signature beside the record, and a release that trusts the key's public half
    /// runs a remembered downgrade only when its signature holds (see [`crate::remembered`]).
    /// `QUARK_MIGRATE_SIGNING_KEY` overrides it. The key's public half is trusted.
    pub fn signing_key(mut self, path: impl Into<PathBuf>) -> Options {
        self.signing_key = Some(path.into());
        self
    }

    /// Trusts the Ed25519 public key in this PEM file too (`openssl pkey -pubout` writes one):
    /// the key of another release, during a key change. `QUARK_MIGRATE_TRUSTED_KEYS` (files
    /// separated as `PATH` separates them) adds more.
    pub fn trusted_key(mut self, path: impl Into<PathBuf>) -> Options {
        self.trusted_keys.push(path.into());
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

/// The setting that overrides [`Options::lock_risks`].
const LOCK_RISKS: &str = "QUARK_MIGRATE_LOCK_RISKS";

/// Warns of (or refuses) the statements that lock, rewrite or scan a table.
fn judge_lock_risks(
    map: &crate::revision::RevisionMap,
    files: &[crate::source::SourceFile],
    options: &Options,
) -> Result<(), String> {
    println!("cargo:rerun-if-env-changed={LOCK_RISKS}");
    let setting = std::env::var(LOCK_RISKS)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mode = match setting.as_str() {
        "deny" => LockRisks::Deny,
        "warn" => LockRisks::Warn,
        "allow" | "off" => LockRisks::Allow,
        "" => options.lock_risks,
        other => {
            return Err(format!("{LOCK_RISKS}={other}: use deny, warn or allow"));
        }
    };
    if mode == LockRisks::Allow {
        return Ok(());
    }
    let history = match &options.applied_history {
        Some(id) if map.position(id).is_none() => {
            return Err(format!(
                "build::Options::applied_history names {id}, which is no revision of these migrations"
            ));
        }
        Some(id) => map.ancestors([id.as_str()]),
        None => vec![false; map.len()],
    };
    let found = statements::lock_risks(
        map,
        files,
        |d| options.targets(d),
        |rev| !map.position(&rev.id).is_some_and(|p| history[p]),
    );
    if found.is_empty() {
        return Ok(());
    }
    if mode == LockRisks::Deny {
        let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{}\nerror: {} statement(s) lock, rewrite or scan a table ({LOCK_RISKS}=deny)",
            lines.join("\n"),
            found.len()
        ));
    }
    for finding in &found {
        println!("cargo:warning={finding}");
    }
    Ok(())
}

/// The settings naming the signing key and the keys to trust beside it.
const SIGNING_KEY: &str = "QUARK_MIGRATE_SIGNING_KEY";
const TRUSTED_KEYS: &str = "QUARK_MIGRATE_TRUSTED_KEYS";

/// The keys the release trusts and its signatures of its revisions' records, from the signing
/// key (`QUARK_MIGRATE_SIGNING_KEY` or [`Options::signing_key`]) and the keys trusted beside it.
fn vouching(
    map: &crate::revision::RevisionMap,
    manifest: &std::path::Path,
    options: &Options,
) -> Result<crate::remembered::Vouching, String> {
    use crate::remembered::{ReleaseKey, TrustedKey, Vouching};
    println!("cargo:rerun-if-env-changed={SIGNING_KEY}");
    println!("cargo:rerun-if-env-changed={TRUSTED_KEYS}");
    let signing = std::env::var_os(SIGNING_KEY)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| options.signing_key.clone());
    let mut vouching = match signing {
        Some(path) => {
            let path = manifest.join(path);
            println!("cargo:rerun-if-changed={}", path.display());
            let key = ReleaseKey::from_pem_file(&path)
                .map_err(|e| format!("{SIGNING_KEY} or build::Options::signing_key: {e}"))?;
            Vouching::signed(map, &key, &options.dialects)
        }
        None => Vouching::default(),
    };
    let extra = std::env::var_os(TRUSTED_KEYS)
        .map(|v| std::env::split_paths(&v).collect::<Vec<_>>())
        .unwrap_or_default();
    for path in options.trusted_keys.iter().cloned().chain(extra) {
        if path.as_os_str().is_empty() {
            continue;
        }
        let path = manifest.join(path);
        println!("cargo:rerun-if-changed={}", path.display());
        let key = TrustedKey::from_pem_file(&path)
            .map_err(|e| format!("{TRUSTED_KEYS} or build::Options::trusted_key: {e}"))?;
        vouching = vouching.with_trusted(key);
    }
    Ok(vouching)
}

/// The package whose build script runs, as Cargo names it (the engine's own identity outside a
/// build script).
fn package() -> crate::App {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| &*Box::leak(v.into_boxed_str()))
    };
    match (var("CARGO_PKG_NAME"), var("CARGO_PKG_VERSION")) {
        (Some(name), Some(version)) => crate::App::new(name, version),
        _ => crate::App::ENGINE,
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
    // Scratch databases of a live rehearsal are named after the package being built.
    let _app = package().scope();
    let files = read_dir(&abs, dir).map_err(|e| e.to_string())?;
    let map = build_map(&files).map_err(|e| e.to_string())?;
    let vouching = vouching(&map, &manifest, options)?;
    let code = codegen::generate_from(&abs, &files, &map, &vouching);
    std::fs::write(out_dir.join(GENERATED_FILE), code)
        .map_err(|e| format!("cannot write {GENERATED_FILE}: {e}"))?;
    let schema = codegen::generate_schema(&abs.join("schema"), &format!("{dir}/schema"))?;
    std::fs::write(out_dir.join(GENERATED_SCHEMA_FILE), schema)
        .map_err(|e| format!("cannot write {GENERATED_SCHEMA_FILE}: {e}"))?;
    // The rehearsal first: SQL that does not run is the first thing to fix.
    check::run(&map, &abs.join("schema"), &format!("{dir}/schema"), options)?;
    judge_lock_risks(&map, &files, options)?;
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

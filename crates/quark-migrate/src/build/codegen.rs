//! The code `build.rs` writes into `OUT_DIR`: every revision file embedded with `include_str!`,
//! its build-time summary, and the modules of the revisions written in Rust.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::remembered::Vouching;
use crate::revision::{Dialect, Direction, RevisionMap};
use crate::source::{SourceFile, file_names, is_schema_file};
use crate::summary::{Chain, Summary};

/// The file, in `OUT_DIR`, that [`crate::embed_migrations!`] includes.
pub const GENERATED_FILE: &str = "quark_migrate_migrations.rs";

/// The file, in `OUT_DIR`, that [`crate::embed_schema!`] includes.
pub const GENERATED_SCHEMA_FILE: &str = "quark_migrate_schema.rs";

/// The Rust expression (a `&[SchemaFile]` slice) that embeds the declared schema's `.sql`
/// files in `abs`, in name order; empty when the directory does not exist.
pub(super) fn generate_schema(abs: &Path, shown: &str) -> Result<String, String> {
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
pub(super) fn generate_from(
    abs: &Path,
    files: &[SourceFile],
    map: &RevisionMap,
    vouching: &Vouching,
) -> String {
    let mut modules = String::new();
    let mut entries = String::new();
    let mut signed = false;
    let trusted: Vec<String> = vouching.trusted().iter().map(|k| k.to_hex()).collect();
    let by_path: HashMap<&str, &SourceFile> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    for rev in map.iter().chain(map.checkpoints()) {
        let file = by_path[rev.path.as_str()];
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
        let signatures = Dialect::ALL.map(|d| vouching.record(rev, d).signature);
        signed |= signatures.iter().any(Option::is_some);
        let facts = Summary::facts_of(map, rev, signatures.each_ref().map(Option::as_deref));
        let (path, full) = (&file.path, full.display().to_string());
        // One call of a const fn per file: at 10,000 files the compiler takes it in two thirds
        // of the time it takes the same struct literals written out.
        let _ = match &rev.code {
            None => writeln!(
                entries,
                "    sql({path:?}, include_str!({full:?}), {facts:?}),"
            ),
            Some(c) => writeln!(
                entries,
                "    code({path:?}, include_str!({full:?}), {facts:?}, ::quark_migrate::code::Code {{ upgrade: revision_{id}::upgrade, downgrade: {} }}),",
                if c.downgrade_line.is_some() {
                    format!("Some(revision_{}::downgrade)", rev.id)
                } else {
                    "None".to_string()
                },
                id = rev.id
            ),
        };
    }
    let chain = Chain::leaked(map, signed, &trusted);
    format!(
        "{{\n{modules}    const CHAIN: ::quark_migrate::build::Chain = {};\n{EMBED}&[\n{entries}]}}",
        chain.rust()
    )
}

/// The const fns the generated slice is written with: a file in SQL, a revision in Rust.
const EMBED: &str = "    #[allow(dead_code)]
    const fn sql(path: &'static str, source: &'static str, facts: &'static str) -> ::quark_migrate::EmbeddedFile {
        ::quark_migrate::EmbeddedFile { path, source, summary: Some(::quark_migrate::build::Summary { facts, chain: &CHAIN }), code: None }
    }
    #[allow(dead_code)]
    const fn code(path: &'static str, source: &'static str, facts: &'static str, code: ::quark_migrate::code::Code) -> ::quark_migrate::EmbeddedFile {
        ::quark_migrate::EmbeddedFile { code: Some(code), ..sql(path, source, facts) }
    }
";

/// The digest of what the build of `map` accepts as applied, per dialect in [`Dialect::ALL`]
/// order: what [`crate::build::Chain::digests`] holds.
pub fn accepted_digests(map: &RevisionMap) -> [String; 3] {
    Dialect::ALL.map(|d| {
        let all = || map.iter().chain(map.checkpoints());
        let sums: Vec<(String, Option<String>)> = all()
            .map(|r| (r.id.clone(), r.checksum(Direction::Upgrade, d)))
            .collect();
        crate::checksum::accepted_digest(
            all()
                .zip(&sums)
                .map(|(r, (id, sum))| (id.as_str(), sum.as_deref(), &r.earlier_checksums[..])),
        )
    })
}

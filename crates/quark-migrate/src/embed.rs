//! What `build.rs` embeds: the migration files with the facts the build read from them, and the
//! declared schema's files.

use crate::code::Code;
use crate::revision::{GraphError, RevisionMap};
use crate::schema::DeclaredFile;
use crate::source::{self, SourceFile};
use crate::summary::Summary;

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
    pub code: Option<Code>,
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
    /// The embedded files as declared-schema files (for [`crate::Migrations::check`]).
    pub fn declared(files: &[SchemaFile]) -> Vec<DeclaredFile> {
        files
            .iter()
            .map(|f| DeclaredFile {
                path: f.path.to_string(),
                text: f.source.to_string(),
            })
            .collect()
    }
}

/// Parses embedded files into a validated revision graph.
pub(crate) fn load(files: &[EmbeddedFile]) -> Result<RevisionMap, GraphError> {
    let files: Vec<SourceFile> = files
        .iter()
        .map(|f| SourceFile {
            path: f.path.to_string(),
            name: f.path.rsplit('/').next().unwrap_or(f.path).to_string(),
            text: f.source.to_string(),
        })
        .collect();
    source::build_map(&files)
}

//! Where revisions come from: a `migrations/` directory on disk, or files embedded at build time.

use std::path::Path;

use crate::revision::{FileError, GraphError, RevisionMap, parse_revision};

/// One migration file's name and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown to users, e.g. `migrations/1284c81cf727_x.sql`.
    pub path: String,
    /// The file name alone.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// Whether a file in a migrations directory is a revision file: SQL (`.sql`) or Rust (`.rs`).
pub(crate) fn is_revision_file(name: &str) -> bool {
    (name.ends_with(".sql") || name.ends_with(".rs")) && !name.starts_with('.')
}

/// Whether a file of the declared schema directory (`migrations/schema/`) is part of it.
pub(crate) fn is_schema_file(name: &str) -> bool {
    name.ends_with(".sql") && !name.starts_with('.')
}

/// The names of the files in `dir` that `keep` accepts, sorted.
pub(crate) fn file_names(dir: &Path, keep: fn(&str) -> bool) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| keep(n))
        .collect();
    names.sort();
    Ok(names)
}

/// Reads every revision file of `dir`, sorted by name; `shown` prefixes the paths in messages.
pub fn read_dir(dir: &Path, shown: &str) -> Result<Vec<SourceFile>, GraphError> {
    let names = file_names(dir, is_revision_file).map_err(|e| {
        GraphError(vec![FileError::new(
            shown,
            0,
            format!("cannot read the migrations directory: {e}"),
        )])
    })?;
    let mut files = Vec::with_capacity(names.len());
    let mut errors = Vec::new();
    for name in names {
        let path = format!("{shown}/{name}");
        match std::fs::read(dir.join(&name)) {
            Err(e) => errors.push(FileError::new(
                &path,
                0,
                format!("cannot read the file: {e}"),
            )),
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(SourceFile { path, name, text }),
                Err(e) => {
                    let valid = e.utf8_error().valid_up_to();
                    let line = 1 + e.as_bytes()[..valid]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                    errors.push(
                        FileError::new(&path, line, "the file is not valid UTF-8")
                            .hint("save migration files as UTF-8"),
                    );
                }
            },
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(GraphError(errors))
    }
}

/// Parses every file and links them into a validated graph, reporting every problem found.
pub fn build_map(files: &[SourceFile]) -> Result<RevisionMap, GraphError> {
    let map = link(files)?;
    map.check_heads()?;
    Ok(map)
}

/// Parses and links every file, allowing several unlabelled heads (as `merge` must).
pub fn link(files: &[SourceFile]) -> Result<RevisionMap, GraphError> {
    let mut revisions = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for f in files {
        match parse_revision(&f.path, &f.name, &f.text) {
            Ok(r) => revisions.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(GraphError(errors));
    }
    RevisionMap::new(revisions)
}

//! The declared schema: the `CREATE TABLE` / `CREATE INDEX` statements of the schema as it should
//! be at head, kept in `migrations/schema/*.sql`, and loading them into a database.
//!
//! A statement runs on every dialect unless a `-- +<dialect>[, <dialect>]` line just before it
//! names the dialects it is for (the grammar revision sections share).

use std::path::Path;

use super::SchemaError;
use crate::backend::Backend;
use crate::revision::{Dialect, marked_statements};
use crate::source::{file_names, is_schema_file};

/// One file of the declared schema.
#[derive(Debug, Clone)]
pub struct DeclaredFile {
    /// The path shown in messages, e.g. `migrations/schema/quark.sql`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// One statement of the declared schema, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredStatement {
    /// The file.
    pub path: String,
    /// The line the statement starts on.
    pub line: usize,
    /// The statement as `dialect` runs it.
    pub sql: String,
}

/// Reads the `.sql` files of `dir` in name order; `shown` prefixes their paths in messages.
pub fn read_dir(dir: &Path, shown: &str) -> Result<Vec<DeclaredFile>, SchemaError> {
    let read_error = |path: String, e: std::io::Error| SchemaError::Read {
        path,
        message: e.to_string(),
    };
    let names = file_names(dir, is_schema_file).map_err(|e| read_error(shown.to_string(), e))?;
    names
        .into_iter()
        .map(|name| {
            let path = format!("{shown}/{name}");
            match std::fs::read_to_string(dir.join(&name)) {
                Ok(text) => Ok(DeclaredFile { path, text }),
                Err(e) => Err(read_error(path, e)),
            }
        })
        .collect()
}

/// The statements of `files` that run on `dialect`, in order.
pub fn statements(
    files: &[DeclaredFile],
    dialect: Dialect,
) -> Result<Vec<DeclaredStatement>, SchemaError> {
    let mut out = Vec::new();
    for file in files {
        let text = file.text.replace("\r\n", "\n");
        let statements =
            marked_statements(&text, dialect, 1).map_err(|(line, message)| SchemaError::File {
                path: file.path.clone(),
                line,
                message,
            })?;
        out.extend(statements.into_iter().map(|s| DeclaredStatement {
            path: file.path.clone(),
            line: s.line,
            sql: s.sql,
        }));
    }
    Ok(out)
}

/// Runs the declared schema on `db`; a refused statement is reported with its file and line.
pub fn load(db: &mut dyn Backend, files: &[DeclaredFile]) -> Result<(), SchemaError> {
    let dialect = db.dialect();
    for s in statements(files, dialect)? {
        db.run(&s.sql).map_err(|e| SchemaError::Refused {
            path: s.path.clone(),
            line: s.line,
            dialect,
            message: e.to_string(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Vec<DeclaredFile> {
        vec![DeclaredFile {
            path: "schema/s.sql".into(),
            text: text.into(),
        }]
    }

    #[test]
    fn unknown_dialects_name_the_line() {
        let e = statements(
            &file("CREATE TABLE a (id INTEGER);\n-- +oracle\nCREATE TABLE b (id INTEGER);\n"),
            Dialect::Sqlite,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "schema/s.sql:2: unknown dialect 'oracle' in '-- +oracle': expected sqlite, postgresql or mysql"
        );
    }
}

//! Revisions written in Rust: the functions a `migrations/<id>_<slug>.rs` file defines and the
//! backend-neutral handle they receive.
//!
//! A Rust revision runs inside the same transaction as its version-table update, under the same
//! lock, and is recorded in the history like a SQL revision; its checksum covers its source.

use thiserror::Error;

pub use crate::backend::{Row, Value};

use std::time::Instant;

use crate::backend::{Backend, BackendError};
use crate::progress::{Event, Watch};
use crate::revision::Dialect;

/// The signature of a Rust revision's `upgrade` and `downgrade` functions.
pub type MigrateFn = fn(&mut Db<'_>) -> Result<(), CodeError>;

/// The compiled functions of one Rust revision, as build.rs embeds them.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// Applies the revision.
    pub upgrade: MigrateFn,
    /// Reverts it; `None` makes the revision irreversible.
    pub downgrade: Option<MigrateFn>,
}

/// Why a Rust revision failed.
#[derive(Debug, Error)]
pub enum CodeError {
    /// A statement sent through [`Db`] failed.
    #[error("statement {number} failed: {source}\n    {sql}")]
    Statement {
        /// Which statement of the revision it was (1-based).
        number: usize,
        /// Its SQL as sent.
        sql: String,
        /// What the database said.
        source: BackendError,
    },
    /// The revision's own code gave up.
    #[error("{0}")]
    Failed(String),
}

impl CodeError {
    /// A failure described by the revision's code.
    pub fn msg(message: impl Into<String>) -> CodeError {
        CodeError::Failed(message.into())
    }
}

/// The connection a Rust revision works through, inside the revision's transaction.
///
/// Parameters are written `?` in the SQL, whatever the backend (they become `$1`, `$2`... on
/// PostgreSQL); values are bound, never spliced into the text.
pub struct Db<'a> {
    backend: &'a mut dyn Backend,
    statements: usize,
    /// The revision running, who watches it, and when it started.
    watched: Option<(&'a str, &'a Watch, Instant)>,
}

impl<'a> Db<'a> {
    /// Wraps a backend for one run of a revision's function.
    pub fn new(backend: &'a mut dyn Backend) -> Db<'a> {
        Db {
            backend,
            statements: 0,
            watched: None,
        }
    }

    /// A handle whose progress ([`Db::progress`]) is told to `watch` as revision `revision`'s.
    pub(crate) fn watched(
        backend: &'a mut dyn Backend,
        revision: &'a str,
        watch: &'a Watch,
        started: Instant,
    ) -> Db<'a> {
        Db {
            backend,
            statements: 0,
            watched: Some((revision, watch, started)),
        }
    }

    /// Says how far the revision is: `done` rows of `total` (when known). Shown to a person
    /// watching, handed to the application's observer; [`Db::in_chunks`] says it by itself.
    pub fn progress(&mut self, done: u64, total: Option<u64>) {
        if let Some((revision, watch, started)) = self.watched {
            let statements = self.statements;
            watch.tell(|| Event::Progress {
                revision: revision.to_string(),
                statements_done: statements,
                statements: 0,
                rows: Some((done, total)),
                elapsed: started.elapsed(),
            });
        }
    }

    /// Whether anyone watches this revision's progress.
    fn watching(&self) -> bool {
        self.watched.is_some_and(|(_, watch, _)| watch.is_on())
    }

    /// The dialect of the database, for the rare statement that must differ.
    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// How many statements the revision has sent so far.
    pub fn statements(&self) -> usize {
        self.statements
    }

    /// Runs a statement with bound parameters; returns the number of rows changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, CodeError> {
        let sql = self.numbered(sql);
        let result = self.backend.execute(&sql, params);
        self.checked(sql, result)
    }

    /// Runs a query with bound parameters and returns its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, CodeError> {
        let sql = self.numbered(sql);
        let result = self.backend.query(&sql, params);
        self.checked(sql, result)
    }

    /// Runs one statement once per row of `rows` (each row the statement's `?` parameters), in
    /// as few round trips as the database allows: a batch of statements per round trip on
    /// PostgreSQL and MySQL, one compiled statement on SQLite. Returns the rows changed.
    pub fn execute_many(&mut self, sql: &str, rows: &[Vec<Value>]) -> Result<u64, CodeError> {
        let numbered = self.numbered(sql);
        let result = self.backend.execute_many(&numbered, rows);
        self.statements += rows.len().saturating_sub(1);
        self.checked(numbered, result)
    }

    /// Sets `columns` of the rows of `table` whose `key` equals each row's first value to that
    /// row's following values (`[key, column 1, column 2, ...]`), one set-based statement per
    /// batch on a server and one compiled `UPDATE` per row on SQLite: the fastest way to write
    /// values computed in Rust back to many rows. Returns the rows changed.
    pub fn update_rows(
        &mut self,
        table: &str,
        key: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<u64, CodeError> {
        if let Some(row) = rows.iter().find(|r| r.len() != columns.len() + 1) {
            return Err(CodeError::msg(format!(
                "update_rows on {table}: a row has {} values, not {} (the key, then {})",
                row.len(),
                columns.len() + 1,
                columns.join(", ")
            )));
        }
        let result = self.backend.update_rows(table, key, columns, rows);
        let sql = format!(
            "UPDATE {table} SET {} WHERE {key} = ? -- {} rows",
            columns
                .iter()
                .map(|c| format!("{c} = ?"))
                .collect::<Vec<_>>()
                .join(", "),
            rows.len()
        );
        self.checked(sql, result)
    }

    /// Reads the rows of `sql` in chunks of at most `chunk`, in the order of its first column
    /// `key` (unique, non-NULL), handing each chunk to `each` with the database to write to:
    /// memory holds one chunk however large the table. Each chunk is read after the one before
    /// was handled (keyset reads: `key > last`), so `each` may change the rows it was given.
    pub fn in_chunks(
        &mut self,
        sql: &str,
        key: &str,
        chunk: usize,
        mut each: impl FnMut(&mut Db<'_>, Vec<Row>) -> Result<(), CodeError>,
    ) -> Result<(), CodeError> {
        let quoted = self.backend.quote(key);
        let chunk = chunk.max(1);
        let mut last: Option<Value> = None;
        // The total, for a person watching: one count before the first chunk.
        let total = if self.watching() {
            let count = self.query(&format!("SELECT COUNT(*) FROM ({sql}) counted"), &[])?;
            count
                .first()
                .and_then(|r| r.first())
                .and_then(|v| v.as_int().or_else(|| v.as_text()?.parse().ok()))
                .and_then(|n| u64::try_from(n).ok())
        } else {
            None
        };
        let mut done = 0u64;
        loop {
            let sql = match &last {
                None => {
                    format!("SELECT * FROM ({sql}) chunked ORDER BY chunked.{quoted} LIMIT {chunk}")
                }
                Some(_) => format!(
                    "SELECT * FROM ({sql}) chunked WHERE chunked.{quoted} > ? ORDER BY chunked.{quoted} LIMIT {chunk}"
                ),
            };
            let params: Vec<Value> = last.iter().cloned().collect();
            let rows = self.query(&sql, &params)?;
            let Some(reached) = rows.last().and_then(|r| r.first()) else {
                return Ok(());
            };
            last = Some(reached.clone());
            let full = rows.len() == chunk;
            done += rows.len() as u64;
            crate::telemetry::chunk(rows.len()).in_scope(|| each(self, rows))?;
            self.progress(done, total);
            if !full {
                return Ok(());
            }
        }
    }

    fn checked<T>(&mut self, sql: String, result: Result<T, BackendError>) -> Result<T, CodeError> {
        self.statements += 1;
        result.map_err(|source| CodeError::Statement {
            number: self.statements,
            sql,
            source,
        })
    }

    /// `sql` with each `?` outside quotes and comments (as [the lexer](crate::lexer) reads the
    /// backend's dialect) replaced by the backend's placeholder.
    fn numbered(&self, sql: &str) -> String {
        crate::lexer::replace_placeholders(sql, self.backend.dialect(), true, |n, _| {
            self.backend.placeholder(n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::script::Script;

    #[test]
    fn parameters_are_bound_where_a_question_mark_stands_outside_quotes() {
        let mut script = Script::new(Dialect::Postgresql, []);
        let mut db = Db::new(&mut script);
        db.execute(
            "UPDATE t SET a = ?, b = '?' /* ? */ WHERE \"c?\" = ? -- ?",
            &[Value::Int(1), Value::from("it's")],
        )
        .unwrap();
        assert_eq!(db.statements(), 1);
        assert_eq!(
            script.statements(),
            ["UPDATE t SET a = 1, b = '?' /* ? */ WHERE \"c?\" = 'it''s' -- ?"]
        );
    }
}

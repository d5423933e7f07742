//! A backend that writes SQL instead of running it: the offline (`--sql`) and preview
//! (`--dry-run`) modes drive the same engine into a script.

use std::collections::HashSet;

use super::{Backend, BackendError, Row, ServerOps, SessionSettings, Value};
use crate::revision::Dialect;

/// Collects the statements the engine would run, as one script for `dialect`.
#[derive(Debug)]
pub struct Script {
    dialect: Dialect,
    existing: HashSet<String>,
    out: String,
    statements: Vec<String>,
}

impl Script {
    /// An empty script; `existing` are the tables the database already has, and its columns
    /// that the engine asks about, as `<table>.<column>`.
    pub fn new(dialect: Dialect, existing: impl IntoIterator<Item = String>) -> Script {
        Script {
            dialect,
            existing: existing.into_iter().collect(),
            out: String::new(),
            statements: Vec::new(),
        }
    }

    /// The script written so far.
    pub fn text(&self) -> &str {
        &self.out
    }

    /// The statements written so far, one per entry.
    pub fn statements(&self) -> Vec<&str> {
        self.statements.iter().map(String::as_str).collect()
    }

    fn statement(&mut self, sql: &str) {
        let sql = sql.trim_end();
        self.statements.push(sql.to_string());
        let body = sql.strip_suffix(';').unwrap_or(sql);
        self.out.push_str(body);
        // A `;` after a trailing `--` comment would be commented out.
        let last_line = body.rsplit('\n').next().unwrap_or_default();
        self.out.push_str(if last_line.contains("--") {
            "\n;\n\n"
        } else {
            ";\n\n"
        });
    }

    fn literal(&self, value: &Value) -> String {
        value.literal(self.dialect)
    }
}

/// Marks bound parameter `n` in SQL the engine builds; replaced by a literal in [`Script::execute`].
fn marker(n: usize) -> String {
    format!("\u{1}{n}\u{1}")
}

impl Backend for Script {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn try_lock(&mut self, _name: &str) -> Result<bool, BackendError> {
        Ok(true)
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        Ok(self.existing.contains(table))
    }

    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool, BackendError> {
        Ok(self.existing.contains(&format!("{table}.{column}")))
    }

    fn begin(&mut self) -> Result<(), BackendError> {
        self.statement("BEGIN");
        Ok(())
    }

    fn commit(&mut self) -> Result<(), BackendError> {
        self.statement("COMMIT");
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), BackendError> {
        self.statement("ROLLBACK");
        Ok(())
    }

    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.statement(sql);
        Ok(())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        let mut text = sql.to_string();
        for (i, value) in params.iter().enumerate().rev() {
            text = text.replace(&marker(i + 1), &self.literal(value));
        }
        self.statement(&text);
        Ok(0)
    }

    fn query(&mut self, sql: &str, _params: &[Value]) -> Result<Vec<Row>, BackendError> {
        Err(BackendError::message(format!(
            "a script cannot read the database (asked: {sql})"
        )))
    }

    fn placeholder(&self, n: usize) -> String {
        marker(n)
    }

    fn note(&mut self, text: std::fmt::Arguments<'_>) {
        for line in text.to_string().lines() {
            self.out.push_str("-- ");
            self.out.push_str(line);
            self.out.push('\n');
        }
        self.out.push('\n');
    }

    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        Some(self)
    }
}

/// A script is run by the operator's own client: of the session settings it writes only the
/// storage engine of new tables (the lock waits are the client's to choose).
impl ServerOps for Script {
    fn migration_session(
        &mut self,
        settings: Option<&SessionSettings>,
    ) -> Result<(), BackendError> {
        if let Some(engine) = settings.and_then(|s| s.table_engine.as_deref())
            && self.dialect == Dialect::Mysql
        {
            let engine = self.dialect.string_literal(engine);
            self.statement(&format!("SET default_storage_engine = {engine}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_literals_of_the_dialect() {
        let mut s = Script::new(Dialect::Mysql, []);
        let sql = format!(
            "INSERT INTO t VALUES ({}, {}, {})",
            s.placeholder(1),
            s.placeholder(2),
            s.placeholder(3)
        );
        s.execute(&sql, &["it's a \\ path".into(), 7.into(), Value::Null])
            .unwrap();
        assert_eq!(
            s.statements(),
            ["INSERT INTO t VALUES (_utf8mb4 X'697427732061205C2070617468', 7, NULL)"]
        );
        let mut s = Script::new(Dialect::Postgresql, []);
        s.execute(&format!("SELECT {}", s.placeholder(1)), &["a\\b'".into()])
            .unwrap();
        assert_eq!(s.statements(), ["SELECT E'a\\\\b'''"]);
    }

    #[test]
    fn a_trailing_comment_cannot_swallow_the_terminator() {
        let mut s = Script::new(Dialect::Sqlite, ["t".to_string()]);
        s.run("CREATE TABLE t (x INT) -- the table").unwrap();
        s.run("DROP TABLE t;").unwrap();
        assert_eq!(
            s.text(),
            "CREATE TABLE t (x INT) -- the table\n;\n\nDROP TABLE t;\n\n"
        );
        assert!(s.table_exists("t").unwrap() && !s.table_exists("u").unwrap());
    }
}

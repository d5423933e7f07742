//! A backend that writes SQL instead of running it: the offline (`--sql`) and preview
//! (`--dry-run`) modes drive the same engine into a script.

use std::collections::HashSet;
use std::time::Duration;

use super::{Backend, BackendError, Row, Value};
use crate::revision::Dialect;

/// Collects the statements the engine would run, as one script for `dialect`.
#[derive(Debug)]
pub struct Script {
    dialect: Dialect,
    existing: HashSet<String>,
    out: String,
}

impl Script {
    /// An empty script; `existing` are the tables the database already has.
    pub fn new(dialect: Dialect, existing: impl IntoIterator<Item = String>) -> Script {
        Script {
            dialect,
            existing: existing.into_iter().collect(),
            out: String::new(),
        }
    }

    /// The script written so far.
    pub fn text(&self) -> &str {
        &self.out
    }

    fn statement(&mut self, sql: &str) {
        let sql = sql.trim_end();
        self.out.push_str(sql);
        if !sql.ends_with(';') {
            self.out.push(';');
        }
        self.out.push_str("\n\n");
    }

    fn literal(&self, value: &Value) -> String {
        match value {
            Value::Null => "NULL".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Text(s) => self.dialect.string_literal(s),
        }
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

    fn lock(&mut self, _name: &str, _timeout: Duration) -> Result<(), BackendError> {
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        Ok(self.existing.contains(table))
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
        Err(BackendError::Database(format!(
            "a script cannot read the database (asked: {sql})"
        )))
    }

    fn placeholder(&self, n: usize) -> String {
        marker(n)
    }

    fn note(&mut self, text: &str) {
        for line in text.lines() {
            self.out.push_str("-- ");
            self.out.push_str(line);
            self.out.push('\n');
        }
        self.out.push('\n');
    }
}

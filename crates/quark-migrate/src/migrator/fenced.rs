//! The connection a run holds a leased lock on, fenced: every statement first checks that the
//! lease still holds, and every commit goes through the lease (see [`super::lease::Fence`]), so
//! a migrator that lost its lease (taken over while it was paused, or cut off from renewing it)
//! stops before its next statement and records nothing.

use std::sync::Arc;

use super::lease::Fence;
use crate::backend::{Backend, BackendError, BatchError, Row, ServerOps, TextRows, Tuning, Value};
use crate::revision::Dialect;

/// A backend whose statements and commits are conditioned on a lease.
pub(super) struct Fenced<'a> {
    pub(super) inner: &'a mut dyn Backend,
    pub(super) fence: Arc<Fence>,
}

impl Fenced<'_> {
    /// `e`, or the lost lease when the lease has run out meanwhile: a statement that failed
    /// after it (sent just before the process was paused, and refused once another migrator had
    /// done its work, or its transaction aborted by the other's writes) failed because of that.
    fn cause(&self, e: BackendError) -> BackendError {
        match self.fence.check() {
            Err(lost) => lost,
            Ok(()) => e,
        }
    }
}

/// Whether `sql` is a bare `COMMIT`.
fn is_commit(sql: &str) -> bool {
    sql.trim()
        .trim_end_matches(';')
        .trim()
        .eq_ignore_ascii_case("COMMIT")
}

impl Backend for Fenced<'_> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, BackendError> {
        self.inner.try_lock(name)
    }
    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.inner.lock_holder(name)
    }
    fn unlock(&mut self) -> Result<(), BackendError> {
        self.inner.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        self.fence.check()?;
        self.inner.table_exists(table).map_err(|e| self.cause(e))
    }
    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool, BackendError> {
        self.fence.check()?;
        self.inner
            .column_exists(table, column)
            .map_err(|e| self.cause(e))
    }
    fn begin(&mut self) -> Result<(), BackendError> {
        self.fence.check()?;
        self.inner.begin().map_err(|e| self.cause(e))
    }
    fn commit(&mut self) -> Result<(), BackendError> {
        self.fence.commit(self.inner)
    }
    fn rollback(&mut self) -> Result<(), BackendError> {
        self.inner.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.fence.check()?;
        self.inner.run(sql).map_err(|e| self.cause(e))
    }
    /// The batch up to each `COMMIT` as one batch, then that commit through the lease.
    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        let mut from = 0;
        while from < statements.len() {
            let to = statements[from..]
                .iter()
                .position(|s| is_commit(s))
                .map(|p| from + p);
            let end = to.unwrap_or(statements.len());
            self.fence
                .check()
                .map_err(|error| BatchError { index: None, error })?;
            if end > from {
                self.inner
                    .run_batch(&statements[from..end])
                    .map_err(|e| BatchError {
                        index: e.index.map(|i| from + i),
                        error: self.cause(e.error),
                    })?;
            }
            let Some(commit) = to else { break };
            self.commit().map_err(|error| BatchError {
                index: Some(commit),
                error,
            })?;
            from = commit + 1;
        }
        Ok(())
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        self.fence.check()?;
        self.inner.execute(sql, params).map_err(|e| self.cause(e))
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        self.fence.check()?;
        self.inner.query(sql, params).map_err(|e| self.cause(e))
    }
    fn execute_many(&mut self, sql: &str, rows: &[Vec<Value>]) -> Result<u64, BackendError> {
        self.fence.check()?;
        self.inner
            .execute_many(sql, rows)
            .map_err(|e| self.cause(e))
    }
    fn update_rows(
        &mut self,
        table: &str,
        key: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<u64, BackendError> {
        self.fence.check()?;
        self.inner
            .update_rows(table, key, columns, rows)
            .map_err(|e| self.cause(e))
    }
    fn query_text(&mut self, queries: &[&str]) -> Result<Vec<TextRows>, BackendError> {
        self.fence.check()?;
        self.inner.query_text(queries).map_err(|e| self.cause(e))
    }
    fn placeholder(&self, n: usize) -> String {
        self.inner.placeholder(n)
    }
    fn quote(&self, name: &str) -> String {
        self.inner.quote(name)
    }
    fn transactional_ddl(&self) -> bool {
        self.inner.transactional_ddl()
    }
    fn auto_increment_key(&self) -> &'static str {
        self.inner.auto_increment_key()
    }
    fn note(&mut self, text: std::fmt::Arguments<'_>) {
        self.inner.note(text)
    }
    fn tuning(&self) -> Tuning {
        self.inner.tuning()
    }
    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        self.inner.server_ops()
    }
}

#[cfg(test)]
mod tests {
    use super::is_commit;

    #[test]
    fn commits_are_told_apart_from_other_statements() {
        for yes in ["COMMIT", "commit;", "  Commit ; "] {
            assert!(is_commit(yes), "{yes}");
        }
        for no in ["COMMIT AND CHAIN", "SELECT 'COMMIT'", "BEGIN"] {
            assert!(!is_commit(no), "{no}");
        }
    }
}

//! A connection that records what the engine sends through it, for tests that count or read
//! the statements of a start-up.

use std::sync::Mutex;

use quark_migrate::backend::{
    Backend, BackendError, BatchError, Row, ServerOps, TextRows, Tuning, Value,
};

/// A connection that records every statement the engine sends through it.
pub struct Recording {
    pub inner: Box<dyn Backend>,
    pub sent: std::sync::Arc<Mutex<Vec<String>>>,
}

impl Recording {
    fn record(&self, sql: &str) {
        self.sent.lock().unwrap().push(sql.to_string());
    }
}

impl Backend for Recording {
    fn dialect(&self) -> quark_migrate::revision::Dialect {
        self.inner.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, BackendError> {
        self.record(&format!("<lock {name}>"));
        self.inner.try_lock(name)
    }
    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.inner.lock_holder(name)
    }
    fn unlock(&mut self) -> Result<(), BackendError> {
        self.inner.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        self.inner.table_exists(table)
    }
    fn begin(&mut self) -> Result<(), BackendError> {
        self.record("BEGIN");
        self.inner.begin()
    }
    fn commit(&mut self) -> Result<(), BackendError> {
        self.record("COMMIT");
        self.inner.commit()
    }
    fn rollback(&mut self) -> Result<(), BackendError> {
        self.inner.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.record(sql);
        self.inner.run(sql)
    }
    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        for s in statements {
            self.record(s);
        }
        self.inner.run_batch(statements)
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        self.record(sql);
        self.inner.execute(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        self.record(sql);
        self.inner.query(sql, params)
    }
    fn query_text(&mut self, queries: &[&str]) -> Result<Vec<TextRows>, BackendError> {
        for q in queries {
            self.record(q);
        }
        self.inner.query_text(queries)
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
    fn tuning(&self) -> Tuning {
        self.inner.tuning()
    }
    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        self.inner.server_ops()
    }
}

//! What goes with each transaction behind a transaction pooler (the statement wait, a tenant's
//! search path), and a tenant's schema: set for the session on a direct connection, else in
//! every transaction, a statement outside one being sent in one of the driver's own, so that
//! nothing of one tenant stays on a server connection a pooler hands to another client.

use super::client::{Call, Reply};
use super::{BackendError, Postgres};
use crate::backend::Backend;
use crate::revision::Dialect;

impl Postgres<'_> {
    /// Makes `call` on the connection, off any async runtime: in a transaction of its own that
    /// sets the tenant's search path, when that goes with each transaction and none is open.
    pub(super) fn call(&mut self, call: Call) -> Result<Reply, BackendError> {
        // The settings are written out only for a call that needs them.
        let settings = (self.path_per_transaction() && !self.in_transaction)
            .then(|| self.local_settings())
            .flatten();
        let Some(wrapped) = settings else {
            return self.client.as_mut().expect("open until dropped").call(call);
        };
        let client = self.client.as_mut().expect("open until dropped");
        client.call(Call::Batch(format!("BEGIN;\n{wrapped}")))?;
        match client.call(call) {
            Ok(reply) => client.call(Call::Batch("COMMIT".into())).map(|_| reply),
            Err(e) => {
                let _ = client.call(Call::Batch("ROLLBACK".into()));
                Err(e)
            }
        }
    }

    /// Runs `statements` as one script, knowing which of them open or end a transaction.
    pub(super) fn script(
        &mut self,
        statements: &[&str],
        script: String,
    ) -> Result<(), BackendError> {
        let opens = statements.first().and_then(|s| transaction_edge(s)) == Some(true);
        if opens {
            self.in_transaction = true;
        }
        let result = self.call(Call::Batch(script));
        // A failed statement leaves the transaction it was in open (aborted) until rolled back.
        if result.is_ok() || !opens {
            for edge in statements.iter().filter_map(|s| transaction_edge(s)) {
                self.in_transaction = edge;
            }
        }
        result.map(|_| ())
    }

    /// The settings each transaction makes for itself behind a transaction pooler.
    pub(super) fn local_settings(&self) -> Option<String> {
        let timeout = self.local_lock_timeout.map(|timeout| {
            format!(
                "SET LOCAL lock_timeout = '{}ms';\nSET LOCAL standard_conforming_strings = on",
                timeout.as_millis().max(1)
            )
        });
        let path = self
            .schema
            .as_deref()
            .filter(|_| self.path_per_transaction())
            .map(|schema| search_path(schema).replacen("SET ", "SET LOCAL ", 1));
        match (timeout, path) {
            (Some(t), Some(p)) => Some(format!("{t};\n{p}")),
            (t, p) => t.or(p),
        }
    }

    /// Puts `schema`, which must exist, alone on the search path: for the session on a direct
    /// connection, else for each transaction, so that nothing of one tenant stays on a server
    /// connection a pooler hands to another client.
    pub(super) fn enter_schema(&mut self, schema: Option<String>) -> Result<(), BackendError> {
        let Some(schema) = schema else {
            return Ok(());
        };
        let found = self.query(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
            &[schema.as_str().into()],
        )?;
        if found.is_empty() {
            return Err(BackendError::connect(
                self.target.clone(),
                format!(
                    "the schema {schema} does not exist: create it (CREATE SCHEMA {}) before migrating the tenant",
                    Dialect::Postgresql.quote(&schema)
                ),
                None,
            ));
        }
        let pooled = self.is_pooled()?;
        if !pooled {
            self.run(&search_path(&schema))?;
        }
        self.target = format!("{} schema {schema}", self.plain_target);
        self.schema = Some(schema);
        Ok(())
    }

    /// Whether the tenant's search path goes with each transaction.
    pub(super) fn path_per_transaction(&self) -> bool {
        self.schema.is_some() && self.pooled == Some(true)
    }
}

/// The statement that puts `schema` alone on the search path.
fn search_path(schema: &str) -> String {
    format!("SET search_path TO {}", Dialect::Postgresql.quote(schema))
}

/// Whether `sql` opens a transaction (`Some(true)`), ends one (`Some(false)`), or neither.
fn transaction_edge(sql: &str) -> Option<bool> {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty());
    let first = words.next()?.to_ascii_uppercase();
    match first.as_str() {
        "BEGIN" | "START" => Some(true),
        "COMMIT" | "END" | "ABORT" => Some(false),
        "ROLLBACK" => match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("TO") => None,
            _ => Some(false),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::transaction_edge;

    #[test]
    fn statements_that_open_or_end_a_transaction() {
        for (sql, edge) in [
            ("BEGIN", Some(true)),
            ("begin;\nSET LOCAL x = 1", Some(true)),
            ("START TRANSACTION READ ONLY", Some(true)),
            ("COMMIT", Some(false)),
            (" rollback ;", Some(false)),
            ("ROLLBACK TO SAVEPOINT s", None),
            ("END", Some(false)),
            ("SELECT 1", None),
            ("", None),
        ] {
            assert_eq!(transaction_edge(sql), edge, "{sql:?}");
        }
    }
}

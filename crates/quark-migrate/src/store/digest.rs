//! What lets a start-up at head read a constant amount however long the history is
//! (`<version table>_digest`, one row): the digest of what a build accepts as applied
//! ([`crate::build::accepted_digests`]) that last checked this database's whole history and
//! found it sound, and the newest history row then. While the history has not grown since and
//! the version rows are a build's heads, a build with the same digest would find the same: it
//! reads the version rows, the newest history row and this row, in one round trip, and nothing
//! more. Anything else (another digest, a newer history row, no row) sends it the full way,
//! which writes the row again once it passes. Like the history itself the row can be written by
//! anyone with write access to the engine's tables: `verify` always reads the whole history.

use super::Store;
use super::state::unfinished;
use crate::backend::{Backend, BackendError, TextRows, Value};

/// The key of the table's one row.
const ROW: &str = "accepted";

impl Store {
    /// The name of the table that keeps the digest of the last full check
    /// (`<version table>_digest`).
    pub fn digest_table(&self) -> String {
        format!("{}_digest", self.version_table)
    }

    /// The statement that creates the digest table.
    pub(super) fn create_digest_table(&self, db: &dyn Backend) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (name VARCHAR(16) NOT NULL PRIMARY KEY, \
             digest VARCHAR(64) NOT NULL, history_id BIGINT){}",
            db.quote(&self.digest_table()),
            db.dialect().own_table_options()
        )
    }

    /// The version rows when they are exactly `heads` (sorted), the newest history row is no
    /// step left part-way, and a build whose digest is `digest` checked the whole history as it
    /// stands: the constant start-up check, one round trip. `None` when that is not certain (no
    /// digest row yet, another digest, a history grown since, a table missing).
    pub fn at_heads_by_digest(
        &self,
        db: &mut dyn Backend,
        heads: &[&str],
        digest: &str,
    ) -> Option<Vec<String>> {
        let versions = format!("SELECT version_num FROM {}", db.quote(&self.version_table));
        let newest = format!(
            "SELECT id, outcome, statements_done FROM {} ORDER BY id DESC LIMIT 1",
            db.quote(&self.history_table)
        );
        let row = format!(
            "SELECT digest, history_id FROM {}",
            db.quote(&self.digest_table())
        );
        let [versions, newest, row]: [TextRows; 3] = db
            .query_text(&[&versions, &newest, &row])
            .ok()?
            .try_into()
            .ok()?;
        let mut rows: Vec<String> = versions
            .into_iter()
            .filter_map(|r| r.into_iter().next()?)
            .collect();
        rows.sort_unstable();
        if !rows.iter().map(String::as_str).eq(heads.iter().copied()) {
            return None;
        }
        let (newest_id, left_part_way) = match newest.first() {
            Some(r) => (
                r.first().cloned().flatten(),
                unfinished(r.get(1).cloned().flatten(), r.get(2).cloned().flatten()),
            ),
            None => (None, false),
        };
        let [recorded] = &row[..] else {
            return None;
        };
        let same_digest = recorded.first().cloned().flatten().as_deref() == Some(digest);
        let same_history = recorded.get(1).cloned().flatten() == newest_id;
        (same_digest && same_history && !left_part_way).then_some(rows)
    }

    /// Records that a build whose digest is `digest` checked the whole history, whose newest row
    /// is `history_id`, and found it sound; in its own transaction.
    pub fn record_digest(
        &self,
        db: &mut dyn Backend,
        digest: &str,
        history_id: Option<i64>,
    ) -> Result<(), BackendError> {
        let table = db.quote(&self.digest_table());
        db.begin()?;
        let written = db
            .execute(&format!("DELETE FROM {table}"), &[])
            .and_then(|_| {
                db.execute(
                    &format!(
                        "INSERT INTO {table} (name, digest, history_id) VALUES ({}, {}, {})",
                        db.placeholder(1),
                        db.placeholder(2),
                        db.placeholder(3)
                    ),
                    &[
                        ROW.into(),
                        digest.into(),
                        history_id.map_or(Value::Null, Value::Int),
                    ],
                )
            })
            .and_then(|_| db.commit());
        if written.is_err() {
            let _ = db.rollback();
        }
        written
    }
}

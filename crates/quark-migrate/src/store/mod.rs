//! The version table (Alembic's `alembic_version`) and the history table beside it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::backend::{Backend, BackendError, Value};
use crate::revision::Direction;

mod digest;
mod instances;
mod records;
mod schema_record;
mod state;

pub use instances::InstanceRecord;
pub use records::RevisionRecord;
pub use schema_record::SchemaRecord;

/// What a history row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A revision applied.
    Upgrade,
    /// A revision reverted.
    Downgrade,
    /// The version table set without running SQL.
    Stamp,
}

impl Operation {
    /// The name stored in the history table.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Upgrade => "upgrade",
            Operation::Downgrade => "downgrade",
            Operation::Stamp => "stamp",
        }
    }

    fn from_name(name: &str) -> Option<Operation> {
        [Operation::Upgrade, Operation::Downgrade, Operation::Stamp]
            .into_iter()
            .find(|o| o.name() == name)
    }
}

impl Operation {
    /// The direction a step of this operation runs its SQL in; `None` for a stamp, which runs
    /// none.
    pub fn direction(self) -> Option<Direction> {
        match self {
            Operation::Upgrade => Some(Direction::Upgrade),
            Operation::Downgrade => Some(Direction::Downgrade),
            Operation::Stamp => None,
        }
    }
}

impl From<Direction> for Operation {
    fn from(d: Direction) -> Operation {
        match d {
            Direction::Upgrade => Operation::Upgrade,
            Direction::Downgrade => Operation::Downgrade,
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a history row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The step completed and was recorded.
    Success,
    /// The step failed; see the error column.
    Failed,
    /// The step is running, or its process ended before it finished.
    InProgress,
}

impl Outcome {
    /// The name stored in the history table.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failed => "failed",
            Outcome::InProgress => "in_progress",
        }
    }

    fn from_name(name: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failed, Outcome::InProgress]
            .into_iter()
            .find(|o| o.name() == name)
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The revision (`base` for a stamp to base).
    pub revision: String,
    /// What ran.
    pub operation: Operation,
    /// SHA-256 of the SQL (or Rust source) that ran, when something ran.
    pub checksum: Option<String>,
    /// When the step started, RFC 3339 UTC.
    pub applied_at: String,
    /// How long it took.
    pub duration: Duration,
    /// How it ended.
    pub outcome: Outcome,
    /// Statements in the step.
    pub statements: usize,
    /// Statements that completed.
    pub statements_done: usize,
    /// The error, for a failed step.
    pub error: Option<String>,
}

/// A version table name that is not a plain SQL identifier.
#[derive(Debug, Clone, Error)]
#[error(
    "invalid version table name '{0}': use letters, digits and '_', starting with a letter or '_' (at most 50 characters)"
)]
pub struct TableNameError(pub String);

/// The version table and its history table.
#[derive(Debug, Clone)]
pub struct Store {
    version_table: String,
    history_table: String,
}

/// A count as the history table stores it.
fn count(n: usize) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A duration as the history table stores it, in milliseconds.
fn millis(d: Duration) -> Value {
    Value::Int(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The history columns every read selects, in the order `entry_from_row` expects.
const HISTORY_COLUMNS: &str = "revision, direction, checksum, applied_at, duration_ms, outcome, statements, statements_done, error";

/// The default version table, shared with Alembic.
pub const DEFAULT_VERSION_TABLE: &str = "alembic_version";

impl Default for Store {
    fn default() -> Store {
        Store::new(DEFAULT_VERSION_TABLE).expect("the default table name is valid")
    }
}

impl Store {
    /// A store using `version_table` and `<version_table>_history`.
    pub fn new(version_table: &str) -> Result<Store, TableNameError> {
        let valid = (1..=50).contains(&version_table.len())
            && version_table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !version_table.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(TableNameError(version_table.to_string()));
        }
        Ok(Store {
            version_table: version_table.to_string(),
            history_table: format!("{version_table}_history"),
        })
    }

    /// The version table's name.
    pub fn version_table(&self) -> &str {
        &self.version_table
    }

    /// The history table's name.
    pub fn history_table(&self) -> &str {
        &self.history_table
    }

    /// Every table the engine keeps its own state in (version, history, revision records and
    /// their signatures, lock, schema record, live instances, digest of the last full check):
    /// never part of an application's schema.
    pub fn own_tables(&self) -> [String; 8] {
        [
            self.version_table.clone(),
            self.history_table.clone(),
            self.records_table(),
            self.signatures_table(),
            self.lock_table(),
            self.schema_table(),
            self.instances_table(),
            self.digest_table(),
        ]
    }

    /// The name of the table that keeps the release's signature of each record
    /// (`<version table>_signatures`, see [`crate::remembered`]).
    pub fn signatures_table(&self) -> String {
        format!("{}_signatures", self.version_table)
    }

    /// The name of the table that remembers each applied revision ([`RevisionRecord`]).
    pub fn records_table(&self) -> String {
        format!("{}_revisions", self.version_table)
    }

    /// The name of the table that holds the migration lock where the server's own locks cannot
    /// (`<version table>_lock`).
    pub fn lock_table(&self) -> String {
        format!("{}_lock", self.version_table)
    }

    /// The revisions in the version table; empty when the table does not exist.
    pub fn heads(&self, db: &mut dyn Backend) -> Result<Vec<String>, BackendError> {
        if !db.table_exists(&self.version_table)? {
            return Ok(Vec::new());
        }
        self.read_heads(db)
    }

    /// The revisions in the version table, sorted; an error when the table does not exist.
    pub fn read_heads(&self, db: &mut dyn Backend) -> Result<Vec<String>, BackendError> {
        // Sorted here rather than by the server (see `read_state`).
        let sql = format!("SELECT version_num FROM {}", db.quote(&self.version_table));
        let mut heads: Vec<String> = db
            .query(&sql, &[])?
            .into_iter()
            .filter_map(|r| match r.into_iter().next()? {
                Value::Text(head) => Some(head),
                _ => None,
            })
            .collect();
        heads.sort_unstable();
        Ok(heads)
    }

    /// Creates the version and history tables when missing (`IF NOT EXISTS` as well, so that an
    /// offline script may assume neither).
    pub fn ensure(&self, db: &mut dyn Backend) -> Result<(), BackendError> {
        let mut create = Vec::new();
        if !db.table_exists(&self.version_table)? {
            create.push(format!(
                "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {} PRIMARY KEY (version_num)){}",
                db.quote(&self.version_table),
                db.quote(&format!("{}_pkc", self.version_table)),
                db.dialect().own_table_options()
            ));
        }
        if !db.table_exists(&self.history_table)? {
            create.push(format!(
                "CREATE TABLE IF NOT EXISTS {} (id {}, revision VARCHAR(32) NOT NULL, direction VARCHAR(16) NOT NULL, \
                 checksum VARCHAR(64), applied_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL, \
                 outcome VARCHAR(16) NOT NULL, statements BIGINT NOT NULL, statements_done BIGINT NOT NULL, \
                 error TEXT){}",
                db.quote(&self.history_table),
                db.auto_increment_key(),
                db.dialect().own_table_options()
            ));
        }
        let records = self.records_table();
        if !db.table_exists(&records)? {
            let text = match db.dialect() {
                crate::revision::Dialect::Mysql => "LONGTEXT",
                _ => "TEXT",
            };
            create.push(format!(
                "CREATE TABLE IF NOT EXISTS {} (revision VARCHAR(32) NOT NULL PRIMARY KEY, \
                 parents VARCHAR(1000) NOT NULL, depends_on VARCHAR(1000) NOT NULL, \
                 branch_labels VARCHAR(1000) NOT NULL, message {text} NOT NULL, breaking {text}, \
                 transactional INT NOT NULL, downgrade {text}, downgrade_checksum VARCHAR(64), \
                 no_downgrade VARCHAR(255), recorded_at VARCHAR(40) NOT NULL, \
                 compatible_from VARCHAR(32)){}",
                db.quote(&records),
                db.dialect().own_table_options()
            ));
        } else if !self.records_know_compatibility(db)? {
            // Made by a release before `Compatible From:`: the column is added (NULL: breaks
            // every older release, as `Breaking:` alone always meant).
            create.push(format!(
                "ALTER TABLE {} ADD COLUMN compatible_from VARCHAR(32)",
                db.quote(&records)
            ));
        }
        let signatures = self.signatures_table();
        if !db.table_exists(&signatures)? {
            create.push(format!(
                "CREATE TABLE IF NOT EXISTS {} (revision VARCHAR(32) NOT NULL PRIMARY KEY, \
                 signature VARCHAR(200) NOT NULL){}",
                db.quote(&signatures),
                db.dialect().own_table_options()
            ));
        }
        if !db.table_exists(&self.schema_table())? {
            create.push(self.create_schema_table(db));
        }
        if !db.table_exists(&self.instances_table())? {
            create.push(self.create_instances_table(db));
        }
        if !db.table_exists(&self.digest_table())? {
            create.push(self.create_digest_table(db));
        }
        // The tables in one transaction where DDL can be: one commit, and never only some.
        let together = create.len() > 1 && db.transactional_ddl();
        if together {
            db.begin()?;
        }
        for sql in &create {
            if let Err(e) = db.run(sql) {
                if together {
                    let _ = db.rollback();
                }
                return Err(e);
            }
        }
        if together {
            db.commit()?;
        }
        Ok(())
    }

    /// Replaces the rows `remove` by the rows `add` in the version table.
    pub fn replace_heads(
        &self,
        db: &mut dyn Backend,
        remove: &[String],
        add: &[String],
    ) -> Result<(), BackendError> {
        let table = db.quote(&self.version_table);
        // One row becoming another is an UPDATE, as Alembic writes it; the rest delete or insert.
        let paired = remove.len().min(add.len());
        for (r, a) in remove.iter().zip(add) {
            let sql = format!(
                "UPDATE {table} SET version_num = {} WHERE version_num = {}",
                db.placeholder(1),
                db.placeholder(2)
            );
            db.execute(&sql, &[a.as_str().into(), r.as_str().into()])?;
        }
        for r in &remove[paired..] {
            let sql = format!(
                "DELETE FROM {table} WHERE version_num = {}",
                db.placeholder(1)
            );
            db.execute(&sql, &[r.as_str().into()])?;
        }
        for a in &add[paired..] {
            let sql = format!(
                "INSERT INTO {table} (version_num) VALUES ({})",
                db.placeholder(1)
            );
            db.execute(&sql, &[a.as_str().into()])?;
        }
        Ok(())
    }

    /// Deletes every row of the version table.
    pub fn clear_heads(&self, db: &mut dyn Backend) -> Result<(), BackendError> {
        let sql = format!("DELETE FROM {}", db.quote(&self.version_table));
        db.execute(&sql, &[]).map(|_| ())
    }

    /// Appends a history row.
    pub fn record(&self, db: &mut dyn Backend, e: &HistoryEntry) -> Result<(), BackendError> {
        self.record_timed(db, e, None)
    }

    /// [`Store::record`], its duration computed by the server with the SQL expression
    /// `elapsed_ms` (see [`Backend::batch_elapsed_ms`]) instead of taken from `e`.
    pub fn record_timed(
        &self,
        db: &mut dyn Backend,
        e: &HistoryEntry,
        elapsed_ms: Option<&str>,
    ) -> Result<(), BackendError> {
        /// A value to insert: bound as a parameter, or an SQL expression.
        enum Column<'e> {
            Bound(Value),
            Sql(&'e str),
        }
        let duration = match elapsed_ms {
            Some(expression) => Column::Sql(expression),
            None => Column::Bound(millis(e.duration)),
        };
        let columns = [
            Column::Bound(e.revision.as_str().into()),
            Column::Bound(e.operation.name().into()),
            Column::Bound(e.checksum.as_deref().into()),
            Column::Bound(e.applied_at.as_str().into()),
            duration,
            Column::Bound(e.outcome.name().into()),
            Column::Bound(count(e.statements)),
            Column::Bound(count(e.statements_done)),
            Column::Bound(e.error.as_deref().into()),
        ];
        let mut params = Vec::with_capacity(columns.len());
        let mut values = Vec::with_capacity(columns.len());
        for column in columns {
            match column {
                Column::Bound(value) => {
                    params.push(value);
                    values.push(db.placeholder(params.len()));
                }
                Column::Sql(expression) => values.push(expression.to_string()),
            }
        }
        let sql = format!(
            "INSERT INTO {} (revision, direction, checksum, applied_at, duration_ms, outcome, statements, statements_done, error) VALUES ({})",
            db.quote(&self.history_table),
            values.join(", ")
        );
        db.execute(&sql, &params).map(|_| ())
    }

    /// Every history row, oldest first; empty when there is no history table.
    pub fn history(&self, db: &mut dyn Backend) -> Result<Vec<HistoryEntry>, BackendError> {
        if !db.table_exists(&self.history_table)? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {HISTORY_COLUMNS} FROM {} ORDER BY id",
            db.quote(&self.history_table)
        );
        db.query(&sql, &[])?
            .iter()
            .map(|r| entry_from_row(r))
            .collect()
    }

    /// The newest history row, if any.
    pub fn last_entry(&self, db: &mut dyn Backend) -> Result<Option<HistoryEntry>, BackendError> {
        if !db.table_exists(&self.history_table)? {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {HISTORY_COLUMNS} FROM {} ORDER BY id DESC LIMIT 1",
            db.quote(&self.history_table)
        );
        db.query(&sql, &[])?
            .first()
            .map(|r| entry_from_row(r))
            .transpose()
    }

    /// Updates the in-progress row of `e.revision` with `e`'s outcome, progress, duration and error.
    pub fn update(&self, db: &mut dyn Backend, e: &HistoryEntry) -> Result<(), BackendError> {
        let p: Vec<String> = (1..=6).map(|n| db.placeholder(n)).collect();
        // The step's row is the newest in progress for its revision: found from the newest
        // row back, not by reading the whole history.
        let sql = db.dialect().update_newest(
            &db.quote(&self.history_table),
            &format!(
                "outcome = {}, statements_done = {}, duration_ms = {}, error = {}",
                p[0], p[1], p[2], p[3]
            ),
            &format!("revision = {} AND outcome = {}", p[4], p[5]),
        );
        let params = [
            e.outcome.name().into(),
            count(e.statements_done),
            millis(e.duration),
            e.error.as_deref().into(),
            e.revision.as_str().into(),
            Outcome::InProgress.name().into(),
        ];
        db.execute(&sql, &params).map(|_| ())
    }

    /// The checksum recorded by the latest successful upgrade of each revision.
    pub fn applied_checksums(
        &self,
        db: &mut dyn Backend,
    ) -> Result<HashMap<String, String>, BackendError> {
        if !db.table_exists(&self.history_table)? {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT revision, checksum FROM {} WHERE direction = {} AND outcome = {} AND checksum IS NOT NULL ORDER BY id",
            db.quote(&self.history_table),
            db.placeholder(1),
            db.placeholder(2)
        );
        let rows = db.query(
            &sql,
            &[
                Operation::Upgrade.name().into(),
                Outcome::Success.name().into(),
            ],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((r[0].as_text()?.to_string(), r[1].as_text()?.to_string())))
            .collect())
    }

    /// A history entry for a step that starts now.
    pub fn entry(
        revision: &str,
        operation: Operation,
        checksum: Option<String>,
        statements: usize,
    ) -> HistoryEntry {
        HistoryEntry {
            revision: revision.to_string(),
            operation,
            checksum,
            applied_at: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            duration: Duration::ZERO,
            outcome: Outcome::Success,
            statements,
            statements_done: 0,
            error: None,
        }
    }
}

/// A history row as [`HISTORY_COLUMNS`] select it.
fn entry_from_row(r: &[Value]) -> Result<HistoryEntry, BackendError> {
    let text = |v: &Value| v.as_text().map(String::from);
    let count = |v: &Value| usize::try_from(v.as_int().unwrap_or(0)).unwrap_or(0);
    let revision = text(&r[0]).unwrap_or_default();
    let unknown = |what: &str, value: Option<String>| {
        BackendError::message(format!(
            "the history row of {revision} has an unknown {what} '{}': it was written by a newer version of this tool",
            value.unwrap_or_default()
        ))
    };
    Ok(HistoryEntry {
        operation: Operation::from_name(r[1].as_text().unwrap_or_default())
            .ok_or_else(|| unknown("direction", text(&r[1])))?,
        outcome: Outcome::from_name(r[5].as_text().unwrap_or_default())
            .ok_or_else(|| unknown("outcome", text(&r[5])))?,
        checksum: text(&r[2]),
        applied_at: text(&r[3]).unwrap_or_default(),
        duration: Duration::from_millis(u64::try_from(r[4].as_int().unwrap_or(0)).unwrap_or(0)),
        statements: count(&r[6]),
        statements_done: count(&r[7]),
        error: text(&r[8]),
        revision,
    })
}

impl HistoryEntry {
    /// Whether this row is a step that stopped part-way with some of its statements in effect
    /// (or that never finished), so the database may match no revision.
    pub fn is_unfinished(&self) -> bool {
        self.outcome == Outcome::InProgress
            || (self.outcome == Outcome::Failed && self.statements_done > 0)
    }

    /// Marks the entry finished with `outcome` after `done` statements.
    pub fn finish(
        &mut self,
        outcome: Outcome,
        done: usize,
        started: Instant,
        error: Option<String>,
    ) {
        self.outcome = outcome;
        self.statements_done = done;
        self.duration = started.elapsed();
        self.error = error;
    }
}

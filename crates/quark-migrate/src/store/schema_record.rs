//! What the schema the engine manages looked like after the last run that changed it
//! (`<version table>_schema`, one row): what a drift check compares the live schema with. It is
//! evidence only: the engine never runs anything it reads from it.

use super::Store;
use crate::backend::{Backend, BackendError, Value};

/// The key of the table's one row.
const ROW: &str = "schema";

use crate::schema::MAX_RECORD_BYTES as MOST_RECORD_BYTES;

/// The record of the schema, as stored, its description aside (read only when needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRecord {
    /// The version table's rows when it was recorded, sorted.
    pub heads: Vec<String>,
    /// The fingerprint of the description.
    pub fingerprint: String,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
    /// How long the description is.
    pub length: u64,
}

impl Store {
    /// The name of the table that records the schema after each run
    /// (`<version table>_schema`).
    pub fn schema_table(&self) -> String {
        format!("{}_schema", self.version_table)
    }

    /// The statement that creates the schema-record table.
    pub(super) fn create_schema_table(&self, db: &dyn Backend) -> String {
        let text = match db.dialect() {
            crate::revision::Dialect::Mysql => "LONGTEXT",
            _ => "TEXT",
        };
        format!(
            "CREATE TABLE IF NOT EXISTS {} (name VARCHAR(32) NOT NULL PRIMARY KEY, \
             heads VARCHAR(1000) NOT NULL, fingerprint VARCHAR(64) NOT NULL, \
             description {text} NOT NULL, recorded_at VARCHAR(40) NOT NULL){}",
            db.quote(&self.schema_table()),
            db.dialect().own_table_options()
        )
    }

    /// Replaces the record with `record` (its `recorded_at` is now).
    pub fn record_schema(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
        fingerprint: &str,
        description: &str,
    ) -> Result<(), BackendError> {
        let table = db.quote(&self.schema_table());
        db.execute(
            &format!("DELETE FROM {table} WHERE name = {}", db.placeholder(1)),
            &[ROW.into()],
        )?;
        let p: Vec<String> = (1..=5).map(|n| db.placeholder(n)).collect();
        let sql = format!(
            "INSERT INTO {table} (name, heads, fingerprint, description, recorded_at) VALUES ({})",
            p.join(", ")
        );
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        db.execute(
            &sql,
            &[
                ROW.into(),
                heads.join(" ").as_str().into(),
                fingerprint.into(),
                description.into(),
                now.as_str().into(),
            ],
        )
        .map(|_| ())
    }

    /// The record, its description aside, if one was written (none when the table is missing:
    /// a database no run of this release changed yet).
    pub fn schema_record(
        &self,
        db: &mut dyn Backend,
    ) -> Result<Option<SchemaRecord>, BackendError> {
        let table = self.schema_table();
        if !db.table_exists(&table)? {
            return Ok(None);
        }
        let sql = format!(
            "SELECT heads, fingerprint, recorded_at, LENGTH(description) FROM {} WHERE name = {}",
            db.quote(&table),
            db.placeholder(1)
        );
        let Some(row) = db.query(&sql, &[ROW.into()])?.into_iter().next() else {
            return Ok(None);
        };
        let length = row.get(3).and_then(Value::as_int).unwrap_or(0);
        let mut row = row.into_iter().map(Value::into_text);
        let mut next = || row.next().flatten().unwrap_or_default();
        let (heads, fingerprint, recorded_at) = (next(), next(), next());
        let mut heads: Vec<String> = heads.split_whitespace().map(str::to_string).collect();
        heads.sort_unstable();
        Ok(Some(SchemaRecord {
            heads,
            fingerprint,
            recorded_at,
            length: u64::try_from(length).unwrap_or(0),
        }))
    }

    /// The recorded description of `record`; an error when it is longer than
    /// [`crate::schema::MAX_RECORD_BYTES`] (checked before it is read) or gone.
    pub fn schema_description(
        &self,
        db: &mut dyn Backend,
        record: &SchemaRecord,
    ) -> Result<String, BackendError> {
        let table = self.schema_table();
        if record.length > MOST_RECORD_BYTES as u64 {
            return Err(BackendError::message(format!(
                "the schema record in {table} holds {} characters, more than the {MOST_RECORD_BYTES} a record may: it is not read",
                record.length
            )));
        }
        let sql = format!(
            "SELECT description FROM {} WHERE name = {} AND LENGTH(description) <= {}",
            db.quote(&table),
            db.placeholder(1),
            MOST_RECORD_BYTES
        );
        db.query(&sql, &[ROW.into()])?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next()?.into_text())
            .ok_or_else(|| {
                BackendError::message(format!(
                    "the schema record in {table} changed while it was read: read it again"
                ))
            })
    }
}

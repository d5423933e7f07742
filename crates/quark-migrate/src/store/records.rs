//! The revisions the database remembers (`<version table>_revisions`): what lets a binary that
//! does not embed a revision show it and take it back.

use std::collections::HashMap;

use super::Store;
use crate::backend::{Backend, BackendError, Value};

/// What the database remembers of an applied revision, written with its step: enough for a
/// binary that does not embed it to show it and to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRecord {
    /// The revision id.
    pub revision: String,
    /// Its parents (`Revises:`).
    pub parents: Vec<String>,
    /// What it depends on (`Depends On:`).
    pub depends_on: Vec<String>,
    /// Its branch labels.
    pub branch_labels: Vec<String>,
    /// Its message.
    pub message: String,
    /// Why releases before it cannot run on its schema (`Breaking:`).
    pub breaking: Option<String>,
    /// Whether its statements run in a transaction.
    pub transactional: bool,
    /// The statements that revert it on this database's dialect, as the applying binary would
    /// have run them; `None` when it cannot be reverted.
    pub downgrade: Option<String>,
    /// SHA-256 of `downgrade`.
    pub downgrade_checksum: Option<String>,
    /// Why there is no downgrade (irreversible, or written in Rust).
    pub no_downgrade: Option<String>,
}

impl Store {
    /// Records an applied revision, replacing an earlier record of it.
    pub fn remember(&self, db: &mut dyn Backend, r: &RevisionRecord) -> Result<(), BackendError> {
        self.forget(db, &r.revision)?;
        let p: Vec<String> = (1..=10).map(|n| db.placeholder(n)).collect();
        let sql = format!(
            "INSERT INTO {} (revision, parents, depends_on, branch_labels, message, breaking, transactional, \
             downgrade, downgrade_checksum, no_downgrade, recorded_at) VALUES ({}, {})",
            db.quote(&self.records_table()),
            p.join(", "),
            db.placeholder(11)
        );
        let params = [
            r.revision.as_str().into(),
            r.parents.join(" ").as_str().into(),
            r.depends_on.join(" ").as_str().into(),
            r.branch_labels.join(" ").as_str().into(),
            r.message.as_str().into(),
            r.breaking.as_deref().into(),
            Value::Int(r.transactional.into()),
            r.downgrade.as_deref().into(),
            r.downgrade_checksum.as_deref().into(),
            r.no_downgrade.as_deref().into(),
            humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string()
                .as_str()
                .into(),
        ];
        db.execute(&sql, &params).map(|_| ())
    }

    /// Deletes the record of a revision that was reverted.
    pub fn forget(&self, db: &mut dyn Backend, revision: &str) -> Result<(), BackendError> {
        let sql = format!(
            "DELETE FROM {} WHERE revision = {}",
            db.quote(&self.records_table()),
            db.placeholder(1)
        );
        db.execute(&sql, &[revision.into()]).map(|_| ())
    }

    /// Every revision record, by revision; empty when there is no records table.
    pub fn records(
        &self,
        db: &mut dyn Backend,
    ) -> Result<HashMap<String, RevisionRecord>, BackendError> {
        let table = self.records_table();
        if !db.table_exists(&table)? {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT revision, parents, depends_on, branch_labels, message, breaking, transactional, \
             downgrade, downgrade_checksum, no_downgrade FROM {}",
            db.quote(&table)
        );
        let words = |v: &Value| {
            v.as_text()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let text = |v: &Value| v.as_text().map(str::to_string);
        Ok(db
            .query(&sql, &[])?
            .iter()
            .map(|r| RevisionRecord {
                revision: text(&r[0]).unwrap_or_default(),
                parents: words(&r[1]),
                depends_on: words(&r[2]),
                branch_labels: words(&r[3]),
                message: text(&r[4]).unwrap_or_default(),
                breaking: text(&r[5]),
                transactional: r[6].as_int() != Some(0),
                downgrade: text(&r[7]),
                downgrade_checksum: text(&r[8]),
                no_downgrade: text(&r[9]),
            })
            .map(|r| (r.revision.clone(), r))
            .collect())
    }
}

//! The revisions the database remembers (`<version table>_revisions`): what lets a binary that
//! does not embed a revision show it and take it back.

use std::collections::HashMap;

use super::Store;

/// The records table's column added after 0.2 (`Compatible From:`).
pub(super) const COMPATIBLE_FROM: &str = "compatible_from";
use crate::backend::{Backend, BackendError, Value};
pub use crate::remembered::RevisionRecord;

impl Store {
    /// Records an applied revision, replacing an earlier record of it, with its signature
    /// where the release signed it.
    pub fn remember(&self, db: &mut dyn Backend, r: &RevisionRecord) -> Result<(), BackendError> {
        self.forget(db, &r.revision)?;
        if let Some(signature) = &r.signature {
            let sql = format!(
                "INSERT INTO {} (revision, signature) VALUES ({}, {})",
                db.quote(&self.signatures_table()),
                db.placeholder(1),
                db.placeholder(2)
            );
            db.execute(
                &sql,
                &[r.revision.as_str().into(), signature.as_str().into()],
            )?;
        }
        let mut columns = "revision, parents, depends_on, branch_labels, message, breaking, \
                           transactional, downgrade, downgrade_checksum, no_downgrade, recorded_at"
            .to_string();
        let mut params = vec![
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
        // Named only when set: a table made before the column existed takes every other record.
        if let Some(from) = &r.compatible_from {
            columns.push_str(", compatible_from");
            params.push(from.as_str().into());
        }
        let placeholders: Vec<String> = (1..=params.len()).map(|n| db.placeholder(n)).collect();
        let sql = format!(
            "INSERT INTO {} ({columns}) VALUES ({})",
            db.quote(&self.records_table()),
            placeholders.join(", ")
        );
        db.execute(&sql, &params).map(|_| ())
    }

    /// Deletes the record of a revision that was reverted, and its signature.
    pub fn forget(&self, db: &mut dyn Backend, revision: &str) -> Result<(), BackendError> {
        for table in [self.records_table(), self.signatures_table()] {
            let sql = format!(
                "DELETE FROM {} WHERE revision = {}",
                db.quote(&table),
                db.placeholder(1)
            );
            db.execute(&sql, &[revision.into()])?;
        }
        Ok(())
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
        // A table made before `Compatible From:` has no such column: NULL, as it meant then.
        let compatible_from = if self.records_know_compatibility(db)? {
            "compatible_from"
        } else {
            "NULL"
        };
        let sql = format!(
            "SELECT revision, parents, depends_on, branch_labels, message, breaking, transactional, \
             downgrade, downgrade_checksum, no_downgrade, {compatible_from} FROM {}",
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
        let mut signatures = self.signatures(db)?;
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
                compatible_from: text(&r[10]),
                transactional: r[6].as_int() != Some(0),
                downgrade: text(&r[7]),
                downgrade_checksum: text(&r[8]),
                no_downgrade: text(&r[9]),
                signature: text(&r[0]).and_then(|id| signatures.remove(&id)),
            })
            .map(|r| (r.revision.clone(), r))
            .collect())
    }

    /// Whether the records table has the `compatible_from` column (a release before it made
    /// the table without).
    pub(super) fn records_know_compatibility(
        &self,
        db: &mut dyn Backend,
    ) -> Result<bool, BackendError> {
        db.column_exists(&self.records_table(), COMPATIBLE_FROM)
    }

    /// The columns added to the engine's tables since they were first made that the database
    /// has, as `<table>.<column>` (what a preview's script is told exists).
    pub fn known_columns(&self, db: &mut dyn Backend) -> Result<Vec<String>, BackendError> {
        let mut known = Vec::new();
        if self.records_know_compatibility(db)? {
            known.push(format!("{}.{COMPATIBLE_FROM}", self.records_table()));
        }
        Ok(known)
    }

    /// The signatures kept beside the records, by revision; empty when there is no table.
    fn signatures(&self, db: &mut dyn Backend) -> Result<HashMap<String, String>, BackendError> {
        let table = self.signatures_table();
        if !db.table_exists(&table)? {
            return Ok(HashMap::new());
        }
        let sql = format!("SELECT revision, signature FROM {}", db.quote(&table));
        Ok(db
            .query(&sql, &[])?
            .into_iter()
            .filter_map(|r| Some((r[0].as_text()?.to_string(), r[1].as_text()?.to_string())))
            .collect())
    }
}

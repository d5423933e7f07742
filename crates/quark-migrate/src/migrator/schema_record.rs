//! The schema the engine manages, recorded after each run that changed it, and compared with
//! the live schema: what finds an index dropped by hand, a column added by a hotfix.

use super::Migrator;
use crate::app::log_target;
use crate::backend::Backend;
use crate::error::Error;
use crate::schema::{self, Drifted, Schema};
use crate::store::SchemaRecord;

/// What comparing the live schema with the record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaCheck {
    /// No run of a release that records the schema changed this database yet.
    NoRecord,
    /// The record was taken at other revisions than the database is at now (a stamp, or a run
    /// stopped between its last commit and the record): nothing to compare with.
    Stale {
        /// The revisions the record was taken at.
        recorded_at: Vec<String>,
    },
    /// The live schema is the recorded one.
    Same,
    /// The live schema differs from the record.
    Drifted {
        /// What differs, as the changes that would bring the live schema back.
        differences: Vec<Drifted>,
        /// The recorded schema.
        expected: Box<Schema>,
        /// The live schema.
        live: Box<Schema>,
    },
}

/// What `drift --record` recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The revisions it was recorded at.
    pub heads: Vec<String>,
    /// How many tables it describes.
    pub tables: usize,
    /// Its fingerprint.
    pub fingerprint: String,
}

impl SchemaCheck {
    /// The differences found (none unless [`SchemaCheck::Drifted`]).
    pub fn differences(&self) -> &[Drifted] {
        match self {
            SchemaCheck::Drifted { differences, .. } => differences,
            _ => &[],
        }
    }
}

impl Migrator<'_> {
    /// The live schema of `db`, the engine's own tables left out.
    pub(crate) fn live_schema(&self, db: &mut dyn Backend) -> Result<Schema, Error> {
        let own = self.settings.store.own_tables();
        let skip: Vec<&str> = own.iter().map(String::as_str).collect();
        Ok(schema::introspect(db, &skip)?)
    }

    /// Records what the schema looks like at `heads`, in its own transaction; a failure is
    /// logged, not returned (the run it follows has committed).
    pub(super) fn record_schema(&self, db: &mut dyn Backend, heads: &[String]) {
        let recorded = self.live_schema(db).and_then(|live| {
            let mut heads = heads.to_vec();
            heads.sort_unstable();
            self.store_record(db, &heads, &live)
        });
        if let Err(e) = recorded {
            log::warn!(target: log_target(), "Could not record the schema for the drift check (the run itself is done): {e}");
        }
    }

    /// Writes the record of `live` at `heads`.
    pub(crate) fn store_record(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
        live: &Schema,
    ) -> Result<(), Error> {
        let store = &self.settings.store;
        db.begin()?;
        let written = store
            .record_schema(db, heads, &live.fingerprint(), &live.to_record())
            .and_then(|()| db.commit());
        if let Err(e) = written {
            let _ = db.rollback();
            return Err(e.into());
        }
        Ok(())
    }

    /// The version table's rows, sorted (none when there is no version table).
    pub(crate) fn version_rows(&self, db: &mut dyn Backend) -> Result<Vec<String>, Error> {
        Ok(self.settings.store.heads(db)?)
    }

    /// Records the live schema now, under the migration lock, as the one expected at the
    /// revisions the database is at (`drift --record`: a database adopted, or a difference
    /// accepted); what was recorded.
    pub fn record_now(&self, db: &mut dyn Backend) -> Result<Recorded, Error> {
        self.locked(db, |db| {
            let heads = self.version_rows(db)?;
            let live = self.live_schema(db)?;
            self.store_record(db, &heads, &live)?;
            Ok(Recorded {
                tables: live.tables.len(),
                fingerprint: live.fingerprint(),
                heads,
            })
        })
    }

    /// Compares the live schema of `db`, at `heads` (sorted), with the record: read only.
    pub fn check_schema(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
    ) -> Result<SchemaCheck, Error> {
        let store = &self.settings.store;
        let Some(record) = store.schema_record(db)? else {
            return Ok(SchemaCheck::NoRecord);
        };
        if record.heads != heads {
            return Ok(SchemaCheck::Stale {
                recorded_at: record.heads,
            });
        }
        let live = self.live_schema(db)?;
        if live.fingerprint() == record.fingerprint {
            return Ok(SchemaCheck::Same);
        }
        let expected = self.recorded_schema(db, &record)?;
        let differences = schema::drift(&expected, &live);
        if differences.is_empty() {
            return Ok(SchemaCheck::Same);
        }
        Ok(SchemaCheck::Drifted {
            differences,
            expected: Box::new(expected),
            live: Box::new(live),
        })
    }

    /// The schema `record` describes, read and parsed as untrusted input.
    fn recorded_schema(
        &self,
        db: &mut dyn Backend,
        record: &SchemaRecord,
    ) -> Result<Schema, Error> {
        let description = self.settings.store.schema_description(db, record)?;
        Ok(Schema::from_record(&description)?)
    }
}

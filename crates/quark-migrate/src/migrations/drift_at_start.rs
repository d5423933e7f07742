//! The drift check of a start-up (`--check-drift warn|fail`): the live schema compared with the
//! one recorded after the last run that changed it, once the database is at head.

use super::Migrations;
use crate::app::log_target;
use crate::backend::Backend;
use crate::error::Error;
use crate::migrator::{DriftCheck, SchemaCheck};
use crate::plan::describe;

impl Migrations {
    /// Compares the live schema of `db`, at `heads`, with the record when the settings ask for
    /// it: each difference warned about, or the start-up failed ([`Error::SchemaDrift`]).
    pub(crate) fn drift_at_start(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
    ) -> Result<(), Error> {
        let check = self.settings.drift_check;
        if check == DriftCheck::Off {
            return Ok(());
        }
        let mut heads = heads.to_vec();
        heads.sort_unstable();
        match self.migrator()?.check_schema(db, &heads)? {
            SchemaCheck::NoRecord => {
                log::info!(target: log_target(), "No schema recorded yet to check for drift: the next migration records it (or `{}`)", crate::app::command("drift --record"));
            }
            SchemaCheck::Stale { recorded_at } => {
                log::info!(target: log_target(), "The schema was recorded at {}, the database is at {}: no drift check until a migration records it again (or `{}`)", describe(&recorded_at), describe(&heads), crate::app::command("drift --record"));
            }
            SchemaCheck::Same => {
                log::debug!(target: log_target(), "The schema is the one recorded at {}", describe(&heads));
            }
            SchemaCheck::Drifted { differences, .. } => {
                if check == DriftCheck::Fail {
                    return Err(Error::SchemaDrift { heads, differences });
                }
                for d in &differences {
                    log::warn!(target: log_target(), "Schema drift: {d}");
                }
                log::warn!(target: log_target(), "The schema differs from the one recorded at {} in {} ways; `{}` shows the SQL that brings it back", describe(&heads), differences.len(), crate::app::command("drift"));
            }
        }
        Ok(())
    }
}

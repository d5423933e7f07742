//! Finishing a step (an upgrade or a downgrade) a killed run left part-way. The history row says which statements
//! completed; whether the next one took effect before the connection died (a server finishes a
//! DDL statement after its client is gone) is read from the database: its schema is compared
//! with a scratch copy built from the same revisions just before and just after that statement.
//! Statements that change data run in one transaction with their progress, so they are never in
//! doubt. Nothing is guessed: when the schema matches neither, or cannot tell, the run stops and
//! says what it found.

use log::{info, warn};

use super::Migrator;
use crate::app::log_target;
use crate::backend::Backend;
use crate::error::{Error, Unsettled};
use crate::revision::{Dialect, Effect, Statement, Target, classify};
use crate::schema::{self, Beside, Schema};
use crate::store::{HistoryEntry, Store};

/// What `sql` does, as far as settling an interruption goes: a statement that changes rows
/// runs in one transaction with its progress (never half-known), a session setting is lost with
/// the connection (run again on resuming), and anything else is treated as a schema change
/// (committed on its own where DDL is not transactional).
pub(super) fn effect(sql: &str, dialect: Dialect) -> Effect {
    match classify(sql, dialect).effect {
        Effect::Other => Effect::Schema,
        effect => effect,
    }
}

impl Migrator<'_> {
    /// The interrupted step `entry` records, with the statements that took effect counted from
    /// the database: its `statements_done` is where the step goes on.
    pub(super) fn settle(
        &self,
        db: &mut dyn Backend,
        mut entry: HistoryEntry,
    ) -> Result<HistoryEntry, Error> {
        let Some(rev) = self.map.revision_or_checkpoint(&entry.revision) else {
            return Err(Error::Unfinished(Box::new(entry)));
        };
        let Some(direction) = entry.operation.direction() else {
            return Err(Error::Unfinished(Box::new(entry)));
        };
        let statements: Vec<Statement> = match rev.statements(direction, db.dialect()) {
            Some(s) => s?,
            None => Vec::new(),
        };
        let k = entry.statements_done;
        let Some(doubt) = statements.get(k) else {
            info!(target: log_target(), "{}: every statement took effect before the run was interrupted; recording it", rev.id);
            return Ok(entry);
        };
        let at = format!(
            "statement {} of {} of the {} of {} ({}:{})",
            k + 1,
            statements.len(),
            direction.name(),
            rev.id,
            rev.path,
            doubt.line
        );
        match effect(&doubt.sql, db.dialect()) {
            Effect::Data => {
                info!(target: log_target(), "Settled {at}: it changes data in one transaction with its progress, so it did not take effect; running it");
                return Ok(entry);
            }
            Effect::Session => {
                info!(target: log_target(), "Settled {at}: it sets the session; running it");
                return Ok(entry);
            }
            Effect::Schema | Effect::Other => {}
        }
        if let Some(done) = db.clean_up_interrupted(&doubt.sql)? {
            warn!(target: log_target(), "Settled {at}: {done}");
            return Ok(entry);
        }
        let current = self.settings.store.heads(db)?;
        let own = self.settings.store.own_tables();
        let skip: Vec<&str> = own.iter().map(String::as_str).collect();
        let live = schema::introspect(db, &skip)?;
        // The version rows still say where the step started: a scratch database brought there
        // and given the step's statements shows the schema before and after the one in doubt.
        let (before, after) = self.scratch_states(db, &current, &statements[..=k], &at)?;
        let live = only_tables_of(live, &before, &after);
        let to_before = schema::diff(&before, &live);
        let to_after = schema::diff(&after, &live);
        let unsettled = |reason: String, found: Vec<String>| {
            Error::Unsettled(Box::new(Unsettled {
                revision: rev.id.clone(),
                path: rev.path.clone(),
                line: doubt.line,
                statement: k + 1,
                statements: statements.len(),
                sql: doubt.sql.clone(),
                reason,
                found,
            }))
        };
        match (to_before.is_empty(), to_after.is_empty()) {
            (true, true) => Err(unsettled(
                "its effect does not show in the schema (tables, columns, keys, indexes), so whether it ran cannot be read from the database".into(),
                Vec::new(),
            )),
            (false, true) => {
                info!(target: log_target(), "Settled {at}: the database shows its changes, so it took effect before the run was interrupted; going on from the next");
                entry.statements_done = k + 1;
                Ok(entry)
            }
            (true, false) => {
                info!(target: log_target(), "Settled {at}: the database does not show its changes, so it did not take effect; running it");
                Ok(entry)
            }
            (false, false) => Err(unsettled(
                "the database matches neither the schema before it nor the schema after it".into(),
                to_before
                    .iter()
                    .map(|c| format!("since the statement before it: {c}"))
                    .collect(),
            )),
        }
    }

    /// The schema of a scratch database upgraded to `heads` then given `statements` but the
    /// last, and after the last too.
    fn scratch_states(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
        statements: &[Statement],
        at: &str,
    ) -> Result<(Schema, Schema), Error> {
        info!(target: log_target(), "Settling {at}: building the schema before and after it in a scratch database");
        let mut beside = Beside::open(db)?;
        let scratch = beside.db();
        let builder = Migrator::new(self.map)
            .use_lock(false)
            .code(self.code.clone());
        let builder = Migrator {
            scratch: true,
            ..builder
        };
        for head in heads {
            builder.upgrade(scratch, &Target::Revision(head.clone()))?;
        }
        let (last, first) = statements
            .split_last()
            .expect("at least the statement in doubt");
        for s in first {
            scratch.run(&s.sql)?;
        }
        let own = Store::default().own_tables();
        let skip: Vec<&str> = own.iter().map(String::as_str).collect();
        let before = schema::introspect(scratch, &skip)?;
        scratch.run(&last.sql)?;
        let after = schema::introspect(scratch, &skip)?;
        Ok((before, after))
    }
}

/// `live` with only the tables `before` or `after` has: the live database may hold other
/// projects' tables beside this graph's.
fn only_tables_of(mut live: Schema, before: &Schema, after: &Schema) -> Schema {
    live.tables
        .retain(|name, _| before.tables.contains_key(name) || after.tables.contains_key(name));
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_told_by_the_classifier() {
        let d = Dialect::Mysql;
        assert_eq!(effect("INSERT INTO t VALUES (1)", d), Effect::Data);
        assert_eq!(effect("-- fix\n  update t SET x = 1", d), Effect::Data);
        assert_eq!(effect("SET FOREIGN_KEY_CHECKS = 0", d), Effect::Session);
        assert_eq!(effect("ALTER TABLE t ADD COLUMN y INT", d), Effect::Schema);
        assert_eq!(effect("CREATE INDEX ix ON t (x)", d), Effect::Schema);
        assert_eq!(
            effect("SELECT 1", d),
            Effect::Schema,
            "a query is not in doubt either way"
        );
    }
}

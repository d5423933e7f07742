//! Where a database stands, read in one round trip: the start-up check of a database at head.

use std::collections::HashMap;

use super::{Operation, Outcome, Store};
use crate::backend::{Backend, BackendError, TextRows};

/// Where a database stands, read in one round trip ([`Store::read_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The version table's rows, sorted.
    pub heads: Vec<String>,
    /// The checksum recorded by the latest successful upgrade of each revision.
    pub checksums: HashMap<String, String>,
    /// Whether the newest history row is a step that stopped part-way.
    pub unfinished: bool,
    /// How many revisions the records table remembers.
    pub remembered: usize,
    /// The id of the newest history row (none without history).
    pub last_id: Option<i64>,
}

impl State {
    /// Whether the database is at exactly `heads` (sorted) with nothing left part-way and at
    /// least `revisions` revisions remembered (at every head, each of the graph's revisions is
    /// applied): the one at-head check of a start-up, before the checksums.
    pub fn is_at(&self, heads: &[&str], revisions: usize) -> bool {
        !self.unfinished
            && self.remembered >= revisions
            && self
                .heads
                .iter()
                .map(String::as_str)
                .eq(heads.iter().copied())
    }
}

impl Store {
    /// The version rows when the database stands at exactly `heads` (sorted) with nothing left
    /// part-way, at least `revisions` revisions remembered, and every recorded checksum one that
    /// `accepted(revision, checksum)` takes: the one at-head check of a start-up, in one round
    /// trip. `None` when that is not certain (the full check then explains what is amiss).
    pub fn at_heads(
        &self,
        db: &mut dyn Backend,
        heads: &[&str],
        revisions: usize,
        accepted: impl Fn(&str, &str) -> bool,
    ) -> Option<Vec<String>> {
        let state = self.read_state(db).ok()?;
        let at = state.is_at(heads, revisions)
            && state.checksums.iter().all(|(r, sum)| accepted(r, sum));
        at.then_some(state.heads)
    }

    /// The version table's rows, [`Store::applied_checksums`], whether the newest history row
    /// is a step left part-way and how many revisions are remembered: the whole start-up check
    /// of a database at head. An error when a table is missing.
    pub fn read_state(&self, db: &mut dyn Backend) -> Result<State, BackendError> {
        // Both queries in one round trip where the driver can. No WHERE and no ORDER BY: on a
        // fresh PostgreSQL session the catalog lookups for operators and sorts take longer than
        // the query; the rows are few, filtered and sorted here.
        let versions = format!("SELECT version_num FROM {}", db.quote(&self.version_table));
        let history = format!(
            "SELECT id, revision, checksum, direction, outcome, statements_done FROM {}",
            db.quote(&self.history_table),
        );
        let records = format!("SELECT revision FROM {}", db.quote(&self.records_table()));
        let [heads, mut rows, remembered]: [TextRows; 3] = db
            .query_text(&[&versions, &history, &records])?
            .try_into()
            .map_err(|_| {
                BackendError::message(format!(
                    "{versions}; {history}; {records}: expected three results"
                ))
            })?;
        let mut heads: Vec<String> = heads
            .into_iter()
            .filter_map(|r| r.into_iter().next()?)
            .collect();
        heads.sort_unstable();
        rows.sort_unstable_by_key(|row| {
            row.first()
                .cloned()
                .flatten()
                .and_then(|id| id.parse::<i64>().ok())
        });
        let mut state = State {
            heads,
            checksums: HashMap::new(),
            unfinished: false,
            remembered: remembered.len(),
            last_id: None,
        };
        for row in rows {
            let [id, revision, checksum, direction, outcome, done]: [Option<String>; 6] = row
                .try_into()
                .map_err(|_| BackendError::message(format!("{history}: expected 6 columns")))?;
            state.last_id = id.and_then(|id| id.parse().ok()).or(state.last_id);
            let parsed = outcome.as_deref().and_then(Outcome::from_name);
            // Rows come oldest first: the last one decides.
            state.unfinished = unfinished(outcome.clone(), done);
            let outcome = parsed;
            if direction.as_deref() == Some(Operation::Upgrade.name())
                && outcome == Some(Outcome::Success)
                && let (Some(revision), Some(checksum)) = (revision, checksum)
            {
                state.checksums.insert(revision, checksum);
            }
        }
        Ok(state)
    }
}

/// Whether a history row with this outcome and count of statements done is a step left
/// part-way: in progress, or failed after some of its statements took effect.
pub(super) fn unfinished(outcome: Option<String>, done: Option<String>) -> bool {
    let outcome = outcome.as_deref().and_then(Outcome::from_name);
    let done = done.and_then(|d| d.parse::<u64>().ok()).unwrap_or(0);
    outcome == Some(Outcome::InProgress) || (outcome == Some(Outcome::Failed) && done > 0)
}

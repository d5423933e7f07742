//! Moving this graph's revisions out of a version table shared with another project (Neutron's
//! `alembic_version`, as upstream's recipe left it) into the table configured for them.

use super::Migrator;
use crate::backend::{Backend, BackendError};
use crate::error::Error;
use crate::store::{HistoryEntry, Operation, Outcome, Store};

/// What a split moves (or, as a dry run, would move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The shared table.
    pub from: String,
    /// The table the revisions move to.
    pub to: String,
    /// This graph's revisions, moved.
    pub moved: Vec<String>,
    /// The other project's rows, left as they are.
    pub kept: Vec<String>,
    /// The other project's revision put back in the shared table.
    pub restored: Option<String>,
    /// History rows copied from the shared table's history table.
    pub history_copied: usize,
}

impl Migrator<'_> {
    /// Moves this graph's revisions from the version table `from` into the configured one, in
    /// one transaction, leaving every other row of `from` alone; `restore` puts an other
    /// project's revision back into `from`. Refused when the configured table already holds
    /// revisions. With `dry_run`, only says what it would do.
    pub fn split_version_table(
        &self,
        db: &mut dyn Backend,
        from: &str,
        restore: Option<&str>,
        dry_run: bool,
    ) -> Result<Split, Error> {
        let shared = Store::new(from)?;
        if from == self.settings.store.version_table() {
            return Err(Error::Split(format!(
                "the revisions would move from {from} to itself: name this tool's own table with --version-table"
            )));
        }
        if dry_run {
            return self.plan_split(db, &shared, restore);
        }
        self.locked(db, |db| {
            let split = self.plan_split(db, &shared, restore)?;
            self.move_split(db, &shared, &split)?;
            Ok(split)
        })
    }

    /// What a split of the shared table `shared` would move, as `db` holds it now; refused
    /// as [`Migrator::split_version_table`] says.
    fn plan_split(
        &self,
        db: &mut dyn Backend,
        shared: &Store,
        restore: Option<&str>,
    ) -> Result<Split, Error> {
        let from = shared.version_table();
        let own = self.settings.store.version_table();
        if !db.table_exists(from)? {
            return Err(Error::Split(format!("there is no table {from}")));
        }
        let rows = shared.read_heads(db)?;
        let (moved, kept) = self.rows_to_move(from, &rows)?;
        let already = self.settings.store.heads(db)?;
        if !already.is_empty() {
            return Err(Error::Split(format!(
                "{own} already holds {}: the database's state for this tool is recorded there",
                already.join(", ")
            )));
        }
        let restored = self.revision_to_restore(from, restore, &kept)?;
        let history_copied = self.history_to_copy(db, shared)?.len();
        Ok(Split {
            from: from.to_string(),
            to: own.to_string(),
            moved,
            kept,
            restored,
            history_copied,
        })
    }

    /// The rows of the shared table `from` split into this graph's, which move (at least one,
    /// and sound), and the other project's, which stay.
    fn rows_to_move(
        &self,
        from: &str,
        rows: &[String],
    ) -> Result<(Vec<String>, Vec<String>), Error> {
        let moved = self.ours_in(rows);
        let kept: Vec<String> = rows
            .iter()
            .filter(|r| !moved.contains(r))
            .cloned()
            .collect();
        if moved.is_empty() {
            return Err(Error::Split(format!(
                "{from} holds no revision of this tool (it holds {})",
                if rows.is_empty() {
                    "none".to_string()
                } else {
                    rows.join(", ")
                }
            )));
        }
        self.check_rows(&moved)?;
        Ok((moved, kept))
    }

    /// The other project's revision to put back in the shared table `from`: `restore`, unless
    /// `kept` already holds it; refused when it is this graph's or not a revision id.
    fn revision_to_restore(
        &self,
        from: &str,
        restore: Option<&str>,
        kept: &[String],
    ) -> Result<Option<String>, Error> {
        match restore {
            Some(r) if self.map.get(r).is_some() => Err(Error::Split(format!(
                "{r} is a revision of this tool, not of the project sharing {from}"
            ))),
            Some(r) if kept.iter().any(|k| k == r) => Ok(None),
            Some(r) if crate::revision::is_valid_id(r) => Ok(Some(r.to_string())),
            Some(r) => Err(Error::Split(format!("'{r}' is not a revision id"))),
            None => Ok(None),
        }
    }

    /// The history rows of this graph's revisions in the shared table's history table (none
    /// when it has none).
    fn history_to_copy(
        &self,
        db: &mut dyn Backend,
        shared: &Store,
    ) -> Result<Vec<HistoryEntry>, Error> {
        if !db.table_exists(shared.history_table())? {
            return Ok(Vec::new());
        }
        Ok(shared
            .history(db)?
            .into_iter()
            .filter(|e| self.map.get(&e.revision).is_some())
            .collect())
    }

    /// Carries out `split` in one transaction: the revisions and their history rows copied to
    /// the configured table (each stamped there), and the shared table's rows replaced.
    fn move_split(&self, db: &mut dyn Backend, shared: &Store, split: &Split) -> Result<(), Error> {
        let history = if split.history_copied > 0 {
            shared
                .history(db)?
                .into_iter()
                .filter(|e| self.map.get(&e.revision).is_some())
                .collect()
        } else {
            Vec::new()
        };
        db.begin()?;
        if let Err(e) = self.write_split(db, shared, split, &history) {
            let _ = db.rollback();
            return Err(e.into());
        }
        Ok(())
    }

    /// The writes of [`Migrator::move_split`], committed at the end.
    fn write_split(
        &self,
        db: &mut dyn Backend,
        shared: &Store,
        split: &Split,
        history: &[HistoryEntry],
    ) -> Result<(), BackendError> {
        self.settings.store.replace_heads(db, &[], &split.moved)?;
        let put_back: Vec<String> = split.restored.iter().cloned().collect();
        shared.replace_heads(db, &split.moved, &put_back)?;
        for entry in history {
            self.settings.store.record(db, entry)?;
        }
        for id in &split.moved {
            let mut entry = Store::entry(id, Operation::Stamp, None, 0);
            entry.finish(Outcome::Success, 0, std::time::Instant::now(), None);
            self.settings.store.record(db, &entry)?;
        }
        db.commit()
    }
}

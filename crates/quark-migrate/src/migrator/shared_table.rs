//! Moving this graph's revisions out of a version table shared with another project (Neutron's
//! `alembic_version`, as upstream's recipe left it) into the table configured for them.

use super::Migrator;
use crate::backend::Backend;
use crate::error::Error;
use crate::store::{Operation, Outcome, Store};

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
        let own = self.settings.store.version_table();
        if from == own {
            return Err(Error::Split(format!(
                "the revisions would move from {from} to itself: name this tool's own table with --version-table"
            )));
        }
        let plan = |db: &mut dyn Backend| -> Result<Split, Error> {
            if !db.table_exists(from)? {
                return Err(Error::Split(format!("there is no table {from}")));
            }
            let rows = shared.read_heads(db)?;
            let moved = self.ours_in(&rows);
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
            let already = self.settings.store.heads(db)?;
            if !already.is_empty() {
                return Err(Error::Split(format!(
                    "{own} already holds {}: the database's state for this tool is recorded there",
                    already.join(", ")
                )));
            }
            let restored = match restore {
                Some(r) if self.map.get(r).is_some() => {
                    return Err(Error::Split(format!(
                        "{r} is a revision of this tool, not of the project sharing {from}"
                    )));
                }
                Some(r) if kept.iter().any(|k| k == r) => None,
                Some(r) if crate::revision::is_valid_id(r) => Some(r.to_string()),
                Some(r) => return Err(Error::Split(format!("'{r}' is not a revision id"))),
                None => None,
            };
            let history = if db.table_exists(shared.history_table())? {
                shared.history(db)?
            } else {
                Vec::new()
            };
            let history_copied = history
                .iter()
                .filter(|e| self.map.get(&e.revision).is_some())
                .count();
            Ok(Split {
                from: from.to_string(),
                to: own.to_string(),
                moved,
                kept,
                restored,
                history_copied,
            })
        };
        if dry_run {
            return plan(db);
        }
        self.locked(db, |db| {
            let split = plan(db)?;
            let history: Vec<_> = if split.history_copied > 0 {
                shared
                    .history(db)?
                    .into_iter()
                    .filter(|e| self.map.get(&e.revision).is_some())
                    .collect()
            } else {
                Vec::new()
            };
            db.begin()?;
            let done = (|| {
                self.settings.store.replace_heads(db, &[], &split.moved)?;
                let put_back: Vec<String> = split.restored.iter().cloned().collect();
                shared.replace_heads(db, &split.moved, &put_back)?;
                for entry in &history {
                    self.settings.store.record(db, entry)?;
                }
                for id in &split.moved {
                    let mut entry = Store::entry(id, Operation::Stamp, None, 0);
                    entry.finish(Outcome::Success, 0, std::time::Instant::now(), None);
                    self.settings.store.record(db, &entry)?;
                }
                db.commit()
            })();
            if let Err(e) = done {
                let _ = db.rollback();
                return Err(e.into());
            }
            Ok(split)
        })
    }
}

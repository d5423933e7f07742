//! Backups of a SQLite database file before the runs that change it past a point of no return.

use log::info;

use super::Migrator;
use crate::app::log_target;
use crate::backend::Backend;
use crate::error::Error;
use crate::plan::Step;
use crate::revision::Direction;

/// When a run copies a SQLite database file aside before it changes it (see
/// [`Migrator::backups`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupPolicy {
    /// Never.
    Never,
    /// Before a run that applies a revision marked `Breaking:` or one that cannot be reverted:
    /// the points past which only a copy brings the database back (the default).
    PointOfNoReturn,
    /// Before every run that changes the schema.
    EveryChange,
}

/// Backups of a SQLite database before runs that change it: when, and how many to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backups {
    /// When to back up.
    pub policy: BackupPolicy,
    /// How many backups to keep beside the database (the newest; at least one).
    pub keep: usize,
}

impl Default for Backups {
    fn default() -> Backups {
        Backups {
            policy: BackupPolicy::PointOfNoReturn,
            keep: 3,
        }
    }
}

impl Migrator<'_> {
    /// Copies the database aside (SQLite) before `steps` run, when the backup policy asks: the
    /// copy is what brings it back from a breaking or irreversible revision.
    pub(super) fn back_up_before(
        &self,
        db: &mut dyn Backend,
        before: &[String],
        steps: &[Step<'_>],
    ) -> Result<(), Error> {
        let dialect = db.dialect();
        let why = match self.settings.backups.policy {
            BackupPolicy::Never => None,
            BackupPolicy::EveryChange => steps.first().map(|_| "a schema change".to_string()),
            BackupPolicy::PointOfNoReturn => steps.iter().find_map(|s| {
                let rev = s.revision;
                if s.direction != Direction::Upgrade {
                    return None;
                }
                if rev.breaking.is_some() {
                    Some(format!("{}, marked breaking", rev.id))
                } else if !rev.can_run(Direction::Downgrade, dialect) && !rev.is_merge() {
                    Some(format!("{}, which cannot be reverted", rev.id))
                } else {
                    None
                }
            }),
        };
        // At base there is nothing to lose.
        let (Some(why), Some(last), false) = (why, steps.last(), before.is_empty()) else {
            return Ok(());
        };
        let label = format!("{}-to-{}", before.join("+"), last.after.join("+"));
        if let Some(copy) = db.back_up(&label, self.settings.backups.keep)? {
            info!(target: log_target(), "Backed the database up to {} before {why} ({} puts it back)", copy.display(), crate::app::command("restore"));
        }
        Ok(())
    }
}

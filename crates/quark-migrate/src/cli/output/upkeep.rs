//! What the upkeep commands print: `restore` (SQLite's backups) and `split-version-table`.

use super::described;
use crate::cli::shown::{ID, shown, shown_ids};
use crate::migrator::Split;
use crate::url::DatabaseUrl;

/// `restore --list`: the backups beside a SQLite database, oldest first.
#[cfg(feature = "sqlite")]
pub fn backups(url: &DatabaseUrl, backups: &[std::path::PathBuf]) {
    if backups.is_empty() {
        say!("{url}: no backups");
    }
    for b in backups {
        say!("{}", b.display());
    }
}

/// `restore`: which backup was put back, and where the file it replaced is kept.
#[cfg(feature = "sqlite")]
pub fn restored(url: &DatabaseUrl, restored: &crate::backend::Restored) {
    say!("Restored {url} from {}", restored.from.display());
    if let Some(kept) = &restored.kept {
        say!("The file it replaced is kept as {}", kept.display());
    }
}

/// `split-version-table`: what moved (or, with --dry-run, would move).
pub fn split(url: &DatabaseUrl, split: &Split, dry_run: bool) {
    let (verb, moved) = if dry_run {
        ("would move", "would be")
    } else {
        ("moved", "are")
    };
    say!(
        "{url}: {verb} {} from {} to {}",
        described(&split.moved),
        shown(&split.from, ID),
        shown(&split.to, ID)
    );
    say!(
        "  {} {} left with {}",
        split.from,
        if dry_run { "would be" } else { "is" },
        if split.kept.is_empty() && split.restored.is_none() {
            "no rows".to_string()
        } else {
            shown_ids(
                &split
                    .kept
                    .iter()
                    .chain(&split.restored)
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .join(", ")
        }
    );
    if let Some(r) = &split.restored {
        say!("  {} {moved} put back in {}", shown(r, ID), split.from);
    }
    if split.history_copied > 0 {
        say!(
            "  {} history rows {moved} copied to {}_history",
            split.history_copied,
            split.to
        );
    }
    if dry_run {
        say!("Nothing was changed.");
    }
}

//! The longer messages of [`Error`]: what happened, what the database holds now, and the
//! commands that go on from there.

use super::{Error, StepFailure, Unsettled};
use crate::migrator::HistoryEntry;
use crate::plan::describe;

/// What a verify-only start found missing, and how to run the migrator.
pub(super) fn not_migrated_message(e: &Error) -> String {
    let Error::NotMigrated {
        current,
        missing,
        interrupted,
        waited,
        holder,
    } = e
    else {
        return String::new();
    };
    const SHOWN: usize = 5;
    let mut list: Vec<&str> = missing.iter().take(SHOWN).map(String::as_str).collect();
    let more = missing.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    if list.is_empty() {
        list.push("none");
    }
    let part_way = interrupted
        .as_ref()
        .map(|r| format!("; a migrator left {r} part-way"))
        .unwrap_or_default();
    let waiting = match holder {
        Some(h) => format!(
            "after {}s a migrator still holds the migration lock ({h}): let it finish, or wait longer (--verify-wait)",
            waited.as_secs()
        ),
        None => format!(
            "no migrator holds the migration lock (after waiting {:.1}s, --verify-wait)",
            waited.as_secs_f64()
        ),
    };
    format!(
        "the database is at {}, not at this binary's heads: {} {} missing ({}{more}){part_way}; {waiting}. Nothing was written. Run the migrator with the role that may change the schema: {}",
        describe(current),
        missing.len(),
        if missing.len() == 1 {
            "revision is"
        } else {
            "revisions are"
        },
        list.join(", "),
        crate::app::command("upgrade head")
    )
}

/// The stamps that record `state`: one purge to the first revision, then one per other.
pub(super) fn stamp_commands(state: &[String]) -> String {
    match state {
        [] => crate::app::command("stamp --purge base"),
        [first, rest @ ..] => {
            let mut out = crate::app::command(&format!("stamp --purge {first}"));
            for r in rest {
                out.push_str(&format!(
                    " then {}",
                    crate::app::command(&format!("stamp {r}"))
                ));
            }
            out
        }
    }
}

pub(super) fn plural_revisions(ids: &[String]) -> String {
    let list = ids.join(", ");
    if ids.len() == 1 {
        format!("revision {list}")
    } else {
        format!("revisions {list}")
    }
}

/// Collapses whitespace and shortens a statement for a one-line message.
pub(super) fn condensed(sql: &str) -> String {
    let one: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 160 {
        format!("{}...", one.chars().take(157).collect::<String>())
    } else {
        one
    }
}

pub(super) fn unsettled_message(u: &Unsettled) -> String {
    let found = if u.found.is_empty() {
        String::new()
    } else {
        format!(" ({})", u.found.join("; "))
    };
    format!(
        "the upgrade of {} was interrupted at statement {} of {} ({}:{}): {}; {}{found}. Nothing was run: bring the database to the state before or after that statement, then run {} (which goes on at statement {}), or {} the revision it matches",
        u.revision,
        u.statement,
        u.statements,
        u.path,
        u.line,
        condensed(&u.sql),
        u.reason,
        crate::app::command("upgrade --resume"),
        u.statement,
        crate::app::command("stamp")
    )
}

pub(super) fn unfinished_message(e: &HistoryEntry) -> String {
    let why = match &e.error {
        Some(error) => format!(
            "failed at statement {} of {}: {}",
            e.statements_done + 1,
            e.statements,
            error.trim()
        ),
        None => format!(
            "was interrupted at statement {} of {}",
            e.statements_done + 1,
            e.statements
        ),
    };
    let effect = if e.statements_done == 0 {
        "no statement of it is known to have completed".to_string()
    } else {
        format!("statements 1 to {} took effect", e.statements_done)
    };
    format!(
        "the {} of revision {} started at {} did not finish: it {why}; {effect}. Repair the database, then run {} to continue at statement {}, or {} the revision the database now matches",
        e.operation,
        e.revision,
        e.applied_at,
        crate::app::command("upgrade --resume"),
        e.statements_done + 1,
        crate::app::command("stamp")
    )
}

pub(super) fn failure_message(f: &StepFailure) -> String {
    let effect = if f.took_effect == 0 {
        format!("nothing of this {} took effect", f.direction.name())
    } else {
        format!(
            "statements 1 to {} took effect (outside a transaction, or DDL the database commits implicitly): repair the database by hand, then {}",
            f.took_effect,
            crate::app::command("stamp")
        )
    };
    let waited = if f.blocked_by.is_empty() && f.attempts <= 1 {
        String::new()
    } else {
        format!(
            " (tried {} times; the lock was held by {})",
            f.attempts,
            if f.blocked_by.is_empty() {
                "another session".to_string()
            } else {
                f.blocked_by.join("; ")
            }
        )
    };
    format!(
        "{} of {} failed at statement {} of {} ({}:{}): {}: {}{waited}; the database is left at {}, {}",
        f.direction.name(),
        f.revision,
        f.statement,
        f.statements,
        f.path,
        f.line,
        condensed(&f.sql),
        f.message.trim(),
        describe(&f.left_at),
        effect
    )
}

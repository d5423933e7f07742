//! What the commands about revisions print: `history`, `heads`, `current`, `branches`, `show`.

use serde_json::{Value, json};

use super::{cut, cut_all};
use crate::cli::Format;
use crate::cli::shown::{CELL, ID, shown};
use crate::migrator::{HistoryEntry, LiveRelease, Outcome};
use crate::revision::{Dialect, Direction, Revision, RevisionMap};
use crate::url::DatabaseUrl;

/// A list of revisions (`history`, `heads`): one line each, every detail with `-v`, or JSON.
pub fn revisions(format: Format, verbose: bool, map: &RevisionMap, revs: &[&Revision]) {
    if format == Format::Json {
        let list: Vec<_> = revs.iter().map(|r| revision_json(map, r)).collect();
        say!("{}", Value::from(list));
        return;
    }
    for rev in revs {
        if verbose {
            say!("{}", self::verbose(map, rev));
        } else {
            say!("{}", entry(map, rev));
        }
    }
}

/// `current`: the database's revisions, and a revision a run left part-way.
pub fn current(
    format: Format,
    verbose: bool,
    map: &RevisionMap,
    url: &DatabaseUrl,
    revs: &[&Revision],
    interrupted: Option<&HistoryEntry>,
    live: &[LiveRelease],
) {
    if format == Format::Json {
        let current: Vec<_> = revs.iter().map(|r| revision_json(map, r)).collect();
        let interrupted = interrupted.map(|e| {
            json!({
                "revision": cut(&e.revision),
                "direction": e.operation.name(),
                "outcome": e.outcome.name(),
                "statements": e.statements,
                "statements_done": e.statements_done,
                "error": e.error.as_deref().map(cut),
                "started_at": cut(&e.applied_at),
            })
        });
        let live: Vec<_> = live
            .iter()
            .map(|l| {
                let i = &l.instance;
                json!({
                    "application": cut(&i.application),
                    "version": cut(&i.version),
                    "heads": cut_all(&i.heads),
                    "host": cut(&i.host),
                    "pid": i.pid,
                    "started_at": cut(&i.started_at),
                    "holds_back": cut_all(&l.holds_back),
                })
            })
            .collect();
        say!(
            "{}",
            json!({"database": url.masked(), "current": current, "interrupted": interrupted, "live": live})
        );
        return;
    }
    if revs.is_empty() {
        say!("Current revision for {url}: None");
    }
    for rev in revs {
        if verbose {
            say!("Current revision for {url}:\n{}", self::verbose(map, rev));
        } else {
            say!("Current revision for {url}: {}", entry(map, rev));
        }
    }
    if let Some(e) = interrupted {
        say!("{}", interrupted_line(e));
    }
    for l in live {
        let holds = if l.holds_back.is_empty() {
            String::new()
        } else {
            let ids: Vec<_> = l.holds_back.iter().map(|r| shown(r, ID)).collect();
            format!(
                "; holds back {} (Breaking: for its release)",
                ids.join(", ")
            )
        };
        say!(
            "Live instance: {}{holds}",
            shown(&l.instance.describe(), CELL)
        );
    }
}

/// What a revision left part-way means for the next run.
fn interrupted_line(e: &HistoryEntry) -> String {
    let done = match e.statements_done {
        0 => "no statement completed".to_string(),
        1 => "statement 1 took effect".to_string(),
        n => format!("statements 1-{n} took effect"),
    };
    let next = e.statements_done.saturating_add(1);
    let revision = shown(&e.revision, ID);
    match e.outcome {
        Outcome::InProgress => format!(
            "{revision} partly applied ({} of {} statements, interrupted): {done}; the next upgrade reads from the database whether statement {next} did, and goes on from there",
            e.operation, e.statements
        ),
        _ => format!(
            "{revision} partly applied ({} failed at statement {next} of {}): {done}; repair the database, then {} goes on at statement {next}",
            e.operation,
            e.statements,
            crate::app::command("upgrade --resume")
        ),
    }
}

/// `branches`: each branch point, then the revisions it branches into.
pub fn branches(map: &RevisionMap, points: &[&Revision]) {
    for rev in points {
        say!("{}", entry(map, rev));
        for child in map.children(&rev.id) {
            say!(
                "    -> {}{}, {}",
                shown(&child.id, ID),
                flags(map, child),
                shown(&child.message, ID)
            );
        }
    }
}

/// `show REV`: every detail of the revisions a target names (none: base), or of a checkpoint.
pub fn show(map: &RevisionMap, revs: &[&Revision]) {
    if revs.is_empty() {
        say!("Rev: base (before the first revision)");
    }
    for rev in revs {
        match &rev.checkpoint_of {
            Some((of, _)) => say!("{}", checkpoint(map, rev, of)),
            None => say!("{}", verbose(map, rev)),
        }
    }
}

/// `4358d1b8cc75 -> 1284c81cf727 (head), create lswitch ...`: one revision on one line, as
/// Alembic's history writes it (dependencies in parentheses after the parents). A revision a
/// newer release applied comes from the database: every part is [`shown`].
fn entry(map: &RevisionMap, rev: &Revision) -> String {
    let mut parents = shown(&rev.parents_label(), ID).into_owned();
    let deps: Vec<String> = map
        .dependencies(&rev.id)
        .iter()
        .map(|d| shown(&d.id, ID).into_owned())
        .collect();
    if !deps.is_empty() {
        parents = format!("{parents} ({})", deps.join(", "));
    }
    format!(
        "{parents} -> {}{}, {}",
        shown(&rev.id, ID),
        flags(map, rev),
        shown(&rev.message, ID)
    )
}

fn flags(map: &RevisionMap, rev: &Revision) -> String {
    let mut out = String::new();
    let labels: Vec<String> = map
        .shown_labels(&rev.id)
        .into_iter()
        .map(|l| shown(l, ID).into_owned())
        .collect();
    if !labels.is_empty() {
        out.push_str(&format!(" ({})", labels.join(", ")));
    }
    if map.is_remembered(&rev.id) {
        out.push_str(" (newer than this binary)");
    }
    if map.is_head(&rev.id) {
        out.push_str(" (head)");
    }
    if map.is_branch_point(&rev.id) {
        out.push_str(" (branchpoint)");
    }
    if rev.is_merge() {
        out.push_str(" (mergepoint)");
    }
    for checkpoint in checkpoints_of(map, rev) {
        out.push_str(&format!(" (checkpoint {})", shown(checkpoint, ID)));
    }
    out
}

/// The ids of the checkpoints that hold the schema as of `rev`.
fn checkpoints_of<'a>(map: &'a RevisionMap, rev: &Revision) -> Vec<&'a str> {
    map.checkpoints()
        .iter()
        .filter(|c| {
            c.checkpoint_of
                .as_ref()
                .is_some_and(|(of, _)| *of == rev.id)
        })
        .map(|c| c.id.as_str())
        .collect()
}

/// Every detail of a checkpoint, as `show` prints it.
fn checkpoint(map: &RevisionMap, cp: &Revision, of: &str) -> String {
    let dialects: Vec<&str> = Dialect::ALL
        .iter()
        .filter(|d| cp.can_run(Direction::Upgrade, **d))
        .map(|d| d.name())
        .collect();
    let stands_for = map.ancestors([of]).iter().filter(|a| **a).count();
    format!(
        "Checkpoint: {} of {} (the schema of {stands_for} revision(s), for a database at base)\nPath: {}\nDialects: {}\n\n    {}\n",
        shown(&cp.id, ID),
        shown(of, ID),
        shown(&cp.path, ID),
        if dialects.is_empty() {
            "none".to_string()
        } else {
            dialects.join(", ")
        },
        shown(&cp.message, ID)
    )
}

/// Every detail of a revision, as `show` and `--verbose` print it.
fn verbose(map: &RevisionMap, rev: &Revision) -> String {
    let id = shown(&rev.id, ID);
    let mut out = format!("Rev: {id}{}\n", flags(map, rev));
    let parents = shown(&rev.parents_label(), ID).into_owned();
    out.push_str(&format!(
        "{}: {parents}\n",
        if rev.is_merge() { "Merges" } else { "Parent" }
    ));
    let children: Vec<String> = map
        .children(&rev.id)
        .iter()
        .map(|c| shown(&c.id, ID).into_owned())
        .collect();
    if !children.is_empty() {
        out.push_str(&format!(
            "{}: {}\n",
            if children.len() > 1 {
                "Branches into"
            } else {
                "Child"
            },
            children.join(", ")
        ));
    }
    let labels: Vec<String> = map
        .shown_labels(&rev.id)
        .into_iter()
        .map(|l| shown(l, ID).into_owned())
        .collect();
    if !labels.is_empty() {
        out.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    out.push_str(&format!("Path: {}\n", shown(&rev.path, ID)));
    out.push_str(&format!(
        "Transactional: {}\n",
        if rev.transactional { "yes" } else { "no" }
    ));
    let reversible: Vec<&str> = Dialect::ALL
        .iter()
        .filter(|d| rev.can_run(Direction::Downgrade, **d) || rev.is_merge())
        .map(|d| d.name())
        .collect();
    let downgrade = match reversible.len() {
        0 => "no (irreversible: it has no downgrade)".to_string(),
        3 => "yes".to_string(),
        _ => format!("only on {}", reversible.join(", ")),
    };
    out.push_str(&format!(
        "Downgrade: {downgrade}\n\n    {}\n\n",
        shown(&rev.message, ID)
    ));
    out.push_str(&format!("    Revision ID: {id}\n    Revises: {parents}\n"));
    if let Some(date) = &rev.create_date {
        out.push_str(&format!("    Create Date: {}\n", shown(date, ID)));
    }
    out
}

/// A revision as a JSON object, for `--format json`.
fn revision_json(map: &RevisionMap, rev: &Revision) -> Value {
    json!({
        "revision": cut(&rev.id),
        "down_revisions": cut_all(&rev.down_revisions),
        "message": cut(&rev.message),
        "branch_labels": cut_all(&rev.branch_labels),
        "create_date": rev.create_date.as_deref().map(cut),
        "path": cut(&rev.path),
        "transactional": rev.transactional,
        "is_head": map.is_head(&rev.id),
        "is_branch_point": map.is_branch_point(&rev.id),
        "is_merge": rev.is_merge(),
        "newer_than_binary": map.is_remembered(&rev.id),
        "checkpoints": checkpoints_of(map, rev).into_iter().map(cut).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::described;
    use crate::revision::test_support::rev;

    fn map() -> RevisionMap {
        RevisionMap::new(vec![
            rev("r0", "", ""),
            rev("a1", "r0", "tools"),
            rev("b1", "r0", ""),
            rev("m2", "a1, b1", ""),
        ])
        .unwrap()
    }

    #[test]
    fn entries_carry_alembic_flags() {
        let m = map();
        assert_eq!(
            entry(&m, m.get("r0").unwrap()),
            "<base> -> r0 (branchpoint), message of r0"
        );
        assert_eq!(
            entry(&m, m.get("a1").unwrap()),
            "r0 -> a1 (tools), message of a1"
        );
        assert_eq!(
            entry(&m, m.get("m2").unwrap()),
            "a1, b1 -> m2 (tools) (head) (mergepoint), message of m2"
        );
    }

    #[test]
    fn checkpoints_are_named_beside_their_revision_and_shown_on_their_own() {
        let file = |name: &str, text: String| crate::source::SourceFile {
            path: format!("migrations/{name}"),
            name: name.to_string(),
            text,
        };
        let revision = |id: &str, revises: &str| {
            format!(
                "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- +upgrade\nCREATE TABLE t_{id} (x INT);\n\n-- +downgrade\nDROP TABLE t_{id};\n"
            )
        };
        let m = crate::source::build_map(&[
            file("a1_x.sql", revision("a1", "None")),
            file("b2_x.sql", revision("b2", "a1")),
            file("cp_x.sql", "-- the schema as of b2\n--\n-- Revision ID: cp\n-- Checkpoint Of: b2\n\n-- +upgrade sqlite\nCREATE TABLE t_a1 (x INT);\nCREATE TABLE t_b2 (x INT);\n".to_string()),
        ])
        .unwrap();
        let b2 = m.get("b2").unwrap();
        assert_eq!(entry(&m, b2), "a1 -> b2 (head) (checkpoint cp), b2");
        assert_eq!(entry(&m, m.get("a1").unwrap()), "<base> -> a1, a1");
        assert_eq!(revision_json(&m, b2)["checkpoints"], json!(["cp"]));
        let cp = &m.checkpoints()[0];
        assert_eq!(
            checkpoint(&m, cp, "b2"),
            "Checkpoint: cp of b2 (the schema of 2 revision(s), for a database at base)\nPath: migrations/cp_x.sql\nDialects: sqlite\n\n    the schema as of b2\n"
        );
    }

    #[test]
    fn verbose_lists_parents_children_labels_and_reversibility() {
        let m = map();
        let r0 = verbose(&m, m.get("r0").unwrap());
        assert!(r0.starts_with("Rev: r0 (branchpoint)\nParent: <base>\nBranches into: a1, b1\nPath: migrations/r0_x.sql\n"), "{r0}");
        let m2 = verbose(&m, m.get("m2").unwrap());
        assert!(
            m2.contains("Merges: a1, b1\n")
                && m2.contains("Branch names: tools\n")
                && m2.contains("Downgrade: yes\n"),
            "{m2}"
        );
        let mut irreversible = rev("x9", "", "");
        irreversible.downgrade = Default::default();
        let single = RevisionMap::new(vec![irreversible]).unwrap();
        assert!(
            verbose(&single, single.get("x9").unwrap()).contains("Downgrade: no (irreversible")
        );
    }

    #[test]
    fn revisions_a_newer_release_applied_are_marked_in_text_and_json() {
        let mut newer = rev("n2", "x1", "");
        newer.path = "<remembered in alembic_version_revisions>".into();
        let embedded = RevisionMap::new(vec![rev("x1", "", "")]).unwrap();
        let m = RevisionMap::with_remembered(&embedded, vec![newer]).unwrap();
        assert_eq!(
            entry(&m, m.get("n2").unwrap()),
            "x1 -> n2 (newer than this binary) (head), message of n2"
        );
        assert_eq!(
            entry(&m, m.get("x1").unwrap()),
            "<base> -> x1, message of x1"
        );
        assert_eq!(
            revision_json(&m, m.get("n2").unwrap())["newer_than_binary"],
            true
        );
        assert_eq!(
            revision_json(&m, m.get("x1").unwrap())["newer_than_binary"],
            false
        );
    }

    #[test]
    fn text_from_the_database_is_escaped_and_cut() {
        // As a newer release's revision is read back from the records table.
        let mut newer = rev("n2", "x1", "");
        newer.id = "n2\x1b[2J".into();
        newer.message = format!("wiped\r\x1b]0;title\x07{}", "m".repeat(10_000));
        newer.path = "<remembered in alembic_version_revisions>".into();
        let embedded = RevisionMap::new(vec![rev("x1", "", "")]).unwrap();
        let m = RevisionMap::with_remembered(&embedded, vec![newer]).unwrap();
        let n2 = m.get("n2\x1b[2J").unwrap();
        for text in [entry(&m, n2), verbose(&m, n2)] {
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
            assert!(text.contains("n2\\x1b[2J"), "{text}");
            assert!(text.contains("wiped\\r\\x1b]0;title\\x07mmm"), "{text}");
            assert!(text.contains("... [9816 more characters]"), "{text}");
            assert!(text.len() < 1000, "{text}");
        }
        // JSON keeps the characters (JSON escapes them) and cuts only huge values.
        let json = revision_json(&m, n2);
        assert_eq!(json["revision"], "n2\x1b[2J");
        assert_eq!(json["message"].as_str().unwrap().chars().count(), 10_016);
        let entry = HistoryEntry {
            revision: "r\x1b".into(),
            operation: crate::store::Operation::Upgrade,
            checksum: None,
            applied_at: String::new(),
            duration: std::time::Duration::ZERO,
            outcome: Outcome::Failed,
            statements: 3,
            statements_done: usize::MAX,
            error: None,
        };
        let line = interrupted_line(&entry);
        assert!(line.starts_with("r\\x1b partly applied"), "{line}");
        assert_eq!(described(&["a\nb".into()]), "a\\nb");
    }
}

//! How revisions look on the terminal, in Alembic's forms.

use serde_json::{Value, json};

use crate::error::Drift;
use crate::migrator::Report;
use crate::revision::{Dialect, Direction, Revision, RevisionMap};

/// `4358d1b8cc75 -> 1284c81cf727 (head), create lswitch ...`: one revision on one line.
pub fn entry(map: &RevisionMap, rev: &Revision) -> String {
    let parents = rev.parents_label();
    format!(
        "{parents} -> {}{}, {}",
        rev.id,
        flags(map, rev),
        rev.message
    )
}

fn flags(map: &RevisionMap, rev: &Revision) -> String {
    let mut out = String::new();
    for label in &rev.branch_labels {
        out.push_str(&format!(" ({label})"));
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
    out
}

/// Every detail of a revision, as `show` and `--verbose` print it.
pub fn verbose(map: &RevisionMap, rev: &Revision) -> String {
    let mut out = format!("Rev: {}{}\n", rev.id, flags(map, rev));
    let parents = rev.parents_label();
    out.push_str(&format!(
        "{}: {parents}\n",
        if rev.is_merge() { "Merges" } else { "Parent" }
    ));
    let children: Vec<String> = map.children(&rev.id).iter().map(|c| c.id.clone()).collect();
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
    let labels: Vec<&str> = map.labels_of(&rev.id).into_iter().collect();
    if !labels.is_empty() {
        out.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    out.push_str(&format!("Path: {}\n", rev.path));
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
        rev.message
    ));
    out.push_str(&format!(
        "    Revision ID: {}\n    Revises: {parents}\n",
        rev.id
    ));
    if let Some(date) = &rev.create_date {
        out.push_str(&format!("    Create Date: {date}\n"));
    }
    out
}

/// A revision as a JSON object, for `--format json`.
pub fn revision_json(map: &RevisionMap, rev: &Revision) -> Value {
    json!({
        "revision": rev.id,
        "down_revisions": rev.down_revisions,
        "message": rev.message,
        "branch_labels": rev.branch_labels,
        "create_date": rev.create_date,
        "path": rev.path,
        "transactional": rev.transactional,
        "is_head": map.is_head(&rev.id),
        "is_branch_point": map.is_branch_point(&rev.id),
        "is_merge": rev.is_merge(),
    })
}

/// What an upgrade or downgrade did, as JSON.
pub fn report_json(database: &str, report: &Report) -> Value {
    json!({
        "database": database,
        "before": report.before,
        "after": report.after,
        "steps": report.steps.iter().map(|s| json!({
            "revision": s.revision,
            "direction": s.direction.name(),
            "statements": s.statements,
            "duration_ms": s.duration.as_secs_f64() * 1000.0,
        })).collect::<Vec<_>>(),
    })
}

/// Drifted revisions as JSON.
pub fn drift_json(drift: &[Drift]) -> Value {
    drift
        .iter()
        .map(|d| {
            json!({
                "revision": d.revision,
                "path": d.path,
                "recorded_checksum": d.recorded,
                "embedded_checksum": d.embedded,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
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
            "a1, b1 -> m2 (head) (mergepoint), message of m2"
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
}

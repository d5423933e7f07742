//! Checking the links a set of revisions declares: unique ids, known parents, branch labels of
//! their own, known dependencies.

use std::collections::HashMap;

use crate::revision::{FileError, Revision};

/// The links of a set of revisions, checked.
pub(super) struct Links<'r> {
    /// Each revision's position among those given, by id.
    pub by_id: HashMap<&'r str, usize>,
    /// What each revision needs applied first, by id: its parents, then its dependencies.
    pub needs: Vec<Vec<String>>,
}

/// The links of `revisions`, or every duplicate id, unknown parent, duplicate label and unknown
/// dependency.
pub(super) fn links(revisions: &[Revision]) -> Result<Links<'_>, Vec<FileError>> {
    let mut errors = Vec::new();
    let by_id = unique_ids(revisions, &mut errors);
    check_parents(revisions, &by_id, &mut errors);
    let labels = unique_labels(revisions, &by_id, &mut errors);
    let needs = needs(revisions, &by_id, &labels, &mut errors);
    if errors.is_empty() {
        Ok(Links { by_id, needs })
    } else {
        Err(errors)
    }
}

/// Each revision's position by id, the first of a duplicate id kept.
fn unique_ids<'r>(
    revisions: &'r [Revision],
    errors: &mut Vec<FileError>,
) -> HashMap<&'r str, usize> {
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, r) in revisions.iter().enumerate() {
        if let Some(&first) = by_id.get(r.id.as_str()) {
            errors.push(
                FileError::new(
                    &r.path,
                    r.id_line,
                    format!("duplicate revision id '{}'", r.id),
                )
                .hint(format!(
                    "'{}' already has this id; give one of them a new id",
                    revisions[first].path
                )),
            );
        } else {
            by_id.insert(&r.id, i);
        }
    }
    by_id
}

/// Reports each parent (`Revises:`) that no revision is.
fn check_parents(
    revisions: &[Revision],
    by_id: &HashMap<&str, usize>,
    errors: &mut Vec<FileError>,
) {
    for r in revisions {
        for parent in &r.down_revisions {
            if !by_id.contains_key(parent.as_str()) {
                errors.push(
                    FileError::new(&r.path, r.revises_line, format!("'Revises:' names unknown revision '{parent}'"))
                        .hint("no migration file has this Revision ID; check for a typo or a missing file"),
                );
            }
        }
    }
}

/// The position of the revision carrying each branch label; a label used twice or that is a
/// revision id is reported.
fn unique_labels(
    revisions: &[Revision],
    by_id: &HashMap<&str, usize>,
    errors: &mut Vec<FileError>,
) -> HashMap<String, usize> {
    let mut labels: HashMap<String, usize> = HashMap::new();
    for (i, r) in revisions.iter().enumerate() {
        for label in &r.branch_labels {
            if let Some(&other) = labels.get(label) {
                errors.push(FileError::new(
                    &r.path,
                    r.id_line,
                    format!(
                        "branch label '{label}' is also used by '{}'",
                        revisions[other].path
                    ),
                ));
            } else if by_id.contains_key(label.as_str()) {
                errors.push(FileError::new(
                    &r.path,
                    r.id_line,
                    format!("branch label '{label}' is a revision id"),
                ));
            } else {
                labels.insert(label.clone(), i);
            }
        }
    }
    labels
}

/// What each revision needs applied first, by id: its parents, then what `Depends On:` names by
/// id or by branch label; a dependency that is unknown or the revision itself is reported.
fn needs(
    revisions: &[Revision],
    by_id: &HashMap<&str, usize>,
    labels: &HashMap<String, usize>,
    errors: &mut Vec<FileError>,
) -> Vec<Vec<String>> {
    let mut needs_ids: Vec<Vec<String>> = Vec::with_capacity(revisions.len());
    for r in revisions {
        let mut needs = r.down_revisions.clone();
        for dep in &r.depends_on {
            match by_id.get(dep.as_str()).or_else(|| labels.get(dep.as_str())) {
                Some(&d) if revisions[d].id == r.id => errors.push(FileError::new(
                    &r.path,
                    r.depends_on_line,
                    format!("'Depends On:' names the revision itself ('{dep}')"),
                )),
                Some(&d) => needs.push(revisions[d].id.clone()),
                None => errors.push(
                    FileError::new(
                        &r.path,
                        r.depends_on_line,
                        format!("'Depends On:' names unknown revision '{dep}'"),
                    )
                    .hint("name a revision id or a branch label of another migration file"),
                ),
            }
        }
        needs_ids.push(needs);
    }
    needs_ids
}

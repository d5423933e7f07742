//! From the database's current revisions and a target to the ordered steps that get there.

use thiserror::Error;

use crate::revision::{Dialect, Direction, Revision, RevisionMap, Target, TargetError};

/// One revision to run, and the version table before and after it.
#[derive(Debug, Clone)]
pub struct Step<'m> {
    /// The revision.
    pub revision: &'m Revision,
    /// Which way.
    pub direction: Direction,
    /// Version-table rows before the step.
    pub before: Vec<String>,
    /// Version-table rows after the step.
    pub after: Vec<String>,
}

impl Step<'_> {
    /// Rows to delete from the version table.
    pub fn removed(&self) -> Vec<String> {
        self.before
            .iter()
            .filter(|r| !self.after.contains(r))
            .cloned()
            .collect()
    }

    /// Rows to insert into the version table.
    pub fn added(&self) -> Vec<String> {
        self.after
            .iter()
            .filter(|r| !self.before.contains(r))
            .cloned()
            .collect()
    }
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// The target does not resolve.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A downgrade would cross a revision that has no downgrade.
    #[error(
        "cannot downgrade revision {revision} ({path}): it is irreversible on {dialect} (it has no downgrade for it); nothing was run"
    )]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// The dialect.
        dialect: Dialect,
    },
    /// An upgrade needs a revision that has no upgrade for this dialect.
    #[error(
        "revision {revision} ({path}) has no upgrade section for {dialect}: add '-- +upgrade' or '-- +upgrade {dialect}'; nothing was run"
    )]
    NoUpgrade {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// The dialect.
        dialect: Dialect,
    },
    /// A downgrade target that is not applied.
    #[error("cannot downgrade to {target}: it is not applied (current: {current}); use upgrade")]
    NotApplied {
        /// The target.
        target: String,
        /// The current revisions.
        current: String,
    },
    /// `upgrade -N` or `downgrade +N`.
    #[error("{0}")]
    WrongDirection(String),
}

/// Names revisions for messages: `a, b`, or `base` when empty.
pub fn describe<S: std::borrow::Borrow<str>>(ids: &[S]) -> String {
    if ids.is_empty() {
        "base".to_string()
    } else {
        ids.join(", ")
    }
}

/// Resolves `target` to the set of revisions it names; `current` answers `current` and relative
/// steps.
pub fn resolve(
    map: &RevisionMap,
    current: &[String],
    target: &Target,
) -> Result<Vec<String>, TargetError> {
    map.resolve(current, target)
}

/// The upgrade steps from `current` to `target`, in order; empty when there is nothing to do.
/// From base, with `checkpoints`, the newest checkpoint on the way runs first, instead of the
/// revisions it stands for.
pub fn upgrade<'m>(
    map: &'m RevisionMap,
    current: &[String],
    target: &Target,
    dialect: Dialect,
    checkpoints: bool,
) -> Result<Vec<Step<'m>>, PlanError> {
    if matches!(target, Target::Relative { from: None, steps } | Target::LabelRelative { steps, .. } if *steps < 0)
    {
        return Err(PlanError::WrongDirection(
            "a negative step goes down: use downgrade".into(),
        ));
    }
    let wanted = resolve(map, current, target)?;
    let goal = map.ancestors(wanted.iter().map(String::as_str));
    let mut applied = map.ancestors(current.iter().map(String::as_str));
    let mut steps = Vec::new();
    let from = checkpoint(map, current, &goal, dialect).filter(|_| checkpoints);
    if let Some((checkpoint, covered)) = from {
        applied = covered;
        steps.push(Step {
            revision: checkpoint,
            direction: Direction::Upgrade,
            before: Vec::new(),
            after: map.heads_of(&applied),
        });
    }
    for i in 0..map.len() {
        if goal[i] && !applied[i] {
            let revision = map.at(i);
            if !revision.can_run(Direction::Upgrade, dialect) && !revision.is_merge() {
                return Err(PlanError::NoUpgrade {
                    revision: revision.id.clone(),
                    path: revision.path.clone(),
                    dialect,
                });
            }
            let before = map.heads_of(&applied);
            applied[i] = true;
            steps.push(Step {
                revision,
                direction: Direction::Upgrade,
                before,
                after: map.heads_of(&applied),
            });
        }
    }
    Ok(steps)
}

/// The checkpoint a database at base (`current` empty) runs instead of replaying history on its
/// way to `goal`, with the revisions it stands for: of those that run on `dialect` and whose
/// revision and its ancestors are all in `goal`, the one that stands for the most.
fn checkpoint<'m>(
    map: &'m RevisionMap,
    current: &[String],
    goal: &[bool],
    dialect: Dialect,
) -> Option<(&'m Revision, Vec<bool>)> {
    if !current.is_empty() {
        return None;
    }
    map.checkpoints()
        .iter()
        .filter(|c| c.can_run(Direction::Upgrade, dialect))
        .filter_map(|c| {
            let (of, _) = c.checkpoint_of.as_ref()?;
            let covered = map.ancestors([of.as_str()]);
            let within = covered.iter().zip(goal).all(|(c, g)| !c || *g);
            within.then(|| (covered.iter().filter(|c| **c).count(), c, covered))
        })
        .max_by_key(|(count, c, _)| (*count, std::cmp::Reverse(c.id.clone())))
        .map(|(_, c, covered)| (c, covered))
}

/// The one step that applies (`Upgrade`) or reverts (`Downgrade`) `revision` from `current`:
/// `None` when it cannot be taken alone (a parent not applied; a revision not applied, or needed
/// by another applied one).
pub fn single<'m>(
    map: &'m RevisionMap,
    current: &[String],
    revision: &str,
    direction: Direction,
) -> Option<Step<'m>> {
    let i = map.position(revision)?;
    let rev = map.at(i);
    let mut applied = map.ancestors(current.iter().map(String::as_str));
    let possible = match direction {
        Direction::Upgrade => {
            let needs = map.ancestors([revision]);
            !applied[i] && (0..map.len()).all(|j| j == i || !needs[j] || applied[j])
        }
        Direction::Downgrade => {
            let needed_by = map.descendants([revision]);
            applied[i] && (0..map.len()).all(|j| j == i || !needed_by[j] || !applied[j])
        }
    };
    if !possible {
        return None;
    }
    let before = map.heads_of(&applied);
    applied[i] = direction == Direction::Upgrade;
    Some(Step {
        revision: rev,
        direction,
        before,
        after: map.heads_of(&applied),
    })
}

/// Whether `target` names the whole state to leave (a move from the current rows, `base`,
/// `label@base`) rather than a revision to go down to.
fn exact_state(target: &Target) -> bool {
    matches!(
        target,
        Target::Base
            | Target::LabelBase(_)
            | Target::LabelRelative { .. }
            | Target::Relative { from: None, .. }
    )
}

/// The downgrade steps from `current` to `target`, newest first; refused up front when any step
/// is irreversible.
pub fn downgrade<'m>(
    map: &'m RevisionMap,
    current: &[String],
    target: &Target,
    dialect: Dialect,
) -> Result<Vec<Step<'m>>, PlanError> {
    if matches!(target, Target::Relative { from: None, steps } | Target::LabelRelative { steps, .. } if *steps > 0)
    {
        return Err(PlanError::WrongDirection(
            "a positive step goes up: use upgrade".into(),
        ));
    }
    let wanted = resolve(map, current, target)?;
    let mut applied = map.ancestors(current.iter().map(String::as_str));
    if let Some(missing) = wanted
        .iter()
        .find(|w| map.position(w).is_none_or(|p| !applied[p]))
    {
        return Err(PlanError::NotApplied {
            target: missing.clone(),
            current: describe(current),
        });
    }
    let keep = map.ancestors(wanted.iter().map(String::as_str));
    let mut gone: Vec<bool> = if exact_state(target) {
        // The target is the whole state to leave: everything else applied goes.
        (0..map.len()).map(|i| applied[i] && !keep[i]).collect()
    } else {
        // Down to a revision: its line above it goes, and whatever needs what goes.
        let above = map.successors(wanted.iter().map(String::as_str));
        (0..map.len())
            .map(|i| applied[i] && above[i] && !keep[i])
            .collect()
    };
    let needing = map.descendants(
        (0..map.len())
            .filter(|&i| gone[i])
            .map(|i| map.at(i).id.as_str())
            .collect::<Vec<_>>(),
    );
    for i in 0..map.len() {
        gone[i] |= applied[i] && needing[i];
    }
    let remove: Vec<usize> = (0..map.len()).rev().filter(|&i| gone[i]).collect();
    let mut steps = Vec::new();
    for i in remove {
        let revision = map.at(i);
        if !revision.can_run(Direction::Downgrade, dialect) && !revision.is_merge() {
            return Err(PlanError::Irreversible {
                revision: revision.id.clone(),
                path: revision.path.clone(),
                dialect,
            });
        }
        let before = map.heads_of(&applied);
        applied[i] = false;
        steps.push(Step {
            revision,
            direction: Direction::Downgrade,
            before,
            after: map.heads_of(&applied),
        });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::RevisionMap;

    fn chain() -> RevisionMap {
        crate::revision::test_support::map(&[("a", ""), ("b", "a"), ("c", "b"), ("d", "c")])
    }

    fn ids(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| s.revision.id.clone()).collect()
    }

    fn t(s: &str) -> Target {
        s.parse().unwrap()
    }

    const D: Dialect = Dialect::Sqlite;

    #[test]
    fn a_single_step_is_taken_only_where_it_can_stand_alone() {
        let m = chain();
        let s = |current: &[&str], rev: &str, d: Direction| {
            let current: Vec<String> = current.iter().map(|c| c.to_string()).collect();
            single(&m, &current, rev, d).map(|s| (s.before, s.after))
        };
        let v = |ids: &[&str]| ids.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s(&["b"], "c", Direction::Upgrade),
            Some((v(&["b"]), v(&["c"])))
        );
        assert_eq!(s(&["a"], "c", Direction::Upgrade), None, "b is not applied");
        assert_eq!(s(&["c"], "c", Direction::Upgrade), None, "already applied");
        assert_eq!(
            s(&["c"], "c", Direction::Downgrade),
            Some((v(&["c"]), v(&["b"])))
        );
        assert_eq!(s(&["d"], "c", Direction::Downgrade), None, "d needs c");
        assert_eq!(s(&["b"], "c", Direction::Downgrade), None, "not applied");
        assert_eq!(s(&[], "a", Direction::Upgrade), Some((v(&[]), v(&["a"]))));
    }

    #[test]
    fn upgrade_from_base_and_from_the_middle() {
        let m = chain();
        let steps = upgrade(&m, &[], &t("head"), D, true).unwrap();
        assert_eq!(ids(&steps), ["a", "b", "c", "d"]);
        assert_eq!(
            (steps[0].removed(), steps[0].added()),
            (vec![], vec!["a".to_string()])
        );
        assert_eq!(
            (steps[1].removed(), steps[1].added()),
            (vec!["a".to_string()], vec!["b".to_string()])
        );
        assert_eq!(
            ids(&upgrade(&m, &["b".into()], &t("head"), D, true).unwrap()),
            ["c", "d"]
        );
        assert!(
            upgrade(&m, &["d".into()], &t("head"), D, true)
                .unwrap()
                .is_empty()
        );
        assert!(
            upgrade(&m, &["d".into()], &t("b"), D, true)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn relative_steps() {
        let m = chain();
        assert_eq!(
            ids(&upgrade(&m, &["a".into()], &t("+2"), D, true).unwrap()),
            ["b", "c"]
        );
        assert_eq!(
            ids(&downgrade(&m, &["d".into()], &t("-1"), D).unwrap()),
            ["d"]
        );
        assert_eq!(
            ids(&downgrade(&m, &["d".into()], &t("head-3"), D).unwrap()),
            ["d", "c", "b"]
        );
        assert_eq!(
            ids(&upgrade(&m, &[], &t("b+1"), D, true).unwrap()),
            ["a", "b", "c"]
        );
        let e = upgrade(&m, &["c".into()], &t("+5"), D, true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot move +5 revisions: only 1 revision(s) lie above c"
        );
        assert!(matches!(
            upgrade(&m, &[], &t("-1"), D, true),
            Err(PlanError::WrongDirection(_))
        ));
        assert!(matches!(
            downgrade(&m, &[], &t("+1"), D),
            Err(PlanError::WrongDirection(_))
        ));
    }

    #[test]
    fn downgrade_to_a_revision_and_to_base() {
        let m = chain();
        let steps = downgrade(&m, &["d".into()], &t("b"), D).unwrap();
        assert_eq!(ids(&steps), ["d", "c"]);
        assert_eq!(steps[1].after, vec!["b".to_string()]);
        let all = downgrade(&m, &["d".into()], &t("base"), D).unwrap();
        assert_eq!(ids(&all), ["d", "c", "b", "a"]);
        assert!(all[3].after.is_empty());
        let e = downgrade(&m, &["b".into()], &t("c"), D).unwrap_err();
        assert!(matches!(e, PlanError::NotApplied { .. }), "{e}");
    }

    #[test]
    fn merges_and_branches_update_the_version_rows() {
        let m =
            crate::revision::test_support::map(&[("r", ""), ("a", "r"), ("b", "r"), ("m", "a, b")]);
        let steps = upgrade(&m, &[], &t("head"), D, true).unwrap();
        assert_eq!(ids(&steps), ["r", "a", "b", "m"]);
        assert_eq!(steps[2].after, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(steps[3].removed(), vec!["a".to_string(), "b".to_string()]);
        let back = downgrade(&m, &["m".into()], &t("-1"), D).unwrap();
        assert_eq!(back[0].after, vec!["a".to_string(), "b".to_string()]);
        let to_a = downgrade(&m, &["m".into()], &t("a"), D).unwrap();
        assert_eq!(ids(&to_a), ["m"]);
        assert_eq!(to_a[0].after, vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn irreversible_revisions_refuse_the_whole_downgrade() {
        let mut revs: Vec<_> = ["a", "b", "c"]
            .iter()
            .zip(["", "a", "b"])
            .map(|(id, p)| crate::revision::test_support::rev(id, p, ""))
            .collect();
        revs[1].downgrade = Default::default();
        let m = RevisionMap::new(revs).unwrap();
        let e = downgrade(&m, &["c".into()], &t("base"), D).unwrap_err();
        assert!(
            matches!(&e, PlanError::Irreversible { revision, .. } if revision == "b"),
            "{e}"
        );
        assert_eq!(
            ids(&downgrade(&m, &["c".into()], &t("b"), D).unwrap()),
            ["c"]
        );
    }

    #[test]
    fn missing_upgrade_for_a_dialect_is_named() {
        let mut revs = vec![crate::revision::test_support::rev("a", "", "")];
        let generic = revs[0].upgrade.generic.take().unwrap();
        revs[0]
            .upgrade
            .dialects
            .push((Dialect::Postgresql, generic));
        let m = RevisionMap::new(revs).unwrap();
        let e = upgrade(&m, &[], &t("head"), Dialect::Mysql, true).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("revision a (migrations/a_x.sql) has no upgrade section for mysql")
        );
        assert_eq!(
            upgrade(&m, &[], &t("head"), Dialect::Postgresql, true)
                .unwrap()
                .len(),
            1
        );
    }

    /// A checkpoint `id` of revision `of`, with an upgrade on `dialects` (generic when empty).
    fn checkpoint_of(id: &str, of: &str, dialects: &[Dialect]) -> Revision {
        let sections = if dialects.is_empty() {
            "-- +upgrade\nCREATE TABLE t (x INT);\n".to_string()
        } else {
            dialects
                .iter()
                .map(|d| format!("-- +upgrade {d}\nCREATE TABLE t (x INT);\n"))
                .collect()
        };
        let text = format!(
            "-- schema as of {of}\n--\n-- Revision ID: {id}\n-- Checkpoint Of: {of}\n\n{sections}"
        );
        crate::revision::parse_revision(
            &format!("migrations/{id}_x.sql"),
            &format!("{id}_x.sql"),
            &text,
        )
        .unwrap()
    }

    fn with_checkpoints(checkpoints: Vec<Revision>) -> RevisionMap {
        let mut revs: Vec<Revision> = chain().iter().cloned().collect();
        revs.extend(checkpoints);
        RevisionMap::new(revs).unwrap()
    }

    #[test]
    fn a_database_at_base_starts_from_the_newest_checkpoint_on_its_way() {
        let m = with_checkpoints(vec![
            checkpoint_of("cpb", "b", &[]),
            checkpoint_of("cpc", "c", &[]),
        ]);
        let steps = upgrade(&m, &[], &t("head"), D, true).unwrap();
        assert_eq!(ids(&steps), ["cpc", "d"]);
        assert_eq!(
            (steps[0].before.clone(), steps[0].after.clone()),
            (vec![], vec!["c".to_string()])
        );
        assert_eq!(
            (steps[1].removed(), steps[1].added()),
            (vec!["c".to_string()], vec!["d".to_string()])
        );
        // A target below the newest checkpoint takes the one under it; below both, none.
        assert_eq!(ids(&upgrade(&m, &[], &t("b"), D, true).unwrap()), ["cpb"]);
        assert_eq!(ids(&upgrade(&m, &[], &t("+1"), D, true).unwrap()), ["a"]);
        // Past base, or asked to replay, the revisions run.
        assert_eq!(
            ids(&upgrade(&m, &["a".into()], &t("head"), D, true).unwrap()),
            ["b", "c", "d"]
        );
        assert_eq!(
            ids(&upgrade(&m, &[], &t("head"), D, false).unwrap()),
            ["a", "b", "c", "d"]
        );
    }

    #[test]
    fn a_checkpoint_without_a_section_for_the_dialect_is_passed_by() {
        let m = with_checkpoints(vec![
            checkpoint_of("cpb", "b", &[]),
            checkpoint_of("cpc", "c", &[Dialect::Postgresql]),
        ]);
        assert_eq!(
            ids(&upgrade(&m, &[], &t("head"), Dialect::Postgresql, true).unwrap()),
            ["cpc", "d"]
        );
        assert_eq!(
            ids(&upgrade(&m, &[], &t("head"), Dialect::Mysql, true).unwrap()),
            ["cpb", "c", "d"]
        );
    }

    #[test]
    fn checkpoints_are_checked_where_the_graph_is_linked() {
        let errors = |c: Revision| {
            RevisionMap::new(chain().iter().cloned().chain([c]).collect())
                .unwrap_err()
                .to_string()
        };
        assert!(
            errors(checkpoint_of("cpz", "zz", &[]))
                .contains("migrations/cpz_x.sql:4: 'Checkpoint Of:' names unknown revision 'zz'")
        );
        assert!(
            errors(checkpoint_of("b", "c", &[]))
                .contains("migrations/b_x.sql:3: duplicate revision id 'b'")
        );
        let m = with_checkpoints(vec![checkpoint_of("cpc", "c", &[])]);
        assert_eq!(m.len(), 4, "a checkpoint is no revision of the graph");
        assert_eq!(m.heads().len(), 1);
        assert_eq!(
            m.revision_or_checkpoint("cpc").map(|r| r.id.as_str()),
            Some("cpc")
        );
        assert!(m.without_checkpoints().checkpoints().is_empty());
    }
}

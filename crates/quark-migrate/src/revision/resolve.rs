//! Target resolution: what `head`, `l1+2`, `-1`, `left@+1` or `left@base` name, given the
//! revisions a database holds.
//!
//! As Alembic resolves them: `<rev>±N` walks N edges from a revision; `+N` walks up from the
//! database's single head, `<label>@+N` from its head on that branch. A walk that could go more
//! than one way is refused, naming the ways. Where Alembic walks and we apply or revert one
//! revision at a time instead: `+N` from several heads goes on only to the one revision they all
//! lead to (their merge); `-N` and `<label>@-N` revert the database's one head (on that
//! branch), however many parents it has, and refuse when there are several.

use super::{Range, Revision, RevisionMap, Target, TargetError};

impl RevisionMap {
    /// The version-table rows `target` names when the database holds `current` (its rows):
    /// one revision, several (`heads`), or none (`base`).
    pub fn resolve(&self, current: &[String], target: &Target) -> Result<Vec<String>, TargetError> {
        let spec = target.to_string();
        let one = |i: Option<usize>| -> Vec<String> {
            i.map(|i| self.at(i).id.clone()).into_iter().collect()
        };
        Ok(match target {
            Target::Head => vec![self.single_head()?.id.clone()],
            Target::Heads => self.heads().iter().map(|r| r.id.clone()).collect(),
            Target::Base => Vec::new(),
            Target::Current => current.to_vec(),
            Target::Revision(name) => vec![self.lookup(name)?.id.clone()],
            Target::LabelHead(label) => vec![self.label_head(label)?.id.clone()],
            Target::LabelBase(label) => {
                // Below the first revision of every line the label's branch shares.
                let lineage = self.lineage(label)?;
                let roots: Vec<&str> = self
                    .iter()
                    .enumerate()
                    .filter(|(i, r)| lineage[*i] && r.down_revisions.is_empty())
                    .map(|(_, r)| r.id.as_str())
                    .collect();
                let gone = self.descendants(roots);
                let mut applied = self.ancestors(current.iter().map(String::as_str));
                for (a, g) in applied.iter_mut().zip(gone) {
                    *a &= !g;
                }
                self.heads_of(&applied)
            }
            Target::Relative { from: None, steps } if *steps > 0 => {
                self.upgrade_from_state(current, *steps, &spec)?
            }
            Target::Relative { from: None, steps } => {
                self.revert_heads(current, *steps, None, &spec)?
            }
            Target::LabelRelative { label, steps } if *steps > 0 => {
                let lineage = self.lineage(label)?;
                let start = self.branch_start(current, &lineage, &spec)?;
                one(self.walk_edges(start, *steps, Some(&lineage), &spec)?)
            }
            Target::LabelRelative { label, steps } => {
                let lineage = self.lineage(label)?;
                self.revert_heads(current, *steps, Some(&lineage), &spec)?
            }
            Target::Relative {
                from: Some(from),
                steps,
            } => {
                let start = self.single(&self.resolve(current, from)?, &spec, from)?;
                one(self.walk_edges(start, *steps, None, &spec)?)
            }
        })
    }

    /// The one revision of `ids` (`None` for base), or why a move cannot start from them.
    fn single(
        &self,
        ids: &[String],
        spec: &str,
        from: &Target,
    ) -> Result<Option<usize>, TargetError> {
        match ids {
            [] => Ok(None),
            [one] => Ok(self.position(one)),
            several => Err(TargetError::Invalid(format!(
                "{spec}' (a relative move starts from one revision, and {from} is {}",
                several.join(", ")
            ))),
        }
    }

    /// `+N` from the database's rows: a walk up from its one head (from base when it has none);
    /// from several heads, first the one revision they all lead to, then on from there.
    fn upgrade_from_state(
        &self,
        current: &[String],
        steps: i64,
        spec: &str,
    ) -> Result<Vec<String>, TargetError> {
        let mut applied = self.ancestors(current.iter().map(String::as_str));
        let origin = self.heads_of(&applied);
        for done in 0..steps.unsigned_abs() {
            let rows = self.heads_of(&applied);
            if rows.len() <= 1 {
                let start = rows.first().and_then(|r| self.position(r));
                let left = steps - done as i64;
                return Ok(self
                    .walk_edges(start, left, None, spec)
                    .map_err(|e| match e {
                        // Counted from where the whole move started.
                        TargetError::TooFar { taken, .. } => TargetError::TooFar {
                            steps,
                            taken: taken + done,
                            from: name(&origin),
                        },
                        other => other,
                    })?
                    .map(|i| self.at(i).id.clone())
                    .into_iter()
                    .collect());
            }
            let mut ways: Vec<usize> = rows
                .iter()
                .filter_map(|r| self.position(r))
                .flat_map(|r| self.children_of(r).iter().copied())
                .collect();
            ways.sort_unstable();
            ways.dedup();
            if let [merge] = ways.as_slice()
                && !self.needs_of(*merge).iter().all(|&n| applied[n])
            {
                ways.clear();
            }
            let next = self.one_way(&ways, (&origin, &rows), steps, done, spec)?;
            applied[next] = true;
        }
        Ok(self.heads_of(&applied))
    }

    /// `-N` (within `branch` for `<label>@-N`): N times, the database's one head (on that
    /// branch) reverted; the rows that leaves.
    fn revert_heads(
        &self,
        current: &[String],
        steps: i64,
        branch: Option<&[bool]>,
        spec: &str,
    ) -> Result<Vec<String>, TargetError> {
        let mut applied = self.ancestors(current.iter().map(String::as_str));
        let origin = self.heads_of(&applied);
        for done in 0..steps.unsigned_abs() {
            let ways: Vec<usize> = (0..self.len())
                .filter(|&i| branch.is_none_or(|b| b[i]))
                .filter(|&i| applied[i] && !self.needed_by(i).iter().any(|&c| applied[c]))
                .collect();
            let next = self.one_way(
                &ways,
                (&origin, &self.heads_of(&applied)),
                steps,
                done,
                spec,
            )?;
            applied[next] = false;
        }
        Ok(self.heads_of(&applied))
    }

    /// Where `<label>@+N` starts: the database's head on the branch; else the newest applied
    /// revisions of the branch; else base.
    fn branch_start(
        &self,
        current: &[String],
        lineage: &[bool],
        spec: &str,
    ) -> Result<Option<usize>, TargetError> {
        let applied = self.ancestors(current.iter().map(String::as_str));
        let on_branch: Vec<bool> = applied.iter().zip(lineage).map(|(a, l)| *a && *l).collect();
        let tips: Vec<usize> = (0..self.len())
            .filter(|&i| on_branch[i] && !self.children_of(i).iter().any(|&c| on_branch[c]))
            .collect();
        match tips.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            several => Err(TargetError::AmbiguousMove {
                target: spec.to_string(),
                from: name(current),
                ways: several
                    .iter()
                    .map(|&i| self.described(self.at(i)))
                    .collect(),
            }),
        }
    }

    /// `steps` along the graph's `Revises:` edges from `start` (`None`: base), up through the
    /// revisions of `branch` when given: each step must have one way to go.
    fn walk_edges(
        &self,
        start: Option<usize>,
        steps: i64,
        branch: Option<&[bool]>,
        spec: &str,
    ) -> Result<Option<usize>, TargetError> {
        let mut here = start;
        let origin: Vec<String> = start.map(|i| self.at(i).id.clone()).into_iter().collect();
        for done in 0..steps.unsigned_abs() {
            let ways: Vec<usize> = match (here, steps > 0) {
                (None, true) => (0..self.len())
                    .filter(|&i| self.parents_of(i).is_empty())
                    .collect(),
                (Some(at), true) => self.children_of(at).to_vec(),
                (None, false) => Vec::new(),
                (Some(at), false) if self.parents_of(at).is_empty() => {
                    here = None;
                    continue;
                }
                (Some(at), false) => self.parents_of(at).to_vec(),
            };
            let ways: Vec<usize> = ways
                .into_iter()
                .filter(|&i| branch.is_none_or(|b| b[i]))
                .collect();
            let from: Vec<String> = here.map(|i| self.at(i).id.clone()).into_iter().collect();
            here = Some(self.one_way(&ways, (&origin, &from), steps, done, spec)?);
        }
        Ok(here)
    }

    /// The one way a step can go, or why there is none or more than one; `(origin, here)` are
    /// where the move started and where this step starts.
    fn one_way(
        &self,
        ways: &[usize],
        (origin, here): (&[String], &[String]),
        steps: i64,
        done: u64,
        spec: &str,
    ) -> Result<usize, TargetError> {
        match ways {
            [one] => Ok(*one),
            [] => Err(TargetError::TooFar {
                steps,
                taken: done,
                from: name(origin),
            }),
            several => Err(TargetError::AmbiguousMove {
                target: spec.to_string(),
                from: name(here),
                ways: several
                    .iter()
                    .map(|&i| self.described(self.at(i)))
                    .collect(),
            }),
        }
    }

    /// The version-table rows after `stamp` of `wanted` over `before`, as Alembic stamps: each
    /// wanted revision replaces the rows on its line of descent (its ancestors and descendants)
    /// and leaves the other branches' rows alone; `base` (nothing wanted) clears every row.
    pub fn stamped(&self, before: &[String], wanted: &[String]) -> Vec<String> {
        if wanted.is_empty() {
            return Vec::new();
        }
        let mut rows = before.to_vec();
        for dest in wanted {
            if rows.contains(dest) {
                continue;
            }
            let up = self.ancestors([dest.as_str()]);
            let down = self.descendants([dest.as_str()]);
            rows.retain(|row| self.position(row).is_some_and(|p| !up[p] && !down[p]));
            rows.push(dest.clone());
        }
        rows.sort();
        rows
    }

    /// A revision with its branch labels, for messages: `l1 (left)`.
    fn described(&self, rev: &Revision) -> String {
        let labels: Vec<&str> = self.labels_of(&rev.id).into_iter().collect();
        if labels.is_empty() {
            rev.id.clone()
        } else {
            format!("{} ({})", rev.id, labels.join(", "))
        }
    }

    /// The revisions of `range`, newest first as Alembic lists them: the revisions that revise
    /// its lower end (transitively) and that its upper end needs (open ends: base and the
    /// heads); `current` answers `current`, and a bare `±N` counts from the single head, as in
    /// Alembic. Ends that are not on one line of descent are refused.
    pub fn history(
        &self,
        current: &[String],
        range: &Range,
    ) -> Result<Vec<&Revision>, TargetError> {
        let end = |t: &Target| match t {
            Target::Relative { from: None, steps } => self.resolve(
                current,
                &Target::Relative {
                    from: Some(Box::new(Target::Head)),
                    steps: *steps,
                },
            ),
            other => self.resolve(current, other),
        };
        let lower = match &range.from {
            None | Some(Target::Base) => None,
            Some(t) => Some(end(t)?),
        };
        let upper = match &range.to {
            None | Some(Target::Heads) => None,
            Some(t) => Some(end(t)?),
        };
        let below_upper = upper
            .as_ref()
            .map(|ids| self.ancestors(ids.iter().map(String::as_str)));
        if let (Some(lower), Some(below)) = (&lower, &below_upper)
            && lower
                .iter()
                .any(|id| self.position(id).is_none_or(|p| !below[p]))
        {
            return Err(TargetError::NotOneLine {
                range: range.to_string(),
            });
        }
        let above_lower = lower
            .as_ref()
            .map(|ids| self.successors(ids.iter().map(String::as_str)));
        let members: Vec<bool> = (0..self.len())
            .map(|i| {
                above_lower.as_ref().is_none_or(|a| a[i])
                    && below_upper.as_ref().is_none_or(|b| b[i])
            })
            .collect();
        Ok(self.newest_first(&members))
    }
}

/// Revisions named for messages: `a, b`, or `base` when none.
fn name(ids: &[String]) -> String {
    if ids.is_empty() {
        "base".to_string()
    } else {
        ids.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::parse_revision;
    use crate::revision::test_support::rev;

    /// a1 - a2 - a3 < (left) l1 - l2 ; (right) r1 - r2 - r3 > m4 - m5
    fn branches() -> RevisionMap {
        RevisionMap::new(vec![
            rev("a1", "", ""),
            rev("a2", "a1", ""),
            rev("a3", "a2", ""),
            rev("l1", "a3", "left"),
            rev("l2", "l1", ""),
            rev("r1", "a3", "right"),
            rev("r2", "r1", ""),
            rev("r3", "r2", ""),
            rev("m4", "l2, r3", ""),
            rev("m5", "m4", ""),
        ])
        .unwrap()
    }

    fn at(rows: &[&str]) -> Vec<String> {
        rows.iter().map(|r| r.to_string()).collect()
    }

    fn resolve(m: &RevisionMap, rows: &[&str], target: &str) -> Result<Vec<String>, String> {
        m.resolve(&at(rows), &target.parse().unwrap())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_revision_plus_n_walks_that_revisions_edges() {
        let m = branches();
        assert_eq!(resolve(&m, &[], "a1+2").unwrap(), ["a3"]);
        assert_eq!(resolve(&m, &["r3"], "l1+1").unwrap(), ["l2"]);
        assert_eq!(resolve(&m, &[], "l2+1").unwrap(), ["m4"]);
        assert_eq!(resolve(&m, &[], "l2-2").unwrap(), ["a3"]);
        assert_eq!(resolve(&m, &[], "a1-1").unwrap(), Vec::<String>::new());
        assert_eq!(
            resolve(&m, &[], "a3+1").unwrap_err(),
            "'a3+1' is ambiguous: from a3 it could go to l1 (left) or r1 (right); name the revision (or the branch, <label>@+N)"
        );
        assert_eq!(
            resolve(&m, &[], "m4-1").unwrap_err(),
            "'m4-1' is ambiguous: from m4 it could go to l2 (left) or r3 (right); name the revision (or the branch, <label>@+N)"
        );
        assert_eq!(
            resolve(&m, &[], "m4+3").unwrap_err(),
            "cannot move +3 revisions: only 1 revision(s) lie above m4"
        );
    }

    #[test]
    fn plus_n_walks_up_from_the_single_head_or_to_the_merge_of_several() {
        let m = branches();
        assert_eq!(resolve(&m, &[], "+2").unwrap(), ["a2"]);
        assert_eq!(resolve(&m, &["l2"], "+1").unwrap(), ["m4"]);
        assert_eq!(resolve(&m, &["l2", "r3"], "+2").unwrap(), ["m5"]);
        let e = resolve(&m, &["a3"], "+1").unwrap_err();
        assert!(e.contains("could go to l1 (left) or r1 (right)"), "{e}");
        let e = resolve(&m, &["l2", "r2"], "+1").unwrap_err();
        assert!(
            e.contains("from l2, r2 it could go to r3 (right) or m4"),
            "{e}"
        );
        assert_eq!(
            resolve(&m, &["l2", "r3"], "+9").unwrap_err(),
            "cannot move +9 revisions: only 2 revision(s) lie above l2, r3"
        );
    }

    #[test]
    fn minus_n_reverts_the_one_head() {
        let m = branches();
        assert_eq!(resolve(&m, &["m4"], "-1").unwrap(), ["l2", "r3"]);
        assert_eq!(resolve(&m, &["l2", "r2"], "left@-2").unwrap(), ["r2"]);
        let e = resolve(&m, &["l2", "r2"], "-1").unwrap_err();
        assert!(e.contains("could go to l2 (left) or r2 (right)"), "{e}");
        let e = resolve(&m, &["l2", "r2"], "left@-3").unwrap_err();
        assert_eq!(
            e,
            "cannot move -3 revisions: only 2 revision(s) lie below l2, r2"
        );
    }

    #[test]
    fn label_moves_and_label_base() {
        let m = branches();
        assert_eq!(resolve(&m, &["l1"], "right@+2").unwrap(), ["r2"]);
        assert_eq!(resolve(&m, &[], "left@+1").unwrap(), ["a1"]);
        assert_eq!(resolve(&m, &["l2"], "left@+1").unwrap(), ["m4"]);
        // The left branch shares a1..a3 with the right one: its base is base.
        assert_eq!(
            resolve(&m, &["l2", "r2"], "left@base").unwrap(),
            Vec::<String>::new()
        );
        assert!(
            resolve(&m, &[], "nope@+1")
                .unwrap_err()
                .contains("unknown branch label")
        );
    }

    #[test]
    fn stamp_replaces_only_the_rows_on_the_targets_line() {
        let m = branches();
        assert_eq!(m.stamped(&at(&["l2", "r3"]), &at(&["l1"])), ["l1", "r3"]);
        assert_eq!(m.stamped(&at(&["l2"]), &at(&["r2"])), ["l2", "r2"]);
        assert_eq!(m.stamped(&at(&["l2", "r2"]), &at(&["a2"])), ["a2"]);
        assert_eq!(m.stamped(&at(&["l2", "r2"]), &at(&["m5"])), ["m5"]);
        assert!(m.stamped(&at(&["l2", "r2"]), &[]).is_empty());
    }

    #[test]
    fn history_lists_branch_by_branch_and_refuses_unrelated_ends() {
        let m = branches();
        let ids = |range: &str| -> Result<Vec<String>, String> {
            m.history(&at(&["l2", "r2"]), &range.parse().unwrap())
                .map(|revs| revs.iter().map(|r| r.id.clone()).collect())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            ids(":").unwrap(),
            ["m5", "m4", "l2", "l1", "r3", "r2", "r1", "a3", "a2", "a1"]
        );
        assert_eq!(ids("current:").unwrap(), ["m5", "m4", "l2", "r3", "r2"]);
        assert_eq!(ids("a2:l2").unwrap(), ["l2", "l1", "a3", "a2"]);
        assert_eq!(
            ids("l1:r3").unwrap_err(),
            "the range l1:r3 does not name revisions on one line of descent: its lower end must be an ancestor of its upper end"
        );
    }

    #[test]
    fn labels_show_on_every_member_of_their_branch() {
        let m = branches();
        let shown = |id: &str| m.shown_labels(id).into_iter().collect::<Vec<_>>();
        assert_eq!(shown("l2"), ["left"]);
        assert_eq!(shown("m5"), ["left", "right"]);
        assert!(shown("a3").is_empty());
        // Below a label on an unbranched line, down to the base.
        let line = RevisionMap::new(vec![
            rev("z1", "", ""),
            rev("z2", "z1", "zeta"),
            rev("z3", "z2", ""),
        ])
        .unwrap();
        assert_eq!(
            line.shown_labels("z1").into_iter().collect::<Vec<_>>(),
            ["zeta"]
        );
    }

    fn dependent(id: &str, parents: &str, depends: &str) -> Revision {
        let text = format!(
            "-- message of {id}\n--\n-- Revision ID: {id}\n-- Revises: {parents}\n-- Depends On: {depends}\n-- +upgrade\nCREATE TABLE t_{id} (x INT);\n"
        );
        parse_revision(
            &format!("migrations/{id}_x.sql"),
            &format!("{id}_x.sql"),
            &text,
        )
        .unwrap()
    }

    #[test]
    fn dependencies_order_upgrades_and_are_no_rows_of_their_own() {
        let m = RevisionMap::new(vec![
            rev("p1", "", "pbr"),
            rev("p2", "p1", ""),
            rev("q1", "", "qbr"),
            dependent("q2", "q1", "p2"),
        ])
        .unwrap();
        let needed = m.ancestors(["q2"]);
        let ids: Vec<&str> = m
            .iter()
            .enumerate()
            .filter(|(i, _)| needed[*i])
            .map(|(_, r)| r.id.as_str())
            .collect();
        assert_eq!(ids, ["p1", "p2", "q1", "q2"]);
        assert_eq!(m.heads_of(&needed), ["q2"]);
        assert!(m.position("p2") < m.position("q2"));
        assert_eq!(m.dependencies("q2")[0].id, "p2");
        let by_label = RevisionMap::new(vec![
            rev("p1", "", "pbr"),
            rev("q1", "", "qbr"),
            dependent("q2", "q1", "pbr"),
        ])
        .unwrap();
        assert_eq!(by_label.dependencies("q2")[0].id, "p1");
    }

    #[test]
    fn broken_dependencies_are_named_with_file_and_line() {
        let unknown = RevisionMap::new(vec![rev("q1", "", ""), dependent("q2", "q1", "zz")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            unknown,
            "migrations/q2_x.sql:5: 'Depends On:' names unknown revision 'zz'\n  hint: name a revision id or a branch label of another migration file"
        );
        let cycle = RevisionMap::new(vec![
            dependent("a1", "None", "b1"),
            dependent("b1", "None", "a1"),
        ])
        .unwrap_err()
        .to_string();
        assert!(cycle.contains("revisions form a cycle: "), "{cycle}");
        let parent = parse_revision(
            "migrations/q2_x.sql",
            "q2_x.sql",
            "-- m\n--\n-- Revision ID: q2\n-- Revises: q1\n-- Depends On: q1\n-- +upgrade\nSELECT 1;\n",
        )
        .unwrap_err();
        assert_eq!(
            parent[0].to_string(),
            "migrations/q2_x.sql:5: 'q1' is a parent ('Revises:'), not a dependency\n  hint: a revision in 'Revises:' is already applied first; remove it from 'Depends On:'"
        );
    }
}

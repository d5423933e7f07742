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

//! The revision graph: revisions linked by `Revises:` (and `Depends On:`), in a deterministic
//! topological order.

mod links;
mod listing;
mod order;

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{FileError, GraphError, Revision, TargetError};
use links::links;
use order::{file_ranks, topological_order};

/// A validated set of revisions and the links between them.
#[derive(Debug, Clone)]
pub struct RevisionMap {
    /// Revisions in topological order: every parent before its children, ties broken by id.
    revs: Vec<Revision>,
    index: HashMap<String, usize>,
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    /// `Depends On:` edges: revisions that must be applied first without being parents.
    dependencies: Vec<Vec<usize>>,
    /// Parents and dependencies together: what must be applied before a revision.
    needs: Vec<Vec<usize>>,
    /// Children and dependents together: what must be reverted before a revision.
    needed_by: Vec<Vec<usize>>,
    /// Each revision's rank in file-name order, which Alembic's listings follow.
    file_rank: Vec<usize>,
    labels: HashMap<String, usize>,
    /// The revisions joined from a database's records rather than embedded.
    remembered: HashSet<String>,
    /// Checkpoints (`Checkpoint Of:`): beside the graph, each the schema as of one revision.
    checkpoints: Vec<Revision>,
}

impl RevisionMap {
    /// Links `revisions` into a graph, reporting every duplicate id, unknown parent, duplicate
    /// label and cycle. Several heads are allowed here; see [`RevisionMap::check_heads`].
    pub fn new(revisions: Vec<Revision>) -> Result<RevisionMap, GraphError> {
        let (checkpoints, revisions): (Vec<Revision>, Vec<Revision>) = revisions
            .into_iter()
            .partition(|r| r.checkpoint_of.is_some());
        let links = links(&revisions).map_err(GraphError)?;
        let order =
            topological_order(&revisions, &links.by_id, &links.needs).map_err(GraphError)?;
        let file_rank = file_ranks(&revisions, &order);
        let dependency_ids: Vec<Vec<String>> = order
            .iter()
            .map(|&i| links.needs[i][revisions[i].down_revisions.len()..].to_vec())
            .collect();
        let mut slots: Vec<Option<Revision>> = revisions.into_iter().map(Some).collect();
        let revs: Vec<Revision> = order
            .iter()
            .map(|&i| slots[i].take().expect("each index once"))
            .collect();
        let mut map = RevisionMap::linked(revs, &dependency_ids, file_rank);
        map.check_compatible_from().map_err(GraphError)?;
        map.check_checkpoints(&checkpoints).map_err(GraphError)?;
        map.checkpoints = checkpoints;
        Ok(map)
    }

    /// Each checkpoint names a revision of the graph, and no id is used twice.
    fn check_checkpoints(&self, checkpoints: &[Revision]) -> Result<(), Vec<FileError>> {
        let mut errors = Vec::new();
        for (i, c) in checkpoints.iter().enumerate() {
            let Some((of, line)) = &c.checkpoint_of else {
                continue;
            };
            let taken = self
                .index
                .get(&c.id)
                .map(|&p| &self.revs[p])
                .or_else(|| checkpoints[..i].iter().find(|o| o.id == c.id));
            if let Some(first) = taken {
                errors.push(
                    FileError::new(
                        &c.path,
                        c.id_line,
                        format!("duplicate revision id '{}'", c.id),
                    )
                    .hint(format!(
                        "'{}' already has this id; give one of them a new id",
                        first.path
                    )),
                );
            }
            if !self.index.contains_key(of) {
                errors.push(
                    FileError::new(&c.path, *line, format!("'Checkpoint Of:' names unknown revision '{of}'"))
                        .hint("name the revision whose schema the checkpoint holds; a checkpoint of a revision since removed is removed with it"),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Each `Compatible From:` names an ancestor of its revision.
    fn check_compatible_from(&self) -> Result<(), Vec<FileError>> {
        let mut errors = Vec::new();
        for r in &self.revs {
            let Some((from, line)) = &r.compatible_from else {
                continue;
            };
            let below = self.ancestors([r.id.as_str()]);
            let is_ancestor = from != &r.id && self.index.get(from).is_some_and(|&p| below[p]);
            if !is_ancestor {
                let what = if self.index.contains_key(from) {
                    format!(
                        "'Compatible From:' names '{from}', which is not an ancestor of {}",
                        r.id
                    )
                } else {
                    format!("'Compatible From:' names unknown revision '{from}'")
                };
                errors.push(FileError::new(&r.path, *line, what).hint(
                    "name a revision this one descends from: the oldest a release must embed to keep running after it (the expand step)",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The map of `revs`, already in topological order, given each one's dependencies (by id)
    /// and rank in file-name order.
    fn linked(
        revs: Vec<Revision>,
        dependency_ids: &[Vec<String>],
        file_rank: Vec<usize>,
    ) -> RevisionMap {
        let index: HashMap<String, usize> = revs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let parents: Vec<Vec<usize>> = revs
            .iter()
            .map(|r| r.down_revisions.iter().map(|p| index[p]).collect())
            .collect();
        let children = reversed(&parents);
        let dependencies: Vec<Vec<usize>> = dependency_ids
            .iter()
            .map(|ids| ids.iter().map(|d| index[d]).collect())
            .collect();
        let needs = joined(&parents, &dependencies);
        let needed_by = joined(&children, &reversed(&dependencies));
        let labels = revs
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.branch_labels.iter().map(move |l| (l.clone(), i)))
            .collect();
        RevisionMap {
            revs,
            index,
            parents,
            children,
            dependencies,
            needs,
            needed_by,
            file_rank,
            labels,
            remembered: HashSet::new(),
            checkpoints: Vec::new(),
        }
    }

    /// `embedded` with the revisions a database remembers (of a newer release, which this
    /// binary does not embed) joined to it as a second source of edges.
    pub fn with_remembered(
        embedded: &RevisionMap,
        remembered: Vec<Revision>,
    ) -> Result<RevisionMap, GraphError> {
        let ids: HashSet<String> = remembered.iter().map(|r| r.id.clone()).collect();
        let mut all: Vec<Revision> = embedded.revs.clone();
        all.extend(embedded.checkpoints.iter().cloned());
        all.extend(remembered);
        let mut map = RevisionMap::new(all)?;
        map.remembered = ids;
        Ok(map)
    }

    /// The checkpoints: each holds the schema as of the revision its `Checkpoint Of:` names.
    pub fn checkpoints(&self) -> &[Revision] {
        &self.checkpoints
    }

    /// The revision or checkpoint whose id is `id`: what a history row can name.
    pub fn revision_or_checkpoint(&self, id: &str) -> Option<&Revision> {
        self.get(id)
            .or_else(|| self.checkpoints.iter().find(|c| c.id == id))
    }

    /// This graph without its checkpoints: every database is then built by replaying history.
    pub fn without_checkpoints(&self) -> RevisionMap {
        RevisionMap {
            checkpoints: Vec::new(),
            ..self.clone()
        }
    }

    /// Whether revision `id` was joined from a database's records ([`RevisionMap::with_remembered`])
    /// rather than embedded.
    pub fn is_remembered(&self, id: &str) -> bool {
        self.remembered.contains(id)
    }

    /// Several heads are allowed only when each carries a branch label that no other head has.
    pub fn check_heads(&self) -> Result<(), GraphError> {
        let heads = self.head_indices();
        if heads.len() < 2 {
            return Ok(());
        }
        let label_sets: Vec<BTreeSet<&str>> =
            heads.iter().map(|&h| self.labels_of_index(h)).collect();
        let names: Vec<&str> = heads.iter().map(|&h| self.revs[h].id.as_str()).collect();
        let mut errors = Vec::new();
        for (k, &h) in heads.iter().enumerate() {
            let own = label_sets[k].iter().any(|l| {
                label_sets
                    .iter()
                    .enumerate()
                    .all(|(j, s)| j == k || !s.contains(l))
            });
            if !own {
                let r = &self.revs[h];
                errors.push(
                    FileError::new(
                        &r.path,
                        r.id_line,
                        format!("revision '{}' is one of {} heads ({}) and has no branch label of its own", r.id, heads.len(), names.join(", ")),
                    )
                    .hint(format!(
                        "join the heads with a merge revision (the `merge -m \"merge heads\" {}` subcommand), or give each branch a 'Branch Labels:' line",
                        names.join(" ")
                    )),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(GraphError(errors))
        }
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.revs.len()
    }

    /// Whether there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// All revisions, parents before children.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Revision> + ExactSizeIterator {
        self.revs.iter()
    }

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.index.get(id).map(|&i| &self.revs[i])
    }

    /// The position of a revision in the topological order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The revision at a position of the topological order.
    pub fn at(&self, position: usize) -> &Revision {
        &self.revs[position]
    }

    fn head_indices(&self) -> Vec<usize> {
        (0..self.revs.len())
            .filter(|&i| self.children[i].is_empty())
            .collect()
    }

    /// Revisions no other revision revises.
    pub fn heads(&self) -> Vec<&Revision> {
        self.head_indices()
            .into_iter()
            .map(|i| &self.revs[i])
            .collect()
    }

    /// Revisions that revise nothing.
    pub fn bases(&self) -> Vec<&Revision> {
        self.revs
            .iter()
            .filter(|r| r.down_revisions.is_empty())
            .collect()
    }

    /// The revisions that revise `id`.
    pub fn children(&self, id: &str) -> Vec<&Revision> {
        self.index
            .get(id)
            .map(|&i| self.children[i].iter().map(|&c| &self.revs[c]).collect())
            .unwrap_or_default()
    }

    /// Whether `id` has more than one child.
    pub fn is_branch_point(&self, id: &str) -> bool {
        self.index
            .get(id)
            .is_some_and(|&i| self.children[i].len() > 1)
    }

    /// The revisions with more than one child, in graph order.
    pub fn branch_points(&self) -> Vec<&Revision> {
        (0..self.revs.len())
            .filter(|&i| self.children[i].len() > 1)
            .map(|i| &self.revs[i])
            .collect()
    }

    /// Whether `id` has no children.
    pub fn is_head(&self, id: &str) -> bool {
        self.index
            .get(id)
            .is_some_and(|&i| self.children[i].is_empty())
    }

    /// Positions of `ids` and all they need (parents and dependencies, transitively), as a
    /// membership vector over positions: what is applied when `ids` are.
    pub fn ancestors<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<bool> {
        self.walk(self.positions(ids), &self.needs)
    }

    /// Positions of `ids` and all that needs them (children and dependents, transitively), as
    /// a membership vector over positions: what must be reverted before `ids` are.
    pub fn descendants<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<bool> {
        self.walk(self.positions(ids), &self.needed_by)
    }

    /// Positions of `ids` and the revisions that revise them, transitively (their line of
    /// descent through `Revises:`, without the revisions that only depend on them).
    pub fn successors<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<bool> {
        self.walk(self.positions(ids), &self.children)
    }

    fn positions<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
        ids.into_iter()
            .filter_map(|id| self.index.get(id).copied())
            .collect()
    }

    fn walk(&self, start: Vec<usize>, edges: &[Vec<usize>]) -> Vec<bool> {
        let mut seen = vec![false; self.revs.len()];
        let mut stack = start;
        while let Some(i) = stack.pop() {
            if !seen[i] {
                seen[i] = true;
                stack.extend(edges[i].iter().copied());
            }
        }
        seen
    }

    /// The version-table rows of a set of revisions given as a membership vector: members that
    /// no other member needs (as Alembic writes them, a dependency applied for a member's sake
    /// is not a row of its own).
    pub fn heads_of(&self, members: &[bool]) -> Vec<String> {
        (0..self.revs.len())
            .filter(|&i| members[i] && !self.needed_by[i].iter().any(|&c| members[c]))
            .map(|i| self.revs[i].id.clone())
            .collect()
    }

    /// The revisions that share a line of descent with the one carrying `label` (its ancestors
    /// and descendants through `Revises:`), as a membership vector: the branch `label@...`
    /// targets move along.
    pub fn lineage(&self, label: &str) -> Result<Vec<bool>, TargetError> {
        let &at = self
            .labels
            .get(label)
            .ok_or_else(|| TargetError::UnknownLabel(label.to_string()))?;
        let up = self.walk(vec![at], &self.parents);
        let down = self.walk(vec![at], &self.children);
        Ok(up.iter().zip(&down).map(|(a, b)| *a || *b).collect())
    }

    /// The revisions `id` depends on (`Depends On:`), by id.
    pub fn dependencies(&self, id: &str) -> Vec<&Revision> {
        self.index
            .get(id)
            .map(|&i| {
                self.dependencies[i]
                    .iter()
                    .map(|&d| &self.revs[d])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The parents and dependencies of the revision at `position` (what must be applied first).
    pub(crate) fn needs_of(&self, position: usize) -> &[usize] {
        &self.needs[position]
    }

    /// The revisions that must be reverted before the one at `position`.
    pub(crate) fn needed_by(&self, position: usize) -> &[usize] {
        &self.needed_by[position]
    }

    /// The parents of the revision at `position`.
    pub(crate) fn parents_of(&self, position: usize) -> &[usize] {
        &self.parents[position]
    }

    /// The children of the revision at `position`.
    pub(crate) fn children_of(&self, position: usize) -> &[usize] {
        &self.children[position]
    }

    /// Finds a revision by full id, unique id prefix, or branch label.
    pub fn lookup(&self, name: &str) -> Result<&Revision, TargetError> {
        if let Some(r) = self.get(name) {
            return Ok(r);
        }
        if let Some(&i) = self.labels.get(name) {
            return Ok(&self.revs[i]);
        }
        let mut matches: Vec<&Revision> = self
            .revs
            .iter()
            .filter(|r| r.id.starts_with(name))
            .collect();
        match matches.len() {
            0 => Err(TargetError::Unknown(name.to_string())),
            1 => Ok(matches.remove(0)),
            _ => {
                let mut candidates: Vec<String> = matches.iter().map(|r| r.id.clone()).collect();
                candidates.sort();
                Err(TargetError::Ambiguous {
                    prefix: name.to_string(),
                    candidates,
                })
            }
        }
    }

    /// The single head, or an error naming every head.
    pub fn single_head(&self) -> Result<&Revision, TargetError> {
        let heads = self.heads();
        match heads.len() {
            1 => Ok(heads[0]),
            0 => Err(TargetError::NoRevisions),
            _ => Err(TargetError::MultipleHeads(
                heads.iter().map(|r| r.id.clone()).collect(),
            )),
        }
    }

    /// The head of the branch that carries `label`.
    pub fn label_head(&self, label: &str) -> Result<&Revision, TargetError> {
        let &start = self
            .labels
            .get(label)
            .ok_or_else(|| TargetError::UnknownLabel(label.to_string()))?;
        let below = self.descendants([self.revs[start].id.as_str()]);
        let heads: Vec<&Revision> = self
            .head_indices()
            .into_iter()
            .filter(|&h| below[h])
            .map(|h| &self.revs[h])
            .collect();
        match heads.len() {
            1 => Ok(heads[0]),
            _ => Err(TargetError::MultipleHeads(
                heads.iter().map(|r| r.id.clone()).collect(),
            )),
        }
    }
}

/// `edges` turned around: for each position, the positions whose edges point at it.
fn reversed(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut back = vec![Vec::new(); edges.len()];
    for (i, targets) in edges.iter().enumerate() {
        for &t in targets {
            back[t].push(i);
        }
    }
    back
}

/// `a` and `b` joined: for each position, the positions of both.
fn joined(a: &[Vec<usize>], b: &[Vec<usize>]) -> Vec<Vec<usize>> {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.iter().chain(y).copied().collect())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::revision::parse_revision;

    /// Builds a revision `id` revising `parents` (comma-separated, "" for a root).
    pub(crate) fn rev(id: &str, parents: &str, labels: &str) -> Revision {
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("-- Branch Labels: {labels}\n")
        };
        let text = format!(
            "-- message of {id}\n--\n-- Revision ID: {id}\n-- Revises: {parents}\n{labels}-- +upgrade\nCREATE TABLE t_{id} (x INT);\n-- +downgrade\nDROP TABLE t_{id};\n"
        );
        parse_revision(
            &format!("migrations/{id}_x.sql"),
            &format!("{id}_x.sql"),
            &text,
        )
        .unwrap()
    }

    pub(crate) fn map(specs: &[(&str, &str)]) -> RevisionMap {
        RevisionMap::new(specs.iter().map(|(id, p)| rev(id, p, "")).collect()).unwrap()
    }

    fn errors(revs: Vec<Revision>) -> Vec<String> {
        RevisionMap::new(revs)
            .and_then(|m| m.check_heads())
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn linear_chain_heads_bases_and_order() {
        let m = map(&[("c3", "b2"), ("a1", ""), ("b2", "a1")]);
        let ids: Vec<&str> = m.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a1", "b2", "c3"]);
        assert_eq!(m.heads()[0].id, "c3");
        assert_eq!(m.bases()[0].id, "a1");
        assert_eq!(m.single_head().unwrap().id, "c3");
    }

    #[test]
    fn order_is_deterministic_and_respects_merges() {
        let specs = [
            ("r", ""),
            ("zb", "r"),
            ("aa", "r"),
            ("m", "aa, zb"),
            ("n", "m"),
        ];
        let m = map(&specs);
        let ids: Vec<&str> = m.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r", "aa", "zb", "m", "n"]);
        assert!(m.is_branch_point("r"));
        assert!(m.get("m").unwrap().is_merge());
        let mut reversed = specs;
        reversed.reverse();
        let again: Vec<String> = map(&reversed).iter().map(|r| r.id.clone()).collect();
        assert_eq!(again, ids);
    }

    #[test]
    fn ancestors_descendants_and_heads_of() {
        let m = map(&[("r", ""), ("a", "r"), ("b", "r"), ("m", "a, b")]);
        let anc = m.ancestors(["a"]);
        assert_eq!(m.heads_of(&anc), vec!["a"]);
        assert!(anc[m.position("r").unwrap()] && !anc[m.position("b").unwrap()]);
        let both = m.ancestors(["a", "b"]);
        assert_eq!(m.heads_of(&both), vec!["a", "b"]);
        let desc = m.descendants(["b"]);
        assert!(desc[m.position("m").unwrap()] && !desc[m.position("a").unwrap()]);
    }

    #[test]
    fn lookup_by_prefix_and_ambiguity() {
        let m = map(&[("abc1", ""), ("abd2", "abc1"), ("x9", "abd2")]);
        assert_eq!(m.lookup("abc").unwrap().id, "abc1");
        assert_eq!(m.lookup("x9").unwrap().id, "x9");
        assert_eq!(
            m.lookup("ab"),
            Err(TargetError::Ambiguous {
                prefix: "ab".into(),
                candidates: vec!["abc1".into(), "abd2".into()]
            })
        );
        assert_eq!(m.lookup("zz"), Err(TargetError::Unknown("zz".into())));
    }

    #[test]
    fn duplicate_and_unknown_parent() {
        let errs = errors(vec![rev("a", "", ""), rev("a", "", "")]);
        assert!(errs[0].contains("duplicate revision id 'a'"), "{errs:?}");
        let errs = errors(vec![rev("a", "", ""), rev("b", "zz", "")]);
        assert_eq!(
            errs[0].lines().next().unwrap(),
            "migrations/b_x.sql:4: 'Revises:' names unknown revision 'zz'"
        );
    }

    #[test]
    fn cycles_are_named() {
        let errs = errors(vec![
            rev("r", "", ""),
            rev("a", "r, c", ""),
            rev("b", "a", ""),
            rev("c", "b", ""),
        ]);
        assert!(errs[0].contains("revisions form a cycle: "), "{errs:?}");
        for id in ["a", "b", "c"] {
            assert!(errs[0].contains(id));
        }
    }

    #[test]
    fn several_heads_need_branch_labels() {
        let errs = errors(vec![rev("r", "", ""), rev("a", "r", ""), rev("b", "r", "")]);
        assert_eq!(errs.len(), 2);
        assert!(errs[0].contains("one of 2 heads (a, b)"), "{errs:?}");
        assert!(errs[0].contains("`merge -m \"merge heads\" a b` subcommand"));
        let m = RevisionMap::new(vec![
            rev("r", "", ""),
            rev("a", "r", "left"),
            rev("b", "r", "right"),
            rev("b2", "b", ""),
        ])
        .unwrap();
        assert_eq!(m.heads().len(), 2);
        m.check_heads().unwrap();
        assert_eq!(m.label_head("right").unwrap().id, "b2");
        assert_eq!(m.lookup("left").unwrap().id, "a");
        assert!(m.labels_of("b2").contains("right"));
    }

    #[test]
    fn label_shared_by_all_heads_does_not_count() {
        let errs = errors(vec![
            rev("r", "", "main"),
            rev("a", "r", ""),
            rev("b", "r", ""),
        ]);
        assert_eq!(errs.len(), 2, "{errs:?}");
    }
}

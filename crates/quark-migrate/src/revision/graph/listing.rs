//! How Alembic's listings show the graph: a set of revisions newest first, branch by branch,
//! and the branch labels shown on each revision.

use std::collections::BTreeSet;

use super::RevisionMap;
use crate::revision::Revision;

impl RevisionMap {
    /// The members of a set, newest first, branch by branch as Alembic lists them: from each
    /// head (in file-name order) down its line, a revision that another head's line still
    /// needs being left for that line.
    pub fn newest_first(&self, members: &[bool]) -> Vec<&Revision> {
        let mut todo: Vec<bool> = members.to_vec();
        let mut heads: Vec<usize> = (0..self.revs.len())
            .filter(|&i| members[i] && !self.needed_by[i].iter().any(|&c| members[c]))
            .collect();
        heads.sort_by_key(|&i| self.file_rank[i]);
        let mut below: Vec<Vec<bool>> = heads
            .iter()
            .map(|&h| self.walk(vec![h], &self.needs))
            .collect();
        let mut out = Vec::new();
        let mut at = 0;
        while !heads.is_empty() {
            let candidate = heads[at];
            if let Some(other) = (0..heads.len()).find(|&k| k != at && below[k][candidate]) {
                at = other;
                continue;
            }
            if todo[candidate] {
                out.push(&self.revs[candidate]);
                todo[candidate] = false;
            }
            let mut next: Vec<usize> = self.needs[candidate]
                .iter()
                .copied()
                .filter(|&n| todo[n] && !heads.contains(&n))
                .collect();
            next.dedup();
            if next.is_empty() {
                heads.remove(at);
                below.remove(at);
                at = at.saturating_sub(1);
            } else {
                heads[at] = next[0];
                below[at] = self.walk(vec![next[0]], &self.needs);
                for &n in &next[1..] {
                    heads.push(n);
                    below.push(self.walk(vec![n], &self.needs));
                }
            }
        }
        out
    }

    /// The branch labels a listing shows on `id`, as Alembic shows them: those of the
    /// revisions it descends from, and, below a labelled revision whose descendants form one
    /// unbranched line, those of the line it continues down to a branch point, merge or base.
    pub fn shown_labels(&self, id: &str) -> BTreeSet<&str> {
        let Some(&i) = self.index.get(id) else {
            return BTreeSet::new();
        };
        let mut labels = self.labels_of_index(i);
        for (label, &at) in &self.labels {
            if self.stem_below(at).contains(&i) {
                labels.insert(label.as_str());
            }
        }
        labels
    }

    /// The unbranched line below `at`, when `at` and its descendants form one line: its parent,
    /// grandparent... down to (not including) a branch point or merge, or to the base.
    fn stem_below(&self, at: usize) -> Vec<usize> {
        let line = self.walk(vec![at], &self.children);
        let unbranched = (0..self.revs.len())
            .filter(|&r| line[r])
            .all(|r| self.children[r].len() <= 1 && self.parents[r].len() <= 1);
        let mut stem = Vec::new();
        if !unbranched {
            return stem;
        }
        let mut here = at;
        while let [p] = self.parents[here].as_slice() {
            if self.children[*p].len() > 1 || self.parents[*p].len() > 1 {
                break;
            }
            stem.push(*p);
            here = *p;
        }
        stem
    }

    /// Branch labels that apply to the revision at position `i`: its own and its ancestors'.
    pub(super) fn labels_of_index(&self, i: usize) -> BTreeSet<&str> {
        let anc = self.walk(vec![i], &self.parents);
        (0..self.revs.len())
            .filter(|&j| anc[j])
            .flat_map(|j| self.revs[j].branch_labels.iter().map(String::as_str))
            .collect()
    }

    /// Branch labels that apply to `id`: its own and those of its ancestors.
    pub fn labels_of(&self, id: &str) -> BTreeSet<&str> {
        self.index
            .get(id)
            .map(|&i| self.labels_of_index(i))
            .unwrap_or_default()
    }
}

//! The order of the graph: topological, for applying revisions, and by file name, for listing
//! them.

use std::collections::{BTreeSet, HashMap};

use super::reversed;
use crate::revision::{FileError, Revision};

/// Each revision's rank in file-name order, for the revisions at the positions `order` lists.
pub(super) fn file_ranks(revisions: &[Revision], order: &[usize]) -> Vec<usize> {
    let mut ranked: Vec<(&str, usize)> = revisions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.path.as_str(), i))
        .collect();
    ranked.sort_unstable();
    let mut rank_of = vec![0; revisions.len()];
    for (rank, (_, i)) in ranked.into_iter().enumerate() {
        rank_of[i] = rank;
    }
    order.iter().map(|&i| rank_of[i]).collect()
}

/// Kahn's algorithm over parents and dependencies (`needs`, by id), smallest id first among
/// ready revisions; reports cycles with their path.
pub(super) fn topological_order(
    revs: &[Revision],
    by_id: &HashMap<&str, usize>,
    needs: &[Vec<String>],
) -> Result<Vec<usize>, Vec<FileError>> {
    let needs: Vec<Vec<usize>> = needs
        .iter()
        .map(|ids| ids.iter().map(|id| by_id[id.as_str()]).collect())
        .collect();
    let mut pending: Vec<usize> = needs.iter().map(Vec::len).collect();
    let children = reversed(&needs);
    let mut ready: BTreeSet<(&str, usize)> = (0..revs.len())
        .filter(|&i| pending[i] == 0)
        .map(|i| (revs[i].id.as_str(), i))
        .collect();
    let mut order = Vec::with_capacity(revs.len());
    while let Some(next) = ready.pop_first() {
        order.push(next.1);
        for &c in &children[next.1] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.insert((revs[c].id.as_str(), c));
            }
        }
    }
    if order.len() == revs.len() {
        return Ok(order);
    }
    // Follow parents from a stuck revision until one repeats: that is a cycle.
    let start = (0..revs.len())
        .find(|&i| pending[i] > 0)
        .expect("some revision is stuck");
    let mut path = vec![start];
    loop {
        let here = *path.last().expect("non-empty");
        let next = needs[here]
            .iter()
            .copied()
            .find(|&p| pending[p] > 0)
            .expect("a stuck revision has a stuck parent");
        if let Some(at) = path.iter().position(|&i| i == next) {
            let cycle: Vec<usize> = path[at..].to_vec();
            let mut names: Vec<&str> = cycle.iter().map(|&i| revs[i].id.as_str()).collect();
            names.push(names[0]);
            let r = &revs[cycle[0]];
            return Err(vec![
                FileError::new(
                    &r.path,
                    r.revises_line,
                    format!("revisions form a cycle: {}", names.join(" -> ")),
                )
                .hint("each 'Revises:' and 'Depends On:' must name an older revision; fix one of these files"),
            ]);
        }
        path.push(next);
    }
}

//! What `build.rs` embeds about each revision so that a start-up at head needs no parsing: its
//! facts, written as one string at build time and read back at run time, and the facts of the
//! whole chain, written once, which a start-up at head reads instead of every revision's.

use std::fmt::Write as _;

#[cfg(feature = "runtime")]
use crate::embed::EmbeddedFile;
use crate::revision::{Dialect, Direction, Revision, RevisionMap};

/// The facts about one embedded revision that a start-up check needs, computed at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The revision's facts as [`Summary::facts`] writes them: one string literal, which the
    /// compiler takes in a fraction of the time ten fields of options and arrays cost it at
    /// 10,000 revisions.
    pub facts: &'static str,
    /// The facts of the whole chain, the same in every summary of one build.
    pub chain: &'static Chain,
}

/// What the build embeds once about the whole chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    /// How many files the build embedded, checkpoints included.
    pub files: usize,
    /// How many revisions it embedded, checkpoints not counted.
    pub revisions: usize,
    /// The heads of the graph, sorted.
    pub heads: &'static [&'static str],
    /// Whether any summary holds a signature of the release.
    pub signed: bool,
    /// The public keys (hex) the release trusts to have signed remembered records.
    pub trusted_keys: &'static [&'static str],
    /// The digest of what the build accepts as applied, per dialect in
    /// [`crate::revision::Dialect::ALL`] order (see [`crate::build::accepted_digests`]).
    pub digests: [&'static str; 3],
}

impl Chain {
    /// The facts of `map`'s chain, for a release that signed its records or not and trusts
    /// `trusted_keys`; leaked, as the build script and the tests that embed by hand need them
    /// once.
    pub fn leaked(map: &RevisionMap, signed: bool, trusted_keys: &[String]) -> &'static Chain {
        let leak = |s: String| &*Box::leak(s.into_boxed_str());
        let mut heads: Vec<&'static str> = map.heads().iter().map(|r| leak(r.id.clone())).collect();
        heads.sort_unstable();
        Box::leak(Box::new(Chain {
            files: map.len() + map.checkpoints().len(),
            revisions: map.len(),
            heads: heads.leak(),
            signed,
            trusted_keys: trusted_keys
                .iter()
                .map(|k| leak(k.clone()))
                .collect::<Vec<_>>()
                .leak(),
            digests: crate::build::accepted_digests(map).map(leak),
        }))
    }

    /// The chain as a Rust expression of type `Chain`, for the generated code.
    pub(crate) fn rust(&self) -> String {
        let mut out = String::from("::quark_migrate::build::Chain { ");
        let _ = write!(
            out,
            "files: {}, revisions: {}, heads: &{:?}, signed: {}, trusted_keys: &{:?}, digests: {:?} }}",
            self.files, self.revisions, self.heads, self.signed, self.trusted_keys, self.digests
        );
        out
    }

    /// The chain of `files` when they are one build's output whole (its first and last file
    /// name the same chain, of as many files); `None` for files embedded by hand or put
    /// together from several builds.
    #[cfg(feature = "runtime")]
    pub(crate) fn of(files: &[EmbeddedFile]) -> Option<&'static Chain> {
        let first = files.first()?.summary?.chain;
        let last = files.last()?.summary?.chain;
        (first == last && first.files == files.len()).then_some(first)
    }
}

/// `files` as `embed_migrations!()` embeds the revisions and checkpoints of `map` (matched by
/// path): in the graph's order, each with its summary (no signatures), leaked. For tests and
/// benchmarks that embed a chain by hand; panics when a revision's file is not in `files`.
#[cfg(feature = "runtime")]
pub fn embed_by_hand(map: &RevisionMap, files: &[EmbeddedFile]) -> &'static [EmbeddedFile] {
    let chain = Chain::leaked(map, false, &[]);
    let by_path: std::collections::HashMap<&str, &EmbeddedFile> =
        files.iter().map(|f| (f.path, f)).collect();
    let embedded: Vec<EmbeddedFile> = map
        .iter()
        .chain(map.checkpoints())
        .map(|rev| {
            let file = by_path
                .get(rev.path.as_str())
                .unwrap_or_else(|| panic!("no file embedded for {}", rev.path));
            let facts = Summary::facts_of(map, rev, [None; 3]);
            EmbeddedFile {
                summary: Some(Summary {
                    facts: Box::leak(facts.into_boxed_str()),
                    chain,
                }),
                ..**file
            }
        })
        .collect();
    embedded.leak()
}

/// What stands for "none" in [`Summary::facts`].
const NONE: &str = "-";

impl Summary {
    /// The facts of a revision, as build.rs embeds them: its id; whether it is a head of the
    /// graph; the checksum of its upgrade per dialect ([`crate::revision::Dialect::ALL`]
    /// order); the checksums of earlier texts of it (`Earlier Checksums:`); the release's
    /// signature of its record per dialect; the revision a checkpoint stands for. Separated by
    /// spaces, lists by commas, `-` for none: none of them holds either.
    pub fn facts(
        id: &str,
        head: bool,
        checksums: [Option<&str>; 3],
        earlier: &[String],
        signatures: [Option<&str>; 3],
        checkpoint_of: Option<&str>,
    ) -> String {
        // One value when the three are the same (a revision without dialect markers).
        let each = |values: [Option<&str>; 3]| match values {
            [a, b, c] if a == b && b == c => a.unwrap_or(NONE).to_string(),
            _ => values.map(|v| v.unwrap_or(NONE)).join(","),
        };
        let earlier = if earlier.is_empty() {
            NONE.to_string()
        } else {
            earlier.join(",")
        };
        format!(
            "{id} {} {} {earlier} {} {}",
            u8::from(head),
            each(checksums),
            each(signatures),
            checkpoint_of.unwrap_or(NONE)
        )
    }

    /// [`Summary::facts`] of revision `rev` of `map`, with the release's `signatures` of its
    /// record.
    pub fn facts_of(map: &RevisionMap, rev: &Revision, signatures: [Option<&str>; 3]) -> String {
        let checksums = Dialect::ALL.map(|d| rev.checksum(Direction::Upgrade, d));
        Summary::facts(
            &rev.id,
            map.is_head(&rev.id),
            checksums.each_ref().map(Option::as_deref),
            &rev.earlier_checksums,
            signatures,
            rev.checkpoint_of.as_ref().map(|(of, _)| of.as_str()),
        )
    }

    /// Field `n` of the facts.
    fn field(&self, n: usize) -> &'static str {
        self.facts.split(' ').nth(n).unwrap_or(NONE)
    }

    /// Item `n` of a field that holds one value per dialect (or one for all three); `None` for
    /// none.
    fn per_dialect(&self, field: usize, n: usize) -> Option<&'static str> {
        self.each_dialect(field)[n]
    }

    /// The three values of a field that holds one per dialect, or one for all three.
    fn each_dialect(&self, field: usize) -> [Option<&'static str>; 3] {
        let text = self.field(field);
        if !text.contains(',') {
            return [Some(text).filter(|v| *v != NONE); 3];
        }
        let mut each = text.split(',').map(|v| Some(v).filter(|v| *v != NONE));
        [(); 3].map(|()| each.next().flatten())
    }

    /// The revision id.
    pub fn id(&self) -> &'static str {
        self.field(0)
    }

    /// Whether it is a head of the embedded graph.
    pub fn head(&self) -> bool {
        self.field(1) == "1"
    }

    /// The checksum of its upgrade on the dialect at `index` of
    /// [`crate::revision::Dialect::ALL`], if it runs there.
    pub fn checksum(&self, index: usize) -> Option<&'static str> {
        self.per_dialect(2, index)
    }

    /// Checksums of earlier texts of the revision, accepted as its own (`Earlier Checksums:`).
    pub fn earlier(&self) -> impl Iterator<Item = &'static str> {
        self.field(3).split(',').filter(|v| *v != NONE)
    }

    /// The release's signature of the revision's record on the dialect at `index` of
    /// [`crate::revision::Dialect::ALL`], when the build had a signing key.
    pub fn signature(&self, index: usize) -> Option<&'static str> {
        self.per_dialect(4, index)
    }

    /// [`Summary::signature`] on every dialect, the facts read once.
    pub fn signatures(&self) -> [Option<&'static str>; 3] {
        self.each_dialect(4)
    }

    /// For a checkpoint, the revision whose schema it holds (`Checkpoint Of:`).
    pub fn checkpoint_of(&self) -> Option<&'static str> {
        Some(self.field(5)).filter(|v| *v != NONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facts_read_back_as_written() {
        let sum = "a".repeat(64);
        let facts = Summary::facts(
            "r1",
            true,
            [Some(&sum), None, Some("b")],
            &["e1".to_string(), "e2".to_string()],
            [None, Some("s2"), None],
            Some("r0"),
        );
        let chain = &Chain {
            files: 1,
            revisions: 1,
            heads: &[],
            signed: false,
            trusted_keys: &[],
            digests: ["", "", ""],
        };
        let s = Summary {
            facts: Box::leak(facts.into_boxed_str()),
            chain,
        };
        assert_eq!((s.id(), s.head()), ("r1", true));
        assert_eq!(
            [s.checksum(0), s.checksum(1), s.checksum(2)],
            [Some(sum.as_str()), None, Some("b")]
        );
        assert_eq!(s.earlier().collect::<Vec<_>>(), ["e1", "e2"]);
        assert_eq!(
            [s.signature(0), s.signature(1), s.signature(2)],
            [None, Some("s2"), None]
        );
        assert_eq!(s.signatures(), [None, Some("s2"), None]);
        assert_eq!(s.checkpoint_of(), Some("r0"));
        let plain = Summary::facts("r2", false, [None; 3], &[], [None; 3], None);
        let s = Summary {
            facts: Box::leak(plain.into_boxed_str()),
            ..s
        };
        assert_eq!(
            (s.id(), s.head(), s.checksum(0), s.checkpoint_of()),
            ("r2", false, None, None)
        );
        assert_eq!(s.earlier().count(), 0);
        // The same checksum on every dialect is written once and read back for each.
        let same = Summary::facts("r3", false, [Some(&sum); 3], &[], [None; 3], None);
        assert_eq!(same, format!("r3 0 {sum} - - -"));
        let s = Summary {
            facts: Box::leak(same.into_boxed_str()),
            ..s
        };
        assert_eq!(
            [s.checksum(0), s.checksum(1), s.checksum(2)],
            [Some(sum.as_str()); 3]
        );
        assert_eq!(s.signatures(), [None; 3]);
    }
}

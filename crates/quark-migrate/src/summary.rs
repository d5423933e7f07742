//! What `build.rs` embeds about each revision so that a start-up at head needs no parsing: its
//! facts, written as one string at build time and read back at run time.

use crate::revision::{Dialect, Direction, Revision, RevisionMap};

/// The facts about one embedded revision that a start-up check needs, computed at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The revision's facts as [`Summary::facts`] writes them: one string literal, which the
    /// compiler takes in a fraction of the time ten fields of options and arrays cost it at
    /// 10,000 revisions.
    pub facts: &'static str,
    /// The public keys (hex) the release trusts to have signed remembered records.
    pub trusted_keys: &'static [&'static str],
    /// The digest of what the build accepts as applied, per dialect in
    /// [`crate::revision::Dialect::ALL`] order (the same in every summary; see
    /// [`crate::build::accepted_digests`]).
    pub digests: &'static [&'static str; 3],
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
        let each = |values: [Option<&str>; 3]| values.map(|v| v.unwrap_or(NONE)).join(",");
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

    /// Item `n` of a field that holds one value per dialect; `None` for none.
    fn per_dialect(&self, field: usize, n: usize) -> Option<&'static str> {
        self.field(field).split(',').nth(n).filter(|v| *v != NONE)
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
        let mut each = self
            .field(4)
            .split(',')
            .map(|v| Some(v).filter(|v| *v != NONE));
        [(); 3].map(|()| each.next().flatten())
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
        let s = Summary {
            facts: Box::leak(facts.into_boxed_str()),
            trusted_keys: &[],
            digests: &["", "", ""],
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
    }
}

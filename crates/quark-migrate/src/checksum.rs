//! Checksums of the SQL a revision runs, to detect revisions edited after they were applied.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// SHA-256 of `sql` as lowercase hex, with a BOM removed and CRLF folded to LF.
pub fn checksum(sql: &str) -> String {
    let sql = sql
        .strip_prefix('\u{feff}')
        .unwrap_or(sql)
        .replace("\r\n", "\n");
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(sql.as_bytes()) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A stable number from `text`: the first 60 bits of its [`checksum`], its first 15 hex
/// digits (advisory-lock keys, shards).
#[cfg(feature = "runtime")]
pub(crate) fn number(text: &str) -> u64 {
    checksum(text)
        .chars()
        .take(15)
        .fold(0, |n, c| (n << 4) | u64::from(c.to_digit(16).unwrap_or(0)))
}

/// The digest of what a build accepts as applied on one dialect: each revision's id, the
/// checksum its upgrade records and its earlier checksums, in id order. Two builds with the same
/// digest accept the same history; a database whose history a build with this digest checked
/// in full need not be checked again until its history grows.
pub fn accepted_digest<'a>(
    revisions: impl IntoIterator<Item = (&'a str, Option<&'a str>, &'a [String])>,
) -> String {
    let mut lines: Vec<String> = revisions
        .into_iter()
        .map(|(id, sum, earlier)| format!("{id} {} {}\n", sum.unwrap_or("-"), earlier.join(",")))
        .collect();
    lines.sort_unstable();
    checksum(&lines.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "runtime")]
    #[test]
    fn a_number_is_the_first_fifteen_hex_digits_of_the_checksum() {
        for text in ["quark-db-manage:app:alembic_version", "", "x\r\ny"] {
            let hex = checksum(text);
            assert_eq!(number(text), u64::from_str_radix(&hex[..15], 16).unwrap());
        }
    }

    #[test]
    fn known_value_and_line_ending_independence() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(checksum("a;\r\nb;\r\n"), checksum("a;\nb;\n"));
        assert_eq!(checksum("\u{feff}a;"), checksum("a;"));
        assert_ne!(checksum("a;"), checksum("b;"));
    }
}

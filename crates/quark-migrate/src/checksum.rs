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

//! Text the command line did not write itself — revision ids, messages and error texts read from
//! a database, errors and log lines that quote them — as it is shown: control characters
//! escaped (so that no text moves the cursor, clears the screen or rewrites a line of the
//! terminal), long texts cut with a note of how much was left out. [`shown`] is the one
//! function every printed line goes through.

use std::borrow::Cow;
use std::fmt::Write as _;

/// How much of a text is shown, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    /// On one line: every control character escaped, at most this many characters.
    Line(usize),
    /// Over lines: newlines and tabs kept, other control characters escaped, at most this many
    /// characters.
    Text(usize),
    /// A JSON string (JSON escapes control characters itself): only cut, at this many characters.
    Json(usize),
}

/// A revision id, a branch label, a message, a checksum: one line of at most 200 characters.
pub(crate) const ID: Shown = Shown::Line(200);

/// A cell of a table on one line (the database and the outcome of `upgrade` over many):
/// at most 4,096 characters.
pub(crate) const CELL: Shown = Shown::Line(4096);

/// An error text a history row keeps, a difference `check` found: at most 4,096 characters.
pub(crate) const ERROR: Shown = Shown::Text(4096);

/// A whole message (an error, a log line): at most 65,536 characters.
pub(crate) const MESSAGE: Shown = Shown::Text(65_536);

/// SQL a dry run prints (a downgrade a newer release recorded is read from the database):
/// lines kept, never cut.
pub(crate) const SQL: Shown = Shown::Text(usize::MAX);

/// A value in a JSON document: at most 65,536 characters.
pub(crate) const JSON: Shown = Shown::Json(65_536);

/// Whether `c` is shown escaped: a control character (C0, DEL, C1), a line or paragraph
/// separator, or a mark that reorders text (bidirectional overrides and isolates).
fn escaped(c: char, how: Shown) -> bool {
    match how {
        Shown::Json(_) => false,
        Shown::Text(_) if c == '\n' || c == '\t' => false,
        _ => {
            c.is_control()
                || matches!(
                    c,
                    '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
                        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                )
        }
    }
}

/// `text` as it is shown `how`: control characters escaped as Rust writes them (`\n`, `\x1b`,
/// `\u{202e}`), and, past the limit, cut with `... [N more characters]`.
pub(crate) fn shown(text: &str, how: Shown) -> Cow<'_, str> {
    let (Shown::Line(limit) | Shown::Text(limit) | Shown::Json(limit)) = how;
    // The end of the part shown, in bytes, and how many characters follow it.
    let end = text
        .char_indices()
        .nth(limit)
        .map_or(text.len(), |(i, _)| i);
    let kept = &text[..end];
    if end == text.len() && !kept.chars().any(|c| escaped(c, how)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(kept.len() + 32);
    for c in kept.chars() {
        if !escaped(c, how) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    if end < text.len() {
        let more = text[end..].chars().count();
        let _ = write!(out, "... [{more} more characters]");
    }
    Cow::Owned(out)
}

/// Each of `ids` shown as [`ID`].
pub(crate) fn shown_ids(ids: &[String]) -> Vec<String> {
    ids.iter().map(|id| shown(id, ID).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_unicode_kept() {
        assert!(matches!(shown("1284c81cf727", ID), Cow::Borrowed(_)));
        assert_eq!(shown("é ü 中 🙂", ID), "é ü 中 🙂");
        assert_eq!(
            shown("a\x1b[2Jb\r\n\tc\x7f\u{85}", ID),
            "a\\x1b[2Jb\\r\\n\\tc\\x7f\\u{85}"
        );
        assert_eq!(shown("line 1\n\tline 2\r", ERROR), "line 1\n\tline 2\\r");
        assert_eq!(shown("abc\u{202e}cba", ID), "abc\\u{202e}cba");
        assert_eq!(shown("a\x1bb\nc", JSON), "a\x1bb\nc");
    }

    #[test]
    fn long_texts_are_cut_with_what_was_left_out() {
        let long = "é".repeat(1000);
        let one = shown(&long, ID);
        assert!(one.starts_with(&"é".repeat(200)), "{one}");
        assert!(one.ends_with("é... [800 more characters]"), "{one}");
        assert_eq!(shown(&"x".repeat(200), ID), "x".repeat(200));
        let huge = "\x1b".repeat(5_000_000);
        let cut = shown(&huge, MESSAGE);
        assert_eq!(
            cut.len(),
            65_536 * 4 + "... [4934464 more characters]".len()
        );
        assert_eq!(
            shown_ids(&["a\nb".into(), "c".into()]),
            vec!["a\\nb".to_string(), "c".to_string()]
        );
    }
}

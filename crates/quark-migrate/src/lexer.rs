//! The one SQL lexer: the text of a statement or script cut into white space, comments, strings,
//! quoted identifiers, dollar-quoted bodies, words, parameters and single bytes, by each
//! dialect's rules. The splitter, the classifier, the literal inliner and the placeholder
//! numbering all read SQL through it, so they agree on where a string or comment ends.
//!
//! The rules, per dialect:
//! - comments: `--` to the end of the line (on MySQL only when white space or a control
//!   character follows), `#` to the end of the line on MySQL, `/* */` (nested on PostgreSQL);
//! - strings: `'...'` with `''` for a quote; a backslash escapes the next byte on MySQL and in
//!   PostgreSQL's `E'...'`;
//! - quoted identifiers: `"..."` (on MySQL backslash-escaped, as its default mode reads it),
//!   `` `...` `` (MySQL, SQLite), `[...]` (SQLite);
//! - PostgreSQL: `$tag$ ... $tag$` bodies and `$1` parameters.

use crate::revision::Dialect;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// White space (vertical tab and form feed included).
    Space,
    /// A `--`, `#` or `/* */` comment.
    Comment,
    /// A string literal, its quotes and any `E` prefix included.
    Str,
    /// A quoted identifier, its quotes included.
    Ident,
    /// A PostgreSQL dollar-quoted body, its delimiters included.
    Dollar,
    /// A bare word or number.
    Word,
    /// A PostgreSQL parameter, `$1`.
    Param,
    /// Any other single byte (`?`, `;`, `(`, ...), or one character outside ASCII.
    Punct,
}

/// One token: its kind, its byte range in the text, and the line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub line: usize,
}

/// A string, identifier, comment or body that the text ends inside: the line where it starts,
/// and what it is (`string`, `/* comment`, `dollar-quoted body $$`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unterminated {
    pub line: usize,
    pub what: String,
}

/// The tokens of `text` for `dialect`, its first line numbered `first_line`.
pub(crate) fn lex(text: &str, dialect: Dialect, first_line: usize) -> Lexer<'_> {
    Lexer {
        text,
        src: text.as_bytes(),
        dialect,
        pos: 0,
        line: first_line,
        failed: false,
    }
}

/// An iterator over the tokens of a text; it ends after the first [`Unterminated`].
pub(crate) struct Lexer<'a> {
    text: &'a str,
    src: &'a [u8],
    dialect: Dialect,
    pos: usize,
    line: usize,
    failed: bool,
}

/// Whether `b` is white space to SQL (ASCII only: a Unicode space such as U+2028 is text).
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')
}

/// Whether `b` may continue a word.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl Iterator for Lexer<'_> {
    type Item = Result<Token, Unterminated>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.src.len() {
            return None;
        }
        let (start, line) = (self.pos, self.line);
        let kind = match self.scan() {
            Ok(kind) => kind,
            Err(what) => {
                self.failed = true;
                return Some(Err(Unterminated { line, what }));
            }
        };
        self.line += self.src[start..self.pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Some(Ok(Token {
            kind,
            start,
            end: self.pos,
            line,
        }))
    }
}

impl Lexer<'_> {
    /// Consumes one token; its kind, or what it leaves unterminated.
    fn scan(&mut self) -> Result<Kind, String> {
        let (d, b) = (self.dialect, self.src[self.pos]);
        let next = self.src.get(self.pos + 1).copied();
        let kind = match b {
            b if is_space(b) => {
                self.pos += 1;
                while self.pos < self.src.len() && is_space(self.src[self.pos]) {
                    self.pos += 1;
                }
                Kind::Space
            }
            b'-' if next == Some(b'-') && self.dash_comment() => self.line_comment(),
            b'#' if d == Dialect::Mysql => self.line_comment(),
            b'/' if next == Some(b'*') => self.block_comment()?,
            b'\'' => self.quoted(b'\'', d == Dialect::Mysql, "string", Kind::Str)?,
            b'"' => self.quoted(b'"', d == Dialect::Mysql, "quoted identifier", Kind::Ident)?,
            b'`' if d != Dialect::Postgresql => {
                self.quoted(b'`', false, "backquoted identifier", Kind::Ident)?
            }
            b'[' if d == Dialect::Sqlite => self.bracketed()?,
            b'$' if d == Dialect::Postgresql => self.dollar()?,
            b'E' | b'e'
                if d == Dialect::Postgresql
                    && next == Some(b'\'')
                    && !self
                        .pos
                        .checked_sub(1)
                        .is_some_and(|p| is_word_byte(self.src[p])) =>
            {
                self.pos += 1;
                self.quoted(b'\'', true, "string", Kind::Str)?
            }
            _ if b < 0x80 && is_word_byte(b) => {
                while self.pos < self.src.len() && is_word_byte(self.src[self.pos]) {
                    self.pos += 1;
                }
                Kind::Word
            }
            _ if b >= 0x80 => {
                // A character outside ASCII starts a word (names may use them).
                while self.pos < self.src.len() && is_word_byte(self.src[self.pos]) {
                    self.pos += 1;
                }
                Kind::Word
            }
            _ => {
                self.pos += 1;
                Kind::Punct
            }
        };
        Ok(kind)
    }

    /// Whether the `--` at the cursor starts a comment: always, but on MySQL only when white
    /// space, a control character or the end follows it.
    fn dash_comment(&self) -> bool {
        self.dialect != Dialect::Mysql
            || self
                .src
                .get(self.pos + 2)
                .is_none_or(|&c| c <= b' ' || c == 0x7f)
    }

    fn line_comment(&mut self) -> Kind {
        while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
            self.pos += 1;
        }
        Kind::Comment
    }

    fn block_comment(&mut self) -> Result<Kind, String> {
        let nests = self.dialect == Dialect::Postgresql;
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            match (self.src[self.pos], self.src.get(self.pos + 1).copied()) {
                (b'/', Some(b'*')) if depth == 0 || nests => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.pos += 2;
                    if depth == 0 {
                        return Ok(Kind::Comment);
                    }
                }
                _ => self.pos += 1,
            }
        }
        Err("/* comment".to_string())
    }

    /// A quoted item closed by `close`, a doubled `close` standing for itself; with `backslash`,
    /// a backslash escapes the byte after it.
    fn quoted(
        &mut self,
        close: u8,
        backslash: bool,
        what: &str,
        kind: Kind,
    ) -> Result<Kind, String> {
        self.pos += 1;
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            if backslash && b == b'\\' {
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            if b == close {
                if self.src.get(self.pos) == Some(&close) {
                    self.pos += 1;
                    continue;
                }
                return Ok(kind);
            }
        }
        self.pos = self.src.len();
        Err(what.to_string())
    }

    /// A SQLite `[identifier]`.
    fn bracketed(&mut self) -> Result<Kind, String> {
        match self.src[self.pos..].iter().position(|&b| b == b']') {
            Some(p) => {
                self.pos += p + 1;
                Ok(Kind::Ident)
            }
            None => Err("[identifier]".to_string()),
        }
    }

    /// A PostgreSQL `$tag$ ... $tag$` body, a `$1` parameter, or a lone `$`.
    fn dollar(&mut self) -> Result<Kind, String> {
        let rest = &self.text[self.pos + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            self.pos += 1 + digits;
            return Ok(Kind::Param);
        }
        let tag_len = rest
            .bytes()
            .take_while(|&c| c.is_ascii_alphanumeric() || c == b'_')
            .count();
        if !rest[tag_len..].starts_with('$') {
            self.pos += 1;
            return Ok(Kind::Punct);
        }
        let delimiter = &self.text[self.pos..self.pos + tag_len + 2];
        let body = self.pos + delimiter.len();
        match self.text[body..].find(delimiter) {
            Some(offset) => {
                self.pos = body + offset + delimiter.len();
                Ok(Kind::Dollar)
            }
            None => Err(format!("dollar-quoted body {delimiter}")),
        }
    }
}

/// `sql` with each placeholder token replaced by `with(n, token text)`, where `n` counts the
/// placeholders from 1: `?` on every dialect when `question_marks`, else `?` on MySQL and
/// SQLite and `$n` on PostgreSQL. Text the lexer cannot finish is copied as it is.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn replace_placeholders(
    sql: &str,
    dialect: Dialect,
    question_marks: bool,
    mut with: impl FnMut(usize, &str) -> String,
) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let (mut copied, mut n) = (0, 0);
    for token in lex(sql, dialect, 1) {
        let Ok(t) = token else { break };
        let text = &sql[t.start..t.end];
        let is_placeholder = match t.kind {
            Kind::Punct => text == "?" && (question_marks || dialect != Dialect::Postgresql),
            Kind::Param => !question_marks,
            _ => false,
        };
        if is_placeholder {
            n += 1;
            out.push_str(&sql[copied..t.start]);
            out.push_str(&with(n, text));
            copied = t.end;
        }
    }
    out.push_str(&sql[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, d: Dialect) -> Vec<(Kind, &str)> {
        lex(sql, d, 1)
            .map(|t| t.unwrap())
            .filter(|t| t.kind != Kind::Space)
            .map(|t| (t.kind, &sql[t.start..t.end]))
            .collect()
    }

    use Kind::*;

    #[test]
    fn strings_follow_each_dialects_escapes() {
        assert_eq!(
            kinds(r"'a\' x", Dialect::Postgresql),
            [(Str, r"'a\'"), (Word, "x")]
        );
        assert_eq!(
            kinds(r"'a\'b' x", Dialect::Mysql),
            [(Str, r"'a\'b'"), (Word, "x")]
        );
        assert_eq!(
            kinds(r"E'a\'b' e'\\' x", Dialect::Postgresql),
            [(Str, r"E'a\'b'"), (Str, r"e'\\'"), (Word, "x")]
        );
        assert_eq!(
            kinds(r"ae'b'", Dialect::Postgresql),
            [(Word, "ae"), (Str, "'b'")]
        );
        assert_eq!(kinds("'it''s'", Dialect::Sqlite), [(Str, "'it''s'")]);
    }

    #[test]
    fn comments_by_dialect() {
        assert_eq!(
            kinds("a -- x\nb", Dialect::Sqlite),
            [(Word, "a"), (Comment, "-- x"), (Word, "b")]
        );
        assert_eq!(
            kinds("1--1", Dialect::Mysql),
            [(Word, "1"), (Punct, "-"), (Punct, "-"), (Word, "1")]
        );
        assert_eq!(
            kinds("1 --\n", Dialect::Mysql),
            [(Word, "1"), (Comment, "--")]
        );
        assert_eq!(
            kinds("# x\ny", Dialect::Mysql),
            [(Comment, "# x"), (Word, "y")]
        );
        assert_eq!(kinds("# x", Dialect::Postgresql)[0], (Punct, "#"));
        assert_eq!(
            kinds("/* a /* b */ c */ d", Dialect::Postgresql),
            [(Comment, "/* a /* b */ c */"), (Word, "d")]
        );
        assert_eq!(
            kinds("/* a /* b */ c", Dialect::Mysql),
            [(Comment, "/* a /* b */"), (Word, "c")]
        );
    }

    #[test]
    fn identifiers_bodies_and_parameters() {
        assert_eq!(
            kinds("\"a\"\"b\" `c` [d]", Dialect::Sqlite),
            [(Ident, "\"a\"\"b\""), (Ident, "`c`"), (Ident, "[d]")]
        );
        assert_eq!(kinds("`c` [d]", Dialect::Postgresql)[0], (Punct, "`"));
        assert_eq!(
            kinds("$$ a; 'b $$ $f$ $$ $f$ $1 $12 a$b $", Dialect::Postgresql),
            [
                (Dollar, "$$ a; 'b $$"),
                (Dollar, "$f$ $$ $f$"),
                (Param, "$1"),
                (Param, "$12"),
                (Word, "a$b"),
                (Punct, "$")
            ]
        );
        assert_eq!(kinds("? é", Dialect::Mysql), [(Punct, "?"), (Word, "é")]);
    }

    #[test]
    fn unterminated_items_name_their_start() {
        let err = |sql: &str, d| lex(sql, d, 3).find_map(Result::err).unwrap();
        assert_eq!(
            err("x\n'abc", Dialect::Sqlite),
            Unterminated {
                line: 4,
                what: "string".into()
            }
        );
        assert_eq!(
            err("$a$ x", Dialect::Postgresql).what,
            "dollar-quoted body $a$"
        );
        assert_eq!(err("/* x", Dialect::Mysql).what, "/* comment");
        assert_eq!(err("[x", Dialect::Sqlite).what, "[identifier]");
        assert_eq!(err(r"'a\'", Dialect::Mysql).what, "string");
    }

    #[test]
    fn placeholders_outside_quotes_and_comments() {
        let numbered = |sql, d, q| replace_placeholders(sql, d, q, |n, _| format!("<{n}>"));
        assert_eq!(
            numbered("a = ? /* ? */ -- ?\n'?' \"?\" `?` ?", Dialect::Mysql, false),
            "a = <1> /* ? */ -- ?\n'?' \"?\" `?` <2>"
        );
        assert_eq!(
            numbered("$1, '$2', $$ $3 $$, ?", Dialect::Postgresql, false),
            "<1>, '$2', $$ $3 $$, ?"
        );
        assert_eq!(
            numbered("?, '?', $1", Dialect::Postgresql, true),
            "<1>, '?', $1"
        );
    }
}

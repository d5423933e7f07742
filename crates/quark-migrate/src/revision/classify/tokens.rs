//! The classifier's tokenizer: words, quoted identifiers, strings, parentheses and commas, and a
//! cursor over them.

use super::Online;
use crate::revision::Dialect;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word or number.
    Word,
    /// A quoted identifier, unquoted.
    Quoted(String),
    /// A string literal or dollar-quoted body.
    Str,
    Open,
    Close,
    Comma,
    Dot,
    Punct(u8),
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The tokens of `sql`, and whether it is well formed: every quote, comment and parenthesis
/// closed. Token boundaries always fall on ASCII bytes, so slicing `sql` by them cannot panic.
pub(super) fn tokenize(sql: &str, dialect: Dialect) -> (Vec<Tok>, bool) {
    let b = sql.as_bytes();
    let mut toks = Vec::new();
    let (mut i, mut depth, mut ok) = (0usize, 0usize, true);
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let start = i;
        let kind = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if next == Some(b'-') => {
                i = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |p| i + p);
                continue;
            }
            b'#' if dialect == Dialect::Mysql => {
                i = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |p| i + p);
                continue;
            }
            b'/' if next == Some(b'*') => {
                match comment_end(b, i, dialect == Dialect::Postgresql) {
                    Some(end) => i = end,
                    None => return (toks, false),
                }
                continue;
            }
            b'\'' | b'"' | b'`' => {
                let escape_string = dialect == Dialect::Postgresql
                    && i >= 1
                    && matches!(b[i - 1], b'E' | b'e')
                    && (i < 2 || !is_word_byte(b[i - 2]));
                let backslash = (dialect == Dialect::Mysql && c != b'`') || escape_string;
                let (end, closed) = quoted_end(b, i, c, backslash);
                ok &= closed;
                i = end;
                if c == b'\'' {
                    Kind::Str
                } else {
                    let inner = sql.get(start + 1..end - usize::from(closed)).unwrap_or("");
                    let q = char::from(c).to_string();
                    Kind::Quoted(inner.replace(&q.repeat(2), &q))
                }
            }
            b'[' if dialect == Dialect::Sqlite => {
                let close = b[i..].iter().position(|&x| x == b']');
                ok &= close.is_some();
                i = close.map_or(b.len(), |p| i + p + 1);
                Kind::Quoted(
                    sql.get(start + 1..i - usize::from(close.is_some()))
                        .unwrap_or("")
                        .to_string(),
                )
            }
            b'$' if dialect == Dialect::Postgresql && dollar_tag(b, i).is_some() => {
                let tag_len = dollar_tag(b, i).unwrap_or(0);
                let delim = &b[i..i + tag_len];
                let body = i + tag_len;
                match b[body..].windows(tag_len).position(|w| w == delim) {
                    Some(p) => i = body + p + tag_len,
                    None => {
                        ok = false;
                        i = b.len();
                    }
                }
                Kind::Str
            }
            b'(' => {
                depth += 1;
                i += 1;
                Kind::Open
            }
            b')' => {
                ok &= depth > 0;
                depth = depth.saturating_sub(1);
                i += 1;
                Kind::Close
            }
            b',' => {
                i += 1;
                Kind::Comma
            }
            b'.' => {
                i += 1;
                Kind::Dot
            }
            _ if is_word_byte(c) && c != b'$' => {
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                i += 1;
                Kind::Punct(c)
            }
        };
        toks.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    (toks, ok && depth == 0)
}

/// The end of the `/* */` comment at `i`, `None` when unterminated.
pub(super) fn comment_end(b: &[u8], mut i: usize, nests: bool) -> Option<usize> {
    let mut depth = 0usize;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') if depth == 0 || nests => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The end of the item quoted by `q` at `i` (a doubled `q` is literal), and whether it closes.
pub(super) fn quoted_end(b: &[u8], mut i: usize, q: u8, backslash: bool) -> (usize, bool) {
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        i += 1;
        if b[i - 1] == q {
            if b.get(i) == Some(&q) {
                i += 1;
                continue;
            }
            return (i, true);
        }
    }
    (b.len(), false)
}

/// The length of the `$tag$` opening a PostgreSQL dollar-quoted body at `i`, if it is one.
pub(super) fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_word_byte(b[i - 1]) {
        return None;
    }
    let tag = b[i + 1..]
        .iter()
        .take_while(|&&x| x.is_ascii_alphanumeric() || x == b'_')
        .count();
    let starts_digit = b.get(i + 1).is_some_and(u8::is_ascii_digit);
    (b.get(i + 1 + tag) == Some(&b'$') && !starts_digit).then_some(tag + 2)
}

/// A cursor over tokens.
#[derive(Clone, Copy)]
pub(super) struct Cur<'a> {
    pub(super) sql: &'a str,
    pub(super) toks: &'a [Tok],
    pub(super) i: usize,
}

impl<'a> Cur<'a> {
    pub(super) fn over(self, toks: &'a [Tok]) -> Cur<'a> {
        Cur {
            sql: self.sql,
            toks,
            i: 0,
        }
    }

    pub(super) fn text(&self, t: &Tok) -> &'a str {
        self.sql.get(t.start..t.end).unwrap_or("")
    }

    /// The upper-cased word at offset `n` from the cursor.
    pub(super) fn word_at(&self, n: usize) -> Option<String> {
        let t = self.toks.get(self.i + n)?;
        (t.kind == Kind::Word).then(|| self.text(t).to_ascii_uppercase())
    }

    pub(super) fn is(&self, kw: &str) -> bool {
        self.is_at(0, kw)
    }

    pub(super) fn is_at(&self, n: usize, kw: &str) -> bool {
        self.toks
            .get(self.i + n)
            .is_some_and(|t| t.kind == Kind::Word && self.text(t).eq_ignore_ascii_case(kw))
    }

    /// Whether the next token is one of the space-separated `words`.
    pub(super) fn is_any(&self, words: &str) -> bool {
        words.split_whitespace().any(|k| self.is(k))
    }

    /// Whether the tokens from offset `n` are the space-separated `words`.
    pub(super) fn seq_at(&self, n: usize, words: &str) -> bool {
        words
            .split_whitespace()
            .enumerate()
            .all(|(k, w)| self.is_at(n + k, w))
    }

    /// Consumes the space-separated `words` if the next tokens are exactly those.
    pub(super) fn eat(&mut self, words: &str) -> bool {
        let all = self.seq_at(0, words);
        if all {
            self.i += words.split_whitespace().count();
        }
        all
    }

    pub(super) fn eat_kind(&mut self, kind: &Kind) -> bool {
        let is = self.toks.get(self.i).is_some_and(|t| &t.kind == kind);
        self.i += usize::from(is);
        is
    }

    pub(super) fn done(&self) -> bool {
        self.i >= self.toks.len()
    }

    pub(super) fn rest(&self) -> &'a [Tok] {
        self.toks.get(self.i..).unwrap_or(&[])
    }

    /// One identifier: a bare word or a quoted name.
    pub(super) fn ident(&mut self) -> Option<String> {
        let t = self.toks.get(self.i)?;
        let name = match &t.kind {
            Kind::Word => self.text(t).to_string(),
            Kind::Quoted(s) => s.clone(),
            _ => return None,
        };
        self.i += 1;
        Some(name)
    }

    /// A possibly qualified name (`db.schema.t`): its last part.
    pub(super) fn name(&mut self) -> Option<String> {
        let mut name = self.ident()?;
        while self.toks.get(self.i).is_some_and(|t| t.kind == Kind::Dot) {
            self.i += 1;
            name = self.ident()?;
        }
        Some(name)
    }

    /// Comma-separated possibly qualified names: their last parts.
    pub(super) fn names(&mut self) -> Option<Vec<String>> {
        let mut out = vec![self.name()?];
        while self.eat_kind(&Kind::Comma) {
            out.push(self.name()?);
        }
        Some(out)
    }

    /// Whether only words of the space-separated `allowed` remain.
    pub(super) fn only(&self, allowed: &str) -> bool {
        (0..self.toks.len().saturating_sub(self.i))
            .all(|n| allowed.split_whitespace().any(|k| self.is_at(n, k)))
    }

    /// The `ALGORITHM [=] x` / `LOCK [=] x` clause at the cursor, consumed into `online`.
    pub(super) fn online_clause(&mut self, online: &mut Online) -> bool {
        let is_algorithm = self.is("ALGORITHM");
        if !is_algorithm && !self.is("LOCK") {
            return false;
        }
        let mut c = *self;
        c.i += 1;
        c.eat_kind(&Kind::Punct(b'='));
        let known = if is_algorithm {
            "DEFAULT INSTANT INPLACE NOCOPY COPY"
        } else {
            "DEFAULT NONE SHARED EXCLUSIVE"
        };
        if !c.is_any(known) {
            return false;
        }
        let value = c.word_at(0).unwrap_or_default();
        *if is_algorithm {
            &mut online.algorithm
        } else {
            &mut online.lock
        } = Some(value);
        *self = c;
        self.i += 1;
        true
    }
}

/// Indexes of the tokens outside parentheses (an opening parenthesis counts, its contents not).
pub(super) fn top_level(toks: &[Tok]) -> Vec<usize> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (n, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Open => {
                if depth == 0 {
                    out.push(n);
                }
                depth += 1;
            }
            Kind::Close => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(n),
            _ => {}
        }
    }
    out
}

/// `toks` split on commas outside parentheses.
pub(super) fn split_commas(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut from = 0;
    for n in top_level(toks) {
        if toks[n].kind == Kind::Comma {
            parts.push(&toks[from..n]);
            from = n + 1;
        }
    }
    parts.push(&toks[from..]);
    parts
}

//! The classifier's tokenizer: words, quoted identifiers, strings, parentheses and commas, and a
//! cursor over them.

use super::Online;
use crate::lexer::{self, lex};
use crate::revision::Dialect;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word or number.
    Word,
    /// A quoted identifier, unquoted.
    Quoted(String),
    /// A string literal or dollar-quoted body.
    Str,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// Any other punctuation.
    Punct(u8),
}

/// One token: its kind and where it is in the SQL.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The tokens of `sql`, and whether it is well formed: every quote, comment and parenthesis
/// closed. Token boundaries always fall on ASCII bytes, so slicing `sql` by them cannot panic.
pub(super) fn tokenize(sql: &str, dialect: Dialect) -> (Vec<Tok>, bool) {
    let mut toks = Vec::new();
    let (mut depth, mut ok) = (0usize, true);
    for token in lex(sql, dialect, 1) {
        let Ok(t) = token else {
            return (toks, false);
        };
        let text = &sql[t.start..t.end];
        let kind = match t.kind {
            lexer::Kind::Space | lexer::Kind::Comment => continue,
            lexer::Kind::Str | lexer::Kind::Dollar => Kind::Str,
            lexer::Kind::Ident => Kind::Quoted(unquoted(text)),
            lexer::Kind::Word | lexer::Kind::Param => Kind::Word,
            lexer::Kind::Punct => match text.as_bytes()[0] {
                b'(' => {
                    depth += 1;
                    Kind::Open
                }
                b')' => {
                    ok &= depth > 0;
                    depth = depth.saturating_sub(1);
                    Kind::Close
                }
                b',' => Kind::Comma,
                b'.' => Kind::Dot,
                c => Kind::Punct(c),
            },
        };
        toks.push(Tok {
            kind,
            start: t.start,
            end: t.end,
        });
    }
    (toks, ok && depth == 0)
}

/// A quoted identifier's name: its quotes taken off, a doubled quote made single.
fn unquoted(quoted: &str) -> String {
    let inner = &quoted[1..quoted.len() - 1];
    match quoted.as_bytes()[0] {
        b'[' => inner.to_string(),
        q => {
            let q = char::from(q).to_string();
            inner.replace(&q.repeat(2), &q)
        }
    }
}

/// A cursor over tokens.
#[derive(Clone, Copy)]
pub(super) struct Cur<'a> {
    pub(super) sql: &'a str,
    pub(super) toks: &'a [Tok],
    pub(super) i: usize,
}

impl<'a> Cur<'a> {
    /// A cursor at the start of `toks`, tokens of the same SQL.
    pub(super) fn over(self, toks: &'a [Tok]) -> Cur<'a> {
        Cur {
            sql: self.sql,
            toks,
            i: 0,
        }
    }

    /// The source text of `t`.
    pub(super) fn text(&self, t: &Tok) -> &'a str {
        self.sql.get(t.start..t.end).unwrap_or("")
    }

    /// The upper-cased word at offset `n` from the cursor.
    pub(super) fn word_at(&self, n: usize) -> Option<String> {
        let t = self.toks.get(self.i + n)?;
        (t.kind == Kind::Word).then(|| self.text(t).to_ascii_uppercase())
    }

    /// Whether the next token is the word `kw`.
    pub(super) fn is(&self, kw: &str) -> bool {
        self.is_at(0, kw)
    }

    /// Whether the token at offset `n` from the cursor is the word `kw`.
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

    /// Consumes the next token if it is of `kind`.
    pub(super) fn eat_kind(&mut self, kind: &Kind) -> bool {
        let is = self.toks.get(self.i).is_some_and(|t| &t.kind == kind);
        self.i += usize::from(is);
        is
    }

    /// Whether no token is left.
    pub(super) fn done(&self) -> bool {
        self.i >= self.toks.len()
    }

    /// The tokens left.
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

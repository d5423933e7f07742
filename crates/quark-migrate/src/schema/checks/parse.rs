//! An expression's text read into tokens in their one spelling, and those into a tree of
//! parenthesized and bracketed groups.

use super::{Node, Tok};
use crate::lexer::{Kind, Token, lex};
use crate::revision::Dialect;

/// Words written upper-case: SQL keywords that appear in expressions.
pub(super) const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "BETWEEN",
    "CASE",
    "CAST",
    "COLLATE",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DISTINCT",
    "ELSE",
    "END",
    "ESCAPE",
    "EXISTS",
    "FALSE",
    "FROM",
    "GLOB",
    "ILIKE",
    "IN",
    "INTERVAL",
    "IS",
    "LIKE",
    "NOT",
    "NULL",
    "OR",
    "REGEXP",
    "RLIKE",
    "SIMILAR",
    "SOME",
    "THEN",
    "TO",
    "TRUE",
    "UNKNOWN",
    "WHEN",
    "XOR",
];

/// Operators of more than one character, longest first.
const OPERATORS: &[&str] = &[
    "!~~*", "!~~", "~~*", "->>", "!~*", "<=>", "~~", "!~", "~*", "<=", ">=", "<>", "!=", "==",
    "||", "&&", "::", "->", "@>", "<@", "<<", ">>", "#>",
];

/// Characters an operator is made of.
fn is_operator_char(c: &str) -> bool {
    c.len() == 1 && "<>=!~|&^*/%+-@#:?".contains(c)
}

/// One item of the flat token list: a token, or a bracket opening or closing.
pub(super) enum Flat {
    Tok(Tok),
    Open(char),
    Close(char),
}

/// The tokens of `raw` (white space and comments dropped), each with whether it follows the one
/// before it with nothing between; `None` when the lexer cannot finish.
pub(super) fn tokens(raw: &str, dialect: Dialect) -> Option<Vec<(Token, bool)>> {
    let mut out: Vec<(Token, bool)> = Vec::new();
    let mut last_end = None;
    for t in lex(raw, dialect, 1) {
        let t = t.ok()?;
        if matches!(t.kind, Kind::Space | Kind::Comment) {
            continue;
        }
        out.push((t, last_end == Some(t.start)));
        last_end = Some(t.end);
    }
    Some(out)
}

/// `raw` as flat normalized tokens.
pub(super) fn flat(raw: &str, dialect: Dialect) -> Option<Vec<Flat>> {
    let toks = tokens(raw, dialect)?;
    let text = |i: usize| &raw[toks[i].0.start..toks[i].0.end];
    let joined = |i: usize| toks.get(i).is_some_and(|t| t.1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let (t, _) = toks[i];
        let s = text(i);
        match t.kind {
            Kind::Str => out.push(Flat::Tok(Tok::Str(string_value(s, dialect)))),
            Kind::Ident => out.push(Flat::Tok(Tok::Name(ident_value(s)))),
            Kind::Word if s.as_bytes()[0].is_ascii_digit() => {
                let mut number = s.to_string();
                while joined(i + 1)
                    && text(i + 1) == "."
                    && toks[i + 1].0.kind == Kind::Punct
                    && joined(i + 2)
                    && toks[i + 2].0.kind == Kind::Word
                    && text(i + 2).as_bytes()[0].is_ascii_digit()
                {
                    number.push('.');
                    number.push_str(text(i + 2));
                    i += 2;
                }
                out.push(Flat::Tok(Tok::Num(number)));
            }
            // MySQL's character set introducer: `_utf8mb4'a'` is the string 'a'.
            Kind::Word
                if s.starts_with('_')
                    && joined(i + 1)
                    && toks[i + 1].0.kind == Kind::Str
                    && dialect == Dialect::Mysql => {}
            Kind::Word => {
                let upper = s.to_ascii_uppercase();
                if KEYWORDS.contains(&upper.as_str()) {
                    out.push(Flat::Tok(Tok::Keyword(upper)));
                } else {
                    out.push(Flat::Tok(Tok::Name(s.to_lowercase())));
                }
            }
            Kind::Punct => match s {
                "(" => out.push(Flat::Open('(')),
                "[" => out.push(Flat::Open('[')),
                ")" => out.push(Flat::Close(')')),
                "]" => out.push(Flat::Close(']')),
                "," => out.push(Flat::Tok(Tok::Comma)),
                "." => out.push(Flat::Tok(Tok::Dot)),
                _ if is_operator_char(s) => {
                    let mut run = s.to_string();
                    while joined(i + 1)
                        && toks[i + 1].0.kind == Kind::Punct
                        && is_operator_char(text(i + 1))
                    {
                        run.push_str(text(i + 1));
                        i += 1;
                    }
                    operators(&run, dialect, &mut out);
                }
                _ => out.push(Flat::Tok(Tok::Other(s.to_string()))),
            },
            Kind::Space | Kind::Comment => {}
            Kind::Dollar | Kind::Param => out.push(Flat::Tok(Tok::Other(s.to_string()))),
        }
        i += 1;
    }
    Some(out)
}

/// The operators of a run of operator characters, longest first, each in its one spelling.
fn operators(mut run: &str, dialect: Dialect, out: &mut Vec<Flat>) {
    let keyword = |k: &str| Flat::Tok(Tok::Keyword(k.to_string()));
    while !run.is_empty() {
        let op = OPERATORS
            .iter()
            .find(|o| run.starts_with(**o))
            .copied()
            .unwrap_or(&run[..1]);
        run = &run[op.len()..];
        match op {
            "!=" => out.push(Flat::Tok(Tok::Op("<>".into()))),
            "==" => out.push(Flat::Tok(Tok::Op("=".into()))),
            "~~" => out.push(keyword("LIKE")),
            "~~*" => out.push(keyword("ILIKE")),
            "!~~" => out.extend([keyword("NOT"), keyword("LIKE")]),
            "!~~*" => out.extend([keyword("NOT"), keyword("ILIKE")]),
            "&&" if dialect == Dialect::Mysql => out.push(keyword("AND")),
            "||" if dialect == Dialect::Mysql => out.push(keyword("OR")),
            _ => out.push(Flat::Tok(Tok::Op(op.to_string()))),
        }
    }
}

/// The value of a string literal token, its quotes and escapes undone.
pub(super) fn string_value(token: &str, dialect: Dialect) -> String {
    let (body, backslash) = match token.strip_prefix(['E', 'e']) {
        Some(rest) => (rest, true),
        None => (token, dialect == Dialect::Mysql),
    };
    let inner = &body[1..body.len().saturating_sub(1).max(1)];
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
            }
            '\\' if backslash => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some(other) => out.push(other),
                None => {}
            },
            _ => out.push(c),
        }
    }
    out
}

/// The name a quoted identifier token stands for.
pub(super) fn ident_value(token: &str) -> String {
    let (open, close) = match token.as_bytes()[0] {
        b'[' => return token[1..token.len() - 1].to_string(),
        b'`' => ("`", "``"),
        _ => ("\"", "\"\""),
    };
    token[1..token.len() - 1].replace(close, open)
}

/// The flat tokens as a tree of groups; `None` when the brackets do not match.
pub(super) fn tree(flat: Vec<Flat>) -> Option<Vec<Node>> {
    let mut stack: Vec<(char, Vec<Node>)> = vec![(' ', Vec::new())];
    for f in flat {
        match f {
            Flat::Tok(t) => stack.last_mut()?.1.push(Node::Tok(t)),
            Flat::Open(c) => stack.push((c, Vec::new())),
            Flat::Close(c) => {
                let (open, nodes) = stack.pop()?;
                let node = match (open, c) {
                    ('(', ')') => Node::Paren(nodes),
                    ('[', ']') => Node::Bracket(nodes),
                    _ => return None,
                };
                stack.last_mut()?.1.push(node);
            }
        }
    }
    match stack.pop() {
        Some((' ', nodes)) if stack.is_empty() => Some(nodes),
        _ => None,
    }
}

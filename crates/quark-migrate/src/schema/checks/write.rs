//! A normalized expression written out: in its one spelling, or as a dialect writes it, or
//! with a column renamed.

use super::parse::{KEYWORDS, ident_value, string_value, tokens};
use super::{Node, Tok};
use crate::lexer::Kind;
use crate::revision::Dialect;
use crate::schema::identifiers::quote;

/// A name as the normalized expression writes it: bare when it needs no quotes.
fn name_text(name: &str) -> String {
    if KEYWORDS.contains(&name.to_ascii_uppercase().as_str()) {
        Dialect::Sqlite.quote(name)
    } else {
        quote(name, Dialect::Sqlite)
    }
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Keyword(s) | Tok::Num(s) | Tok::Op(s) | Tok::Other(s) => s.clone(),
        Tok::Name(n) => name_text(n),
        Tok::Str(s) => format!("'{}'", s.replace('\'', "''")),
        Tok::Comma => ",".into(),
        Tok::Dot => ".".into(),
    }
}

/// Whether a `-` or `+` that follows `before` is a sign.
fn is_sign(before: Option<&Node>) -> bool {
    match before {
        None => true,
        Some(Node::Tok(Tok::Op(_) | Tok::Comma)) => true,
        Some(Node::Tok(Tok::Keyword(k))) => !matches!(
            k.as_str(),
            "END"
                | "NULL"
                | "TRUE"
                | "FALSE"
                | "CURRENT_DATE"
                | "CURRENT_TIME"
                | "CURRENT_TIMESTAMP"
        ),
        Some(_) => false,
    }
}

/// Writes `nodes` with single spaces by fixed rules.
pub(super) fn emit(nodes: &[Node], out: &mut String) {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 && space_between(i.checked_sub(2).map(|p| &nodes[p]), &nodes[i - 1], n) {
            out.push(' ');
        }
        match n {
            Node::Tok(t) => out.push_str(&tok_text(t)),
            Node::Paren(inner) => {
                out.push('(');
                emit(inner, out);
                out.push(')');
            }
            Node::Bracket(inner) => {
                out.push('[');
                emit(inner, out);
                out.push(']');
            }
        }
    }
}

/// Whether a space goes between `prev` (which follows `before`) and `next`.
fn space_between(before: Option<&Node>, prev: &Node, next: &Node) -> bool {
    let tight =
        |n: &Node| matches!(n.tok(), Some(Tok::Dot)) || n.tok().is_some_and(|t| t.is_op("::"));
    if matches!(next.tok(), Some(Tok::Comma)) || tight(prev) || tight(next) {
        return false;
    }
    match (prev, next) {
        (Node::Tok(Tok::Name(_)), Node::Paren(_)) => false,
        (_, Node::Bracket(_)) => false,
        (Node::Tok(Tok::Op(op)), Node::Tok(Tok::Num(_) | Tok::Name(_)))
            if (op == "-" || op == "+") && is_sign(before) =>
        {
            false
        }
        _ => true,
    }
}

/// `expression` (normalized) as `dialect` writes it: its quoted names in the dialect's quotes,
/// its strings as the dialect reads them.
pub(crate) fn to_dialect(expression: &str, dialect: Dialect) -> String {
    let Some(toks) = tokens(expression, Dialect::Postgresql) else {
        return expression.to_string();
    };
    let mut out = String::with_capacity(expression.len());
    let mut copied = 0;
    for (t, _) in toks {
        let s = &expression[t.start..t.end];
        let replacement = match t.kind {
            Kind::Ident => quote(&ident_value(s), dialect),
            Kind::Str => dialect.string_literal(&string_value(s, Dialect::Postgresql)),
            _ => continue,
        };
        out.push_str(&expression[copied..t.start]);
        out.push_str(&replacement);
        copied = t.end;
    }
    out.push_str(&expression[copied..]);
    out
}

/// `expression` (normalized) with the column `from` called `to`.
pub(crate) fn rename_column(expression: &str, from: &str, to: &str) -> String {
    let Some(toks) = tokens(expression, Dialect::Postgresql) else {
        return expression.to_string();
    };
    let mut out = String::with_capacity(expression.len());
    let mut copied = 0;
    for (i, (t, _)) in toks.iter().enumerate() {
        let s = &expression[t.start..t.end];
        let name = match t.kind {
            Kind::Ident => ident_value(s),
            Kind::Word if !KEYWORDS.contains(&s.to_ascii_uppercase().as_str()) => s.to_string(),
            _ => continue,
        };
        let call = toks
            .get(i + 1)
            .is_some_and(|(n, joined)| *joined && &expression[n.start..n.end] == "(");
        if name != from || call {
            continue;
        }
        out.push_str(&expression[copied..t.start]);
        out.push_str(&name_text(to));
        copied = t.end;
    }
    out.push_str(&expression[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_written_per_dialect_and_renamed() {
        let e = "\"Odd\" <> 'a\\b' AND price > 0";
        assert_eq!(
            to_dialect(e, Dialect::Mysql),
            "`Odd` <> _utf8mb4 X'615C62' AND price > 0"
        );
        assert_eq!(
            to_dialect(e, Dialect::Postgresql),
            "\"Odd\" <> E'a\\\\b' AND price > 0"
        );
        assert_eq!(
            rename_column("price > 0 AND price(price) < \"price\"", "price", "cost"),
            "cost > 0 AND price(cost) < cost"
        );
    }
}

//! CHECK constraints: reading them out of a SQLite `CREATE TABLE` statement, and their
//! expressions in one normalized spelling, so that a constraint reads the same however it was
//! written and however often it is read.
//!
//! Everything here works on the tokens of the crate's one lexer ([`crate::lexer`]), never on raw
//! text. Normalization:
//! - drops white space and comments, and writes the tokens back with single spaces by fixed
//!   rules (`f(x)`, `(a, b)`, `x::t`, `-1`);
//! - upper-cases keywords (`AND`, `OR`, `NOT`, `IS`, `NULL`, `IN`, `LIKE`, ...) and lower-cases
//!   the other bare words (names and functions, which SQL reads without regard to case);
//! - writes a quoted identifier bare when it needs no quotes (`` `price` ``, `"price"`, `[price]`
//!   are `price`), and quoted with `"` otherwise;
//! - writes strings `'...'` with `''` for a quote whatever escapes the source used (MySQL's
//!   `\'`, PostgreSQL's `E'...'`), and drops MySQL's character set introducers (`_utf8mb4'a'`);
//! - writes `!=` as `<>`, `==` as `=`, PostgreSQL's `~~` / `!~~` / `~~*` as `LIKE` / `NOT LIKE` /
//!   `ILIKE`, MySQL's `&&` / `||` as `AND` / `OR`;
//! - drops the casts PostgreSQL adds: those of literals (`'a'::text`, `(0)::numeric`,
//!   `'-1.5'::numeric` as `-1.5`), the text casts of text columns (`(status)::text`) and the
//!   text-array casts of `ARRAY[...]`; and writes `x = ANY (ARRAY[a, b])` as `x IN (a, b)` and
//!   `x <> ALL (ARRAY[a, b])` as `x NOT IN (a, b)`, as they were written;
//! - drops redundant parentheses: around the whole expression, around a single item (`(0)`,
//!   `(status)`, but not a call's or an `IN` list's), and around an operand of `AND` / `OR` that
//!   holds no `AND` / `OR` itself (`(a > 0) AND (b > 0)` is `a > 0 AND b > 0`).
//!
//! What it does not undo: the rewrites a server makes of an expression it stores
//! (PostgreSQL's `BETWEEN` as two comparisons and a one-item `IN` as `=`; MariaDB's
//! `NOT (a = b)` as `a <> b` and `lower()` as `lcase()`), other casts (`x::integer`, which may
//! change what the expression means), and the case of quoted identifiers. The two schemas a
//! comparison sees come from the same kind of server (a live database and its record, or the
//! declared schema loaded beside it), which rewrites both alike, so these spellings agree; an
//! expression read from one kind of server and rendered for another is written as read.

mod normalize;
mod parse;
mod sqlite;
mod write;

pub(crate) use normalize::normalize;
pub(crate) use sqlite::sqlite_checks;
pub(crate) use write::{rename_column, to_dialect};

use write::emit;

/// One token of a normalized expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A keyword, upper-cased.
    Keyword(String),
    /// A name (column, function, type), unquoted.
    Name(String),
    /// A string literal's value.
    Str(String),
    /// A number, as written.
    Num(String),
    /// An operator.
    Op(String),
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// Anything else, as written.
    Other(String),
}

impl Tok {
    fn is_keyword(&self, word: &str) -> bool {
        matches!(self, Tok::Keyword(k) if k == word)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self, Tok::Op(o) if o == op)
    }

    fn is_literal(&self) -> bool {
        matches!(self, Tok::Str(_) | Tok::Num(_))
            || self.is_keyword("TRUE")
            || self.is_keyword("FALSE")
            || self.is_keyword("NULL")
    }
}

/// A token, or a parenthesized or bracketed group of them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Tok(Tok),
    Paren(Vec<Node>),
    Bracket(Vec<Node>),
}

impl Node {
    fn tok(&self) -> Option<&Tok> {
        match self {
            Node::Tok(t) => Some(t),
            _ => None,
        }
    }

    fn is_keyword(&self, word: &str) -> bool {
        self.tok().is_some_and(|t| t.is_keyword(word))
    }
}

/// A normalized CHECK expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expr {
    nodes: Vec<Node>,
}

impl Expr {
    /// The expression's one spelling.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        emit(&self.nodes, &mut out);
        out
    }

    /// `(column, values)` when the expression is `column IN ('a', 'b', ...)`: how SQLite keeps
    /// an enumeration.
    pub(crate) fn enum_of(&self) -> Option<(String, Vec<String>)> {
        let [
            Node::Tok(Tok::Name(column)),
            Node::Tok(Tok::Keyword(is_in)),
            Node::Paren(items),
        ] = &self.nodes[..]
        else {
            return None;
        };
        if is_in != "IN" || items.is_empty() {
            return None;
        }
        let mut values = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match (i % 2, item) {
                (0, Node::Tok(Tok::Str(v))) => values.push(v.clone()),
                (1, Node::Tok(Tok::Comma)) => {}
                _ => return None,
            }
        }
        (items.len() % 2 == 1).then(|| (column.clone(), values))
    }

    /// The column when the expression is `column IS NOT NULL`: a NOT NULL constraint in other
    /// words (PostgreSQL's way to set NOT NULL without a long lock goes through one), which the
    /// model keeps as the column's nullability rather than as a check.
    pub(crate) fn not_null_column(&self) -> Option<&str> {
        match &self.nodes[..] {
            [Node::Tok(Tok::Name(column)), is, not, null]
                if is.is_keyword("IS") && not.is_keyword("NOT") && null.is_keyword("NULL") =>
            {
                Some(column)
            }
            _ => None,
        }
    }

    /// The column when the expression is `json_valid(column)`: MariaDB's check of a JSON
    /// column.
    pub(crate) fn json_valid_of(&self) -> Option<&str> {
        match &self.nodes[..] {
            [Node::Tok(Tok::Name(f)), Node::Paren(args)] if f == "json_valid" => match &args[..] {
                [Node::Tok(Tok::Name(column))] => Some(column),
                _ => None,
            },
            _ => None,
        }
    }

    /// The names the expression uses as columns (not as functions), each once, in order.
    pub(crate) fn columns(&self) -> Vec<String> {
        fn walk(nodes: &[Node], out: &mut Vec<String>) {
            for (i, n) in nodes.iter().enumerate() {
                match n {
                    Node::Tok(Tok::Name(name)) => {
                        let call = matches!(nodes.get(i + 1), Some(Node::Paren(_)));
                        let cast = i > 0 && nodes[i - 1].tok().is_some_and(|t| t.is_op("::"));
                        if !call && !cast && !out.contains(name) {
                            out.push(name.clone());
                        }
                    }
                    Node::Paren(inner) | Node::Bracket(inner) => walk(inner, out),
                    Node::Tok(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.nodes, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::Dialect;

    #[test]
    fn odd_text_never_panics() {
        let pieces = [
            "(",
            ")",
            "[",
            "]",
            "::",
            "text",
            "x",
            "'a'",
            "E'\\'",
            "`q`",
            "\"w\"",
            "=",
            "<>",
            "ANY",
            "ALL",
            "ARRAY",
            "IN",
            "AND",
            "OR",
            "NOT",
            "BETWEEN",
            "-",
            "1",
            ".",
            "5",
            ",",
            "_utf8mb4",
            "~~",
            "!",
            "$1",
            "$$ a $$",
            "/* c */",
            "-- c\n",
            "é",
            "numeric",
            "character",
            "varying",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                if seed.is_multiple_of(3) {
                    text.push(' ');
                }
            }
            for dialect in Dialect::ALL {
                let e = normalize(&text, dialect, &|_| true);
                let once = e.text();
                let _ = (
                    e.enum_of(),
                    e.not_null_column(),
                    e.json_valid_of(),
                    e.columns(),
                );
                let _ = (to_dialect(&once, dialect), rename_column(&once, "x", "y"));
                let _ = sqlite_checks(&format!("CREATE TABLE t (a CHECK ({text}))"));
            }
        }
    }

    #[test]
    fn enumerations_and_not_null_checks_are_recognised() {
        let e = normalize("\"kind\" in ('shared','It''s')", Dialect::Sqlite, &|_| {
            false
        });
        assert_eq!(
            e.enum_of(),
            Some(("kind".to_string(), vec!["shared".into(), "It's".into()]))
        );
        let e = normalize("kind IN ('a') AND x > 0", Dialect::Sqlite, &|_| false);
        assert_eq!(e.enum_of(), None);
        let e = normalize("(id IS NOT NULL)", Dialect::Postgresql, &|_| false);
        assert_eq!(e.not_null_column(), Some("id"));
        let e = normalize("length(a) > b + c", Dialect::Postgresql, &|_| false);
        assert_eq!(e.columns(), vec!["a", "b", "c"]);
    }
}

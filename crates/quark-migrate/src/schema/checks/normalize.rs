//! The rewrites of normalization (see the notes of the `checks` module): casts dropped, `ANY`
//! written as `IN`, redundant parentheses dropped.

use super::parse::{flat, tree};
use super::{Expr, Node, Tok};
use crate::revision::Dialect;

/// Keywords a parenthesized list follows (`IN (...)`, `ANY (...)`): their parentheses stay.
const LIST_KEYWORDS: &[&str] = &["IN", "ANY", "ALL", "SOME", "EXISTS", "ARRAY", "CAST"];

/// `raw`, a CHECK expression as `dialect` spells it, normalized (see the notes of the
/// `checks` module).
/// `is_text` tells whether a column of the table holds text (a text cast of it then goes).
/// An expression the lexer cannot read is kept with its white space collapsed.
pub(crate) fn normalize(raw: &str, dialect: Dialect, is_text: &dyn Fn(&str) -> bool) -> Expr {
    let nodes = flat(raw, dialect)
        .and_then(tree)
        .map(|nodes| top(tidy(nodes, is_text)));
    match nodes {
        Some(nodes) => Expr { nodes },
        None => Expr {
            nodes: vec![Node::Tok(Tok::Other(
                raw.split_whitespace().collect::<Vec<_>>().join(" "),
            ))],
        },
    }
}

/// The expression without the parentheses around all of it.
fn top(mut nodes: Vec<Node>) -> Vec<Node> {
    while let [Node::Paren(_)] = &nodes[..] {
        let Some(Node::Paren(inner)) = nodes.pop() else {
            unreachable!()
        };
        nodes = inner;
    }
    nodes
}

/// One sequence of nodes normalized, its groups first.
fn tidy(nodes: Vec<Node>, is_text: &dyn Fn(&str) -> bool) -> Vec<Node> {
    let nodes = nodes
        .into_iter()
        .map(|n| match n {
            Node::Paren(inner) => {
                let mut inner = tidy(inner, is_text);
                // `((x))` is `(x)`.
                if let [Node::Paren(_)] = &inner[..] {
                    inner.pop().expect("one node")
                } else {
                    Node::Paren(inner)
                }
            }
            Node::Bracket(inner) => Node::Bracket(tidy(inner, is_text)),
            t => t,
        })
        .collect();
    let nodes = drop_casts(nodes, is_text);
    let nodes = any_to_in(nodes);
    let nodes = unwrap_items(nodes);
    unwrap_operands(nodes)
}

/// A cast's type starting at `nodes[at]`: its words lower-cased (with `[]` for an array), and
/// where it ends.
fn cast_type(nodes: &[Node], at: usize) -> Option<(String, usize)> {
    let word = |n: &Node| match n.tok()? {
        Tok::Name(w) => Some(w.clone()),
        Tok::Keyword(k) => Some(k.to_ascii_lowercase()),
        _ => None,
    };
    let mut ty = word(nodes.get(at)?)?;
    let mut end = at + 1;
    while let Some(w) = nodes.get(end).and_then(word) {
        if !matches!(
            w.as_str(),
            "varying" | "precision" | "without" | "with" | "time" | "zone"
        ) {
            break;
        }
        ty.push(' ');
        ty.push_str(&w);
        end += 1;
    }
    if let Some(Node::Paren(args)) = nodes.get(end)
        && args
            .iter()
            .all(|a| matches!(a, Node::Tok(Tok::Num(_) | Tok::Comma)))
    {
        end += 1;
    }
    while let Some(Node::Bracket(inner)) = nodes.get(end) {
        if !inner.is_empty() {
            break;
        }
        ty.push_str("[]");
        end += 1;
    }
    Some((ty, end))
}

/// Whether a type (as [`cast_type`] reads it) holds text.
fn is_text_type(ty: &str) -> bool {
    matches!(
        ty,
        "text" | "character varying" | "varchar" | "character" | "char" | "bpchar"
    )
}

/// Whether a type holds numbers.
fn is_number_type(ty: &str) -> bool {
    matches!(
        ty,
        "numeric"
            | "decimal"
            | "integer"
            | "int"
            | "int2"
            | "int4"
            | "int8"
            | "bigint"
            | "smallint"
            | "real"
            | "float4"
            | "float8"
            | "double precision"
    )
}

/// Whether `s` is a plain decimal number.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits != "."
}

/// The casts PostgreSQL adds, dropped: of a literal, a text column to text, an `ARRAY[...]` to
/// a text array.
fn drop_casts(nodes: Vec<Node>, is_text: &dyn Fn(&str) -> bool) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        let cast = nodes[i].tok().is_some_and(|t| t.is_op("::")) && !out.is_empty();
        if let Some((ty, end)) = cast.then(|| cast_type(&nodes, i + 1)).flatten() {
            let operand = out.pop().expect("an operand");
            let array = out.last().is_some_and(|n| n.is_keyword("ARRAY"));
            match without_cast(operand, &ty, array, is_text) {
                Ok(kept) => out.push(kept),
                Err(operand) => {
                    out.push(operand);
                    out.extend(nodes[i..end].iter().cloned());
                }
            }
            i = end;
            continue;
        }
        out.push(nodes[i].clone());
        i += 1;
    }
    out
}

/// `operand` without its cast to `ty` when the cast changes nothing the expression means
/// (`Err` gives it back otherwise). `after_array`: the operand is the `[...]` of `ARRAY[...]`.
fn without_cast(
    operand: Node,
    ty: &str,
    after_array: bool,
    is_text: &dyn Fn(&str) -> bool,
) -> Result<Node, Node> {
    let single = match &operand {
        Node::Paren(inner) if inner.len() == 1 => inner[0].clone(),
        other => other.clone(),
    };
    match &single {
        Node::Tok(t) if t.is_literal() => match t {
            Tok::Str(s) if is_number_type(ty) && is_number(s) => Ok(Node::Tok(Tok::Num(s.clone()))),
            _ => Ok(single),
        },
        Node::Tok(Tok::Name(column)) if is_text_type(ty) && is_text(column) => Ok(single),
        Node::Bracket(_) if after_array && is_text_type(ty.trim_end_matches("[]")) => Ok(operand),
        _ => match &operand {
            Node::Paren(inner)
                if matches!(&inner[..], [a, Node::Bracket(_)] if a.is_keyword("ARRAY"))
                    && ty.ends_with("[]")
                    && is_text_type(ty.trim_end_matches("[]")) =>
            {
                Ok(operand)
            }
            _ => Err(operand),
        },
    }
}

/// `x = ANY (ARRAY[a, b])` written `x IN (a, b)`, `x <> ALL (ARRAY[a, b])` `x NOT IN (a, b)`.
fn any_to_in(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        if let (Some(Node::Tok(Tok::Op(op))), Some(quantifier), Some(Node::Paren(list))) =
            (nodes.get(i), nodes.get(i + 1), nodes.get(i + 2))
            && let [array, Node::Bracket(items)] = &list[..]
            && array.is_keyword("ARRAY")
            && !items.is_empty()
        {
            let keywords: &[&str] = match op.as_str() {
                "=" if quantifier.is_keyword("ANY") || quantifier.is_keyword("SOME") => &["IN"],
                "<>" if quantifier.is_keyword("ALL") => &["NOT", "IN"],
                _ => &[],
            };
            if !keywords.is_empty() {
                out.extend(
                    keywords
                        .iter()
                        .map(|k| Node::Tok(Tok::Keyword(k.to_string()))),
                );
                out.push(Node::Paren(items.clone()));
                i += 3;
                continue;
            }
        }
        out.push(nodes[i].clone());
        i += 1;
    }
    out
}

/// Parentheses around a single token go, unless they are a call's or a list's (`f(x)`,
/// `IN ('a')`).
fn unwrap_items(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let unwrap = match (&n, out.last()) {
            (Node::Paren(inner), prev) if inner.len() == 1 && matches!(inner[0], Node::Tok(_)) => {
                matches!(inner[0].tok(), Some(t) if !matches!(t, Tok::Op(_) | Tok::Comma | Tok::Dot))
                    && match prev {
                        None => true,
                        Some(Node::Tok(Tok::Op(_) | Tok::Comma)) => true,
                        Some(Node::Tok(Tok::Keyword(k))) => !LIST_KEYWORDS.contains(&k.as_str()),
                        Some(_) => false,
                    }
            }
            _ => false,
        };
        match n {
            Node::Paren(mut inner) if unwrap => out.push(inner.pop().expect("one node")),
            n => out.push(n),
        }
    }
    out
}

/// Whether `nodes` hold `AND`, `OR` or `XOR` outside their groups.
fn has_connective(nodes: &[Node]) -> bool {
    nodes
        .iter()
        .any(|n| n.is_keyword("AND") || n.is_keyword("OR") || n.is_keyword("XOR"))
}

/// Parentheses around an operand of `AND` / `OR` that holds no `AND` / `OR` go (the other
/// operators bind more tightly). Not beside a `BETWEEN`, whose `AND` is not a connective.
fn unwrap_operands(nodes: Vec<Node>) -> Vec<Node> {
    if nodes.iter().any(|n| n.is_keyword("BETWEEN")) || !has_connective(&nodes) {
        return nodes;
    }
    let connective = |n: Option<&Node>| {
        n.is_none_or(|n| n.is_keyword("AND") || n.is_keyword("OR") || n.is_keyword("XOR"))
    };
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &nodes[p]);
        match n {
            Node::Paren(inner)
                if connective(prev) && connective(nodes.get(i + 1)) && !has_connective(inner) =>
            {
                out.extend(inner.iter().cloned())
            }
            _ => out.push(n.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str, dialect: Dialect) -> String {
        normalize(raw, dialect, &|c| c == "status" || c == "note").text()
    }

    #[test]
    fn spellings_of_one_expression_read_alike() {
        use Dialect::*;
        for (raw, dialect, want) in [
            ("price>0", Sqlite, "price > 0"),
            ("  ( ( PRICE  >  0 ) )", Sqlite, "price > 0"),
            ("\"price\" > 0 -- positive", Sqlite, "price > 0"),
            ("[price] > 0 /* x */", Sqlite, "price > 0"),
            ("`price` > 0", Mysql, "price > 0"),
            ("(price > (0)::numeric)", Postgresql, "price > 0"),
            (
                "(f >= ('-1.5'::numeric)::double precision)",
                Postgresql,
                "f >= -1.5",
            ),
            ("f>=-1.5", Sqlite, "f >= -1.5"),
            (
                "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
                Postgresql,
                "status IN ('a', 'b')",
            ),
            ("status in ('a','b')", Sqlite, "status IN ('a', 'b')"),
            ("`status` in ('a','b')", Mysql, "status IN ('a', 'b')"),
            (
                "`status` in (_utf8mb4'a',_utf8mb4'b')",
                Mysql,
                "status IN ('a', 'b')",
            ),
            (
                "((status)::text <> ALL ((ARRAY['c'::character varying, 'd'::character varying])::text[]))",
                Postgresql,
                "status NOT IN ('c', 'd')",
            ),
            (
                "(price = ANY (ARRAY[(1)::numeric, 2.5]))",
                Postgresql,
                "price IN (1, 2.5)",
            ),
            ("(note <> 'it''s'::text)", Postgresql, "note <> 'it''s'"),
            ("`note` <> 'it\\'s'", Mysql, "note <> 'it''s'"),
            ("note != 'it''s'", Sqlite, "note <> 'it''s'"),
            (
                "(((id < 1000) AND (price < (10)::numeric)))",
                Postgresql,
                "id < 1000 AND price < 10",
            ),
            (
                "`id` < 1000 and `price` < 10",
                Mysql,
                "id < 1000 AND price < 10",
            ),
            (
                "(id<1000) AND (price<10)",
                Sqlite,
                "id < 1000 AND price < 10",
            ),
            (
                "((status)::text ~~ 'x%'::text)",
                Postgresql,
                "status LIKE 'x%'",
            ),
            (
                "(length((status)::text) > 1)",
                Postgresql,
                "length(status) > 1",
            ),
            ("LENGTH (status) > 1", Sqlite, "length(status) > 1"),
            ("(NOT (id = 5))", Postgresql, "NOT (id = 5)"),
            ("(d > '2020-01-01'::date)", Postgresql, "d > '2020-01-01'"),
            ("(x)::integer > 0", Postgresql, "x::integer > 0"),
            ("(b OR (id > 0))", Postgresql, "b OR id > 0"),
            ("a between 1 and (3)", Sqlite, "a BETWEEN 1 AND 3"),
            (
                "\"Mixed Case\" IS NOT NULL",
                Sqlite,
                "\"Mixed Case\" IS NOT NULL",
            ),
            ("\"end\" > 1", Sqlite, "\"end\" > 1"),
        ] {
            assert_eq!(norm(raw, dialect), want, "{raw} on {dialect}");
        }
    }

    #[test]
    fn normalizing_twice_changes_nothing() {
        for raw in [
            "status IN ('a', 'b')",
            "f >= -1.5 AND x::integer > 0",
            "\"Mixed Case\" <> 'it''s' OR length(note) > 1",
            "a - -1 > 0",
        ] {
            let once = norm(raw, Dialect::Sqlite);
            assert_eq!(norm(&once, Dialect::Postgresql), once, "{raw}");
            assert_eq!(norm(&once, Dialect::Sqlite), once, "{raw}");
        }
    }

    #[test]
    fn unreadable_expressions_are_kept() {
        assert_eq!(norm("a = 'open", Dialect::Sqlite), "a = 'open");
        assert_eq!(norm("(a > 0", Dialect::Sqlite), "(a > 0");
    }
}

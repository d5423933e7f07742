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

use super::identifiers::quote;
use crate::lexer::{Kind, Token, lex};
use crate::revision::Dialect;

/// Words written upper-case: SQL keywords that appear in expressions.
const KEYWORDS: &[&str] = &[
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

/// Keywords a parenthesized list follows (`IN (...)`, `ANY (...)`): their parentheses stay.
const LIST_KEYWORDS: &[&str] = &["IN", "ANY", "ALL", "SOME", "EXISTS", "ARRAY", "CAST"];

/// Operators of more than one character, longest first.
const OPERATORS: &[&str] = &[
    "!~~*", "!~~", "~~*", "->>", "!~*", "<=>", "~~", "!~", "~*", "<=", ">=", "<>", "!=", "==",
    "||", "&&", "::", "->", "@>", "<@", "<<", ">>", "#>",
];

/// Characters an operator is made of.
fn is_operator_char(c: &str) -> bool {
    c.len() == 1 && "<>=!~|&^*/%+-@#:?".contains(c)
}

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

/// `raw`, a CHECK expression as `dialect` spells it, normalized (see the module's notes).
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

/// One item of the flat token list: a token, or a bracket opening or closing.
enum Flat {
    Tok(Tok),
    Open(char),
    Close(char),
}

/// The tokens of `raw` (white space and comments dropped), each with whether it follows the one
/// before it with nothing between; `None` when the lexer cannot finish.
fn tokens(raw: &str, dialect: Dialect) -> Option<Vec<(Token, bool)>> {
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
fn flat(raw: &str, dialect: Dialect) -> Option<Vec<Flat>> {
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
fn string_value(token: &str, dialect: Dialect) -> String {
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
fn ident_value(token: &str) -> String {
    let (open, close) = match token.as_bytes()[0] {
        b'[' => return token[1..token.len() - 1].to_string(),
        b'`' => ("`", "``"),
        _ => ("\"", "\"\""),
    };
    token[1..token.len() - 1].replace(close, open)
}

/// The flat tokens as a tree of groups; `None` when the brackets do not match.
fn tree(flat: Vec<Flat>) -> Option<Vec<Node>> {
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
fn emit(nodes: &[Node], out: &mut String) {
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

/// The CHECK constraints of a SQLite `CREATE TABLE` statement, table-level and column-level:
/// each one's name (`CONSTRAINT <name> CHECK`) and expression as written.
pub(crate) fn sqlite_checks(create: &str) -> Vec<(Option<String>, String)> {
    let Some(toks) = tokens(create, Dialect::Sqlite) else {
        return Vec::new();
    };
    let text = |i: usize| &create[toks[i].0.start..toks[i].0.end];
    let is = |i: usize, p: &str| toks[i].0.kind == Kind::Punct && text(i) == p;
    let Some(open) = (0..toks.len()).find(|&i| is(i, "(")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = open + 1;
    while i < toks.len() {
        if is(i, "(") {
            depth += 1;
        } else if is(i, ")") {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if depth == 0
            && toks[i].0.kind == Kind::Word
            && text(i).eq_ignore_ascii_case("CHECK")
            && i + 1 < toks.len()
            && is(i + 1, "(")
        {
            let mut inner = 0usize;
            let mut close = None;
            for j in i + 1..toks.len() {
                if is(j, "(") {
                    inner += 1;
                } else if is(j, ")") {
                    inner -= 1;
                    if inner == 0 {
                        close = Some(j);
                        break;
                    }
                }
            }
            let Some(close) = close else { break };
            let named = i >= 2
                && toks[i - 2].0.kind == Kind::Word
                && text(i - 2).eq_ignore_ascii_case("CONSTRAINT");
            let name = named.then(|| match toks[i - 1].0.kind {
                Kind::Ident => ident_value(text(i - 1)),
                Kind::Str => string_value(text(i - 1), Dialect::Sqlite),
                _ => text(i - 1).to_string(),
            });
            let expression = &create[toks[i + 1].0.end..toks[close].0.start];
            out.push((name, expression.to_string()));
            i = close + 1;
            continue;
        }
        i += 1;
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

    #[test]
    fn sqlite_checks_are_read_from_the_statement() {
        let create = "CREATE TABLE t (\n  id INTEGER CHECK (id > 0),\n  kind VARCHAR(8) NOT NULL CHECK (kind IN ('a', 'b)')) DEFAULT 'a',\n  note TEXT DEFAULT ('check (x)'),\n  CONSTRAINT \"ck one\" CHECK (id < (10)),\n  check(note <> '')\n) WITHOUT ROWID";
        assert_eq!(
            sqlite_checks(create),
            vec![
                (None, "id > 0".to_string()),
                (None, "kind IN ('a', 'b)')".to_string()),
                (Some("ck one".to_string()), "id < (10)".to_string()),
                (None, "note <> ''".to_string()),
            ]
        );
        assert_eq!(sqlite_checks("CREATE TABLE t (a 'unterminated"), vec![]);
    }
}

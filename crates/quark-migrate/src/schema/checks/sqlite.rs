//! The CHECK constraints of a SQLite `CREATE TABLE` statement, read out of its tokens.

use super::parse::{ident_value, string_value, tokens};
use crate::lexer::Kind;
use crate::revision::Dialect;

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

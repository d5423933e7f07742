//! Identifiers in generated SQL: quoted only when a dialect would not read them as written.

use crate::revision::Dialect;

/// `name` as an identifier: bare when every dialect reads it as written, quoted otherwise.
pub fn quote(name: &str, dialect: Dialect) -> String {
    let plain = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !RESERVED.contains(&name);
    if plain {
        name.to_string()
    } else {
        dialect.quote(name)
    }
}

/// Words that one of the dialects reserves, so that a column of that name must be quoted.
const RESERVED: &[&str] = &[
    "add",
    "all",
    "alter",
    "and",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "check",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "end",
    "exists",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "inner",
    "insert",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "keys",
    "left",
    "like",
    "limit",
    "match",
    "natural",
    "not",
    "null",
    "of",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "primary",
    "range",
    "references",
    "rename",
    "right",
    "select",
    "set",
    "table",
    "then",
    "to",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "when",
    "where",
    "with",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote("port_id", Dialect::Mysql), "port_id");
        assert_eq!(quote("limit", Dialect::Mysql), "`limit`");
        assert_eq!(quote("limit", Dialect::Postgresql), "\"limit\"");
        assert_eq!(quote("Mixed", Dialect::Sqlite), "\"Mixed\"");
    }
}

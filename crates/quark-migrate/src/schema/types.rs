//! Column types and defaults in a portable vocabulary, read as each dialect reports them and
//! written as each dialect spells them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::identifiers::quote;
use crate::revision::Dialect;

/// A column type in the portable vocabulary; anything else is kept as the database spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// SMALLINT.
    SmallInt,
    /// INTEGER.
    Integer,
    /// BIGINT.
    BigInt,
    /// BOOLEAN (TINYINT(1) on MySQL).
    Boolean,
    /// CHAR(n).
    Char(u32),
    /// VARCHAR(n).
    Varchar(u32),
    /// TEXT.
    Text,
    /// DATETIME (TIMESTAMP without time zone on PostgreSQL).
    DateTime,
    /// DATE.
    Date,
    /// NUMERIC(precision, scale), or NUMERIC alone.
    Numeric(Option<(u32, u32)>),
    /// A double-precision float.
    Float,
    /// BLOB (BYTEA on PostgreSQL).
    Blob,
    /// An enumeration: a PostgreSQL enum type (named), MySQL ENUM, a checked VARCHAR on SQLite.
    Enum {
        /// The PostgreSQL type's name, when read from PostgreSQL.
        name: Option<String>,
        /// The allowed values, in order.
        values: Vec<String>,
    },
    /// A type outside the vocabulary, as the database spelled it.
    Other(String),
}

impl Type {
    /// Reads a type as `dialect` spells it (`varchar(36)`, `character varying(36)`, `int(11)`,
    /// `enum('a','b')`, ...).
    pub fn parse(raw: &str, dialect: Dialect) -> Type {
        let upper = raw.trim().to_ascii_uppercase();
        let (base, args) = match upper.split_once('(') {
            Some((base, rest)) => (
                base.trim().to_string(),
                rest.rsplit_once(')').map_or(rest, |(a, _)| a).to_string(),
            ),
            None => (upper.clone(), String::new()),
        };
        let numbers: Vec<u32> = args
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        let first = numbers.first().copied();
        match (base.as_str(), first) {
            ("TINYINT", Some(1)) | ("BOOLEAN" | "BOOL", _) => Type::Boolean,
            ("SMALLINT" | "INT2", _) => Type::SmallInt,
            ("INTEGER" | "INT" | "INT4", _) => Type::Integer,
            ("BIGINT" | "INT8", _) => Type::BigInt,
            ("VARCHAR" | "CHARACTER VARYING", Some(n)) => Type::Varchar(n),
            ("CHAR" | "CHARACTER" | "BPCHAR", Some(n)) => Type::Char(n),
            ("TEXT", _) => Type::Text,
            ("DATETIME", _) if dialect != Dialect::Postgresql => Type::DateTime,
            ("TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE", None)
                if dialect == Dialect::Postgresql =>
            {
                Type::DateTime
            }
            ("DATE", _) => Type::Date,
            ("NUMERIC" | "DECIMAL", _) => match numbers[..] {
                [p, s] => Type::Numeric(Some((p, s))),
                [p] => Type::Numeric(Some((p, 0))),
                _ => Type::Numeric(None),
            },
            ("DOUBLE PRECISION" | "DOUBLE" | "FLOAT8", _) => Type::Float,
            ("BLOB" | "BYTEA", _) => Type::Blob,
            ("ENUM", _) if dialect == Dialect::Mysql => Type::Enum {
                name: None,
                values: enum_values(raw),
            },
            _ => Type::Other(raw.trim().to_string()),
        }
    }

    /// The type as `dialect` spells it; enums on PostgreSQL by their type's name (see
    /// [`Type::enum_type_name`]).
    pub fn render(&self, dialect: Dialect, table: &str, column: &str) -> String {
        use Dialect::*;
        match (self, dialect) {
            (Type::SmallInt, _) => "SMALLINT".into(),
            (Type::Integer, _) => "INTEGER".into(),
            (Type::BigInt, _) => "BIGINT".into(),
            (Type::Boolean, _) => "BOOLEAN".into(),
            (Type::Char(n), _) => format!("CHAR({n})"),
            (Type::Varchar(n), _) => format!("VARCHAR({n})"),
            (Type::Text, _) => "TEXT".into(),
            (Type::DateTime, Postgresql) => "TIMESTAMP".into(),
            (Type::DateTime, _) => "DATETIME".into(),
            (Type::Date, _) => "DATE".into(),
            (Type::Numeric(None), _) => "NUMERIC".into(),
            (Type::Numeric(Some((p, s))), _) => format!("NUMERIC({p}, {s})"),
            (Type::Float, Sqlite) => "REAL".into(),
            (Type::Float, Postgresql) => "DOUBLE PRECISION".into(),
            (Type::Float, Mysql) => "DOUBLE".into(),
            (Type::Blob, Postgresql) => "BYTEA".into(),
            (Type::Blob, _) => "BLOB".into(),
            (Type::Enum { values, .. }, Mysql) => format!("ENUM({})", literals(values, dialect)),
            (Type::Enum { .. }, Postgresql) => quote(&self.enum_type_name(table, column), dialect),
            (Type::Enum { values, .. }, Sqlite) => format!(
                "VARCHAR({}) CHECK ({} IN ({}))",
                values.iter().map(|v| v.chars().count()).max().unwrap_or(1),
                quote(column, dialect),
                literals(values, dialect)
            ),
            (Type::Other(raw), _) => raw.clone(),
        }
    }

    /// The PostgreSQL enum type of an enum column: its own name, or `<table>_<column>`.
    pub fn enum_type_name(&self, table: &str, column: &str) -> String {
        match self {
            Type::Enum { name: Some(n), .. } => n.clone(),
            _ => format!("{table}_{column}"),
        }
    }

    /// Whether its values are numbers (booleans included, as MySQL keeps them).
    fn is_numeric(&self) -> bool {
        matches!(
            self,
            Type::SmallInt
                | Type::Integer
                | Type::BigInt
                | Type::Numeric(_)
                | Type::Float
                | Type::Boolean
        )
    }

    /// Whether the two types hold the same values (a PostgreSQL enum type's name aside).
    pub fn same_as(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Enum { values: a, .. }, Type::Enum { values: b, .. }) => a == b,
            _ => self == other,
        }
    }
}

impl fmt::Display for Type {
    /// The type in the portable vocabulary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Float => f.write_str("DOUBLE"),
            Type::Enum { values, .. } => write!(f, "ENUM({})", literals(values, Dialect::Sqlite)),
            _ => f.write_str(&self.render(Dialect::Sqlite, "", "")),
        }
    }
}

/// The quoted values of `enum('a','b')`.
fn enum_values(raw: &str) -> Vec<String> {
    string_literals(raw, true)
}

/// Every `'...'` string literal in `text`, in order, unescaped (`''`, and `\x` when
/// `backslash` escapes).
pub(crate) fn string_literals(text: &str, backslash: bool) -> Vec<String> {
    let mut values = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    value.push('\'');
                }
                '\'' => break,
                '\\' if backslash => value.extend(chars.next()),
                _ => value.push(c),
            }
        }
        values.push(value);
    }
    values
}

/// A column default, read the same way whichever database stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Default {
    /// TRUE or FALSE.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string.
    Text(String),
    /// The current time.
    CurrentTimestamp,
    /// Any other expression, as the database spelled it.
    Expr(String),
}

impl Default {
    /// Reads the default `raw` that `dialect` reports for a column of type `ty`; `None` for no
    /// default (or a NULL one).
    pub fn parse(raw: &str, ty: &Type, dialect: Dialect) -> Option<Default> {
        let mut s = raw.trim();
        while s.starts_with('(') && s.ends_with(')') {
            s = s[1..s.len() - 1].trim();
        }
        if s.eq_ignore_ascii_case("NULL") || s.to_ascii_uppercase().starts_with("NULL::") {
            return None;
        }
        let upper = s.to_ascii_uppercase();
        if matches!(
            upper.as_str(),
            "CURRENT_TIMESTAMP" | "CURRENT_TIMESTAMP()" | "NOW()" | "LOCALTIMESTAMP"
        ) {
            return Some(Default::CurrentTimestamp);
        }
        // 'text', or PostgreSQL's 'text'::type.
        let text = s
            .starts_with('\'')
            .then(|| string_literals(s, dialect == Dialect::Mysql).swap_remove(0));
        let bare = text.as_deref().unwrap_or(s);
        let number = {
            let digits = bare.strip_prefix('-').unwrap_or(bare);
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                && digits.chars().filter(|&c| c == '.').count() <= 1
        };
        let boolean = match bare.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Some(true),
            "false" | "f" | "0" => Some(false),
            _ => None,
        };
        Some(match (ty, boolean) {
            (Type::Boolean, Some(b)) => Default::Bool(b),
            _ if number && (text.is_none() || ty.is_numeric()) => Default::Number(bare.to_string()),
            _ if text.is_some() => Default::Text(bare.to_string()),
            _ => match boolean {
                Some(b) if !number => Default::Bool(b),
                _ => Default::Expr(s.to_string()),
            },
        })
    }

    /// The default as `dialect` writes it after `DEFAULT`.
    pub fn render(&self, dialect: Dialect) -> String {
        match (self, dialect) {
            (Default::Bool(b), _) => (if *b { "TRUE" } else { "FALSE" }).into(),
            (Default::Number(n), _) => n.clone(),
            (Default::Text(t), _) => dialect.string_literal(t),
            (Default::CurrentTimestamp, _) => "CURRENT_TIMESTAMP".into(),
            (Default::Expr(e), _) => e.clone(),
        }
    }
}

impl fmt::Display for Default {
    /// The default as SQLite writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Dialect::Sqlite))
    }
}

/// `values` as a comma-separated list of string literals.
fn literals(values: &[String], dialect: Dialect) -> String {
    values
        .iter()
        .map(|v| dialect.string_literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_the_same_from_every_dialect() {
        use Dialect::*;
        for (raw, dialect, ty) in [
            ("varchar(36)", Mysql, Type::Varchar(36)),
            ("character varying(36)", Postgresql, Type::Varchar(36)),
            ("VARCHAR(36)", Sqlite, Type::Varchar(36)),
            ("tinyint(1)", Mysql, Type::Boolean),
            ("int(11)", Mysql, Type::Integer),
            ("bigint(20)", Mysql, Type::BigInt),
            ("timestamp without time zone", Postgresql, Type::DateTime),
            ("timestamp", Mysql, Type::Other("timestamp".into())),
            ("datetime", Mysql, Type::DateTime),
            ("numeric(38,0)", Postgresql, Type::Numeric(Some((38, 0)))),
            ("decimal(38,0)", Mysql, Type::Numeric(Some((38, 0)))),
            ("character(39)", Postgresql, Type::Char(39)),
            (
                "enum('a','it''s')",
                Mysql,
                Type::Enum {
                    name: None,
                    values: vec!["a".into(), "it's".into()],
                },
            ),
        ] {
            assert_eq!(Type::parse(raw, dialect), ty, "{raw} on {dialect}");
        }
    }

    #[test]
    fn defaults_read_the_same_from_every_dialect() {
        use Dialect::*;
        let b = Type::Boolean;
        let v = Type::Varchar(10);
        let i = Type::Integer;
        for (raw, ty, dialect, default) in [
            ("'0'", &b, Sqlite, Some(Default::Bool(false))),
            ("false", &b, Postgresql, Some(Default::Bool(false))),
            ("TRUE", &b, Sqlite, Some(Default::Bool(true))),
            ("0", &b, Mysql, Some(Default::Bool(false))),
            (
                "'none'::character varying",
                &v,
                Postgresql,
                Some(Default::Text("none".into())),
            ),
            ("'none'", &v, Mysql, Some(Default::Text("none".into()))),
            ("'0'", &v, Sqlite, Some(Default::Text("0".into()))),
            ("'0'", &i, Sqlite, Some(Default::Number("0".into()))),
            ("(-5)", &i, Sqlite, Some(Default::Number("-5".into()))),
            ("NULL", &i, Mysql, None),
            (
                "current_timestamp()",
                &Type::DateTime,
                Mysql,
                Some(Default::CurrentTimestamp),
            ),
            (
                "now()",
                &Type::DateTime,
                Postgresql,
                Some(Default::CurrentTimestamp),
            ),
        ] {
            assert_eq!(
                Default::parse(raw, ty, dialect),
                default,
                "{raw} on {dialect}"
            );
        }
    }
}

//! Bound parameters written into a statement as literals, so that many statements can go to a
//! server as one script ([`super::Backend::execute_many`]).

use super::Value;
use crate::revision::Dialect;

/// How many statements of an [`Backend::execute_many`] go to a server in one round trip.
pub(crate) const MANY_PER_TRIP: usize = 500;

/// `sql` with its bound parameters written in as literals of `dialect`: placeholders (`$n` on
/// PostgreSQL, `?` elsewhere) outside quotes and comments, as [the lexer](crate::lexer) finds
/// them, are replaced, so that many statements can go to the server as one script. A literal
/// reads back as its value under every session setting ([`Dialect::string_literal`]).
pub(crate) fn inline_params(sql: &str, dialect: Dialect, params: &[Value]) -> String {
    let value = |n: usize| {
        params
            .get(n.wrapping_sub(1))
            .map_or("NULL".to_string(), |v| v.literal(dialect))
    };
    crate::lexer::replace_placeholders(sql, dialect, false, |n, text| match dialect {
        Dialect::Postgresql => value(text[1..].parse().unwrap_or(0)),
        _ => value(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_written_in_as_literals_outside_quotes_and_comments() {
        let params = [Value::Text("it's".into()), Value::Int(7), Value::Null];
        assert_eq!(
            inline_params(
                "UPDATE t SET a = $1, b = $2, c = $3 WHERE d = '$1' -- $2",
                Dialect::Postgresql,
                &params
            ),
            "UPDATE t SET a = 'it''s', b = 7, c = NULL WHERE d = '$1' -- $2"
        );
        assert_eq!(
            inline_params(
                "UPDATE t SET a = ?, b = ? WHERE c = '?' AND `d?` = ?",
                Dialect::Mysql,
                &params
            ),
            "UPDATE t SET a = 'it''s', b = 7 WHERE c = '?' AND `d?` = NULL"
        );
        let twelve: Vec<Value> = (1..=12).map(Value::Int).collect();
        assert_eq!(
            inline_params("SELECT $1, $10, $12", Dialect::Postgresql, &twelve),
            "SELECT 1, 10, 12"
        );
        assert_eq!(
            inline_params(
                "SELECT ? /* ? */",
                Dialect::Mysql,
                &[Value::Text("a\\'b".into())]
            ),
            "SELECT _utf8mb4 X'615C2762' /* ? */"
        );
        assert_eq!(
            inline_params(
                "SELECT $1, $$ $1 $$ /* $1 */",
                Dialect::Postgresql,
                &[Value::Text("a\\'b".into())]
            ),
            "SELECT E'a\\\\''b', $$ $1 $$ /* $1 */"
        );
    }
}

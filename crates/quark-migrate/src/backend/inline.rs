//! Bound parameters written into a statement as literals, so that many statements can go to a
//! server as one script ([`super::Backend::execute_many`]).

use super::Value;
use crate::revision::Dialect;

/// How many statements of an [`Backend::execute_many`] go to a server in one round trip.
pub(crate) const MANY_PER_TRIP: usize = 500;

/// `sql` with its bound parameters written in as literals of `dialect`: placeholders (`$n` on
/// PostgreSQL, `?` elsewhere) outside quotes and comments are replaced, so that many statements
/// can go to the server as one script.
pub(crate) fn inline_params(sql: &str, dialect: Dialect, params: &[Value]) -> String {
    let literal = |v: &Value| literal(v, dialect);
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16 * params.len());
    let (mut i, mut next, mut copied) = (0, 0, 0);
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && dialect == Dialect::Mysql {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if matches!(b, b'\'' | b'"' | b'`') => quote = Some(b),
            None if b == b'-' && bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            None if b == b'?' && dialect != Dialect::Postgresql => {
                out.push_str(&sql[copied..i]);
                out.push_str(&params.get(next).map_or("NULL".to_string(), literal));
                next += 1;
                copied = i + 1;
            }
            None if b == b'$' && dialect == Dialect::Postgresql => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let n: usize = sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
                    out.push_str(&sql[copied..i]);
                    out.push_str(
                        &params
                            .get(n.wrapping_sub(1))
                            .map_or("NULL".to_string(), literal),
                    );
                    i += digits;
                    copied = i + 1;
                }
            }
            None => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    out
}

/// `value` as a literal of `dialect`.
pub(crate) fn literal(value: &Value, dialect: Dialect) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => dialect.string_literal(s),
    }
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
            inline_params("SELECT ?", Dialect::Mysql, &[Value::Text("a\\'b".into())]),
            "SELECT 'a\\\\''b'"
        );
    }
}

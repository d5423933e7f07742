//! Rows as the engine holds them, and the column types `update_rows` casts to.

use postgres::types::Type;

use super::Postgres;
use crate::backend::{Backend, BackendError, Row, Value};

impl Postgres<'_> {
    /// The types of `columns` of `table` as a cast names them (schema-qualified, without a type
    /// modifier), in their order: read for each call, so a type a statement just changed is
    /// the one cast to.
    pub(super) fn column_types(
        &mut self,
        table: &str,
        columns: &[&str],
    ) -> Result<Vec<String>, BackendError> {
        // The type's own name, schema-qualified: `format_type` would say `character`, which as
        // a cast means char(1).
        let rows = self.query(
            "SELECT a.attname, format('%I.%I', n.nspname, t.typname) \
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            &[Value::Text(self.quote(table))],
        )?;
        let types: std::collections::HashMap<&str, &str> = rows
            .iter()
            .filter_map(|r| Some((r[0].as_text()?, r[1].as_text()?)))
            .collect();
        columns
            .iter()
            .map(|c| {
                types.get(c).map(|t| t.to_string()).ok_or_else(|| {
                    BackendError::message(format!("table {table} has no column {c}"))
                })
            })
            .collect()
    }
}

/// A row's values, integers and booleans as integers, everything else as text.
pub(super) fn values(row: &postgres::Row) -> Result<Row, postgres::Error> {
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            let value = if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)?
                    .map(|n| Value::Int(n.into()))
            } else if *ty == Type::INT2 {
                row.try_get::<_, Option<i16>>(i)?
                    .map(|n| Value::Int(n.into()))
            } else if *ty == Type::BOOL {
                row.try_get::<_, Option<bool>>(i)?
                    .map(|b| Value::Int(b.into()))
            } else {
                row.try_get::<_, Option<String>>(i)?.map(Value::Text)
            };
            Ok(value.unwrap_or(Value::Null))
        })
        .collect()
}

//! Reading a live database's tables into the [`Schema`] model: SQLite pragmas, PostgreSQL's
//! catalog, MySQL's information_schema.

mod information_schema;
mod pg_catalog;
mod pragmas;

use super::tables::{Schema, Table};
use crate::backend::{Backend, BackendError, Value};
use crate::revision::Dialect;

/// Reads every table of the database `db` is connected to (its current schema on
/// PostgreSQL), except the tables named in `skip`.
pub fn introspect(db: &mut dyn Backend, skip: &[&str]) -> Result<Schema, BackendError> {
    read(db, None, &|name| !skip.contains(&name))
}

/// Reads the tables of `db` whose names are in `tables` (compared without regard to ASCII
/// case, so that an unquoted name matches however the server folds it).
pub fn introspect_only(
    db: &mut dyn Backend,
    tables: &std::collections::BTreeSet<String>,
) -> Result<Schema, BackendError> {
    read(db, Some(tables), &|name| {
        tables.iter().any(|t| t.eq_ignore_ascii_case(name))
    })
}

/// Reads the tables `keep` accepts; SQLite asks only for those of `only` when given.
fn read(
    db: &mut dyn Backend,
    only: Option<&std::collections::BTreeSet<String>>,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Schema, BackendError> {
    let mut schema = match db.dialect() {
        Dialect::Sqlite => pragmas::read(db, only)?,
        Dialect::Postgresql => pg_catalog::read(db)?,
        Dialect::Mysql => information_schema::read(db)?,
    };
    schema.tables.retain(|name, _| keep(name));
    for t in schema.tables.values_mut() {
        t.uniques.sort_by(|a, b| a.columns.cmp(&b.columns));
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        t.foreign_keys
            .sort_by(|a, b| (&a.columns, &a.ref_table).cmp(&(&b.columns, &b.ref_table)));
        t.checks
            .sort_by(|a, b| (&a.expression, &a.name).cmp(&(&b.expression, &b.name)));
    }
    Ok(schema)
}

/// Rows of `sql` as text (NULL as `None`).
fn rows(
    db: &mut dyn Backend,
    sql: &str,
    params: &[Value],
) -> Result<Vec<Vec<Option<String>>>, BackendError> {
    Ok(db
        .query(sql, params)?
        .into_iter()
        .map(|row| row.into_iter().map(Value::into_text).collect())
        .collect())
}

/// Column `i` of `row`, NULL as empty.
fn get(row: &[Option<String>], i: usize) -> String {
    row[i].clone().unwrap_or_default()
}

/// The items of a comma-joined list.
fn list(joined: &str) -> Vec<String> {
    joined.split(',').map(str::to_string).collect()
}

/// The foreign key's `ON DELETE` action, `None` for the default.
fn on_delete(rule: &str) -> Option<String> {
    match rule.to_ascii_uppercase().as_str() {
        "" | "NO ACTION" | "RESTRICT" | "A" | "R" => None,
        "C" => Some("CASCADE".into()),
        "N" => Some("SET NULL".into()),
        "D" => Some("SET DEFAULT".into()),
        other => Some(other.to_string()),
    }
}

/// A schema holding the tables `sql` names, with nothing in them yet.
fn empty_tables(db: &mut dyn Backend, sql: &str) -> Result<Schema, BackendError> {
    let mut schema = Schema::default();
    for t in rows(db, sql, &[])? {
        let name = get(&t, 0);
        schema.tables.insert(
            name.clone(),
            Table {
                name,
                ..Table::default()
            },
        );
    }
    Ok(schema)
}

/// The table `name` of `schema`, if it holds one.
fn table<'s>(schema: &'s mut Schema, name: &str) -> Option<&'s mut Table> {
    schema.tables.get_mut(name)
}

//! SQLite's tables, read through its pragmas (`table_info`, `index_list`, `index_info`,
//! `foreign_key_list`) and, for CHECK constraints and enumerations, the `CREATE TABLE`
//! statements it keeps.

use std::collections::{BTreeMap, BTreeSet};

use super::{get, on_delete, rows};
use crate::backend::{Backend, BackendError, Value};
use crate::revision::Dialect;
use crate::schema::checks::{Expr, normalize, sqlite_checks};
use crate::schema::tables::{Check, Column, ForeignKey, Index, Key, Schema, Table};
use crate::schema::types::{Default, Type};

/// Reads every table, or those whose names are in `only` (compared without regard to case).
pub(super) fn read(
    db: &mut dyn Backend,
    only: Option<&BTreeSet<String>>,
) -> Result<Schema, BackendError> {
    let mut schema = Schema::default();
    for t in &tables(db, only)? {
        let name = get(t, 0);
        let table = table(db, name.clone(), &get(t, 1))?;
        schema.tables.insert(name, table);
    }
    reference_primary_keys(&mut schema);
    Ok(schema)
}

/// The name and `CREATE TABLE` statement of each table (of those in `only`, when given).
fn tables(
    db: &mut dyn Backend,
    only: Option<&BTreeSet<String>>,
) -> Result<Vec<Vec<Option<String>>>, BackendError> {
    let mut sql = String::from(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    );
    let mut names = Vec::new();
    if let Some(only) = only {
        let marks = vec!["?"; only.len()].join(", ");
        sql.push_str(&format!(" AND name COLLATE NOCASE IN ({marks})"));
        names.extend(only.iter().map(|t| Value::from(t.as_str())));
    }
    sql.push_str(" ORDER BY name");
    rows(db, &sql, &names)
}

/// The table `name`, which the statement `create` created.
fn table(db: &mut dyn Backend, name: String, create: &str) -> Result<Table, BackendError> {
    let arg = [Value::from(name.as_str())];
    let mut table = Table {
        name,
        ..Table::default()
    };
    let mut checks: Vec<(Option<String>, Expr)> = sqlite_checks(create)
        .into_iter()
        .map(|(name, raw)| (name, normalize(&raw, Dialect::Sqlite, &|_| false)))
        .collect();
    (table.columns, table.primary_key) = columns(db, &arg, &mut checks)?;
    number_rowid(&mut table);
    indexes(db, &arg, &mut table)?;
    table.foreign_keys = foreign_keys(db, &arg)?;
    table.checks = checks
        .into_iter()
        .filter(|(_, e)| e.not_null_column().is_none())
        .map(|(name, e)| Check::new(name, e.text()))
        .collect();
    Ok(table)
}

/// The columns of the table `arg` names, and its primary key. A VARCHAR column that one of
/// `checks` limits to a list of strings is an enumeration, and that check is taken out.
fn columns(
    db: &mut dyn Backend,
    arg: &[Value],
    checks: &mut Vec<(Option<String>, Expr)>,
) -> Result<(Vec<Column>, Option<Key>), BackendError> {
    let cols = rows(
        db,
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        arg,
    )?;
    let mut columns = Vec::new();
    let mut pk: Vec<(i64, String)> = Vec::new();
    for c in &cols {
        let column_name = get(c, 0);
        let mut ty = Type::parse(&get(c, 1), Dialect::Sqlite);
        if let Type::Varchar(_) = ty
            && let Some(values) = enum_check(checks, &column_name)
        {
            ty = Type::Enum { name: None, values };
        }
        let default = c[3]
            .as_deref()
            .and_then(|d| Default::parse(d, &ty, Dialect::Sqlite));
        let position: i64 = get(c, 4).parse().unwrap_or(0);
        if position > 0 {
            pk.push((position, column_name.clone()));
        }
        columns.push(Column {
            name: column_name,
            nullable: get(c, 2) == "0",
            default,
            autoincrement: false,
            ty,
        });
    }
    pk.sort();
    let primary_key = (!pk.is_empty()).then(|| Key {
        name: None,
        columns: pk.into_iter().map(|(_, c)| c).collect(),
    });
    Ok((columns, primary_key))
}

/// A lone INTEGER primary key is the rowid: SQLite numbers new rows itself.
fn number_rowid(table: &mut Table) {
    if let Some(Key { columns, .. }) = &table.primary_key
        && let [only] = &columns[..]
    {
        let only = only.clone();
        if let Some(c) = table.columns.iter_mut().find(|c| c.name == only) {
            c.autoincrement = c.ty == Type::Integer;
        }
    }
}

/// Adds the unique constraints and the indexes created by name of the table `arg` names.
fn indexes(db: &mut dyn Backend, arg: &[Value], table: &mut Table) -> Result<(), BackendError> {
    for ix in rows(
        db,
        "SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name",
        arg,
    )? {
        let index_name = get(&ix, 0);
        let columns: Vec<String> = rows(
            db,
            "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
            &[Value::from(index_name.as_str())],
        )?
        .iter()
        .map(|r| get(r, 0))
        .collect();
        match get(&ix, 2).as_str() {
            "u" => table.uniques.push(Key {
                name: None,
                columns,
            }),
            "c" => table.indexes.push(Index {
                name: index_name,
                columns,
                unique: get(&ix, 1) == "1",
            }),
            _ => {}
        }
    }
    Ok(())
}

/// The foreign keys of the table `arg` names.
fn foreign_keys(db: &mut dyn Backend, arg: &[Value]) -> Result<Vec<ForeignKey>, BackendError> {
    let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    for fk in rows(
        db,
        "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        arg,
    )? {
        let entry = fks
            .entry(get(&fk, 0).parse().unwrap_or(0))
            .or_insert_with(|| ForeignKey {
                name: None,
                columns: Vec::new(),
                ref_table: get(&fk, 1),
                ref_columns: Vec::new(),
                on_delete: on_delete(&get(&fk, 4)),
            });
        entry.columns.push(get(&fk, 2));
        entry.ref_columns.extend(fk[3].clone());
    }
    Ok(fks.into_values().collect())
}

/// `REFERENCES t` without columns means t's primary key: fills in those columns.
fn reference_primary_keys(schema: &mut Schema) {
    let keys: BTreeMap<String, Vec<String>> = schema
        .tables
        .values()
        .filter_map(|t| Some((t.name.clone(), t.primary_key.clone()?.columns)))
        .collect();
    for t in schema.tables.values_mut() {
        for fk in &mut t.foreign_keys {
            if fk.ref_columns.is_empty() {
                fk.ref_columns = keys.get(&fk.ref_table).cloned().unwrap_or_default();
            }
        }
    }
}

/// The values of a `CHECK (<column> IN ('a', 'b'))` constraint on `column` among `checks`: how
/// SQLite keeps an enumeration. That check is taken out of `checks`.
fn enum_check(checks: &mut Vec<(Option<String>, Expr)>, column: &str) -> Option<Vec<String>> {
    let at = checks.iter().position(|(_, e)| {
        e.enum_of()
            .is_some_and(|(c, _)| c.eq_ignore_ascii_case(column))
    })?;
    let (_, expr) = checks.remove(at);
    expr.enum_of().map(|(_, values)| values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_enumerations_are_read_from_their_check() {
        let create = "CREATE TABLE t (\n  id INTEGER CHECK (id > 0),\n  kind VARCHAR(8) CHECK (kind IN ('shared', 'It''s')),\n  other VARCHAR(3))";
        let mut checks: Vec<(Option<String>, Expr)> = sqlite_checks(create)
            .into_iter()
            .map(|(name, raw)| (name, normalize(&raw, Dialect::Sqlite, &|_| false)))
            .collect();
        assert_eq!(enum_check(&mut checks, "other"), None);
        assert_eq!(
            enum_check(&mut checks, "kind"),
            Some(vec!["shared".to_string(), "It's".to_string()])
        );
        // The enumeration's check is no check of the table's.
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].1.text(), "id > 0");
    }
}

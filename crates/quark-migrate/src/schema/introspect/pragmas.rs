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
/// Five queries whatever the number of tables: each pragma joined to the list of tables, and
/// their statements. With `only` (a rehearsal reads one table per revision of a long chain) the
/// pragmas are joined to the names given, so that only the last query reads the schema table.
pub(super) fn read(
    db: &mut dyn Backend,
    only: Option<&BTreeSet<String>>,
) -> Result<Schema, BackendError> {
    let asked: Vec<Value> = only
        .map(|o| o.iter().map(|t| Value::from(t.as_str())).collect())
        .unwrap_or_default();
    let (tables, condition) = match only {
        None => ("sqlite_master m".to_string(), APPLICATION.to_string()),
        // An empty list is one NULL name, which no pragma answers.
        Some(_) => (
            format!(
                "(SELECT column1 AS name FROM (VALUES {})) m",
                vec!["(?)"; asked.len().max(1)].join(", ")
            ),
            "1 = 1".to_string(),
        ),
    };
    let names: Vec<Value> = match (only, asked.is_empty()) {
        (Some(_), true) => vec![Value::Null],
        _ => asked.clone(),
    };
    let pragma = |db: &mut dyn Backend, columns: &str, joined: &str, order: &str| {
        rows(
            db,
            &format!(
                "SELECT m.name, {columns} FROM {tables} {joined} WHERE {condition} ORDER BY m.name, {order}"
            ),
            &names,
        )
        .map(by_table)
    };
    let mut columns = pragma(
        db,
        "p.name, p.type, p.\"notnull\", p.dflt_value, p.pk",
        "JOIN pragma_table_info(m.name) p",
        "p.cid",
    )?;
    let mut indexes = pragma(
        db,
        "il.name, il.\"unique\", il.origin, ii.name",
        "JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii",
        "il.name, ii.seqno",
    )?;
    let mut foreign_keys = pragma(
        db,
        "f.id, f.\"table\", f.\"from\", f.\"to\", f.on_delete",
        "JOIN pragma_foreign_key_list(m.name) f",
        "f.id, f.seq",
    )?;
    let mut statements = format!("SELECT m.name, m.sql FROM sqlite_master m WHERE {APPLICATION}");
    if only.is_some() {
        statements.push_str(&format!(
            " AND m.name COLLATE NOCASE IN ({})",
            vec!["?"; asked.len()].join(", ")
        ));
    }
    let mut schema = Schema::default();
    for t in rows(db, &format!("{statements} ORDER BY m.name"), &asked)? {
        let name = get(&t, 0);
        let key = name.to_ascii_lowercase();
        let found = Found {
            columns: columns.remove(&key).unwrap_or_default(),
            indexes: indexes.remove(&key).unwrap_or_default(),
            foreign_keys: foreign_keys.remove(&key).unwrap_or_default(),
        };
        let table = table(name.clone(), &get(&t, 1), &found);
        schema.tables.insert(name, table);
    }
    reference_primary_keys(&mut schema);
    Ok(schema)
}

/// Which rows of `sqlite_master m` are the application's tables.
const APPLICATION: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

/// Rows whose first field is a table's name, by that name in lower case (SQLite's names are
/// told apart without regard to ASCII case), without it.
fn by_table(rows: Vec<Vec<Option<String>>>) -> BTreeMap<String, Vec<Vec<Option<String>>>> {
    let mut out: BTreeMap<String, Vec<Vec<Option<String>>>> = BTreeMap::new();
    for mut row in rows {
        let table = row.remove(0).unwrap_or_default().to_ascii_lowercase();
        out.entry(table).or_default().push(row);
    }
    out
}

/// What the pragmas said of one table: its columns, its indexes' columns, its foreign keys.
struct Found {
    columns: Vec<Vec<Option<String>>>,
    indexes: Vec<Vec<Option<String>>>,
    foreign_keys: Vec<Vec<Option<String>>>,
}

/// The table `name`, which the statement `create` created, as the pragmas `found` it.
fn table(name: String, create: &str, found: &Found) -> Table {
    let mut table = Table {
        name,
        ..Table::default()
    };
    let mut checks: Vec<(Option<String>, Expr)> = sqlite_checks(create)
        .into_iter()
        .map(|(name, raw)| (name, normalize(&raw, Dialect::Sqlite, &|_| false)))
        .collect();
    (table.columns, table.primary_key) = columns(&found.columns, &mut checks);
    number_rowid(&mut table);
    indexes(&found.indexes, &mut table);
    table.foreign_keys = foreign_keys(&found.foreign_keys);
    table.checks = checks
        .into_iter()
        .filter(|(_, e)| e.not_null_column().is_none())
        .map(|(name, e)| Check::new(name, e.text()))
        .collect();
    table
}

/// The columns of a table (`pragma_table_info`'s name, type, notnull, dflt_value, pk), and its
/// primary key. A VARCHAR column that one of `checks` limits to a list of strings is an
/// enumeration, and that check is taken out.
fn columns(
    cols: &[Vec<Option<String>>],
    checks: &mut Vec<(Option<String>, Expr)>,
) -> (Vec<Column>, Option<Key>) {
    let mut columns = Vec::new();
    let mut pk: Vec<(i64, String)> = Vec::new();
    for c in cols {
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
    (columns, primary_key)
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

/// Adds the unique constraints and the indexes created by name, from one row per indexed
/// column in order (`pragma_index_list`'s name, unique, origin and `pragma_index_info`'s name).
fn indexes(rows: &[Vec<Option<String>>], table: &mut Table) {
    let mut at = 0;
    while at < rows.len() {
        let index_name = get(&rows[at], 0);
        let same: Vec<&Vec<Option<String>>> = rows[at..]
            .iter()
            .take_while(|r| get(r, 0) == index_name)
            .collect();
        at += same.len();
        let columns: Vec<String> = same.iter().map(|r| get(r, 3)).collect();
        match get(same[0], 2).as_str() {
            "u" => table.uniques.push(Key {
                name: None,
                columns,
            }),
            "c" => table.indexes.push(Index {
                name: index_name,
                columns,
                unique: get(same[0], 1) == "1",
            }),
            _ => {}
        }
    }
}

/// The foreign keys of a table, from `pragma_foreign_key_list`'s id, table, from, to and
/// on_delete, a row per column in order.
fn foreign_keys(rows: &[Vec<Option<String>>]) -> Vec<ForeignKey> {
    let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    for fk in rows {
        let entry = fks
            .entry(get(fk, 0).parse().unwrap_or(0))
            .or_insert_with(|| ForeignKey {
                name: None,
                columns: Vec::new(),
                ref_table: get(fk, 1),
                ref_columns: Vec::new(),
                on_delete: on_delete(&get(fk, 4)),
            });
        entry.columns.push(get(fk, 2));
        entry.ref_columns.extend(fk[3].clone());
    }
    fks.into_values().collect()
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

//! MySQL's and MariaDB's tables in the current database, read from `information_schema`.

use super::{empty_tables, get, list, on_delete, rows, table};
use crate::backend::{Backend, BackendError};
use crate::revision::Dialect;
use crate::schema::checks::normalize;
use crate::schema::tables::{Check, Column, ForeignKey, FoundCheck, Index, Key, Schema, Table};
use crate::schema::types::{Default, Type};

/// Reads every table of the current database.
pub(super) fn read(db: &mut dyn Backend) -> Result<Schema, BackendError> {
    let mut schema = empty_tables(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
    )?;
    columns(db, &mut schema)?;
    foreign_keys(db, &mut schema)?;
    indexes(db, &mut schema)?;
    checks(db, &mut schema)?;
    Ok(schema)
}

/// Adds each table's columns.
fn columns(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    for c in rows(
        db,
        "SELECT table_name, column_name, column_type, is_nullable, column_default, extra \
         FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
        &[],
    )? {
        let Some(table) = table(schema, &get(&c, 0)) else {
            continue;
        };
        let ty = Type::parse(&get(&c, 2), Dialect::Mysql);
        let default = c[4]
            .as_deref()
            .and_then(|d| Default::parse(d, &ty, Dialect::Mysql));
        table.columns.push(Column {
            name: get(&c, 1),
            ty,
            nullable: get(&c, 3) == "YES",
            default,
            autoincrement: get(&c, 5).to_ascii_lowercase().contains("auto_increment"),
        });
    }
    Ok(())
}

/// Adds each table's foreign keys, their names kept unless InnoDB generated them. Each catalog
/// table is joined on `DATABASE()` itself, not on the other's schema column: MariaDB opens only
/// the tables of the database a query names as a constant, and every table on the server
/// otherwise.
fn foreign_keys(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    for r in rows(
        db,
        "SELECT k.table_name, k.constraint_name, GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position), \
         k.referenced_table_name, GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position), r.delete_rule \
         FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r \
         ON r.constraint_schema = DATABASE() AND r.table_name = k.table_name AND r.constraint_name = k.constraint_name \
         WHERE k.table_schema = DATABASE() AND k.constraint_schema = DATABASE() AND k.referenced_table_name IS NOT NULL \
         GROUP BY k.table_name, k.constraint_name, k.referenced_table_name, r.delete_rule ORDER BY k.table_name, k.constraint_name",
        &[],
    )? {
        let table_name = get(&r, 0);
        let Some(table) = table(schema, &table_name) else {
            continue;
        };
        let name = get(&r, 1);
        let generated = name
            .strip_prefix(&format!("{table_name}_ibfk_"))
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        table.foreign_keys.push(ForeignKey {
            name: (!generated).then_some(name),
            columns: list(&get(&r, 2)),
            ref_table: get(&r, 3),
            ref_columns: list(&get(&r, 4)),
            on_delete: on_delete(&get(&r, 5)),
        });
    }
    Ok(())
}

/// Adds each table's primary key, unique keys and indexes, leaving out those that back a
/// foreign key (read first).
fn indexes(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    for r in rows(
        db,
        "SELECT table_name, index_name, MIN(non_unique), GROUP_CONCAT(column_name ORDER BY seq_in_index) \
         FROM information_schema.statistics WHERE table_schema = DATABASE() \
         GROUP BY table_name, index_name ORDER BY table_name, index_name",
        &[],
    )? {
        if let Some(table) = table(schema, &get(&r, 0)) {
            add_index(table, &r);
        }
    }
    Ok(())
}

/// Adds the index of row `r` (of [`indexes`]) to `table`: its primary key, a unique key (named
/// unless MySQL named it after its first column), or an index that backs no foreign key.
fn add_index(table: &mut Table, r: &[Option<String>]) {
    let name = get(r, 1);
    let columns = list(&get(r, 3));
    // InnoDB backs each foreign key with an index named after the constraint or its column.
    let backs_fk = table.foreign_keys.iter().any(|fk| {
        fk.columns == columns
            && (fk.name.as_deref() == Some(name.as_str())
                || name == fk.columns[0]
                || name.starts_with(&format!("{}_ibfk_", table.name)))
    });
    let first = columns[0].clone();
    let generated_unique = name == first
        || name
            .strip_prefix(&format!("{first}_"))
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
    match (name.as_str(), get(r, 2).as_str()) {
        ("PRIMARY", _) => {
            table.primary_key = Some(Key {
                name: None,
                columns,
            })
        }
        (_, "0") => table.uniques.push(Key {
            name: (!generated_unique).then_some(name),
            columns,
        }),
        _ if backs_fk => {}
        _ => table.indexes.push(Index {
            name,
            columns,
            unique: false,
        }),
    }
}

/// Adds each table's CHECK constraints, from `information_schema.check_constraints` (MariaDB
/// 10.2 and later, MySQL 8.0.16 and later; a server without it has none to read).
///
/// MariaDB names its table's checks `CONSTRAINT_<n>` and keeps a column's (one at most) in the
/// column's definition under the column's name; MySQL names them `<table>_chk_<n>`: such names
/// are generated. MariaDB makes a JSON column a LONGTEXT checked by `json_valid(<column>)`: that
/// check is part of the type, not one of the table's. A `CHECK (<column> IS NOT NULL)` is the
/// column's nullability in other words and is left out.
fn checks(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    let view_columns: Vec<String> = rows(
        db,
        "SELECT UPPER(column_name) FROM information_schema.columns \
         WHERE table_schema = 'information_schema' AND UPPER(table_name) = 'CHECK_CONSTRAINTS'",
        &[],
    )?
    .iter()
    .map(|r| get(r, 0))
    .collect();
    let has = |c: &str| view_columns.iter().any(|v| v == c);
    let sql = if !has("CHECK_CLAUSE") {
        return Ok(());
    } else if has("TABLE_NAME") && has("LEVEL") {
        // MariaDB: the table and whether the check is the column's.
        "SELECT table_name, constraint_name, check_clause, level \
         FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() \
         ORDER BY table_name, constraint_name"
    } else {
        // MySQL: names are unique in a database; the table comes from table_constraints.
        "SELECT t.table_name, c.constraint_name, c.check_clause, 'Table' \
         FROM information_schema.check_constraints c JOIN information_schema.table_constraints t \
         ON t.constraint_schema = DATABASE() AND t.constraint_name = c.constraint_name \
         AND t.constraint_type = 'CHECK' \
         WHERE c.constraint_schema = DATABASE() ORDER BY t.table_name, c.constraint_name"
    };
    for r in rows(db, sql, &[])? {
        let Some(table) = table(schema, &get(&r, 0)) else {
            continue;
        };
        let name = get(&r, 1);
        let column_level = get(&r, 3).eq_ignore_ascii_case("column");
        let expr = normalize(&get(&r, 2), Dialect::Mysql, &|_| false);
        let json = expr
            .json_valid_of()
            .is_some_and(|c| c.eq_ignore_ascii_case(&name));
        if (column_level && json) || expr.not_null_column().is_some() {
            continue;
        }
        let generated = column_level
            || name
                .strip_prefix("CONSTRAINT_")
                .or_else(|| name.strip_prefix(&format!("{}_chk_", table.name)))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        // A column's check is named after the column, but keeps that name when the column is
        // renamed: then the column is the one the expression uses.
        let column = column_level.then(|| match table.column(&name) {
            Some(_) => name.clone(),
            None => expr
                .columns()
                .into_iter()
                .find(|c| table.column(c).is_some())
                .unwrap_or_else(|| name.clone()),
        });
        table.checks.push(Check {
            name: (!generated).then(|| name.clone()),
            expression: expr.text(),
            found: Some(FoundCheck { name, column }),
        });
    }
    Ok(())
}

//! PostgreSQL's tables in the current schema, read from its catalog (`pg_class`,
//! `pg_attribute`, `pg_constraint`, `pg_index`, `pg_enum`).

use std::collections::BTreeMap;

use super::{empty_tables, get, list, on_delete, rows, table};
use crate::backend::{Backend, BackendError};
use crate::revision::Dialect;
use crate::schema::checks::normalize;
use crate::schema::tables::{Check, Column, ForeignKey, FoundCheck, Index, Key, Schema, Table};
use crate::schema::types::{Default, Type};

/// Reads every table of the current schema.
pub(super) fn read(db: &mut dyn Backend) -> Result<Schema, BackendError> {
    let mut schema = empty_tables(
        db,
        "SELECT relname::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') ORDER BY relname",
    )?;
    let enums = enums(db)?;
    columns(db, &enums, &mut schema)?;
    constraints(db, &mut schema)?;
    checks(db, &mut schema)?;
    indexes(db, &mut schema)?;
    Ok(schema)
}

/// The labels of each enum type, by the type's oid.
fn enums(db: &mut dyn Backend) -> Result<BTreeMap<String, Vec<String>>, BackendError> {
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in rows(
        db,
        "SELECT e.enumtypid::text, e.enumlabel::text FROM pg_enum e ORDER BY e.enumtypid, e.enumsortorder",
        &[],
    )? {
        enums.entry(get(&e, 0)).or_default().push(get(&e, 1));
    }
    Ok(enums)
}

/// Adds each table's columns, those of an enum type (in `enums`) as enumerations.
fn columns(
    db: &mut dyn Backend,
    enums: &BTreeMap<String, Vec<String>>,
    schema: &mut Schema,
) -> Result<(), BackendError> {
    for c in rows(
        db,
        "SELECT cl.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
         (NOT a.attnotnull)::text, pg_get_expr(d.adbin, d.adrelid), ty.typname::text, a.attidentity::text, a.atttypid::text \
         FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_type ty ON ty.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE cl.relnamespace = current_schema()::regnamespace AND cl.relkind IN ('r', 'p') \
         AND a.attnum > 0 AND NOT a.attisdropped ORDER BY cl.relname, a.attnum",
        &[],
    )? {
        let Some(table) = table(schema, &get(&c, 0)) else {
            continue;
        };
        let ty = match enums.get(&get(&c, 7)) {
            Some(values) => Type::Enum {
                name: Some(get(&c, 5)),
                values: values.clone(),
            },
            None => Type::parse(&get(&c, 2), Dialect::Postgresql),
        };
        let raw_default = c[4].clone();
        let serial = raw_default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let identity = !get(&c, 6).is_empty();
        let default = raw_default
            .filter(|_| !serial)
            .and_then(|d| Default::parse(&d, &ty, Dialect::Postgresql));
        table.columns.push(Column {
            name: get(&c, 1),
            ty,
            nullable: get(&c, 3) == "true",
            default,
            autoincrement: serial || identity,
        });
    }
    Ok(())
}

/// The SQL that reads the attribute numbers `array` of the relation `rel` as comma-joined
/// column names.
fn columns_of(array: &str, rel: &str) -> String {
    format!(
        "(SELECT string_agg(a.attname::text, ',' ORDER BY k.o) FROM unnest({array}) WITH ORDINALITY AS k(n, o) \
         JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n)"
    )
}

/// Adds each table's primary key, unique constraints and foreign keys.
fn constraints(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    let constraints = format!(
        "SELECT cl.relname::text, co.conname::text, co.contype::text, {}, \
         (SELECT relname::text FROM pg_class WHERE oid = co.confrelid), {}, co.confdeltype::text \
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid \
         WHERE co.connamespace = current_schema()::regnamespace AND co.contype IN ('p', 'u', 'f') \
         ORDER BY cl.relname, co.conname",
        columns_of("co.conkey", "co.conrelid"),
        columns_of("co.confkey", "co.confrelid"),
    );
    for r in rows(db, &constraints, &[])? {
        if let Some(table) = table(schema, &get(&r, 0)) {
            add_constraint(table, &r);
        }
    }
    Ok(())
}

/// Adds the constraint of row `r` (of [`constraints`]) to `table`, its name kept unless it is
/// the one PostgreSQL would have generated.
fn add_constraint(table: &mut Table, r: &[Option<String>]) {
    let table_name = get(r, 0);
    let name = get(r, 1);
    let columns = list(&get(r, 3));
    let generated = |suffix: &str| match suffix {
        "pkey" => format!("{table_name}_pkey"),
        _ => format!("{table_name}_{}_{suffix}", columns.join("_")),
    };
    // PostgreSQL cuts generated names to 63 bytes, shortening the table and column parts.
    let given = |suffix: &str| {
        let full = generated(suffix);
        let cut = full.len() > 63 && name.len() == 63 && name.ends_with(&format!("_{suffix}"));
        (name != full && !cut).then(|| name.clone())
    };
    match get(r, 2).as_str() {
        "p" => {
            table.primary_key = Some(Key {
                name: given("pkey"),
                columns,
            })
        }
        "u" => table.uniques.push(Key {
            name: given("key"),
            columns,
        }),
        _ => table.foreign_keys.push(ForeignKey {
            name: given("fkey"),
            ref_table: get(r, 4),
            ref_columns: list(&get(r, 5)),
            on_delete: on_delete(&get(r, 6)),
            columns,
        }),
    }
}

/// Adds each table's CHECK constraints (read after the columns, whose types tell which casts
/// PostgreSQL added), but those that only keep a column from NULL.
fn checks(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    let checks = format!(
        "SELECT cl.relname::text, co.conname::text, pg_get_expr(co.conbin, co.conrelid), {} \
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid \
         WHERE co.connamespace = current_schema()::regnamespace AND co.contype = 'c' \
         ORDER BY cl.relname, co.conname",
        columns_of("co.conkey", "co.conrelid"),
    );
    for r in rows(db, &checks, &[])? {
        let Some(table) = table(schema, &get(&r, 0)) else {
            continue;
        };
        let is_text = |name: &str| {
            table
                .column(name)
                .is_some_and(|c| matches!(c.ty, Type::Varchar(_) | Type::Char(_) | Type::Text))
        };
        let expr = normalize(&get(&r, 2), Dialect::Postgresql, &is_text);
        if expr.not_null_column().is_some() {
            continue;
        }
        let name = get(&r, 1);
        let generated = generated_check_name(&table.name, &list(&get(&r, 3)), &name);
        table.checks.push(Check {
            name: (!generated).then(|| name.clone()),
            expression: expr.text(),
            found: Some(FoundCheck { name, column: None }),
        });
    }
    Ok(())
}

/// Whether `name` is the one PostgreSQL gives a check on `columns` of `table`:
/// `<table>_<column>_check` when it uses one column, `<table>_check` otherwise, a number after
/// it when that name was taken, the table and column parts shortened to fit 63 bytes.
fn generated_check_name(table: &str, columns: &[String], name: &str) -> bool {
    let base = match columns {
        [one] if !one.is_empty() => format!("{table}_{one}_check"),
        _ => format!("{table}_check"),
    };
    let Some(at) = name.rfind("_check") else {
        return false;
    };
    let (stem, number) = name.split_at(at + "_check".len());
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    stem == base || (base.len() + number.len() > 63 && name.len() >= 60 && stem.len() < base.len())
}

/// Adds each table's indexes that back no constraint. (`NOT IN` over the constraints' indexes,
/// never NULL, is one hashed look-up per index; a correlated `NOT EXISTS` scanned every
/// constraint for each index: 52 ms instead of 4 at 500 tables.)
fn indexes(db: &mut dyn Backend, schema: &mut Schema) -> Result<(), BackendError> {
    let indexes = format!(
        "SELECT t.relname::text, i.relname::text, ix.indisunique::text, {} \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace \
         AND ix.indexrelid NOT IN (SELECT co.conindid FROM pg_constraint co WHERE co.contype IN ('p', 'u', 'x')) \
         ORDER BY t.relname, i.relname",
        columns_of("ix.indkey", "ix.indrelid")
    );
    for r in rows(db, &indexes, &[])? {
        if let Some(table) = table(schema, &get(&r, 0)) {
            table.indexes.push(Index {
                name: get(&r, 1),
                columns: list(&get(&r, 3)),
                unique: get(&r, 2) == "true",
            });
        }
    }
    Ok(())
}

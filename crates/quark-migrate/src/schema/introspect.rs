//! Reading a live database's tables into the [`Schema`] model: SQLite pragmas, PostgreSQL's
//! catalog, MySQL's information_schema.

use std::collections::BTreeMap;

use super::model::{Column, Default, ForeignKey, Index, Key, Schema, Table, Type, string_literals};
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
        Dialect::Sqlite => sqlite(db, only)?,
        Dialect::Postgresql => postgres(db)?,
        Dialect::Mysql => mysql(db)?,
    };
    schema.tables.retain(|name, _| keep(name));
    for t in schema.tables.values_mut() {
        t.uniques.sort_by(|a, b| a.columns.cmp(&b.columns));
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        t.foreign_keys
            .sort_by(|a, b| (&a.columns, &a.ref_table).cmp(&(&b.columns, &b.ref_table)));
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

fn get(row: &[Option<String>], i: usize) -> String {
    row[i].clone().unwrap_or_default()
}

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

fn table<'s>(schema: &'s mut Schema, name: &str) -> Option<&'s mut Table> {
    schema.tables.get_mut(name)
}

fn sqlite(
    db: &mut dyn Backend,
    only: Option<&std::collections::BTreeSet<String>>,
) -> Result<Schema, BackendError> {
    let mut schema = Schema::default();
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
    let tables = rows(db, &sql, &names)?;
    for t in &tables {
        let name = get(t, 0);
        let create = get(t, 1);
        let arg = [Value::from(name.as_str())];
        let mut table = Table {
            name: name.clone(),
            ..Table::default()
        };
        let cols = rows(
            db,
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
            &arg,
        )?;
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &cols {
            let column_name = get(c, 0);
            let mut ty = Type::parse(&get(c, 1), Dialect::Sqlite);
            if let Type::Varchar(_) = ty
                && let Some(values) = sqlite_enum_check(&create, &column_name)
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
            table.columns.push(Column {
                name: column_name,
                nullable: get(c, 2) == "0",
                default,
                autoincrement: false,
                ty,
            });
        }
        pk.sort();
        if !pk.is_empty() {
            table.primary_key = Some(Key {
                name: None,
                columns: pk.into_iter().map(|(_, c)| c).collect(),
            });
        }
        // A lone INTEGER primary key is the rowid: SQLite numbers new rows itself.
        if let Some(Key { columns, .. }) = &table.primary_key
            && let [only] = &columns[..]
        {
            let only = only.clone();
            if let Some(c) = table.columns.iter_mut().find(|c| c.name == only) {
                c.autoincrement = c.ty == Type::Integer;
            }
        }
        for ix in rows(
            db,
            "SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name",
            &arg,
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
        let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for fk in rows(
            db,
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            &arg,
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
        table.foreign_keys = fks.into_values().collect();
        schema.tables.insert(name, table);
    }
    // `REFERENCES t` without columns means t's primary key.
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
    Ok(schema)
}

/// The values of a `CHECK (<column> IN ('a', 'b'))` constraint on `column` in a SQLite
/// `CREATE TABLE` statement: how SQLite keeps an enumeration.
fn sqlite_enum_check(create: &str, column: &str) -> Option<Vec<String>> {
    let compact: String = create
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let column = column.to_ascii_lowercase();
    let heads = [
        format!("check({column}in("),
        format!("check(\"{column}\"in("),
        format!("check(`{column}`in("),
    ];
    let found = heads
        .iter()
        .find_map(|h| compact.find(h.as_str()).map(|i| i + h.len()))?;
    let start = compact[..found].chars().count();
    // Read the values from the original text, which keeps their spaces and case.
    let lower = create.to_ascii_lowercase();
    let mut seen = 0;
    let mut offset = None;
    for (i, c) in lower.char_indices() {
        if !c.is_whitespace() {
            if seen == start {
                offset = Some(i);
                break;
            }
            seen += 1;
        }
    }
    let rest = &create[offset?..];
    let values = string_literals(&rest[..rest.find(')')?], false);
    (!values.is_empty()).then_some(values)
}

fn postgres(db: &mut dyn Backend) -> Result<Schema, BackendError> {
    let mut schema = empty_tables(
        db,
        "SELECT relname::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') ORDER BY relname",
    )?;
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in rows(
        db,
        "SELECT e.enumtypid::text, e.enumlabel::text FROM pg_enum e ORDER BY e.enumtypid, e.enumsortorder",
        &[],
    )? {
        enums.entry(get(&e, 0)).or_default().push(get(&e, 1));
    }
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
        let Some(table) = table(&mut schema, &get(&c, 0)) else {
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
    let columns_of = |array: &str, rel: &str| {
        format!(
            "(SELECT string_agg(a.attname::text, ',' ORDER BY k.o) FROM unnest({array}) WITH ORDINALITY AS k(n, o) \
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n)"
        )
    };
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
        let table_name = get(&r, 0);
        let Some(table) = table(&mut schema, &table_name) else {
            continue;
        };
        let name = get(&r, 1);
        let columns = list(&get(&r, 3));
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
        match get(&r, 2).as_str() {
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
                ref_table: get(&r, 4),
                ref_columns: list(&get(&r, 5)),
                on_delete: on_delete(&get(&r, 6)),
                columns,
            }),
        }
    }
    let indexes = format!(
        "SELECT t.relname::text, i.relname::text, ix.indisunique::text, {} \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = ix.indexrelid AND co.contype IN ('p', 'u', 'x')) \
         ORDER BY t.relname, i.relname",
        columns_of("ix.indkey", "ix.indrelid")
    );
    for r in rows(db, &indexes, &[])? {
        if let Some(table) = table(&mut schema, &get(&r, 0)) {
            table.indexes.push(Index {
                name: get(&r, 1),
                columns: list(&get(&r, 3)),
                unique: get(&r, 2) == "true",
            });
        }
    }
    Ok(schema)
}

fn mysql(db: &mut dyn Backend) -> Result<Schema, BackendError> {
    let mut schema = empty_tables(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
    )?;
    for c in rows(
        db,
        "SELECT table_name, column_name, column_type, is_nullable, column_default, extra \
         FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
        &[],
    )? {
        let Some(table) = table(&mut schema, &get(&c, 0)) else {
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
    for r in rows(
        db,
        "SELECT k.table_name, k.constraint_name, GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position), \
         k.referenced_table_name, GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position), r.delete_rule \
         FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r \
         ON r.constraint_schema = k.constraint_schema AND r.table_name = k.table_name AND r.constraint_name = k.constraint_name \
         WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL \
         GROUP BY k.table_name, k.constraint_name, k.referenced_table_name, r.delete_rule ORDER BY k.table_name, k.constraint_name",
        &[],
    )? {
        let table_name = get(&r, 0);
        let Some(table) = table(&mut schema, &table_name) else {
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
    for r in rows(
        db,
        "SELECT table_name, index_name, MIN(non_unique), GROUP_CONCAT(column_name ORDER BY seq_in_index) \
         FROM information_schema.statistics WHERE table_schema = DATABASE() \
         GROUP BY table_name, index_name ORDER BY table_name, index_name",
        &[],
    )? {
        let Some(table) = table(&mut schema, &get(&r, 0)) else {
            continue;
        };
        let name = get(&r, 1);
        let columns = list(&get(&r, 3));
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
        match (name.as_str(), get(&r, 2).as_str()) {
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
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_enumerations_are_read_from_their_check() {
        let create = "CREATE TABLE t (\n  id INTEGER,\n  kind VARCHAR(8) CHECK (kind IN ('shared', 'It''s')),\n  other VARCHAR(3))";
        assert_eq!(
            sqlite_enum_check(create, "kind"),
            Some(vec!["shared".to_string(), "It's".to_string()])
        );
        assert_eq!(sqlite_enum_check(create, "other"), None);
    }
}

//! The SQL that brings the live database back to the expected schema.

use super::renames::rename;
use super::{Drifted, Item, analyse};
use crate::revision::Dialect;
use crate::schema::diff::{Change, diff};
use crate::schema::identifiers::quote;
use crate::schema::render::{Line, render};
use crate::schema::tables::Schema;

/// The statements (without their `;`) that remove the differences `drifted` (of
/// [`drift`](super::drift)`(expected, live)`; others are ignored) from the live database, on
/// `dialect`. A renamed column is renamed back
/// (`ALTER TABLE t RENAME COLUMN found TO expected`); the rest is written as autogenerate
/// writes a migration, so some statements may have to run outside a transaction
/// (PostgreSQL's `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`) and a SQLite table that
/// must change a column or a constraint is rebuilt with its rows.
///
/// The statements start from `live` as it is: to repair several differences, pass them in one
/// call. The SQL of one difference and that of another, written by two calls, may undo each
/// other where a statement restates a whole definition (a SQLite table rebuilt, a MySQL column
/// redefined by `MODIFY`: the type's repair restates the live default, the default's repair the
/// live type).
pub fn repair_sql(
    expected: &Schema,
    live: &Schema,
    drifted: &[Drifted],
    dialect: Dialect,
) -> Vec<String> {
    let chosen: Vec<Item> = analyse(expected, live)
        .into_iter()
        .filter(|item| drifted.contains(&item.drifted))
        .collect();
    let mut out = Vec::new();
    let mut base = live.clone();
    for item in &chosen {
        if let Some(r) = &item.rename {
            out.push(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                quote(&r.table, dialect),
                quote(&r.from, dialect),
                quote(&r.to, dialect)
            ));
            rename(&mut base, r);
        }
    }
    let mut target = base.clone();
    for change in chosen.iter().flat_map(|item| &item.changes) {
        apply(&mut target, change);
    }
    let changes = diff(&base, &target);
    out.extend(
        render(&base, &target, &changes, dialect)
            .into_iter()
            .filter_map(|line| match line {
                Line::Sql(sql) => Some(sql),
                Line::Comment(_) => None,
            }),
    );
    out
}

/// `change` (of `diff(live, expected)`) made to `schema`: only what differs between its two
/// sides, for a column.
fn apply(schema: &mut Schema, change: &Change) {
    match change {
        Change::AddTable(t) => {
            schema.tables.insert(t.name.clone(), t.clone());
            return;
        }
        Change::DropTable(t) => {
            schema.tables.remove(&t.name);
            return;
        }
        _ => {}
    }
    let Some(t) = schema.tables.get_mut(change.table()) else {
        return;
    };
    match change {
        Change::AddColumn(_, c) => {
            if t.column(&c.name).is_none() {
                t.columns.push(c.clone());
            }
        }
        Change::DropColumn(_, c) => t.columns.retain(|x| x.name != c.name),
        Change::AlterColumn { from, to, .. } => {
            if let Some(col) = t.columns.iter_mut().find(|x| x.name == to.name) {
                if !from.ty.same_as(&to.ty) {
                    col.ty = to.ty.clone();
                }
                if from.nullable != to.nullable {
                    col.nullable = to.nullable;
                }
                if from.default != to.default {
                    col.default.clone_from(&to.default);
                }
            }
        }
        Change::AddPrimaryKey(_, k) => t.primary_key = Some(k.clone()),
        Change::DropPrimaryKey(..) => t.primary_key = None,
        Change::AddUnique(_, k) => t.uniques.push(k.clone()),
        Change::DropUnique(_, k) => t.uniques.retain(|x| x.columns != k.columns),
        Change::AddIndex(_, i) => t.indexes.push(i.clone()),
        Change::DropIndex(_, i) => t.indexes.retain(|x| x != i),
        Change::AddForeignKey(_, k) => t.foreign_keys.push(k.clone()),
        Change::DropForeignKey(_, k) => t.foreign_keys.retain(|x| !x.same_as(k)),
        Change::AddCheck(_, c) => t.checks.push(c.clone()),
        Change::DropCheck(_, c) => t.checks.retain(|x| x.expression != c.expression),
        Change::AddTable(_) | Change::DropTable(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::drift::tests::{expected, ports};
    use crate::schema::drift::{DriftKind, drift};

    #[test]
    fn repairs_are_written_per_difference() {
        let mut live = expected();
        let p = ports(&mut live);
        p.columns[3].name = "rate".into();
        p.checks[0].expression = "rate > 0".into();
        p.indexes.clear();
        let found = drift(&expected(), &live);
        assert_eq!(found.len(), 2, "{found:?}");
        let rename = found
            .iter()
            .find(|d| d.kind == DriftKind::ColumnRenamed)
            .unwrap();
        assert_eq!(
            repair_sql(
                &expected(),
                &live,
                std::slice::from_ref(rename),
                Dialect::Postgresql
            ),
            vec!["ALTER TABLE ports RENAME COLUMN rate TO speed"]
        );
        let index = found
            .iter()
            .find(|d| d.kind == DriftKind::IndexDropped)
            .unwrap();
        assert_eq!(
            repair_sql(
                &expected(),
                &live,
                std::slice::from_ref(index),
                Dialect::Mysql
            ),
            vec![
                "CREATE INDEX ix_ports_device_id ON ports (device_id) ALGORITHM=INPLACE LOCK=NONE"
            ]
        );
        assert_eq!(
            repair_sql(&expected(), &live, &found, Dialect::Sqlite).len(),
            2
        );
        let json = serde_json::to_value(&found[0]).unwrap();
        assert_eq!(json["kind"], "column_renamed");
    }
}

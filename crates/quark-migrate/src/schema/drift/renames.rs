//! Columns renamed in the live schema: found in a diff, and made to a schema.

use crate::schema::checks::rename_column;
use crate::schema::diff::Change;
use crate::schema::tables::{Column, Schema};

/// A column renamed in the live schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rename {
    /// The table.
    pub(super) table: String,
    /// The live name.
    pub(super) from: String,
    /// The expected name.
    pub(super) to: String,
}

/// Whether two columns have one definition (their names aside).
fn same_definition(a: &Column, b: &Column) -> bool {
    a.ty.same_as(&b.ty)
        && a.nullable == b.nullable
        && a.default == b.default
        && a.autoincrement == b.autoincrement
}

/// The columns of `changes` (of `diff(live, expected)`) that were renamed: in one table, a
/// column dropped and one added with the same definition, each the other's only match.
pub(super) fn renames(changes: &[Change]) -> Vec<Rename> {
    let mut out = Vec::new();
    for change in changes {
        let Change::DropColumn(table, live) = change else {
            continue;
        };
        let added: Vec<&Column> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddColumn(t, c) if t == table && same_definition(c, live) => Some(c),
                _ => None,
            })
            .collect();
        let [wanted] = added[..] else { continue };
        let dropped = changes
            .iter()
            .filter(|c| {
                matches!(c, Change::DropColumn(t, c) if t == table && same_definition(c, wanted))
            })
            .count();
        if dropped == 1 {
            out.push(Rename {
                table: table.clone(),
                from: live.name.clone(),
                to: wanted.name.clone(),
            });
        }
    }
    out
}

/// `schema` with the column `r.from` of `r.table` called `r.to`, in the table's keys,
/// indexes, foreign keys and checks, and in the foreign keys that reference it: as the
/// databases rename a column.
pub(super) fn rename(schema: &mut Schema, r: &Rename) {
    let swap = |columns: &mut Vec<String>| {
        for c in columns.iter_mut().filter(|c| **c == r.from) {
            c.clone_from(&r.to);
        }
    };
    if let Some(t) = schema.tables.get_mut(&r.table) {
        for c in t.columns.iter_mut().filter(|c| c.name == r.from) {
            c.name.clone_from(&r.to);
        }
        if let Some(k) = &mut t.primary_key {
            swap(&mut k.columns);
        }
        for k in &mut t.uniques {
            swap(&mut k.columns);
        }
        for i in &mut t.indexes {
            swap(&mut i.columns);
        }
        for k in &mut t.foreign_keys {
            swap(&mut k.columns);
        }
        for c in &mut t.checks {
            c.expression = rename_column(&c.expression, &r.from, &r.to);
        }
    }
    for t in schema.tables.values_mut() {
        for k in t.foreign_keys.iter_mut().filter(|k| k.ref_table == r.table) {
            swap(&mut k.ref_columns);
        }
    }
}

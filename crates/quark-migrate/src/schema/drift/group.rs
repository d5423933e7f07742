//! The changes of a diff grouped into differences, each described in the words of
//! [`Drifted`].

use super::{DriftKind, Drifted, Item};
use crate::schema::diff::Change;
use crate::schema::tables::{Column, ForeignKey, Index, Key, Table};

/// `columns a, b`.
fn columns_desc(columns: &[String]) -> String {
    format!("columns {}", columns.join(", "))
}

/// A column's definition: `VARCHAR(36) NOT NULL DEFAULT 'x'`.
fn column_desc(c: &Column) -> String {
    let mut out = c.ty.to_string();
    if !c.nullable {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        out.push_str(&format!(" DEFAULT {d}"));
    }
    out
}

/// `columns a, b` or `unique columns a, b`.
fn index_desc(i: &Index) -> String {
    let unique = if i.unique { "unique " } else { "" };
    format!("{unique}{}", columns_desc(&i.columns))
}

/// `(a) REFERENCES t (id) ON DELETE CASCADE`.
fn foreign_key_desc(k: &ForeignKey) -> String {
    let mut out = format!(
        "({}) REFERENCES {} ({})",
        k.columns.join(", "),
        k.ref_table,
        k.ref_columns.join(", ")
    );
    if let Some(action) = &k.on_delete {
        out.push_str(&format!(" ON DELETE {action}"));
    }
    out
}

fn table_desc(t: &Table) -> String {
    let names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
    columns_desc(&names)
}

fn key_desc(k: &Key) -> String {
    columns_desc(&k.columns)
}

/// The changes of `diff(live, expected)` grouped into differences.
pub(super) fn group(changes: Vec<Change>) -> Vec<Item> {
    let mut items = Vec::new();
    let mut used = vec![false; changes.len()];
    for (i, change) in changes.iter().enumerate() {
        if used[i] {
            continue;
        }
        used[i] = true;
        match change {
            Change::AlterColumn { table, from, to } => {
                items.extend(altered_column(table, from, to));
            }
            Change::DropPrimaryKey(t, live) | Change::AddPrimaryKey(t, live) => {
                items.push(primary_key(&changes, i, &mut used, t, live));
            }
            Change::DropIndex(t, live) => {
                items.push(dropped_index(&changes, i, &mut used, t, live));
            }
            _ => items.extend(lone(change)),
        }
    }
    items
}

/// One difference, repaired by `changes` (no rename).
fn item(
    kind: DriftKind,
    table: &str,
    object: Option<&str>,
    expected: Option<String>,
    found: Option<String>,
    changes: Vec<Change>,
) -> Item {
    Item {
        drifted: Drifted {
            kind,
            table: table.to_string(),
            object: object.map(str::to_string),
            expected,
            found,
        },
        rename: None,
        changes,
    }
}

/// The difference a change makes by itself (a table, a column, an index expected, a unique
/// key, a foreign key or a check, that one side lacks); `None` for the changes [`group`]
/// pairs or splits.
fn lone(change: &Change) -> Option<Item> {
    use DriftKind::*;
    // What the change is of, and whether the live schema holds it (a drop) or lacks it.
    let (kind, table, object, desc, live) = match change {
        Change::DropTable(t) => (TableAdded, &t.name, None, table_desc(t), true),
        Change::AddTable(t) => (TableDropped, &t.name, None, table_desc(t), false),
        Change::DropColumn(t, c) => (ColumnAdded, t, Some(&c.name), column_desc(c), true),
        Change::AddColumn(t, c) => (ColumnDropped, t, Some(&c.name), column_desc(c), false),
        // An index changed under its name was paired with its drop, which comes first.
        Change::AddIndex(t, i) => (IndexDropped, t, Some(&i.name), index_desc(i), false),
        Change::DropUnique(t, k) => (UniqueAdded, t, k.name.as_ref(), key_desc(k), true),
        Change::AddUnique(t, k) => (UniqueDropped, t, k.name.as_ref(), key_desc(k), false),
        Change::DropForeignKey(t, k) => (
            ForeignKeyAdded,
            t,
            k.name.as_ref(),
            foreign_key_desc(k),
            true,
        ),
        Change::AddForeignKey(t, k) => (
            ForeignKeyDropped,
            t,
            k.name.as_ref(),
            foreign_key_desc(k),
            false,
        ),
        Change::DropCheck(t, c) => (CheckAdded, t, c.name.as_ref(), c.expression.clone(), true),
        Change::AddCheck(t, c) => (
            CheckDropped,
            t,
            c.name.as_ref(),
            c.expression.clone(),
            false,
        ),
        Change::AlterColumn { .. }
        | Change::DropPrimaryKey(..)
        | Change::AddPrimaryKey(..)
        | Change::DropIndex(..) => return None,
    };
    let (expected, found) = if live {
        (None, Some(desc))
    } else {
        (Some(desc), None)
    };
    let object = object.map(String::as_str);
    Some(item(
        kind,
        table,
        object,
        expected,
        found,
        vec![change.clone()],
    ))
}

/// The differences of a column altered: its type, its default and its nullability, each
/// repaired by a change of that alone.
fn altered_column(table: &str, from: &Column, to: &Column) -> Vec<Item> {
    use DriftKind::*;
    let partial = |edit: &dyn Fn(&mut Column)| {
        let mut to = from.clone();
        edit(&mut to);
        vec![Change::AlterColumn {
            table: table.to_string(),
            from: from.clone(),
            to,
        }]
    };
    let mut items = Vec::new();
    let o = Some(to.name.as_str());
    if !from.ty.same_as(&to.ty) {
        items.push(item(
            TypeChanged,
            table,
            o,
            Some(to.ty.to_string()),
            Some(from.ty.to_string()),
            partial(&|c| c.ty = to.ty.clone()),
        ));
    }
    if from.default != to.default {
        items.push(item(
            DefaultChanged,
            table,
            o,
            to.default.as_ref().map(ToString::to_string),
            from.default.as_ref().map(ToString::to_string),
            partial(&|c| c.default.clone_from(&to.default)),
        ));
    }
    if from.nullable != to.nullable {
        let word = |nullable| if nullable { "NULL" } else { "NOT NULL" };
        let kind = if to.nullable {
            NotNullAdded
        } else {
            NotNullDropped
        };
        items.push(item(
            kind,
            table,
            o,
            Some(word(to.nullable).to_string()),
            Some(word(from.nullable).to_string()),
            partial(&|c| c.nullable = to.nullable),
        ));
    }
    items
}

/// The difference of the primary key `changes[i]` drops or adds: a primary key dropped is
/// paired with the one added after it, if any (`used` marks it taken).
fn primary_key(changes: &[Change], i: usize, used: &mut [bool], t: &str, live: &Key) -> Item {
    let change = &changes[i];
    let one = vec![change.clone()];
    let dropped = matches!(change, Change::DropPrimaryKey(..));
    // The other half, if any: the primary key added after the live one dropped.
    let other = changes.iter().enumerate().skip(i + 1).find(|(j, c)| {
        !used[*j] && matches!(c, Change::AddPrimaryKey(ct, _) if dropped && ct == t)
    });
    let (found, wanted, all) = match (dropped, other) {
        (true, Some((j, Change::AddPrimaryKey(_, k)))) => {
            used[j] = true;
            (
                Some(live),
                Some(k),
                vec![change.clone(), changes[j].clone()],
            )
        }
        (true, _) => (Some(live), None, one),
        (false, _) => (None, Some(live), one),
    };
    let object = wanted
        .and_then(|k| k.name.as_deref())
        .or_else(|| found.and_then(|k| k.name.as_deref()));
    item(
        DriftKind::PrimaryKeyChanged,
        t,
        object,
        wanted.map(key_desc),
        found.map(key_desc),
        all,
    )
}

/// The difference of the index `changes[i]` drops: changed when an index of its name is added
/// after it (`used` marks that one taken), not expected otherwise.
fn dropped_index(changes: &[Change], i: usize, used: &mut [bool], t: &str, live: &Index) -> Item {
    let other = changes.iter().enumerate().skip(i + 1).find(|(j, c)| {
        !used[*j] && matches!(c, Change::AddIndex(ct, ix) if ct == t && ix.name == live.name)
    });
    match other {
        Some((j, Change::AddIndex(_, wanted))) => {
            used[j] = true;
            item(
                DriftKind::IndexChanged,
                t,
                Some(&live.name),
                Some(index_desc(wanted)),
                Some(index_desc(live)),
                vec![changes[i].clone(), changes[j].clone()],
            )
        }
        _ => item(
            DriftKind::IndexAdded,
            t,
            Some(&live.name),
            None,
            Some(index_desc(live)),
            vec![changes[i].clone()],
        ),
    }
}

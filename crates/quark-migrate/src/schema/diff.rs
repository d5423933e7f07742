//! Comparing two [`Schema`]s: what must change to turn one into the other.

use std::fmt;

use super::tables::{Check, Column, ForeignKey, Index, Key, Schema, Table};

/// One difference between two schemas, as the change that removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A table to create.
    AddTable(Table),
    /// A table to drop.
    DropTable(Table),
    /// A column to add.
    AddColumn(String, Column),
    /// A column to drop.
    DropColumn(String, Column),
    /// A column whose type, nullability or default changes.
    AlterColumn {
        /// The table.
        table: String,
        /// The column as it is.
        from: Column,
        /// The column as it should be.
        to: Column,
    },
    /// A primary key to add.
    AddPrimaryKey(String, Key),
    /// A primary key to drop.
    DropPrimaryKey(String, Key),
    /// A unique constraint to add.
    AddUnique(String, Key),
    /// A unique constraint to drop.
    DropUnique(String, Key),
    /// An index to create.
    AddIndex(String, Index),
    /// An index to drop.
    DropIndex(String, Index),
    /// A foreign key to add.
    AddForeignKey(String, ForeignKey),
    /// A foreign key to drop.
    DropForeignKey(String, ForeignKey),
    /// A CHECK constraint to add.
    AddCheck(String, Check),
    /// A CHECK constraint to drop (a changed check is dropped and added).
    DropCheck(String, Check),
}

impl Change {
    /// The table the change is about.
    pub fn table(&self) -> &str {
        match self {
            Change::AddTable(t) | Change::DropTable(t) => &t.name,
            Change::AddColumn(t, _)
            | Change::DropColumn(t, _)
            | Change::AlterColumn { table: t, .. }
            | Change::AddPrimaryKey(t, _)
            | Change::DropPrimaryKey(t, _)
            | Change::AddUnique(t, _)
            | Change::DropUnique(t, _)
            | Change::AddIndex(t, _)
            | Change::DropIndex(t, _)
            | Change::AddForeignKey(t, _)
            | Change::DropForeignKey(t, _)
            | Change::AddCheck(t, _)
            | Change::DropCheck(t, _) => t,
        }
    }

    /// Why running this change can lose or refuse data, if it can.
    pub fn data_loss(&self) -> Option<String> {
        match self {
            Change::DropTable(t) => Some(format!("drops table {} and every row in it", t.name)),
            Change::DropColumn(t, c) => Some(format!(
                "drops column {t}.{} and the data in it (a rename shows as a drop and an add)",
                c.name
            )),
            Change::AlterColumn { table, from, to } if !from.ty.same_as(&to.ty) => Some(format!(
                "changes the type of {table}.{}: values that do not fit the new type are cut or refused",
                to.name
            )),
            Change::AlterColumn { table, from, to } if from.nullable && !to.nullable => {
                Some(format!(
                    "makes {table}.{} NOT NULL: fails if a row holds NULL there",
                    to.name
                ))
            }
            Change::AddColumn(t, c) if !c.nullable && c.default.is_none() => Some(format!(
                "adds {t}.{} NOT NULL without a default: fails if the table has rows",
                c.name
            )),
            Change::AddCheck(t, c) => Some(format!(
                "adds CHECK ({}) on {t}: fails if a row breaks it",
                c.expression
            )),
            _ => None,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = |c: &[String]| c.join(", ");
        match self {
            Change::AddTable(t) => write!(f, "add table {}", t.name),
            Change::DropTable(t) => write!(f, "drop table {}", t.name),
            Change::AddColumn(t, c) => write!(f, "add column {t}.{}", c.name),
            Change::DropColumn(t, c) => write!(f, "drop column {t}.{}", c.name),
            Change::AlterColumn { table, from, to } => {
                let mut what = Vec::new();
                if !from.ty.same_as(&to.ty) {
                    what.push(format!("type {} -> {}", from.ty, to.ty));
                }
                if from.nullable != to.nullable {
                    what.push(format!(
                        "{} -> {}",
                        null_word(from.nullable),
                        null_word(to.nullable)
                    ));
                }
                if from.default != to.default {
                    let shown = |d: &Option<super::types::Default>| {
                        d.as_ref().map_or("none".to_string(), ToString::to_string)
                    };
                    what.push(format!(
                        "default {} -> {}",
                        shown(&from.default),
                        shown(&to.default)
                    ));
                }
                write!(f, "alter column {table}.{}: {}", to.name, what.join(", "))
            }
            Change::AddPrimaryKey(t, k) => {
                write!(f, "add primary key on {t} ({})", cols(&k.columns))
            }
            Change::DropPrimaryKey(t, k) => {
                write!(f, "drop primary key on {t} ({})", cols(&k.columns))
            }
            Change::AddUnique(t, k) => {
                write!(f, "add unique constraint on {t} ({})", cols(&k.columns))
            }
            Change::DropUnique(t, k) => {
                write!(f, "drop unique constraint on {t} ({})", cols(&k.columns))
            }
            Change::AddIndex(t, i) => {
                write!(f, "add index {} on {t} ({})", i.name, cols(&i.columns))
            }
            Change::DropIndex(t, i) => write!(f, "drop index {} on {t}", i.name),
            Change::AddForeignKey(t, k) => write!(
                f,
                "add foreign key {t} ({}) -> {} ({})",
                cols(&k.columns),
                k.ref_table,
                cols(&k.ref_columns)
            ),
            Change::DropForeignKey(t, k) => write!(
                f,
                "drop foreign key {t} ({}) -> {} ({})",
                cols(&k.columns),
                k.ref_table,
                cols(&k.ref_columns)
            ),
            Change::AddCheck(t, c) => write!(f, "add check on {t} ({})", c.expression),
            Change::DropCheck(t, c) => write!(f, "drop check on {t} ({})", c.expression),
        }
    }
}

fn null_word(nullable: bool) -> &'static str {
    if nullable { "NULL" } else { "NOT NULL" }
}

/// The changes that turn `old` into `new`, table by table in name order.
///
/// Keys, foreign keys and checks are compared by what they constrain, not by name (each database
/// names unnamed constraints its own way); indexes by name. A renamed table or column shows as a
/// drop and an add, as in Alembic (the drift report pairs them, see [`super::drift`]).
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, table) in &old.tables {
        if !new.tables.contains_key(name) {
            changes.push(Change::DropTable(table.clone()));
        }
    }
    for (name, table) in &new.tables {
        match old.tables.get(name) {
            None => changes.push(Change::AddTable(table.clone())),
            Some(before) => diff_table(before, table, &mut changes),
        }
    }
    changes
}

fn diff_table(old: &Table, new: &Table, out: &mut Vec<Change>) {
    let t = &new.name;
    for c in &old.columns {
        if new.column(&c.name).is_none() {
            out.push(Change::DropColumn(t.clone(), c.clone()));
        }
    }
    for c in &new.columns {
        match old.column(&c.name) {
            None => out.push(Change::AddColumn(t.clone(), c.clone())),
            Some(before)
                if !before.ty.same_as(&c.ty)
                    || before.nullable != c.nullable
                    || before.default != c.default =>
            {
                out.push(Change::AlterColumn {
                    table: t.clone(),
                    from: before.clone(),
                    to: c.clone(),
                })
            }
            Some(_) => {}
        }
    }
    let pk_columns = |k: &Option<Key>| k.as_ref().map(|k| k.columns.clone());
    if pk_columns(&old.primary_key) != pk_columns(&new.primary_key) {
        if let Some(k) = &old.primary_key {
            out.push(Change::DropPrimaryKey(t.clone(), k.clone()));
        }
        if let Some(k) = &new.primary_key {
            out.push(Change::AddPrimaryKey(t.clone(), k.clone()));
        }
    }
    for k in &old.uniques {
        if !new.uniques.iter().any(|n| n.columns == k.columns) {
            out.push(Change::DropUnique(t.clone(), k.clone()));
        }
    }
    for k in &new.uniques {
        if !old.uniques.iter().any(|o| o.columns == k.columns) {
            out.push(Change::AddUnique(t.clone(), k.clone()));
        }
    }
    for i in &old.indexes {
        if !new.indexes.contains(i) {
            out.push(Change::DropIndex(t.clone(), i.clone()));
        }
    }
    for i in &new.indexes {
        if !old.indexes.contains(i) {
            out.push(Change::AddIndex(t.clone(), i.clone()));
        }
    }
    for k in &old.foreign_keys {
        if !new.foreign_keys.iter().any(|n| n.same_as(k)) {
            out.push(Change::DropForeignKey(t.clone(), k.clone()));
        }
    }
    for k in &new.foreign_keys {
        if !old.foreign_keys.iter().any(|o| o.same_as(k)) {
            out.push(Change::AddForeignKey(t.clone(), k.clone()));
        }
    }
    for c in &old.checks {
        if !new.checks.iter().any(|n| n.expression == c.expression) {
            out.push(Change::DropCheck(t.clone(), c.clone()));
        }
    }
    for c in &new.checks {
        if !old.checks.iter().any(|o| o.expression == c.expression) {
            out.push(Change::AddCheck(t.clone(), c.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::types::Type;

    fn table(uniques: Vec<Key>, indexes: Vec<Index>) -> Schema {
        let t = Table {
            name: "t".into(),
            columns: vec![Column {
                name: "a".into(),
                ty: Type::Integer,
                nullable: true,
                default: None,
                autoincrement: false,
            }],
            uniques,
            indexes,
            ..Table::default()
        };
        Schema {
            tables: [("t".to_string(), t)].into(),
        }
    }

    #[test]
    fn keys_are_compared_by_columns_and_indexes_by_name() {
        let key = |name: Option<&str>| Key {
            name: name.map(str::to_string),
            columns: vec!["a".into()],
        };
        let index = |name: &str| Index {
            name: name.into(),
            columns: vec!["a".into()],
            unique: false,
        };
        // A unique constraint named by PostgreSQL on one side, unnamed on the other: the same.
        let old = table(vec![key(Some("t_a_key"))], vec![index("ix_a")]);
        let new = table(vec![key(None)], vec![index("ix_a")]);
        assert_eq!(diff(&old, &new), vec![]);
        // An index renamed: dropped and added.
        let renamed = table(vec![key(None)], vec![index("ix_b")]);
        let changes: Vec<String> = diff(&new, &renamed)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            changes,
            vec!["drop index ix_a on t", "add index ix_b on t (a)"]
        );
    }
}

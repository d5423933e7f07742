//! Drift: the live schema against the one expected (recorded after the last run that changed
//! it, or declared), each difference as a user-facing kind and a sentence, and the SQL that
//! brings the live database back.
//!
//! Built on [`diff`]`(live, expected)`, the changes that turn the live schema into the
//! expected one, grouped into what a person would call one difference: a column dropped and
//! another added with the same definition is a rename; an index dropped and added under the
//! same name is a changed index; a primary key dropped and added is a changed primary key.
//!
//! What is not drift: what the diff does not see. Constraint names the database generated,
//! spellings of one type (`INT` and `INTEGER`, `BOOL` and `BOOLEAN`, `VARCHAR` and
//! `CHARACTER VARYING`), the order of indexes, unique keys, foreign keys and checks, the
//! spelling of a check's expression (see `schema/checks.rs`), and the order of columns: a
//! column added back by hand after a rebuild lands last, and no query the application makes
//! by column name sees the difference, so it is not reported.

use std::fmt;

use serde::Serialize;

use super::checks::rename_column;
use super::diff::{Change, diff};
use super::identifiers::quote;
use super::render::{Line, render};
use super::tables::{Column, ForeignKey, Index, Key, Schema, Table};
use crate::revision::Dialect;

/// What kind of difference the live schema shows, said of the live schema: `ColumnAdded` is a
/// column the live table has and the expected one does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A table that is not expected.
    TableAdded,
    /// An expected table that is missing.
    TableDropped,
    /// A column that is not expected.
    ColumnAdded,
    /// An expected column that is missing.
    ColumnDropped,
    /// An expected column found under another name (with the same definition).
    ColumnRenamed,
    /// A column of another type.
    TypeChanged,
    /// A column with another default (or none, or one where none is expected).
    DefaultChanged,
    /// A column expected NOT NULL that accepts NULL.
    NotNullDropped,
    /// A column expected to accept NULL that is NOT NULL.
    NotNullAdded,
    /// An expected index that is missing.
    IndexDropped,
    /// An index that is not expected.
    IndexAdded,
    /// An index under its expected name on other columns, or of other uniqueness.
    IndexChanged,
    /// A primary key on other columns, missing, or not expected.
    PrimaryKeyChanged,
    /// An expected unique constraint that is missing.
    UniqueDropped,
    /// A unique constraint that is not expected.
    UniqueAdded,
    /// An expected foreign key that is missing.
    ForeignKeyDropped,
    /// A foreign key that is not expected.
    ForeignKeyAdded,
    /// An expected CHECK constraint that is missing.
    CheckDropped,
    /// A CHECK constraint that is not expected.
    CheckAdded,
}

/// One difference between the expected schema and the live one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drifted {
    /// What kind of difference.
    pub kind: DriftKind,
    /// The table.
    pub table: String,
    /// The column, index or constraint (its expected name; the live one for what is not
    /// expected); `None` for a table, or a constraint whose name the database generated.
    pub object: Option<String>,
    /// What the expected schema holds: a column's definition (`VARCHAR(36) NOT NULL`), type,
    /// default, nullability or name, an index's or key's columns (`columns a, b`), a foreign key
    /// (`(a) REFERENCES t (id)`), a check's expression; `None` for what is not expected.
    pub expected: Option<String>,
    /// What the live schema holds, in the same words; `None` for what is missing.
    pub found: Option<String>,
}

impl fmt::Display for Drifted {
    /// One sentence: `index ix_ports_device_id on ports was dropped (expected on columns
    /// device_id)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DriftKind::*;
        let t = &self.table;
        let named = |what: &str| match &self.object {
            Some(o) => format!("{what} {o} on {t}"),
            None => format!("{what} on {t}"),
        };
        let e = self.expected.as_deref().unwrap_or("none");
        let found = self.found.as_deref().unwrap_or("none");
        match self.kind {
            TableAdded => write!(f, "table {t} was added (found with {found})"),
            TableDropped => write!(f, "table {t} was dropped (expected with {e})"),
            ColumnAdded => write!(f, "{} was added (found {found})", named("column")),
            ColumnDropped => write!(f, "{} was dropped (expected {e})", named("column")),
            ColumnRenamed => write!(
                f,
                "{} was renamed to {found} (expected {e}, found {found})",
                named("column")
            ),
            TypeChanged => write!(
                f,
                "{} changed type (expected {e}, found {found})",
                named("column")
            ),
            DefaultChanged => write!(
                f,
                "{} changed default (expected {}, found {})",
                named("column"),
                self.expected.as_deref().unwrap_or("no default"),
                self.found.as_deref().unwrap_or("no default")
            ),
            NotNullDropped => write!(
                f,
                "{} lost its NOT NULL (expected NOT NULL, found NULL)",
                named("column")
            ),
            NotNullAdded => write!(
                f,
                "{} became NOT NULL (expected NULL, found NOT NULL)",
                named("column")
            ),
            IndexDropped => write!(f, "{} was dropped (expected on {e})", named("index")),
            IndexAdded => write!(f, "{} was added (found on {found})", named("index")),
            IndexChanged => write!(
                f,
                "{} changed (expected on {e}, found on {found})",
                named("index")
            ),
            PrimaryKeyChanged => write!(
                f,
                "{} changed (expected {}, found {})",
                named("primary key"),
                self.expected.as_deref().unwrap_or("no primary key"),
                self.found.as_deref().unwrap_or("no primary key")
            ),
            UniqueDropped => write!(
                f,
                "{} was dropped (expected on {e})",
                named("unique constraint")
            ),
            UniqueAdded => write!(
                f,
                "{} was added (found on {found})",
                named("unique constraint")
            ),
            ForeignKeyDropped => write!(f, "{} was dropped (expected {e})", named("foreign key")),
            ForeignKeyAdded => write!(f, "{} was added (found {found})", named("foreign key")),
            CheckDropped => write!(
                f,
                "{} was dropped (expected CHECK ({e}))",
                named("check constraint")
            ),
            CheckAdded => write!(
                f,
                "{} was added (found CHECK ({found}))",
                named("check constraint")
            ),
        }
    }
}

/// What differs between `expected` and `live`, table by table in name order; empty when they
/// are the same schema (see the module's notes for what is not a difference).
pub fn drift(expected: &Schema, live: &Schema) -> Vec<Drifted> {
    analyse(expected, live)
        .into_iter()
        .map(|item| item.drifted)
        .collect()
}

/// The statements (without their `;`) that remove the differences `drifted` (of
/// [`drift`]`(expected, live)`; others are ignored) from the live database, on `dialect`. A
/// renamed column is renamed back (`ALTER TABLE t RENAME COLUMN found TO expected`); the rest
/// is written as autogenerate writes a migration, so some statements may have to run outside a
/// transaction (PostgreSQL's `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`) and a SQLite
/// table that must change a column or a constraint is rebuilt with its rows.
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

/// A column renamed in the live schema.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rename {
    table: String,
    /// The live name.
    from: String,
    /// The expected name.
    to: String,
}

/// One difference, with what repairs it: a rename, or changes of [`diff`] (between the live
/// schema with every rename undone and the expected one).
#[derive(Debug, Clone)]
struct Item {
    drifted: Drifted,
    rename: Option<Rename>,
    changes: Vec<Change>,
}

/// The differences between `expected` and `live`, each with what repairs it.
fn analyse(expected: &Schema, live: &Schema) -> Vec<Item> {
    let renames = renames(&diff(live, expected));
    let mut renamed = live.clone();
    for r in &renames {
        rename(&mut renamed, r);
    }
    let mut items: Vec<Item> = renames
        .into_iter()
        .map(|r| Item {
            drifted: Drifted {
                kind: DriftKind::ColumnRenamed,
                table: r.table.clone(),
                object: Some(r.to.clone()),
                expected: Some(r.to.clone()),
                found: Some(r.from.clone()),
            },
            rename: Some(r),
            changes: Vec::new(),
        })
        .collect();
    items.extend(group(diff(&renamed, expected)));
    // Table by table; within a table, in the diff's order (renames first).
    items.sort_by(|a, b| a.drifted.table.cmp(&b.drifted.table));
    items
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
fn renames(changes: &[Change]) -> Vec<Rename> {
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
fn rename(schema: &mut Schema, r: &Rename) {
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
fn group(changes: Vec<Change>) -> Vec<Item> {
    let mut items = Vec::new();
    let mut used = vec![false; changes.len()];
    let item = |kind, table: &str, object: Option<&str>, expected, found, changes| Item {
        drifted: Drifted {
            kind,
            table: table.to_string(),
            object: object.map(str::to_string),
            expected,
            found,
        },
        rename: None,
        changes,
    };
    for (i, change) in changes.iter().enumerate() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let one = vec![change.clone()];
        use DriftKind::*;
        match change {
            Change::DropTable(t) => items.push(item(
                TableAdded,
                &t.name,
                None,
                None,
                Some(table_desc(t)),
                one,
            )),
            Change::AddTable(t) => items.push(item(
                TableDropped,
                &t.name,
                None,
                Some(table_desc(t)),
                None,
                one,
            )),
            Change::DropColumn(t, c) => items.push(item(
                ColumnAdded,
                t,
                Some(&c.name),
                None,
                Some(column_desc(c)),
                one,
            )),
            Change::AddColumn(t, c) => items.push(item(
                ColumnDropped,
                t,
                Some(&c.name),
                Some(column_desc(c)),
                None,
                one,
            )),
            Change::AlterColumn { table, from, to } => {
                let partial = |edit: &dyn Fn(&mut Column)| {
                    let mut to = from.clone();
                    edit(&mut to);
                    vec![Change::AlterColumn {
                        table: table.clone(),
                        from: from.clone(),
                        to,
                    }]
                };
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
            }
            Change::DropPrimaryKey(t, live) | Change::AddPrimaryKey(t, live) => {
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
                items.push(item(
                    PrimaryKeyChanged,
                    t,
                    object,
                    wanted.map(key_desc),
                    found.map(key_desc),
                    all,
                ));
            }
            Change::DropIndex(t, live) => {
                let other = changes.iter().enumerate().skip(i + 1).find(|(j, c)| {
                    !used[*j]
                        && matches!(c, Change::AddIndex(ct, ix) if ct == t && ix.name == live.name)
                });
                match other {
                    Some((j, Change::AddIndex(_, wanted))) => {
                        used[j] = true;
                        items.push(item(
                            IndexChanged,
                            t,
                            Some(&live.name),
                            Some(index_desc(wanted)),
                            Some(index_desc(live)),
                            vec![change.clone(), changes[j].clone()],
                        ));
                    }
                    _ => items.push(item(
                        IndexAdded,
                        t,
                        Some(&live.name),
                        None,
                        Some(index_desc(live)),
                        one,
                    )),
                }
            }
            Change::AddIndex(t, wanted) => {
                // An index changed under its name was paired with its drop, which comes first.
                items.push(item(
                    IndexDropped,
                    t,
                    Some(&wanted.name),
                    Some(index_desc(wanted)),
                    None,
                    one,
                ))
            }
            Change::DropUnique(t, k) => items.push(item(
                UniqueAdded,
                t,
                k.name.as_deref(),
                None,
                Some(key_desc(k)),
                one,
            )),
            Change::AddUnique(t, k) => items.push(item(
                UniqueDropped,
                t,
                k.name.as_deref(),
                Some(key_desc(k)),
                None,
                one,
            )),
            Change::DropForeignKey(t, k) => items.push(item(
                ForeignKeyAdded,
                t,
                k.name.as_deref(),
                None,
                Some(foreign_key_desc(k)),
                one,
            )),
            Change::AddForeignKey(t, k) => items.push(item(
                ForeignKeyDropped,
                t,
                k.name.as_deref(),
                Some(foreign_key_desc(k)),
                None,
                one,
            )),
            Change::DropCheck(t, c) => items.push(item(
                CheckAdded,
                t,
                c.name.as_deref(),
                None,
                Some(c.expression.clone()),
                one,
            )),
            Change::AddCheck(t, c) => items.push(item(
                CheckDropped,
                t,
                c.name.as_deref(),
                Some(c.expression.clone()),
                None,
                one,
            )),
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tables::Check;
    use crate::schema::types::{Default, Type};

    fn column(name: &str, ty: Type) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            autoincrement: false,
        }
    }

    /// devices (id, name) and ports (id, device_id → devices, name, speed), an index on
    /// ports (device_id), a check on speed.
    fn expected() -> Schema {
        let devices = Table {
            name: "devices".into(),
            columns: vec![
                Column {
                    nullable: false,
                    ..column("id", Type::Integer)
                },
                column("name", Type::Varchar(64)),
            ],
            primary_key: Some(Key {
                name: None,
                columns: vec!["id".into()],
            }),
            ..Table::default()
        };
        let ports = Table {
            name: "ports".into(),
            columns: vec![
                Column {
                    nullable: false,
                    ..column("id", Type::Integer)
                },
                column("device_id", Type::Integer),
                Column {
                    nullable: false,
                    default: Some(Default::Text("eth".into())),
                    ..column("name", Type::Varchar(32))
                },
                column("speed", Type::Integer),
            ],
            primary_key: Some(Key {
                name: None,
                columns: vec!["id".into()],
            }),
            indexes: vec![Index {
                name: "ix_ports_device_id".into(),
                columns: vec!["device_id".into()],
                unique: false,
            }],
            foreign_keys: vec![ForeignKey {
                name: None,
                columns: vec!["device_id".into()],
                ref_table: "devices".into(),
                ref_columns: vec!["id".into()],
                on_delete: None,
            }],
            checks: vec![Check::new(Some("ck_speed".into()), "speed > 0")],
            ..Table::default()
        };
        Schema {
            tables: [("devices".into(), devices), ("ports".into(), ports)].into(),
        }
    }

    fn ports(schema: &mut Schema) -> &mut Table {
        schema.tables.get_mut("ports").unwrap()
    }

    fn said(expected: &Schema, live: &Schema) -> Vec<String> {
        drift(expected, live)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_same_schema_has_no_drift() {
        assert_eq!(drift(&expected(), &expected()), vec![]);
        // Generated names and the order of keys are no drift.
        let mut live = expected();
        ports(&mut live).checks[0].found = Some(crate::schema::tables::FoundCheck {
            name: "ck_speed".into(),
            column: None,
        });
        ports(&mut live).foreign_keys[0].name = None;
        assert_eq!(drift(&expected(), &live), vec![]);
    }

    #[test]
    fn each_kind_is_said_in_words() {
        type Edit = fn(&mut Schema);
        let cases: Vec<(Edit, &str)> = vec![
            (
                |s| ports(s).indexes.clear(),
                "index ix_ports_device_id on ports was dropped (expected on columns device_id)",
            ),
            (
                |s| ports(s).indexes[0].columns.push("name".into()),
                "index ix_ports_device_id on ports changed (expected on columns device_id, found on columns device_id, name)",
            ),
            (
                |s| ports(s).columns[3].ty = Type::BigInt,
                "column speed on ports changed type (expected INTEGER, found BIGINT)",
            ),
            (
                |s| ports(s).columns[2].default = None,
                "column name on ports changed default (expected 'eth', found no default)",
            ),
            (
                |s| ports(s).columns[2].nullable = true,
                "column name on ports lost its NOT NULL (expected NOT NULL, found NULL)",
            ),
            (
                |s| ports(s).foreign_keys.clear(),
                "foreign key on ports was dropped (expected (device_id) REFERENCES devices (id))",
            ),
            (
                |s| ports(s).checks.clear(),
                "check constraint ck_speed on ports was dropped (expected CHECK (speed > 0))",
            ),
            (
                |s| ports(s).columns.push(column("mtu", Type::Integer)),
                "column mtu on ports was added (found INTEGER)",
            ),
            (
                |s| {
                    s.tables.remove("devices");
                }, // and with it nothing else: the foreign key stays in the model
                "table devices was dropped (expected with columns id, name)",
            ),
            (
                |s| {
                    let p = ports(s);
                    p.columns[3].name = "rate".into();
                    p.checks[0].expression = "rate > 0".into();
                },
                "column speed on ports was renamed to rate (expected speed, found rate)",
            ),
        ];
        for (edit, sentence) in cases {
            let mut live = expected();
            edit(&mut live);
            assert_eq!(said(&expected(), &live), vec![sentence.to_string()]);
        }
    }

    #[test]
    fn a_rename_needs_one_candidate_each_way() {
        // Two columns of one definition gone, one added: a drop and an add, not a guess.
        let mut live = expected();
        let p = ports(&mut live);
        p.columns
            .retain(|c| c.name != "speed" && c.name != "device_id");
        p.columns.push(column("rate", Type::Integer));
        p.indexes.clear();
        p.foreign_keys.clear();
        p.checks.clear();
        let kinds: Vec<DriftKind> = drift(&expected(), &live).iter().map(|d| d.kind).collect();
        assert!(!kinds.contains(&DriftKind::ColumnRenamed), "{kinds:?}");
        assert!(kinds.contains(&DriftKind::ColumnAdded), "{kinds:?}");
    }

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

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
//! spelling of a check's expression (see `schema/checks/`), and the order of columns: a
//! column added back by hand after a rebuild lands last, and no query the application makes
//! by column name sees the difference, so it is not reported.

mod group;
mod kinds;
mod renames;
mod repair;

use super::diff::{Change, diff};
use super::tables::Schema;
use group::group;
use renames::{Rename, rename, renames};

pub use kinds::{DriftKind, Drifted};
pub use repair::repair_sql;

/// What differs between `expected` and `live`, table by table in name order; empty when they
/// are the same schema (see the module's notes for what is not a difference).
pub fn drift(expected: &Schema, live: &Schema) -> Vec<Drifted> {
    analyse(expected, live)
        .into_iter()
        .map(|item| item.drifted)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tables::{Check, Column, ForeignKey, Index, Key, Table};
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
    pub(super) fn expected() -> Schema {
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

    pub(super) fn ports(schema: &mut Schema) -> &mut Table {
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
}

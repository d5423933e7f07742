//! The backend-neutral model of a schema's tables: what introspection reads, the diff compares
//! and the engine records (see [`Schema::to_record`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::types::{Default, Type};

/// Every table of a database (the version tables excluded), by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// The tables, by name.
    pub tables: BTreeMap<String, Table>,
}

/// One table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// The columns, in table order.
    pub columns: Vec<Column>,
    /// The primary key, if any.
    pub primary_key: Option<Key>,
    /// Unique constraints.
    pub uniques: Vec<Key>,
    /// Indexes created by name (not those backing a key or a foreign key).
    pub indexes: Vec<Index>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// CHECK constraints (not the one that makes a SQLite column an enumeration, see
    /// [`Type::Enum`], nor a `CHECK (column IS NOT NULL)`, which is the column's nullability).
    pub checks: Vec<Check>,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A primary key or unique constraint: its columns, and its name unless the database made it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The name given in the schema; `None` when the database generated it.
    pub name: Option<String>,
    /// The columns, in key order.
    pub columns: Vec<String>,
}

/// A named index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The index's name.
    pub name: String,
    /// The indexed columns, in order.
    pub columns: Vec<String>,
    /// Whether it is a unique index.
    pub unique: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The name given in the schema; `None` when the database generated it.
    pub name: Option<String>,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON DELETE` action other than the default (`CASCADE`, `SET NULL`, ...).
    pub on_delete: Option<String>,
}

impl ForeignKey {
    /// Whether two foreign keys constrain the same thing (names aside).
    pub fn same_as(&self, other: &ForeignKey) -> bool {
        self.columns == other.columns
            && self.ref_table == other.ref_table
            && self.ref_columns == other.ref_columns
            && self.on_delete == other.on_delete
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// Its default, if any.
    pub default: Option<Default>,
    /// Whether the database numbers new rows itself (SERIAL, AUTO_INCREMENT, SQLite's rowid).
    pub autoincrement: bool,
}

/// A CHECK constraint.
///
/// Two checks are the same when their names and expressions are (the diff compares
/// expressions only, as it compares keys by their columns).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// The name given in the schema; `None` when the database generated it.
    pub name: Option<String>,
    /// The expression, normalized: the same constraint reads the same however it was spelled
    /// (see the notes of `schema/checks/`).
    pub expression: String,
    /// Where introspection found it: what dropping it needs. Neither compared nor recorded.
    #[serde(skip)]
    pub(crate) found: Option<FoundCheck>,
}

/// Where a database keeps a check: its actual name, and, on MariaDB, the column whose
/// definition holds it (such a check goes with a `MODIFY` of the column, not by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundCheck {
    /// The constraint's name in the database (generated or not). SQLite, which rebuilds a
    /// table to drop a check, tells none.
    pub name: String,
    /// MariaDB: the column whose definition holds the check.
    pub column: Option<String>,
}

impl Check {
    /// A check named `name` (`None` for a name the database generates) on `expression`, which
    /// the model keeps normalized.
    pub fn new(name: Option<String>, expression: impl Into<String>) -> Check {
        Check {
            name,
            expression: expression.into(),
            found: None,
        }
    }
}

impl PartialEq for Check {
    fn eq(&self, other: &Check) -> bool {
        self.name == other.name && self.expression == other.expression
    }
}

impl Eq for Check {}

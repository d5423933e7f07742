//! The backend-neutral model of a schema's tables: what introspection reads and the diff
//! compares.

use std::collections::BTreeMap;

use super::types::{Default, Type};

/// Every table of a database (the version tables excluded), by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// The tables, by name.
    pub tables: BTreeMap<String, Table>,
}

/// One table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A primary key or unique constraint: its columns, and its name unless the database made it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The name given in the schema; `None` when the database generated it.
    pub name: Option<String>,
    /// The columns, in key order.
    pub columns: Vec<String>,
}

/// A named index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The index's name.
    pub name: String,
    /// The indexed columns, in order.
    pub columns: Vec<String>,
    /// Whether it is a unique index.
    pub unique: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

//! The kinds of difference drift reports, and each difference said in one sentence.

use std::fmt;

use serde::Serialize;

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

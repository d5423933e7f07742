//! The rows a schema's tables hold, as a checkpoint carries them: read as text, written back as
//! `INSERT` statements whose literals read back the same under any session setting, with the
//! counters of auto-increment columns where the history left them (a row deleted leaves its id
//! used); and a snapshot of the same to compare two databases by.

use super::identifiers::quote;
use super::render::referenced_first;
use super::tables::{Schema, Table};
use crate::backend::{Backend, BackendError};
use crate::revision::Dialect;

/// Rows written to one `INSERT` statement.
#[cfg(feature = "cli")]
const ROWS_PER_STATEMENT: usize = 100;

/// One table's rows, each value as text (NULL as `None`), its columns in table order.
struct TableRows {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

/// The rows of `schema`'s tables on `db`, a table after the tables it references, each table's
/// rows in key order.
pub(crate) struct Rows {
    tables: Vec<TableRows>,
    /// Each auto-increment counter the history moved: what it is, and the statements that set
    /// it again after the rows are in (none for SQLite's `AUTOINCREMENT`, see
    /// `Rows::unwritable`).
    counters: Vec<(String, Vec<String>)>,
}

impl Rows {
    /// Reads every row of `schema`'s tables from `db`.
    pub(crate) fn read(db: &mut dyn Backend, schema: &Schema) -> Result<Rows, BackendError> {
        let dialect = db.dialect();
        let tables: Vec<&Table> = schema.tables.values().collect();
        let mut rows = Rows {
            tables: Vec::new(),
            counters: Vec::new(),
        };
        for table in referenced_first(&tables) {
            let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            let read = db
                .query_text(&[&select(table, dialect)])?
                .into_iter()
                .next()
                .unwrap_or_default();
            if !read.is_empty() {
                rows.tables.push(TableRows {
                    name: table.name.clone(),
                    columns,
                    rows: read,
                });
            }
            for column in table.columns.iter().filter(|c| c.autoincrement) {
                if let Some(counter) = counter(db, &table.name, &column.name)? {
                    rows.counters.push(counter);
                }
            }
        }
        Ok(rows)
    }

    /// How many rows there are in all.
    #[cfg(feature = "cli")]
    pub(crate) fn count(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }

    /// The tables holding rows, each with its count.
    #[cfg(feature = "cli")]
    pub(crate) fn tables(&self) -> Vec<(String, usize)> {
        self.tables
            .iter()
            .map(|t| (t.name.clone(), t.rows.len()))
            .collect()
    }

    /// The tables whose counters no statement can set again on this dialect: SQLite tables
    /// made with `AUTOINCREMENT` (a `sqlite_sequence` row), a keyword the schema model does not
    /// keep.
    #[cfg(feature = "cli")]
    pub(crate) fn unwritable(&self) -> Vec<String> {
        self.counters
            .iter()
            .filter(|(_, set)| set.is_empty())
            .map(|(counter, _)| counter.split('.').next().unwrap_or_default().to_string())
            .collect()
    }

    /// The statements that put these rows (and counters) into empty tables on `dialect`.
    #[cfg(feature = "cli")]
    pub(crate) fn statements(&self, dialect: Dialect) -> Vec<String> {
        let mut out = Vec::new();
        for table in &self.tables {
            let names: Vec<String> = table.columns.iter().map(|c| quote(c, dialect)).collect();
            for chunk in table.rows.chunks(ROWS_PER_STATEMENT) {
                let values: Vec<String> = chunk
                    .iter()
                    .map(|row| {
                        let literals: Vec<String> = row
                            .iter()
                            .map(|v| match v {
                                None => "NULL".to_string(),
                                Some(text) => dialect.string_literal(text),
                            })
                            .collect();
                        format!("({})", literals.join(", "))
                    })
                    .collect();
                out.push(format!(
                    "INSERT INTO {} ({}) VALUES\n    {}",
                    quote(&table.name, dialect),
                    names.join(", "),
                    values.join(",\n    ")
                ));
            }
        }
        out.extend(
            self.counters
                .iter()
                .flat_map(|(_, set)| set.iter().cloned()),
        );
        out
    }

    /// Every row and counter as a line of text, sorted: what two databases are compared by.
    pub(crate) fn snapshot(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .tables
            .iter()
            .flat_map(|t| {
                t.rows
                    .iter()
                    .map(move |row| format!("{} {:?} {row:?}", t.name, t.columns))
            })
            .chain(
                self.counters
                    .iter()
                    .map(|(counter, _)| format!("counter {counter}")),
            )
            .collect();
        lines.sort();
        lines
    }
}

/// The query that reads `table`'s rows, its columns in table order, in key order.
fn select(table: &Table, dialect: Dialect) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| quote(&c.name, dialect))
        .collect();
    let order: Vec<String> = match &table.primary_key {
        Some(key) => key.columns.iter().map(|c| quote(c, dialect)).collect(),
        None => columns.clone(),
    };
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        quote(&table.name, dialect),
        order.join(", ")
    )
}

/// Where the counter behind auto-increment column `table.column` stands when the history moved
/// it, and the statements that set it there: PostgreSQL's sequence (`pg_sequences` shows none
/// until a call), MySQL's table option; SQLite's `sqlite_sequence` row (`AUTOINCREMENT`) with
/// none.
fn counter(
    db: &mut dyn Backend,
    table: &str,
    column: &str,
) -> Result<Option<(String, Vec<String>)>, BackendError> {
    let dialect = db.dialect();
    let (name, quoted) = (dialect.string_literal(table), quote(table, dialect));
    let query = match dialect {
        Dialect::Postgresql => format!(
            "SELECT last_value FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename)::regclass = pg_get_serial_sequence({}, {})::regclass",
            dialect.string_literal(&quoted),
            dialect.string_literal(column)
        ),
        Dialect::Sqlite => {
            if !db.table_exists("sqlite_sequence")? {
                return Ok(None);
            }
            format!("SELECT seq FROM sqlite_sequence WHERE name = {name}")
        }
        Dialect::Mysql => format!(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {name}"
        ),
    };
    let value = db
        .query_text(&[&query])?
        .into_iter()
        .next()
        .and_then(|rows| rows.into_iter().next())
        .and_then(|row| row.into_iter().next())
        .flatten();
    let Some(value) = value.filter(|v| v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty())
    else {
        return Ok(None);
    };
    let set = match dialect {
        Dialect::Postgresql => vec![format!(
            "SELECT setval(pg_get_serial_sequence({}, {}), {value})",
            dialect.string_literal(&quoted),
            dialect.string_literal(column)
        )],
        Dialect::Sqlite => Vec::new(),
        Dialect::Mysql if value == "1" => return Ok(None),
        Dialect::Mysql => vec![format!("ALTER TABLE {quoted} AUTO_INCREMENT = {value}")],
    };
    Ok(Some((format!("{table}.{column} {value}"), set)))
}

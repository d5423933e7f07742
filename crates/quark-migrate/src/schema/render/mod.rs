//! Writing the SQL that turns one [`Schema`] into another, for one dialect.
//!
//! The same function writes an upgrade (live → declared) and its downgrade (declared → live).
//! SQLite cannot alter a column or a constraint in place, so a table with such a change is
//! rebuilt with its data, as Alembic's batch mode does.

mod alter;
mod definitions;
mod drops;

use std::collections::{BTreeMap, BTreeSet};

use super::diff::Change;
use super::identifiers::quote;
use super::tables::{ForeignKey, Schema, Table};
use super::types::Type;
use crate::revision::Dialect;

/// One line of rendered output: a statement, or a comment warning about the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A statement, without its `;`.
    Sql(String),
    /// A comment (`-- WARNING: ...`).
    Comment(String),
}

/// `lines` as the text of a section: statements end with `;`, comments keep their own line.
#[cfg(feature = "cli")]
pub fn to_text(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        match line {
            Line::Sql(sql) => {
                out.push_str(sql);
                out.push_str(";\n");
            }
            Line::Comment(text) => {
                out.push_str("-- ");
                out.push_str(text);
                out.push('\n');
            }
        }
    }
    out
}

/// Whether `lines` hold a statement that must run outside a transaction: PostgreSQL's
/// `CREATE INDEX CONCURRENTLY`, which cannot run inside one, and `VALIDATE CONSTRAINT`, whose
/// scan lets writes through only once the `ADD CONSTRAINT ... NOT VALID` before it committed.
/// The revision is then written `Transactional: false`.
#[cfg(feature = "cli")]
pub fn runs_outside_a_transaction(lines: &[Line]) -> bool {
    lines.iter().any(|l| {
        matches!(l, Line::Sql(sql) if sql.contains(" INDEX CONCURRENTLY ") || sql.contains(" VALIDATE CONSTRAINT "))
    })
}

/// A constraint name PostgreSQL accepts: `parts` joined by `_`, cut to 63 bytes.
fn constraint_name_of(parts: &[&str]) -> String {
    let mut name = parts.join("_");
    let mut cut = name.len().min(63);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    name.truncate(cut);
    name
}

/// The statements that make `changes` (those of [`diff`]`(old, new)`) on `dialect`, with a
/// warning before each one that can lose data.
///
/// [`diff`]: super::diff::diff
pub fn render(old: &Schema, new: &Schema, changes: &[Change], dialect: Dialect) -> Vec<Line> {
    Renderer {
        d: dialect,
        old,
        new,
        out: Vec::new(),
    }
    .run(changes)
}

/// The statements written so far for one dialect, and the two schemas between which they go.
struct Renderer<'a> {
    d: Dialect,
    old: &'a Schema,
    new: &'a Schema,
    out: Vec<Line>,
}

/// Whether SQLite must rebuild the table to make this change.
fn needs_rebuild(change: &Change) -> bool {
    match change {
        Change::AddTable(_)
        | Change::DropTable(_)
        | Change::AddIndex(..)
        | Change::DropIndex(..) => false,
        Change::AddColumn(_, c) => !c.nullable && c.default.is_none(),
        _ => true,
    }
}

/// Enum types by name, as PostgreSQL needs them for `schema`.
fn enum_types(schema: &Schema) -> BTreeMap<String, Vec<String>> {
    let mut types = BTreeMap::new();
    for t in schema.tables.values() {
        for c in &t.columns {
            if let Type::Enum { values, .. } = &c.ty {
                types.insert(c.ty.enum_type_name(&t.name, &c.name), values.clone());
            }
        }
    }
    types
}

/// `tables` ordered so that a table comes after the tables (among them) that it references.
pub(crate) fn referenced_first<'t>(tables: &[&'t Table]) -> Vec<&'t Table> {
    fn visit<'t>(
        t: &'t Table,
        all: &[&'t Table],
        seen: &mut BTreeSet<String>,
        out: &mut Vec<&'t Table>,
    ) {
        if !seen.insert(t.name.clone()) {
            return;
        }
        for fk in &t.foreign_keys {
            if let Some(r) = all.iter().find(|r| r.name == fk.ref_table) {
                visit(r, all, seen, out);
            }
        }
        out.push(t);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for t in tables {
        visit(t, tables, &mut seen, &mut out);
    }
    out
}

impl Renderer<'_> {
    /// Writes a statement.
    fn sql(&mut self, sql: String) {
        self.out.push(Line::Sql(sql));
    }

    /// Writes the warning that `change` can lose data, if it can.
    fn warn(&mut self, change: &Change) {
        if let Some(why) = change.data_loss() {
            self.out.push(Line::Comment(format!("WARNING: {why}")));
        }
    }

    /// `name` quoted as an identifier where needed.
    fn q(&self, name: &str) -> String {
        quote(name, self.d)
    }

    /// `columns` quoted and comma-separated.
    fn cols(&self, columns: &[String]) -> String {
        columns
            .iter()
            .map(|c| self.q(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The statements of `changes`, in an order each dialect accepts: enum types first,
    /// constraints and indexes before the tables and columns they use, foreign keys last.
    fn run(mut self, changes: &[Change]) -> Vec<Line> {
        let dropped: BTreeSet<&str> = dropped_tables(changes)
            .into_iter()
            .map(|t| t.name.as_str())
            .collect();
        let rebuilt = self.rebuilt_tables(changes);
        let (old_types, new_types) = (enum_types(self.old), enum_types(self.new));
        let replaced_types = self.create_enum_types(&old_types, &new_types);
        let kept: Vec<&Change> = changes
            .iter()
            .filter(|c| !dropped.contains(c.table()) && !rebuilt.contains(c.table()))
            .collect();
        let borrowed = self.borrowed_foreign_keys(changes);
        self.drop_constraints(&kept, &borrowed);
        self.drop_tables(changes);
        self.add_tables(changes);
        for name in &rebuilt {
            if !dropped.contains(name) {
                let lossy: Vec<&Change> = changes.iter().filter(|c| c.table() == *name).collect();
                self.rebuild(name, &lossy);
            }
        }
        self.alter_tables(changes, &rebuilt);
        self.add_foreign_keys(changes, &rebuilt, &borrowed);
        self.drop_enum_types(&old_types, &new_types, replaced_types);
        self.out
    }

    /// SQLite: the tables that a change of `changes` makes it rebuild.
    fn rebuilt_tables<'c>(&self, changes: &'c [Change]) -> BTreeSet<&'c str> {
        if self.d != Dialect::Sqlite {
            return BTreeSet::new();
        }
        changes
            .iter()
            .filter(|c| needs_rebuild(c))
            .map(Change::table)
            .collect()
    }

    /// PostgreSQL: creates the enum types that are new or whose values change (the old type
    /// renamed out of the way); returns the renamed types, to drop at the end.
    fn create_enum_types(
        &mut self,
        old_types: &BTreeMap<String, Vec<String>>,
        new_types: &BTreeMap<String, Vec<String>>,
    ) -> Vec<String> {
        let mut replaced_types = Vec::new();
        if self.d != Dialect::Postgresql {
            return replaced_types;
        }
        for (name, values) in new_types {
            match old_types.get(name) {
                Some(before) if before == values => continue,
                Some(_) => {
                    let old_name = format!("{name}_old");
                    self.sql(format!(
                        "ALTER TYPE {} RENAME TO {}",
                        self.q(name),
                        self.q(&old_name)
                    ));
                    replaced_types.push(old_name);
                }
                None => {}
            }
            let labels: Vec<String> = values.iter().map(|v| self.d.string_literal(v)).collect();
            self.sql(format!(
                "CREATE TYPE {} AS ENUM ({})",
                self.q(name),
                labels.join(", ")
            ));
        }
        replaced_types
    }

    /// Drops the constraints and indexes that go from the tables that stay (`kept` changes), so
    /// that the columns and tables they use can go: foreign keys, then the keys, checks and indexes
    /// (InnoDB refuses to drop an index a foreign key uses, so such a foreign key, `borrowed`,
    /// is dropped too and added back afterwards).
    fn drop_constraints(&mut self, kept: &[&Change], borrowed: &[(String, ForeignKey)]) {
        for c in kept {
            if let Change::DropForeignKey(t, fk) = c {
                self.drop_foreign_key(t, fk);
            }
        }
        for (t, fk) in borrowed {
            self.drop_foreign_key(t, fk);
        }
        for c in kept {
            match c {
                Change::DropIndex(t, ix) => self.drop_index(t, ix),
                Change::DropUnique(t, k) => self.drop_unique(t, k),
                Change::DropPrimaryKey(t, k) => self.drop_primary_key(t, k),
                Change::DropCheck(t, check) => self.drop_check(t, check, kept),
                _ => {}
            }
        }
    }

    /// Drops the tables that go, each after the tables (among them) that reference it.
    fn drop_tables(&mut self, changes: &[Change]) {
        for t in referenced_first(&dropped_tables(changes)).into_iter().rev() {
            self.warn(&Change::DropTable(t.clone()));
            self.sql(format!("DROP TABLE {}", self.q(&t.name)));
        }
    }

    /// Creates the new tables with their indexes, each after the tables (among them) it
    /// references.
    fn add_tables(&mut self, changes: &[Change]) {
        let added: Vec<&Table> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddTable(t) => Some(t),
                _ => None,
            })
            .collect();
        for t in referenced_first(&added) {
            self.sql(self.create_table(t, &t.name));
            for ix in &t.indexes {
                self.create_index(&t.name, ix, false);
            }
        }
    }

    /// Changes the tables that stay in place (not `rebuilt`): columns, keys and indexes.
    fn alter_tables(&mut self, changes: &[Change], rebuilt: &BTreeSet<&str>) {
        for c in changes {
            if rebuilt.contains(c.table()) {
                continue;
            }
            match c {
                Change::AddColumn(t, col) => {
                    self.warn(c);
                    let def = self.column(t, col);
                    self.sql(format!("ALTER TABLE {} ADD COLUMN {def}", self.q(t)));
                }
                Change::DropColumn(t, col) => {
                    self.warn(c);
                    self.sql(format!(
                        "ALTER TABLE {} DROP COLUMN {}",
                        self.q(t),
                        self.q(&col.name)
                    ));
                }
                Change::AlterColumn { table, from, to } => {
                    self.warn(c);
                    self.alter_column(table, from, to);
                }
                Change::AddPrimaryKey(t, k) => self.sql(format!(
                    "ALTER TABLE {} ADD {}PRIMARY KEY ({})",
                    self.q(t),
                    self.constraint_name(&k.name),
                    self.cols(&k.columns)
                )),
                Change::AddUnique(t, k) => self.sql(format!(
                    "ALTER TABLE {} ADD {}UNIQUE ({})",
                    self.q(t),
                    self.constraint_name(&k.name),
                    self.cols(&k.columns)
                )),
                // An existing table keeps taking writes while its index builds.
                Change::AddIndex(t, ix) => self.create_index(t, ix, true),
                Change::AddCheck(t, check) => {
                    self.warn(c);
                    self.add_check(t, check);
                }
                _ => {}
            }
        }
    }

    /// Adds the new foreign keys of tables not `rebuilt`, and adds back the `borrowed` ones.
    fn add_foreign_keys(
        &mut self,
        changes: &[Change],
        rebuilt: &BTreeSet<&str>,
        borrowed: &[(String, ForeignKey)],
    ) {
        let added_keys = changes.iter().filter_map(|c| match c {
            Change::AddForeignKey(t, fk) if !rebuilt.contains(t.as_str()) => Some((t, fk)),
            _ => None,
        });
        for (t, fk) in added_keys.chain(borrowed.iter().map(|(t, fk)| (t, fk))) {
            if self.d == Dialect::Postgresql {
                self.add_foreign_key_online(t, fk);
                continue;
            }
            let clause = self.foreign_key(fk);
            self.sql(format!("ALTER TABLE {} ADD {clause}", self.q(t)));
        }
    }

    /// PostgreSQL: drops the enum types that go, and those `replaced`.
    fn drop_enum_types(
        &mut self,
        old_types: &BTreeMap<String, Vec<String>>,
        new_types: &BTreeMap<String, Vec<String>>,
        replaced: Vec<String>,
    ) {
        if self.d != Dialect::Postgresql {
            return;
        }
        for name in old_types.keys().filter(|n| !new_types.contains_key(*n)) {
            self.sql(format!("DROP TYPE {}", self.q(name)));
        }
        for name in replaced {
            self.sql(format!("DROP TYPE {}", self.q(&name)));
        }
    }
}

/// The tables `changes` drop.
fn dropped_tables(changes: &[Change]) -> Vec<&Table> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t),
            _ => None,
        })
        .collect()
}

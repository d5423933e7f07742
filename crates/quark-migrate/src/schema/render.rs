//! Writing the SQL that turns one [`Schema`] into another, for one dialect.
//!
//! The same function writes an upgrade (live → declared) and its downgrade (declared → live).
//! SQLite cannot alter a column or a constraint in place, so a table with such a change is
//! rebuilt with its data, as Alembic's batch mode does.

use std::collections::{BTreeMap, BTreeSet};

use super::diff::Change;
use super::model::{Column, ForeignKey, Index, Key, Schema, Table, Type, quote};
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
fn referenced_first<'t>(tables: &[&'t Table]) -> Vec<&'t Table> {
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
    fn sql(&mut self, sql: String) {
        self.out.push(Line::Sql(sql));
    }

    fn warn(&mut self, change: &Change) {
        if let Some(why) = change.data_loss() {
            self.out.push(Line::Comment(format!("WARNING: {why}")));
        }
    }

    fn q(&self, name: &str) -> String {
        quote(name, self.d)
    }

    fn cols(&self, columns: &[String]) -> String {
        columns
            .iter()
            .map(|c| self.q(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn run(mut self, changes: &[Change]) -> Vec<Line> {
        let sqlite = self.d == Dialect::Sqlite;
        let dropped: BTreeSet<&str> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DropTable(t) => Some(t.name.as_str()),
                _ => None,
            })
            .collect();
        let rebuilt: BTreeSet<&str> = if sqlite {
            changes
                .iter()
                .filter(|c| needs_rebuild(c))
                .map(Change::table)
                .collect()
        } else {
            BTreeSet::new()
        };
        let (old_types, new_types) = (enum_types(self.old), enum_types(self.new));
        let mut replaced_types = Vec::new();
        if self.d == Dialect::Postgresql {
            for (name, values) in &new_types {
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
        }
        // Constraints and indexes go first, so that the columns and tables they use can go:
        // foreign keys, then the keys and indexes (InnoDB refuses to drop an index a foreign
        // key uses, so such a foreign key is dropped too and added back afterwards).
        let kept = |c: &&Change| !dropped.contains(c.table()) && !rebuilt.contains(c.table());
        let borrowed = self.borrowed_foreign_keys(changes);
        for c in changes.iter().filter(kept) {
            if let Change::DropForeignKey(t, fk) = c {
                self.drop_foreign_key(t, fk);
            }
        }
        for (t, fk) in &borrowed {
            self.drop_foreign_key(t, fk);
        }
        for c in changes.iter().filter(kept) {
            match c {
                Change::DropIndex(t, ix) => self.drop_index(t, ix),
                Change::DropUnique(t, k) => self.drop_unique(t, k),
                Change::DropPrimaryKey(t, k) => self.drop_primary_key(t, k),
                _ => {}
            }
        }
        let gone: Vec<&Table> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DropTable(t) => Some(t),
                _ => None,
            })
            .collect();
        for t in referenced_first(&gone).into_iter().rev() {
            self.warn(&Change::DropTable(t.clone()));
            self.sql(format!("DROP TABLE {}", self.q(&t.name)));
        }
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
        for name in &rebuilt {
            if !dropped.contains(name) {
                let lossy: Vec<&Change> = changes.iter().filter(|c| c.table() == *name).collect();
                self.rebuild(name, &lossy);
            }
        }
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
                _ => {}
            }
        }
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
        if self.d == Dialect::Postgresql {
            for name in old_types.keys().filter(|n| !new_types.contains_key(*n)) {
                self.sql(format!("DROP TYPE {}", self.q(name)));
            }
            for name in replaced_types {
                self.sql(format!("DROP TYPE {}", self.q(&name)));
            }
        }
        self.out
    }

    /// MySQL: the foreign keys that stay but use an index, unique or primary key that goes
    /// (their columns lead its columns).
    fn borrowed_foreign_keys(&self, changes: &[Change]) -> Vec<(String, ForeignKey)> {
        let mut out: Vec<(String, ForeignKey)> = Vec::new();
        if self.d != Dialect::Mysql {
            return out;
        }
        for c in changes {
            let (t, columns) = match c {
                Change::DropIndex(t, ix) => (t, &ix.columns),
                Change::DropUnique(t, k) | Change::DropPrimaryKey(t, k) => (t, &k.columns),
                _ => continue,
            };
            let (Some(old), Some(new)) = (self.old.tables.get(t), self.new.tables.get(t)) else {
                continue;
            };
            for fk in &old.foreign_keys {
                let stays = new.foreign_keys.iter().any(|n| n.same_as(fk));
                let known = out.iter().any(|(ot, o)| ot == t && o.same_as(fk));
                if stays && !known && columns.starts_with(&fk.columns) {
                    out.push((t.clone(), fk.clone()));
                }
            }
        }
        out
    }

    /// PostgreSQL: a foreign key on a table that holds rows, added `NOT VALID` (a brief lock)
    /// and then validated (a scan that lets writes through; the revision runs outside a
    /// transaction, see [`runs_outside_a_transaction`]), named so that it can be validated.
    fn add_foreign_key_online(&mut self, table: &str, fk: &ForeignKey) {
        let mut named = fk.clone();
        let name = named.name.get_or_insert_with(|| {
            let mut parts = vec![table];
            parts.extend(fk.columns.iter().map(String::as_str));
            parts.push("fkey");
            constraint_name_of(&parts)
        });
        let (t, n) = (self.q(table), self.q(name));
        let clause = self.foreign_key(&named);
        self.sql(format!("ALTER TABLE {t} ADD {clause} NOT VALID"));
        self.sql(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {n}"));
    }

    fn constraint_name(&self, name: &Option<String>) -> String {
        name.as_ref()
            .map(|n| format!("CONSTRAINT {} ", self.q(n)))
            .unwrap_or_default()
    }

    /// A column's definition as in `CREATE TABLE` and `ADD COLUMN`.
    fn column(&self, table: &str, c: &Column) -> String {
        let serial = c.autoincrement && self.d == Dialect::Postgresql;
        let ty = match (&c.ty, serial) {
            (Type::SmallInt, true) => "SMALLSERIAL".to_string(),
            (Type::Integer, true) => "SERIAL".to_string(),
            (Type::BigInt, true) => "BIGSERIAL".to_string(),
            (ty, _) => ty.render(self.d, table, &c.name),
        };
        let mut def = format!("{} {ty}", self.q(&c.name));
        if !c.nullable {
            def.push_str(" NOT NULL");
        }
        if let Some(default) = c.default.as_ref().filter(|_| !serial) {
            def.push_str(" DEFAULT ");
            def.push_str(&default.render(self.d));
        }
        if c.autoincrement && self.d == Dialect::Mysql {
            def.push_str(" AUTO_INCREMENT");
        }
        def
    }

    fn foreign_key(&self, fk: &ForeignKey) -> String {
        let mut clause = format!(
            "{}FOREIGN KEY ({}) REFERENCES {} ({})",
            self.constraint_name(&fk.name),
            self.cols(&fk.columns),
            self.q(&fk.ref_table),
            self.cols(&fk.ref_columns)
        );
        if let Some(action) = &fk.on_delete {
            clause.push_str(" ON DELETE ");
            clause.push_str(action);
        }
        clause
    }

    fn create_table(&self, t: &Table, name: &str) -> String {
        let mut parts: Vec<String> = t.columns.iter().map(|c| self.column(&t.name, c)).collect();
        if let Some(k) = &t.primary_key {
            parts.push(format!(
                "{}PRIMARY KEY ({})",
                self.constraint_name(&k.name),
                self.cols(&k.columns)
            ));
        }
        for k in &t.uniques {
            parts.push(format!(
                "{}UNIQUE ({})",
                self.constraint_name(&k.name),
                self.cols(&k.columns)
            ));
        }
        for fk in &t.foreign_keys {
            parts.push(self.foreign_key(fk));
        }
        format!(
            "CREATE TABLE {} (\n    {}\n)",
            self.q(name),
            parts.join(",\n    ")
        )
    }

    /// `CREATE INDEX`; `online` on a table that already holds rows: PostgreSQL builds it
    /// `CONCURRENTLY` (the revision then runs outside a transaction, see
    /// [`runs_outside_a_transaction`]), MySQL is told `ALGORITHM=INPLACE LOCK=NONE`, so that it
    /// refuses rather than blocks writes.
    fn create_index(&mut self, table: &str, ix: &Index, online: bool) {
        let unique = if ix.unique { "UNIQUE " } else { "" };
        let (concurrently, options) = match (online, self.d) {
            (true, Dialect::Postgresql) => ("CONCURRENTLY ", ""),
            (true, Dialect::Mysql) => ("", " ALGORITHM=INPLACE LOCK=NONE"),
            _ => ("", ""),
        };
        self.sql(format!(
            "CREATE {unique}INDEX {concurrently}{} ON {} ({}){options}",
            self.q(&ix.name),
            self.q(table),
            self.cols(&ix.columns)
        ));
    }

    fn drop_index(&mut self, table: &str, ix: &Index) {
        let sql = match self.d {
            Dialect::Mysql => format!("DROP INDEX {} ON {}", self.q(&ix.name), self.q(table)),
            _ => format!("DROP INDEX {}", self.q(&ix.name)),
        };
        self.sql(sql);
    }

    /// SQLite: a new table with the declared shape, the rows copied, the old table replaced.
    fn rebuild(&mut self, name: &str, changes: &[&Change]) {
        let (Some(old), Some(new)) = (self.old.tables.get(name), self.new.tables.get(name)) else {
            return;
        };
        for c in changes {
            self.warn(c);
        }
        let temp = format!("_quark_rebuild_{name}");
        self.sql(self.create_table(new, &temp));
        let kept: Vec<String> = new
            .columns
            .iter()
            .filter(|c| old.column(&c.name).is_some())
            .map(|c| c.name.clone())
            .collect();
        if !kept.is_empty() {
            let cols = self.cols(&kept);
            self.sql(format!(
                "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
                self.q(&temp),
                self.q(name)
            ));
        }
        self.sql(format!("DROP TABLE {}", self.q(name)));
        self.sql(format!(
            "ALTER TABLE {} RENAME TO {}",
            self.q(&temp),
            self.q(name)
        ));
        for ix in &new.indexes {
            self.create_index(name, ix, false);
        }
    }

    fn alter_column(&mut self, table: &str, from: &Column, to: &Column) {
        let t = self.q(table);
        let c = self.q(&to.name);
        if self.d == Dialect::Mysql {
            let def = self.column(table, to);
            self.sql(format!("ALTER TABLE {t} MODIFY {def}"));
            return;
        }
        let retyped = !from.ty.same_as(&to.ty);
        if from.default.is_some() && (retyped || from.default != to.default) {
            self.sql(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"));
        }
        if retyped {
            let ty = to.ty.render(self.d, table, &to.name);
            let via_text =
                matches!(from.ty, Type::Enum { .. }) || matches!(to.ty, Type::Enum { .. });
            let cast = if via_text { "::text" } else { "" };
            self.sql(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING {c}{cast}::{ty}"
            ));
        }
        if let Some(default) = &to.default
            && (retyped || from.default.as_ref() != Some(default))
        {
            self.sql(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}",
                default.render(self.d)
            ));
        }
        if from.nullable && !to.nullable {
            // A validated check proves the column holds no NULL, so SET NOT NULL skips its
            // scan under an exclusive lock; the check goes once it has served.
            let check = self.q(&constraint_name_of(&[table, &to.name, "not_null_check"]));
            self.sql(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID"
            ));
            self.sql(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {check}"));
            self.sql(format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"));
            self.sql(format!("ALTER TABLE {t} DROP CONSTRAINT {check}"));
        } else if from.nullable != to.nullable {
            self.sql(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL"));
        }
    }

    fn drop_foreign_key(&mut self, table: &str, fk: &ForeignKey) {
        match self.d {
            Dialect::Sqlite => {}
            Dialect::Postgresql => {
                let sql =
                    self.pg_drop_constraint(table, "f", &fk.name, &fk.columns, Some(&fk.ref_table));
                self.sql(sql);
            }
            Dialect::Mysql => {
                let t = self.d.string_literal(table);
                let cols = self.d.string_literal(&fk.columns.join(","));
                let name = match &fk.name {
                    Some(n) => self.d.string_literal(n),
                    None => format!(
                        "(SELECT constraint_name FROM information_schema.key_column_usage \
                         WHERE table_schema = DATABASE() AND table_name = {t} AND referenced_table_name = {} \
                         GROUP BY constraint_name HAVING GROUP_CONCAT(column_name ORDER BY ordinal_position) = {cols} LIMIT 1)",
                        self.d.string_literal(&fk.ref_table)
                    ),
                };
                self.sql(format!("SET @quark_fk = {name}"));
                self.mysql_execute(format!(
                    "CONCAT('ALTER TABLE {} DROP FOREIGN KEY `', @quark_fk, '`')",
                    self.q(table).replace('\'', "''")
                ));
                // InnoDB made an index for the key; it goes with it.
                self.mysql_execute(format!(
                    "(SELECT IFNULL(MAX(CONCAT('ALTER TABLE {} DROP INDEX `', index_name, '`')), 'DO 0') FROM \
                     (SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = {t} \
                     AND index_name IN (@quark_fk, {}) GROUP BY index_name \
                     HAVING GROUP_CONCAT(column_name ORDER BY seq_in_index) = {cols} AND MIN(non_unique) = 1) AS backing)",
                    self.q(table).replace('\'', "''"),
                    self.d.string_literal(&fk.columns[0])
                ));
            }
        }
    }

    /// MySQL: runs the statement that `expression` evaluates to.
    fn mysql_execute(&mut self, expression: String) {
        self.sql(format!("SET @quark_sql = {expression}"));
        self.sql("PREPARE quark_stmt FROM @quark_sql".into());
        self.sql("EXECUTE quark_stmt".into());
        self.sql("DEALLOCATE PREPARE quark_stmt".into());
    }

    fn drop_unique(&mut self, table: &str, k: &Key) {
        match self.d {
            Dialect::Sqlite => {}
            Dialect::Postgresql => {
                let sql = self.pg_drop_constraint(table, "u", &k.name, &k.columns, None);
                self.sql(sql);
            }
            Dialect::Mysql => match &k.name {
                Some(n) => self.sql(format!("ALTER TABLE {} DROP INDEX {}", self.q(table), self.q(n))),
                None => self.mysql_execute(format!(
                    "(SELECT CONCAT('ALTER TABLE {} DROP INDEX `', index_name, '`') FROM information_schema.statistics \
                     WHERE table_schema = DATABASE() AND table_name = {} AND index_name <> 'PRIMARY' GROUP BY index_name \
                     HAVING GROUP_CONCAT(column_name ORDER BY seq_in_index) = {} AND MAX(non_unique) = 0 LIMIT 1)",
                    self.q(table).replace('\'', "''"),
                    self.d.string_literal(table),
                    self.d.string_literal(&k.columns.join(","))
                )),
            },
        }
    }

    fn drop_primary_key(&mut self, table: &str, k: &Key) {
        match self.d {
            Dialect::Sqlite => {}
            Dialect::Postgresql => {
                let sql = self.pg_drop_constraint(table, "p", &k.name, &k.columns, None);
                self.sql(sql);
            }
            Dialect::Mysql => self.sql(format!("ALTER TABLE {} DROP PRIMARY KEY", self.q(table))),
        }
    }

    /// PostgreSQL: drops a constraint by name, or, when the database named it, the one of
    /// `kind` on exactly `columns`.
    fn pg_drop_constraint(
        &self,
        table: &str,
        kind: &str,
        name: &Option<String>,
        columns: &[String],
        references: Option<&str>,
    ) -> String {
        if let Some(n) = name {
            return format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.q(table),
                self.q(n)
            );
        }
        let lit = |s: &str| self.d.string_literal(s);
        let names: Vec<String> = columns.iter().map(|c| lit(c)).collect();
        let referenced = references
            .map(|r| format!("\n      AND c.confrelid = {}::regclass", lit(&self.q(r))))
            .unwrap_or_default();
        format!(
            "DO $$\nDECLARE found name;\nBEGIN\n    SELECT c.conname INTO found FROM pg_constraint c\n    \
             WHERE c.conrelid = {}::regclass AND c.contype = '{kind}'\n      \
             AND ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(n, o)\n        \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) = ARRAY[{}]::text[]{referenced};\n    \
             EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, found);\nEND\n$$",
            lit(&self.q(table)),
            names.join(", "),
            lit(table)
        )
    }
}

//! The definitions a statement spells out: a column, a constraint's name, a foreign key, a
//! whole table, an index.

use super::Renderer;
use crate::revision::Dialect;
use crate::schema::checks::to_dialect;
use crate::schema::tables::{Check, Column, ForeignKey, Index, Table};
use crate::schema::types::Type;

impl Renderer<'_> {
    /// `CONSTRAINT <name> ` when the constraint is named, nothing otherwise.
    pub(super) fn constraint_name(&self, name: &Option<String>) -> String {
        name.as_ref()
            .map(|n| format!("CONSTRAINT {} ", self.q(n)))
            .unwrap_or_default()
    }

    /// A column's definition as in `CREATE TABLE` and `ADD COLUMN`.
    pub(super) fn column(&self, table: &str, c: &Column) -> String {
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

    /// A foreign key's clause as in `CREATE TABLE` and `ADD`.
    pub(super) fn foreign_key(&self, fk: &ForeignKey) -> String {
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

    /// A check's clause as in `CREATE TABLE` and `ADD`.
    pub(super) fn check(&self, check: &Check) -> String {
        format!(
            "{}CHECK ({})",
            self.constraint_name(&check.name),
            to_dialect(&check.expression, self.d)
        )
    }

    /// `CREATE TABLE name` with the columns, keys, foreign keys and checks of `t`.
    pub(super) fn create_table(&self, t: &Table, name: &str) -> String {
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
        for check in &t.checks {
            parts.push(self.check(check));
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
    pub(super) fn create_index(&mut self, table: &str, ix: &Index, online: bool) {
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
}

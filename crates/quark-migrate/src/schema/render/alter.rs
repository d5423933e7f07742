//! Changing a table that stays: a column altered in place, a foreign key added while the table
//! takes writes, or, on SQLite, the table rebuilt.

use super::{Renderer, constraint_name_of};
use crate::revision::Dialect;
use crate::schema::checks::{normalize, to_dialect};
use crate::schema::diff::Change;
use crate::schema::tables::{Check, Column, ForeignKey};
use crate::schema::types::Type;

impl Renderer<'_> {
    /// Alters a column from `from` to `to`: a MySQL `MODIFY`, or PostgreSQL's steps (type, default,
    /// NOT NULL through a validated check).
    pub(super) fn alter_column(&mut self, table: &str, from: &Column, to: &Column) {
        let t = self.q(table);
        let c = self.q(&to.name);
        if self.d == Dialect::Mysql {
            let def = self.column(table, to) + &self.column_checks(table, &to.name);
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

    /// PostgreSQL: a foreign key on a table that holds rows, added `NOT VALID` (a brief lock)
    /// and then validated (a scan that lets writes through; the revision runs outside a
    /// transaction, see [`runs_outside_a_transaction`]), named so that it can be validated.
    pub(super) fn add_foreign_key_online(&mut self, table: &str, fk: &ForeignKey) {
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

    /// MariaDB: the checks that the definition of `column` holds and that stay, as its
    /// definition writes them (` CHECK (...)`): a `MODIFY` of the column would drop them.
    pub(super) fn column_checks(&self, table: &str, column: &str) -> String {
        let (Some(old), Some(new)) = (self.old.tables.get(table), self.new.tables.get(table))
        else {
            return String::new();
        };
        old.checks
            .iter()
            .filter(|c| c.found.as_ref().and_then(|f| f.column.as_deref()) == Some(column))
            .filter(|c| new.checks.iter().any(|n| n.expression == c.expression))
            .map(|c| format!(" CHECK ({})", to_dialect(&c.expression, self.d)))
            .collect()
    }

    /// The name PostgreSQL would give an unnamed `check` of `table`: `<table>_<column>_check`
    /// when it uses one of the table's columns, `<table>_check` otherwise.
    pub(super) fn generated_check_name(&self, table: &str, check: &Check) -> String {
        let columns: Vec<String> = normalize(&check.expression, Dialect::Postgresql, &|_| false)
            .columns()
            .into_iter()
            .filter(|c| {
                [self.old, self.new]
                    .iter()
                    .any(|s| s.tables.get(table).is_some_and(|t| t.column(c).is_some()))
            })
            .collect();
        match &columns[..] {
            [one] => constraint_name_of(&[table, one, "check"]),
            _ => constraint_name_of(&[table, "check"]),
        }
    }

    /// Adds a check to a table that holds rows: on PostgreSQL `NOT VALID` (a brief lock), then
    /// validated (a scan that lets writes through; the revision runs outside a transaction),
    /// under its name or the one PostgreSQL would have generated; on MySQL in one statement, in
    /// the column's definition when MariaDB read it there (so that its downgrade, which drops it
    /// as it was read, finds it there).
    pub(super) fn add_check(&mut self, table: &str, check: &Check) {
        let t = self.q(table);
        let clause = to_dialect(&check.expression, self.d);
        if self.d == Dialect::Mysql
            && let Some(column) = check.found.as_ref().and_then(|f| f.column.as_deref())
            && let Some(col) = self.new.tables.get(table).and_then(|n| n.column(column))
        {
            let def = self.column(table, col);
            self.sql(format!("ALTER TABLE {t} MODIFY {def} CHECK ({clause})"));
            return;
        }
        if self.d != Dialect::Postgresql {
            let named = self.constraint_name(&check.name);
            self.sql(format!("ALTER TABLE {t} ADD {named}CHECK ({clause})"));
            return;
        }
        let name = check.name.clone().unwrap_or_else(|| {
            let base = self.generated_check_name(table, check);
            let taken = |n: &str| {
                self.old.tables.get(table).is_some_and(|t| {
                    t.checks.iter().any(|c| {
                        c.name.as_deref() == Some(n)
                            || c.found.as_ref().is_some_and(|f| f.name == n)
                    })
                })
            };
            (0..)
                .map(|i| match i {
                    0 => base.clone(),
                    i => format!("{base}{i}"),
                })
                .find(|n| !taken(n))
                .expect("a free name")
        });
        let n = self.q(&name);
        self.sql(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {n} CHECK ({clause}) NOT VALID"
        ));
        self.sql(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {n}"));
    }

    /// SQLite: a new table with the declared shape, the rows copied, the old table replaced.
    pub(super) fn rebuild(&mut self, name: &str, changes: &[&Change]) {
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
}

//! Changing a table that stays: a column altered in place, a foreign key added while the table
//! takes writes, or, on SQLite, the table rebuilt.

use super::{Renderer, constraint_name_of};
use crate::revision::Dialect;
use crate::schema::diff::Change;
use crate::schema::tables::{Column, ForeignKey};
use crate::schema::types::Type;

impl Renderer<'_> {
    /// Alters a column from `from` to `to`: a MySQL `MODIFY`, or PostgreSQL's steps (type, default,
    /// NOT NULL through a validated check).
    pub(super) fn alter_column(&mut self, table: &str, from: &Column, to: &Column) {
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

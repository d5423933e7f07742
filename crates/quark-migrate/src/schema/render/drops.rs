//! Dropping indexes, keys and foreign keys, found by their columns when the database named
//! them.

use super::Renderer;
use crate::revision::Dialect;
use crate::schema::diff::Change;
use crate::schema::tables::{Check, ForeignKey, Index, Key};

impl Renderer<'_> {
    /// MySQL: the foreign keys that stay but use an index, unique or primary key that goes
    /// (their columns lead its columns).
    pub(super) fn borrowed_foreign_keys(&self, changes: &[Change]) -> Vec<(String, ForeignKey)> {
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

    /// Drops a foreign key (and, on MySQL, the index InnoDB made for it).
    pub(super) fn drop_foreign_key(&mut self, table: &str, fk: &ForeignKey) {
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

    /// Drops a unique constraint.
    pub(super) fn drop_unique(&mut self, table: &str, k: &Key) {
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

    /// Drops a primary key.
    pub(super) fn drop_primary_key(&mut self, table: &str, k: &Key) {
        match self.d {
            Dialect::Sqlite => {}
            Dialect::Postgresql => {
                let sql = self.pg_drop_constraint(table, "p", &k.name, &k.columns, None);
                self.sql(sql);
            }
            Dialect::Mysql => self.sql(format!("ALTER TABLE {} DROP PRIMARY KEY", self.q(table))),
        }
    }

    /// Drops a check: by its name, or the one the database gave it when introspection read it
    /// (on PostgreSQL, failing that, the one it would have generated). On MariaDB a check that
    /// the column's definition holds goes with a `MODIFY` of the column (unless `changes` drop
    /// the column, and the check with it).
    pub(super) fn drop_check(&mut self, table: &str, check: &Check, changes: &[&Change]) {
        let t = self.q(table);
        let found = check.found.as_ref();
        let name = check
            .name
            .clone()
            .or_else(|| found.map(|f| f.name.clone()).filter(|n| !n.is_empty()));
        match self.d {
            Dialect::Sqlite => {}
            Dialect::Postgresql => {
                let name = name.unwrap_or_else(|| self.generated_check_name(table, check));
                self.sql(format!("ALTER TABLE {t} DROP CONSTRAINT {}", self.q(&name)));
            }
            Dialect::Mysql => {
                if let Some(column) = found.and_then(|f| f.column.as_deref()) {
                    let dropped = changes.iter().any(|c| {
                        matches!(c, Change::DropColumn(ct, col) if ct == table && col.name == column)
                    });
                    let old = self.old.tables.get(table).and_then(|o| o.column(column));
                    if let (false, Some(old)) = (dropped, old) {
                        let def = self.column(table, old) + &self.column_checks(table, column);
                        self.sql(format!("ALTER TABLE {t} MODIFY {def}"));
                    }
                    return;
                }
                match name {
                    Some(n) => self.sql(format!("ALTER TABLE {t} DROP CONSTRAINT {}", self.q(&n))),
                    None => self.out.push(super::Line::Comment(format!(
                        "WARNING: the database named the check ({}) on {table}: drop it by its name, which `SHOW CREATE TABLE {table}` shows",
                        check.expression
                    ))),
                }
            }
        }
    }

    /// Drops a named index.
    pub(super) fn drop_index(&mut self, table: &str, ix: &Index) {
        let sql = match self.d {
            Dialect::Mysql => format!("DROP INDEX {} ON {}", self.q(&ix.name), self.q(table)),
            _ => format!("DROP INDEX {}", self.q(&ix.name)),
        };
        self.sql(sql);
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

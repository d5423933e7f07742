//! Alterations: column types and nullability, indexes, constraints, multi-action statements, and what is not a schema change.

use super::*;

#[test]
fn postgres_alter_column_forms() {
    let d = Postgresql;
    let col = |c: &str| (s("t"), s(c));
    assert_eq!(
        one(
            "ALTER TABLE t ALTER COLUMN c TYPE quark_types\n    USING c::text::quark_types",
            d
        ),
        TableChange::AlterColumnType {
            table: s("t"),
            column: s("c"),
            to: s("quark_types"),
            not_null: None
        }
    );
    assert_eq!(
        one(
            "ALTER TABLE t ALTER c SET DATA TYPE numeric(10, 2) COLLATE \"C\"",
            d
        ),
        TableChange::AlterColumnType {
            table: s("t"),
            column: s("c"),
            to: s("numeric(10, 2)"),
            not_null: None
        }
    );
    let (table, column) = col("c");
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c SET NOT NULL", d),
        TableChange::SetNotNull {
            table: table.clone(),
            column: column.clone()
        }
    );
    assert_eq!(
        one("alter table t alter column c drop not null", d),
        TableChange::DropNotNull {
            table: table.clone(),
            column: column.clone()
        }
    );
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c SET DEFAULT now()", d),
        TableChange::SetDefault {
            table: table.clone(),
            column: column.clone()
        }
    );
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c DROP DEFAULT", d),
        TableChange::DropDefault { table, column }
    );
    assert_eq!(
        changes("ALTER TABLE t ALTER COLUMN c SET STATISTICS 100", d),
        [TableChange::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t ALTER COLUMN c TYPE", d),
        [TableChange::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t ALTER CONSTRAINT k DEFERRABLE", d),
        [TableChange::Other]
    );
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c SET DEFAULT 1", Mysql),
        TableChange::SetDefault {
            table: s("t"),
            column: s("c")
        }
    );
}

#[test]
fn mysql_modify_and_change() {
    let d = Mysql;
    assert_eq!(
        one(
            "ALTER TABLE t MODIFY address_type ENUM('shared', 'floating', 'fixed')",
            d
        ),
        TableChange::AlterColumnType {
            table: s("t"),
            column: s("address_type"),
            to: s("ENUM('shared', 'floating', 'fixed')"),
            not_null: Some(false)
        }
    );
    assert_eq!(
        one("ALTER TABLE t MODIFY COLUMN c VARCHAR(36) NOT NULL", d),
        TableChange::AlterColumnType {
            table: s("t"),
            column: s("c"),
            to: s("VARCHAR(36)"),
            not_null: Some(true)
        }
    );
    assert_eq!(
        one("ALTER TABLE t MODIFY c VARCHAR(36) NULL", d),
        TableChange::AlterColumnType {
            table: s("t"),
            column: s("c"),
            to: s("VARCHAR(36)"),
            not_null: Some(false)
        }
    );
    assert_eq!(
        changes(
            "ALTER TABLE t CHANGE COLUMN a b BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER x",
            d
        ),
        [
            TableChange::RenameColumn {
                table: s("t"),
                from: s("a"),
                to: s("b")
            },
            TableChange::AlterColumnType {
                table: s("t"),
                column: s("b"),
                to: s("BIGINT UNSIGNED"),
                not_null: Some(true)
            }
        ]
    );
    assert_eq!(
        one("ALTER TABLE t CHANGE a A INT", d),
        TableChange::AlterColumnType {
            table: s("t"),
            column: s("A"),
            to: s("INT"),
            not_null: Some(false)
        }
    );
    assert_eq!(changes("ALTER TABLE t MODIFY c", d), [TableChange::Other]);
}

#[test]
fn create_index_forms() {
    let ix = |table: &str, name: Option<&str>, unique, concurrently| TableChange::CreateIndex {
        table: s(table),
        name: name.map(s),
        unique,
        concurrently,
    };
    for d in Dialect::ALL {
        assert_eq!(
            one("CREATE INDEX ix ON t (a, b)", d),
            ix("t", Some("ix"), false, false)
        );
        assert_eq!(
            one("create unique index if not exists \"Ix\" on s.t (a)", d),
            ix("t", Some("Ix"), true, false)
        );
    }
    assert_eq!(
        one(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY s.t USING btree (lower(a))",
            Postgresql
        ),
        ix("t", Some("ix"), true, true)
    );
    assert_eq!(
        one("CREATE INDEX ON t (a)", Postgresql),
        ix("t", None, false, false)
    );
    assert_eq!(
        one("CREATE INDEX ix USING BTREE ON t (a)", Mysql),
        ix("t", Some("ix"), false, false)
    );
    assert_eq!(
        one("CREATE FULLTEXT INDEX ix ON t (a)", Mysql),
        ix("t", Some("ix"), false, false)
    );
    let c = classify(
        "CREATE INDEX ix ON t (algorithm, lock) ALGORITHM = INPLACE LOCK=none",
        Mysql,
    );
    assert_eq!(c.changes, [ix("t", Some("ix"), false, false)]);
    assert_eq!(
        c.online,
        Online {
            algorithm: Some(s("INPLACE")),
            lock: Some(s("NONE"))
        }
    );
    assert_eq!(
        changes(
            "ALTER TABLE t ADD INDEX ix (a), ADD UNIQUE KEY uk (b), ADD KEY (c)",
            Mysql
        ),
        [
            ix("t", Some("ix"), false, false),
            add_constraint(Unique, Some("uk"), false, false),
            ix("t", None, false, false)
        ]
    );
    assert_eq!(changes("CREATE INDEX ix", Postgresql), [TableChange::Other]);
    // Only the clauses' own values count: a partial index's `WHERE lock = 1` is not one.
    let c = classify("CREATE INDEX ix ON t (a) WHERE lock = 1", Postgresql);
    assert_eq!(c.online, Online::default());
    assert_eq!(
        one(
            "ALTER TABLE t ADD UNIQUE NULLS NOT DISTINCT (a)",
            Postgresql
        ),
        add_constraint(Unique, None, false, false)
    );
}

#[test]
fn drop_index_forms() {
    let ix = |table: Option<&str>, name: &str, concurrently| TableChange::DropIndex {
        table: table.map(s),
        name: s(name),
        concurrently,
    };
    assert_eq!(one("DROP INDEX ix", Sqlite), ix(None, "ix", false));
    assert_eq!(
        one("DROP INDEX IF EXISTS main.ix", Sqlite),
        ix(None, "ix", false)
    );
    assert_eq!(
        changes(
            "DROP INDEX CONCURRENTLY IF EXISTS a, s.b CASCADE",
            Postgresql
        ),
        [ix(None, "a", true), ix(None, "b", true)]
    );
    assert_eq!(one("DROP INDEX ix ON t", Mysql), ix(Some("t"), "ix", false));
    let c = classify(
        "DROP INDEX `ix` ON `db`.`t` ALGORITHM=INPLACE LOCK=NONE",
        Mysql,
    );
    assert_eq!(c.changes, [ix(Some("t"), "ix", false)]);
    assert!(c.online.is_guarded());
    assert_eq!(
        one("ALTER TABLE t DROP INDEX ix", Mysql),
        ix(Some("t"), "ix", false)
    );
    assert_eq!(
        one("ALTER TABLE t DROP KEY IF EXISTS ix", Mysql),
        ix(Some("t"), "ix", false)
    );
    let pk = TableChange::DropConstraint {
        table: s("t"),
        name: None,
        kind: Some(PrimaryKey),
    };
    assert_eq!(one("DROP INDEX `PRIMARY` ON t", Mysql), pk);
    assert_eq!(one("ALTER TABLE t DROP INDEX `PRIMARY`", Mysql), pk);
    assert_eq!(changes("DROP INDEX a, b ON t", Mysql), [TableChange::Other]);
    assert_eq!(
        changes("DROP INDEX ix ON t junk", Mysql),
        [TableChange::Other]
    );
}

#[test]
fn add_constraint_forms() {
    let d = Postgresql;
    assert_eq!(
        one(
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID",
            d
        ),
        add_constraint(ForeignKey, Some("fk"), true, false)
    );
    assert_eq!(
        one(
            "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE",
            d
        ),
        add_constraint(ForeignKey, None, false, false)
    );
    assert_eq!(
        one(
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID",
            d
        ),
        TableChange::AddConstraint {
            table: s("t"),
            name: Some(s("c")),
            kind: Check,
            not_valid: true,
            using_index: false,
            not_null_of: Some(s("a")),
        }
    );
    // Only a check that says exactly "this column is not NULL" names the column.
    assert_eq!(
        one(
            "ALTER TABLE t ADD CONSTRAINT c CHECK (\"A b\" IS NOT NULL)",
            d
        ),
        TableChange::AddConstraint {
            table: s("t"),
            name: Some(s("c")),
            kind: Check,
            not_valid: false,
            using_index: false,
            not_null_of: Some(s("A b")),
        }
    );
    for check in [
        "(a IS NOT NULL AND b > 0)",
        "(a IS NULL)",
        "(a > 0)",
        "(a IS NOT NULL OR b IS NOT NULL)",
    ] {
        assert_eq!(
            one(&format!("ALTER TABLE t ADD CONSTRAINT c CHECK {check}"), d),
            add_constraint(Check, Some("c"), false, false),
            "{check}"
        );
    }
    assert_eq!(
        one("ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (a, b)", d),
        add_constraint(PrimaryKey, Some("pk"), false, false)
    );
    assert_eq!(
        one("ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX ix", d),
        add_constraint(Unique, Some("uq"), false, true)
    );
    assert_eq!(
        one("ALTER TABLE t ADD UNIQUE (a)", d),
        add_constraint(Unique, None, false, false)
    );
    assert_eq!(
        one("ALTER TABLE t ADD PRIMARY KEY (a)", Mysql),
        add_constraint(PrimaryKey, None, false, false)
    );
    assert_eq!(
        changes(
            "ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (a WITH &&)",
            d
        ),
        [TableChange::Other]
    );
}

#[test]
fn validate_and_drop_constraint_forms() {
    let d = Postgresql;
    assert_eq!(
        one("ALTER TABLE t VALIDATE CONSTRAINT fk", d),
        TableChange::ValidateConstraint {
            table: s("t"),
            name: s("fk")
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP CONSTRAINT IF EXISTS pk CASCADE", d),
        TableChange::DropConstraint {
            table: s("t"),
            name: Some(s("pk")),
            kind: None
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP FOREIGN KEY t_ibfk_1", Mysql),
        TableChange::DropConstraint {
            table: s("t"),
            name: Some(s("t_ibfk_1")),
            kind: Some(ForeignKey)
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP CHECK c", Mysql),
        TableChange::DropConstraint {
            table: s("t"),
            name: Some(s("c")),
            kind: Some(Check)
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP PRIMARY KEY", Mysql),
        TableChange::DropConstraint {
            table: s("t"),
            name: None,
            kind: Some(PrimaryKey)
        }
    );
    assert_eq!(
        changes("ALTER TABLE t VALIDATE fk", d),
        [TableChange::Other]
    );
}

#[test]
fn multi_action_alters_give_one_change_per_action() {
    assert_eq!(
        changes("ALTER TABLE t ADD COLUMN a INT, DROP COLUMN b", Postgresql),
        [
            add_column("t", "a", false, false, false),
            TableChange::DropColumn {
                table: s("t"),
                column: s("b")
            }
        ]
    );
    let c = classify(
        "ALTER TABLE t DROP FOREIGN KEY f, ADD CONSTRAINT f FOREIGN KEY (a, b) REFERENCES u (x, y), ALGORITHM=INPLACE, LOCK=NONE",
        Mysql,
    );
    assert_eq!(
        c.changes,
        [
            TableChange::DropConstraint {
                table: s("t"),
                name: Some(s("f")),
                kind: Some(ForeignKey)
            },
            add_constraint(ForeignKey, Some("f"), false, false)
        ]
    );
    assert_eq!(
        c.online,
        Online {
            algorithm: Some(s("INPLACE")),
            lock: Some(s("NONE"))
        }
    );
    // Commas inside parentheses, strings and quoted names do not split actions.
    assert_eq!(
        changes(
            "ALTER TABLE t ADD COLUMN e ENUM('a,b', 'c'), ADD COLUMN `x,y` INT, ADD CHECK (a IN (1, 2))",
            Mysql
        ),
        [
            add_column("t", "e", false, false, false),
            add_column("t", "x,y", false, false, false),
            add_constraint(Check, None, false, false)
        ]
    );
    // An action not understood is Other; the others are still read.
    assert_eq!(
        changes(
            "ALTER TABLE t ENGINE=InnoDB, DROP COLUMN c, OWNER TO bob",
            Mysql
        ),
        [
            TableChange::Other,
            TableChange::DropColumn {
                table: s("t"),
                column: s("c")
            },
            TableChange::Other
        ]
    );
    assert_eq!(
        changes("ALTER TABLE t ALGORITHM=COPY", Mysql),
        [TableChange::Other]
    );
}

#[test]
fn unknown_statements_and_actions_are_other() {
    for d in Dialect::ALL {
        for sql in [
            "ALTER TABLE t SET SCHEMA s",
            "ALTER TABLE t OWNER TO x",
            "ALTER TABLE t ADD PARTITION (PARTITION p1 VALUES LESS THAN (10))",
            "ALTER TABLE t DROP PARTITION p1",
            "ALTER TABLE t ALTER COLUMN",
            "ALTER TYPE x RENAME TO y",
            "ALTER INDEX a RENAME TO b",
            "CREATE TYPE e AS ENUM ('a')",
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
            "DROP VIEW v",
            "ALTER TABLE",
            "ALTER",
            "CREATE",
            "DROP",
            "DROP INDEX",
        ] {
            assert_eq!(changes(sql, d), [TableChange::Other], "{sql} on {d}");
        }
    }
}

use super::*;
use crate::revision::{Direction, parse_revision};
use ConstraintKind::*;
use Dialect::{Mysql, Postgresql, Sqlite};

fn changes(sql: &str, d: Dialect) -> Vec<Change> {
    classify(sql, d).changes
}

fn one(sql: &str, d: Dialect) -> Change {
    let c = changes(sql, d);
    assert_eq!(c.len(), 1, "{sql}: {c:?}");
    c.into_iter().next().unwrap()
}

fn s(x: &str) -> String {
    x.to_string()
}

fn add_column(table: &str, column: &str, not_null: bool, default: bool, volatile: bool) -> Change {
    Change::AddColumn {
        table: s(table),
        column: s(column),
        not_null,
        default,
        volatile_default: volatile,
    }
}

fn add_constraint(
    kind: ConstraintKind,
    name: Option<&str>,
    not_valid: bool,
    using_index: bool,
) -> Change {
    Change::AddConstraint {
        table: s("t"),
        name: name.map(s),
        kind,
        not_valid,
        using_index,
        not_null_of: None,
    }
}

#[test]
fn effect_matches_what_recovery_told_by_the_first_word() {
    for d in Dialect::ALL {
        assert_eq!(classify("INSERT INTO t VALUES (1)", d).effect, Effect::Data);
        assert_eq!(
            classify("-- fix\n  update t SET x = 1", d).effect,
            Effect::Data
        );
        assert_eq!(classify("/* a */ delete FROM t", d).effect, Effect::Data);
        assert_eq!(
            classify("REPLACE INTO t VALUES (1)", d).effect,
            Effect::Data
        );
        assert_eq!(
            classify(
                "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE",
                d
            )
            .effect,
            Effect::Data
        );
        assert_eq!(
            classify("SET FOREIGN_KEY_CHECKS = 0", d).effect,
            Effect::Session
        );
        assert_eq!(classify("reset lock_timeout", d).effect, Effect::Session);
        assert_eq!(
            classify("ALTER TABLE t ADD COLUMN y INT", d).effect,
            Effect::Schema
        );
        assert_eq!(
            classify("CREATE INDEX ix ON t (x)", d).effect,
            Effect::Schema
        );
        assert_eq!(classify("TRUNCATE t", d).effect, Effect::Schema);
        assert_eq!(
            classify("COMMENT ON TABLE t IS 'x'", d).effect,
            Effect::Schema
        );
        assert_eq!(classify("SELECT 1", d).effect, Effect::Other);
        assert_eq!(classify("(SELECT 1)", d).effect, Effect::Other);
        assert_eq!(classify("CALL p()", d).effect, Effect::Other);
    }
}

#[test]
fn data_and_session_statements_have_no_changes_and_schema_ones_at_least_one() {
    assert!(changes("UPDATE t SET a = 1", Postgresql).is_empty());
    assert!(changes("SET x = 1", Mysql).is_empty());
    assert!(changes("SELECT * FROM t", Sqlite).is_empty());
    assert_eq!(
        changes("CREATE VIEW v AS SELECT 1", Postgresql),
        [Change::Other]
    );
    assert_eq!(
        changes("GRANT SELECT ON t TO u", Postgresql),
        [Change::Other]
    );
}

#[test]
fn with_is_data_only_when_it_modifies_rows() {
    let d = Postgresql;
    assert_eq!(
        classify("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", d).effect,
        Effect::Data
    );
    assert_eq!(
        classify(
            "WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d",
            d
        )
        .effect,
        Effect::Data
    );
    assert_eq!(
        classify("WITH x AS (SELECT * FROM t FOR UPDATE) SELECT * FROM x", d).effect,
        Effect::Other
    );
    assert_eq!(
        classify("WITH RECURSIVE r(n) AS (SELECT 1) SELECT n FROM r", d).effect,
        Effect::Other
    );
}

#[test]
fn leading_comments_and_case_do_not_matter() {
    let sql = "-- a comment\n/* block\n comment */  \n\t-- another\ndRoP tAbLe IF exists t";
    for d in Dialect::ALL {
        assert_eq!(one(sql, d), Change::DropTable { table: s("t") });
    }
    assert_eq!(
        one("# mysql comment\nDROP TABLE t", Mysql),
        Change::DropTable { table: s("t") }
    );
    assert_eq!(
        one("/* a /* nested */ still */ DROP TABLE t", Postgresql),
        Change::DropTable { table: s("t") }
    );
}

#[test]
fn create_table_forms() {
    for d in Dialect::ALL {
        for sql in [
            "CREATE TABLE t (a INT, PRIMARY KEY (a))",
            "create table if not exists t (a int)",
            "CREATE TABLE \"t\" (a INT)",
            "CREATE TABLE public.t (a INT)",
            "CREATE TEMPORARY TABLE t (a INT)",
            "CREATE TABLE t AS SELECT * FROM u",
            "CREATE TABLE t LIKE u",
        ] {
            assert_eq!(one(sql, d), Change::CreateTable { table: s("t") }, "{sql}");
        }
    }
    assert_eq!(
        one("CREATE TABLE `db`.`my t` (a INT)", Mysql),
        Change::CreateTable { table: s("my t") }
    );
    assert_eq!(
        one("CREATE TABLE [t] (a INT)", Sqlite),
        Change::CreateTable { table: s("t") }
    );
    assert_eq!(
        one("CREATE UNLOGGED TABLE \"a\"\"b\" (x INT)", Postgresql),
        Change::CreateTable { table: s("a\"b") }
    );
    assert_eq!(
        changes("CREATE OR REPLACE TABLE t (a INT)", Mysql),
        [
            Change::DropTable { table: s("t") },
            Change::CreateTable { table: s("t") }
        ]
    );
}

#[test]
fn drop_table_forms() {
    for d in Dialect::ALL {
        assert_eq!(
            changes("DROP TABLE IF EXISTS a, s.b, \"c\" CASCADE", d),
            [
                Change::DropTable { table: s("a") },
                Change::DropTable { table: s("b") },
                Change::DropTable { table: s("c") }
            ]
        );
        assert_eq!(changes("DROP TABLE t junk", d), [Change::Other]);
        assert_eq!(changes("DROP TABLE", d), [Change::Other]);
        assert_eq!(changes("DROP TEMPORARY TABLE t", d), [Change::Other]);
        assert_eq!(changes("DROP TYPE x", d), [Change::Other]);
    }
    assert_eq!(
        one("DROP TABLE `x`.`y`", Mysql),
        Change::DropTable { table: s("y") }
    );
}

#[test]
fn truncate_and_rename_table() {
    for d in Dialect::ALL {
        assert_eq!(
            one("TRUNCATE t", d),
            Change::TruncateTable { table: s("t") }
        );
        assert_eq!(
            one("truncate table s.t", d),
            Change::TruncateTable { table: s("t") }
        );
    }
    assert_eq!(
        changes("TRUNCATE ONLY a, b * RESTART IDENTITY CASCADE", Postgresql),
        [
            Change::TruncateTable { table: s("a") },
            Change::TruncateTable { table: s("b") }
        ]
    );
    assert_eq!(changes("TRUNCATE a b", Postgresql), [Change::Other]);
    assert_eq!(
        changes("RENAME TABLE a TO b, db.c TO db.d", Mysql),
        [
            Change::RenameTable {
                table: s("a"),
                to: s("b")
            },
            Change::RenameTable {
                table: s("c"),
                to: s("d")
            }
        ]
    );
    assert_eq!(changes("RENAME TABLE a b", Mysql), [Change::Other]);
    assert_eq!(changes("RENAME USER a TO b", Mysql), [Change::Other]);
    for (d, sql) in [
        (Sqlite, "ALTER TABLE a RENAME TO b"),
        (Postgresql, "ALTER TABLE IF EXISTS ONLY s.a RENAME TO b"),
        (Mysql, "ALTER TABLE a RENAME TO b"),
        (Mysql, "ALTER TABLE a RENAME AS b"),
        (Mysql, "ALTER TABLE a RENAME b"),
    ] {
        assert_eq!(
            one(sql, d),
            Change::RenameTable {
                table: s("a"),
                to: s("b")
            },
            "{sql}"
        );
    }
    assert_eq!(
        changes("ALTER TABLE a RENAME b", Postgresql),
        [Change::Other]
    );
}

#[test]
fn add_column_forms() {
    for d in Dialect::ALL {
        assert_eq!(
            one("ALTER TABLE t ADD COLUMN c VARCHAR(36)", d),
            add_column("t", "c", false, false, false)
        );
        assert_eq!(
            one("alter table s.t add c int", d),
            add_column("t", "c", false, false, false)
        );
        assert_eq!(
            one(
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS c BOOLEAN NOT NULL DEFAULT '0'",
                d
            ),
            add_column("t", "c", true, true, false)
        );
        assert_eq!(
            one("ALTER TABLE t ADD COLUMN c INT NOT NULL", d),
            add_column("t", "c", true, false, false)
        );
        assert_eq!(
            changes("ALTER TABLE t ADD COLUMN c INT CHECK (c IS NOT NULL)", d),
            [
                add_column("t", "c", false, false, false),
                add_constraint(Check, None, false, false)
            ]
        );
    }
    assert_eq!(
        one("ALTER TABLE t ADD COLUMN c", Sqlite),
        add_column("t", "c", false, false, false)
    );
    assert_eq!(
        one("ALTER TABLE \"T\" ADD COLUMN \"Col\" TEXT", Sqlite),
        add_column("T", "Col", false, false, false)
    );
    assert_eq!(
        changes(
            "ALTER TABLE t ADD (a INT NOT NULL, b VARCHAR(3) DEFAULT 'x,y')",
            Mysql
        ),
        [
            add_column("t", "a", true, false, false),
            add_column("t", "b", false, true, false)
        ]
    );
    assert_eq!(
        one(
            "ALTER TABLE t ADD COLUMN id INT NOT NULL AUTO_INCREMENT FIRST",
            Mysql
        ),
        add_column("t", "id", true, true, false)
    );
}

#[test]
fn add_column_inline_constraints_follow_the_column() {
    assert_eq!(
        changes(
            "ALTER TABLE t ADD COLUMN x INTEGER CONSTRAINT fk_x REFERENCES u (id) ON DELETE CASCADE",
            Postgresql
        ),
        [
            add_column("t", "x", false, false, false),
            add_constraint(ForeignKey, Some("fk_x"), false, false)
        ]
    );
    assert_eq!(
        changes(
            "ALTER TABLE t ADD COLUMN x VARCHAR(8) CHECK (x IN ('a', 'b')) UNIQUE",
            Sqlite
        ),
        [
            add_column("t", "x", false, false, false),
            add_constraint(Check, None, false, false),
            add_constraint(Unique, None, false, false)
        ]
    );
    assert_eq!(
        changes("ALTER TABLE t ADD COLUMN id INT PRIMARY KEY", Postgresql),
        [
            add_column("t", "id", true, false, false),
            add_constraint(PrimaryKey, None, false, false)
        ]
    );
}

#[test]
fn volatile_defaults() {
    let d = Postgresql;
    let volatile = |sql: &str| match one(sql, d) {
        Change::AddColumn {
            volatile_default,
            default,
            ..
        } => {
            assert!(default, "{sql}");
            volatile_default
        }
        other => panic!("{sql}: {other:?}"),
    };
    assert!(volatile(
        "ALTER TABLE t ADD COLUMN u UUID DEFAULT gen_random_uuid()"
    ));
    assert!(volatile(
        "ALTER TABLE t ADD COLUMN r FLOAT DEFAULT (random() * 10)"
    ));
    assert!(volatile(
        "ALTER TABLE t ADD COLUMN r TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()"
    ));
    assert!(volatile(
        "ALTER TABLE t ADD COLUMN r INT DEFAULT my_schema.my_function(1)"
    ));
    assert!(volatile("ALTER TABLE t ADD COLUMN id BIGSERIAL"));
    assert!(volatile(
        "ALTER TABLE t ADD COLUMN id INT GENERATED ALWAYS AS IDENTITY"
    ));
    assert!(volatile(
        "ALTER TABLE t ADD COLUMN x INT GENERATED ALWAYS AS (a + 1) STORED"
    ));
    assert!(!volatile(
        "ALTER TABLE t ADD COLUMN c TIMESTAMPTZ DEFAULT now()"
    ));
    assert!(!volatile(
        "ALTER TABLE t ADD COLUMN c TIMESTAMP DEFAULT CURRENT_TIMESTAMP"
    ));
    assert!(!volatile(
        "ALTER TABLE t ADD COLUMN c VARCHAR(9) DEFAULT 'random()'"
    ));
    assert!(!volatile(
        "ALTER TABLE t ADD COLUMN c NUMERIC(10, 2) DEFAULT CAST('0' AS NUMERIC(10, 2))"
    ));
    assert!(!volatile(
        "ALTER TABLE t ADD COLUMN c INT DEFAULT 0 NOT NULL"
    ));
}

#[test]
fn drop_column_forms() {
    for d in Dialect::ALL {
        for sql in [
            "ALTER TABLE t DROP COLUMN c",
            "ALTER TABLE t DROP c",
            "ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE",
            "ALTER TABLE \"t\" DROP COLUMN \"c\"",
            "ALTER TABLE s.t DROP COLUMN c RESTRICT",
        ] {
            assert_eq!(
                one(sql, d),
                Change::DropColumn {
                    table: s("t"),
                    column: s("c")
                },
                "{sql}"
            );
        }
        assert_eq!(changes("ALTER TABLE t DROP COLUMN c d", d), [Change::Other]);
        assert_eq!(changes("ALTER TABLE t DROP COLUMN", d), [Change::Other]);
        assert_eq!(changes("ALTER TABLE t DROP", d), [Change::Other]);
    }
    assert_eq!(
        one("ALTER TABLE `t` DROP `c`", Mysql),
        Change::DropColumn {
            table: s("t"),
            column: s("c")
        }
    );
}

#[test]
fn rename_column_forms() {
    for d in Dialect::ALL {
        assert_eq!(
            one("ALTER TABLE t RENAME COLUMN a TO b", d),
            Change::RenameColumn {
                table: s("t"),
                from: s("a"),
                to: s("b")
            }
        );
    }
    assert_eq!(
        one("ALTER TABLE t RENAME a TO \"B\"", Postgresql),
        Change::RenameColumn {
            table: s("t"),
            from: s("a"),
            to: s("B")
        }
    );
    assert_eq!(
        changes("ALTER TABLE t RENAME CONSTRAINT a TO b", Postgresql),
        [Change::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t RENAME INDEX a TO b", Mysql),
        [Change::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t RENAME COLUMN a b", Sqlite),
        [Change::Other]
    );
}

#[test]
fn postgres_alter_column_forms() {
    let d = Postgresql;
    let col = |c: &str| (s("t"), s(c));
    assert_eq!(
        one(
            "ALTER TABLE t ALTER COLUMN c TYPE quark_types\n    USING c::text::quark_types",
            d
        ),
        Change::AlterColumnType {
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
        Change::AlterColumnType {
            table: s("t"),
            column: s("c"),
            to: s("numeric(10, 2)"),
            not_null: None
        }
    );
    let (table, column) = col("c");
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c SET NOT NULL", d),
        Change::SetNotNull {
            table: table.clone(),
            column: column.clone()
        }
    );
    assert_eq!(
        one("alter table t alter column c drop not null", d),
        Change::DropNotNull {
            table: table.clone(),
            column: column.clone()
        }
    );
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c SET DEFAULT now()", d),
        Change::SetDefault {
            table: table.clone(),
            column: column.clone()
        }
    );
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c DROP DEFAULT", d),
        Change::DropDefault { table, column }
    );
    assert_eq!(
        changes("ALTER TABLE t ALTER COLUMN c SET STATISTICS 100", d),
        [Change::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t ALTER COLUMN c TYPE", d),
        [Change::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t ALTER CONSTRAINT k DEFERRABLE", d),
        [Change::Other]
    );
    assert_eq!(
        one("ALTER TABLE t ALTER COLUMN c SET DEFAULT 1", Mysql),
        Change::SetDefault {
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
        Change::AlterColumnType {
            table: s("t"),
            column: s("address_type"),
            to: s("ENUM('shared', 'floating', 'fixed')"),
            not_null: Some(false)
        }
    );
    assert_eq!(
        one("ALTER TABLE t MODIFY COLUMN c VARCHAR(36) NOT NULL", d),
        Change::AlterColumnType {
            table: s("t"),
            column: s("c"),
            to: s("VARCHAR(36)"),
            not_null: Some(true)
        }
    );
    assert_eq!(
        one("ALTER TABLE t MODIFY c VARCHAR(36) NULL", d),
        Change::AlterColumnType {
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
            Change::RenameColumn {
                table: s("t"),
                from: s("a"),
                to: s("b")
            },
            Change::AlterColumnType {
                table: s("t"),
                column: s("b"),
                to: s("BIGINT UNSIGNED"),
                not_null: Some(true)
            }
        ]
    );
    assert_eq!(
        one("ALTER TABLE t CHANGE a A INT", d),
        Change::AlterColumnType {
            table: s("t"),
            column: s("A"),
            to: s("INT"),
            not_null: Some(false)
        }
    );
    assert_eq!(changes("ALTER TABLE t MODIFY c", d), [Change::Other]);
}

#[test]
fn create_index_forms() {
    let ix = |table: &str, name: Option<&str>, unique, concurrently| Change::CreateIndex {
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
    assert_eq!(changes("CREATE INDEX ix", Postgresql), [Change::Other]);
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
    let ix = |table: Option<&str>, name: &str, concurrently| Change::DropIndex {
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
    let pk = Change::DropConstraint {
        table: s("t"),
        name: None,
        kind: Some(PrimaryKey),
    };
    assert_eq!(one("DROP INDEX `PRIMARY` ON t", Mysql), pk);
    assert_eq!(one("ALTER TABLE t DROP INDEX `PRIMARY`", Mysql), pk);
    assert_eq!(changes("DROP INDEX a, b ON t", Mysql), [Change::Other]);
    assert_eq!(changes("DROP INDEX ix ON t junk", Mysql), [Change::Other]);
}

#[test]
fn constraint_forms() {
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
        Change::AddConstraint {
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
        Change::AddConstraint {
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
        one("ALTER TABLE t VALIDATE CONSTRAINT fk", d),
        Change::ValidateConstraint {
            table: s("t"),
            name: s("fk")
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP CONSTRAINT IF EXISTS pk CASCADE", d),
        Change::DropConstraint {
            table: s("t"),
            name: Some(s("pk")),
            kind: None
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP FOREIGN KEY t_ibfk_1", Mysql),
        Change::DropConstraint {
            table: s("t"),
            name: Some(s("t_ibfk_1")),
            kind: Some(ForeignKey)
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP CHECK c", Mysql),
        Change::DropConstraint {
            table: s("t"),
            name: Some(s("c")),
            kind: Some(Check)
        }
    );
    assert_eq!(
        one("ALTER TABLE t DROP PRIMARY KEY", Mysql),
        Change::DropConstraint {
            table: s("t"),
            name: None,
            kind: Some(PrimaryKey)
        }
    );
    assert_eq!(
        changes(
            "ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (a WITH &&)",
            d
        ),
        [Change::Other]
    );
    assert_eq!(changes("ALTER TABLE t VALIDATE fk", d), [Change::Other]);
}

#[test]
fn multi_action_alters_give_one_change_per_action() {
    assert_eq!(
        changes("ALTER TABLE t ADD COLUMN a INT, DROP COLUMN b", Postgresql),
        [
            add_column("t", "a", false, false, false),
            Change::DropColumn {
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
            Change::DropConstraint {
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
            Change::Other,
            Change::DropColumn {
                table: s("t"),
                column: s("c")
            },
            Change::Other
        ]
    );
    assert_eq!(
        changes("ALTER TABLE t ALGORITHM=COPY", Mysql),
        [Change::Other]
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
            assert_eq!(changes(sql, d), [Change::Other], "{sql} on {d}");
        }
    }
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn garbage_never_panics_and_claims_nothing() {
    for d in Dialect::ALL {
        for sql in [
            "",
            "   \n\t ",
            "-- only a comment",
            "/* unterminated",
            ";",
            "(((",
            ")))",
            "'",
            "\"",
            "`",
            "$$",
            "$a$ x",
            "E'\\",
            "[",
            "\u{feff}\u{0}\u{7f}é漢字🦀",
        ] {
            let c = classify(sql, d);
            assert_eq!(c.effect, Effect::Other, "{sql:?}");
            assert!(c.changes.is_empty(), "{sql:?}");
        }
        for sql in [
            "DROP TABLE \"unterminated",
            "DROP TABLE t /* unterminated",
            "ALTER TABLE t DROP COLUMN c)",
            "ALTER TABLE t DROP COLUMN c, ADD (x INT",
            "ALTER TABLE t ADD COLUMN c INT DEFAULT 'x",
            "DROP TABLE 'x'",
            "ALTER TABLE t DROP COLUMN 'c'",
            "ALTER TABLE t RENAME COLUMN a TO 'b'",
        ] {
            assert_eq!(changes(sql, d), [Change::Other], "{sql} on {d}");
        }
    }
}

#[test]
fn every_prefix_and_random_input_classifies_without_panicking() {
    let corpus = [
        "ALTER TABLE `db`.\"t\" ADD COLUMN IF NOT EXISTS c ENUM('a,b', 'c''d') NOT NULL DEFAULT (uuid()), DROP FOREIGN KEY f, ALGORITHM=INPLACE, LOCK=NONE",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY s.t USING btree (lower(a)) WHERE b IS NOT NULL",
        "-- c\n/* d /* e */ */ WITH x AS (DELETE FROM t RETURNING *) SELECT $tag$ body $tag$, E'\\'', [x] FROM x",
        "ALTER TABLE t ALTER COLUMN c TYPE numeric(10, 2) USING c::numeric, ADD CONSTRAINT k CHECK (c > 0) NOT VALID",
        "ALTER TABLE t CHANGE COLUMN a b BIGINT NOT NULL, MODIFY c VARCHAR(3), RENAME TO u",
        "DROP INDEX `PRIMARY` ON t ALGORITHM = COPY; TRUNCATE ONLY a, b * CASCADE",
    ];
    for d in Dialect::ALL {
        for sql in corpus {
            for (at, _) in sql.char_indices() {
                let _ = classify(&sql[..at], d);
                let _ = classify(&sql[at..], d);
            }
        }
        for seed in 0..400u64 {
            let bytes = noise(seed, (seed % 97) as usize);
            let _ = classify(&String::from_utf8_lossy(&bytes), d);
            // Keyword soup exercises the parser paths rather than the tokenizer.
            let words = [
                "ALTER",
                "TABLE",
                "ADD",
                "DROP",
                "COLUMN",
                "(",
                ")",
                ",",
                "'",
                "t",
                ".",
                "=",
                "NOT",
                "NULL",
                "DEFAULT",
                "CONSTRAINT",
                "INDEX",
                "ON",
                "TO",
                "RENAME",
                "CHANGE",
                "MODIFY",
                "TYPE",
                "USING",
                "IF",
                "EXISTS",
                "`",
                "\"",
                "KEY",
                "PRIMARY",
                "ALGORITHM",
                "LOCK",
            ];
            let soup: Vec<&str> = noise(seed + 7, 24)
                .iter()
                .map(|b| words[*b as usize % words.len()])
                .collect();
            let _ = classify(&soup.join(" "), d);
            let _ = classify(&format!("ALTER TABLE t {}", soup.join(" ")), d);
        }
    }
}

#[test]
fn destructive_changes() {
    let reason = |sql: &str, d: Dialect| one(sql, d).destructive();
    for d in Dialect::ALL {
        for sql in [
            "DROP TABLE t",
            "ALTER TABLE t DROP COLUMN c",
            "ALTER TABLE t RENAME TO u",
            "ALTER TABLE t RENAME COLUMN a TO b",
            "TRUNCATE t",
            "ALTER TABLE t ADD COLUMN c INT NOT NULL",
        ] {
            assert!(reason(sql, d).is_some(), "{sql} on {d}");
        }
        for sql in [
            "CREATE TABLE t (a INT)",
            "CREATE INDEX ix ON t (a)",
            "DROP INDEX ix",
            "ALTER TABLE t ADD COLUMN c INT",
            "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0",
        ] {
            assert_eq!(reason(sql, d), None, "{sql} on {d}");
        }
    }
    let p = Postgresql;
    assert!(
        reason("ALTER TABLE t ALTER COLUMN c TYPE BIGINT", p)
            .unwrap()
            .contains("type")
    );
    assert!(reason("ALTER TABLE t ALTER COLUMN c SET NOT NULL", p).is_some());
    assert!(reason("ALTER TABLE t ALTER COLUMN c DROP DEFAULT", p).is_some());
    assert_eq!(
        reason("ALTER TABLE t ALTER COLUMN c DROP NOT NULL", p),
        None
    );
    assert_eq!(
        reason("ALTER TABLE t ALTER COLUMN c SET DEFAULT 1", p),
        None
    );
    assert_eq!(reason("ALTER TABLE t DROP CONSTRAINT k", p), None);
    assert_eq!(
        reason(
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
            p
        ),
        None
    );
    assert_eq!(reason("ALTER TABLE t VALIDATE CONSTRAINT fk", p), None);
    let m = Mysql;
    assert!(reason("ALTER TABLE t DROP PRIMARY KEY", m).is_some());
    assert!(
        reason("ALTER TABLE t MODIFY c VARCHAR(36) NOT NULL", m)
            .unwrap()
            .contains("NOT NULL")
    );
    assert!(
        reason("ALTER TABLE t MODIFY c VARCHAR(36)", m)
            .unwrap()
            .contains("type")
    );
    assert_eq!(reason("ALTER TABLE t DROP FOREIGN KEY f", m), None);
    assert_eq!(reason("ALTER TABLE t DROP INDEX ix", m), None);
    assert!(
        changes("ALTER TABLE t CHANGE a b INT", m)
            .iter()
            .all(|c| c.destructive().is_some())
    );
    assert_eq!(Change::Other.destructive(), None);
    assert_eq!(Change::Other.table(), None);
    assert_eq!(one("DROP INDEX ix", p).table(), None);
    assert_eq!(one("DROP INDEX ix ON t", m).table(), Some("t"));
    assert_eq!(one("ALTER TABLE s.t DROP c", p).table(), Some("t"));
}

#[test]
fn postgres_lock_risks() {
    let d = Postgresql;
    let risky = |sql: &str| {
        let c = classify(sql, d);
        c.lock_risks(d)
            .into_iter()
            .map(|(_, r)| r.safe_form)
            .collect::<Vec<_>>()
    };
    assert!(risky("CREATE INDEX ix ON t (a)")[0].contains("CONCURRENTLY"));
    assert!(risky("CREATE UNIQUE INDEX CONCURRENTLY ix ON t (a)").is_empty());
    assert!(
        risky("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)")[0]
            .contains("NOT VALID")
    );
    assert!(
        risky("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID")
            .is_empty()
    );
    assert!(risky("ALTER TABLE t ADD CHECK (a > 0)")[0].contains("VALIDATE"));
    assert!(risky("ALTER TABLE t VALIDATE CONSTRAINT fk").is_empty());
    assert!(risky("ALTER TABLE t ALTER COLUMN c SET NOT NULL")[0].contains("IS NOT NULL"));
    assert!(risky("ALTER TABLE t ALTER COLUMN c TYPE BIGINT")[0].contains("backfill"));
    assert!(
        risky("ALTER TABLE t ADD COLUMN u UUID DEFAULT gen_random_uuid()")[0]
            .contains("SET DEFAULT")
    );
    assert!(risky("ALTER TABLE t ADD COLUMN c TIMESTAMPTZ NOT NULL DEFAULT now()").is_empty());
    assert!(risky("ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (a)")[0].contains("USING INDEX"));
    assert!(risky("ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX ix").is_empty());
    assert_eq!(
        risky("ALTER TABLE t ADD COLUMN x INT REFERENCES u (id)").len(),
        1
    );
    for sql in [
        "DROP TABLE t",
        "ALTER TABLE t DROP COLUMN c",
        "DROP INDEX ix",
        "ALTER TABLE t RENAME TO u",
        "ALTER TABLE t ALTER COLUMN c DROP NOT NULL",
    ] {
        assert!(risky(sql).is_empty(), "{sql}");
    }
    let c = classify(
        "ALTER TABLE t ALTER COLUMN c TYPE INT, ALTER COLUMN d SET NOT NULL",
        d,
    );
    assert_eq!(c.lock_risks(d).len(), 2);
    assert_eq!(c.lock_risks(d)[1].0.table(), Some("t"));
}

#[test]
fn mysql_lock_risks_unless_the_statement_demands_an_online_change() {
    let d = Mysql;
    let risks = |sql: &str| classify(sql, d).lock_risks(d).len();
    for sql in [
        "ALTER TABLE t MODIFY c BIGINT",
        "ALTER TABLE t CHANGE a a BIGINT NOT NULL",
        "ALTER TABLE t ADD PRIMARY KEY (a)",
        "ALTER TABLE t DROP PRIMARY KEY",
        "CREATE INDEX ix ON t (a)",
        "ALTER TABLE t ADD INDEX ix (a)",
        "ALTER TABLE t ADD UNIQUE KEY uk (a)",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)",
        "CREATE INDEX ix ON t (a) ALGORITHM=INPLACE",
        "ALTER TABLE t MODIFY c BIGINT, ALGORITHM=COPY, LOCK=SHARED",
    ] {
        assert_eq!(risks(sql), 1, "{sql}");
    }
    for sql in [
        "ALTER TABLE t MODIFY c BIGINT, ALGORITHM=INPLACE, LOCK=NONE",
        "CREATE INDEX ix ON t (a) ALGORITHM=INPLACE LOCK=NONE",
        "ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT",
        "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0",
        "ALTER TABLE t DROP COLUMN c",
        "ALTER TABLE t RENAME COLUMN a TO b",
        "ALTER TABLE t DROP FOREIGN KEY f",
        "DROP INDEX ix ON t",
        "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1",
    ] {
        assert_eq!(risks(sql), 0, "{sql}");
    }
    let fk = classify("ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id)", d);
    assert!(
        fk.lock_risks(d)[0]
            .1
            .safe_form
            .contains("foreign_key_checks")
    );
}

/// Which statements of a revision (1-based) are at risk, judged together.
fn at_risk(statements: &[&str], transactional: bool) -> Vec<usize> {
    let classes: Vec<Classified> = statements.iter().map(|s| classify(s, Postgresql)).collect();
    revision_lock_risks(&classes, Postgresql, transactional)
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|_| i + 1))
        .collect()
}

#[test]
fn a_revision_is_judged_in_its_context() {
    // A table the revision creates is not at risk.
    assert_eq!(
        at_risk(
            &[
                "CREATE TABLE t (a INT)",
                "CREATE INDEX ix ON t (a)",
                "CREATE INDEX iy ON u (a)"
            ],
            true
        ),
        [3]
    );
    // The safe sequence for SET NOT NULL, outside a transaction: nothing at risk.
    let not_null = [
        "ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID",
        "ALTER TABLE t VALIDATE CONSTRAINT t_c_nn",
        "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
        "ALTER TABLE t DROP CONSTRAINT t_c_nn",
    ];
    assert_eq!(at_risk(&not_null, false), Vec::<usize>::new());
    // In one transaction the ADD's lock is held through the scan, and SET NOT NULL is not
    // proven by a check that is not committed yet.
    assert_eq!(at_risk(&not_null, true), [2, 3]);
    // A check of another column, or one never validated, proves nothing.
    assert_eq!(
        at_risk(
            &[
                "ALTER TABLE t ADD CONSTRAINT k CHECK (d IS NOT NULL) NOT VALID",
                "ALTER TABLE t VALIDATE CONSTRAINT k",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ],
            false
        ),
        [3]
    );
    assert_eq!(
        at_risk(
            &[
                "ALTER TABLE t ADD CONSTRAINT k CHECK (c IS NOT NULL) NOT VALID",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ],
            false
        ),
        [2]
    );
    // A foreign key added NOT VALID and validated: safe outside a transaction only.
    let fk = [
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID",
        "ALTER TABLE t VALIDATE CONSTRAINT fk",
    ];
    assert_eq!(at_risk(&fk, false), Vec::<usize>::new());
    assert_eq!(at_risk(&fk, true), [2]);
    // Validating a constraint an earlier revision added is the safe form itself.
    assert_eq!(
        at_risk(&["ALTER TABLE t VALIDATE CONSTRAINT fk"], true),
        Vec::<usize>::new()
    );
}

#[test]
fn sqlite_has_no_lock_risks() {
    for sql in [
        "CREATE INDEX ix ON t (a)",
        "ALTER TABLE t ADD COLUMN u TEXT DEFAULT (random())",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
    ] {
        assert!(classify(sql, Sqlite).lock_risks(Sqlite).is_empty(), "{sql}");
    }
}

/// quark's own revisions: every statement of every section, each dialect, both directions.
#[test]
fn quarks_migrations_classify_as_expected() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "{} revision files in {}",
        files.len(),
        dir.display()
    );
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut others = std::collections::BTreeSet::new();
    let mut statements = 0;
    // Upgrade changes judged destructive and risky, per dialect.
    let mut judged = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let rev = parse_revision(&name, &name, &text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        for dialect in Dialect::ALL {
            for direction in [Direction::Upgrade, Direction::Downgrade] {
                let Some(stmts) = rev.statements(direction, dialect) else {
                    continue;
                };
                for st in stmts.unwrap() {
                    statements += 1;
                    let c = classify(&st.sql, dialect);
                    assert_ne!(c.effect, Effect::Other, "{name}:{}: {}", st.line, st.sql);
                    for change in &c.changes {
                        let kind = format!("{change:?}");
                        let kind = kind.split([' ', '{']).next().unwrap().to_string();
                        *seen.entry(kind).or_default() += 1;
                        if *change == Change::Other {
                            let head: Vec<&str> = st.sql.split_whitespace().take(2).collect();
                            others.insert(head.join(" ").to_ascii_uppercase());
                        }
                        if direction == Direction::Upgrade {
                            let d = change.destructive().is_some();
                            let l = change.lock_risk(dialect, &c.online).is_some();
                            let n = judged.entry(dialect.name()).or_default();
                            *n = (n.0 + usize::from(d), n.1 + usize::from(l));
                        }
                    }
                }
            }
        }
    }
    println!(
        "{statements} statements: {seen:?}; Other: {others:?}; upgrades (destructive, lock risks): {judged:?}"
    );
    for kind in [
        "CreateTable",
        "DropTable",
        "RenameTable",
        "AddColumn",
        "DropColumn",
        "RenameColumn",
        "AlterColumnType",
        "SetNotNull",
        "DropNotNull",
        "CreateIndex",
        "DropIndex",
        "AddConstraint",
        "DropConstraint",
    ] {
        assert!(
            seen.contains_key(kind),
            "no {kind} in quark's migrations: {seen:?}"
        );
    }
    // Only PostgreSQL's enumerated types are beyond this classifier.
    let expected: std::collections::BTreeSet<String> = ["ALTER TYPE", "CREATE TYPE", "DROP TYPE"]
        .map(String::from)
        .into();
    assert_eq!(others, expected);
}

//! Tables and columns: create, drop, truncate, rename; add, drop, rename columns and their defaults.

use super::*;

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
            assert_eq!(
                one(sql, d),
                TableChange::CreateTable { table: s("t") },
                "{sql}"
            );
        }
    }
    assert_eq!(
        one("CREATE TABLE `db`.`my t` (a INT)", Mysql),
        TableChange::CreateTable { table: s("my t") }
    );
    assert_eq!(
        one("CREATE TABLE [t] (a INT)", Sqlite),
        TableChange::CreateTable { table: s("t") }
    );
    assert_eq!(
        one("CREATE UNLOGGED TABLE \"a\"\"b\" (x INT)", Postgresql),
        TableChange::CreateTable { table: s("a\"b") }
    );
    assert_eq!(
        changes("CREATE OR REPLACE TABLE t (a INT)", Mysql),
        [
            TableChange::DropTable { table: s("t") },
            TableChange::CreateTable { table: s("t") }
        ]
    );
}

#[test]
fn drop_table_forms() {
    for d in Dialect::ALL {
        assert_eq!(
            changes("DROP TABLE IF EXISTS a, s.b, \"c\" CASCADE", d),
            [
                TableChange::DropTable { table: s("a") },
                TableChange::DropTable { table: s("b") },
                TableChange::DropTable { table: s("c") }
            ]
        );
        assert_eq!(changes("DROP TABLE t junk", d), [TableChange::Other]);
        assert_eq!(changes("DROP TABLE", d), [TableChange::Other]);
        assert_eq!(changes("DROP TEMPORARY TABLE t", d), [TableChange::Other]);
        assert_eq!(changes("DROP TYPE x", d), [TableChange::Other]);
    }
    assert_eq!(
        one("DROP TABLE `x`.`y`", Mysql),
        TableChange::DropTable { table: s("y") }
    );
}

#[test]
fn truncate_and_rename_table() {
    for d in Dialect::ALL {
        assert_eq!(
            one("TRUNCATE t", d),
            TableChange::TruncateTable { table: s("t") }
        );
        assert_eq!(
            one("truncate table s.t", d),
            TableChange::TruncateTable { table: s("t") }
        );
    }
    assert_eq!(
        changes("TRUNCATE ONLY a, b * RESTART IDENTITY CASCADE", Postgresql),
        [
            TableChange::TruncateTable { table: s("a") },
            TableChange::TruncateTable { table: s("b") }
        ]
    );
    assert_eq!(changes("TRUNCATE a b", Postgresql), [TableChange::Other]);
    assert_eq!(
        changes("RENAME TABLE a TO b, db.c TO db.d", Mysql),
        [
            TableChange::RenameTable {
                table: s("a"),
                to: s("b")
            },
            TableChange::RenameTable {
                table: s("c"),
                to: s("d")
            }
        ]
    );
    assert_eq!(changes("RENAME TABLE a b", Mysql), [TableChange::Other]);
    assert_eq!(changes("RENAME USER a TO b", Mysql), [TableChange::Other]);
    for (d, sql) in [
        (Sqlite, "ALTER TABLE a RENAME TO b"),
        (Postgresql, "ALTER TABLE IF EXISTS ONLY s.a RENAME TO b"),
        (Mysql, "ALTER TABLE a RENAME TO b"),
        (Mysql, "ALTER TABLE a RENAME AS b"),
        (Mysql, "ALTER TABLE a RENAME b"),
    ] {
        assert_eq!(
            one(sql, d),
            TableChange::RenameTable {
                table: s("a"),
                to: s("b")
            },
            "{sql}"
        );
    }
    assert_eq!(
        changes("ALTER TABLE a RENAME b", Postgresql),
        [TableChange::Other]
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
        TableChange::AddColumn {
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
                TableChange::DropColumn {
                    table: s("t"),
                    column: s("c")
                },
                "{sql}"
            );
        }
        assert_eq!(
            changes("ALTER TABLE t DROP COLUMN c d", d),
            [TableChange::Other]
        );
        assert_eq!(
            changes("ALTER TABLE t DROP COLUMN", d),
            [TableChange::Other]
        );
        assert_eq!(changes("ALTER TABLE t DROP", d), [TableChange::Other]);
    }
    assert_eq!(
        one("ALTER TABLE `t` DROP `c`", Mysql),
        TableChange::DropColumn {
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
            TableChange::RenameColumn {
                table: s("t"),
                from: s("a"),
                to: s("b")
            }
        );
    }
    assert_eq!(
        one("ALTER TABLE t RENAME a TO \"B\"", Postgresql),
        TableChange::RenameColumn {
            table: s("t"),
            from: s("a"),
            to: s("B")
        }
    );
    assert_eq!(
        changes("ALTER TABLE t RENAME CONSTRAINT a TO b", Postgresql),
        [TableChange::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t RENAME INDEX a TO b", Mysql),
        [TableChange::Other]
    );
    assert_eq!(
        changes("ALTER TABLE t RENAME COLUMN a b", Sqlite),
        [TableChange::Other]
    );
}

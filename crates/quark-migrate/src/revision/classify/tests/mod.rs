//! The classifier's tests, by what they classify.

use super::*;
use crate::revision::{Direction, parse_revision};
use ConstraintKind::*;
use Dialect::{Mysql, Postgresql, Sqlite};

fn changes(sql: &str, d: Dialect) -> Vec<TableChange> {
    classify(sql, d).changes
}

fn one(sql: &str, d: Dialect) -> TableChange {
    let c = changes(sql, d);
    assert_eq!(c.len(), 1, "{sql}: {c:?}");
    c.into_iter().next().unwrap()
}

fn s(x: &str) -> String {
    x.to_string()
}

fn add_column(
    table: &str,
    column: &str,
    not_null: bool,
    default: bool,
    volatile: bool,
) -> TableChange {
    TableChange::AddColumn {
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
) -> TableChange {
    TableChange::AddConstraint {
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
        [TableChange::Other]
    );
    assert_eq!(
        changes("GRANT SELECT ON t TO u", Postgresql),
        [TableChange::Other]
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
        assert_eq!(one(sql, d), TableChange::DropTable { table: s("t") });
    }
    assert_eq!(
        one("# mysql comment\nDROP TABLE t", Mysql),
        TableChange::DropTable { table: s("t") }
    );
    assert_eq!(
        one("/* a /* nested */ still */ DROP TABLE t", Postgresql),
        TableChange::DropTable { table: s("t") }
    );
}

mod alters;
mod risks;
mod robustness;
mod tables_and_columns;

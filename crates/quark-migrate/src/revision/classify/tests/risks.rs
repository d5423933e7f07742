//! What the classifications are for: destructive changes, lock risks (per statement and in a revision), and quark's own chain.

use super::*;

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
    assert_eq!(TableChange::Other.destructive(), None);
    assert_eq!(TableChange::Other.table(), None);
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
                        if *change == TableChange::Other {
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

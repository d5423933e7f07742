//! Schema drift end to end, on SQLite, PostgreSQL and MariaDB: a schema is read as the
//! expected one (through its record, as the engine keeps it), then changed by hand the ways a
//! person changes a schema behind the migrations' back. Each change must be reported as exactly
//! one difference of the right kind, table and object, in a sentence naming them, and the
//! repair SQL must bring the database back to no drift (which proves the SQL). A clean copy
//! reports nothing, and so does the same schema spelled otherwise.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;
#[path = "support/target.rs"]
mod target;

use quark_migrate::backend::Backend;
use quark_migrate::revision::Dialect;
use quark_migrate::schema::{self, MAX_RECORD_BYTES, Schema, SchemaError};
use quark_migrate::{DriftKind, Drifted, drift, repair_sql};
use target::Target;

/// How the schema is written: as the migrations wrote it, or with other spellings of the same
/// thing (other type names, constraints left unnamed, indexes created in another order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spelling {
    Base,
    Cosmetic,
}

/// The `CREATE TABLE ports` body, as each spelling writes it on `d`.
fn ports_table(d: Dialect, spelling: Spelling) -> String {
    let mysql_index = if d == Dialect::Mysql {
        ",\n    KEY (mtu)"
    } else {
        ""
    };
    match spelling {
        Spelling::Base => format!(
            "CREATE TABLE ports (\n    \
             id INTEGER NOT NULL,\n    \
             device_id INTEGER,\n    \
             name VARCHAR(32) NOT NULL DEFAULT 'eth',\n    \
             speed INTEGER DEFAULT 1000,\n    \
             enabled BOOLEAN NOT NULL DEFAULT TRUE,\n    \
             mtu INTEGER CHECK (mtu >= 68),\n    \
             PRIMARY KEY (id),\n    \
             CONSTRAINT uq_ports_device_name UNIQUE (device_id, name),\n    \
             CONSTRAINT fk_ports_device FOREIGN KEY (device_id) REFERENCES devices (id),\n    \
             CONSTRAINT ck_ports_speed CHECK (speed > 0){mysql_index}\n)"
        ),
        Spelling::Cosmetic => {
            let enabled = match d {
                Dialect::Postgresql => "BOOL NOT NULL DEFAULT true",
                _ => "BOOL NOT NULL DEFAULT 1",
            };
            format!(
                "create table ports (\n    \
                 id INT NOT NULL,\n    \
                 device_id INT,\n    \
                 name CHARACTER VARYING(32) NOT NULL DEFAULT 'eth',\n    \
                 speed INT DEFAULT 1000,\n    \
                 enabled {enabled},\n    \
                 mtu INT check ((mtu>=68)),\n    \
                 PRIMARY KEY (id),\n    \
                 UNIQUE (device_id, name),\n    \
                 FOREIGN KEY (device_id) REFERENCES devices (id),\n    \
                 check ( ( speed>0 ) ){mysql_index}\n)"
            )
        }
    }
}

/// The indexes of `ports`, in the order each spelling creates them (MySQL's unnamed one is in
/// its `CREATE TABLE`).
fn ports_indexes(d: Dialect, spelling: Spelling) -> Vec<String> {
    let mut out = vec![
        "CREATE INDEX ix_ports_name ON ports (name)".to_string(),
        "CREATE INDEX ix_ports_device_id ON ports (device_id)".to_string(),
    ];
    match d {
        // Named by PostgreSQL: ports_mtu_idx.
        Dialect::Postgresql => out.push("CREATE INDEX ON ports (mtu)".into()),
        Dialect::Sqlite => out.push("CREATE INDEX ports_mtu_idx ON ports (mtu)".into()),
        Dialect::Mysql => {}
    }
    if spelling == Spelling::Cosmetic {
        out.reverse();
    }
    out
}

/// The whole schema, with a row in each table.
fn schema_sql(d: Dialect, spelling: Spelling) -> Vec<String> {
    let cosmetic = spelling == Spelling::Cosmetic;
    let kind = match (d, cosmetic) {
        (Dialect::Sqlite, false) => "VARCHAR(8) CHECK (kind IN ('copper', 'fiber'))",
        (Dialect::Sqlite, true) => "VARCHAR(8) CHECK ( \"kind\" in ('copper','fiber') )",
        (Dialect::Postgresql, _) => "device_kind",
        (Dialect::Mysql, _) => "ENUM('copper', 'fiber')",
    };
    let mut out = Vec::new();
    if d == Dialect::Postgresql {
        out.push("CREATE TYPE device_kind AS ENUM ('copper', 'fiber')".to_string());
    }
    out.push(if cosmetic {
        format!(
            "CREATE TABLE devices (id INT NOT NULL PRIMARY KEY, name CHARACTER VARYING(64) NOT NULL UNIQUE, kind {kind})"
        )
    } else {
        format!(
            "CREATE TABLE devices (\n    id INTEGER NOT NULL,\n    name VARCHAR(64) NOT NULL,\n    kind {kind},\n    PRIMARY KEY (id),\n    UNIQUE (name)\n)"
        )
    });
    out.push(ports_table(d, spelling));
    out.extend(ports_indexes(d, spelling));
    let (at, now) = match (d, cosmetic) {
        (Dialect::Postgresql, false) => ("TIMESTAMP", "CURRENT_TIMESTAMP"),
        (Dialect::Postgresql, true) => ("TIMESTAMP WITHOUT TIME ZONE", "now()"),
        (Dialect::Mysql, true) => ("DATETIME", "current_timestamp()"),
        (Dialect::Sqlite, true) => ("DATETIME", "(CURRENT_TIMESTAMP)"),
        _ => ("DATETIME", "CURRENT_TIMESTAMP"),
    };
    let fk_name = if cosmetic {
        ""
    } else {
        "CONSTRAINT fk_port_events_port "
    };
    out.push(format!(
        "CREATE TABLE port_events (\n    id INTEGER NOT NULL,\n    port_id INTEGER NOT NULL,\n    at {at} NOT NULL DEFAULT {now},\n    note TEXT,\n    PRIMARY KEY (id),\n    {fk_name}FOREIGN KEY (port_id) REFERENCES ports (id) ON DELETE CASCADE\n)"
    ));
    out.extend(
        [
            "INSERT INTO devices (id, name, kind) VALUES (1, 'sw1', 'copper')",
            "INSERT INTO ports (id, device_id, name, speed, enabled, mtu) VALUES (1, 1, 'eth0', 1000, TRUE, 1500)",
            "INSERT INTO port_events (id, port_id, note) VALUES (1, 1, 'up')",
        ]
        .map(String::from),
    );
    out
}

/// One way to change the schema by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    DroppedIndex,
    AddedColumn,
    ChangedType,
    ChangedDefault,
    DroppedNotNull,
    DroppedForeignKey,
    AddedTable,
    RenamedColumn,
    ChangedIndexColumns,
    DroppedCheck,
    DroppedUnnamedCheck,
    AddedCheck,
}

/// SQLite cannot alter a column or a constraint: `ports` rebuilt as a person does it (a new
/// table with the edited definition, the rows copied, the old one dropped, the new one renamed,
/// the indexes created again).
fn sqlite_rebuild(edit: impl Fn(String) -> String) -> Vec<String> {
    let create = edit(ports_table(Dialect::Sqlite, Spelling::Base)).replacen(
        "CREATE TABLE ports (",
        "CREATE TABLE ports_new (",
        1,
    );
    let mut out = vec![
        create,
        "INSERT INTO ports_new SELECT * FROM ports".to_string(),
        "DROP TABLE ports".to_string(),
        "ALTER TABLE ports_new RENAME TO ports".to_string(),
    ];
    out.extend(ports_indexes(Dialect::Sqlite, Spelling::Base));
    out
}

/// `from` replaced by `to`, which must be there.
fn replaced(from: &'static str, to: &'static str) -> impl Fn(String) -> String {
    move |text: String| {
        assert!(text.contains(from), "{from:?} is not in {text}");
        text.replace(from, to)
    }
}

/// The statements that make `case` on `d`.
fn drift_sql(case: Case, d: Dialect) -> Vec<String> {
    use Case::*;
    use Dialect::*;
    let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match (case, d) {
        (DroppedIndex, Mysql) => v(&["DROP INDEX ix_ports_name ON ports"]),
        (DroppedIndex, _) => v(&["DROP INDEX ix_ports_name"]),
        (AddedColumn, _) => v(&["ALTER TABLE ports ADD COLUMN note VARCHAR(100)"]),
        (ChangedType, Sqlite) => sqlite_rebuild(replaced(
            "speed INTEGER DEFAULT 1000",
            "speed BIGINT DEFAULT 1000",
        )),
        (ChangedType, Postgresql) => v(&["ALTER TABLE ports ALTER COLUMN speed TYPE BIGINT"]),
        (ChangedType, Mysql) => v(&["ALTER TABLE ports MODIFY speed BIGINT DEFAULT 1000"]),
        (ChangedDefault, Sqlite) => sqlite_rebuild(replaced("DEFAULT 'eth'", "DEFAULT 'lo'")),
        (ChangedDefault, _) => v(&["ALTER TABLE ports ALTER COLUMN name SET DEFAULT 'lo'"]),
        (DroppedNotNull, Sqlite) => sqlite_rebuild(replaced(
            "enabled BOOLEAN NOT NULL DEFAULT TRUE",
            "enabled BOOLEAN DEFAULT TRUE",
        )),
        (DroppedNotNull, Postgresql) => {
            v(&["ALTER TABLE ports ALTER COLUMN enabled DROP NOT NULL"])
        }
        (DroppedNotNull, Mysql) => v(&["ALTER TABLE ports MODIFY enabled BOOLEAN DEFAULT TRUE"]),
        (DroppedForeignKey, Sqlite) => sqlite_rebuild(replaced(
            ",\n    CONSTRAINT fk_ports_device FOREIGN KEY (device_id) REFERENCES devices (id)",
            "",
        )),
        (DroppedForeignKey, Postgresql) => {
            v(&["ALTER TABLE ports DROP CONSTRAINT fk_ports_device"])
        }
        (DroppedForeignKey, Mysql) => v(&["ALTER TABLE ports DROP FOREIGN KEY fk_ports_device"]),
        (AddedTable, _) => v(&[
            "CREATE TABLE audit (id INTEGER NOT NULL, note TEXT, PRIMARY KEY (id))",
            "INSERT INTO audit (id, note) VALUES (1, 'by hand')",
        ]),
        (RenamedColumn, _) => v(&["ALTER TABLE ports RENAME COLUMN speed TO rate"]),
        (ChangedIndexColumns, Mysql) => v(&[
            "DROP INDEX ix_ports_name ON ports",
            "CREATE INDEX ix_ports_name ON ports (name, speed)",
        ]),
        (ChangedIndexColumns, _) => v(&[
            "DROP INDEX ix_ports_name",
            "CREATE INDEX ix_ports_name ON ports (name, speed)",
        ]),
        (DroppedCheck, Sqlite) => sqlite_rebuild(replaced(
            ",\n    CONSTRAINT ck_ports_speed CHECK (speed > 0)",
            "",
        )),
        (DroppedCheck, _) => v(&["ALTER TABLE ports DROP CONSTRAINT ck_ports_speed"]),
        (DroppedUnnamedCheck, Sqlite) => {
            sqlite_rebuild(replaced("mtu INTEGER CHECK (mtu >= 68)", "mtu INTEGER"))
        }
        (DroppedUnnamedCheck, Postgresql) => {
            v(&["ALTER TABLE ports DROP CONSTRAINT ports_mtu_check"])
        }
        // MariaDB keeps a column's check in its definition.
        (DroppedUnnamedCheck, Mysql) => v(&["ALTER TABLE ports MODIFY mtu INTEGER"]),
        (AddedCheck, Sqlite) => sqlite_rebuild(replaced(
            "PRIMARY KEY (id),",
            "PRIMARY KEY (id),\n    CONSTRAINT ck_ports_id CHECK (id < 1000000),",
        )),
        (AddedCheck, _) => {
            v(&["ALTER TABLE ports ADD CONSTRAINT ck_ports_id CHECK (id < 1000000)"])
        }
    }
}

/// What `case` must be reported as: its kind, table and object.
fn reported(case: Case, expected: &Schema) -> (DriftKind, &'static str, Option<String>) {
    use Case::*;
    let s = |o: &str| Some(o.to_string());
    let ports = &expected.tables["ports"];
    match case {
        DroppedIndex => (DriftKind::IndexDropped, "ports", s("ix_ports_name")),
        AddedColumn => (DriftKind::ColumnAdded, "ports", s("note")),
        ChangedType => (DriftKind::TypeChanged, "ports", s("speed")),
        ChangedDefault => (DriftKind::DefaultChanged, "ports", s("name")),
        DroppedNotNull => (DriftKind::NotNullDropped, "ports", s("enabled")),
        // SQLite does not tell a foreign key's name.
        DroppedForeignKey => (
            DriftKind::ForeignKeyDropped,
            "ports",
            ports.foreign_keys[0].name.clone(),
        ),
        AddedTable => (DriftKind::TableAdded, "audit", None),
        RenamedColumn => (DriftKind::ColumnRenamed, "ports", s("speed")),
        ChangedIndexColumns => (DriftKind::IndexChanged, "ports", s("ix_ports_name")),
        DroppedCheck => (DriftKind::CheckDropped, "ports", s("ck_ports_speed")),
        DroppedUnnamedCheck => (DriftKind::CheckDropped, "ports", None),
        AddedCheck => (DriftKind::CheckAdded, "ports", s("ck_ports_id")),
    }
}

fn run_all(db: &mut dyn Backend, statements: &[String]) {
    let dialect = db.dialect();
    for sql in statements {
        db.run(sql)
            .unwrap_or_else(|e| panic!("on {dialect}: {sql}\n{e}"));
    }
}

fn live(db: &mut dyn Backend) -> Schema {
    schema::introspect(db, &[]).unwrap()
}

/// The schema of `db` as the engine keeps it: recorded, and read back from its record.
fn recorded(db: &mut dyn Backend) -> Schema {
    let schema = live(db);
    let back = Schema::from_record(&schema.to_record()).unwrap();
    assert_eq!(back, schema);
    assert_eq!(back.fingerprint(), schema.fingerprint());
    back
}

fn count(db: &mut dyn Backend, table: &str) -> i64 {
    db.query(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .unwrap()[0][0]
        .as_int()
        .unwrap()
}

/// A database holding the schema, or `None` (the test skips) when its server is down.
fn with_schema(dialect: Dialect, spelling: Spelling) -> Option<(Target, Box<dyn Backend>)> {
    let target = Target::new(dialect)?;
    let mut db = target.db();
    run_all(db.as_mut(), &schema_sql(dialect, spelling));
    Some((target, db))
}

fn scenario(case: Case, dialect: Dialect) {
    let Some((_target, mut db)) = with_schema(dialect, Spelling::Base) else {
        return;
    };
    let expected = recorded(db.as_mut());
    let at = format!("{case:?} on {dialect}");
    // The expected schema holds what the cases need, and no enumeration's check.
    let ports = &expected.tables["ports"];
    assert_eq!(ports.checks.len(), 2, "{at}: {:#?}", ports.checks);
    assert!(expected.tables["devices"].checks.is_empty(), "{at}");
    assert_eq!(ports.indexes.len(), 3, "{at}: {:#?}", ports.indexes);

    run_all(db.as_mut(), &drift_sql(case, dialect));
    let drifted = live(db.as_mut());
    assert_ne!(drifted.fingerprint(), expected.fingerprint(), "{at}");
    let found = drift(&expected, &drifted);
    let (kind, table, object) = reported(case, &expected);
    assert_eq!(
        found.len(),
        1,
        "{at}: one difference expected, found {found:#?}"
    );
    let d = &found[0];
    assert_eq!(
        (d.kind, d.table.as_str(), d.object.clone()),
        (kind, table, object.clone()),
        "{at}: {d:#?}"
    );
    let said = d.to_string();
    assert!(said.contains(table), "{at}: {said}");
    if let Some(object) = &object {
        assert!(said.contains(object.as_str()), "{at}: {said}");
    }
    if case == Case::RenamedColumn {
        assert_eq!(d.found.as_deref(), Some("rate"), "{at}");
        assert!(said.contains("rate"), "{at}: {said}");
    }
    // The JSON form names the kind in snake case.
    let json = serde_json::to_value(d).unwrap();
    assert_eq!(json["table"], table);
    assert!(json["kind"].as_str().unwrap().contains('_'), "{json}");

    let repair = repair_sql(&expected, &drifted, &found, dialect);
    assert!(!repair.is_empty(), "{at}");
    if case == Case::RenamedColumn {
        assert_eq!(
            repair,
            vec!["ALTER TABLE ports RENAME COLUMN rate TO speed"]
        );
    }
    run_all(db.as_mut(), &repair);
    let repaired = live(db.as_mut());
    assert_eq!(
        drift(&expected, &repaired),
        vec![],
        "{at}: still drifted after\n{}",
        repair.join(";\n")
    );
    // No row was lost on the way.
    for table in ["devices", "ports", "port_events"] {
        assert_eq!(count(db.as_mut(), table), 1, "{at}: rows of {table}");
    }
}

fn clean_copy(dialect: Dialect) {
    let Some((_target, mut db)) = with_schema(dialect, Spelling::Base) else {
        return;
    };
    let expected = recorded(db.as_mut());
    let again = live(db.as_mut());
    assert_eq!(drift(&expected, &again), vec![], "{dialect}");
    // What the start-up check compares first.
    assert_eq!(again.fingerprint(), expected.fingerprint(), "{dialect}");
    assert_eq!(again.to_record(), expected.to_record(), "{dialect}");
    assert!(repair_sql(&expected, &again, &[], dialect).is_empty());
}

fn cosmetic_spellings(dialect: Dialect) {
    let Some((_base, mut db)) = with_schema(dialect, Spelling::Base) else {
        return;
    };
    let Some((_other, mut other)) = with_schema(dialect, Spelling::Cosmetic) else {
        return;
    };
    let expected = recorded(db.as_mut());
    let spelled = live(other.as_mut());
    assert_eq!(
        drift(&expected, &spelled),
        vec![],
        "{dialect}: {expected:#?}\n{spelled:#?}"
    );
    assert_eq!(drift(&spelled, &expected), vec![], "{dialect}");
}

/// Checks as each server keeps them, normalized, written back by the repair and read again:
/// the same expressions.
fn checks_round_trip(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let mut db = target.db();
    let create = "CREATE TABLE odd (\n    \
         id INTEGER NOT NULL,\n    \
         status VARCHAR(10),\n    \
         note VARCHAR(60),\n    \
         price NUMERIC(10, 2),\n    \
         qty INTEGER,\n    \
         PRIMARY KEY (id),\n    \
         CONSTRAINT ck_status CHECK (status IN ('a', 'b''c')),\n    \
         CHECK (status NOT IN ('x', 'y')),\n    \
         CHECK (note LIKE 'x%' OR note IS NULL),\n    \
         CHECK ((price > 0) AND (price < 100.5)),\n    \
         CHECK (qty BETWEEN 1 AND 10),\n    \
         CHECK (length(note) < 50),\n    \
         CHECK (NOT (qty = 5)),\n    \
         CHECK (note <> 'it''s' AND qty <> -1)\n)";
    run_all(db.as_mut(), &[create.to_string()]);
    let expected = recorded(db.as_mut());
    // On SQLite a VARCHAR limited to a list of strings is how an enumeration is kept.
    let checks = if dialect == Dialect::Sqlite { 7 } else { 8 };
    assert_eq!(
        expected.tables["odd"].checks.len(),
        checks,
        "{dialect}: {expected:#?}"
    );
    run_all(db.as_mut(), &["DROP TABLE odd".to_string()]);
    let dropped = live(db.as_mut());
    let found = drift(&expected, &dropped);
    assert_eq!(found.len(), 1, "{dialect}: {found:#?}");
    assert_eq!(found[0].kind, DriftKind::TableDropped);
    let repair = repair_sql(&expected, &dropped, &found, dialect);
    run_all(db.as_mut(), &repair);
    let again = live(db.as_mut());
    assert_eq!(
        drift(&expected, &again),
        vec![],
        "{dialect}: {:#?}\n{:#?}",
        expected.tables["odd"].checks,
        again.tables["odd"].checks
    );
}

fn dropped_index(d: Dialect) {
    scenario(Case::DroppedIndex, d);
}
fn added_column(d: Dialect) {
    scenario(Case::AddedColumn, d);
}
fn changed_type(d: Dialect) {
    scenario(Case::ChangedType, d);
}
fn changed_default(d: Dialect) {
    scenario(Case::ChangedDefault, d);
}
fn dropped_not_null(d: Dialect) {
    scenario(Case::DroppedNotNull, d);
}
fn dropped_foreign_key(d: Dialect) {
    scenario(Case::DroppedForeignKey, d);
}
fn added_table(d: Dialect) {
    scenario(Case::AddedTable, d);
}
fn renamed_column(d: Dialect) {
    scenario(Case::RenamedColumn, d);
}
fn changed_index_columns(d: Dialect) {
    scenario(Case::ChangedIndexColumns, d);
}
fn dropped_check(d: Dialect) {
    scenario(Case::DroppedCheck, d);
}
fn dropped_unnamed_check(d: Dialect) {
    scenario(Case::DroppedUnnamedCheck, d);
}
fn added_check(d: Dialect) {
    scenario(Case::AddedCheck, d);
}

on_each_backend! {
    dropped_index => dropped_index_sqlite, dropped_index_postgres, dropped_index_mysql;
    added_column => added_column_sqlite, added_column_postgres, added_column_mysql;
    changed_type => changed_type_sqlite, changed_type_postgres, changed_type_mysql;
    changed_default => changed_default_sqlite, changed_default_postgres, changed_default_mysql;
    dropped_not_null => dropped_not_null_sqlite, dropped_not_null_postgres, dropped_not_null_mysql;
    dropped_foreign_key => dropped_foreign_key_sqlite, dropped_foreign_key_postgres, dropped_foreign_key_mysql;
    added_table => added_table_sqlite, added_table_postgres, added_table_mysql;
    renamed_column => renamed_column_sqlite, renamed_column_postgres, renamed_column_mysql;
    changed_index_columns => changed_index_columns_sqlite, changed_index_columns_postgres, changed_index_columns_mysql;
    dropped_check => dropped_check_sqlite, dropped_check_postgres, dropped_check_mysql;
    dropped_unnamed_check => dropped_unnamed_check_sqlite, dropped_unnamed_check_postgres, dropped_unnamed_check_mysql;
    added_check => added_check_sqlite, added_check_postgres, added_check_mysql;
    checks_round_trip => checks_round_trip_sqlite, checks_round_trip_postgres, checks_round_trip_mysql;
    clean_copy => clean_copy_sqlite, clean_copy_postgres, clean_copy_mysql;
    cosmetic_spellings => cosmetic_spellings_sqlite, cosmetic_spellings_postgres, cosmetic_spellings_mysql;
}

/// MariaDB keeps a column's check in the column's definition: dropped and added back by
/// redefining the column, as autogenerate's upgrade and downgrade between two schemas read
/// from the server (not from a record) do, it stays a column's check.
#[test]
fn mariadb_column_checks_stay_in_their_column() {
    let Some((_target, mut db)) = with_schema(Dialect::Mysql, Spelling::Base) else {
        return;
    };
    let level = |db: &mut dyn Backend| -> Vec<String> {
        db.query(
            "SELECT CONCAT(constraint_name, ' ', level) FROM information_schema.check_constraints \
             WHERE constraint_schema = DATABASE() AND table_name = 'ports' ORDER BY 1",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| r[0].as_text().unwrap().to_string())
        .collect()
    };
    let with = live(db.as_mut());
    let before = level(db.as_mut());
    assert_eq!(before, ["ck_ports_speed Table", "mtu Column"]);
    // Down: the check goes with a MODIFY of its column.
    let without = {
        let mut s = with.clone();
        let ports = s.tables.get_mut("ports").unwrap();
        ports.checks.retain(|c| c.name.is_some());
        s
    };
    let down = repair_sql(&without, &with, &drift(&without, &with), Dialect::Mysql);
    assert_eq!(down, ["ALTER TABLE ports MODIFY mtu INTEGER"]);
    run_all(db.as_mut(), &down);
    assert_eq!(level(db.as_mut()), ["ck_ports_speed Table"]);
    // Up again: back in the column.
    let bare = live(db.as_mut());
    let up = repair_sql(&with, &bare, &drift(&with, &bare), Dialect::Mysql);
    assert_eq!(
        up,
        ["ALTER TABLE ports MODIFY mtu INTEGER CHECK (mtu >= 68)"]
    );
    run_all(db.as_mut(), &up);
    assert_eq!(level(db.as_mut()), before);
    assert_eq!(drift(&with, &live(db.as_mut())), vec![]);
    // A change to the column keeps its check.
    run_all(
        db.as_mut(),
        &["ALTER TABLE ports MODIFY mtu BIGINT CHECK (mtu >= 68)".to_string()],
    );
    let wider = live(db.as_mut());
    let back = repair_sql(&with, &wider, &drift(&with, &wider), Dialect::Mysql);
    assert_eq!(
        back,
        ["ALTER TABLE ports MODIFY mtu INTEGER CHECK (mtu >= 68)"]
    );
    run_all(db.as_mut(), &back);
    assert_eq!(level(db.as_mut()), before);
}

/// A record read back from a database is untrusted: anything but a record is an error, never
/// a panic.
#[test]
fn hostile_records_are_refused() {
    let Some((_target, mut db)) = with_schema(Dialect::Sqlite, Spelling::Base) else {
        return;
    };
    let good = live(db.as_mut()).to_record();
    let refused = |text: &str| {
        assert!(
            matches!(Schema::from_record(text), Err(SchemaError::Record { .. })),
            "{:.120} was read",
            text
        );
    };
    for cut in [0, 1, 10, good.len() / 2, good.len() - 1] {
        refused(&good[..cut]);
    }
    for text in [
        "",
        "[]",
        "{}",
        "\"tables\"",
        "{\"tables\":[]}",
        "{\"tables\":{\"ports\":{\"name\":\"ports\"}}}",
        "{\"tables\":{\"ports\":{\"name\":7}}}",
    ] {
        refused(text);
    }
    // Another shape inside: a type that does not exist, a negative length.
    refused(&good.replacen("\"integer\"", "\"integral\"", 1));
    refused(&good.replacen("{\"varchar\":32}", "{\"varchar\":-32}", 1));
    // A table filed under another name.
    refused(&good.replacen(
        "\"ports\":{\"name\":\"ports\"",
        "\"ports\":{\"name\":\"other\"",
        1,
    ));
    // Nested past what the parser follows.
    refused(&"[".repeat(1_000_000));
    // Huge.
    let huge = format!("{}{}", good, " ".repeat(MAX_RECORD_BYTES));
    let Err(SchemaError::Record { message }) = Schema::from_record(&huge) else {
        panic!("a record over {MAX_RECORD_BYTES} bytes was read");
    };
    assert!(message.contains("bytes"), "{message}");
    // The error says what is wrong in words.
    let e = Schema::from_record("{\"tables\":5}").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("the recorded schema cannot be read: "),
        "{e}"
    );
}

/// What the drift report's items look like to a program reading its JSON.
#[test]
fn drifted_items_serialize_with_snake_case_kinds() {
    let d = Drifted {
        kind: DriftKind::ForeignKeyDropped,
        table: "ports".into(),
        object: None,
        expected: Some("(device_id) REFERENCES devices (id)".into()),
        found: None,
    };
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        "{\"kind\":\"foreign_key_dropped\",\"table\":\"ports\",\"object\":null,\"expected\":\"(device_id) REFERENCES devices (id)\",\"found\":null}"
    );
    assert_eq!(
        d.to_string(),
        "foreign key on ports was dropped (expected (device_id) REFERENCES devices (id))"
    );
}

//! Data revisions over many rows: `Db::in_chunks` reads a table a chunk at a time in key order,
//! `Db::execute_many` writes a chunk's statements in as few round trips as the driver can,
//! `Db::update_rows` writes computed values back set-based; on SQLite, PostgreSQL and MariaDB.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use quark_migrate::backend::{Backend, Value};
use quark_migrate::code::Db;
use quark_migrate::revision::Dialect;
use servers::{Kind, TestDb, connect};

const ROWS: i64 = 12_345;
const CHUNK: usize = 1_000;

fn chunked_reads_and_batched_writes(db: &mut dyn Backend) {
    db.run("CREATE TABLE items (id VARCHAR(20) NOT NULL PRIMARY KEY, n INT NOT NULL, doubled INT, note VARCHAR(40))")
        .unwrap();
    let mut handle = Db::new(db);
    let seed: Vec<Vec<Value>> = (0..ROWS)
        .map(|i| vec![Value::Text(format!("k{i:06}")), Value::Int(i)])
        .collect();
    let inserted = handle
        .execute_many("INSERT INTO items (id, n) VALUES (?, ?)", &seed)
        .unwrap();
    assert_eq!(inserted, ROWS as u64);

    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    let mut changed = 0;
    handle
        .in_chunks("SELECT id, n FROM items", "id", CHUNK, |db, rows| {
            sizes.push(rows.len());
            let updates: Vec<Vec<Value>> = rows
                .iter()
                .map(|r| {
                    seen.push(r[0].as_text().unwrap().to_string());
                    let n = r[1].as_int().unwrap();
                    // A quote and a backslash travel as data, not SQL.
                    vec![
                        Value::Int(n * 2),
                        Value::Text(format!("it's {n}\\")),
                        r[0].clone(),
                    ]
                })
                .collect();
            changed += db.execute_many(
                "UPDATE items SET doubled = ?, note = ? WHERE id = ?",
                &updates,
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(changed, ROWS as u64);
    assert!(sizes.iter().all(|s| *s <= CHUNK), "{sizes:?}");
    assert_eq!(sizes.len(), (ROWS as usize).div_ceil(CHUNK));
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "every row once, in key order");
    assert_eq!(seen.len(), ROWS as usize);
    let wrong = db
        .query(
            "SELECT COUNT(*) FROM items WHERE doubled IS NULL OR doubled <> n * 2",
            &[],
        )
        .unwrap();
    assert_eq!(wrong[0][0].as_int(), Some(0));
    let note = db
        .query("SELECT note FROM items WHERE id = 'k000042'", &[])
        .unwrap();
    assert_eq!(note[0][0].as_text(), Some("it's 42\\"));
}

/// `Db::update_rows` over the table the test above filled: each row's values reach the row its
/// key names, in the column's own type, in batches larger than one statement's.
fn set_based_updates(db: &mut dyn Backend) {
    let mut handle = Db::new(db);
    let mut rows: Vec<Vec<Value>> = (0..ROWS)
        .filter(|i| i % 3 == 0)
        .map(|i| {
            let note = if i % 2 == 0 {
                Value::Null
            } else {
                Value::Text(format!("o'k {i}\\ \"q\""))
            };
            vec![Value::Text(format!("k{i:06}")), Value::Int(-i), note]
        })
        .collect();
    // A key no row has changes nothing.
    rows.push(vec![Value::from("missing"), Value::Int(1), Value::Null]);
    let changed = handle
        .update_rows("items", "id", &["doubled", "note"], &rows)
        .unwrap();
    assert_eq!(changed, (rows.len() - 1) as u64);
    assert_eq!(
        handle.statements(),
        1,
        "one statement as the revision sees it"
    );
    let wrong = db
        .query(
            "SELECT COUNT(*) FROM items WHERE (doubled <> -n AND n % 3 = 0) OR (doubled <> n * 2 AND n % 3 <> 0)",
            &[],
        )
        .unwrap();
    assert_eq!(wrong[0][0].as_int(), Some(0));
    let notes = db
        .query(
            "SELECT id, note FROM items WHERE id IN ('k000003', 'k000006', 'k000004') ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(notes[0][1].as_text(), Some("o'k 3\\ \"q\""));
    assert_eq!(notes[1][1].as_text(), Some("it's 4\\"), "untouched");
    assert_eq!(notes[2][1], Value::Null);

    let mut handle = Db::new(db);
    let error = handle
        .update_rows(
            "items",
            "id",
            &["doubled", "note"],
            &[vec![Value::from("k000001")]],
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("update_rows on items: a row has 1 values, not 3"),
        "{error}"
    );
}

fn on(dialect: Dialect) {
    match dialect {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let mut db =
                connect(&format!("sqlite:///{}", dir.path().join("r.db").display())).unwrap();
            chunked_reads_and_batched_writes(db.as_mut());
            set_based_updates(db.as_mut());
        }
        Dialect::Postgresql | Dialect::Mysql => {
            let kind = if dialect == Dialect::Mysql {
                Kind::Mysql
            } else {
                Kind::Postgres
            };
            let Some(t) = TestDb::new(kind) else {
                return;
            };
            let mut db = t.db();
            chunked_reads_and_batched_writes(db.as_mut());
            set_based_updates(db.as_mut());
        }
    }
}

/// On PostgreSQL each value is cast to its column's own type: types with no JSON or integer
/// form, a quoted mixed-case table, a value too long for its `varchar(n)` refused (not cut), and
/// a column whose type a statement changed between two calls.
#[test]
fn update_rows_casts_to_each_columns_type_on_postgres() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let mut db = t.db();
    db.run("CREATE TYPE mood AS ENUM ('calm', 'busy')").unwrap();
    db.run(
        "CREATE TABLE \"Things\" (id UUID PRIMARY KEY, flag BOOLEAN, at TIMESTAMPTZ, addr INET, \
         amount NUMERIC(10, 2), doc JSONB, tags INT[], state mood, code VARCHAR(5), pad CHAR(6))",
    )
    .unwrap();
    let ids = [
        "9f0c1e34-6a7b-4c2d-8e9f-0a1b2c3d4e5f",
        "1a2b3c4d-0000-4000-8000-00000000abcd",
    ];
    for id in ids {
        db.execute(
            "INSERT INTO \"Things\" (id) VALUES ($1::uuid)",
            &[Value::from(id)],
        )
        .unwrap();
    }
    let columns = [
        "flag", "at", "addr", "amount", "doc", "tags", "state", "code", "pad",
    ];
    let row = |id: &str, values: [&str; 9]| {
        std::iter::once(Value::from(id))
            .chain(values.iter().map(|v| Value::from(*v)))
            .collect::<Vec<_>>()
    };
    let rows = vec![
        row(
            ids[0],
            [
                "true",
                "2026-12-06 10:00:00+00",
                "10.0.0.1/32",
                "12.5",
                "{\"a\": [1, 2]}",
                "{1,2,3}",
                "busy",
                "abc",
                "ab",
            ],
        ),
        row(
            ids[1],
            [
                "f",
                "2026-01-01T00:00:00Z",
                "::1",
                "-3",
                "null",
                "{}",
                "calm",
                "ABCDE",
                "wxyz12",
            ],
        ),
    ];
    let mut handle = Db::new(db.as_mut());
    assert_eq!(
        handle.update_rows("Things", "id", &columns, &rows).unwrap(),
        2
    );
    let read = db
        .query(
            "SELECT flag::text, at = '2026-12-06 10:00:00+00', host(addr), amount::text, doc->>'a', \
             array_length(tags, 1), state::text, code, pad || '|' FROM \"Things\" ORDER BY id",
            &[],
        )
        .unwrap();
    let text = |r: &Vec<Value>| {
        r.iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        read.iter().map(text).collect::<Vec<_>>(),
        [
            r#"Text("false") Int(0) Text("::1") Text("-3.00") Null Null Text("calm") Text("ABCDE") Text("wxyz12|")"#,
            r#"Text("true") Int(1) Text("10.0.0.1") Text("12.50") Text("[1, 2]") Int(3) Text("busy") Text("abc") Text("ab|")"#,
        ]
    );
    // Too long for varchar(5): refused, as setting it would be.
    let mut handle = Db::new(db.as_mut());
    let long = vec![vec![Value::from(ids[0]), Value::from("abcdef")]];
    let error = handle
        .update_rows("Things", "id", &["code"], &long)
        .unwrap_err()
        .to_string();
    assert!(error.contains("too long"), "{error}");
    // A statement changes the column's type; the next call casts to the new one.
    db.run("ALTER TABLE \"Things\" ALTER COLUMN code TYPE INT USING length(code)")
        .unwrap();
    let mut handle = Db::new(db.as_mut());
    let number = vec![vec![Value::from(ids[0]), Value::Int(42)]];
    assert_eq!(
        handle
            .update_rows("Things", "id", &["code"], &number)
            .unwrap(),
        1
    );
    let code = db
        .query(
            "SELECT code FROM \"Things\" WHERE id = $1::uuid",
            &[Value::from(ids[0])],
        )
        .unwrap();
    assert_eq!(code[0][0].as_int(), Some(42));
}

fn count_up(db: &mut Db<'_>) -> Result<(), quark_migrate::code::CodeError> {
    db.in_chunks("SELECT id, n FROM items", "id", 1_000, |db, rows| {
        let updates: Vec<Vec<Value>> = rows.iter().map(|r| vec![r[0].clone()]).collect();
        db.execute_many("UPDATE items SET n = n + 1 WHERE id = ?", &updates)?;
        Ok(())
    })
}

#[test]
fn an_application_hears_each_step_and_the_rows_of_a_data_revision() {
    use quark_migrate::EmbeddedFile;
    use quark_migrate::code::Code;
    use quark_migrate::migrator::Event;
    use std::sync::{Arc, Mutex};

    let files: &'static [EmbeddedFile] = Box::leak(Box::new([
        EmbeddedFile {
            path: "migrations/a1_items.sql",
            source: "-- items\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL);\nINSERT INTO items (id, n) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2500) SELECT i, 0 FROM c;\n\n-- +downgrade\nDROP TABLE items;\n",
            summary: None,
            code: None,
        },
        EmbeddedFile {
            path: "migrations/b2_count.rs",
            source: "//! count up\n//!\n//! Revision ID: b2\n//! Revises: a1\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    Ok(())\n}\n",
            summary: None,
            code: Some(Code {
                upgrade: count_up,
                downgrade: None,
            }),
        },
    ]));
    let heard: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = heard.clone();
    let migrations = quark_migrate::Migrations::new(files)
        .unwrap()
        .observe(move |e: &Event| sink.lock().unwrap().push(e.clone()));
    let dir = tempfile::tempdir().unwrap();
    migrations
        .migrate(&format!("sqlite:///{}", dir.path().join("o.db").display()))
        .unwrap();
    let heard = heard.lock().unwrap();
    let kinds: Vec<String> = heard
        .iter()
        .map(|e| match e {
            Event::StepStarted {
                revision,
                statements,
                ..
            } => format!("start {revision} {statements}"),
            Event::Progress { revision, rows, .. } => format!("progress {revision} {rows:?}"),
            Event::StepFinished { revision, .. } => format!("end {revision}"),
            _ => "other".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "start a1 2",
            "end a1",
            "start b2 0",
            "progress b2 Some((1000, Some(2500)))",
            "progress b2 Some((2000, Some(2500)))",
            "progress b2 Some((2500, Some(2500)))",
            "end b2",
        ]
    );
    let Event::Progress { .. } = &heard[3] else {
        unreachable!()
    };
    assert!(
        heard[3].remaining().is_some(),
        "an estimate once rows are done"
    );
}

#[test]
fn sqlite_chunks_and_batches() {
    on(Dialect::Sqlite);
}

#[test]
fn postgres_chunks_and_batches() {
    on(Dialect::Postgresql);
}

#[test]
fn mysql_chunks_and_batches() {
    on(Dialect::Mysql);
}

//! The engine as an application adopts it: on the connection the application already holds
//! (`rusqlite::Connection`, in memory too; `postgres::Client`; `mysql::Conn` and `PooledConn`),
//! and from inside tokio runtimes of both flavours, sync and async, on SQLite, PostgreSQL and
//! MariaDB; with the chain of the application in `support/app.rs`. PostgreSQL and MariaDB
//! follow the rules of `support/servers.rs`.

#![cfg(all(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "tokio"
))]

#[path = "support/app.rs"]
mod app;
#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;
#[path = "support/target.rs"]
mod target;

use std::fs::File;
use std::time::Duration;

use app::{BEFORE_HEAD, HEAD, migrations};
use quark_migrate::backend::{Backend, Value};
use quark_migrate::code::{Code, CodeError, Db};
use quark_migrate::revision::Dialect;
use quark_migrate::{EmbeddedFile, Error, Migrations};
use servers::{Kind, TestDb};
use target::Target;

fn rows(db: &mut dyn Backend, sql: &str) -> i64 {
    db.query(sql, &[]).unwrap()[0][0].as_int().unwrap()
}

/// The SQLite file or server database `target` names, as the application's own connection.
enum Own {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
    Mysql(mysql::Conn),
}

impl Own {
    fn open(target: &Target) -> Own {
        match target {
            Target::Sqlite(dir) => {
                Own::Sqlite(rusqlite::Connection::open(dir.path().join("app.db")).unwrap())
            }
            Target::Server(t) => match t.kind {
                Kind::Postgres => Own::Postgres(
                    postgres::Client::connect(
                        &format!("host=127.0.0.1 user=postgres dbname={}", t.name),
                        postgres::NoTls,
                    )
                    .unwrap(),
                ),
                Kind::Mysql => Own::Mysql(mysql::Conn::new(mysql_opts(t)).unwrap()),
            },
        }
    }

    fn upgrade(&mut self, m: &Migrations) -> Result<quark_migrate::Report, Error> {
        match self {
            Own::Sqlite(c) => m.upgrade(c),
            Own::Postgres(c) => m.upgrade(c),
            Own::Mysql(c) => m.upgrade(c),
        }
    }

    fn status(&mut self, m: &Migrations) -> quark_migrate::Status {
        match self {
            Own::Sqlite(c) => m.status(c),
            Own::Postgres(c) => m.status(c),
            Own::Mysql(c) => m.status(c),
        }
        .unwrap()
    }

    /// A count through the application's own driver: the connection is still its to use.
    fn count(&mut self, sql: &str) -> i64 {
        match self {
            Own::Sqlite(c) => c.query_row(sql, [], |r| r.get(0)).unwrap(),
            Own::Postgres(c) => c.query_one(sql, &[]).unwrap().get(0),
            Own::Mysql(c) => {
                use mysql::prelude::Queryable;
                c.query_first(sql).unwrap().unwrap()
            }
        }
    }
}

fn mysql_opts(t: &TestDb) -> mysql::Opts {
    mysql::Opts::from_url(&t.url).unwrap()
}

/// The application's connection is migrated to head with the same history and checks as a URL,
/// stays usable, and is refused while another migrator holds the lock.
fn the_applications_connection_is_migrated(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let m = migrations();
    let mut own = Own::open(&target);
    let report = own.upgrade(&m).unwrap();
    assert_eq!(report.steps.len(), app::files().len());
    assert_eq!(report.after, [HEAD]);
    assert!(own.status(&m).is_up_to_date());
    assert_eq!(own.count("SELECT count(*) FROM items"), 0);
    let mut db = target.db();
    assert_eq!(
        rows(
            db.as_mut(),
            "SELECT count(*) FROM alembic_version_history WHERE outcome = 'success' AND checksum IS NOT NULL"
        ),
        app::files().len() as i64
    );
    // Drift is found on a lent connection as on any other.
    db.run(&format!(
        "UPDATE alembic_version_history SET checksum = 'edited' WHERE revision = '{HEAD}'"
    ))
    .unwrap();
    assert_eq!(own.status(&m).drift[0].revision, HEAD);
    db.run(&format!(
        "DELETE FROM alembic_version_history WHERE revision = '{HEAD}' AND checksum = 'edited'"
    ))
    .unwrap();
    m.migrator()
        .unwrap()
        .downgrade(db.as_mut(), &"-1".parse().unwrap())
        .unwrap();

    // Another migrator holds the lock: the lent connection waits for it, as a URL would.
    let mut holder = target.db();
    holder
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
    let patient = migrations().lock_timeout(Duration::from_millis(300));
    let e = own.upgrade(&patient).unwrap_err();
    assert!(matches!(e, Error::LockTimeout { .. }), "{e}");
    if dialect != Dialect::Sqlite {
        // The server says which session holds the lock and what it is doing.
        let Error::LockTimeout {
            holder: Some(holder),
            ..
        } = &e
        else {
            panic!("the lock's holder is named: {e}")
        };
        assert!(holder.starts_with("session "), "{holder}");
        assert!(
            e.to_string()
                .contains("another migration holds it (session "),
            "{e}"
        );
    }
    holder.unlock().unwrap();
    let report = own.upgrade(&patient).unwrap();
    assert_eq!(report.before, [BEFORE_HEAD]);
    assert_eq!(report.after, [HEAD]);
}

on_each_backend! {
    the_applications_connection_is_migrated => own_sqlite_connection, own_postgres_client, own_mysql_conn;
}

#[test]
fn an_in_memory_sqlite_database_is_migrated_and_its_settings_kept() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let report = migrations().upgrade(&mut conn).unwrap();
    assert_eq!(report.steps.len(), app::files().len());
    let version: String = conn
        .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, HEAD);
    let enforced: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(enforced, 1, "foreign-key enforcement is back as it was");
    assert!(migrations().status(&mut conn).unwrap().is_up_to_date());

    let mut off = rusqlite::Connection::open_in_memory().unwrap();
    off.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    migrations().upgrade(&mut off).unwrap();
    let enforced: i64 = off
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(enforced, 0);
}

#[test]
fn a_sqlite_connection_in_a_transaction_is_refused_and_left_as_it_was() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("BEGIN; CREATE TABLE mine (x INT);")
        .unwrap();
    let e = migrations().upgrade(&mut conn).unwrap_err();
    assert!(e.to_string().contains("has a transaction open"), "{e}");
    assert!(
        !conn.is_autocommit(),
        "the application's transaction is still open"
    );
    conn.execute_batch("COMMIT").unwrap();
    migrations().upgrade(&mut conn).unwrap();
}

#[test]
fn a_lent_sqlite_file_takes_the_lock_file_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    let lock = File::create(dir.path().join("app.db.lock")).unwrap();
    lock.try_lock().unwrap();
    let m = migrations().lock_timeout(Duration::from_millis(200));
    assert!(matches!(
        m.upgrade(&mut conn),
        Err(Error::LockTimeout { .. })
    ));
    lock.unlock().unwrap();
    m.upgrade(&mut conn).unwrap();
    lock.try_lock().expect("released after the upgrade");
}

#[test]
fn a_pooled_mysql_connection_is_migrated() {
    let Some(t) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let pool = mysql::Pool::new(mysql_opts(&t)).unwrap();
    let mut conn = pool.get_conn().unwrap();
    assert_eq!(
        migrations().upgrade(&mut conn).unwrap().after,
        [HEAD.to_string()]
    );
    assert!(migrations().status(&mut conn).unwrap().is_up_to_date());
    drop(conn);
    let mut no_database =
        mysql::Conn::new(mysql::OptsBuilder::from_opts(mysql_opts(&t)).db_name(None::<String>))
            .unwrap();
    let e = migrations().upgrade(&mut no_database).unwrap_err();
    assert!(e.to_string().contains("has no database selected"), "{e}");
}

fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }
}

/// Every entry point called from async code: the sync calls (which used to panic on PostgreSQL
/// with "Cannot start a runtime from within a runtime"), a connection opened, used and dropped
/// there, and the async calls.
fn works_inside_tokio(dialect: Dialect, multi_thread: bool) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let url = target.url();
    runtime(multi_thread).block_on(async {
        let m = migrations();
        let report = m.migrate_async(&url).await.unwrap();
        assert_eq!(report.after, [HEAD]);
        assert!(m.migrate(&url).unwrap().steps.is_empty());
        let mut db = m.connect(&url).unwrap();
        assert!(m.status(&mut db).unwrap().is_up_to_date());
        assert_eq!(
            db.query("SELECT version_num FROM alembic_version", &[])
                .unwrap(),
            [[Value::Text(HEAD.into())]]
        );
        drop(db);
    });
}

fn inside_a_current_thread_runtime(dialect: Dialect) {
    works_inside_tokio(dialect, false);
}

fn inside_a_multi_thread_runtime(dialect: Dialect) {
    works_inside_tokio(dialect, true);
}

on_each_backend! {
    inside_a_current_thread_runtime => sqlite_in_current_thread_runtime, postgres_in_current_thread_runtime, mysql_in_current_thread_runtime;
    inside_a_multi_thread_runtime => sqlite_in_multi_thread_runtime, postgres_in_multi_thread_runtime, mysql_in_multi_thread_runtime;
}

/// The application's own connection, migrated from async code and handed back.
fn own_connection_from_async_code(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let own = Own::open(&target);
    runtime(false).block_on(async {
        let m = migrations();
        let (mut own, report) = match own {
            Own::Sqlite(c) => {
                let (c, r) = m.upgrade_async(c).await;
                (Own::Sqlite(c), r.unwrap())
            }
            Own::Postgres(c) => {
                let (c, r) = m.upgrade_async(c).await;
                (Own::Postgres(c), r.unwrap())
            }
            Own::Mysql(c) => {
                let (c, r) = m.upgrade_async(c).await;
                (Own::Mysql(c), r.unwrap())
            }
        };
        assert_eq!(report.after, [HEAD]);
        // The sync call on the handed-back connection, still inside the runtime.
        assert!(own.status(&m).is_up_to_date());
        let own = match own {
            Own::Postgres(c) => {
                // A postgres client must not be dropped on a thread that drives async tasks.
                tokio::task::spawn_blocking(move || drop(c)).await.unwrap();
                return;
            }
            other => other,
        };
        drop(own);
    });
}

on_each_backend! {
    own_connection_from_async_code => own_sqlite_connection_async, own_postgres_client_async, own_mysql_conn_async;
}

/// A failed upgrade hands the application's connection back too, still usable.
#[test]
fn a_failed_async_upgrade_hands_the_connection_back() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
         INSERT INTO alembic_version VALUES ('0123456789ab');",
    )
    .unwrap();
    runtime(false).block_on(async {
        let (conn, result) = migrations().upgrade_async(conn).await;
        let error = result.unwrap_err();
        assert!(error.to_string().contains("0123456789ab"), "{error}");
        let (conn, status) = migrations().status_async(conn).await;
        assert!(status.is_err());
        let held: String = conn
            .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(held, "0123456789ab");
    });
}

const PANICKY_B2: &str = "//! writes a row, then panics\n//!\n//! Revision ID: b2\n//! Revises: a1\n//! Create Date: 2026-12-01\n\nuse quark_migrate::code::{CodeError, Db};\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    unreachable!()\n}\n";

/// A revision with a bug: it writes a row, then panics.
fn writes_then_panics(db: &mut Db<'_>) -> Result<(), CodeError> {
    db.execute("INSERT INTO t_panics (x) VALUES (?)", &[Value::Int(1)])?;
    panic!("a bug in revision b2");
}

static PANICKY: &[EmbeddedFile] = &[
    EmbeddedFile {
        path: "migrations/a1_t.sql",
        source: "-- a\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE t_panics (x BIGINT);\n\n-- +downgrade\nDROP TABLE t_panics;\n",
        summary: None,
        code: None,
    },
    EmbeddedFile {
        path: "migrations/b2_panics.rs",
        source: PANICKY_B2,
        summary: None,
        code: Some(Code {
            upgrade: writes_then_panics,
            downgrade: None,
        }),
    },
];

/// A panic in a revision inside an async call rolls its transaction back, frees the migration
/// lock, and reaches the caller as the panic it is.
fn a_panic_in_an_async_migration_rolls_back_and_frees_the_lock(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let url = target.url();
    let m = Migrations::new(PANICKY).unwrap();
    let rt = runtime(true);
    let caught = rt.block_on(async {
        let m = m.clone();
        tokio::spawn(async move { m.migrate_async(&url).await }).await
    });
    let panic = caught.expect_err("the migration panicked").into_panic();
    assert_eq!(
        panic.downcast_ref::<&str>().copied(),
        Some("a bug in revision b2")
    );
    let mut db = target.db();
    assert_eq!(rows(db.as_mut(), "SELECT count(*) FROM t_panics"), 0);
    let versions = db
        .query("SELECT version_num FROM alembic_version", &[])
        .unwrap();
    assert_eq!(versions, [[Value::Text("a1".into())]], "left at a1");
    match &target {
        Target::Sqlite(dir) => File::open(dir.path().join("app.db.lock"))
            .unwrap()
            .try_lock()
            .expect("the lock file was released"),
        Target::Server(_) => {
            db.try_lock("alembic_version")
                .map(|taken| assert!(taken, "the migration lock is free"))
                .expect("the lock was released");
            db.unlock().unwrap();
        }
    }
    // The same in a sync call from async code: the panic reaches the caller, nothing is left.
    let url = target.url();
    let caught = rt.block_on(async move {
        tokio::spawn(async move {
            let _ = Migrations::new(PANICKY).unwrap().migrate(&url);
        })
        .await
    });
    assert!(caught.unwrap_err().is_panic());
    assert_eq!(rows(db.as_mut(), "SELECT count(*) FROM t_panics"), 0);
}

on_each_backend! {
    a_panic_in_an_async_migration_rolls_back_and_frees_the_lock => panic_in_async_sqlite, panic_in_async_postgres, panic_in_async_mysql;
}

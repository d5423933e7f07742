//! Revisions that fail, panic, wait for the application's locks or are killed part-way, on real
//! PostgreSQL and MariaDB/MySQL servers on 127.0.0.1, through the library with two-revision
//! chains written here: what the server rolled back or kept is reported, the lock is released,
//! and the next run resumes or settles what was left.
//!
//! Each test creates its own database and drops it afterwards. Without a reachable server the
//! tests print why and pass locally; under CI (`CI` set) an unreachable server is a failure.

#![cfg(all(feature = "postgres", feature = "mysql"))]

use std::time::Duration;

#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;

use quark_migrate::Error;
use quark_migrate::backend::{self, Backend};
use quark_migrate::migrator::Migrator;
use quark_migrate::source;
use servers::{Kind, TestDb};

/// A two-revision chain: `a1` creates `t_a`; `b2` (revising `a1`) is the text given.
fn chain_with(b2: &str) -> quark_migrate::revision::RevisionMap {
    let files = [
        source::SourceFile { path: "migrations/a1_x.sql".into(), name: "a1_x.sql".into(), text: "-- a\n--\n-- Revision ID: a1\n-- Revises: None\n-- +upgrade\nCREATE TABLE t_a (x INT);\n-- +downgrade\nDROP TABLE t_a;\n".into() },
        source::SourceFile { path: "migrations/b2_x.sql".into(), name: "b2_x.sql".into(), text: b2.into() },
    ];
    source::build_map(&files).unwrap()
}

fn failing_revision(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_missing VALUES (1);\n-- +downgrade\nDROP TABLE t_b;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!((f.revision.as_str(), f.statement, f.line), ("b2", 2, 7));
    assert!(f.message.contains("t_missing"), "{}", f.message);
    assert_eq!(
        m.current(db.as_mut()).unwrap(),
        ["a1"],
        "the version table stays at the previous revision"
    );
    let t_b_exists = db.table_exists("t_b").unwrap();
    match kind {
        // PostgreSQL rolls the CREATE TABLE back with the revision.
        Kind::Postgres => assert!(
            !t_b_exists
                && f.took_effect == 0
                && err
                    .to_string()
                    .contains("nothing of this upgrade took effect")
        ),
        // MySQL commits DDL implicitly: the report must say so.
        Kind::Mysql => assert!(
            t_b_exists
                && f.took_effect == 1
                && err.to_string().contains("statements 1 to 1 took effect")
        ),
    }
}

#[test]
fn postgres_non_transactional_revision_runs_create_index_concurrently() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let map = chain_with(
        "-- concurrent index\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n-- +upgrade\nCREATE INDEX CONCURRENTLY ix_t_a_x ON t_a (x);\n-- +downgrade\nDROP INDEX CONCURRENTLY ix_t_a_x;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map);
    m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    assert_eq!(
        t.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t_a_x'"),
        1
    );
    m.downgrade(db.as_mut(), &"base".parse().unwrap()).unwrap();
    assert!(m.current(db.as_mut()).unwrap().is_empty());
    assert_eq!(
        t.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t_a_x'"),
        0
    );
}

#[test]
fn mysql_failed_revision_is_reported_again_and_resumed_at_the_failed_statement() {
    let Some(t) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_fix VALUES (1);\nCREATE TABLE t_c (x INT);\n-- +downgrade\nDROP TABLE t_c;\nDROP TABLE t_b;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map);
    let head = "head".parse().unwrap();
    let first = m.upgrade(db.as_mut(), &head).unwrap_err();
    assert!(
        first.to_string().contains("statements 1 to 1 took effect"),
        "{first}"
    );
    let again = m.upgrade(db.as_mut(), &head).unwrap_err();
    assert!(
        matches!(&again, Error::Unfinished(row) if row.revision == "b2" && row.statements_done == 1),
        "{again}"
    );
    assert!(again.to_string().contains("t_fix"), "{again}");
    assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    db.run("CREATE TABLE t_fix (x INT)").unwrap();
    m.clone().resume(true).upgrade(db.as_mut(), &head).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    assert!(db.table_exists("t_c").unwrap());
    assert_eq!(t.count("SELECT count(*) FROM alembic_version_history WHERE revision = 'b2' AND outcome = 'success' AND statements_done = 3"), 1);
}

/// The server's answer to a one-row, one-value query, as text.
fn scalar(db: &mut dyn Backend, sql: &str) -> String {
    match &db.query(sql, &[]).unwrap()[0][0] {
        quark_migrate::backend::Value::Int(i) => i.to_string(),
        quark_migrate::backend::Value::Text(s) => s.clone(),
        quark_migrate::backend::Value::Null => String::new(),
    }
}

/// A driver that panics on one statement, to show that a panic releases the server's lock.
struct PanicOn<'a>(&'a mut dyn Backend, &'static str);

/// A driver that dies (panics) right after the server ran one statement, before the client
/// could record it: what a kill at that moment leaves.
struct DiesAfter<'a>(&'a mut dyn Backend, &'static str);

impl Backend for DiesAfter<'_> {
    fn dialect(&self) -> quark_migrate::revision::Dialect {
        self.0.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, backend::BackendError> {
        self.0.try_lock(name)
    }
    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.0.lock_holder(name)
    }
    fn unlock(&mut self) -> Result<(), backend::BackendError> {
        self.0.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, backend::BackendError> {
        self.0.table_exists(table)
    }
    fn begin(&mut self) -> Result<(), backend::BackendError> {
        self.0.begin()
    }
    fn commit(&mut self) -> Result<(), backend::BackendError> {
        self.0.commit()
    }
    fn rollback(&mut self) -> Result<(), backend::BackendError> {
        self.0.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), backend::BackendError> {
        self.0.run(sql)?;
        assert!(!sql.contains(self.1), "the connection died");
        Ok(())
    }
    fn execute(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<u64, backend::BackendError> {
        self.0.execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<Vec<backend::Row>, backend::BackendError> {
        self.0.query(sql, params)
    }
    fn placeholder(&self, n: usize) -> String {
        self.0.placeholder(n)
    }
}

impl Backend for PanicOn<'_> {
    fn dialect(&self) -> quark_migrate::revision::Dialect {
        self.0.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, backend::BackendError> {
        self.0.try_lock(name)
    }
    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.0.lock_holder(name)
    }
    fn unlock(&mut self) -> Result<(), backend::BackendError> {
        self.0.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, backend::BackendError> {
        self.0.table_exists(table)
    }
    fn begin(&mut self) -> Result<(), backend::BackendError> {
        self.0.begin()
    }
    fn commit(&mut self) -> Result<(), backend::BackendError> {
        self.0.commit()
    }
    fn rollback(&mut self) -> Result<(), backend::BackendError> {
        self.0.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), backend::BackendError> {
        assert!(!sql.contains(self.1), "a bug in the application");
        self.0.run(sql)
    }
    fn execute(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<u64, backend::BackendError> {
        self.0.execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<Vec<backend::Row>, backend::BackendError> {
        self.0.query(sql, params)
    }
    fn placeholder(&self, n: usize) -> String {
        self.0.placeholder(n)
    }
    fn quote(&self, name: &str) -> String {
        self.0.quote(name)
    }
    fn transactional_ddl(&self) -> bool {
        self.0.transactional_ddl()
    }
    fn auto_increment_key(&self) -> &'static str {
        self.0.auto_increment_key()
    }
}

fn panic_releases_the_lock(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_panics (x INT);\n-- +downgrade\nDROP TABLE t_panics;\n",
    );
    let m = Migrator::new(&map).lock_timeout(std::time::Duration::from_secs(2));
    let head = "head".parse().unwrap();
    let mut db = t.db();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut panicky = PanicOn(db.as_mut(), "t_panics");
        let _ = m.upgrade(&mut panicky, &head);
    }));
    assert!(caught.is_err(), "the upgrade panicked");
    // The panicking connection is still open, yet the lock is free and no transaction is left open.
    let mut other = t.db();
    other
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .expect("the lock was released");
    other.unlock().unwrap();
    if let Kind::Postgres = kind {
        let open = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state LIKE 'idle in transaction%'",
            t.name
        );
        assert_eq!(
            t.count(&open),
            0,
            "the interrupted transaction was rolled back"
        );
    }
    // PostgreSQL rolled the revision back; MySQL recorded it as interrupted before its first
    // statement, and the next run reads from the database that the statement did not run.
    m.upgrade(other.as_mut(), &head).unwrap();
    assert_eq!(m.current(other.as_mut()).unwrap(), ["b2"]);
    drop(db);
}

#[test]
fn postgres_single_transaction_rolls_back_every_revision_and_names_the_statement() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_missing VALUES (1);\n-- +downgrade\nDROP TABLE t_b;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map).single_transaction(true);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &err else {
        panic!("{err}")
    };
    // Found by replaying b2 after a savepoint: the batch itself cannot say which statement failed.
    assert_eq!((f.revision.as_str(), f.statement, f.line), ("b2", 2, 7));
    assert!(f.left_at.is_empty(), "{err}");
    assert!(m.current(db.as_mut()).unwrap().is_empty());
    assert!(!db.table_exists("t_a").unwrap(), "a1 rolled back with b2");
    assert_eq!(
        t.count("SELECT count(*) FROM alembic_version_history WHERE outcome = 'failed'"),
        1
    );
}

#[test]
fn postgres_history_times_a_revision_sent_with_its_bookkeeping() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    // b2's statements, its version-table update, history row and commit go as one batch; the
    // server times the batch, so its history row still says how long b2 took.
    let map = chain_with(
        "-- slow\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nSELECT pg_sleep(0.3);\n-- +downgrade\nDROP TABLE t_b;\n",
    );
    for single in [false, true] {
        let mut db = t.db();
        let m = Migrator::new(&map).single_transaction(single);
        m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
        assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
        let b2 = m
            .history(db.as_mut())
            .unwrap()
            .into_iter()
            .rfind(|e| e.revision == "b2")
            .unwrap();
        assert_eq!((b2.statements, b2.statements_done), (2, 2));
        assert!(
            (Duration::from_millis(300)..Duration::from_secs(10)).contains(&b2.duration),
            "single transaction {single}: b2 took {:?}",
            b2.duration
        );
        m.downgrade(db.as_mut(), &"base".parse().unwrap()).unwrap();
    }
}

/// A migration waiting for a lock the application holds gives way: each of its statements waits
/// a short while at most, then gives up without taking effect, so the application's own queries
/// never queue behind it until the holder lets go; it is tried again and completes once the
/// holder commits, and when the holder never does it fails naming the holder, the database
/// still at its revision. Every step waits for an event (the server showing the migration's
/// statement waiting for the lock, a query returning), never for a while.
fn ddl_gives_way_to_the_application(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    const ALTER: &str = "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nALTER TABLE t_a ADD COLUMN y INT;\n-- +downgrade\nALTER TABLE t_a DROP COLUMN y;\n";
    let patient = |timeout_ms: u64, retries: u32| quark_migrate::migrator::LockWait {
        timeout: std::time::Duration::from_millis(timeout_ms),
        retries,
    };
    let map = chain_with(ALTER);
    let mut db = t.db();
    Migrator::new(&map)
        .upgrade(db.as_mut(), &"a1".parse().unwrap())
        .unwrap();
    // The application reads t_a in a transaction it keeps open.
    let mut holder = t.db();
    let holder_id = scalar(
        holder.as_mut(),
        match kind {
            Kind::Postgres => "SELECT pg_backend_pid()",
            Kind::Mysql => "SELECT CONNECTION_ID()",
        },
    );
    holder.begin().unwrap();
    holder.query("SELECT count(*) FROM t_a", &[]).unwrap();
    // Sessions whose ALTER of t_a waits for a table lock, as the server lists them.
    let mut observer = t.db();
    let waiting_alter = match kind {
        Kind::Postgres => {
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE '%ALTER TABLE t_a ADD COLUMN y%'"
        }
        Kind::Mysql => {
            "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND state = 'Waiting for table metadata lock' AND info LIKE '%ALTER TABLE t_a ADD COLUMN y%'"
        }
    };
    let url = t.url.clone();
    let migration = std::thread::spawn(move || {
        let map = chain_with(ALTER);
        let mut db = servers::connect(&url).unwrap();
        Migrator::new(&map)
            .lock_wait(patient(1000, 5))
            .upgrade(db.as_mut(), &"head".parse().unwrap())
            .map(|r| r.after)
            .map_err(|e| e.to_string())
    });
    let mut wait_for_the_alter_to_wait = |when: &str| {
        while scalar(observer.as_mut(), waiting_alter) == "0" {
            assert!(
                !migration.is_finished(),
                "the migration ended before its ALTER waited for the holder's lock ({when})"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    wait_for_the_alter_to_wait("first try");
    // An ordinary query of the application, from another session, while the ALTER waits in
    // the lock queue ahead of it: it returns while the holder still holds its lock, which it
    // could not were the ALTER to wait until the holder commits. (Its own lock timeout only
    // keeps a broken migration from hanging the test: it fails it instead.)
    let mut app = t.db();
    app.run(match kind {
        Kind::Postgres => "SET lock_timeout = '120s'",
        Kind::Mysql => "SET SESSION lock_wait_timeout = 120",
    })
    .unwrap();
    if let Err(e) = app.query("SELECT count(*) FROM t_a", &[]) {
        holder.commit().unwrap();
        let migration = migration.join().unwrap();
        panic!(
            "the application's query queued behind the migration's ALTER, itself waiting for the holder, until its own lock timeout gave up: {e} (the migration, once the holder committed: {migration:?})"
        );
    }
    // The ALTER gave way (else the query could not have run); it is tried again, and waits again
    // while the holder holds the lock.
    wait_for_the_alter_to_wait("tried again");
    holder.commit().unwrap();
    assert_eq!(migration.join().unwrap().unwrap(), ["b2"]);

    // The holder never lets go: the downgrade fails naming it, and nothing changed.
    holder.begin().unwrap();
    holder.query("SELECT count(*) FROM t_a", &[]).unwrap();
    let e = Migrator::new(&map)
        .lock_wait(patient(300, 1))
        .downgrade(db.as_mut(), &"a1".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &e else {
        panic!("{e}")
    };
    assert_eq!(f.attempts, 2, "{e}");
    let named = format!("session {holder_id}, ");
    assert!(
        f.blocked_by.iter().any(|b| b.starts_with(&named)),
        "{e}: {:?}",
        f.blocked_by
    );
    assert!(
        e.to_string()
            .contains("tried 2 times; the lock was held by"),
        "{e}"
    );
    holder.rollback().unwrap();
    assert_eq!(Migrator::new(&map).current(db.as_mut()).unwrap(), ["b2"]);
    db.query("SELECT y FROM t_a", &[]).unwrap();
}

/// A revision outside a transaction, killed around its second statement: the next plain
/// upgrade reads from the database whether that statement took effect and goes on; a database
/// that matches neither state is refused, naming the statement, until repaired and resumed.
fn interrupted_revision_is_settled_from_the_database(kind: Kind) {
    const B2: &str = "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n-- +upgrade\nCREATE TABLE t_b (x INT);\nCREATE INDEX ix_b ON t_b (x);\nINSERT INTO t_b (x) VALUES (1);\nALTER TABLE t_b ADD COLUMN z INT;\n-- +downgrade\nDROP TABLE t_b;\n";
    let map = chain_with(B2);
    let head: quark_migrate::revision::Target = "head".parse().unwrap();
    let kill = |db: &mut dyn Backend, after: bool, needle: &'static str| {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let m = Migrator::new(&map);
            let _ = if after {
                m.upgrade(&mut DiesAfter(db, needle), &head)
            } else {
                m.upgrade(&mut PanicOn(db, needle), &head)
            };
        }));
        assert!(caught.is_err(), "the run died");
    };
    let columns = |db: &mut dyn Backend| -> i64 {
        db.query("SELECT count(*) FROM t_b", &[]).unwrap()[0][0]
            .as_int()
            .unwrap()
    };
    for (after, needle) in [
        (true, "CREATE INDEX"),
        (false, "CREATE INDEX"),
        (true, "INSERT INTO t_b"),
    ] {
        let Some(t) = TestDb::new(kind) else { return };
        let mut db = t.db();
        kill(db.as_mut(), after, needle);
        assert_eq!(t.versions(), ["a1"]);
        let m = Migrator::new(&map);
        let left = m
            .interrupted(db.as_mut())
            .unwrap()
            .expect("b2 was interrupted");
        let done = if needle == "CREATE INDEX" { 1 } else { 2 };
        assert_eq!((left.revision.as_str(), left.statements_done), ("b2", done));
        m.upgrade(db.as_mut(), &head).unwrap();
        assert_eq!(t.versions(), ["b2"]);
        assert_eq!(columns(db.as_mut()), 1, "the row was inserted once");
        db.query("SELECT z FROM t_b", &[]).unwrap();
        assert!(m.interrupted(db.as_mut()).unwrap().is_none());
    }

    // What neither state explains is refused, and nothing runs until repaired and resumed.
    let Some(t) = TestDb::new(kind) else { return };
    let mut db = t.db();
    kill(db.as_mut(), true, "CREATE INDEX");
    db.run("ALTER TABLE t_b ADD COLUMN stray INT").unwrap();
    let m = Migrator::new(&map);
    let refused = m.upgrade(db.as_mut(), &head).unwrap_err();
    let Error::Unsettled(u) = &refused else {
        panic!("{refused}")
    };
    assert_eq!((u.statement, u.statements, u.line), (2, 4, 8));
    let text = refused.to_string();
    assert!(
        text.contains("the upgrade of b2 was interrupted at statement 2 of 4 (migrations/b2_x.sql:8): CREATE INDEX ix_b ON t_b (x)")
            && text.contains("matches neither the schema before it nor the schema after it")
            && text.contains("stray"),
        "{text}"
    );
    assert_eq!(t.versions(), ["a1"]);
    db.run("ALTER TABLE t_b DROP COLUMN stray").unwrap();
    let index = match kind {
        Kind::Postgres => "DROP INDEX ix_b",
        Kind::Mysql => "DROP INDEX ix_b ON t_b",
    };
    db.run(index).unwrap();
    m.clone().resume(true).upgrade(db.as_mut(), &head).unwrap();
    assert_eq!(t.versions(), ["b2"]);
}

on_each_server! {
    failing_revision => postgres_failing_revision, mysql_failing_revision;
    panic_releases_the_lock => postgres_panic_releases_the_lock, mysql_panic_releases_the_lock;
    ddl_gives_way_to_the_application => postgres_ddl_gives_way_to_the_application, mysql_ddl_gives_way_to_the_application;
    interrupted_revision_is_settled_from_the_database => postgres_interrupted_revision_is_settled, mysql_interrupted_revision_is_settled;
}

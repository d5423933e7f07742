//! The migration lock kept in a table (Galera, a transaction pooler) is a fenced lease: a waiter
//! waits for the longer of its lease and the holder's, and a holder that lost its lease stops
//! before its next statement and commits nothing, on PostgreSQL and MariaDB. The lease is forced
//! here on a plain server by a connection that says a pooler stands in front of it.

#![cfg(all(feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quark_migrate::backend::{
    self, Backend, BackendError, BatchError, ConnectOptions, DatabaseUrl, Row, ServerFacts,
    ServerOps, SessionSettings, TextRows, Tuning, Value,
};
use quark_migrate::code::{Code, CodeError, Db};
use quark_migrate::migrator::Migrator;
use quark_migrate::revision::{Dialect, RevisionMap};
use quark_migrate::source;
use servers::{Kind, TestDb};

/// A connection that says it reaches the server through a transaction pooler (so the engine
/// keeps its lock in a table); the renewer's connections fail while `cut` is set.
struct Pooled {
    inner: Box<dyn Backend>,
    cut: Option<Arc<AtomicBool>>,
}

impl Pooled {
    fn open(url: &str, cut: Arc<AtomicBool>) -> Pooled {
        let url = DatabaseUrl::parse(url).unwrap();
        let inner = backend::connect(&url, &ConnectOptions::default()).unwrap();
        Pooled {
            inner,
            cut: Some(cut),
        }
    }

    fn cut_off(&self) -> Result<(), BackendError> {
        match &self.cut {
            Some(cut) if cut.load(Ordering::SeqCst) => Err(BackendError::message(
                "the renewer is cut off from the server",
            )),
            _ => Ok(()),
        }
    }
}

impl Backend for Pooled {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, BackendError> {
        self.inner.try_lock(name)
    }
    fn unlock(&mut self) -> Result<(), BackendError> {
        self.inner.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        self.inner.table_exists(table)
    }
    fn begin(&mut self) -> Result<(), BackendError> {
        self.inner.begin()
    }
    fn commit(&mut self) -> Result<(), BackendError> {
        self.inner.commit()
    }
    fn rollback(&mut self) -> Result<(), BackendError> {
        self.inner.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.inner.run(sql)
    }
    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        self.inner.run_batch(statements)
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        self.cut_off()?;
        self.inner.execute(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        self.inner.query(sql, params)
    }
    fn query_text(&mut self, queries: &[&str]) -> Result<Vec<TextRows>, BackendError> {
        self.inner.query_text(queries)
    }
    fn placeholder(&self, n: usize) -> String {
        self.inner.placeholder(n)
    }
    fn quote(&self, name: &str) -> String {
        self.inner.quote(name)
    }
    fn transactional_ddl(&self) -> bool {
        self.inner.transactional_ddl()
    }
    fn tuning(&self) -> Tuning {
        self.inner.tuning()
    }
    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        Some(self)
    }
}

impl ServerOps for Pooled {
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        let mut facts = self.inner.server_ops().unwrap().facts()?;
        facts.session_lock_unsafe = Some("the test says a transaction pooler is in front".into());
        Ok(facts)
    }
    fn migration_session(&mut self, s: Option<&SessionSettings>) -> Result<(), BackendError> {
        self.inner.server_ops().unwrap().migration_session(s)
    }
    /// The renewer's connection: cut off while the flag is set.
    fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        let second = self.inner.server_ops().unwrap().second_connection()?;
        Ok(second.map(|inner| {
            Box::new(Pooled {
                inner,
                cut: self.cut.clone(),
            }) as Box<dyn Backend>
        }))
    }
}

const MARK_REV: &str = "//! marks\n//!\n//! Revision ID: b2\n//! Revises: a1\n//! Create Date: 2026-12-07\n\nuse quark_migrate::code::{CodeError, Db};\n\npub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {\n    unreachable!()\n}\n";

fn chain(dir: &Path) -> RevisionMap {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("a1_x.sql"),
        "-- a\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE marks (who VARCHAR(10));\n\n-- +downgrade\nDROP TABLE marks;\n",
    )
    .unwrap();
    std::fs::write(migrations.join("b2_marks.rs"), MARK_REV).unwrap();
    source::build_map(&source::read_dir(&migrations, "migrations").unwrap()).unwrap()
}

/// What b2 does, per test: the first run of it (the holder's) behaves as `FIRST` says.
static RUNS: AtomicUsize = AtomicUsize::new(0);
static FIRST: Mutex<Option<(Arc<AtomicBool>, Duration)>> = Mutex::new(None);
/// One test at a time: they share b2's behaviour.
static TURN: Mutex<()> = Mutex::new(());

/// b2: the first run (the holder) cuts its renewer off and stays away for a while, as a process
/// paused or partitioned would; then it writes a mark. Later runs write theirs at once.
fn mark(db: &mut Db<'_>) -> Result<(), CodeError> {
    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let who = if run == 0 { "holder" } else { "waiter" };
    if run == 0
        && let Some((cut, away)) = FIRST.lock().unwrap().clone()
    {
        cut.store(true, Ordering::SeqCst);
        std::thread::sleep(away);
    }
    db.execute("INSERT INTO marks (who) VALUES (?)", &[Value::from(who)])?;
    Ok(())
}

fn migrator(map: &RevisionMap, lease: Duration) -> Migrator<'_> {
    Migrator::new(map)
        .lock_lease(lease)
        .lock_timeout(Duration::from_secs(30))
        .code([(
            "b2".to_string(),
            Code {
                upgrade: mark,
                downgrade: None,
            },
        )])
}

fn marks(url: &str) -> Vec<String> {
    let mut db = servers::connect(url).unwrap();
    db.query("SELECT who FROM marks ORDER BY who", &[])
        .unwrap()
        .into_iter()
        .map(|r| r[0].as_text().unwrap().to_string())
        .collect()
}

/// Waits until the lock row has a holder: the holder is migrating.
fn held(url: &str) {
    let mut db = servers::connect(url).unwrap();
    for _ in 0..500 {
        if db.table_exists("alembic_version_lock").unwrap()
            && !db
                .query("SELECT holder FROM alembic_version_lock", &[])
                .unwrap()
                .is_empty()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the holder never took the lock");
}

/// A holder with a long lease keeps renewing; a waiter started with a short one waits for the
/// holder's (it no longer takes over a live holder), and b2 runs once.
fn a_shorter_lease_waits_for_the_holders(kind: Kind) {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let Some(t) = TestDb::new(kind) else { return };
    let dir = tempfile::tempdir().unwrap();
    let map = chain(dir.path());
    RUNS.store(0, Ordering::SeqCst);
    let cut = Arc::new(AtomicBool::new(false));
    // The holder stays in b2 for 2 s, renewing all along (its renewer is not cut off).
    *FIRST.lock().unwrap() = Some((Arc::new(AtomicBool::new(false)), Duration::from_secs(2)));
    std::thread::scope(|s| {
        let holder = s.spawn(|| {
            let mut db = Pooled::open(&t.url, cut.clone());
            migrator(&map, Duration::from_secs(3)).upgrade(&mut db, &"head".parse().unwrap())
        });
        held(&t.url);
        let mut db = Pooled::open(&t.url, cut.clone());
        let waited = migrator(&map, Duration::from_millis(200))
            .upgrade(&mut db, &"head".parse().unwrap())
            .unwrap();
        assert!(
            waited.steps.is_empty(),
            "the waiter found b2 done: {waited:?}"
        );
        let report = holder.join().unwrap().unwrap();
        assert_eq!(report.after, ["b2"]);
    });
    assert_eq!(marks(&t.url), ["holder"], "b2 ran once, by the holder");
}

/// The holder is cut off from renewing and stays away past its lease; the waiter takes the lock
/// over and applies b2; the holder, back, stops before its next statement with the lost-lease
/// error and commits nothing.
fn a_holder_that_lost_its_lease_stops_and_records_nothing(kind: Kind) {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let Some(t) = TestDb::new(kind) else { return };
    let dir = tempfile::tempdir().unwrap();
    let map = chain(dir.path());
    RUNS.store(0, Ordering::SeqCst);
    let cut = Arc::new(AtomicBool::new(false));
    let lease = Duration::from_millis(600);
    *FIRST.lock().unwrap() = Some((cut.clone(), lease * 5));
    std::thread::scope(|s| {
        let holder = s.spawn(|| {
            let mut db = Pooled::open(&t.url, cut.clone());
            migrator(&map, lease).upgrade(&mut db, &"head".parse().unwrap())
        });
        held(&t.url);
        // Wait until the holder is inside b2 with its renewer cut off, then start the waiter.
        while !cut.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut db = Pooled::open(&t.url, Arc::new(AtomicBool::new(false)));
        let report = migrator(&map, lease)
            .upgrade(&mut db, &"head".parse().unwrap())
            .unwrap();
        assert_eq!(report.after, ["b2"]);
        let stopped = holder.join().unwrap().unwrap_err();
        let said = stopped.to_string();
        assert!(
            said.contains("the migration lock in alembic_version_lock was lost")
                && said.contains("stopped before its next statement"),
            "the holder must stop with the lost lease: {said}"
        );
    });
    cut.store(false, Ordering::SeqCst);
    assert_eq!(marks(&t.url), ["waiter"], "the holder wrote nothing");
    let mut db = servers::connect(&t.url).unwrap();
    let m = Migrator::new(&map);
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    let applied: Vec<_> = m
        .history(db.as_mut())
        .unwrap()
        .into_iter()
        .filter(|e| e.revision == "b2" && e.outcome == quark_migrate::migrator::Outcome::Success)
        .collect();
    assert_eq!(applied.len(), 1, "b2 recorded once: {applied:?}");
}

#[test]
fn postgres_a_shorter_lease_waits_for_the_holders() {
    a_shorter_lease_waits_for_the_holders(Kind::Postgres);
}

#[test]
fn mysql_a_shorter_lease_waits_for_the_holders() {
    a_shorter_lease_waits_for_the_holders(Kind::Mysql);
}

#[test]
fn postgres_a_holder_that_lost_its_lease_stops_and_records_nothing() {
    a_holder_that_lost_its_lease_stops_and_records_nothing(Kind::Postgres);
}

#[test]
fn mysql_a_holder_that_lost_its_lease_stops_and_records_nothing() {
    a_holder_that_lost_its_lease_stops_and_records_nothing(Kind::Mysql);
}

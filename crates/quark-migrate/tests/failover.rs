//! Failover, without a cluster: a run from a URL whose connection is lost (its session
//! terminated, as a failover terminates it) connects again and goes on from what the database
//! holds; a lent connection gets the typed error; URLs naming several hosts connect to the first
//! that takes the session; a run reports success only once a replica that could take over has
//! replayed its last commit (a server with replicas played by a wrapper); and a step left
//! part-way shows once in the history after it is finished. The Patroni trials in quark's
//! `tests/clusters.rs` do the same against a real cluster.

#![cfg(all(feature = "postgres", feature = "sqlite"))]

#[path = "support/servers.rs"]
#[allow(dead_code, unused_macros)]
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use quark_migrate::backend::{
    self, Backend, BackendError, BatchError, ConnectOptions, DatabaseUrl, Replication, Row,
    ServerFacts, ServerOps, SessionSettings, TextRows, Tuning, Value,
};
use quark_migrate::migrator::{Event, Migrator, Operation, Outcome};
use quark_migrate::revision::{Dialect, RevisionMap};
use quark_migrate::source::{self, SourceFile};
use quark_migrate::{Error, Migrations};
use servers::{Kind, TestDb};

/// A chain of `(id, transactional, upgrade SQL)`, each revising the one before.
fn chain(revisions: &[(&str, bool, &str)]) -> RevisionMap {
    let files: Vec<SourceFile> = revisions
        .iter()
        .enumerate()
        .map(|(i, (id, transactional, sql))| {
            let parent = if i == 0 { "None" } else { revisions[i - 1].0 };
            SourceFile {
                path: format!("migrations/{id}_x.sql"),
                name: format!("{id}_x.sql"),
                text: format!(
                    "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n{}-- +upgrade\n{sql}\n",
                    if *transactional {
                        ""
                    } else {
                        "-- Transactional: false\n"
                    }
                ),
            }
        })
        .collect();
    source::build_map(&files).unwrap()
}

/// How many times the history says each revision was upgraded, and how many rows it has.
fn upgrades(db: &mut dyn Backend, map: &RevisionMap) -> (Vec<(String, usize)>, usize) {
    let history = Migrator::new(map).history(db).unwrap();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for entry in history
        .iter()
        .filter(|e| e.operation == Operation::Upgrade && e.outcome == Outcome::Success)
    {
        match counts.iter_mut().find(|(r, _)| *r == entry.revision) {
            Some((_, n)) => *n += 1,
            None => counts.push((entry.revision.clone(), 1)),
        }
    }
    (counts, history.len())
}

/// Fails unless each revision of `map` was upgraded exactly once by the history's word, and the
/// history holds nothing else.
fn each_once(db: &mut dyn Backend, map: &RevisionMap) {
    let (counts, rows) = upgrades(db, map);
    let ids: Vec<(String, usize)> = map.iter().map(|r| (r.id.clone(), 1)).collect();
    assert_eq!(counts, ids, "each revision upgraded once");
    assert_eq!(rows, map.len(), "no other history row");
}

#[test]
fn a_step_left_part_way_shows_once_in_the_history_once_finished() {
    let map = chain(&[
        ("a1", true, "CREATE TABLE t_a (x INT);"),
        (
            "b2",
            false,
            "CREATE TABLE t_b1 (x INT);\nCREATE TABLE t_b2 (x INT);\nCREATE TABLE t_b3 (x INT);\nCREATE TABLE t_b4 (x INT);",
        ),
        ("c3", true, "CREATE TABLE t_c (x INT);"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url =
        DatabaseUrl::parse(&format!("sqlite:///{}", dir.path().join("t.db").display())).unwrap();
    let mut db = backend::connect(&url, &ConnectOptions::default()).unwrap();
    // The run dies after b2's second statement (its progress recorded), as a killed one would.
    let dies = Arc::new(AtomicBool::new(true));
    let armed = dies.clone();
    let observer = move |event: &Event| {
        if let Event::Progress {
            revision,
            statements_done: 2,
            ..
        } = event
            && revision == "b2"
            && armed.swap(false, Ordering::SeqCst)
        {
            panic!("the migrating process dies here");
        }
    };
    let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Migrator::new(&map)
            .observe(Arc::new(observer))
            .upgrade(db.as_mut(), &"head".parse().unwrap())
    }));
    assert!(killed.is_err(), "the run died part-way");
    let left = Migrator::new(&map)
        .interrupted(db.as_mut())
        .unwrap()
        .unwrap();
    assert_eq!((left.revision.as_str(), left.statements_done), ("b2", 2));
    // The next run settles the statement in doubt and finishes b2 on the row it left.
    let report = Migrator::new(&map)
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap();
    assert_eq!(report.after, ["c3"]);
    each_once(db.as_mut(), &map);
}

/// The chain the lost-connection tests migrate: a1, then b2 and c3, each a table and a row.
fn rows_chain() -> RevisionMap {
    chain(&[
        (
            "a1",
            true,
            "CREATE TABLE t_rows (id INT PRIMARY KEY, note VARCHAR(10));",
        ),
        (
            "b2",
            true,
            "CREATE TABLE t_b (x INT);\nINSERT INTO t_rows VALUES (2, 'b2');",
        ),
        (
            "c3",
            false,
            "CREATE TABLE t_c (x INT);\nINSERT INTO t_rows VALUES (3, 'c3');\nCREATE INDEX CONCURRENTLY ix_c ON t_c (x);",
        ),
    ])
}

/// An observer that, once, when `revision` finishes, terminates every other session on the
/// database at `url` (the migrating one among them), as a failover does: `pg_terminate_backend`
/// waits until each has gone.
fn terminates_after(revision: &'static str, url: String) -> impl Fn(&Event) + Send + Sync {
    let armed = AtomicBool::new(true);
    move |event: &Event| {
        if let Event::StepFinished { revision: r, .. } = event
            && r == revision
            && armed.swap(false, Ordering::SeqCst)
        {
            let mut admin = servers::connect(&url).unwrap();
            let gone = admin
                .query(
                    // (CASE: the planner may not test a condition before calling the function.)
                    "SELECT count(*) FILTER (WHERE CASE WHEN pid <> pg_backend_pid() \
                     THEN pg_terminate_backend(pid, 10000) ELSE false END)::bigint \
                     FROM pg_stat_activity WHERE datname = current_database()",
                    &[],
                )
                .unwrap();
            assert!(
                gone[0][0].as_int().unwrap() >= 1,
                "the migrating session was terminated"
            );
        }
    }
}

/// The rows of `t_rows`: each revision's row inserted once.
fn rows(db: &mut dyn Backend) -> Vec<String> {
    db.query("SELECT id, note FROM t_rows ORDER BY id", &[])
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {}", r[0].as_int().unwrap(), r[1].as_text().unwrap()))
        .collect()
}

#[test]
fn a_run_from_a_url_connects_again_when_its_session_is_terminated() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    for (after, case) in [("a1", "inside the run"), ("c3", "after its last step")] {
        let t = TestDb::new(Kind::Postgres).unwrap();
        let report = Migrations::from_map(rows_chain())
            .observe(terminates_after(after, t.url.clone()))
            .migrate(&t.url)
            .unwrap_or_else(|e| panic!("terminated {case}: {e}"));
        assert_eq!(report.after, ["c3"], "terminated {case}");
        let mut db = t.db();
        assert_eq!(rows(db.as_mut()), ["2 b2", "3 c3"], "terminated {case}");
        each_once(db.as_mut(), &rows_chain());
    }
    // With no failover timeout, the lost connection is the error, typed.
    let err = Migrations::from_map(rows_chain())
        .failover_timeout(Duration::ZERO)
        .observe(terminates_after("a1", t.url.clone()))
        .migrate(&t.url)
        .unwrap_err();
    assert!(err.is_connection_lost(), "{err:?}");
    let report = Migrations::from_map(rows_chain()).migrate(&t.url).unwrap();
    assert_eq!(report.after, ["c3"]);
    each_once(t.db().as_mut(), &rows_chain());
}

#[test]
fn a_lent_connection_that_is_lost_gives_the_typed_error() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let migrations =
        Migrations::from_map(rows_chain()).observe(terminates_after("a1", t.url.clone()));
    let mut lent = t.db();
    let err = migrations.upgrade(lent.as_mut()).unwrap_err();
    assert!(err.is_connection_lost(), "{err:?}");
    drop(lent);
    // The application migrates again on a new connection: it goes on from a1.
    let report = Migrations::from_map(rows_chain())
        .upgrade(t.db().as_mut())
        .unwrap();
    assert_eq!(
        (report.before.as_slice(), report.after.as_slice()),
        (&["a1".to_string()][..], &["c3".to_string()][..])
    );
    let mut db = t.db();
    assert_eq!(rows(db.as_mut()), ["2 b2", "3 c3"]);
    each_once(db.as_mut(), &rows_chain());
}

#[test]
fn several_hosts_connect_to_the_first_that_takes_writes() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    // Port 1 refuses: the next host takes the session.
    for url in [
        format!(
            "postgresql://postgres@127.0.0.1:1,127.0.0.1:5432/{}?target_session_attrs=read-write",
            t.name
        ),
        format!(
            "postgresql://postgres@/{}?host=127.0.0.1,127.0.0.1&port=1,5432",
            t.name
        ),
    ] {
        let report = Migrations::from_map(rows_chain()).migrate(&url).unwrap();
        assert_eq!(report.after, ["c3"], "{url}");
    }
    each_once(t.db().as_mut(), &rows_chain());
    let err = Migrations::from_map(rows_chain())
        .migrate(&format!(
            "postgresql://postgres@127.0.0.1:5432/{}?target_session_attrs=primary",
            t.name
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown target_session_attrs 'primary'"),
        "{err}"
    );
}

#[test]
fn a_cluster_none_of_whose_hosts_answers_is_waited_for_then_named() {
    // Nothing listens on ports 1 and 2: a cluster URL waits for the failover timeout...
    let err = Migrations::from_map(rows_chain())
        .failover_timeout(Duration::from_millis(300))
        .migrate("postgresql://postgres@127.0.0.1:1,127.0.0.1:2/db")
        .unwrap_err();
    assert!(matches!(err, Error::FailoverTimeout { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("127.0.0.1:1,127.0.0.1:2 database db"),
        "{err}"
    );
    // ... one host that refuses is an error at once, as ever.
    let err = Migrations::from_map(rows_chain())
        .migrate("postgresql://postgres@127.0.0.1:1/db")
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
}

/// A server with replicas, played over SQLite: its log position is `0/10`, and the replicas
/// have replayed it after `behind` looks (never, when `None`).
struct Replicated {
    inner: Box<dyn Backend>,
    behind: Option<usize>,
    looks: Arc<AtomicUsize>,
}

impl Backend for Replicated {
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
    fn tuning(&self) -> Tuning {
        self.inner.tuning()
    }
    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        Some(self)
    }
}

impl ServerOps for Replicated {
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        match self.inner.server_ops() {
            Some(ops) => ops.facts(),
            None => Ok(ServerFacts::default()),
        }
    }
    fn migration_session(&mut self, s: Option<&SessionSettings>) -> Result<(), BackendError> {
        match self.inner.server_ops() {
            Some(ops) => ops.migration_session(s),
            None => Ok(()),
        }
    }
    fn log_position(&mut self) -> Result<Option<String>, BackendError> {
        Ok(Some("0/10".to_string()))
    }
    fn replication(&mut self, position: &str) -> Result<Replication, BackendError> {
        assert_eq!(position, "0/10");
        let looks = self.looks.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(match self.behind {
            Some(behind) if looks > behind => Replication::Replayed {
                replica: "r1 (10.0.0.2)".to_string(),
            },
            _ => Replication::Behind {
                replicas: vec![
                    "r1 (10.0.0.2) streaming, replayed up to 0/8, 8 bytes behind".to_string(),
                ],
            },
        })
    }
}

fn replicated(dir: &std::path::Path, behind: Option<usize>) -> (Replicated, Arc<AtomicUsize>) {
    let url = DatabaseUrl::parse(&format!("sqlite:///{}", dir.join("t.db").display())).unwrap();
    let looks = Arc::new(AtomicUsize::new(0));
    let db = Replicated {
        inner: backend::connect(&url, &ConnectOptions::default()).unwrap(),
        behind,
        looks: looks.clone(),
    };
    (db, looks)
}

#[test]
fn a_run_reports_success_once_a_replica_replayed_its_last_commit() {
    let map = chain(&[("a1", true, "CREATE TABLE t_a (x INT);")]);
    let dir = tempfile::tempdir().unwrap();
    let (mut db, looks) = replicated(dir.path(), Some(3));
    let report = Migrator::new(&map)
        .upgrade(&mut db, &"head".parse().unwrap())
        .unwrap();
    assert_eq!(report.replicated_by.as_deref(), Some("r1 (10.0.0.2)"));
    assert_eq!(
        looks.load(Ordering::SeqCst),
        4,
        "it looked until the replica had it"
    );
    // A start-up already at head asks nothing.
    let report = Migrator::new(&map)
        .upgrade(&mut db, &"head".parse().unwrap())
        .unwrap();
    assert_eq!(report.replicated_by, None);
    assert_eq!(looks.load(Ordering::SeqCst), 4);
}

#[test]
fn a_run_no_replica_replays_in_time_fails_naming_the_replicas() {
    let map = chain(&[("a1", true, "CREATE TABLE t_a (x INT);")]);
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = replicated(dir.path(), None);
    let err = Migrator::new(&map)
        .replica_wait(Duration::from_millis(100))
        .upgrade(&mut db, &"head".parse().unwrap())
        .unwrap_err();
    let Error::NotReplicated {
        position, replicas, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(position, "0/10");
    assert!(err.to_string().contains("8 bytes behind"), "{err}");
    assert_eq!(replicas.len(), 1);
    // The run committed: the next one finds head.
    assert_eq!(Migrator::new(&map).current(&mut db).unwrap(), ["a1"]);
    // No wait at all asks nothing.
    let other = tempfile::tempdir().unwrap();
    let (mut db, looks) = replicated(other.path(), None);
    let report = Migrator::new(&map)
        .replica_wait(Duration::ZERO)
        .upgrade(&mut db, &"head".parse().unwrap())
        .unwrap();
    assert_eq!(
        (report.replicated_by, looks.load(Ordering::SeqCst)),
        (None, 0)
    );
}

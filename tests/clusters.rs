//! Many instances against clustered servers, each started by `.ci/clusters` on loopback: quark's
//! real binary run by several processes at once over a 3-node MariaDB Galera cluster and through
//! PgBouncer in transaction mode, killed (the migrator, or the Galera node it talks to) or paused
//! past its lock's lease at random moments, and pointed at servers that take no writes (a
//! PostgreSQL hot standby, a read-only MariaDB node). And failovers of a 3-member Patroni cluster
//! (asynchronous streaming replication): its primary killed, or switched over, at random moments
//! of quark's `upgrade head` and of a generated chain of 100 revisions (the library, on a thread),
//! and under 6 start-ups at once; the runs reconnect to the new primary through the URL naming
//! every member, and a run that reported success has its work on the new primary.
//!
//! Trials per case: `QUARK_CLUSTER_TRIALS`, else 3 under CI and 1 locally. Kill delays are drawn
//! over a measured clean run, and a share of the kills must land inside a revision (the history
//! table left with an unfinished row: on MariaDB every revision runs outside a transaction), more
//! being drawn while too few have (`support::Kills`). Kill delays are printed;
//! `QUARK_CRASH_DELAYS_MS=ms,...` replays them.
//!
//! The clusters come from `.ci/run` under CI, and locally only when asked (`QUARK_CLUSTERS=1`, or
//! the variables `.ci/clusters start` prints): see `support/clusters.rs`.

#![cfg(all(feature = "postgres", feature = "mysql"))]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[macro_use]
mod support;

use quark_migrate::revision::Dialect;
use support::clusters::{self, Cluster};
use support::{BIN, Kills, Kind, TestDb, catalog, connect, database_name};

const HEAD: &str = "c07cd8303997";

/// How many revisions quark's chain has.
const QUARK_REVISIONS: usize = 40;

/// The lock lease the kill tests give the migrators: short, so that a rerun does not wait long
/// for the lock of a migrator that was killed.
const SHORT_LEASE: &str = "2";
/// The lease of a rerun on a cluster that lost a node a moment before (seconds): longer than
/// the stall of commits while the cluster evicts it.
const RERUN_LEASE: &str = "12";

fn trials() -> usize {
    support::trials("QUARK_CLUSTER_TRIALS", 3, 1)
}

/// Kill moments over a clean run of `clean`.
fn kills(clean: Duration) -> Kills {
    Kills::new(clean, trials())
}

/// Whether the database at `url` shows a revision left part-way: the history table's
/// unfinished row, as `current` reads it; or why that could not be read.
fn part_way(url: &str) -> Result<bool, String> {
    let out = run(url, &["current", "--format", "json"]);
    if !out.status.success() {
        return Err(format!("current on {url}: {}", text(&out)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap_or_default())
        .map_err(|e| format!("current --format json on {url}: {e}: {}", text(&out)))?;
    Ok(!doc["interrupted"].is_null())
}

/// [`part_way`], or a failure.
fn left_part_way(url: &str) -> bool {
    part_way(url).unwrap_or_else(|e| panic!("{e}"))
}

fn command(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["--database-connection", url])
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null());
    command
}

fn spawn(url: &str, args: &[&str]) -> Child {
    command(url, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn run(url: &str, args: &[&str]) -> Output {
    command(url, args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn succeeds(url: &str, args: &[&str]) -> String {
    let out = run(url, args);
    assert!(out.status.success(), "{args:?} on {url}: {}", text(&out));
    text(&out)
}

/// `processes` runs of `args`, all started before any is waited for; process k on `urls[k % n]`.
fn at_once(urls: &[String], processes: usize, args: &[&str]) -> Vec<Output> {
    let children: Vec<Child> = (0..processes)
        .map(|k| spawn(&urls[k % urls.len()], args))
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// A database of its own on the Galera cluster, reachable through every node; dropped on drop.
struct GaleraDb {
    nodes: Vec<String>,
    name: String,
}

impl GaleraDb {
    fn new() -> Option<GaleraDb> {
        let nodes = clusters::urls(Cluster::Galera)?;
        let name = database_name();
        connect(&format!("{}/test", nodes[0]))
            .unwrap()
            .run(&format!("CREATE DATABASE {name}"))
            .unwrap();
        // The other nodes apply it a moment later: the test starts once every node has it.
        let deadline = Instant::now() + Duration::from_secs(30);
        for node in &nodes[1..] {
            while connect(&format!("{node}/{name}")).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "{node} never saw database {name}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Some(GaleraDb { nodes, name })
    }

    /// The database through node `i` (0-based, modulo the node count).
    fn url(&self, i: usize) -> String {
        format!("{}/{}", self.nodes[i % self.nodes.len()], self.name)
    }

    fn urls(&self) -> Vec<String> {
        (0..self.nodes.len()).map(|i| self.url(i)).collect()
    }

    /// The catalog through every node: each must show `expected`.
    fn assert_every_node_shows(&self, expected: &[String], context: &str) {
        for (i, url) in self.urls().iter().enumerate() {
            let seen = catalog(galera_reader(url).as_mut(), Dialect::Mysql);
            assert_eq!(seen, expected, "{context}: node {} differs", i + 1);
        }
    }
}

/// A session on a Galera node whose reads wait until the node has applied every write set the
/// cluster committed before them (`wsrep_sync_wait`): a node applies other nodes' write sets a
/// moment after they commit.
fn galera_reader(url: &str) -> Box<dyn quark_migrate::backend::Backend> {
    let mut db = connect(url).unwrap();
    db.run("SET SESSION wsrep_sync_wait = 1").unwrap();
    db
}

impl Drop for GaleraDb {
    /// Drops the database through the first node that answers (a test may have killed some),
    /// loudly: see `TestDb`'s drop.
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {}", self.name);
        let mut errors = Vec::new();
        for node in &self.nodes {
            match connect(&format!("{node}/test")) {
                Ok(mut admin) => match admin.run(&sql) {
                    Ok(()) => return,
                    Err(e) => errors.push(format!("{node}: {sql}: {e}")),
                },
                Err(e) => errors.push(format!("{node}: cannot connect: {e}")),
            }
        }
        support::teardown_failed(
            &format!("Galera database {}", self.name),
            &errors.join("; "),
        );
    }
}

/// A clean upgrade to head through node 1: how long it took and the catalog it leaves.
fn galera_reference() -> Option<(Duration, Vec<String>)> {
    let db = GaleraDb::new()?;
    let started = Instant::now();
    succeeds(&db.url(0), &["upgrade", "head"]);
    let took = started.elapsed();
    let expected = catalog(connect(&db.url(0)).unwrap().as_mut(), Dialect::Mysql);
    assert!(
        expected.contains(&format!("version {HEAD}")),
        "{expected:?}"
    );
    db.assert_every_node_shows(&expected, "a single migrator");
    Some((took, expected))
}

#[test]
fn galera_simultaneous_startups_over_three_nodes() {
    let _turn = clusters::galera_turn();
    let Some((_, expected)) = galera_reference() else {
        return;
    };
    for trial in 0..trials() {
        for processes in [6, 8] {
            let db = GaleraDb::new().unwrap();
            let outs = at_once(&db.urls(), processes, &["upgrade", "head"]);
            let context = format!("trial {trial}, {processes} processes");
            for (k, out) in outs.iter().enumerate() {
                assert!(
                    out.status.success(),
                    "{context}: process {k} (node {}): {}",
                    k % 3 + 1,
                    text(out)
                );
            }
            let applied = outs
                .iter()
                .filter(|o| String::from_utf8_lossy(&o.stderr).contains("Running upgrade"))
                .count();
            assert_eq!(
                applied, 1,
                "{context}: one process migrates, the others find head"
            );
            db.assert_every_node_shows(&expected, &context);
            eprintln!("{context}: all exited 0, every node at {HEAD} with the same tables");
        }
    }
}

#[test]
fn galera_migrator_killed_at_random_moments() {
    let _turn = clusters::galera_turn();
    let Some((took, expected)) = galera_reference() else {
        return;
    };
    let args = ["--lock-lease", SHORT_LEASE, "upgrade", "head"];
    let mut seen = Evidence::default();
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        let db = GaleraDb::new().unwrap();
        let mut child = spawn(&db.url(trial), &args);
        std::thread::sleep(delay);
        child.kill().unwrap();
        let killed = support::killed(child.wait().unwrap());
        let context = format!(
            "trial {trial}: migrator on node {} {} after {} ms (replay: QUARK_CRASH_DELAYS_MS={})",
            trial % 3 + 1,
            if killed {
                "killed"
            } else {
                "had finished when killed"
            },
            delay.as_millis(),
            delay.as_millis()
        );
        let part_way = left_part_way(&db.url(trial + 1));
        assert!(
            killed || !part_way,
            "{context}: a migrator that finished left a revision part-way"
        );
        kills.landed(killed && part_way);
        // The next plain start-up, on another node, finishes the job.
        let log = succeeds(&db.url(trial + 1), &args);
        db.assert_every_node_shows(&expected, &format!("{context}\nrerun:\n{log}"));
        seen.count(&log);
        eprintln!(
            "{context}: {}a plain rerun on node {} finished",
            if part_way {
                "a revision was left part-way; "
            } else {
                ""
            },
            (trial + 1) % 3 + 1
        );
    }
    seen.report("migrator killed", kills.counts().0, took);
    kills.assert_landed(
        "Galera, migrator killed",
        "inside a revision (left part-way in the history table)",
    );
}

/// What the reruns after kills found, counted from their logs.
#[derive(Default)]
struct Evidence {
    took_over: usize,
    settled: usize,
    resumed: usize,
}

impl Evidence {
    fn count(&mut self, log: &str) {
        self.took_over += usize::from(log.contains("Took over the migration lock"));
        self.settled += usize::from(log.contains("Settled statement"));
        self.resumed += usize::from(log.contains("Resuming "));
    }

    fn report(&self, case: &str, trials: usize, clean: Duration) {
        eprintln!(
            "Galera, {case}: {trials} trials over a clean run of {} ms, all recovered by a plain rerun; {} took over the lock of the dead migrator, {} settled a statement from the database, {} resumed a revision part-way",
            clean.as_millis(),
            self.took_over,
            self.settled,
            self.resumed
        );
    }
}

#[test]
fn galera_node_killed_under_the_migrator() {
    let _turn = clusters::galera_turn();
    let Some((took, expected)) = galera_reference() else {
        return;
    };
    let args = ["--lock-lease", SHORT_LEASE, "upgrade", "head"];
    let mut seen = Evidence::default();
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        let db = GaleraDb::new().unwrap();
        // Node 2 or 3 dies; node 1 stays to rerun on and to drop the database.
        let victim = 1 + trial % 2;
        let child = spawn(&db.url(victim), &args);
        std::thread::sleep(delay);
        let node = (victim + 1).to_string();
        clusters::script(&["kill-node", &node]).unwrap();
        let first = child.wait_with_output().unwrap();
        let context = format!(
            "trial {trial}: node {node} killed {} ms into the migration (replay: QUARK_CRASH_DELAYS_MS={}); the migrator {}",
            delay.as_millis(),
            delay.as_millis(),
            if first.status.success() {
                "had finished"
            } else {
                "failed"
            }
        );
        // Read through node 1 before the rerun: whether the node died under a revision.
        let read = part_way(&db.url(0));
        // The rerun starts while the cluster is still evicting the dead node, when commits
        // stall for up to Galera's suspect timeout (5 s): a lease shorter than that fences
        // the rerun itself (rightly: it could not renew). It waits out the dead holder's
        // 2 s lease either way.
        let rerun = run(
            &db.url(0),
            &["--lock-lease", RERUN_LEASE, "upgrade", "head"],
        );
        // The node comes back (state transfer from the others) before anything is asserted,
        // so that a failure leaves the cluster whole for the next test.
        clusters::script(&["start-node", &node]).unwrap();
        let part_way = read.unwrap_or_else(|e| panic!("{context}: {e}"));
        assert!(
            !(first.status.success() && part_way),
            "{context}: a migrator that finished left a revision part-way"
        );
        kills.landed(!first.status.success() && part_way);
        assert!(rerun.status.success(), "{context}\nrerun: {}", text(&rerun));
        db.assert_every_node_shows(&expected, &format!("{context}\nrerun:\n{}", text(&rerun)));
        seen.count(&text(&rerun));
        eprintln!(
            "{context}{}; a plain rerun on node 1 finished and node {node} rejoined at head",
            if part_way {
                ", leaving a revision part-way"
            } else {
                ""
            }
        );
    }
    seen.report("node killed", kills.counts().0, took);
    kills.assert_landed(
        "Galera, node killed",
        "inside a revision (left part-way in the history table)",
    );
}

#[test]
fn read_only_mariadb_node_reads_and_refuses() {
    let _turn = clusters::galera_turn();
    let Some(db) = GaleraDb::new() else {
        return;
    };
    succeeds(&db.url(0), &["upgrade", "1284c81cf727"]);
    let before = catalog(connect(&db.url(0)).unwrap().as_mut(), Dialect::Mysql);
    let mut node3 = connect(&format!("{}/test", db.nodes[2])).unwrap();
    node3.run("SET GLOBAL read_only = ON").unwrap();
    let checks = std::panic::catch_unwind(|| {
        let url = db.url(2);
        let current = succeeds(&url, &["current"]);
        assert!(current.contains("1284c81cf727"), "{current}");
        succeeds(&url, &["history"]);
        succeeds(&url, &["verify"]);
        for args in [
            &["upgrade", "head"][..],
            &["downgrade", "base"],
            &["stamp", "head"],
        ] {
            let out = run(&url, args);
            let said = text(&out);
            assert!(!out.status.success(), "{args:?}: {said}");
            assert!(
                said.contains("takes no writes") && said.contains("read-only"),
                "{args:?}: {said}"
            );
        }
    });
    node3.run("SET GLOBAL read_only = OFF").unwrap();
    if let Err(panic) = checks {
        std::panic::resume_unwind(panic);
    }
    let after = catalog(connect(&db.url(0)).unwrap().as_mut(), Dialect::Mysql);
    assert_eq!(after, before, "nothing was written");
}

#[test]
fn galera_refuses_a_storage_engine_it_does_not_replicate() {
    let _turn = clusters::galera_turn();
    let Some(db) = GaleraDb::new() else {
        return;
    };
    let url = db.url(0);
    let out = run(&url, &["upgrade", "head", "--mysql-engine", "MyISAM"]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("'MyISAM'") && said.contains("Galera replicates only InnoDB"),
        "{said}"
    );
    let current = succeeds(&url, &["current"]);
    assert!(!current.contains(HEAD), "nothing ran: {current}");
    // InnoDB, named in any case, is what the cluster replicates.
    succeeds(
        &url,
        &["upgrade", "1284c81cf727", "--mysql-engine", "innodb"],
    );
    let current = succeeds(&url, &["current"]);
    assert!(current.contains("1284c81cf727"), "{current}");
}

/// The MySQL server here runs without performance_schema; the Galera nodes run with it, so the
/// connection attributes that name the application are read there.
#[test]
fn mysql_sessions_carry_the_applications_name_and_version() {
    let _turn = clusters::galera_turn();
    let Some(db) = GaleraDb::new() else {
        return;
    };
    let attributes = |migrations: quark_migrate::Migrations| {
        let mut session = migrations.connect(&db.url(0)).unwrap();
        let rows = session
            .query(
                "SELECT ATTR_NAME, ATTR_VALUE FROM performance_schema.session_connect_attrs \
                 WHERE PROCESSLIST_ID = CONNECTION_ID() AND ATTR_NAME LIKE 'program%' ORDER BY 1",
                &[],
            )
            .unwrap();
        rows.iter()
            .map(|r| format!("{}={}", r[0].as_text().unwrap(), r[1].as_text().unwrap()))
            .collect::<Vec<_>>()
    };
    let named = quark_migrate::Migrations::new(quark_db_manage::MIGRATIONS)
        .unwrap()
        .app(quark_migrate::App::new("acme", "2.4.1"));
    assert_eq!(
        attributes(named),
        ["program_name=acme", "program_version=2.4.1"]
    );
    let quark = quark_migrate::Migrations::new(quark_db_manage::MIGRATIONS)
        .unwrap()
        .app(quark_db_manage::APP);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        attributes(quark),
        [
            "program_name=quark-db-manage".to_string(),
            format!("program_version={version}")
        ]
    );
}

#[test]
fn pgbouncer_transaction_pooling_simultaneous_startups() {
    let Some(bouncer) = clusters::urls(Cluster::Pgbouncer) else {
        return;
    };
    let Some(reference) = TestDb::new(Kind::Postgres) else {
        return;
    };
    succeeds(&reference.url, &["upgrade", "head"]);
    let expected = catalog(reference.db().as_mut(), Dialect::Postgresql);
    for trial in 0..trials() {
        let db = TestDb::new(Kind::Postgres).unwrap();
        let url = format!("{}/{}", bouncer[0], db.name);
        let outs = at_once(&[url], 8, &["upgrade", "head"]);
        for (k, out) in outs.iter().enumerate() {
            assert!(
                out.status.success(),
                "trial {trial}, process {k}: {}",
                text(out)
            );
        }
        let migrated: Vec<String> = outs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .filter(|e| e.contains("Running upgrade"))
            .collect();
        assert_eq!(migrated.len(), 1, "trial {trial}: one process migrates");
        assert!(
            migrated[0].contains("Keeping the migration lock in the table alembic_version_lock"),
            "{}",
            migrated[0]
        );
        // The lock table is the only difference from a direct migration.
        let seen: Vec<String> = catalog(db.db().as_mut(), Dialect::Postgresql)
            .into_iter()
            .filter(|l| !l.starts_with("alembic_version_lock"))
            .collect();
        assert_eq!(seen, expected, "trial {trial}");
        eprintln!("trial {trial}: 8 start-ups through PgBouncer (transaction pooling) exited 0");
    }
}

/// Six tenant schemas of one database migrated three at a time through PgBouncer in
/// transaction mode (3 server connections a pool): each schema ends as a direct migration
/// leaves a database, and no server connection is left with a tenant's search path.
#[test]
fn pgbouncer_tenant_schemas_keep_their_search_path_to_their_transactions() {
    let Some(bouncer) = clusters::urls(Cluster::Pgbouncer) else {
        return;
    };
    let Some(reference) = TestDb::new(Kind::Postgres) else {
        return;
    };
    succeeds(&reference.url, &["upgrade", "head"]);
    let expected = catalog(reference.db().as_mut(), Dialect::Postgresql);
    let db = TestDb::new(Kind::Postgres).unwrap();
    for i in 0..6 {
        db.db().run(&format!("CREATE SCHEMA t{i}")).unwrap();
    }
    let url = format!("{}/{}", bouncer[0], db.name);
    let out = run(
        &url,
        &[
            "--schemas-from",
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname ~ '^t[0-9]$' ORDER BY 1",
            "--jobs",
            "3",
            "upgrade",
            "head",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("6 databases: 6 upgraded, 0 failed\n"),
        "{}",
        text(&out)
    );
    for i in 0..6 {
        let mut tenant = connect(&format!("{}?schema=t{i}", db.url)).unwrap();
        // pg_indexes names the schema in each index's definition.
        let seen: Vec<String> = catalog(tenant.as_mut(), Dialect::Postgresql)
            .into_iter()
            .filter(|l| !l.starts_with("alembic_version_lock"))
            .map(|l| l.replace(&format!(" ON t{i}."), " ON public."))
            .collect();
        let differ: Vec<_> = seen.iter().filter(|l| !expected.contains(l)).collect();
        assert!(
            differ.is_empty() && seen.len() == expected.len(),
            "schema t{i}: {differ:?}"
        );
    }
    let public = db
        .db()
        .query(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap();
    assert_eq!(public[0][0].as_int(), Some(0), "nothing in public");
    // Every server connection of the pool, as the next clients get them.
    for k in 0..12 {
        let mut client = connect(&url).unwrap();
        let path = client.query("SHOW search_path", &[]).unwrap();
        assert_eq!(
            path[0][0].as_text(),
            Some("\"$user\", public"),
            "client {k} after the run"
        );
    }
}

#[test]
fn postgres_standby_reads_and_refuses() {
    let Some(standby) = clusters::urls(Cluster::Standby) else {
        return;
    };
    let Some(db) = TestDb::new(Kind::Postgres) else {
        return;
    };
    succeeds(&db.url, &["upgrade", "1284c81cf727"]);
    let before = catalog(db.db().as_mut(), Dialect::Postgresql);
    let url = format!("{}/{}", standby[0], db.name);
    // The standby replays the primary's changes shortly after.
    let deadline = Instant::now() + Duration::from_secs(60);
    let current = loop {
        let out = run(&url, &["current"]);
        let said = text(&out);
        if out.status.success() && said.contains("1284c81cf727") {
            break said;
        }
        assert!(
            Instant::now() < deadline,
            "the standby never caught up: {said}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(current.contains("1284c81cf727"), "{current}");
    succeeds(&url, &["history"]);
    succeeds(&url, &["verify"]);
    succeeds(&url, &["current", "--format", "json"]);
    for args in [
        &["upgrade", "head"][..],
        &["downgrade", "base"],
        &["stamp", "head"],
    ] {
        let out = run(&url, args);
        let said = text(&out);
        assert!(!out.status.success(), "{args:?}: {said}");
        assert!(
            said.contains(
                "takes no writes: this server is a standby (in recovery): migrate the primary"
            ),
            "{args:?}: {said}"
        );
    }
    assert_eq!(catalog(db.db().as_mut(), Dialect::Postgresql), before);
}

// ---------------------------------------------------------------- Patroni: failover

/// The Patroni cluster through the URL naming its three members
/// (`postgresql://postgres@h1:p1,h2:p2,h3:p3/<db>?target_session_attrs=read-write`).
struct Patroni {
    /// The URL up to its database.
    servers: String,
    /// The URL's query, `?` included.
    query: String,
}

/// The primary of the moment.
#[derive(Debug, Clone)]
struct Primary {
    name: String,
    port: u16,
    postmaster: u32,
}

/// A way to make the primary go away under a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// SIGKILL of its postmaster and every process it started: Patroni fails over to a replica
    /// (`primary_start_timeout: 0`) and brings the old primary back as a replica.
    Kill,
    /// A switchover to a streaming replica (what `patronictl switchover` asks for): the primary
    /// shuts down (fast) and comes back as a replica.
    Switchover,
}

/// How long a switchover takes from being asked for to the old primary cutting its sessions, as
/// last measured (`None` before the first).
static SWITCHOVER_LATENCY: std::sync::Mutex<Option<Duration>> = std::sync::Mutex::new(None);

impl Patroni {
    fn new() -> Option<Patroni> {
        let url = clusters::value(Cluster::Patroni)?;
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base.to_string(), format!("?{query}")),
            None => (url.clone(), String::new()),
        };
        let after_scheme = base.find("://").map_or(0, |i| i + 3);
        let servers = match base[after_scheme..].find('/') {
            Some(i) => base[..after_scheme + i].to_string(),
            None => base,
        };
        let patroni = Patroni { servers, query };
        // Whatever the last test left (a member still rejoining) is whole again first.
        patroni.healthy();
        Some(patroni)
    }

    fn url(&self, database: &str) -> String {
        format!("{}/{database}{}", self.servers, self.query)
    }

    /// A connection to `database` on the primary of the moment, waiting out a failover (120 s at
    /// most).
    fn connect(&self, database: &str) -> Box<dyn quark_migrate::backend::Backend> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match connect(&self.url(database)) {
                Ok(db) => return db,
                Err(e) => assert!(
                    Instant::now() < deadline,
                    "no primary of the Patroni cluster took a session for 120 s: {e}"
                ),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn primary(&self) -> Primary {
        let out = clusters::script(&["patroni-primary"]).unwrap_or_else(|e| panic!("{e}"));
        let line = out
            .lines()
            .find(|l| l.starts_with("pg"))
            .unwrap_or_else(|| panic!("patroni-primary said: {out}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        Primary {
            name: words[0].to_string(),
            port: words[1].parse().unwrap(),
            postmaster: words[2].parse().unwrap(),
        }
    }

    /// Waits (bounded, in the script) until a primary runs with both other members streaming.
    fn healthy(&self) {
        clusters::script(&["patroni-wait", "120"]).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Waits (60 s at most) until both replicas have replayed what the primary holds now: what a
    /// trial sets up is not what a failover may lose.
    fn replicated(&self) {
        let mut admin = self.connect("postgres");
        let lsn = admin
            .query("SELECT pg_current_wal_lsn()::text", &[])
            .unwrap()[0][0]
            .as_text()
            .unwrap()
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let caught_up = admin
                .query(
                    "SELECT count(*)::bigint FROM pg_stat_replication WHERE replay_lsn >= $1::text::pg_lsn",
                    &[lsn.as_str().into()],
                )
                .unwrap()[0][0]
                .as_int();
            if caught_up == Some(2) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replicas did not replay {lsn} in 60 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The processes whose parent is `pid` (from /proc).
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // After the command name, which may hold spaces and parentheses: state, parent, ...
        let parent = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if parent == Some(pid) {
            children.push(child);
        }
    }
    children
}

/// Sends `signal` to the processes `pids`, by id.
fn signal(signal: &str, pids: &[u32]) {
    // A process that ended meanwhile makes `kill` fail for it alone: harmless.
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status()
        .unwrap();
}

/// Asks the primary's Patroni for a switchover to the next member, as `patronictl switchover
/// --leader <primary> --candidate <member> --force` does (its REST API, `POST /switchover`),
/// without the seconds patronictl takes to start: the moment the switchover bites is then
/// close to the moment it is asked for. What Patroni answered, once the new primary leads.
fn switchover(primary: &Primary) -> Result<String, String> {
    use std::io::{Read, Write};
    let n: u16 = primary.name.trim_start_matches("pg").parse().unwrap();
    let candidate = format!("pg{}", n % 3 + 1);
    let body = format!(
        "{{\"leader\": \"{}\", \"candidate\": \"{candidate}\"}}",
        primary.name
    );
    let rest = std::net::SocketAddr::from(([127, 0, 0, 1], 18007 + n));
    let mut stream = std::net::TcpStream::connect_timeout(&rest, Duration::from_secs(10))
        .map_err(|e| format!("Patroni's REST API on {rest}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /switchover HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("Patroni's REST API on {rest}: {e}"))?;
    if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
        Ok(answer)
    } else {
        Err(format!(
            "switchover from {} to {candidate}: {answer}",
            primary.name
        ))
    }
}

impl Fault {
    /// Makes `primary` go away: SIGKILL of its postmaster and every process it started, or a
    /// switchover whose moment of effect is watched on a session of the old primary. The moment
    /// the primary stopped serving sessions.
    fn strike(self, primary: &Primary) -> Instant {
        match self {
            Fault::Kill => {
                let mut pids = vec![primary.postmaster];
                pids.extend(children_of(primary.postmaster));
                signal("KILL", &pids);
                Instant::now()
            }
            Fault::Switchover => {
                let mut watch = connect(&format!(
                    "postgresql://postgres@127.0.0.1:{}/postgres",
                    primary.port
                ))
                .unwrap();
                let asked = Instant::now();
                let from = primary.clone();
                let switched = std::thread::spawn(move || switchover(&from));
                let deadline = asked + Duration::from_secs(90);
                let cut = loop {
                    if watch.query("SELECT 1", &[]).is_err() {
                        break Instant::now();
                    }
                    assert!(
                        Instant::now() < deadline,
                        "the old primary {} still serves 90 s after the switchover was asked for",
                        primary.name
                    );
                    std::thread::sleep(Duration::from_millis(5));
                };
                let said = switched.join().unwrap();
                said.unwrap_or_else(|e| panic!("{e}"));
                let latency = cut - asked;
                let mut last = SWITCHOVER_LATENCY.lock().unwrap();
                *last = Some(match *last {
                    Some(before) => (before + latency) / 2,
                    None => latency,
                });
                cut
            }
        }
    }

    /// How long before its moment of effect the fault must be set off.
    fn lead(self) -> Duration {
        match self {
            Fault::Kill => Duration::ZERO,
            Fault::Switchover => SWITCHOVER_LATENCY.lock().unwrap().unwrap_or_default(),
        }
    }
}

/// A database of its own on the Patroni cluster, dropped on drop.
struct PatroniDb<'p> {
    patroni: &'p Patroni,
    name: String,
}

impl<'p> PatroniDb<'p> {
    /// A new database, replayed by both replicas before a trial begins.
    fn new(patroni: &'p Patroni) -> PatroniDb<'p> {
        let name = database_name();
        patroni
            .connect("postgres")
            .run(&format!("CREATE DATABASE {name}"))
            .unwrap();
        patroni.replicated();
        PatroniDb { patroni, name }
    }

    fn url(&self) -> String {
        self.patroni.url(&self.name)
    }

    fn db(&self) -> Box<dyn quark_migrate::backend::Backend> {
        self.patroni.connect(&self.name)
    }
}

impl Drop for PatroniDb<'_> {
    /// Drops the database on the primary of the moment, loudly (see `TestDb`'s drop).
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let deadline = Instant::now() + Duration::from_secs(120);
        let error = loop {
            let dropped = connect(&self.patroni.url("postgres"))
                .map_err(|e| e.to_string())
                .and_then(|mut admin| admin.run(&sql).map_err(|e| e.to_string()));
            match dropped {
                Ok(()) => return,
                Err(e) if Instant::now() >= deadline => break e,
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        };
        support::teardown_failed(
            &format!("Patroni database {}", self.name),
            &format!("{sql}: {error}"),
        );
    }
}

/// How a run in the background ended.
struct Ended {
    ok: bool,
    /// What it said (exit status, stdout and stderr; or the library's result).
    said: String,
    /// Revisions whose step ran to its end twice: its commit acknowledged, then lost with the
    /// old primary, and applied again on the new one (told by the library's events).
    applied_again: usize,
    /// Revisions whose step was started twice: the first run of it cut short (its commit lost,
    /// or never made) and run again on the new primary (told by the binary's log).
    started_again: usize,
    /// Whether it reported a replica that had replayed its last commit.
    replicated: bool,
    /// Whether it lost its connection and connected again.
    reconnected: bool,
}

/// A migrating run in the background: quark's binary, or the library on a thread.
struct Run {
    ended: std::sync::Arc<std::sync::OnceLock<Instant>>,
    thread: std::thread::JoinHandle<Ended>,
    /// The process, when the run is one: killed if it outlives the test's bound.
    pid: Option<u32>,
}

impl Run {
    /// quark's binary running `args` on `url`.
    fn cli(url: &str, args: &[&str]) -> Run {
        let child = spawn(url, args);
        let pid = child.id();
        let ended = std::sync::Arc::new(std::sync::OnceLock::new());
        let at = ended.clone();
        let thread = std::thread::spawn(move || {
            let out = child.wait_with_output().unwrap();
            let _ = at.set(Instant::now());
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut announced = std::collections::HashMap::<String, usize>::new();
            for line in stderr.lines() {
                if let Some((_, step)) = line.split_once("Running upgrade ") {
                    *announced.entry(step.to_string()).or_default() += 1;
                }
            }
            Ended {
                ok: out.status.success(),
                said: text(&out),
                applied_again: 0,
                started_again: announced.values().filter(|n| **n > 1).count(),
                replicated: stderr.contains("has replayed the run's last commit"),
                reconnected: stderr.contains("connecting again"),
            }
        });
        Run {
            ended,
            thread,
            pid: Some(pid),
        }
    }

    /// The library migrating the generated chain of [`CHAIN`] revisions on a thread, as an
    /// application migrates itself on start-up.
    fn chain(url: &str) -> Run {
        let url = url.to_string();
        let ended = std::sync::Arc::new(std::sync::OnceLock::new());
        let at = ended.clone();
        let thread = std::thread::spawn(move || {
            let finished = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
            let seen = finished.clone();
            let result = quark_migrate::Migrations::from_map(generated_chain())
                .observe(move |event: &quark_migrate::migrator::Event| {
                    if let quark_migrate::migrator::Event::StepFinished { revision, .. } = event {
                        seen.lock().unwrap().push(revision.clone());
                    }
                })
                .migrate(&url);
            let _ = at.set(Instant::now());
            let finished = finished.lock().unwrap();
            let distinct: std::collections::HashSet<&String> = finished.iter().collect();
            Ended {
                ok: result.is_ok(),
                replicated: result
                    .as_ref()
                    .is_ok_and(|report| report.replicated_by.is_some()),
                said: match &result {
                    Ok(report) => format!(
                        "{} steps, at {:?}, replicated by {:?}",
                        report.steps.len(),
                        report.after,
                        report.replicated_by
                    ),
                    Err(e) => format!("failed: {e}"),
                },
                applied_again: finished.len() - distinct.len(),
                started_again: 0,
                // (The library logs its reconnections; a struck run that succeeded made one.)
                reconnected: false,
            }
        });
        Run {
            ended,
            thread,
            pid: None,
        }
    }

    /// Whether the run was still going at `moment`.
    fn running_at(&self, moment: Instant) -> bool {
        self.ended.get().is_none_or(|ended| *ended > moment)
    }

    /// How it ended; fails the test (killing its process) past `bound`.
    fn finish(self, bound: Duration) -> Ended {
        let deadline = Instant::now() + bound;
        while !self.thread.is_finished() {
            if Instant::now() >= deadline {
                if let Some(pid) = self.pid {
                    signal("KILL", &[pid]);
                }
                panic!("a migrating run did not end within {} s", bound.as_secs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.thread.join().unwrap()
    }
}

/// Revisions of the generated chain.
const CHAIN: usize = 100;

/// A chain of [`CHAIN`] revisions: the first makes a ledger; each other makes a table, adds its
/// row to the ledger and indexes the table; every tenth (from the sixth) runs outside a
/// transaction and builds its index concurrently, its progress kept in the history table.
fn generated_chain() -> quark_migrate::revision::RevisionMap {
    let files: Vec<quark_migrate::source::SourceFile> = (0..CHAIN)
        .map(|i| {
            let id = format!("f{i:03}");
            let parent = match i {
                0 => "None".to_string(),
                _ => format!("f{:03}", i - 1),
            };
            let outside = i % 10 == 5;
            let body = if i == 0 {
                "CREATE TABLE f_ledger (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL);\n"
                    .to_string()
            } else {
                format!(
                    "CREATE TABLE f_t{i} (id INT PRIMARY KEY, v INT);\nINSERT INTO f_ledger (id, note) VALUES ({i}, 'r{i}');\nCREATE INDEX {}ix_f_t{i} ON f_t{i} (v);\n",
                    if outside { "CONCURRENTLY " } else { "" }
                )
            };
            quark_migrate::source::SourceFile {
                path: format!("migrations/{id}_generated.sql"),
                name: format!("{id}_generated.sql"),
                text: format!(
                    "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n{}-- +upgrade\n{body}",
                    if outside {
                        "-- Transactional: false\n"
                    } else {
                        ""
                    }
                ),
            }
        })
        .collect();
    quark_migrate::source::build_map(&files).unwrap()
}

/// What a database that ran a chain holds: its catalog and version rows, the rows of the
/// generated chain's ledger (each inserted once), and how many times each revision was applied
/// by the history's word.
fn holdings(db: &mut dyn quark_migrate::backend::Backend) -> (Vec<String>, Vec<(String, i64)>) {
    let mut state = catalog(db, Dialect::Postgresql);
    if db.table_exists("f_ledger").unwrap() {
        for row in db
            .query("SELECT id, note FROM f_ledger ORDER BY id", &[])
            .unwrap()
        {
            state.push(format!("ledger {:?} {:?}", row[0], row[1]));
        }
    }
    let applied = db
        .query(
            "SELECT revision, count(*)::bigint FROM alembic_version_history \
             WHERE direction = 'upgrade' AND outcome = 'success' GROUP BY revision ORDER BY revision",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| (r[0].as_text().unwrap().to_string(), r[1].as_int().unwrap()))
        .collect();
    (state, applied)
}

/// Fails unless the database holds `expected` (a clean run's catalog and rows) and its history
/// says each of `revisions` revisions was applied exactly once, with nothing left in progress.
fn assert_holds(db: &PatroniDb<'_>, expected: &[String], revisions: usize, context: &str) {
    let mut conn = db.db();
    let (state, applied) = holdings(conn.as_mut());
    assert_eq!(state, expected, "{context}: not what a clean run leaves");
    let twice: Vec<&(String, i64)> = applied.iter().filter(|(_, n)| *n != 1).collect();
    assert!(
        twice.is_empty() && applied.len() == revisions,
        "{context}: the history shows {} revisions applied, not each of {revisions} once: {twice:?}",
        applied.len()
    );
    let left = conn
        .query(
            "SELECT count(*)::bigint FROM alembic_version_history WHERE outcome = 'in_progress'",
            &[],
        )
        .unwrap()[0][0]
        .as_int();
    assert_eq!(left, Some(0), "{context}: a step left in progress");
}

/// What the Patroni trials of one case saw.
#[derive(Default)]
struct Failovers {
    runs: usize,
    /// Runs that the fault struck while they went on.
    struck: usize,
    /// Runs that lost their connection and connected again to the new primary.
    reconnected: usize,
    /// Struck runs that succeeded without a rerun.
    outlived: usize,
    /// Runs that failed and were followed by a plain rerun.
    reran: usize,
    /// Steps whose commit was lost with the old primary and that were applied again.
    applied_again: usize,
    /// Steps started again on the new primary.
    started_again: usize,
    /// Successful runs that named the replica that had replayed their last commit.
    replicated: usize,
}

/// Trials of `fault` at random moments of the runs `start` starts on a fresh database (a clean
/// run of one of them takes what `clean_run` measures): every run (or one plain rerun) ends at
/// head on the new primary, each revision applied once, the database as a clean run leaves it;
/// and when a run reported success, that holds before any rerun (durable before done).
fn failover_trials(
    case: &str,
    fault: Fault,
    revisions: usize,
    start: &dyn Fn(&str) -> Vec<Run>,
    rerun: &dyn Fn(&str) -> Run,
) {
    let _turn = clusters::patroni_turn();
    let Some(patroni) = Patroni::new() else {
        return;
    };
    // A clean run: how long it takes, and what it leaves.
    let clean = PatroniDb::new(&patroni);
    let started = Instant::now();
    let first = rerun(&clean.url()).finish(Duration::from_secs(300));
    let took = started.elapsed();
    assert!(first.ok, "{case}: a clean run failed: {}", first.said);
    let expected = holdings(clean.db().as_mut()).0;
    assert_holds(
        &clean,
        &expected,
        revisions,
        &format!("{case}: a clean run"),
    );
    drop(clean);
    if fault == Fault::Switchover && SWITCHOVER_LATENCY.lock().unwrap().is_none() {
        // How long a switchover takes to bite, measured once without a run.
        fault.strike(&patroni.primary());
        eprintln!(
            "{case}: a switchover cuts the old primary's sessions {} ms after it is asked for",
            fault.lead().as_millis()
        );
        patroni.healthy();
    }
    let mut seen = Failovers::default();
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        let db = PatroniDb::new(&patroni);
        let primary = patroni.primary();
        let lead = fault.lead();
        // The runs start so that the fault, set off `lead` ahead, strikes `delay` into them.
        let begin = Instant::now() + lead.saturating_sub(delay);
        let set_off = begin + delay - lead.min(delay);
        let struck = {
            let primary = primary.clone();
            std::thread::spawn(move || {
                std::thread::sleep(set_off.saturating_duration_since(Instant::now()));
                fault.strike(&primary)
            })
        };
        std::thread::sleep(begin.saturating_duration_since(Instant::now()));
        let runs = start(&db.url());
        let at = struck.join().unwrap();
        let going: Vec<bool> = runs.iter().map(|r| r.running_at(at)).collect();
        let hit = going.iter().filter(|g| **g).count();
        let context = format!(
            "{case}, trial {trial}: {fault:?} of the primary {} {} ms into the run{} (replay: QUARK_CRASH_DELAYS_MS={}), {hit} of {} runs still going",
            primary.name,
            at.saturating_duration_since(begin).as_millis(),
            if runs.len() > 1 { "s" } else { "" },
            delay.as_millis(),
            runs.len()
        );
        let ended: Vec<Ended> = runs
            .into_iter()
            .map(|r| r.finish(Duration::from_secs(300)))
            .collect();
        seen.runs += ended.len();
        seen.struck += hit;
        let ok = ended.iter().filter(|e| e.ok).count();
        // A run the failover struck that succeeded connected again (the binary also says so).
        seen.reconnected += ended
            .iter()
            .zip(&going)
            .filter(|(e, going)| e.reconnected || (**going && e.ok))
            .count();
        seen.applied_again += ended.iter().map(|e| e.applied_again).sum::<usize>();
        seen.started_again += ended.iter().map(|e| e.started_again).sum::<usize>();
        seen.replicated += ended.iter().filter(|e| e.ok && e.replicated).count();
        let said: Vec<&str> = ended.iter().map(|e| e.said.as_str()).collect();
        if ok > 0 {
            // Durable before done: what a run reported done is on the new primary, rerun or not.
            assert_holds(
                &db,
                &expected,
                revisions,
                &format!(
                    "{context}: {ok} run(s) reported success\n{}",
                    said.join("\n")
                ),
            );
        }
        if ok < ended.len() {
            seen.reran += ended.len() - ok;
            let again = rerun(&db.url()).finish(Duration::from_secs(300));
            assert!(
                again.ok,
                "{context}: the plain rerun failed: {}\nthe runs:\n{}",
                again.said,
                said.join("\n")
            );
        }
        // Struck runs that succeeded outlived the failover by themselves.
        seen.outlived += if hit > 0 { ok.min(hit) } else { 0 };
        assert_holds(
            &db,
            &expected,
            revisions,
            &format!("{context}\n{}", said.join("\n")),
        );
        kills.landed(hit > 0);
        eprintln!(
            "{context}: {ok} succeeded{}, the database at head on the new primary, each revision applied once",
            if ok < ended.len() {
                format!(", {} failed and a plain rerun finished", ended.len() - ok)
            } else {
                String::new()
            }
        );
        drop(db);
        // The old primary back as a replica before the next trial.
        patroni.healthy();
    }
    eprintln!(
        "{case}: {} trials over a clean run of {} ms: {} runs, {} struck by the failover, {} connected again to the new primary, {} struck runs succeeded by themselves, {} needed a plain rerun, {} steps were started again on the new primary, {} steps whose acknowledged commit was lost with the old primary were applied again, {} successes named the replica that had replayed their last commit",
        kills.counts().0,
        took.as_millis(),
        seen.runs,
        seen.struck,
        seen.reconnected,
        seen.outlived,
        seen.reran,
        seen.started_again,
        seen.applied_again,
        seen.replicated
    );
    kills.assert_landed(case, "while a run went on");
    // Outliving a failover is the point: a run struck by one connects again and finishes.
    assert!(
        seen.outlived > 0,
        "{case}: no run struck by a failover outlived it by connecting again"
    );
}

/// quark's `upgrade head` through the URL naming every member.
fn quark_upgrade(url: &str) -> Run {
    Run::cli(url, &["upgrade", "head"])
}

#[test]
fn patroni_primary_killed_under_quark_upgrade() {
    failover_trials(
        "Patroni, primary killed under quark's upgrade head",
        Fault::Kill,
        QUARK_REVISIONS,
        &|url| vec![quark_upgrade(url)],
        &quark_upgrade,
    );
}

#[test]
fn patroni_switchover_under_quark_upgrade() {
    failover_trials(
        "Patroni, switchover under quark's upgrade head",
        Fault::Switchover,
        QUARK_REVISIONS,
        &|url| vec![quark_upgrade(url)],
        &quark_upgrade,
    );
}

#[test]
fn patroni_primary_killed_under_a_hundred_revisions() {
    failover_trials(
        "Patroni, primary killed under a chain of 100 revisions",
        Fault::Kill,
        CHAIN,
        &|url| vec![Run::chain(url)],
        &Run::chain,
    );
}

#[test]
fn patroni_switchover_under_a_hundred_revisions() {
    failover_trials(
        "Patroni, switchover under a chain of 100 revisions",
        Fault::Switchover,
        CHAIN,
        &|url| vec![Run::chain(url)],
        &Run::chain,
    );
}

#[test]
fn patroni_six_startups_across_a_failover() {
    for fault in [Fault::Kill, Fault::Switchover] {
        failover_trials(
            &format!("Patroni, 6 start-ups at once across a failover ({fault:?})"),
            fault,
            QUARK_REVISIONS,
            &|url| (0..6).map(|_| quark_upgrade(url)).collect(),
            &quark_upgrade,
        );
    }
}

// ---------------------------------------------------------------- A lock holder paused

/// How many times each revision was applied by the history's word, and how many steps are left
/// in progress, on any server.
fn applied_counts(db: &mut dyn quark_migrate::backend::Backend) -> (Vec<(String, i64)>, i64) {
    let applied = db
        .query(
            "SELECT revision, COUNT(*) FROM alembic_version_history \
             WHERE direction = 'upgrade' AND outcome = 'success' GROUP BY revision ORDER BY revision",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| {
            let n = r[1]
                .as_int()
                .or_else(|| r[1].as_text().and_then(|t| t.parse().ok()))
                .unwrap();
            (r[0].as_text().unwrap().to_string(), n)
        })
        .collect();
    let left = db
        .query(
            "SELECT COUNT(*) FROM alembic_version_history WHERE outcome = 'in_progress'",
            &[],
        )
        .unwrap()[0][0]
        .clone();
    let left = left
        .as_int()
        .or_else(|| left.as_text().and_then(|t| t.parse().ok()))
        .unwrap();
    (applied, left)
}

/// Fails unless the history says each of quark's revisions was applied exactly once.
fn assert_applied_once(db: &mut dyn quark_migrate::backend::Backend, context: &str) {
    let (applied, left) = applied_counts(db);
    let not_once: Vec<&(String, i64)> = applied.iter().filter(|(_, n)| *n != 1).collect();
    assert!(
        not_once.is_empty() && applied.len() == QUARK_REVISIONS && left == 0,
        "{context}: the history shows {} revisions applied ({not_once:?} not once) and {left} in progress, not each of {QUARK_REVISIONS} once",
        applied.len()
    );
}

/// The owner column of the lock row, read on `url` (empty when nobody holds the lock).
fn lock_owner(url: &str) -> String {
    let Ok(mut db) = connect(url) else {
        return String::new();
    };
    db.query(
        "SELECT owner FROM alembic_version_lock WHERE name = 'migration'",
        &[],
    )
    .ok()
    .and_then(|rows| rows.into_iter().next())
    .and_then(|r| r[0].as_text().map(str::to_string))
    .unwrap_or_default()
}

/// What the paused-holder trials of one case saw.
#[derive(Default)]
struct Pauses {
    took_over: usize,
    /// Trials where the paused one was resumed before any takeover (it held the lock row).
    held_row: usize,
    lost: usize,
    found_done: usize,
    settled: usize,
}

/// Trials of a migrator paused (SIGSTOP) at random moments of `upgrade head`, while another
/// starts; once the other holds the lock (taken over from the paused one, its lease run out),
/// the paused one is resumed (SIGCONT). The other must reach head; the paused one must stop at
/// its next statement with the lost-lock error, or find the work done; no statement runs twice
/// (the history shows each revision applied once, the schema is a clean run's, and neither
/// failed on a statement that had already run).
fn paused_holder_trials(
    case: &str,
    took: Duration,
    fresh: &dyn Fn(usize) -> (Box<dyn std::any::Any>, String, String, String),
    check: &dyn Fn(&str, &str),
) {
    let args = ["--lock-lease", SHORT_LEASE, "upgrade", "head"];
    let mut seen = Pauses::default();
    let mut kills = kills(took);
    while let Some((trial, delay)) = kills.next() {
        // The database (kept alive for the trial), where the paused one runs, where the other
        // runs, and where the lock row is read.
        let (_db, paused_url, other_url, watch_url) = fresh(trial);
        let paused = Run::cli(&paused_url, &args);
        let pid = paused.pid.unwrap();
        std::thread::sleep(delay);
        signal("STOP", &[pid]);
        let other = Run::cli(&other_url, &args);
        let other_pid = other.pid.unwrap();
        // The other holds the lock (taken over, or taken when the paused one held none), or has
        // ended, before the paused one goes on; or ten leases have passed: a migrator paused
        // between its fence update and its commit holds the lock row in its transaction, which
        // no takeover passes (the other's takeover gives up and tries again, within its
        // --lock-timeout, until the paused one goes on).
        let patience = Instant::now() + 10 * Duration::from_secs(SHORT_LEASE.parse().unwrap());
        let mut held_row = false;
        while other.running_at(Instant::now())
            && !lock_owner(&watch_url).contains(&format!("(pid {other_pid})"))
        {
            if Instant::now() >= patience {
                held_row = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("CONT", &[pid]);
        seen.held_row += usize::from(held_row);
        let other = other.finish(Duration::from_secs(300));
        let paused = paused.finish(Duration::from_secs(300));
        let context = format!(
            "{case}, trial {trial}: the migrator paused {} ms into its run (replay: QUARK_CRASH_DELAYS_MS={})\nthe paused one: {}\nthe other: {}",
            delay.as_millis(),
            delay.as_millis(),
            paused.said,
            other.said
        );
        assert!(other.ok, "{context}\nthe other migrator failed");
        let took_over = other.said.contains("Took over the migration lock");
        if paused.ok {
            seen.found_done += 1;
        } else {
            assert!(
                paused.said.contains("was lost"),
                "{context}\nthe paused one failed, but not on its lost lock"
            );
            seen.lost += 1;
        }
        assert!(
            !(took_over && paused.said.contains("Took over the migration lock")),
            "{context}"
        );
        seen.took_over += usize::from(took_over);
        seen.settled += usize::from(other.said.contains("Settled statement"));
        check(&watch_url, &context);
        kills.landed(took_over);
        if held_row {
            eprintln!("{context}\nthe paused one was resumed before any takeover");
        }
        eprintln!(
            "{case}, trial {trial}: paused {} ms in; the other {}; the paused one {}",
            delay.as_millis(),
            if took_over {
                "took the lock over and reached head"
            } else {
                "reached head"
            },
            if paused.ok {
                "found the work done"
            } else {
                "stopped: its lock was lost"
            }
        );
    }
    eprintln!(
        "{case}: {} trials over a clean run of {} ms: {} took the lock over from the paused migrator, {} paused migrators held the lock row in a transaction and were resumed before any takeover, {} paused migrators stopped with the lost-lock error, {} found the work done, {} settled a statement from the database",
        kills.counts().0,
        took.as_millis(),
        seen.took_over,
        seen.held_row,
        seen.lost,
        seen.found_done,
        seen.settled
    );
    kills.assert_landed(
        case,
        "while the paused migrator held the lock (taken over from it)",
    );
}

#[test]
fn galera_holder_paused_past_its_lease() {
    let _turn = clusters::galera_turn();
    let Some((took, expected)) = galera_reference() else {
        return;
    };
    paused_holder_trials(
        "Galera, the lock holder paused past its lease",
        took,
        &|trial| {
            let db = GaleraDb::new().unwrap();
            let (paused, other) = (db.url(trial), db.url(trial + 1));
            let watch = db.url(trial + 2);
            (Box::new(db) as Box<dyn std::any::Any>, paused, other, watch)
        },
        &|watch, context| {
            let mut db = galera_reader(watch);
            assert_eq!(catalog(db.as_mut(), Dialect::Mysql), expected, "{context}");
            assert_applied_once(db.as_mut(), context);
        },
    );
}

#[test]
fn pgbouncer_holder_paused_past_its_lease() {
    let Some(bouncer) = clusters::urls(Cluster::Pgbouncer) else {
        return;
    };
    let Some(reference) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let started = Instant::now();
    succeeds(
        &format!("{}/{}", bouncer[0], reference.name),
        &["upgrade", "head"],
    );
    let took = started.elapsed();
    let expected = without_lock_table(catalog(reference.db().as_mut(), Dialect::Postgresql));
    paused_holder_trials(
        "PgBouncer, the lock holder paused past its lease",
        took,
        &|_| {
            let db = TestDb::new(Kind::Postgres).unwrap();
            let through = format!("{}/{}", bouncer[0], db.name);
            // The lock row is read on the server itself, not through the pooler's few connections.
            let direct = db.url.clone();
            (
                Box::new(db) as Box<dyn std::any::Any>,
                through.clone(),
                through,
                direct,
            )
        },
        &|direct, context| {
            let mut db = connect(direct).unwrap();
            assert_eq!(
                serial_names(without_lock_table(catalog(
                    db.as_mut(),
                    Dialect::Postgresql
                ))),
                serial_names(expected.clone()),
                "{context}"
            );
            assert_applied_once(db.as_mut(), context);
        },
    );
}

/// A PostgreSQL catalog with the names of the sequences behind SERIAL columns as PostgreSQL
/// chooses them first (`<table>_<column>_seq`): a paused migrator's transaction still open
/// when the new lock holder creates the same table (it rolls back a moment later, once resumed)
/// holds that name, and PostgreSQL gives the new one another (`..._seq1`). The column, its
/// type and its default are the same.
fn serial_names(catalog: Vec<String>) -> Vec<String> {
    catalog
        .into_iter()
        .map(|line| match line.split_once("nextval('") {
            Some((before, after)) => match after.split_once("'::regclass)") {
                Some((sequence, rest)) => {
                    let base = sequence.trim_end_matches(|c: char| c.is_ascii_digit());
                    format!("{before}nextval('{base}'::regclass){rest}")
                }
                None => line,
            },
            None => line,
        })
        .collect()
}

/// A catalog without the lock table's lines (a migration behind a transaction pooler keeps its
/// lock in a table; a direct one does not).
fn without_lock_table(catalog: Vec<String>) -> Vec<String> {
    catalog
        .into_iter()
        .filter(|l| !l.starts_with("alembic_version_lock"))
        .collect()
}

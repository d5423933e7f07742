//! Many instances against clustered servers, each started by `.ci/clusters` on loopback: quark's
//! real binary run by several processes at once over a 3-node MariaDB Galera cluster and through
//! PgBouncer in transaction mode, killed (the migrator, or the Galera node it talks to) at random
//! moments, and pointed at servers that take no writes (a PostgreSQL hot standby, a read-only
//! MariaDB node).
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

/// The lock lease the kill tests give the migrators: short, so that a rerun does not wait long
/// for the lock of a migrator that was killed.
const SHORT_LEASE: &str = "2";

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
            let seen = catalog(connect(url).unwrap().as_mut(), Dialect::Mysql);
            assert_eq!(seen, expected, "{context}: node {} differs", i + 1);
        }
    }
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
        let rerun = run(&db.url(0), &args);
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

//! The clusters on loopback that `.ci/clusters` runs: a 3-node MariaDB Galera cluster, PgBouncer
//! in transaction mode in front of the PostgreSQL on 5432, a hot standby of that server, and a
//! 3-member Patroni cluster (asynchronous streaming replication) with its etcd.
//!
//! A test never leaves behind a cluster nobody asked for. Where a cluster comes from:
//! - its variable (`QUARK_GALERA_URLS`, `QUARK_PGBOUNCER_URL`, `QUARK_PG_STANDBY_URL`,
//!   `QUARK_PATRONI_URL`) is set:
//!   whoever set it runs the cluster (`.ci/run` does, under CI, and stops it when it ends; by
//!   hand, `eval "$(bash .ci/clusters start all)"`);
//! - else, under CI (`CI` set): a failure, since CI must run every cluster test;
//! - else, with `QUARK_CLUSTERS=1`: the test starts it (once per test binary) and it keeps
//!   running after the tests, for the next run; `bash .ci/clusters stop all` stops it;
//! - else: a printed skip.

use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The script that starts, stops and kills the clusters.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/clusters");

/// The variable that lets the tests start the clusters themselves outside CI.
pub const START_VARIABLE: &str = "QUARK_CLUSTERS";

/// A cluster kind, as the script names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cluster {
    Galera,
    Pgbouncer,
    Standby,
    Patroni,
}

impl Cluster {
    fn name(self) -> &'static str {
        match self {
            Cluster::Galera => "galera",
            Cluster::Pgbouncer => "pgbouncer",
            Cluster::Standby => "standby",
            Cluster::Patroni => "patroni",
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Cluster::Galera => "QUARK_GALERA_URLS",
            Cluster::Pgbouncer => "QUARK_PGBOUNCER_URL",
            Cluster::Standby => "QUARK_PG_STANDBY_URL",
            Cluster::Patroni => "QUARK_PATRONI_URL",
        }
    }
}

/// Runs the script with `args`; its output, or why it failed.
pub fn script(args: &[&str]) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(SCRIPT)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {SCRIPT}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{SCRIPT} {} failed:\n{text}", args.join(" ")))
    }
}

/// Whether each kind was started (or found up) by this test binary, when asked to start it.
fn started(cluster: Cluster) -> &'static OnceLock<Result<(), String>> {
    static GALERA: OnceLock<Result<(), String>> = OnceLock::new();
    static PGBOUNCER: OnceLock<Result<(), String>> = OnceLock::new();
    static STANDBY: OnceLock<Result<(), String>> = OnceLock::new();
    static PATRONI: OnceLock<Result<(), String>> = OnceLock::new();
    match cluster {
        Cluster::Galera => &GALERA,
        Cluster::Pgbouncer => &PGBOUNCER,
        Cluster::Standby => &STANDBY,
        Cluster::Patroni => &PATRONI,
    }
}

/// The value of `variable` in the `export NAME="value"` lines the script prints.
fn exported(env: &str, variable: &str) -> Option<String> {
    env.lines().find_map(|l| {
        l.trim()
            .strip_prefix(&format!("export {variable}="))
            .map(|v| v.trim_matches('"').to_string())
    })
}

/// The URL(s) of a cluster (Galera: one per node, without a database), from its variable, or
/// started when `QUARK_CLUSTERS=1` asks for it; `None` (after printing why) when the cluster is
/// not to be had here. Under CI a cluster that is not there is a failure, never a skip.
pub fn urls(cluster: Cluster) -> Option<Vec<String>> {
    let value = value(cluster)?;
    Some(value.split(',').map(|u| u.trim().to_string()).collect())
}

/// The value of a cluster's variable, as [`urls`] finds it, unsplit (Patroni's is one URL
/// naming every member: `postgresql://postgres@h1:p1,h2:p2,h3:p3/postgres?...`).
pub fn value(cluster: Cluster) -> Option<String> {
    let value = match std::env::var(cluster.variable()) {
        Ok(value) if !value.trim().is_empty() => value,
        _ if std::env::var_os("CI").is_some() => panic!(
            "CI must run the {cluster:?} tests, but {} is not set: .ci/run starts the clusters and sets it (eval \"$(bash .ci/clusters start all)\")",
            cluster.variable()
        ),
        _ if std::env::var(START_VARIABLE).as_deref() == Ok("1") => {
            let up = started(cluster).get_or_init(|| {
                eprintln!(
                    "{START_VARIABLE}=1: starting the {cluster:?} cluster ({SCRIPT} start {}); it keeps running after the tests: bash .ci/clusters stop all",
                    cluster.name()
                );
                script(&["start", cluster.name()]).map(|_| ())
            });
            if let Err(why) = up {
                panic!(
                    "{START_VARIABLE}=1 asked for the {cluster:?} cluster, but it did not start: {why}"
                );
            }
            let env = script(&["env"]).expect("the clusters' environment");
            exported(&env, cluster.variable())
                .unwrap_or_else(|| panic!("{SCRIPT} env names no {}", cluster.variable()))
        }
        _ => {
            eprintln!(
                "skipping: the {cluster:?} tests need the cluster: set {} to a running one, or {START_VARIABLE}=1 to let the tests start it (as root; stop it afterwards with: bash .ci/clusters stop all)",
                cluster.variable()
            );
            return None;
        }
    };
    Some(value.trim().to_string())
}

/// Held by a test that uses the Galera cluster: one at a time, since some kill its nodes.
pub fn galera_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Held by a test that uses the Patroni cluster: one at a time, since they fail it over.
pub fn patroni_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

//! The clusters on loopback that `.ci/clusters` runs: a 3-node MariaDB Galera cluster, PgBouncer
//! in transaction mode in front of the PostgreSQL on 5432, and a hot standby of that server.
//! `.ci/run` starts them; a test started without them starts them itself (once per test
//! binary). Locally a cluster that cannot be started is a printed skip; under CI a failure.

use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The script that starts, stops and kills the clusters.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/clusters");

/// A cluster kind, as the script names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cluster {
    Galera,
    Pgbouncer,
    Standby,
}

impl Cluster {
    fn name(self) -> &'static str {
        match self {
            Cluster::Galera => "galera",
            Cluster::Pgbouncer => "pgbouncer",
            Cluster::Standby => "standby",
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Cluster::Galera => "QUARK_GALERA_URLS",
            Cluster::Pgbouncer => "QUARK_PGBOUNCER_URL",
            Cluster::Standby => "QUARK_PG_STANDBY_URL",
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

/// Whether each kind was started (or found up) by this test binary.
fn started(cluster: Cluster) -> &'static OnceLock<Result<(), String>> {
    static GALERA: OnceLock<Result<(), String>> = OnceLock::new();
    static PGBOUNCER: OnceLock<Result<(), String>> = OnceLock::new();
    static STANDBY: OnceLock<Result<(), String>> = OnceLock::new();
    match cluster {
        Cluster::Galera => &GALERA,
        Cluster::Pgbouncer => &PGBOUNCER,
        Cluster::Standby => &STANDBY,
    }
}

/// The URL(s) of a cluster (Galera: one per node, without a database), started if need be;
/// `None` (after printing why) when it cannot be had locally.
pub fn urls(cluster: Cluster) -> Option<Vec<String>> {
    let up = started(cluster).get_or_init(|| script(&["start", cluster.name()]).map(|_| ()));
    if let Err(why) = up {
        if std::env::var_os("CI").is_some() {
            panic!("CI must run the {cluster:?} tests, but the cluster did not start: {why}");
        }
        eprintln!("skipping: the {cluster:?} cluster is not available here ({why})");
        return None;
    }
    let env = script(&["env"]).expect("the clusters' environment");
    let value = env
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("export {}=", cluster.variable()))
        })
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("{SCRIPT} env names no {}", cluster.variable()));
    Some(value.split(',').map(str::to_string).collect())
}

/// Held by a test that uses the Galera cluster: one at a time, since some kill its nodes.
pub fn galera_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

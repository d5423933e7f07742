//! The migration lock kept in a table, for servers where a lock held by the session keeps no
//! other migrator out: a Galera node's `GET_LOCK` holds on that node only, and a transaction
//! pooler runs each transaction of a session on whichever server connection is free.
//!
//! The lock is one row of `<version table>_lock`, inserted by the migrator that gets it (a
//! second insert fails on the key, or on Galera fails certification) and deleted when it is done.
//! While it runs, a thread on a second connection renews it (a counter, `beat`) every quarter of
//! the lease; the row carries the lease's length. A waiter takes the row over only on evidence
//! that its holder is gone: the counter did not move for the longer of the waiter's lease and
//! the holder's, by the waiter's own clock (no clocks compared across machines), or, on Galera,
//! the holder's node has left the cluster.
//!
//! A holder that lost the row is fenced ([`Fence`]): it stops before its next statement once the
//! row was taken over or not renewed for half its lease (a paused process, a partition), and
//! every commit of its run moves the row's `fence` counter where the token is still its own, in
//! the same transaction: no row, no commit. The takeover is an update
//! conditioned on the counter it saw, so a renewal that lands first makes it fail: on Galera the
//! renewal queued behind a long DDL statement is ordered before it, and the takeover's own commit
//! waits behind that statement, so a new holder never runs beside the old one's last statement.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use log::{debug, warn};

use crate::app::log_target;
use crate::backend::waiting::{Try, wait_for_lock};
use crate::backend::{Backend, BackendError, ServerFacts, SessionSettings, Value};

/// The key of the lock's one row.
const ROW: &str = "migration";

/// How long a takeover waits for the row: a holder paused between its fence update and its
/// commit holds the row locked until it goes on, so the takeover gives up after this (and tries
/// again on the next round of the wait) rather than wait as long as the holder stays paused.
const TAKEOVER_WAIT: Duration = Duration::from_secs(1);

/// A migration lock held in a table.
pub(super) struct Lease {
    fence: Arc<Fence>,
    renewer: Option<Renewer>,
}

/// What the holder of a lease and its renewer share: whether the lease still holds, and the
/// turn to write the lock row.
pub(super) struct Fence {
    table: String,
    token: String,
    lease: Duration,
    /// When a renewal last went through (none without a renewer: nothing expires it then).
    renewed: Option<Mutex<Instant>>,
    /// Why the lease was lost, once it was.
    lost: Mutex<Option<String>>,
    /// Held while this process writes the lock row: by the renewer, and by a commit.
    writing: Mutex<()>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Fence {
    fn lost(&self, why: String) -> BackendError {
        let mut lost = locked(&self.lost);
        let why = lost.get_or_insert(why).clone();
        BackendError::LeaseLost {
            table: self.table.clone(),
            why,
        }
    }

    /// An error when the lease may be lost: taken over, or not renewed for half of it.
    pub(super) fn check(&self) -> Result<(), BackendError> {
        let lost = locked(&self.lost).clone();
        if let Some(why) = lost {
            return Err(self.lost(why));
        }
        if let Some(renewed) = &self.renewed {
            let since = locked(renewed).elapsed();
            if since >= self.lease / 2 {
                return Err(self.lost(format!(
                    "not renewed for {} ms, half its lease of {} ms: a waiter may take it over",
                    since.as_millis(),
                    self.lease.as_millis()
                )));
            }
        }
        Ok(())
    }

    /// Commits `db`'s transaction only while the lease is this migrator's: in the same
    /// transaction the lock row's `fence` counter moves where the token is still its own, so a
    /// holder whose row was taken over cannot commit anything.
    pub(super) fn commit(&self, db: &mut dyn Backend) -> Result<(), BackendError> {
        self.check()?;
        let _turn = locked(&self.writing);
        let sql = format!(
            "UPDATE {} SET fence = fence + 1 WHERE name = '{ROW}' AND holder = {}",
            db.quote(&self.table),
            db.placeholder(1)
        );
        // A failure once the lease ran out (the transaction aborted by the new holder's writes
        // on Galera) is the lost lease's.
        let lost_or = |e: BackendError| self.check().err().unwrap_or(e);
        let fenced = db
            .execute(&sql, &[Value::Text(self.token.clone())])
            .map_err(lost_or)?;
        if fenced == 1 {
            return db.commit().map_err(lost_or);
        }
        let _ = db.rollback();
        Err(self.lost("another migrator took it over".to_string()))
    }
}

/// The thread renewing a lease on a connection of its own.
struct Renewer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// The lock row as a waiter reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    token: String,
    owner: String,
    node: String,
    /// The holder's node's address in its cluster, when it is in one.
    address: String,
    beat: i64,
    since: String,
    /// The holder's lease (zero from a release that did not say).
    lease: Duration,
}

/// Why `holder` is gone by the cluster's own word: its node is not among the members now.
fn node_gone(facts: &ServerFacts, holder: &Holder) -> Option<String> {
    let members = facts.members.as_ref()?;
    (!holder.address.is_empty() && !members.contains(&holder.address)).then(|| {
        format!(
            "its node {} is no longer in the cluster (members: {})",
            holder.address,
            members.join(", ")
        )
    })
}

impl Holder {
    /// The holder for a message: who, where, since when.
    fn describe(&self, still_for: Duration) -> String {
        let renewed = if self.beat < 0 {
            "which cannot renew it (the application's own connection): if it is gone, delete the row".to_string()
        } else {
            format!("last renewed {}s ago", still_for.as_secs())
        };
        format!(
            "{} on {}, holding it since {}, {renewed}",
            self.owner, self.node, self.since
        )
    }
}

/// This process, for the lock row: program, pid and host.
fn owner() -> String {
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "migrator".to_string());
    format!("{program} (pid {}) on {}", std::process::id(), host())
}

/// The name of the machine this process runs on, as its rows in the engine's tables show it.
pub(crate) fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".to_string())
}

/// 128 random bits as hex: a lock holder's token, a live instance's id.
pub(crate) fn token() -> String {
    let mut bytes = [0u8; 16];
    // A clash needs two migrators drawing the same 128 bits: the pid and time serve if the
    // system has no randomness to give.
    if getrandom::fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = (now ^ u128::from(std::process::id())).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A duration in whole milliseconds, as the lock row keeps it.
fn millis(d: Duration) -> Value {
    Value::Int(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

impl Lease {
    /// Takes the lock in `table`, waiting at most `timeout` for its holder; a holder that has
    /// not renewed it for `lease` (or whose node left the cluster) is gone.
    pub(super) fn acquire(
        db: &mut dyn Backend,
        table: &str,
        facts: &ServerFacts,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Lease, BackendError> {
        ensure_table(db, table)?;
        ensure_columns(db, table)?;
        let token = token();
        let owner = owner();
        // The holder seen, and since when it has not renewed (by our clock).
        let mut seen: Option<(Holder, Instant)> = None;
        // When the row was last asked for: the lease runs from there, whatever happens to this
        // process between taking the row and starting to renew it (a pause there counts).
        let mut asked = Instant::now();
        let place = format!("{} (lock table {table})", facts.node);
        wait_for_lock(&place, timeout, |_| {
            asked = Instant::now();
            let holder = read(db, table)?;
            let taken = match &holder {
                None => insert(db, table, &token, &owner, facts, lease),
                Some(h) => {
                    let stalled = match &seen {
                        Some((s, at)) if s == h => at.elapsed(),
                        _ => {
                            seen = Some((h.clone(), Instant::now()));
                            Duration::ZERO
                        }
                    };
                    let gone = node_gone(facts, h);
                    // A holder that cannot renew (beat -1) is waited for, never timed out; one
                    // with a longer lease than ours, for that long.
                    let expired = stalled >= lease.max(h.lease) && h.beat >= 0;
                    let took = (expired || gone.is_some())
                        && take_over(db, table, h, &token, &owner, facts, lease);
                    if took {
                        let why = gone.unwrap_or_else(|| {
                            format!("it has not renewed it for {}s", stalled.as_secs())
                        });
                        warn!(target: log_target(), "Took over the migration lock from {}: {why}", h.describe(stalled));
                    }
                    took
                }
            };
            Ok(match (taken, holder) {
                (true, _) => Try::Got(()),
                (false, holder) => Try::Held(holder.map(|h| {
                    let stalled = seen.as_ref().map_or(Duration::ZERO, |(_, at)| at.elapsed());
                    h.describe(stalled)
                })),
            })
        })?;
        let second = db.second_connection()?;
        let fence = Arc::new(Fence {
            table: table.to_string(),
            token: token.clone(),
            lease,
            renewed: second.as_ref().map(|_| Mutex::new(asked)),
            lost: Mutex::new(None),
            writing: Mutex::new(()),
        });
        let renewer = second.map(|conn| Renewer::start(conn, fence.clone()));
        if renewer.is_none() {
            // Nothing can renew it: marked so that no waiter takes it over by the clock.
            mark_unrenewed(db, table, &token)?;
            warn!(target: log_target(), "The migration lock in {table} cannot be renewed on the application's own connection: other migrators wait for it until it is released or this node leaves the cluster");
        }
        debug!(target: log_target(), "Holding the migration lock in {table} as {owner}");
        Ok(Lease { fence, renewer })
    }

    /// What the run holding this lease checks before each statement and commits through.
    pub(super) fn fence(&self) -> Arc<Fence> {
        self.fence.clone()
    }

    /// Stops renewing and deletes the lock row (if it is still ours).
    pub(super) fn release(mut self, db: &mut dyn Backend) -> Result<(), BackendError> {
        if let Some(renewer) = self.renewer.take() {
            renewer.stop.store(true, Ordering::Relaxed);
            let _ = renewer.thread.join();
        }
        let sql = format!(
            "DELETE FROM {} WHERE name = '{ROW}' AND holder = {}",
            db.quote(&self.fence.table),
            db.placeholder(1)
        );
        db.execute(&sql, &[Value::Text(self.fence.token.clone())])
            .map(|_| ())
    }
}

impl Renewer {
    /// A thread renewing the lease every quarter of it on the connection `conn`, opening
    /// another when that one fails; it marks the lease lost when it finds the row taken over.
    fn start(mut conn: Box<dyn Backend>, fence: Arc<Fence>) -> Renewer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let every = (fence.lease / 4).max(Duration::from_millis(50));
        let target = crate::app::current();
        let thread = std::thread::spawn(move || {
            let _app = target.scope();
            let mut last = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20).min(every));
                if last.elapsed() < every {
                    continue;
                }
                last = Instant::now();
                let renewed = {
                    let _turn = locked(&fence.writing);
                    renew(conn.as_mut(), &fence.table, &fence.token)
                };
                match renewed {
                    Ok(true) => {
                        if let Some(at) = &fence.renewed {
                            *locked(at) = Instant::now();
                        }
                    }
                    Ok(false) => {
                        let _ = fence.lost("another migrator took it over".to_string());
                        warn!(target: log_target(), "The migration lock in {} was taken over by another migrator: this one stops before its next statement", fence.table);
                        return;
                    }
                    Err(e) => {
                        warn!(target: log_target(), "could not renew the migration lock in {}: {e}; opening another connection", fence.table);
                        match conn.second_connection() {
                            Ok(Some(fresh)) => conn = fresh,
                            Ok(None) => {}
                            Err(e) => {
                                warn!(target: log_target(), "could not reconnect to renew the migration lock: {e}")
                            }
                        }
                    }
                }
            }
        });
        Renewer { stop, thread }
    }
}

/// Creates the lock table when missing (checked first: on Galera every DDL statement, even one
/// with nothing to do, holds the whole cluster for a moment). Migrators starting together may
/// all find it missing: PostgreSQL then fails all but one `CREATE TABLE IF NOT EXISTS` on its
/// catalog's keys, which is fine once the table is there.
fn ensure_table(db: &mut dyn Backend, table: &str) -> Result<(), BackendError> {
    if db.table_exists(table)? {
        return Ok(());
    }
    let created = db.run(&format!(
        "CREATE TABLE IF NOT EXISTS {} (name VARCHAR(32) NOT NULL PRIMARY KEY, holder VARCHAR(64) NOT NULL, \
         owner VARCHAR(255) NOT NULL, node VARCHAR(255) NOT NULL, address VARCHAR(255) NOT NULL, beat BIGINT NOT NULL, \
         acquired_at VARCHAR(40) NOT NULL, lease_ms BIGINT NOT NULL DEFAULT 0, fence BIGINT NOT NULL DEFAULT 0){}",
        db.quote(table),
        db.dialect().own_table_options()
    ));
    match created {
        Err(_) if db.table_exists(table)? => Ok(()),
        other => other,
    }
}

/// Adds the lease's length and the fence counter to a lock table an earlier release made
/// (asked outside any transaction: a failed read leaves nothing behind). Migrators upgrading it
/// together may both try; the column is there afterwards either way.
fn ensure_columns(db: &mut dyn Backend, table: &str) -> Result<(), BackendError> {
    let probe = format!(
        "SELECT lease_ms, fence FROM {} WHERE 1 = 0",
        db.quote(table)
    );
    if db.query(&probe, &[]).is_ok() {
        return Ok(());
    }
    for column in ["lease_ms", "fence"] {
        let _ = db.run(&format!(
            "ALTER TABLE {} ADD COLUMN {column} BIGINT NOT NULL DEFAULT 0",
            db.quote(table)
        ));
    }
    db.query(&probe, &[]).map(|_| ())
}

/// Who holds the lock kept in `table`, read without writing anything: `None` when nobody does
/// (or the table was never made).
pub(super) fn holder(db: &mut dyn Backend, table: &str) -> Result<Option<String>, BackendError> {
    if !db.table_exists(table)? {
        return Ok(None);
    }
    Ok(read(db, table)?.map(|h| {
        format!(
            "{} on {}, holding it since {}, renewed {} times",
            h.owner, h.node, h.since, h.beat
        )
    }))
}

/// The lock row, if someone holds the lock.
fn read(db: &mut dyn Backend, table: &str) -> Result<Option<Holder>, BackendError> {
    let sql = format!(
        "SELECT holder, owner, node, address, beat, acquired_at, lease_ms FROM {} WHERE name = '{ROW}'",
        db.quote(table)
    );
    let rows = db.query(&sql, &[])?;
    Ok(rows.into_iter().next().map(|r| {
        let text = |i: usize| r[i].as_text().unwrap_or_default().to_string();
        Holder {
            token: text(0),
            owner: text(1),
            node: text(2),
            address: text(3),
            beat: r[4].as_int().unwrap_or(0),
            since: text(5),
            lease: Duration::from_millis(
                r[6].as_int()
                    .or_else(|| r[6].as_text()?.trim().parse().ok())
                    .and_then(|ms| u64::try_from(ms).ok())
                    .unwrap_or(0),
            ),
        }
    }))
}

/// Inserts the lock row; whether it was ours to insert (another migrator's insert, committed
/// first here or on another node, makes ours fail).
fn insert(
    db: &mut dyn Backend,
    table: &str,
    token: &str,
    owner: &str,
    facts: &ServerFacts,
    lease: Duration,
) -> bool {
    let p: Vec<String> = (1..=6).map(|n| db.placeholder(n)).collect();
    let sql = format!(
        "INSERT INTO {} (name, holder, owner, node, address, beat, acquired_at, lease_ms) VALUES ('{ROW}', {}, {}, {}, {}, 0, {}, {})",
        db.quote(table),
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5]
    );
    let params = [
        token.into(),
        owner.into(),
        facts.node.as_str().into(),
        facts.address.as_deref().unwrap_or_default().into(),
        now().as_str().into(),
        millis(lease),
    ];
    match db.execute(&sql, &params) {
        Ok(n) => n == 1,
        Err(e) => {
            debug!(target: log_target(), "another migrator took the lock first: {e}");
            false
        }
    }
}

/// Takes the row over from `holder` if it is still as seen; whether it was taken.
fn take_over(
    db: &mut dyn Backend,
    table: &str,
    holder: &Holder,
    token: &str,
    owner: &str,
    facts: &ServerFacts,
    lease: Duration,
) -> bool {
    let p: Vec<String> = (1..=8).map(|n| db.placeholder(n)).collect();
    let sql = format!(
        "UPDATE {} SET holder = {}, owner = {}, node = {}, address = {}, beat = 0, acquired_at = {}, lease_ms = {} \
         WHERE name = '{ROW}' AND holder = {} AND beat = {}",
        db.quote(table),
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        p[6],
        p[7]
    );
    let params = [
        token.into(),
        owner.into(),
        facts.node.as_str().into(),
        facts.address.as_deref().unwrap_or_default().into(),
        now().as_str().into(),
        millis(lease),
        holder.token.as_str().into(),
        Value::Int(holder.beat),
    ];
    // In a transaction of its own under a short lock wait (behind a transaction pooler the wait
    // is set with the transaction).
    let bounded = SessionSettings {
        lock_wait: TAKEOVER_WAIT,
        table_engine: None,
    };
    let taken = db.migration_session(Some(&bounded)).and_then(|()| {
        db.begin()?;
        let n = db.execute(&sql, &params)?;
        db.commit()?;
        Ok(n)
    });
    if taken.is_err() {
        let _ = db.rollback();
    }
    if let Err(e) = db.migration_session(None) {
        debug!(target: log_target(), "could not put the session's lock wait back: {e}");
    }
    match taken {
        Ok(n) => n == 1,
        Err(e) => {
            debug!(target: log_target(), "the lock's holder renewed it first, or holds its row in a transaction: {e}");
            false
        }
    }
}

/// Marks a held lock as one that is not renewed.
fn mark_unrenewed(db: &mut dyn Backend, table: &str, token: &str) -> Result<(), BackendError> {
    set_beat(db, table, token, "-1").map(|_| ())
}

/// Moves the lock's counter on; false when the lock is no longer ours.
fn renew(db: &mut dyn Backend, table: &str, token: &str) -> Result<bool, BackendError> {
    set_beat(db, table, token, "beat + 1")
}

/// Sets the counter of the lock `token` holds to the SQL expression `beat`; false when the
/// lock is no longer ours.
fn set_beat(
    db: &mut dyn Backend,
    table: &str,
    token: &str,
    beat: &str,
) -> Result<bool, BackendError> {
    let sql = format!(
        "UPDATE {} SET beat = {beat} WHERE name = '{ROW}' AND holder = {}",
        db.quote(table),
        db.placeholder(1)
    );
    Ok(db.execute(&sql, &[token.into()])? == 1)
}

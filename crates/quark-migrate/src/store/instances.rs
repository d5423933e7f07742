//! The instances of the application running now (`<version table>_instances`, a row each):
//! what lets a migrator know which releases are live before it applies a revision that breaks
//! some of them. Each row is renewed by its instance (its heartbeat, in the server's clock) and
//! removed when it stops; a row whose heartbeat is older than its own time to live is an
//! instance that died, ignored and removed. Rows are evidence only: nothing read from them is
//! ever run, and a forged row can only hold a breaking revision back.

use super::Store;
use crate::backend::{Backend, BackendError, Value};

/// Longest text a row may hold in a field (longer ones are cut when written).
const MAX_FIELD: usize = 255;

/// An instance of the application, as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRecord {
    /// Its id (random, given when it registered).
    pub id: String,
    /// The application's name.
    pub application: String,
    /// The application's version.
    pub version: String,
    /// The heads of the revisions its binary embeds.
    pub heads: Vec<String>,
    /// The host it runs on.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// When it started (RFC 3339, its own clock).
    pub started_at: String,
    /// How long its row outlives its last heartbeat, in milliseconds.
    pub ttl_ms: i64,
}

impl InstanceRecord {
    /// `application version (pid N on host), started at ...`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} (pid {} on {}, started {})",
            self.application, self.version, self.pid, self.host, self.started_at
        )
    }
}

fn cut(text: &str) -> &str {
    match text.char_indices().nth(MAX_FIELD) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

impl Store {
    /// The name of the table of live instances (`<version table>_instances`).
    pub fn instances_table(&self) -> String {
        format!("{}_instances", self.version_table)
    }

    /// The statement that creates the instances table.
    pub(super) fn create_instances_table(&self, db: &dyn Backend) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (id VARCHAR(64) NOT NULL PRIMARY KEY, \
             application VARCHAR(255) NOT NULL, version VARCHAR(255) NOT NULL, \
             heads VARCHAR(1000) NOT NULL, host VARCHAR(255) NOT NULL, pid BIGINT NOT NULL, \
             started_at VARCHAR(40) NOT NULL, heartbeat_ms BIGINT NOT NULL, ttl_ms BIGINT NOT NULL){}",
            db.quote(&self.instances_table()),
            db.dialect().own_table_options()
        )
    }

    /// Registers `instance`, its heartbeat now (the server's clock).
    pub fn register_instance(
        &self,
        db: &mut dyn Backend,
        instance: &InstanceRecord,
    ) -> Result<(), BackendError> {
        let p: Vec<String> = (1..=8).map(|n| db.placeholder(n)).collect();
        let sql = format!(
            "INSERT INTO {} (id, application, version, heads, host, pid, started_at, ttl_ms, heartbeat_ms) \
             VALUES ({}, {})",
            db.quote(&self.instances_table()),
            p.join(", "),
            db.dialect().now_ms()
        );
        let heads = instance.heads.join(" ");
        db.execute(
            &sql,
            &[
                instance.id.as_str().into(),
                cut(&instance.application).into(),
                cut(&instance.version).into(),
                cut(&heads).into(),
                cut(&instance.host).into(),
                Value::Int(instance.pid),
                instance.started_at.as_str().into(),
                Value::Int(instance.ttl_ms),
            ],
        )
        .map(|_| ())
    }

    /// Renews the heartbeat of instance `id`; whether its row was still there (an instance
    /// whose row expired and was removed registers again).
    pub fn beat_instance(&self, db: &mut dyn Backend, id: &str) -> Result<bool, BackendError> {
        let sql = format!(
            "UPDATE {} SET heartbeat_ms = {} WHERE id = {}",
            db.quote(&self.instances_table()),
            db.dialect().now_ms(),
            db.placeholder(1)
        );
        Ok(db.execute(&sql, &[id.into()])? > 0)
    }

    /// Removes instance `id` (it stopped).
    pub fn deregister_instance(&self, db: &mut dyn Backend, id: &str) -> Result<(), BackendError> {
        let sql = format!(
            "DELETE FROM {} WHERE id = {}",
            db.quote(&self.instances_table()),
            db.placeholder(1)
        );
        db.execute(&sql, &[id.into()]).map(|_| ())
    }

    /// The instances whose heartbeat is within their time to live, by the server's clock,
    /// oldest first; none when there is no table. Rows past it are left for
    /// [`Store::expire_instances`].
    pub fn live_instances(
        &self,
        db: &mut dyn Backend,
    ) -> Result<Vec<InstanceRecord>, BackendError> {
        let table = self.instances_table();
        if !db.table_exists(&table)? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, application, version, heads, host, pid, started_at, ttl_ms FROM {} \
             WHERE heartbeat_ms + ttl_ms >= {} ORDER BY started_at, id",
            db.quote(&table),
            db.dialect().now_ms()
        );
        let text = |v: &Value| v.as_text().unwrap_or_default().to_string();
        Ok(db
            .query(&sql, &[])?
            .iter()
            .map(|r| InstanceRecord {
                id: text(&r[0]),
                application: text(&r[1]),
                version: text(&r[2]),
                heads: text(&r[3]).split_whitespace().map(str::to_string).collect(),
                host: text(&r[4]),
                pid: r[5].as_int().unwrap_or_default(),
                started_at: text(&r[6]),
                ttl_ms: r[7].as_int().unwrap_or_default(),
            })
            .collect())
    }

    /// Removes the rows of instances whose heartbeat is past their time to live (instances
    /// that died without removing theirs); how many.
    pub fn expire_instances(&self, db: &mut dyn Backend) -> Result<u64, BackendError> {
        let table = self.instances_table();
        if !db.table_exists(&table)? {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM {} WHERE heartbeat_ms + ttl_ms < {}",
            db.quote(&table),
            db.dialect().now_ms()
        );
        db.execute(&sql, &[])
    }
}

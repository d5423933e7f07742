//! PostgreSQL through the `postgres` crate, on a connection the engine opens or on an
//! application's own `postgres::Client`. The migration lock is a session-level
//! `pg_try_advisory_lock` on the migrating session, polled with backoff outside any transaction
//! (a blocking lock taken in a transaction deadlocks with `CREATE INDEX CONCURRENTLY`); held by
//! the session that runs the statements, it stays held until the server has finished the last
//! of them, even when the client died first.
//!
//! The `postgres` client blocks on a tokio runtime of its own, which tokio forbids on a thread
//! that drives async tasks: there, every call (and closing the connection) runs on a scoped
//! thread of its own, so the engine works from async code too.

use std::time::Duration;

use postgres::config::SslMode;
use postgres::{Client, Config, NoTls, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

mod client;
mod errors;
mod ops;
mod per_transaction;
mod rows;
use errors::{connect_message, db_err, is_transient_connect};
use rows::values;

use client::{Call, PgClient, Reply};
#[cfg(feature = "tokio")]
pub(crate) use client::{Served, serve};

use super::tls::{self, Tls, TlsMode};
use super::{
    Backend, BackendError, BatchError, Conn, ConnectOptions, Database, Row, ServerOps, Session,
    TextRows, Tuning, Value,
};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// Rows of an [`Backend::update_rows`] sent in one statement.
const UPDATE_ROWS_PER_STATEMENT: usize = 5_000;

/// A PostgreSQL database.
pub struct Postgres<'c> {
    /// `None` only while being dropped.
    client: Option<PgClient<'c>>,
    target: String,
    database: String,
    lock: Option<i64>,
    /// The session's `lock_timeout` before the migration limited it.
    /// The session's own `lock_timeout` and `standard_conforming_strings`, while a migration
    /// has them (see `ServerOps::migration_session`).
    saved_settings: Option<(String, String)>,
    /// How this connection was opened, for a second one and to tell a pooler in between (none
    /// for a lent client).
    opened: Option<Opened>,
    /// Whether a transaction pooler sits between us and the server, once known: session
    /// settings then go with each transaction (`SET LOCAL`) instead of the session.
    pooled: Option<bool>,
    /// The statement wait to set in each transaction, behind a transaction pooler.
    local_lock_timeout: Option<Duration>,
    /// What the driver connects to, without the tenant's schema.
    plain_target: String,
    /// The tenant's schema (the URL's `schema` option): the only one on the search path, for
    /// the session, or behind a transaction pooler for each transaction.
    schema: Option<String>,
    /// Whether a transaction the driver did not open is under way (behind a transaction pooler
    /// with a tenant's schema, a statement outside one is sent in one of the driver's own).
    in_transaction: bool,
}

/// How the engine opened a connection.
#[derive(Clone)]
struct Opened {
    config: Config,
    connector: Option<MakeRustlsConnect>,
    /// The ports dialled (over TCP, or the sockets' numbers), one per host.
    ports: Vec<u16>,
    /// What the URL's `pooler` option says: `transaction`, `session` or `none`.
    pooler: Option<String>,
    /// Whether the URL dials a cluster (several hosts, or `target_session_attrs`): a failed
    /// connection that may succeed later is then a lost one, waited out as a failover.
    cluster: bool,
}

impl Drop for Postgres<'_> {
    fn drop(&mut self) {
        if let Some(PgClient::Blocking(Conn::Owned(client))) = self.client.take() {
            // Closing a client blocks on its runtime too.
            blocking(move || drop(client));
        }
    }
}

/// Runs `f`, which may block on the `postgres` client's runtime: here, or, on a thread inside a
/// tokio runtime (where blocking on another runtime panics), on a scoped thread of its own.
fn blocking<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Every host (a name, an address, or a socket directory) and port to try, in order: the
/// URL's, else localhost on its port.
fn hosts_of(url: &DatabaseUrl) -> Vec<(String, u16)> {
    let hosts: Vec<(String, u16)> = url
        .hosts
        .iter()
        .map(|(h, p)| (h.clone(), p.unwrap_or(5432)))
        .collect();
    if hosts.is_empty() {
        return vec![("localhost".to_string(), url.port.unwrap_or(5432))];
    }
    hosts
}

impl Postgres<'static> {
    /// Connects to the server and database `url` names: the first of its hosts that accepts the
    /// session (and, with `target_session_attrs=read-write`, takes writes), as libpq does.
    pub fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self, BackendError> {
        let mut config = Config::new();
        let hosts = hosts_of(url);
        for (host, port) in &hosts {
            if host.starts_with('/') {
                config.host_path(host);
            } else {
                config.host(host);
            }
            config.port(*port);
        }
        let user = url
            .username
            .clone()
            .unwrap_or_else(|| "postgres".to_string());
        config.user(&user);
        if let Some(pw) = &url.password {
            config.password(pw);
        }
        let database = url.database.clone().unwrap_or_else(|| user.clone());
        config.dbname(&database);
        config.connect_timeout(options.connect_timeout);
        config.application_name(options.app.name);
        let servers: Vec<String> = hosts.iter().map(|(h, p)| format!("{h}:{p}")).collect();
        let target = format!(
            "PostgreSQL at {} database {database} as user {user}",
            servers.join(",")
        );
        let read_write = match url.option("target_session_attrs") {
            None | Some("any") => false,
            Some("read-write") => true,
            Some(other) => {
                return Err(BackendError::connect(
                    target,
                    format!(
                        "unknown target_session_attrs '{other}' in the URL: use read-write (the server that takes writes) or any"
                    ),
                    None,
                ));
            }
        };
        if read_write {
            config.target_session_attrs(postgres::config::TargetSessionAttrs::ReadWrite);
        }
        // A failed connection waits for a failover where the URL says a cluster is dialled.
        let cluster = hosts.len() > 1 || read_write;
        let tls = Tls::from_url(url, TlsMode::Prefer)
            .and_then(|tls| {
                // Building a TLS configuration costs more than a local connection: only when used.
                let connector = match tls.mode {
                    TlsMode::Disable => None,
                    _ => Some(MakeRustlsConnect::new(tls::config::client_config(&tls)?)),
                };
                Ok((tls.mode, connector))
            })
            .map_err(|message| BackendError::connect(target.clone(), message, None))?;
        config.ssl_mode(match tls.0 {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        let connector = tls.1;
        let pooler = match url.option("pooler") {
            None => None,
            Some(p @ ("transaction" | "session" | "none")) => Some(p.to_string()),
            Some(other) => {
                return Err(BackendError::connect(
                    target,
                    format!(
                        "unknown pooler '{other}' in the URL: use pooler=transaction, pooler=session or pooler=none"
                    ),
                    None,
                ));
            }
        };
        let schema = url.option("schema").map(str::to_string);
        let client = blocking(|| connect(&config, &connector, &target, cluster))?;
        let opened = Opened {
            config,
            connector,
            ports: hosts.iter().map(|(_, p)| *p).collect(),
            pooler,
            cluster,
        };
        let mut db = Postgres::new(
            PgClient::Blocking(Conn::Owned(client)),
            target,
            database,
            Some(opened),
        );
        db.enter_schema(schema)?;
        Ok(db)
    }
}

impl<'c> Postgres<'c> {
    /// Works on an application's client, as it is (its session settings are left alone).
    pub fn lend(client: &'c mut Client) -> Result<Self, BackendError> {
        Postgres::lent(PgClient::Blocking(Conn::Lent(client)))
    }

    /// Works on a connection the application holds, named by the server.
    fn lent(client: PgClient<'c>) -> Result<Self, BackendError> {
        let mut db = Postgres::new(client, String::new(), String::new(), None);
        let row = db
            .query("SELECT current_database()::text, current_user::text", &[])?
            .pop()
            .unwrap_or_default();
        let text = |i: usize| {
            row.get(i)
                .and_then(Value::as_text)
                .unwrap_or("")
                .to_string()
        };
        let (database, user) = (text(0), text(1));
        db.target =
            format!("PostgreSQL database {database} as user {user} (the application's connection)");
        db.database = database;
        Ok(db)
    }

    fn new(client: PgClient<'c>, target: String, database: String, opened: Option<Opened>) -> Self {
        Postgres {
            client: Some(client),
            plain_target: target.clone(),
            target,
            database,
            lock: None,
            saved_settings: None,
            opened,
            pooled: None,
            local_lock_timeout: None,
            schema: None,
            in_transaction: false,
        }
    }
}

/// A connection as `config` says, over TLS when a connector is given. In a `cluster`, a
/// failure that may pass (no host reachable, or none taking writes yet) is a lost connection:
/// a failover may be under way.
fn connect(
    config: &Config,
    connector: &Option<MakeRustlsConnect>,
    target: &str,
    cluster: bool,
) -> Result<Client, BackendError> {
    match connector {
        Some(tls) => config.connect(tls.clone()),
        None => config.connect(NoTls),
    }
    .map_err(|e| {
        let message = connect_message(&e);
        if cluster && is_transient_connect(&e) {
            BackendError::ConnectionLost {
                message: format!(
                    "cannot connect to {target}: {message} (no host takes the session now: a failover may be under way)"
                ),
                source: Some(Box::new(e)),
            }
        } else {
            BackendError::connect(target, message, Some(Box::new(e)))
        }
    })
}

/// `statements` as one script: each ends with a `;` on its own line, so that a trailing `--`
/// comment cannot swallow the separator.
fn join_statements(statements: &[&str]) -> String {
    let mut out = String::new();
    for sql in statements {
        let sql = sql.trim_end();
        out.push_str(sql.strip_suffix(';').unwrap_or(sql));
        out.push_str("\n;\n");
    }
    out
}

/// A stable 64-bit advisory-lock key for a database, a tenant's schema and a version table.
fn lock_key(database: &str, schema: Option<&str>, table: &str) -> i64 {
    let name = match schema {
        // A schema's name may hold `:`: its length keeps two tenants' keys apart.
        Some(schema) => format!(
            "quark-db-manage:{database}:{}:{schema}:{table}",
            schema.len()
        ),
        None => format!("quark-db-manage:{database}:{table}"),
    };
    // 60 bits: always a positive i64.
    crate::checksum::number(&name) as i64
}

#[cfg(feature = "tokio")]
impl Postgres<'static> {
    /// Works on an application's async client, which its own task serves.
    pub(crate) fn served(served: Served) -> Result<Self, BackendError> {
        Postgres::lent(PgClient::Served(served))
    }
}

impl Postgres<'_> {
    /// The messages of a simple-query script.
    fn simple_query(&mut self, sql: String) -> Result<Vec<SimpleQueryMessage>, BackendError> {
        match self.call(Call::Simple(sql))? {
            Reply::Messages(messages) => Ok(messages),
            _ => unreachable!("a simple query answers with messages"),
        }
    }
}

impl Postgres<'_> {
    /// Whether a transaction pooler sits between us and the server: as the URL's `pooler`
    /// option says, else when the server listens on another port than the one dialled (a
    /// pooler or proxy forwards to it; a lent client is taken as direct).
    fn is_pooled(&mut self) -> Result<bool, BackendError> {
        if let Some(pooled) = self.pooled {
            return Ok(pooled);
        }
        let pooled = match self
            .opened
            .as_ref()
            .map(|o| (o.pooler.as_deref(), &o.ports))
        {
            None => false,
            Some((Some(pooler), _)) => pooler == "transaction",
            Some((None, dialled)) => {
                let dialled = dialled.clone();
                let rows = self.query("SELECT current_setting('port')", &[])?;
                let port = rows.first().and_then(|r| r[0].as_text()).unwrap_or("");
                port.parse::<u16>()
                    .is_ok_and(|port| !dialled.contains(&port))
            }
        };
        if pooled {
            log::debug!(target: crate::app::log_target(), "{}: behind a transaction pooler", self.target);
        }
        self.pooled = Some(pooled);
        Ok(pooled)
    }

    /// The session holding the advisory lock `key` and what it runs (a migrator killed
    /// mid-statement keeps it until the server has finished that statement).
    fn holder_of(&mut self, key: i64) -> Option<String> {
        let sql = "SELECT a.pid::bigint, coalesce(a.state, ''), \
                   coalesce(extract(epoch FROM now() - a.query_start)::bigint, 0), \
                   left(coalesce(a.query, ''), 200) \
                   FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                   AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid \
                   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())";
        let row = self
            .query(sql, &[Value::Int(key)])
            .ok()?
            .into_iter()
            .next()?;
        Some(crate::backend::describe_session(
            row[0].as_int()?,
            row[1].as_text().unwrap_or(""),
            row[2].as_int().unwrap_or(0),
            row[3].as_text().unwrap_or(""),
        ))
    }
}

impl Backend for Postgres<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgresql
    }

    fn try_lock(&mut self, name: &str) -> Result<bool, BackendError> {
        if self.lock.is_some() {
            return Ok(true);
        }
        let key = lock_key(&self.database, self.schema.as_deref(), name);
        let rows = self.query("SELECT pg_try_advisory_lock($1)", &[Value::Int(key)])?;
        let taken = rows.first().and_then(|r| r[0].as_int()) == Some(1);
        if taken {
            self.lock = Some(key);
        }
        Ok(taken)
    }

    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.holder_of(lock_key(&self.database, self.schema.as_deref(), name))
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        if let Some(key) = self.lock.take() {
            self.query("SELECT pg_advisory_unlock($1)", &[Value::Int(key)])?;
        }
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        // pg_catalog rather than information_schema: the same answer, a tenth of the time.
        let rows = self.query(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1",
            &[table.into()],
        )?;
        Ok(!rows.is_empty())
    }

    fn enter_tenant_schema(&mut self, schema: &str) -> Result<bool, BackendError> {
        if self.lock.is_some() || self.in_transaction || self.opened.is_none() {
            return Ok(false);
        }
        self.enter_schema(Some(schema.to_string()))?;
        Ok(true)
    }

    fn begin(&mut self) -> Result<(), BackendError> {
        match self.local_settings() {
            Some(set) => self.run(&format!("BEGIN;\n{set}")),
            None => self.run("BEGIN"),
        }
    }

    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.script(&[sql], sql.to_string())
    }

    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        // One round trip; the server does not say which statement failed.
        let mut script = join_statements(statements);
        // Behind a transaction pooler the settings go with the transaction the batch opens.
        if let Some(set) = self.local_settings()
            && statements
                .first()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("BEGIN"))
        {
            script = join_statements(&[statements[0], &set]) + &join_statements(&statements[1..]);
        }
        self.script(statements, script)
            .map_err(|error| BatchError { index: None, error })
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        match self.call(Call::Execute(sql.to_string(), params.to_vec()))? {
            Reply::Count(n) => Ok(n),
            _ => unreachable!("a statement answers with a count"),
        }
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        match self.call(Call::Query(sql.to_string(), params.to_vec()))? {
            Reply::Rows(rows) => rows
                .iter()
                .map(values)
                .collect::<Result<_, _>>()
                .map_err(db_err),
            _ => unreachable!("a query answers with rows"),
        }
    }

    fn execute_many(&mut self, sql: &str, rows: &[Vec<Value>]) -> Result<u64, BackendError> {
        let mut changed = 0;
        for chunk in rows.chunks(super::MANY_PER_TRIP) {
            // One simple-query message: one round trip for the whole chunk.
            let script: String = chunk
                .iter()
                .map(|row| super::inline_params(sql, Dialect::Postgresql, row) + ";\n")
                .collect();
            let messages = self.simple_query(script)?;
            changed += messages
                .iter()
                .map(|m| match m {
                    SimpleQueryMessage::CommandComplete(n) => *n,
                    _ => 0,
                })
                .sum::<u64>();
        }
        Ok(changed)
    }

    fn update_rows(
        &mut self,
        table: &str,
        key: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<u64, BackendError> {
        // Each column travels as one `text[]` parameter per batch, unnested and cast to its
        // column's type (from the catalog, without the type modifier, so that a value too long
        // for a `varchar(n)` fails as it would when set, not truncated).
        let names: Vec<&str> = std::iter::once(key)
            .chain(columns.iter().copied())
            .collect();
        let types = self.column_types(table, &names)?;
        let quoted = self.quote(table);
        let as_typed = |i: usize| format!("v.c{i}::{}", types[i]);
        let set: Vec<String> = (1..names.len())
            .map(|i| format!("{} = {}", self.quote(names[i]), as_typed(i)))
            .collect();
        // Each array behind a sub-select: a planner that saw 5,000 rows coming would hash the
        // whole table (its statistics are often stale mid-migration) where 5,000 index probes
        // are far cheaper; unseen, it estimates a few rows and probes the key's index.
        let params: Vec<String> = (1..=names.len())
            .map(|n| format!("(SELECT ${n}::text[])"))
            .collect();
        let aliases: Vec<String> = (0..names.len()).map(|i| format!("c{i}")).collect();
        let sql = format!(
            "UPDATE {quoted} SET {} FROM unnest({}) AS v({}) WHERE {quoted}.{} = {}",
            set.join(", "),
            params.join(", "),
            aliases.join(", "),
            self.quote(key),
            as_typed(0),
        );
        let mut changed = 0;
        for batch in rows.chunks(UPDATE_ROWS_PER_STATEMENT) {
            let mut columns: Vec<Vec<Option<String>>> =
                vec![Vec::with_capacity(batch.len()); names.len()];
            for row in batch {
                for (column, value) in columns.iter_mut().zip(row) {
                    column.push(match value {
                        Value::Null => None,
                        Value::Int(i) => Some(i.to_string()),
                        Value::Text(s) => Some(s.clone()),
                    });
                }
            }
            match self.call(Call::ExecuteColumns(sql.clone(), columns))? {
                Reply::Count(n) => changed += n,
                _ => unreachable!("a statement answers with a count"),
            }
        }
        Ok(changed)
    }

    fn query_text(&mut self, queries: &[&str]) -> Result<Vec<TextRows>, BackendError> {
        let sql = queries.join(";\n");
        let messages = self.simple_query(sql)?;
        let mut out = Vec::with_capacity(queries.len());
        let mut rows = Vec::new();
        for message in messages {
            match message {
                SimpleQueryMessage::Row(row) => rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                SimpleQueryMessage::CommandComplete(_) => out.push(std::mem::take(&mut rows)),
                _ => {}
            }
        }
        Ok(out)
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn tuning(&self) -> Tuning {
        Tuning {
            locates_batch_failures: false,
            batch_elapsed_ms: Some(
                "CAST(EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000 AS BIGINT)",
            ),
            ..Tuning::default()
        }
    }

    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        Some(self)
    }
}

impl Database for Client {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Lent(Box::new(Postgres::lend(self)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::ops::concurrent_index_name;
    use super::*;

    #[test]
    fn names_the_index_a_concurrent_build_makes() {
        for (sql, name) in [
            ("CREATE INDEX CONCURRENTLY ix_a ON t (x)", Some("ix_a")),
            (
                "create unique index concurrently \"IxB\" on t (x)",
                Some("IxB"),
            ),
            (
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_c ON t (x)",
                Some("ix_c"),
            ),
            ("CREATE INDEX ix_d ON t (x)", None),
            ("CREATE INDEX CONCURRENTLY ON t (x)", None),
            ("ALTER TABLE t ADD COLUMN y INT", None),
        ] {
            assert_eq!(concurrent_index_name(sql).as_deref(), name, "{sql}");
        }
    }

    #[test]
    fn each_tenant_schema_has_its_own_lock() {
        let keys = [
            lock_key("db", None, "alembic_version"),
            lock_key("db", Some("a"), "alembic_version"),
            lock_key("db", Some("b"), "alembic_version"),
            lock_key("db", Some("a:alembic_version"), ""),
        ];
        for (i, a) in keys.iter().enumerate() {
            assert!(keys[i + 1..].iter().all(|b| a != b), "{keys:?}");
        }
        assert_eq!(keys[1], lock_key("db", Some("a"), "alembic_version"));
    }

    #[test]
    fn a_trailing_comment_cannot_swallow_a_batch_separator() {
        assert_eq!(
            join_statements(&["SELECT 1 -- one", "SELECT 2;"]),
            "SELECT 1 -- one\n;\nSELECT 2\n;\n"
        );
    }
}

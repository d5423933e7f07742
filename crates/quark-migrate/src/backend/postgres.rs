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

use std::time::{Duration, Instant};

use postgres::config::SslMode;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls::{self, Tls, TlsMode};
use super::{
    Backend, BackendError, BatchError, Conn, ConnectOptions, Database, Row, Session, Value,
};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// A PostgreSQL database.
pub struct Postgres<'c> {
    /// `None` only while being dropped.
    client: Option<Conn<'c, Client>>,
    target: String,
    database: String,
    lock: Option<i64>,
}

impl Drop for Postgres<'_> {
    fn drop(&mut self) {
        if let Some(Conn::Owned(client)) = self.client.take() {
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

fn db_err(e: postgres::Error) -> BackendError {
    let message = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    BackendError::driver(message, e)
}

impl Postgres<'static> {
    /// Connects to the server and database `url` names.
    pub fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self, BackendError> {
        let mut config = Config::new();
        let socket = url.option("host");
        match (socket, &url.host) {
            (Some(dir), _) => config.host_path(dir),
            (None, Some(host)) => config.host(host),
            (None, None) => config.host("localhost"),
        };
        config.port(url.port.unwrap_or(5432));
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
        config.application_name("quark-db-manage");
        let target = format!(
            "PostgreSQL at {}:{} database {database} as user {user}",
            socket.or(url.host.as_deref()).unwrap_or("localhost"),
            url.port.unwrap_or(5432)
        );
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
        let client = blocking(|| connect(&config, &connector, &target))?;
        Ok(Postgres {
            client: Some(Conn::Owned(client)),
            target,
            database,
            lock: None,
        })
    }
}

impl<'c> Postgres<'c> {
    /// Works on an application's client, as it is (its session settings are left alone).
    pub fn lend(client: &'c mut Client) -> Result<Self, BackendError> {
        let row = blocking(|| client.query_one("SELECT current_database(), current_user", &[]))
            .map_err(db_err)?;
        let database: String = row.get(0);
        let user: String = row.get(1);
        Ok(Postgres {
            target: format!(
                "PostgreSQL database {database} as user {user} (the application's connection)"
            ),
            database,
            client: Some(Conn::Lent(client)),
            lock: None,
        })
    }

    fn params(params: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
        params
            .iter()
            .map(|v| -> Box<dyn ToSql + Sync> {
                match v {
                    Value::Null => Box::new(None::<String>),
                    Value::Int(i) => Box::new(*i),
                    Value::Text(s) => Box::new(s.clone()),
                }
            })
            .collect()
    }
}

/// A connection as `config` says, over TLS when a connector is given.
fn connect(
    config: &Config,
    connector: &Option<MakeRustlsConnect>,
    target: &str,
) -> Result<Client, BackendError> {
    match connector {
        Some(tls) => config.connect(tls.clone()),
        None => config.connect(NoTls),
    }
    .map_err(|e| BackendError::connect(target, connect_message(&e), Some(Box::new(e))))
}

/// The driver's message with its causes (the TLS or I/O error behind "error connecting").
fn connect_message(e: &postgres::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    tls::explain(message)
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

/// A stable 64-bit advisory-lock key for a database and version table.
fn lock_key(database: &str, table: &str) -> i64 {
    let digest = crate::checksum::checksum(&format!("quark-db-manage:{database}:{table}"));
    i64::from_str_radix(&digest[..15], 16).expect("hex digits")
}

impl Postgres<'_> {
    /// Runs `f` on the client, off any async runtime.
    fn with<R: Send>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<R, postgres::Error> + Send,
    ) -> Result<R, BackendError> {
        let client: &mut Client = self.client.as_mut().expect("open until dropped");
        blocking(|| f(client)).map_err(db_err)
    }
}

impl Backend for Postgres<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgresql
    }

    fn lock(&mut self, name: &str, timeout: Duration) -> Result<(), BackendError> {
        if self.lock.is_some() {
            return Ok(());
        }
        let key = lock_key(&self.database, name);
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let got: bool = self.with(|c| {
                c.query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                    .map(|row| row.get(0))
            })?;
            if got {
                break;
            }
            if start.elapsed() >= timeout {
                return Err(BackendError::LockTimeout {
                    target: self.target.clone(),
                    waited: start.elapsed(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(250));
        }
        self.lock = Some(key);
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        if let Some(key) = self.lock.take() {
            self.with(|c| c.query_one("SELECT pg_advisory_unlock($1)", &[&key]))?;
        }
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        let rows = self.with(|c| {
            c.query(
                // pg_catalog rather than information_schema: the same answer, a tenth of the time.
                "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1",
                &[&table],
            )
        })?;
        Ok(!rows.is_empty())
    }

    fn begin(&mut self) -> Result<(), BackendError> {
        self.run("BEGIN")
    }

    fn commit(&mut self) -> Result<(), BackendError> {
        self.run("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), BackendError> {
        self.run("ROLLBACK")
    }

    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.with(|c| c.batch_execute(sql))
    }

    fn locates_batch_failures(&self) -> bool {
        false
    }

    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        // One round trip; the server does not say which statement failed.
        let script = join_statements(statements);
        self.run(&script)
            .map_err(|error| BatchError { index: None, error })
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        let owned = Self::params(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        self.with(|c| c.execute(sql, &refs))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        let owned = Self::params(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        self.with(|c| c.query(sql, &refs)?.iter().map(values).collect())
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }
}

/// A row's values, integers and booleans as integers, everything else as text.
fn values(row: &postgres::Row) -> Result<Row, postgres::Error> {
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            let value = if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)?
                    .map(|n| Value::Int(n.into()))
            } else if *ty == Type::INT2 {
                row.try_get::<_, Option<i16>>(i)?
                    .map(|n| Value::Int(n.into()))
            } else if *ty == Type::BOOL {
                row.try_get::<_, Option<bool>>(i)?
                    .map(|b| Value::Int(b.into()))
            } else {
                row.try_get::<_, Option<String>>(i)?.map(Value::Text)
            };
            Ok(value.unwrap_or(Value::Null))
        })
        .collect()
}

impl Database for Client {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Lent(Box::new(Postgres::lend(self)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_comment_cannot_swallow_a_batch_separator() {
        assert_eq!(
            join_statements(&["SELECT 1 -- one", "SELECT 2;"]),
            "SELECT 1 -- one\n;\nSELECT 2\n;\n"
        );
    }
}

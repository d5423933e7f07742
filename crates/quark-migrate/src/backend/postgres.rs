//! PostgreSQL through the `postgres` crate. The migration lock is a session-level
//! `pg_try_advisory_lock`, polled with backoff on a second connection that never runs migrations,
//! so waiting never holds a transaction open (a blocking lock deadlocks with
//! `CREATE INDEX CONCURRENTLY`).

use std::time::{Duration, Instant};

use postgres::config::SslMode;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls::{self, Tls, TlsMode};
use super::{Backend, BackendError, BatchError, ConnectOptions, Row, Value, join_statements};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// A PostgreSQL database.
pub struct Postgres {
    client: Client,
    config: Config,
    connector: Option<MakeRustlsConnect>,
    target: String,
    database: String,
    lock: Option<(Client, i64)>,
}

fn db_err(e: postgres::Error) -> BackendError {
    match e.as_db_error() {
        Some(db) => BackendError::Database(format!("{} ({})", db.message(), db.code().code())),
        None => BackendError::Database(e.to_string()),
    }
}

impl Postgres {
    /// Connects to the server and database `url` names.
    pub fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Postgres, BackendError> {
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
            .map_err(|message| BackendError::Connect {
                target: target.clone(),
                message,
            })?;
        config.ssl_mode(match tls.0 {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        let connector = tls.1;
        let client = connect(&config, &connector, &target)?;
        Ok(Postgres {
            client,
            config,
            connector,
            target,
            database,
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
    .map_err(|e| BackendError::Connect {
        target: target.to_string(),
        message: connect_message(&e),
    })
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

/// A stable 64-bit advisory-lock key for a database and version table.
fn lock_key(database: &str, table: &str) -> i64 {
    let digest = crate::checksum::checksum(&format!("quark-db-manage:{database}:{table}"));
    i64::from_str_radix(&digest[..15], 16).expect("hex digits")
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgresql
    }

    fn lock(&mut self, name: &str, timeout: Duration) -> Result<(), BackendError> {
        if self.lock.is_some() {
            return Ok(());
        }
        let mut client = connect(&self.config, &self.connector, &self.target)?;
        let key = lock_key(&self.database, name);
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .map_err(db_err)?
                .get(0);
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
        self.lock = Some((client, key));
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        if let Some((mut client, key)) = self.lock.take() {
            client
                .query_one("SELECT pg_advisory_unlock($1)", &[&key])
                .map_err(db_err)?;
        }
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        let rows = self
            .client
            .query(
                // pg_catalog rather than information_schema: the same answer, a tenth of the time.
                "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1",
                &[&table],
            )
            .map_err(db_err)?;
        Ok(!rows.is_empty())
    }

    fn begin(&mut self) -> Result<(), BackendError> {
        self.client.batch_execute("BEGIN").map_err(db_err)
    }

    fn commit(&mut self) -> Result<(), BackendError> {
        self.client.batch_execute("COMMIT").map_err(db_err)
    }

    fn rollback(&mut self) -> Result<(), BackendError> {
        self.client.batch_execute("ROLLBACK").map_err(db_err)
    }

    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.client.batch_execute(sql).map_err(db_err)
    }

    fn locates_batch_failures(&self) -> bool {
        false
    }

    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        // One round trip; the server does not say which statement failed.
        self.client
            .batch_execute(&join_statements(statements))
            .map_err(|e| BatchError {
                index: None,
                error: db_err(e),
            })
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        let owned = Self::params(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        self.client.execute(sql, &refs).map_err(db_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        let owned = Self::params(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(sql, &refs).map_err(db_err)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        let value = if *ty == Type::INT8 {
                            row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
                        } else if *ty == Type::INT4 {
                            row.try_get::<_, Option<i32>>(i)
                                .map(|v| v.map(|n| Value::Int(n.into())))
                        } else if *ty == Type::INT2 {
                            row.try_get::<_, Option<i16>>(i)
                                .map(|v| v.map(|n| Value::Int(n.into())))
                        } else if *ty == Type::BOOL {
                            row.try_get::<_, Option<bool>>(i)
                                .map(|v| v.map(|b| Value::Int(b.into())))
                        } else {
                            row.try_get::<_, Option<String>>(i)
                                .map(|v| v.map(Value::Text))
                        };
                        value.map(|v| v.unwrap_or(Value::Null)).map_err(db_err)
                    })
                    .collect()
            })
            .collect()
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }
}

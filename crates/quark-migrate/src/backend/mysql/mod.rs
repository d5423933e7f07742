//! MySQL and MariaDB through the `mysql` crate, on a connection the engine opens or on an
//! application's own `mysql::Conn` or `mysql::PooledConn`. The migration lock is `GET_LOCK` on
//! the migrating session, named after the database and version table.

use mysql::{Conn, Opts, OptsBuilder, PooledConn, SslOpts};

mod client;
mod ops;

#[cfg(feature = "mysql-async")]
pub(crate) use client::served::{Served, serve};
use client::{Call, MyClient, Set};

use super::tls::{self, Tls, TlsMode};
use super::{
    Backend, BackendError, BatchError, ConnectOptions, Database, Row, ServerFacts, ServerOps,
    Session, SessionSettings, TextRows, Value,
};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// Rows of an [`Backend::update_rows`] joined in by one statement.
const UPDATE_ROWS_PER_STATEMENT: usize = 1_000;

/// Statements of an [`Backend::update_rows`] sent in one round trip.
const UPDATE_STATEMENTS_PER_TRIP: usize = 8;

/// A session's own settings, put back after a migration: `lock_wait_timeout`,
/// `innodb_lock_wait_timeout`, `default_storage_engine`, `sql_mode`.
#[derive(Debug, Clone)]
struct Saved(i64, i64, String, String);

/// The session's `sql_mode` without the modes that change how string literals and double
/// quotes read (`NO_BACKSLASH_ESCAPES`, `ANSI_QUOTES`, and `ANSI`, which implies the latter):
/// during a migration they read as the lexer reads them.
const PINNED_SQL_MODE: &str = "TRIM(BOTH ',' FROM REPLACE(REPLACE(REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), \
     ',NO_BACKSLASH_ESCAPES,', ','), ',ANSI_QUOTES,', ','), ',ANSI,', ','))";

/// A MySQL or MariaDB database.
pub struct Mysql<'c> {
    conn: MyClient<'c>,
    target: String,
    database: String,
    lock: Option<String>,
    /// The session's settings before the migration changed them.
    saved: Option<Saved>,
    /// How this connection was opened, for a second one (none for a lent connection).
    opts: Option<Opts>,
}

fn db_err(e: mysql::Error) -> BackendError {
    match e {
        // ER_LOCK_WAIT_TIMEOUT: a metadata or row lock another session holds.
        mysql::Error::MySqlError(db) if db.code == 1205 => BackendError::LockWait {
            message: format!("{} ({})", db.message, db.code),
            source: Some(Box::new(db)),
        },
        // ER_LOCK_DEADLOCK: a deadlock victim, or on Galera a transaction that failed
        // certification against another node's; rolled back either way.
        mysql::Error::MySqlError(db) if db.code == 1213 => BackendError::Conflict {
            message: format!("{} ({})", db.message, db.code),
            source: Some(Box::new(db)),
        },
        mysql::Error::MySqlError(db) => {
            BackendError::driver(format!("{} ({})", db.message, db.code), db)
        }
        other => BackendError::driver(other.to_string(), other),
    }
}

fn to_mysql(v: &Value) -> mysql::Value {
    match v {
        Value::Null => mysql::Value::NULL,
        Value::Int(i) => mysql::Value::Int(*i),
        Value::Text(s) => mysql::Value::Bytes(s.as_bytes().to_vec()),
    }
}

fn from_mysql(v: mysql::Value) -> Value {
    match v {
        mysql::Value::NULL => Value::Null,
        mysql::Value::Int(i) => Value::Int(i),
        mysql::Value::UInt(u) => Value::Int(u as i64),
        mysql::Value::Bytes(b) => Value::Text(String::from_utf8_lossy(&b).into_owned()),
        other => Value::Text(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// The connection attributes naming the application (`performance_schema.session_connect_attrs`).
fn connect_attrs(app: &crate::App) -> std::collections::HashMap<&'static str, &'static str> {
    [("program_name", app.name), ("program_version", app.version)].into()
}

/// The mysql crate's TLS options for `tls`, or `None` for a plain connection.
fn ssl_opts(tls: &Tls) -> Option<SslOpts> {
    let unchecked = matches!(tls.mode, TlsMode::Prefer | TlsMode::Require);
    let ssl = SslOpts::default()
        .with_root_cert_path(tls.root_cert.clone())
        .with_danger_accept_invalid_certs(unchecked)
        .with_danger_skip_domain_validation(tls.mode != TlsMode::VerifyFull);
    (tls.mode != TlsMode::Disable).then_some(ssl)
}

/// The largest packet the protocol carries (1 GiB): the client's limit, so that the server's
/// own is the one that holds.
const MAX_PACKET: usize = 1 << 30;

impl Mysql<'static> {
    /// Connects to the server and database `url` names.
    pub fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self, BackendError> {
        let host = url.host.clone().unwrap_or_else(|| "localhost".to_string());
        let port = url.port.unwrap_or(3306);
        let user = url.username.clone().unwrap_or_else(|| "root".to_string());
        let database = url.database.clone().unwrap_or_default();
        let target = format!("MySQL at {host}:{port} database {database} as user {user}");
        if url.hosts.len() > 1 {
            return Err(BackendError::connect(
                target,
                "a MySQL URL names one host: several hosts (h1:p1,h2:p2) are PostgreSQL's (libpq's) failover list; point it at the cluster's address, or at one Galera node",
                None,
            ));
        }
        let mut builder = OptsBuilder::new()
            .ip_or_hostname(Some(host.clone()))
            .tcp_port(port)
            .user(Some(user))
            .pass(url.password.clone())
            .db_name(Some(database.clone()).filter(|d| !d.is_empty()))
            .tcp_connect_timeout(Some(options.connect_timeout))
            .connect_attrs(Some(connect_attrs(&options.app)))
            // Without it the driver asks the server for its limit, one more round trip on every
            // connect; the server refuses a packet over its own limit either way.
            .max_allowed_packet(Some(MAX_PACKET))
            .prefer_socket(false);
        if let Some(socket) = url.option("unix_socket") {
            builder = builder.socket(Some(socket.to_string()));
        }
        let tls = Tls::from_url(url, TlsMode::Disable)
            .map_err(|message| BackendError::connect(target.clone(), message, None))?;
        let plain = Opts::from(builder.clone());
        let connect = |opts: Opts| Conn::new(opts.clone()).map(|conn| (conn, opts));
        let (conn, opts) = match ssl_opts(&tls) {
            None => connect(plain),
            Some(ssl) => match connect(Opts::from(builder.ssl_opts(ssl))) {
                // `PREFERRED`: fall back to a plain connection when the server has no TLS.
                Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
                    if tls.mode == TlsMode::Prefer =>
                {
                    connect(plain)
                }
                other => other,
            },
        }
        .map_err(|e| {
            BackendError::connect(
                target.clone(),
                tls::explain(e.to_string()),
                Some(Box::new(e)),
            )
        })?;
        Ok(Mysql {
            conn: MyClient::Blocking(super::Conn::Owned(conn)),
            target,
            database,
            lock: None,
            saved: None,
            opts: Some(opts),
        })
    }
}

impl<'c> Mysql<'c> {
    /// Works on an application's connection, in the database it has selected.
    pub fn lend(conn: &'c mut Conn) -> Result<Self, BackendError> {
        Mysql::lent(MyClient::Blocking(super::Conn::Lent(conn)))
    }

    /// Works on a connection the application holds, in the database it has selected.
    fn lent(conn: MyClient<'c>) -> Result<Self, BackendError> {
        let mut db = Mysql {
            target: String::new(),
            conn,
            database: String::new(),
            lock: None,
            saved: None,
            opts: None,
        };
        // The text protocol: one round trip on every start-up with a lent connection, where a
        // prepared statement would take two.
        let selected = db.text("SELECT DATABASE()".to_string(), Some(1))?;
        let database = selected
            .into_iter()
            .flat_map(|set| set.rows)
            .next()
            .and_then(|row| row.into_iter().next())
            .map(from_mysql);
        let Some(Value::Text(database)) = database else {
            return Err(BackendError::message(
                "the MySQL connection has no database selected: name one in its options (or USE one) before migrating",
            ));
        };
        db.target = format!("MySQL database {database} (the application's connection)");
        db.database = database;
        Ok(db)
    }
}

#[cfg(feature = "mysql-async")]
impl Mysql<'static> {
    /// Works on an application's async connection, which its own task serves.
    pub(crate) fn served(served: Served) -> Result<Self, BackendError> {
        Mysql::lent(MyClient::Served(served))
    }
}

impl Mysql<'_> {
    /// A text-protocol query's result sets (`sets` of them, when the engine wrote it).
    fn text(&mut self, sql: String, sets: Option<usize>) -> Result<Vec<Set>, BackendError> {
        self.conn.call(Call::Text { sql, sets })
    }

    /// A prepared statement's result: the rows it changed and the rows it gave.
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<Set, BackendError> {
        let params = params.iter().map(to_mysql).collect();
        let mut sets = self.conn.call(Call::Exec(sql.to_string(), params))?;
        Ok(sets.pop().expect("a statement gives one result"))
    }
}

impl Database for Conn {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Lent(Box::new(Mysql::lend(self)?)))
    }
}

impl Database for PooledConn {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Lent(Box::new(Mysql::lend(self.as_mut())?)))
    }
}

/// The `GET_LOCK` name for a database and version table (at most 64 characters).
fn lock_name(database: &str, table: &str) -> String {
    let digest = crate::checksum::checksum(&format!("{database}:{table}"));
    format!("quark-db-manage:{}", &digest[..40])
}

impl Mysql<'_> {
    /// The session holding the user lock `lock` and what it runs (a migrator killed
    /// mid-statement keeps it until the server has finished that statement).
    fn holder_of(&mut self, lock: &str) -> Option<String> {
        let sql = "SELECT p.ID, p.COMMAND, p.TIME, LEFT(COALESCE(p.INFO, ''), 200) \
                   FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)";
        let row = self
            .query(sql, &[Value::Text(lock.to_string())])
            .ok()?
            .into_iter()
            .next()?;
        Some(super::describe_session(
            row[0].as_int()?,
            row[1].as_text().unwrap_or(""),
            row[2].as_int().unwrap_or(0),
            row[3].as_text().unwrap_or(""),
        ))
    }
}

impl Mysql<'_> {
    /// `engine` as the server spells it, when it can hold new tables here: offered and enabled,
    /// and InnoDB on a Galera node (the only engine a Galera cluster replicates).
    fn usable_engine(&mut self, engine: &str) -> Result<String, BackendError> {
        let problem = |why: String| {
            BackendError::message(format!(
                "cannot create new tables with the MySQL storage engine '{engine}' (mysql_engine): {why}"
            ))
        };
        let engines = self.query(
            "SELECT ENGINE, SUPPORT FROM information_schema.ENGINES",
            &[],
        )?;
        let usable = |support: &str| support == "YES" || support == "DEFAULT";
        let offered: Vec<&str> = engines
            .iter()
            .filter(|r| r[1].as_text().is_some_and(usable))
            .filter_map(|r| r[0].as_text())
            .collect();
        let Some(found) = engines.iter().find(|r| {
            r[0].as_text()
                .is_some_and(|e| e.eq_ignore_ascii_case(engine))
        }) else {
            return Err(problem(format!(
                "the server has no such engine (it offers {})",
                offered.join(", ")
            )));
        };
        let name = found[0].as_text().unwrap_or(engine).to_string();
        if !found[1].as_text().is_some_and(usable) {
            return Err(problem(format!(
                "the server has it disabled (it offers {})",
                offered.join(", ")
            )));
        }
        let galera = self.query("SHOW VARIABLES LIKE 'wsrep_on'", &[])?;
        let galera = galera.first().and_then(|r| r[1].as_text()) == Some("ON");
        if galera && !name.eq_ignore_ascii_case("InnoDB") {
            return Err(problem(
                "this is a Galera cluster node, and Galera replicates only InnoDB tables: the tables would exist on this node alone".to_string(),
            ));
        }
        Ok(name)
    }
}

impl Backend for Mysql<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn try_lock(&mut self, name: &str) -> Result<bool, BackendError> {
        if self.lock.is_some() {
            return Ok(true);
        }
        let lock = lock_name(&self.database, name);
        let got = self.query("SELECT GET_LOCK(?, 0)", &[Value::Text(lock.clone())])?;
        let taken = got.first().and_then(|r| r[0].as_int()) == Some(1);
        if taken {
            self.lock = Some(lock);
        }
        Ok(taken)
    }

    fn lock_holder(&mut self, name: &str) -> Option<String> {
        let lock = lock_name(&self.database, name);
        self.holder_of(&lock)
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        if let Some(lock) = self.lock.take() {
            self.exec("SELECT RELEASE_LOCK(?)", &[Value::Text(lock)])?;
        }
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        let rows = self.query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
            &[table.into()],
        )?;
        Ok(!rows.is_empty())
    }

    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        // Every result set is read, so that an error in any of them is reported.
        self.text(sql.to_string(), None).map(|_| ())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        Ok(self.exec(sql, params)?.affected)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        Ok(self
            .exec(sql, params)?
            .rows
            .into_iter()
            .map(|r| r.into_iter().map(from_mysql).collect())
            .collect())
    }

    fn execute_many(&mut self, sql: &str, rows: &[Vec<Value>]) -> Result<u64, BackendError> {
        let mut changed = 0;
        for chunk in rows.chunks(super::MANY_PER_TRIP) {
            // One multi-statement query: one round trip for the whole chunk.
            let script: Vec<String> = chunk
                .iter()
                .map(|row| super::inline_params(sql, Dialect::Mysql, row))
                .collect();
            let sets = self.text(script.join(";\n"), Some(script.len()))?;
            changed += sets.iter().map(|s| s.affected).sum::<u64>();
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
        let (table, key) = (self.quote(table), self.quote(key));
        let columns: Vec<String> = columns.iter().map(|c| self.quote(c)).collect();
        let set: Vec<String> = columns
            .iter()
            .map(|c| format!("{table}.{c} = v.{c}"))
            .collect();
        let mut changed = 0;
        for trip in rows.chunks(UPDATE_ROWS_PER_STATEMENT * UPDATE_STATEMENTS_PER_TRIP) {
            // Each statement joins the table to a derived table of its rows (the first row names
            // the columns); several statements go in one round trip.
            let script: Vec<String> = trip
                .chunks(UPDATE_ROWS_PER_STATEMENT)
                .map(|batch| {
                    let selects: Vec<String> = batch
                        .iter()
                        .enumerate()
                        .map(|(n, row)| {
                            let values = row.iter().enumerate().map(|(i, v)| {
                                let literal = v.literal(Dialect::Mysql);
                                match (n, i) {
                                    (0, 0) => format!("{literal} AS {key}"),
                                    (0, i) => format!("{literal} AS {}", columns[i - 1]),
                                    _ => literal,
                                }
                            });
                            format!("SELECT {}", values.collect::<Vec<_>>().join(", "))
                        })
                        .collect();
                    format!(
                        "UPDATE {table} JOIN ({}) AS v ON {table}.{key} = v.{key} SET {}",
                        selects.join(" UNION ALL "),
                        set.join(", ")
                    )
                })
                .collect();
            let sets = self.text(script.join(";\n"), Some(script.len()))?;
            changed += sets.iter().map(|s| s.affected).sum::<u64>();
        }
        Ok(changed)
    }

    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        // One round trip (the text protocol's multi-statements); the server stops at the first
        // that fails, and does not say which.
        self.text(statements.join(";\n"), Some(statements.len()))
            .map(|_| ())
            .map_err(|error| BatchError { index: None, error })
    }

    fn query_text(&mut self, queries: &[&str]) -> Result<Vec<TextRows>, BackendError> {
        let sql = queries.join(";\n");
        let sets = self.text(sql, Some(queries.len()))?;
        Ok(sets
            .into_iter()
            .map(|set| {
                set.rows
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|v| match v {
                                mysql::Value::NULL => None,
                                mysql::Value::Bytes(b) => {
                                    Some(String::from_utf8_lossy(&b).into_owned())
                                }
                                other => Some(other.as_sql(true)),
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect())
    }

    fn placeholder(&self, _n: usize) -> String {
        "?".to_string()
    }

    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        Some(self)
    }
}

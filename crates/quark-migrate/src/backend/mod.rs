//! The database side of the engine: one trait that every driver implements.
//!
//! Drivers only translate: they run statements, report errors, take the lock, and know their
//! dialect's quoting. Everything else (version table, history, plans) lives once in the engine.

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
pub(crate) mod script;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::{Restored, backups, restore, restore_checked};
mod file_error;
pub use file_error::{NotRestorable, SqliteFileError};
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod inline;
mod ops;
#[cfg(feature = "tokio")]
mod served;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod tls;
pub(crate) mod waiting;

use std::time::Duration;

use thiserror::Error;

use crate::revision::Dialect;
pub use crate::url::DatabaseUrl;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) use inline::{MANY_PER_TRIP, inline_params};
pub use ops::{Replication, ServerFacts, ServerOps, SessionSettings, Tuning};
#[cfg(feature = "tokio")]
pub use served::{AsyncDatabase, Opener, Serving};

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl Value {
    /// This value as a literal of `dialect`, read back as this value whatever the session's
    /// settings ([`Dialect::string_literal`]).
    pub(crate) fn literal(&self, dialect: Dialect) -> String {
        match self {
            Value::Null => "NULL".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Text(s) => dialect.string_literal(s),
        }
    }

    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as text (an integer in decimal), NULL as `None`.
    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Int(i) => Some(i.to_string()),
            Value::Text(s) => Some(s),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// The rows of one query read as text ([`Backend::query_text`]).
pub type TextRows = Vec<Vec<Option<String>>>;

/// A row returned by a query.
pub type Row = Vec<Value>;

/// A driver's own error, kept as the [`source`](std::error::Error::source) of ours.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failure reported by a driver.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The database cannot be reached or opened.
    #[error("cannot connect to {target}: {message}")]
    Connect {
        /// What we tried to reach (never with a password).
        target: String,
        /// The driver's message.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// A statement failed; the database's own message.
    #[error("{message}")]
    Database {
        /// The database's message (with its error code where it has one).
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// Another migration held the lock for longer than the lock timeout.
    #[error(
        "timed out after {}s waiting for the migration lock on {target}: {}",
        waited.as_secs(),
        held_by(holder)
    )]
    LockTimeout {
        /// The locked database.
        target: String,
        /// How long we waited.
        waited: Duration,
        /// The session holding the lock and what it runs, when the server says.
        holder: Option<String>,
    },
    /// The migration lock kept in a table was lost (taken over, or not renewed in time): this
    /// migrator stopped before its next statement, and a commit it tried was rolled back.
    #[error(
        "the migration lock in {table} was lost ({why}): this migrator stopped before its next statement and recorded nothing more; another migrator holds the lock now. A statement already sent may still run on the server until it ends; the next run settles the revision from what the database holds"
    )]
    LeaseLost {
        /// The lock table.
        table: String,
        /// How it was lost.
        why: String,
    },
    /// A statement waited longer than allowed for a lock another session holds on what it
    /// changes (PostgreSQL `lock_timeout`, MySQL `lock_wait_timeout`); it did not take effect.
    #[error("{message}")]
    LockWait {
        /// The database's message.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// The server rolled the transaction back to resolve a conflict with another (a deadlock, a
    /// serialization failure, a Galera certification failure); it did not take effect.
    #[error("{message}")]
    Conflict {
        /// The database's message.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// The connection was lost, or the server cannot serve this session now: it was killed or
    /// shut down, it is starting up, or it was demoted to a standby and takes no writes (what a
    /// failover does), or, for a URL naming several hosts (or `target_session_attrs`), none of
    /// them takes the session yet. Whether the statement or transaction in flight committed is
    /// not known: the engine reconnects when it opened the connection from a URL
    /// ([`crate::Migrations::migrate`]) and plans again from what the database holds.
    #[error("{message}")]
    ConnectionLost {
        /// The driver's message.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// The URL names a backend this build does not include.
    #[error("this build has no {0} driver; enable the '{0}' Cargo feature")]
    NotCompiled(&'static str),
    /// A file beside a SQLite database (its lock file, a backup, a restore) refused or failed.
    #[error(transparent)]
    File(#[from] SqliteFileError),
}

impl BackendError {
    /// A failure described by the engine itself.
    pub fn message(message: impl Into<String>) -> BackendError {
        BackendError::Database {
            message: message.into(),
            source: None,
        }
    }

    /// A failure of the driver, described by `message`, with its own error behind it.
    pub fn driver(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> BackendError {
        BackendError::Database {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Whether a statement gave up waiting for another session's lock (and did not run).
    pub fn is_lock_wait(&self) -> bool {
        matches!(self, BackendError::LockWait { .. })
    }

    /// Whether the statement did not take effect and may simply be tried again: it gave up
    /// waiting for a lock, or its transaction lost a conflict and was rolled back.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            BackendError::LockWait { .. } | BackendError::Conflict { .. }
        )
    }

    /// Whether the connection was lost, or the server cannot serve this session now (see
    /// [`BackendError::ConnectionLost`]): a new connection may find the server that does.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, BackendError::ConnectionLost { .. })
    }

    /// A connection that failed, to `target`.
    pub fn connect(
        target: impl Into<String>,
        message: impl Into<String>,
        source: Option<Cause>,
    ) -> BackendError {
        BackendError::Connect {
            target: target.into(),
            message: message.into(),
            source,
        }
    }
}

/// A statement of a batch failed.
#[derive(Debug)]
pub struct BatchError {
    /// Which statement failed, when the driver can tell.
    pub index: Option<usize>,
    /// The database's error.
    pub error: BackendError,
}

/// Who holds the migration lock, for a message.
pub(crate) fn held_by(holder: &Option<String>) -> String {
    match holder {
        Some(h) => format!("another migration holds it ({h})"),
        None => "another migration is running".to_string(),
    }
}

/// A server session described for a message: its id, what it is doing and for how long, and
/// the start of its statement.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn describe_session(id: i64, state: &str, secs: i64, query: &str) -> String {
    let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut text = format!("session {id}, {state} for {secs}s");
    if !query.is_empty() {
        text.push_str(": ");
        text.push_str(&query);
    }
    text
}

/// What the migration engine needs from a database.
pub trait Backend: Send {
    /// The SQL dialect spoken, which picks `-- +upgrade <dialect>` sections.
    fn dialect(&self) -> Dialect;

    /// Takes the migration lock named `name` (the version table) for this database, which
    /// serialises concurrent migrators, if no other holds it now; whether it was taken (the
    /// engine waits for it, see `waiting`). Taking it again while held is harmless.
    fn try_lock(&mut self, name: &str) -> Result<bool, BackendError>;

    /// Who holds the migration lock `name`, described for a message, when the database says.
    fn lock_holder(&mut self, _name: &str) -> Option<String> {
        None
    }

    /// Releases the migration lock; harmless when it is not held.
    fn unlock(&mut self) -> Result<(), BackendError>;

    /// Whether a table of this name exists.
    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError>;

    /// Moves this session to the tenant schema `schema` of the same database, where the driver
    /// has schemas and the session holds no lock nor transaction; false where it cannot.
    fn enter_tenant_schema(&mut self, _schema: &str) -> Result<bool, BackendError> {
        Ok(false)
    }

    /// Whether the table of this name has a column of this name.
    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool, BackendError> {
        let sql = self
            .dialect()
            .column_exists_query(&self.placeholder(1), &self.placeholder(2));
        Ok(!self.query(&sql, &[table.into(), column.into()])?.is_empty())
    }

    /// Starts a transaction.
    fn begin(&mut self) -> Result<(), BackendError> {
        self.run(self.dialect().begin())
    }

    /// Commits the transaction.
    fn commit(&mut self) -> Result<(), BackendError> {
        self.run("COMMIT")
    }

    /// Rolls the transaction back.
    fn rollback(&mut self) -> Result<(), BackendError> {
        self.run("ROLLBACK")
    }

    /// Runs one statement of a migration as written; any rows it returns are discarded.
    fn run(&mut self, sql: &str) -> Result<(), BackendError>;

    /// Runs `statements` in order in as few round trips as the driver can, stopping at the first
    /// that fails. Callers batch only statements that may share a transaction (a driver may run
    /// a batch as one).
    fn run_batch(&mut self, statements: &[&str]) -> Result<(), BatchError> {
        for (i, sql) in statements.iter().enumerate() {
            self.run(sql).map_err(|error| BatchError {
                index: Some(i),
                error,
            })?;
        }
        Ok(())
    }

    /// Runs one statement with bound parameters (see [`Backend::placeholder`]); returns rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError>;

    /// Runs a query with bound parameters and returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError>;

    /// Runs one statement once per parameter row of `rows`, in as few round trips as the driver
    /// can (PostgreSQL and MySQL send a batch of statements per round trip; SQLite compiles the
    /// statement once); returns the rows changed.
    fn execute_many(&mut self, sql: &str, rows: &[Vec<Value>]) -> Result<u64, BackendError> {
        let mut changed = 0;
        for row in rows {
            changed += self.execute(sql, row)?;
        }
        Ok(changed)
    }

    /// Sets `columns` of the rows of `table` whose `key` equals each row's first value to that
    /// row's following values, in as few statements as the database allows (one set-based
    /// statement per batch on a server, one compiled `UPDATE` per row on SQLite); returns the
    /// rows changed.
    fn update_rows(
        &mut self,
        table: &str,
        key: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<u64, BackendError> {
        let set: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = {}", self.quote(c), self.placeholder(i + 2)))
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE {} = {}",
            self.quote(table),
            set.join(", "),
            self.quote(key),
            self.placeholder(1)
        );
        let mut changed = 0;
        for row in rows {
            changed += self.execute(&sql, row)?;
        }
        Ok(changed)
    }

    /// Runs `queries` (no parameters) in as few round trips as the driver can (PostgreSQL and
    /// MySQL send them together as text); each one's rows, every value as text, NULL as `None`.
    fn query_text(&mut self, queries: &[&str]) -> Result<Vec<TextRows>, BackendError> {
        queries
            .iter()
            .map(|sql| {
                Ok(self
                    .query(sql, &[])?
                    .into_iter()
                    .map(|row| row.into_iter().map(Value::into_text).collect())
                    .collect())
            })
            .collect()
    }

    /// The placeholder for the `n`th (1-based) bound parameter.
    fn placeholder(&self, n: usize) -> String;

    /// `name` quoted as an identifier.
    fn quote(&self, name: &str) -> String {
        self.dialect().quote(name)
    }

    /// Whether DDL inside a transaction rolls back with it (false where the server commits DDL
    /// implicitly, as MySQL does).
    fn transactional_ddl(&self) -> bool {
        self.dialect().transactional_ddl()
    }

    /// Column definition of an auto-incrementing integer primary key.
    fn auto_increment_key(&self) -> &'static str {
        self.dialect().auto_increment_key()
    }

    /// Marks where the next statements come from (a revision starting): a script prints it
    /// as a comment; drivers ignore it.
    #[doc(hidden)]
    fn note(&mut self, _text: std::fmt::Arguments<'_>) {}

    /// How the engine best drives this connection (see [`Tuning`]).
    fn tuning(&self) -> Tuning {
        Tuning::default()
    }

    /// What the server offers beyond running statements (see [`ServerOps`]), where the driver
    /// implements it; a driver without it is migrated with the defaults.
    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        None
    }
}

/// A connection the engine can migrate: one an application already holds
/// (`rusqlite::Connection`, `postgres::Client`, `mysql::Conn`, `mysql::PooledConn`, each with its
/// driver's feature), or a backend the engine opened ([`connect`]).
///
/// The engine takes the same migration lock, writes the same history and checks the same
/// checksums on a lent connection as on one it opened from a URL, and leaves the connection's
/// settings as it found them.
pub trait Database {
    /// The engine's session on this connection, for the length of one command.
    fn session(&mut self) -> Result<Session<'_>, BackendError>;
}

/// The engine's session on a [`Database`]: a driver around a lent connection, or a backend.
pub enum Session<'a> {
    /// A driver wrapped around an application's connection; dropping it restores what the
    /// driver changed (SQLite's foreign-key enforcement).
    Lent(Box<dyn Backend + 'a>),
    /// A backend used as it is.
    Backend(&'a mut dyn Backend),
}

impl Session<'_> {
    /// The backend to run commands on.
    pub fn backend(&mut self) -> &mut dyn Backend {
        match self {
            Session::Lent(b) => b.as_mut(),
            Session::Backend(b) => &mut **b,
        }
    }
}

impl Database for dyn Backend + '_ {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Backend(self))
    }
}

impl Database for Box<dyn Backend + '_> {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Backend(self.as_mut()))
    }
}

/// A driver's connection: one the engine opened, or one an application lent it.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) enum Conn<'c, T> {
    /// Opened from a URL; closed when the driver is dropped.
    Owned(T),
    /// The application's; left open.
    Lent(&'c mut T),
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
impl<T> std::ops::Deref for Conn<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Conn::Owned(c) => c,
            Conn::Lent(c) => c,
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
impl<T> std::ops::DerefMut for Conn<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            Conn::Owned(c) => c,
            Conn::Lent(c) => c,
        }
    }
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// How long to wait for a server to accept the connection.
    pub connect_timeout: Duration,
    /// How long a statement waits for a database that another connection holds busy (SQLite).
    pub busy_timeout: Duration,
    /// Who connects: the session's `application_name` (PostgreSQL) or `program_name` (MySQL).
    pub app: crate::App,
    /// Opens a session that cannot write where the database enforces it (a verify-only start):
    /// SQLite opens the file read-only, PostgreSQL and MySQL make the session's transactions
    /// read-only.
    pub read_only: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(60),
            app: crate::app::current(),
            read_only: false,
        }
    }
}

/// Opens a connection to the database `url` names.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(unused_variables)
)]
pub fn connect(
    url: &DatabaseUrl,
    options: &ConnectOptions,
) -> Result<Box<dyn Backend>, BackendError> {
    if url.dialect != Dialect::Postgresql && url.option("schema").is_some() {
        return Err(BackendError::connect(
            url.masked(),
            "the `schema` option names a PostgreSQL schema: a MySQL tenant is a database, named in the URL's path, and a SQLite tenant a file",
            None,
        ));
    }
    match url.dialect {
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => Ok(Box::new(sqlite::Sqlite::open(url, options)?)),
        #[cfg(not(feature = "sqlite"))]
        Dialect::Sqlite => Err(BackendError::NotCompiled("sqlite")),
        #[cfg(feature = "postgres")]
        Dialect::Postgresql => Ok(Box::new(postgres::Postgres::open(url, options)?)),
        #[cfg(not(feature = "postgres"))]
        Dialect::Postgresql => Err(BackendError::NotCompiled("postgres")),
        #[cfg(feature = "mysql")]
        Dialect::Mysql => Ok(Box::new(mysql::Mysql::open(url, options)?)),
        #[cfg(not(feature = "mysql"))]
        Dialect::Mysql => Err(BackendError::NotCompiled("mysql")),
    }
}

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
pub use sqlite::{backups, restore};
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod tls;

use std::time::Duration;

use thiserror::Error;

use crate::revision::Dialect;
pub use crate::url::DatabaseUrl;

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
    /// The URL names a backend this build does not include.
    #[error("this build of quark-db-manage has no {0} driver; enable the '{0}' Cargo feature")]
    NotCompiled(&'static str),
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

/// How many statements of an [`Backend::execute_many`] go to a server in one round trip.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) const MANY_PER_TRIP: usize = 500;

/// `sql` with its bound parameters written in as literals of `dialect`: placeholders (`$n` on
/// PostgreSQL, `?` elsewhere) outside quotes and comments are replaced, so that many statements
/// can go to the server as one script.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn inline_params(sql: &str, dialect: Dialect, params: &[Value]) -> String {
    let literal = |v: &Value| match v {
        Value::Null => "NULL".to_string(),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => dialect.string_literal(s),
    };
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16 * params.len());
    let (mut i, mut next, mut copied) = (0, 0, 0);
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && dialect == Dialect::Mysql {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if matches!(b, b'\'' | b'"' | b'`') => quote = Some(b),
            None if b == b'-' && bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            None if b == b'?' && dialect != Dialect::Postgresql => {
                out.push_str(&sql[copied..i]);
                out.push_str(&params.get(next).map_or("NULL".to_string(), literal));
                next += 1;
                copied = i + 1;
            }
            None if b == b'$' && dialect == Dialect::Postgresql => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let n: usize = sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
                    out.push_str(&sql[copied..i]);
                    out.push_str(
                        &params
                            .get(n.wrapping_sub(1))
                            .map_or("NULL".to_string(), literal),
                    );
                    i += digits;
                    copied = i + 1;
                }
            }
            None => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    out
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

/// What kind of server a connection reaches, as far as migrating it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFacts {
    /// Why the server takes no writes (a hot standby, a read-only replica), when it takes none.
    pub read_only: Option<String>,
    /// Why a lock held by this session would not keep other migrators out (a Galera node, whose
    /// locks are its own; a transaction pooler, which moves the session between server
    /// connections), when it would not: the engine then keeps its lock in a table.
    pub session_lock_unsafe: Option<String>,
    /// The server (or cluster node) this connection reaches, for naming a lock's holder.
    pub node: String,
    /// This node's address in its cluster, as [`ServerFacts::members`] lists it (Galera).
    pub address: Option<String>,
    /// The addresses of every node in the cluster now, where the server says (Galera): a lock
    /// holder whose node is not among them is gone.
    pub members: Option<Vec<String>>,
}

/// What the migration engine needs from a database.
pub trait Backend: Send {
    /// The SQL dialect spoken, which picks `-- +upgrade <dialect>` sections.
    fn dialect(&self) -> Dialect;

    /// Takes the migration lock named `name` (the version table) for this database, which
    /// serialises concurrent migrators, waiting at most `timeout`.
    fn lock(&mut self, name: &str, timeout: Duration) -> Result<(), BackendError>;

    /// Releases the migration lock; harmless when it is not held.
    fn unlock(&mut self) -> Result<(), BackendError>;

    /// Whether a table of this name exists.
    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError>;

    /// Starts a transaction.
    fn begin(&mut self) -> Result<(), BackendError>;

    /// Commits the transaction.
    fn commit(&mut self) -> Result<(), BackendError>;

    /// Rolls the transaction back.
    fn rollback(&mut self) -> Result<(), BackendError>;

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

/// What a server offers a migration beyond running statements: its kind (clusters, poolers,
/// standbys), waits for other sessions' locks that give way, clean-up after an interrupted
/// statement, a second connection, who holds locks, backups. Every method has a default that
/// does without, so a driver implements what its server has.
pub trait ServerOps {
    /// What kind of server this is: read-only, clustered or pooled (see [`ServerFacts`]).
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        Ok(ServerFacts::default())
    }

    /// Makes each following statement wait at most `timeout` for a lock another session holds
    /// on what it changes (`Some`), or puts the session's own setting back (`None`), so that a
    /// migration never queues the application's queries behind it for long.
    fn limit_lock_wait(&mut self, _timeout: Option<Duration>) -> Result<(), BackendError> {
        Ok(())
    }

    /// Undoes what an interrupted run of statement `sql` can leave that would stop it from
    /// running again (PostgreSQL: the invalid index of an interrupted `CREATE INDEX
    /// CONCURRENTLY`); says what it did, if anything.
    fn clean_up_interrupted(&mut self, _sql: &str) -> Result<Option<String>, BackendError> {
        Ok(None)
    }

    /// Another connection to the same server and database, when the driver can open one (it
    /// opened this one from a URL).
    fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        Ok(None)
    }

    /// Copies the database, as it is now, to a file beside it whose name carries `label`, and
    /// deletes all but the newest `keep` such copies; the copy's path, or `None` where the
    /// database is no file of its own (a server, SQLite in memory, an empty new file).
    fn back_up(
        &mut self,
        _label: &str,
        _keep: usize,
    ) -> Result<Option<std::path::PathBuf>, BackendError> {
        Ok(None)
    }

    /// The other sessions holding locks in open transactions on this database, each described
    /// for a message (id, state, age, statement): whom a migration may be waiting behind.
    fn lock_holders(&mut self) -> Vec<String> {
        Vec::new()
    }
}

impl dyn Backend + '_ {
    /// [`ServerOps::facts`], or a plain server's.
    pub(crate) fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        self.server_ops()
            .map_or(Ok(ServerFacts::default()), |s| s.facts())
    }

    /// [`ServerOps::limit_lock_wait`], where the driver has it.
    pub(crate) fn limit_lock_wait(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<(), BackendError> {
        self.server_ops()
            .map_or(Ok(()), |s| s.limit_lock_wait(timeout))
    }

    /// [`ServerOps::clean_up_interrupted`], where the driver has it.
    pub(crate) fn clean_up_interrupted(
        &mut self,
        sql: &str,
    ) -> Result<Option<String>, BackendError> {
        self.server_ops()
            .map_or(Ok(None), |s| s.clean_up_interrupted(sql))
    }

    /// [`ServerOps::second_connection`], where the driver has it.
    pub(crate) fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        self.server_ops()
            .map_or(Ok(None), |s| s.second_connection())
    }

    /// [`ServerOps::lock_holders`], where the driver has it.
    pub(crate) fn lock_holders(&mut self) -> Vec<String> {
        self.server_ops()
            .map_or_else(Vec::new, |s| s.lock_holders())
    }

    /// [`ServerOps::back_up`], where the driver has it.
    pub(crate) fn back_up(
        &mut self,
        label: &str,
        keep: usize,
    ) -> Result<Option<std::path::PathBuf>, BackendError> {
        self.server_ops()
            .map_or(Ok(None), |s| s.back_up(label, keep))
    }
}

/// How the engine best drives a connection: facts of the driver, not of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tuning {
    /// The database runs inside this process (SQLite): a batch saves no round trip, and
    /// statements with bound parameters are compiled once per connection.
    pub in_process: bool,
    /// [`Backend::run_batch`] says which statement failed.
    pub locates_batch_failures: bool,
    /// An SQL expression for the milliseconds since the server received the batch being run,
    /// where [`Backend::run_batch`] is one round trip: a revision's history row then goes in
    /// the same batch as its statements and still records how long they took.
    pub batch_elapsed_ms: Option<&'static str>,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            in_process: false,
            locates_batch_failures: true,
            batch_elapsed_ms: None,
        }
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
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(60),
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

#[cfg(all(test, feature = "postgres", feature = "mysql"))]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_written_in_as_literals_outside_quotes_and_comments() {
        let params = [Value::Text("it's".into()), Value::Int(7), Value::Null];
        assert_eq!(
            inline_params(
                "UPDATE t SET a = $1, b = $2, c = $3 WHERE d = '$1' -- $2",
                Dialect::Postgresql,
                &params
            ),
            "UPDATE t SET a = 'it''s', b = 7, c = NULL WHERE d = '$1' -- $2"
        );
        assert_eq!(
            inline_params(
                "UPDATE t SET a = ?, b = ? WHERE c = '?' AND `d?` = ?",
                Dialect::Mysql,
                &params
            ),
            "UPDATE t SET a = 'it''s', b = 7 WHERE c = '?' AND `d?` = NULL"
        );
        let twelve: Vec<Value> = (1..=12).map(Value::Int).collect();
        assert_eq!(
            inline_params("SELECT $1, $10, $12", Dialect::Postgresql, &twelve),
            "SELECT 1, 10, 12"
        );
        assert_eq!(
            inline_params("SELECT ?", Dialect::Mysql, &[Value::Text("a\\'b".into())]),
            "SELECT 'a\\\\''b'"
        );
    }
}

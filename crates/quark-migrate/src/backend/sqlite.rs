//! SQLite through rusqlite (bundled), on a file the engine opens or on an application's own
//! `rusqlite::Connection`. The migration lock is an exclusive `flock` on a `.lock` file beside
//! the database file (none for an in-memory database, which no other connection can see).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};

use super::{
    Backend, BackendError, Conn, ConnectOptions, Database, Row, ServerOps, Session, Tuning, Value,
};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// A SQLite database file, or an in-memory database.
pub struct Sqlite<'c> {
    conn: Conn<'c, Connection>,
    lock_path: Option<PathBuf>,
    lock: Option<File>,
    /// Foreign-key enforcement to turn back on when done (a lent connection had it on).
    restore_foreign_keys: bool,
}

fn db_err(e: rusqlite::Error) -> BackendError {
    BackendError::driver(e.to_string(), e)
}

impl Sqlite<'static> {
    /// Opens (creating if needed) the database file `url` names.
    pub fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self, BackendError> {
        let (conn, lock_path) = match &url.database {
            None => (Connection::open_in_memory(), None),
            Some(path) => (
                Connection::open(path),
                Some(PathBuf::from(format!("{path}.lock"))),
            ),
        };
        let conn = conn.map_err(|e| {
            let target = format!(
                "SQLite database {}",
                url.database.as_deref().unwrap_or(":memory:")
            );
            BackendError::connect(target, e.to_string(), Some(Box::new(e)))
        })?;
        conn.busy_timeout(options.busy_timeout).map_err(db_err)?;
        foreign_keys_off(&conn)?;
        Ok(Sqlite {
            conn: Conn::Owned(conn),
            lock_path,
            lock: None,
            restore_foreign_keys: false,
        })
    }
}

impl<'c> Sqlite<'c> {
    /// Works on an application's connection: locked beside its file, foreign keys off while
    /// migrating and back as they were afterwards; its busy timeout is left as the application
    /// set it. Refused inside an open transaction, which migrations cannot share.
    pub fn lend(conn: &'c mut Connection) -> Result<Self, BackendError> {
        if !conn.is_autocommit() {
            return Err(BackendError::message(
                "the SQLite connection has a transaction open: migrate it before beginning one, or after committing",
            ));
        }
        let enforced: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .map_err(db_err)?;
        let lock_path = conn
            .path()
            .filter(|path| !path.is_empty())
            .map(|path| PathBuf::from(format!("{path}.lock")));
        foreign_keys_off(conn)?;
        Ok(Sqlite {
            conn: Conn::Lent(conn),
            lock_path,
            lock: None,
            restore_foreign_keys: enforced == 1,
        })
    }
}

/// SQLite's own default, which the bundled build turns on: a table rebuild drops the old table,
/// and with enforcement on that drop deletes (or cascades to) the rows that reference it.
/// Alembic runs migrations the same way.
fn foreign_keys_off(conn: &Connection) -> Result<(), BackendError> {
    conn.execute_batch("PRAGMA foreign_keys = OFF")
        .map_err(db_err)
}

impl Drop for Sqlite<'_> {
    fn drop(&mut self) {
        if self.restore_foreign_keys {
            // A no-op inside a transaction: a failed step is rolled back before this runs.
            let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
        }
    }
}

impl Database for Connection {
    fn session(&mut self) -> Result<Session<'_>, BackendError> {
        Ok(Session::Lent(Box::new(Sqlite::lend(self)?)))
    }
}

impl Backend for Sqlite<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn lock(&mut self, _name: &str, timeout: Duration) -> Result<(), BackendError> {
        let Some(path) = &self.lock_path else {
            return Ok(());
        };
        if self.lock.is_some() {
            return Ok(());
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| {
                BackendError::message(format!("cannot open lock file {}: {e}", path.display()))
            })?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(BackendError::LockTimeout {
                        target: path.display().to_string(),
                        waited: start.elapsed(),
                        holder: None,
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(BackendError::message(format!(
                        "cannot lock {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        self.lock = Some(file);
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), BackendError> {
        if let Some(file) = self.lock.take() {
            file.unlock().map_err(|e| {
                BackendError::message(format!("cannot release the migration lock: {e}"))
            })?;
        }
        Ok(())
    }

    fn table_exists(&mut self, table: &str) -> Result<bool, BackendError> {
        let rows = self.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            &[table.into()],
        )?;
        Ok(!rows.is_empty())
    }

    fn begin(&mut self) -> Result<(), BackendError> {
        self.conn.execute_batch("BEGIN").map_err(db_err)
    }

    fn commit(&mut self) -> Result<(), BackendError> {
        self.conn.execute_batch("COMMIT").map_err(db_err)
    }

    fn rollback(&mut self) -> Result<(), BackendError> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(db_err)
    }

    fn run(&mut self, sql: &str) -> Result<(), BackendError> {
        self.conn.execute_batch(sql).map_err(db_err)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, BackendError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(db_err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(db_err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, BackendError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(db_err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(db_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(db_err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(f) => Value::Text(f.to_string()),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn tuning(&self) -> Tuning {
        Tuning {
            in_process: true,
            ..Tuning::default()
        }
    }

    fn server_ops(&mut self) -> Option<&mut dyn ServerOps> {
        Some(self)
    }
}

impl ServerOps for Sqlite<'_> {
    fn back_up(&mut self, label: &str, keep: usize) -> Result<Option<PathBuf>, BackendError> {
        let Some(path) = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
        else {
            return Ok(None);
        };
        if std::fs::metadata(&path).map_or(true, |m| m.len() == 0) {
            return Ok(None);
        }
        let stamp = humantime::format_rfc3339_millis(std::time::SystemTime::now())
            .to_string()
            .replace([':', '-'], "");
        let copy = PathBuf::from(format!("{}{BACKUP}{stamp}.{label}", path.display()));
        // The write-ahead log folded into the file, then the file copied while this connection
        // holds the write lock: nobody changes it under the copy, and the copy is byte for byte
        // the database.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db_err)?;
        // Written beside its name and renamed once complete: a run killed during the copy
        // leaves no backup that `restore` would take for a whole one.
        let partial = PathBuf::from(format!("{}.partial-backup", path.display()));
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err)?;
        let copied =
            std::fs::copy(&path, &partial).and_then(|_| std::fs::File::open(&partial)?.sync_all());
        self.conn.execute_batch("COMMIT").map_err(db_err)?;
        copied
            .and_then(|()| std::fs::rename(&partial, &copy))
            .map_err(|e| {
                let _ = std::fs::remove_file(&partial);
                BackendError::message(format!(
                    "cannot back {} up to {}: {e}",
                    path.display(),
                    copy.display()
                ))
            })?;
        let all = backups(&path).map_err(|e| BackendError::message(e.to_string()))?;
        for old in all.iter().rev().skip(keep.max(1)) {
            let _ = std::fs::remove_file(old);
        }
        Ok(Some(copy))
    }
}

/// What a backup's name adds to the database file's.
const BACKUP: &str = ".backup.";

/// The backups of the SQLite database file `db` beside it, oldest first.
pub fn backups(db: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = format!(
        "{}{BACKUP}",
        db.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    // The names start with a sortable timestamp.
    found.sort();
    Ok(found)
}

/// Puts the backup `from` (the newest when `None`) back as the SQLite database file `db`, under
/// the migration lock, its journal and write-ahead log removed; the backup restored.
pub fn restore(db: &Path, from: Option<&Path>, timeout: Duration) -> Result<PathBuf, BackendError> {
    let from = match from {
        Some(from) => from.to_path_buf(),
        None => backups(db)
            .map_err(|e| {
                BackendError::message(format!("cannot list the backups of {}: {e}", db.display()))
            })?
            .pop()
            .ok_or_else(|| {
                BackendError::message(format!("{} has no backup beside it", db.display()))
            })?,
    };
    let mut holder = Sqlite {
        conn: Conn::Owned(Connection::open_in_memory().map_err(db_err)?),
        lock_path: Some(PathBuf::from(format!("{}.lock", db.display()))),
        lock: None,
        restore_foreign_keys: false,
    };
    holder.lock("", timeout)?;
    let fail = |what: &str, e: std::io::Error| {
        BackendError::message(format!(
            "cannot restore {} from {}: {what}: {e}",
            db.display(),
            from.display()
        ))
    };
    // Copied beside it first, then renamed over it: the database is whole at every moment.
    let partial = PathBuf::from(format!("{}.restoring", db.display()));
    std::fs::copy(&from, &partial).map_err(|e| fail("copying", e))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::rename(&partial, db).map_err(|e| fail("renaming", e))?;
    holder.unlock()?;
    Ok(from)
}

fn to_sql(v: &Value) -> ToSqlOutput<'_> {
    match v {
        Value::Null => ToSqlOutput::Owned(SqlValue::Null),
        Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
        Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
    }
}

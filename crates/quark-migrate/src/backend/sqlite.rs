//! SQLite through rusqlite (bundled), on a file the engine opens or on an application's own
//! `rusqlite::Connection`. The migration lock is an exclusive `flock` on a `.lock` file beside
//! the database file, named after its canonical path (none for an in-memory database, which no
//! other connection can see). Backups and `restore` write only files created new beside it
//! ([`files`]).

mod files;
mod restore;

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::{
    Backend, BackendError, Conn, ConnectOptions, Database, Row, ServerFacts, ServerOps, Session,
    SqliteFileError, Tuning, Value,
};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// A SQLite database file, or an in-memory database.
pub struct Sqlite<'c> {
    conn: Conn<'c, Connection>,
    /// The database file by its canonical path, whose `.lock` file holds the migration lock.
    file: Option<PathBuf>,
    lock: Option<File>,
    /// Foreign-key enforcement to turn back on when done (a lent connection had it on).
    restore_foreign_keys: bool,
}

fn db_err(e: rusqlite::Error) -> BackendError {
    BackendError::driver(e.to_string(), e)
}

impl Sqlite<'static> {
    /// Opens (creating if needed, unless read-only) the database file `url` names.
    pub fn open(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self, BackendError> {
        let (conn, file) = match &url.database {
            None => (Connection::open_in_memory(), None),
            Some(path) if options.read_only => (
                Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                ),
                Some(canonical_or_as_is(path)),
            ),
            Some(path) => (Connection::open(path), Some(canonical_or_as_is(path))),
        };
        let conn = conn.map_err(|e| {
            let target = format!(
                "SQLite database {}",
                url.database.as_deref().unwrap_or(":memory:")
            );
            BackendError::connect(target, e.to_string(), Some(Box::new(e)))
        })?;
        // SQLite takes at most 2^31 - 1 milliseconds (rusqlite panics past it): a longer wait
        // is that long, 24.8 days.
        let busy = options
            .busy_timeout
            .min(Duration::from_millis(i32::MAX as u64));
        conn.busy_timeout(busy).map_err(db_err)?;
        foreign_keys_off(&conn)?;
        Ok(Sqlite {
            conn: Conn::Owned(conn),
            file,
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
        let file = conn
            .path()
            .filter(|path| !path.is_empty())
            .map(canonical_or_as_is);
        foreign_keys_off(conn)?;
        Ok(Sqlite {
            conn: Conn::Lent(conn),
            file,
            lock: None,
            restore_foreign_keys: enforced == 1,
        })
    }
}

/// The database file `path` names by its canonical path (one lock file however it is spelled),
/// or as written when it cannot be resolved.
fn canonical_or_as_is(path: &str) -> PathBuf {
    files::canonical(Path::new(path)).unwrap_or_else(|_| PathBuf::from(path))
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

    fn try_lock(&mut self, _name: &str) -> Result<bool, BackendError> {
        let Some(db) = &self.file else {
            return Ok(true);
        };
        if self.lock.is_some() {
            return Ok(true);
        }
        let path = &files::lock_path(db);
        let file = files::open_lock_file(path, files::regular_metadata(db).as_ref())?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(BackendError::message(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }

    fn lock_holder(&mut self, _name: &str) -> Option<String> {
        let db = self.file.as_ref()?;
        if self.lock.is_some() {
            return None;
        }
        // Looked at without taking it, and without write access: a shared lock on the file, if
        // it exists, is refused while a migrator holds it.
        let path = files::lock_path(db);
        let file = files::open_to_read(&path, false).ok()?;
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(_) => Some(format!("a process holds {}", path.display())),
        }
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
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        let node = match &self.file {
            Some(db) => files::lock_path(db).display().to_string(),
            None => "SQLite in memory".to_string(),
        };
        Ok(ServerFacts {
            node,
            ..ServerFacts::default()
        })
    }

    fn back_up(&mut self, label: &str, keep: usize) -> Result<Option<PathBuf>, BackendError> {
        let Some(path) = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
        else {
            return Ok(None);
        };
        let Some(meta) = files::regular_metadata(&path).filter(|m| m.len() > 0) else {
            return Ok(None);
        };
        let dir = files::dir_of(&path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let copy = dir.join(format!("{name}{BACKUP}{}.{label}", stamp()));
        // The write-ahead log folded into the file, then the file copied while this connection
        // holds the write lock: nobody changes it under the copy, and the copy is byte for byte
        // the database.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db_err)?;
        // Written to a file created new beside it (never through a link planted there) and
        // renamed once complete: a run killed during the copy leaves no backup that `restore`
        // would take for a whole one.
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err)?;
        let copied = copy_aside(&path, dir, &format!(".{name}.partial-backup."), &meta);
        self.conn.execute_batch("COMMIT").map_err(db_err)?;
        files::put_in_place(copied?, &copy, false)?;
        let all =
            backups(&path).map_err(|e| SqliteFileError::io("list the backups of", &path, e))?;
        for old in all.iter().rev().skip(keep.max(1)) {
            let _ = std::fs::remove_file(old);
        }
        Ok(Some(copy))
    }
}

/// What a backup's name adds to the database file's.
const BACKUP: &str = ".backup.";

/// The time now as backup names carry it, sortable: `20261206T101530.123Z`.
fn stamp() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "")
}

/// A copy of the database file `db` (described by `meta`) in a file created new in `dir`, named
/// `prefix` and random characters, with the database file's owner and mode, synced.
fn copy_aside(
    db: &Path,
    dir: &Path,
    prefix: &str,
    meta: &std::fs::Metadata,
) -> Result<tempfile::NamedTempFile, SqliteFileError> {
    let mut source = files::open_to_read(db, false)?;
    let mut copy = files::create_in(dir, prefix)?;
    std::io::copy(&mut source, copy.as_file_mut())
        .map_err(|e| SqliteFileError::io("copy", db, e))?;
    let path = copy.path().to_path_buf();
    files::finish(copy.as_file(), &path, Some(meta))?;
    Ok(copy)
}

/// The backups of the SQLite database file `db` beside it (by its canonical path), oldest first.
pub fn backups(db: &Path) -> std::io::Result<Vec<PathBuf>> {
    let db = files::canonical(db).unwrap_or_else(|_| db.to_path_buf());
    let dir = files::dir_of(&db);
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

pub use restore::{Restored, restore, restore_checked};

fn to_sql(v: &Value) -> ToSqlOutput<'_> {
    match v {
        Value::Null => ToSqlOutput::Owned(SqlValue::Null),
        Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
        Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
    }
}

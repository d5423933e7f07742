//! `restore`: a backup put back as the SQLite database file. The source is checked before
//! anything is replaced (SQLite's header, `PRAGMA quick_check`, and whatever the caller checks,
//! such as its version table); the database is worked on by its canonical path, so one lock file
//! serves every spelling and a symlinked path restores the real file; nothing is replaced while
//! another connection holds the database; the file replaced is kept as
//! `<db>.before-restore.<time>`; and every file written is created new, never through a link.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::time::Duration;

use log::warn;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{Sqlite, backups, copy_aside, db_err, files, stamp};
use crate::app::log_target;
use crate::backend::waiting::Try;
use crate::backend::{Backend, BackendError, Conn, NotRestorable, SqliteFileError};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Restored {
    /// The backup put back.
    pub from: PathBuf,
    /// The database file replaced, by its canonical path.
    pub database: PathBuf,
    /// Where the file it replaced is kept (`<db>.before-restore.<time>`); `None` when there was
    /// no file.
    pub kept: Option<PathBuf>,
}

/// The first 16 bytes of every SQLite database file.
const HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What the name of the copy of a replaced database file adds to the database file's.
const BEFORE_RESTORE: &str = ".before-restore.";

/// Puts the backup `from` (the newest when `None`) back as the SQLite database file `db`, under
/// the migration lock, refusing a source that is no sound SQLite database and a database another
/// connection holds, and keeping the file it replaces; the backup restored.
/// [`restore_checked`] also checks what the source holds (`Migrations::restore` checks its
/// version table).
pub fn restore(db: &Path, from: Option<&Path>, timeout: Duration) -> Result<PathBuf, BackendError> {
    restore_checked(db, from, timeout, &mut |_| Ok(())).map(|r| r.from)
}

/// [`restore`], with `check` run on the source (opened read-only) before anything is replaced:
/// an error from it refuses the restore.
pub fn restore_checked(
    db: &Path,
    from: Option<&Path>,
    timeout: Duration,
    check: &mut dyn FnMut(&mut dyn Backend) -> Result<(), NotRestorable>,
) -> Result<Restored, BackendError> {
    let database = files::canonical(db)
        .map_err(|e| SqliteFileError::io("resolve the database path", db, e))?;
    let (from, found) = match from {
        Some(from) => (from.to_path_buf(), false),
        None => {
            let newest = backups(&database)
                .map_err(|e| SqliteFileError::io("list the backups of", &database, e))?
                .pop()
                .ok_or_else(|| SqliteFileError::NoBackup {
                    database: database.clone(),
                })?;
            (newest, true)
        }
    };
    let mut holder = Sqlite {
        conn: Conn::Owned(Connection::open_in_memory().map_err(db_err)?),
        file: Some(database.clone()),
        lock: None,
        restore_foreign_keys: false,
    };
    let place = files::lock_path(&database).display().to_string();
    crate::backend::waiting::wait_for_lock(&place, timeout, |_| {
        Ok(if holder.try_lock("")? {
            Try::Got(())
        } else {
            Try::Held(None)
        })
    })?;
    // A backup found in the directory is never read through a link; one the user named may be.
    let restored = locked(&database, &from, !found, check);
    let unlocked = holder.unlock();
    let kept = restored?;
    unlocked?;
    Ok(Restored {
        from,
        database,
        kept,
    })
}

/// The restore itself, under the migration lock: the file kept, if any.
fn locked(
    database: &Path,
    from: &Path,
    follow: bool,
    check: &mut dyn FnMut(&mut dyn Backend) -> Result<(), NotRestorable>,
) -> Result<Option<PathBuf>, BackendError> {
    let dir = files::dir_of(database);
    let name = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let current = match std::fs::symlink_metadata(database) {
        Ok(meta) if meta.is_file() => Some(meta),
        Ok(_) => {
            return Err(SqliteFileError::Unsafe {
                path: database.to_path_buf(),
                what: "it is not a regular file",
            }
            .into());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(SqliteFileError::io("read the metadata of", database, e).into()),
    };
    let refuse = |problem| SqliteFileError::NotRestorable {
        from: from.to_path_buf(),
        problem,
    };

    // The source: SQLite's header before anything is written, then a copy beside the database,
    // which is checked as the file that will be put in place.
    let mut source = files::open_to_read(from, follow)?;
    let mut header = [0u8; 16];
    match source.read_exact(&mut header) {
        Ok(()) if &header == HEADER => {}
        Ok(()) => return Err(refuse(NotRestorable::NotSqlite).into()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(refuse(NotRestorable::NotSqlite).into());
        }
        Err(e) => return Err(SqliteFileError::io("read", from, e).into()),
    }
    let source_meta = source
        .metadata()
        .map_err(|e| SqliteFileError::io("read the metadata of", from, e))?;
    let mut staged = files::create_in(dir, &format!(".{name}.restoring."))?;
    source
        .rewind()
        .and_then(|_| std::io::copy(&mut source, staged.as_file_mut()))
        .map_err(|e| SqliteFileError::io("copy", from, e))?;
    drop(source);
    let staged_path = staged.path().to_path_buf();
    files::finish(
        staged.as_file(),
        &staged_path,
        Some(current.as_ref().unwrap_or(&source_meta)),
    )?;
    verify(&staged_path, check).map_err(refuse)?;

    // Nobody else on the database, until it is replaced.
    let hold = match current {
        Some(_) => hold_alone(database)?,
        None => None,
    };
    let kept = match &current {
        Some(meta) => Some(keep(database, dir, &name, meta)?),
        None => None,
    };
    if let Some(conn) = &hold {
        // Out of WAL mode (the log is empty): closing this connection after the rename then
        // touches no file by name, such as the new database's log.
        conn.execute_batch("PRAGMA journal_mode = OFF")
            .map_err(db_err)?;
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut journal = database.as_os_str().to_owned();
        journal.push(suffix);
        match std::fs::remove_file(&journal) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SqliteFileError::io("remove", PathBuf::from(journal), e).into()),
        }
    }
    files::put_in_place(staged, database, current.is_some())?;
    drop(hold);
    Ok(kept)
}

/// Opens the staged copy read-only, without locks, journals or a shared-memory file beside it
/// (SQLite's `immutable`): nothing about it is changed or created.
#[cfg(unix)]
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )
}

#[cfg(not(unix))]
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Checks the staged copy: SQLite reads it, `PRAGMA quick_check` says ok, and `check` accepts it.
fn verify(
    staged: &Path,
    check: &mut dyn FnMut(&mut dyn Backend) -> Result<(), NotRestorable>,
) -> Result<(), NotRestorable> {
    let conn = open_read_only(staged).map_err(|e| NotRestorable::Unreadable(e.to_string()))?;
    let found: rusqlite::Result<Vec<String>> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect());
    match found {
        Ok(rows) if rows == ["ok"] => {}
        Ok(rows) => {
            let mut said: Vec<String> = rows.into_iter().take(3).collect();
            said.dedup();
            return Err(NotRestorable::Damaged(said.join("; ")));
        }
        Err(e) => return Err(NotRestorable::Damaged(e.to_string())),
    }
    let mut db = Sqlite {
        conn: Conn::Owned(conn),
        file: None,
        lock: None,
        restore_foreign_keys: false,
    };
    check(&mut db)
}

/// Opens the database and holds it alone: an exclusive lock kept (SQLite's exclusive locking
/// mode), which no other connection in a transaction, and none in WAL mode at all, lets it take;
/// its write-ahead log folded into the file. `None` when the file is no database SQLite can
/// open, which nothing can be using as one.
fn hold_alone(database: &Path) -> Result<Option<Connection>, BackendError> {
    let in_use = |detail: &str| SqliteFileError::InUse {
        database: database.to_path_buf(),
        detail: detail.to_string(),
    };
    let conn = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )
    .map_err(db_err)?;
    conn.busy_timeout(Duration::ZERO).map_err(db_err)?;
    let held = conn.execute_batch(
        "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; SELECT count(*) FROM sqlite_master; COMMIT",
    );
    if let Err(e) = held {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                return Err(in_use(
                    "it holds a lock on it: a transaction open, or the database open in WAL mode",
                )
                .into());
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                warn!(target: log_target(), "{} is no database SQLite can read ({e}); it is replaced as it is", database.display());
                return Ok(None);
            }
            _ => return Err(db_err(e)),
        }
    }
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .map_err(db_err)?;
    if busy != 0 {
        return Err(in_use("its write-ahead log is in use").into());
    }
    Ok(Some(conn))
}

/// Copies the database file, as it is while held alone, to `<db>.before-restore.<time>`.
fn keep(
    database: &Path,
    dir: &Path,
    name: &str,
    meta: &std::fs::Metadata,
) -> Result<PathBuf, BackendError> {
    let kept = dir.join(format!("{name}{BEFORE_RESTORE}{}", stamp()));
    let copy = copy_aside(
        database,
        dir,
        &format!(".{name}.before-restore-partial."),
        meta,
    )?;
    files::put_in_place(copy, &kept, false)?;
    Ok(kept)
}

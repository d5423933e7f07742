//! What can go wrong with the files the engine keeps beside a SQLite database file: its
//! migration lock file, its backups, and putting a backup back (`restore`).

use std::path::PathBuf;

use thiserror::Error;

/// A failure around the files beside a SQLite database file (lock file, backups, `restore`).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SqliteFileError {
    /// A path the engine opens or creates is a symbolic link, or not a regular file of its own:
    /// nothing was written through it.
    #[error("refusing to use {}: {what}; nothing was written through it (remove it if it is not yours)", path.display())]
    Unsafe {
        /// The path.
        path: PathBuf,
        /// What it is instead of a regular file of its own.
        what: &'static str,
    },
    /// Creating, reading, writing, syncing or renaming a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file (or directory).
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file `restore` was to put back is not a database this application runs on.
    #[error("cannot restore from {}: {problem}; nothing was replaced", from.display())]
    NotRestorable {
        /// The file.
        from: PathBuf,
        /// What is wrong with it.
        problem: NotRestorable,
    },
    /// Another connection has the database open (`restore` would pull the file from under it).
    #[error("{} is in use by another connection ({detail}): stop what uses it, then restore; nothing was replaced", database.display())]
    InUse {
        /// The database file.
        database: PathBuf,
        /// What shows it.
        detail: String,
    },
    /// `restore` without `--from` found no backup.
    #[error("{} has no backup beside it", database.display())]
    NoBackup {
        /// The database file.
        database: PathBuf,
    },
}

impl SqliteFileError {
    /// An I/O failure while doing `action` on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SqliteFileError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Why a file cannot be restored as the database.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NotRestorable {
    /// It does not start with SQLite's header.
    #[error("it is not a SQLite database (it does not start with \"SQLite format 3\")")]
    NotSqlite,
    /// SQLite's `PRAGMA quick_check` finds it damaged.
    #[error("SQLite finds it damaged (quick_check: {0})")]
    Damaged(String),
    /// SQLite cannot read it.
    #[error("SQLite cannot read it: {0}")]
    Unreadable(String),
    /// It has no version table: not a database of this application.
    #[error("it has no version table {table}: it is not a database of this application")]
    NoVersionTable {
        /// The version table looked for.
        table: String,
    },
    /// Its version table holds revisions this binary does not embed.
    #[error(
        "its version table {table} holds {}, unknown to this binary: it is another application's database, or a newer release's",
        revisions.join(", ")
    )]
    UnknownRevisions {
        /// The version table.
        table: String,
        /// The revisions this binary does not know.
        revisions: Vec<String>,
    },
}

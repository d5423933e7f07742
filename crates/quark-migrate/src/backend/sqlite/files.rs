//! The files the engine writes beside a SQLite database file, where whoever may write that
//! directory may have planted a link: each is created new under an unpredictable name (never
//! through a link), given the database file's owner and mode, synced, and only then renamed into
//! place, the directory synced after. The lock file, which stays, is opened without following a
//! link and refused unless it is a regular file of its own.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::backend::SqliteFileError;

/// The directory the file `path` names lies in (`.` for a bare name).
pub(super) fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The database file `db` names, however it is spelled: its directory canonicalized, and a
/// final symbolic link followed to the real file.
pub(super) fn canonical(db: &Path) -> io::Result<PathBuf> {
    let Some(name) = db.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ));
    };
    let path = std::fs::canonicalize(dir_of(db))?.join(name);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(&path),
        _ => Ok(path),
    }
}

/// The migration lock file of the database file `db`.
pub(super) fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The metadata of the regular file `path`, not following a link; `None` when there is none.
pub(super) fn regular_metadata(path: &Path) -> Option<Metadata> {
    std::fs::symlink_metadata(path)
        .ok()
        .filter(Metadata::is_file)
}

/// Open flags that refuse a symbolic link as the last component and never wait on a FIFO.
#[cfg(unix)]
fn no_follow(options: &mut OpenOptions, follow: bool) {
    use std::os::unix::fs::OpenOptionsExt;
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    options.custom_flags(nofollow | libc::O_NONBLOCK);
}

#[cfg(not(unix))]
fn no_follow(_: &mut OpenOptions, _: bool) {}

/// Why opening `path` failed: a link where none is followed, or the system's error.
fn refusal(action: &'static str, path: &Path, e: io::Error) -> SqliteFileError {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        SqliteFileError::Unsafe {
            path: path.to_path_buf(),
            what: "it is a symbolic link",
        }
    } else {
        SqliteFileError::io(action, path, e)
    }
}

/// Refuses an open file that is not a regular file of its own (a FIFO, a device, a directory, a
/// hard link to a file elsewhere).
fn regular_of_its_own(file: &File, path: &Path, links: bool) -> Result<(), SqliteFileError> {
    let meta = file
        .metadata()
        .map_err(|e| SqliteFileError::io("read the metadata of", path, e))?;
    if !meta.is_file() {
        return Err(SqliteFileError::Unsafe {
            path: path.to_path_buf(),
            what: "it is not a regular file",
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if !links && meta.nlink() > 1 {
            return Err(SqliteFileError::Unsafe {
                path: path.to_path_buf(),
                what: "it has other hard links, so it may be another file",
            });
        }
    }
    let _ = links;
    Ok(())
}

/// Opens the existing file `path` to read it: a regular file, reached through a link only when
/// `follow` (a file the user named, not one found in the directory).
pub(super) fn open_to_read(path: &Path, follow: bool) -> Result<File, SqliteFileError> {
    let mut options = OpenOptions::new();
    options.read(true);
    no_follow(&mut options, follow);
    let file = options.open(path).map_err(|e| refusal("open", path, e))?;
    regular_of_its_own(&file, path, true)?;
    Ok(file)
}

/// Opens the migration lock file `path` to lock it: created new with the database file's owner
/// and mode (`like`) when missing, otherwise opened without following a link and refused unless
/// it is a regular file of its own. It is never written to.
pub(super) fn open_lock_file(
    path: &Path,
    like: Option<&Metadata>,
) -> Result<File, SqliteFileError> {
    // A second try when the file disappears between the two opens.
    for _ in 0..3 {
        let mut new = OpenOptions::new();
        new.read(true).write(true).create_new(true);
        no_follow(&mut new, false);
        match new.open(path) {
            Ok(file) => {
                finish(&file, path, like)?;
                sync_dir(dir_of(path))?;
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(refusal("create the lock file", path, e)),
        }
        let mut existing = OpenOptions::new();
        existing.read(true).write(true);
        no_follow(&mut existing, false);
        match existing.open(path) {
            Ok(file) => {
                regular_of_its_own(&file, path, false)?;
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(refusal("open the lock file", path, e)),
        }
    }
    Err(SqliteFileError::io(
        "open the lock file",
        path,
        io::Error::other("it was removed each time it was opened"),
    ))
}

/// A new, empty file in `dir` named `prefix` and random characters, created exclusively: a link
/// or file already there under that name is never opened. Removed when dropped unless
/// [`put_in_place`] renamed it.
pub(super) fn create_in(dir: &Path, prefix: &str) -> Result<NamedTempFile, SqliteFileError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .rand_bytes(12)
        .tempfile_in(dir)
        .map_err(|e| SqliteFileError::io("create a file in", dir, e))
}

/// Gives the new file `file` (at `path`) the owner (where this process may: as root) and mode
/// of the database file `like`, and syncs it to disk.
pub(super) fn finish(
    file: &File,
    path: &Path,
    like: Option<&Metadata>,
) -> Result<(), SqliteFileError> {
    #[cfg(unix)]
    if let Some(like) = like {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mine = file
            .metadata()
            .map_err(|e| SqliteFileError::io("read the metadata of", path, e))?;
        if (mine.uid(), mine.gid()) != (like.uid(), like.gid()) {
            match std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid())) {
                Ok(()) => {}
                // Not root: the file stays this process's own, with the database file's mode.
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
                Err(e) => return Err(SqliteFileError::io("set the owner of", path, e)),
            }
        }
        file.set_permissions(std::fs::Permissions::from_mode(like.mode() & 0o777))
            .map_err(|e| SqliteFileError::io("set the mode of", path, e))?;
    }
    #[cfg(not(unix))]
    let _ = like;
    file.sync_all()
        .map_err(|e| SqliteFileError::io("sync", path, e))
}

/// Renames the finished file `file` to `to` (over a file there when `replace`; otherwise an
/// existing name, link or not, is an error) and syncs the directory.
pub(super) fn put_in_place(
    file: NamedTempFile,
    to: &Path,
    replace: bool,
) -> Result<(), SqliteFileError> {
    #[cfg(unix)]
    {
        // Its name must still be this file, not one put there since.
        use std::os::unix::fs::MetadataExt;
        let ours = file.as_file().metadata();
        let there = std::fs::symlink_metadata(file.path());
        let same =
            matches!((&ours, &there), (Ok(a), Ok(b)) if (a.dev(), a.ino()) == (b.dev(), b.ino()));
        if !same {
            return Err(SqliteFileError::Unsafe {
                path: file.path().to_path_buf(),
                what: "it was replaced while being written",
            });
        }
    }
    let renamed = if replace {
        file.persist(to).map(drop)
    } else {
        file.persist_noclobber(to).map(drop)
    };
    renamed.map_err(|e| SqliteFileError::io("rename a new file to", to, e.error))?;
    sync_dir(dir_of(to))
}

/// Syncs the directory `dir` after a rename or a new file in it, so that the name survives a crash.
pub(super) fn sync_dir(dir: &Path) -> Result<(), SqliteFileError> {
    #[cfg(unix)]
    {
        let synced = File::open(dir).and_then(|d| d.sync_all());
        match synced {
            // Some file systems cannot sync a directory.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            other => other.map_err(|e| SqliteFileError::io("sync the directory", dir, e))?,
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

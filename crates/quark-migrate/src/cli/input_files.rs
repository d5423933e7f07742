//! Files named on the command line (`--config-file`, the `*.conf` files of `--config-dir`, the
//! default configuration file, `--databases`): read only when they are regular files no larger
//! than a limit, so that a FIFO, a device (`/dev/zero`) or a directory is refused at once
//! instead of blocking the run or filling its memory.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The most a configuration file (`--config-file`, `--config-dir`) may hold: 16 MiB.
pub const CONFIG_FILE_LIMIT: u64 = 16 << 20;

/// The most a `--databases` file may hold: 64 MiB.
pub const DATABASES_FILE_LIMIT: u64 = 64 << 20;

/// Why a file named on the command line was not read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InputFileError {
    /// The file cannot be opened or read.
    #[error("{option} {}: {source}", path.display())]
    Unreadable {
        /// The option that names it (`--config-file`, ...).
        option: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A FIFO, a device, a directory or a socket: not read.
    #[error(
        "{option} {}: {kind}, not a regular file; name a regular file (of at most {} MiB)",
        path.display(),
        limit >> 20
    )]
    NotAFile {
        /// The option that names it.
        option: &'static str,
        /// The file.
        path: PathBuf,
        /// What it is instead (`a FIFO`, `a character device`, ...).
        kind: &'static str,
        /// The most such a file may hold, in bytes.
        limit: u64,
    },
    /// Longer than the limit for such a file.
    #[error(
        "{option} {}: larger than {} MiB, the most it may hold",
        path.display(),
        limit >> 20
    )]
    TooLarge {
        /// The option that names it.
        option: &'static str,
        /// The file.
        path: PathBuf,
        /// The most such a file may hold, in bytes.
        limit: u64,
    },
    /// Not UTF-8 text.
    #[error("{option} {}: not UTF-8 text", path.display())]
    NotText {
        /// The option that names it.
        option: &'static str,
        /// The file.
        path: PathBuf,
    },
}

/// What a file that is not a regular file is, for a message.
fn kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Opens `path` for reading; on unix without blocking, should it be a FIFO after all (one
/// swapped in after it was looked at).
fn open(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The text of the file `path` that `option` names: a regular file (looked at before it is
/// opened, and again once open) of at most `limit` bytes, read no further than that.
pub(crate) fn read_text(
    path: &Path,
    option: &'static str,
    limit: u64,
) -> Result<String, InputFileError> {
    let unreadable = |source| InputFileError::Unreadable {
        option,
        path: path.to_path_buf(),
        source,
    };
    let check = |meta: &Metadata| match kind(meta) {
        Some(kind) => Err(InputFileError::NotAFile {
            option,
            path: path.to_path_buf(),
            kind,
            limit,
        }),
        None if meta.len() > limit => Err(InputFileError::TooLarge {
            option,
            path: path.to_path_buf(),
            limit,
        }),
        None => Ok(()),
    };
    check(&std::fs::metadata(path).map_err(unreadable)?)?;
    let file = open(path).map_err(unreadable)?;
    check(&file.metadata().map_err(unreadable)?)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(InputFileError::TooLarge {
            option,
            path: path.to_path_buf(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| InputFileError::NotText {
        option,
        path: path.to_path_buf(),
    })
}

/// The URLs of a `--databases` file, one a line. `#` starts a comment at the start of a line or
/// after white space only: a `#` inside a URL (in a password) belongs to it.
pub(crate) fn database_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let comment = line
                .char_indices()
                .find(|&(i, c)| {
                    c == '#'
                        && line[..i]
                            .chars()
                            .next_back()
                            .is_none_or(char::is_whitespace)
                })
                .map_or(line.len(), |(i, _)| i);
            line[..comment].trim()
        })
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_up_to_the_limit() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.conf");
        std::fs::write(&f, "0123456789").unwrap();
        assert_eq!(read_text(&f, "--config-file", 10).unwrap(), "0123456789");
        let e = read_text(&f, "--config-file", 9).unwrap_err();
        assert!(
            matches!(e, InputFileError::TooLarge { limit: 9, .. }),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with(&format!("--config-file {}: larger than", f.display()))
        );
        std::fs::write(&f, b"\xff\xfe").unwrap();
        assert!(matches!(
            read_text(&f, "--databases", 10),
            Err(InputFileError::NotText { .. })
        ));
        let missing = read_text(&d.path().join("none"), "--databases", 10).unwrap_err();
        assert!(matches!(missing, InputFileError::Unreadable { .. }));
        assert!(missing.to_string().starts_with("--databases "), "{missing}");
    }

    #[test]
    fn directories_devices_and_fifos_are_refused_without_reading() {
        let d = tempfile::tempdir().unwrap();
        let e = read_text(d.path(), "--config-file", CONFIG_FILE_LIMIT).unwrap_err();
        assert!(
            e.to_string().contains(": a directory, not a regular file"),
            "{e}"
        );
        #[cfg(unix)]
        {
            let e =
                read_text(Path::new("/dev/zero"), "--databases", DATABASES_FILE_LIMIT).unwrap_err();
            assert_eq!(
                e.to_string(),
                "--databases /dev/zero: a character device, not a regular file; name a regular file (of at most 64 MiB)"
            );
            // No writer ever comes: reading it would block for good.
            let fifo = d.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                let e = read_text(&fifo, "--config-file", CONFIG_FILE_LIMIT).unwrap_err();
                assert!(
                    matches!(e, InputFileError::NotAFile { kind: "a FIFO", .. }),
                    "{e}"
                );
            }
        }
    }
}

//! Settings as oslo.config reads them for the Python quark-db-manage, so that operators'
//! command lines and neutron.conf files work unchanged: `--database-connection`, else the
//! configuration files (`--config-file`, repeatable, then every `*.conf` of `--config-dir`,
//! later files winning; without either, `<program>.conf` and `<program>.conf.d/` from `~` or
//! `/etc`), else `DATABASE_URL`.
//!
//! Each file is read as oslo.config's own parser reads it ([`crate::oslo_ini`]: continuation
//! lines, `key: value`, quotes, no inline comments). Section names are matched in any case
//! (`[DATABASE]`), except `[DEFAULT]`; a deprecated option name is read where oslo reads it
//! (`sql_connection`, in `[database]` or `[DEFAULT]`).
//!
//! A configuration file is read only when it is a regular file of at most 16 MiB
//! ([`super::input_files::CONFIG_FILE_LIMIT`]): a FIFO, a device or a directory is refused by name.

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::input_files::{self as files, CONFIG_FILE_LIMIT, InputFileError};
use crate::oslo_ini::{self, OsloIni};

/// The names oslo reads the database URL under, the current one first.
const CONNECTION: &[(&str, &str)] = &[
    ("database", "connection"),
    ("database", "sql_connection"),
    ("DEFAULT", "sql_connection"),
];

/// The version table chosen for this tool (`[database] version_table`).
const VERSION_TABLE: &[(&str, &str)] = &[("database", "version_table")];

/// The dialect of offline scripts (`[database] engine`, upstream's `--database-engine`).
const ENGINE: &[(&str, &str)] = &[("database", "engine")];

/// The storage engine of new MySQL tables (`[database] mysql_engine`, `--mysql-engine`).
const MYSQL_ENGINE: &[(&str, &str)] = &[("database", "mysql_engine")];

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// The command line (`--database-connection`).
    Flag,
    /// An option of a configuration file.
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The section the option is in.
        section: &'static str,
        /// The option's name.
        key: &'static str,
    },
    /// The `DATABASE_URL` environment variable.
    Environment,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Flag => f.write_str("--database-connection"),
            UrlSource::ConfigFile { path, section, key } => {
                write!(f, "[{section}] {key} in {}", path.display())
            }
            UrlSource::Environment => f.write_str("DATABASE_URL"),
        }
    }
}

/// No usable setting.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// Nothing names a database.
    #[error(
        "no database given: pass --database-connection URL, or --config-file FILE with 'connection = URL' under [database], or set DATABASE_URL"
    )]
    NoConnection,
    /// A configuration file or directory cannot be read (or is no regular file, or too large:
    /// an [`InputFileError`] is then the source).
    #[error("{}", unreadable(path, source))]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A configuration file is not valid INI.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The configuration files given name no database.
    #[error(
        "config file {} has no 'connection' setting in its [database] section (nor the deprecated 'sql_connection' there or in [DEFAULT])",
        paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    MissingSetting {
        /// The files read.
        paths: Vec<PathBuf>,
    },
}

/// The configuration files of one run, parsed, in the order they apply.
#[derive(Debug, Default)]
pub struct ConfigFiles {
    files: Vec<(PathBuf, OsloIni)>,
    /// Whether the files were named on the command line (a missing setting is then an error).
    named: bool,
}

impl ConfigFiles {
    /// Reads `files`, then the `*.conf` of each of `dirs` in name order; when no file (or no
    /// directory) is named, oslo's defaults for `program`: `<program>.conf` (and
    /// `<program>.conf.d/`) in `~`, else in `/etc`.
    pub fn load(files: &[PathBuf], dirs: &[PathBuf], program: &str) -> Result<Self, ConfigError> {
        let named = !files.is_empty() || !dirs.is_empty();
        let search = default_dirs();
        // Each file with the option that names it.
        let files: Vec<(PathBuf, &'static str)> = if files.is_empty() {
            first_existing(&search, &format!("{program}.conf"), Path::is_file)
                .map(|p| (p, "configuration file"))
                .into_iter()
                .collect()
        } else {
            files.iter().map(|p| (p.clone(), "--config-file")).collect()
        };
        let dirs: Vec<PathBuf> = if dirs.is_empty() {
            first_existing(&search, &format!("{program}.conf.d"), Path::is_dir)
                .into_iter()
                .collect()
        } else {
            dirs.to_vec()
        };
        let mut paths = files;
        for dir in &dirs {
            let unreadable = |source| ConfigError::Unreadable {
                path: dir.clone(),
                source,
            };
            let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(unreadable)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "conf"))
                .collect();
            found.sort();
            paths.extend(found.into_iter().map(|p| (p, "--config-dir")));
        }
        let files = paths
            .into_iter()
            .map(|(path, option)| parse(&path, option).map(|ini| (path, ini)))
            .collect::<Result<_, _>>()?;
        Ok(ConfigFiles { files, named })
    }

    /// The value of the first of `names` the last file that sets one of them gives (as oslo
    /// reads current and deprecated names), with where it is.
    fn get(&self, names: &[(&'static str, &'static str)]) -> Option<(String, UrlSource)> {
        self.files.iter().rev().find_map(|(path, ini)| {
            names.iter().find_map(|&(section, key)| {
                let found = ini.last(|name| same_section(name, section), key)?;
                Some((
                    found.value.clone(),
                    UrlSource::ConfigFile {
                        path: path.clone(),
                        section,
                        key,
                    },
                ))
            })
        })
    }

    /// The database URL the files give, if any (an empty value, as oslo reads it, gives none).
    fn connection(&self) -> Option<(String, UrlSource)> {
        self.get(CONNECTION).filter(|(v, _)| !v.is_empty())
    }

    /// The value the files give one of `names`, unless empty (which oslo reads as unset).
    fn value(&self, names: &[(&'static str, &'static str)]) -> Option<String> {
        self.get(names).map(|(v, _)| v).filter(|v| !v.is_empty())
    }

    /// The version table the files choose (`[database] version_table`).
    pub fn version_table(&self) -> Option<String> {
        self.value(VERSION_TABLE)
    }

    /// The dialect of offline scripts the files name (`[database] engine`).
    pub fn engine(&self) -> Option<String> {
        self.value(ENGINE)
    }

    /// The storage engine of new MySQL tables the files name (`[database] mysql_engine`).
    pub fn mysql_engine(&self) -> Option<String> {
        self.value(MYSQL_ENGINE)
    }
}

/// oslo matches section names in any case, `[DEFAULT]` excepted.
fn same_section(written: &str, wanted: &str) -> bool {
    if wanted == "DEFAULT" {
        written == "DEFAULT"
    } else {
        written.eq_ignore_ascii_case(wanted)
    }
}

/// The directories oslo.config searches for a program's configuration, in order.
fn default_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("HOME")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.push(PathBuf::from("/etc"));
    dirs
}

fn first_existing(dirs: &[PathBuf], name: &str, exists: fn(&Path) -> bool) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| exists(p))
}

/// The message of [`ConfigError::Unreadable`]: the file, the option that names it when its
/// source is an [`InputFileError`], and why.
fn unreadable(path: &Path, source: &std::io::Error) -> String {
    match source
        .get_ref()
        .and_then(|e| e.downcast_ref::<InputFileError>())
    {
        Some(InputFileError::Unreadable { option, source, .. }) => format!(
            "cannot read config file {} ({option}): {source}",
            path.display()
        ),
        Some(e) => e.to_string(),
        None => format!("cannot read config file {}: {source}", path.display()),
    }
}

/// Reads one file that `option` names as oslo.config does, naming the line of any problem.
fn parse(path: &Path, option: &'static str) -> Result<OsloIni, ConfigError> {
    let text = files::read_text(path, option, CONFIG_FILE_LIMIT).map_err(|e| {
        let kind = match &e {
            InputFileError::Unreadable { source, .. } => source.kind(),
            _ => std::io::ErrorKind::InvalidInput,
        };
        ConfigError::Unreadable {
            path: path.to_path_buf(),
            source: std::io::Error::new(kind, e),
        }
    })?;
    oslo_ini::parse(&text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: e.line,
        message: e.message.to_string(),
    })
}

/// Picks the connection URL: the flag, else the configuration files, else `DATABASE_URL`.
pub fn resolve_connection(
    flag: Option<&str>,
    files: &ConfigFiles,
    environment: Option<String>,
) -> Result<(String, UrlSource), ConfigError> {
    if let Some(url) = flag.filter(|u| !u.trim().is_empty()) {
        return Ok((url.to_string(), UrlSource::Flag));
    }
    if let Some(found) = files.connection() {
        return Ok(found);
    }
    if files.named {
        return Err(ConfigError::MissingSetting {
            paths: files.files.iter().map(|(p, _)| p.clone()).collect(),
        });
    }
    match environment.filter(|u| !u.trim().is_empty()) {
        Some(url) => Ok((url, UrlSource::Environment)),
        None => Err(ConfigError::NoConnection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn url(files: &[PathBuf], dirs: &[PathBuf]) -> Result<(String, UrlSource), ConfigError> {
        let files = ConfigFiles::load(files, dirs, "no-such-program")?;
        resolve_connection(None, &files, None)
    }

    #[test]
    fn reads_a_neutron_conf() {
        let d = tempfile::tempdir().unwrap();
        let f = write(
            d.path(),
            "neutron.conf",
            "[DEFAULT]\n# a comment\ncore_plugin = quark.plugin.Plugin\n; another\n\n[database]\n# connection = mysql://old\nconnection=mysql://u:p#w;x\\y@h/db # kept\nmax_pool_size = 10\n\n[quark]\nx = y\n",
        );
        let (url, from) = url(std::slice::from_ref(&f), &[]).unwrap();
        assert_eq!(url, "mysql://u:p#w;x\\y@h/db # kept");
        assert_eq!(
            from.to_string(),
            format!("[database] connection in {}", f.display())
        );
    }

    #[test]
    fn section_case_deprecated_names_and_later_files_win() {
        let d = tempfile::tempdir().unwrap();
        let upper = write(d.path(), "a.conf", "[DATABASE]\nconnection = mysql://a\n");
        let old = write(
            d.path(),
            "b.conf",
            "[database]\nsql_connection = mysql://b\n",
        );
        let default = write(
            d.path(),
            "c.conf",
            "[DEFAULT]\nsql_connection = mysql://c\n",
        );
        let both = write(
            d.path(),
            "e.conf",
            "[database]\nconnection = mysql://new\nsql_connection = mysql://old\n",
        );
        let lower_default = write(
            d.path(),
            "g.conf",
            "[default]\nsql_connection = mysql://g\n",
        );
        let empty = write(d.path(), "i.conf", "[database]\nconnection =\n");
        let get = |files: &[&PathBuf]| {
            let files: Vec<PathBuf> = files.iter().map(|p| (*p).clone()).collect();
            url(&files, &[]).map(|(u, _)| u).map_err(|e| e.to_string())
        };
        assert_eq!(get(&[&upper]).unwrap(), "mysql://a");
        assert_eq!(get(&[&old]).unwrap(), "mysql://b");
        assert_eq!(get(&[&default]).unwrap(), "mysql://c");
        assert_eq!(get(&[&upper, &old]).unwrap(), "mysql://b");
        assert_eq!(get(&[&old, &upper]).unwrap(), "mysql://a");
        assert_eq!(get(&[&upper, &default]).unwrap(), "mysql://c");
        assert_eq!(get(&[&both]).unwrap(), "mysql://new");
        assert!(
            get(&[&lower_default])
                .unwrap_err()
                .contains("has no 'connection' setting")
        );
        assert!(
            get(&[&upper, &empty])
                .unwrap_err()
                .contains("has no 'connection' setting")
        );
    }

    #[test]
    fn config_dirs_follow_the_files_in_name_order() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("neutron.conf.d");
        std::fs::create_dir(&dir).unwrap();
        write(
            &dir,
            "20-late.conf",
            "[database]\nconnection = mysql://late\n",
        );
        write(
            &dir,
            "10-early.conf",
            "[database]\nconnection = mysql://early\n",
        );
        write(
            &dir,
            "99-ignored.txt",
            "[database]\nconnection = mysql://txt\n",
        );
        let file = write(
            d.path(),
            "neutron.conf",
            "[database]\nconnection = mysql://file\n",
        );
        assert_eq!(
            url(&[file], std::slice::from_ref(&dir)).unwrap().0,
            "mysql://late"
        );
        assert_eq!(url(&[], &[dir]).unwrap().0, "mysql://late");
    }

    #[test]
    fn malformed_files_name_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        for (text, line) in [
            ("connection = x\n[database]\n", 1),
            ("# c\n\n[database\nconnection = x\n", 3),
        ] {
            let f = write(d.path(), "bad.conf", text);
            let e = url(std::slice::from_ref(&f), &[]).unwrap_err().to_string();
            assert!(e.starts_with(&format!("{}:{line}: ", f.display())), "{e}");
        }
        let e = url(&[PathBuf::from("/nonexistent/neutron.conf")], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read config file /nonexistent/neutron.conf"),
            "{e}"
        );
    }

    #[test]
    fn precedence_is_flag_then_files_then_environment() {
        let d = tempfile::tempdir().unwrap();
        let f = write(
            d.path(),
            "n.conf",
            "[database]\nconnection = sqlite:///from-file.db\n",
        );
        let files = ConfigFiles::load(&[f], &[], "no-such-program").unwrap();
        let env = || Some("sqlite:///from-env.db".to_string());
        assert_eq!(
            resolve_connection(Some("sqlite:///flag.db"), &files, env())
                .unwrap()
                .1,
            UrlSource::Flag
        );
        assert_eq!(
            resolve_connection(None, &files, env()).unwrap().0,
            "sqlite:///from-file.db"
        );
        let none = ConfigFiles::default();
        assert_eq!(
            resolve_connection(None, &none, env()).unwrap(),
            ("sqlite:///from-env.db".into(), UrlSource::Environment)
        );
        assert!(matches!(
            resolve_connection(None, &none, None),
            Err(ConfigError::NoConnection)
        ));
    }

    #[test]
    fn devices_fifos_and_directories_are_refused_naming_option_and_file() {
        let d = tempfile::tempdir().unwrap();
        let e = url(&[d.path().to_path_buf()], &[]).unwrap_err();
        assert!(matches!(&e, ConfigError::Unreadable { .. }));
        assert_eq!(
            e.to_string(),
            format!(
                "--config-file {}: a directory, not a regular file; name a regular file (of at most 16 MiB)",
                d.path().display()
            )
        );
        #[cfg(unix)]
        {
            let e = url(&[PathBuf::from("/dev/zero")], &[])
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("--config-file /dev/zero: a character device"),
                "{e}"
            );
            let fifo = d.path().join("fifo.conf");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                let e = url(std::slice::from_ref(&fifo), &[])
                    .unwrap_err()
                    .to_string();
                assert!(
                    e.starts_with(&format!("--config-file {}: a FIFO", fifo.display())),
                    "{e}"
                );
                // A FIFO among a --config-dir's files is no file of it.
                let found = url(&[], &[d.path().to_path_buf()]).unwrap_err().to_string();
                assert!(found.contains("has no 'connection' setting"), "{found}");
            }
        }
        let big = d.path().join("big.conf");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(CONFIG_FILE_LIMIT + 1).unwrap();
        let e = url(std::slice::from_ref(&big), &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "--config-file {}: larger than 16 MiB, the most it may hold",
                big.display()
            )
        );
    }
}

//! Which database to use: `--database-connection`, a neutron.conf-style INI file, or `DATABASE_URL`.

use std::fmt;
use std::path::{Path, PathBuf};

use ini::{Ini, ParseOption};
use thiserror::Error;

/// Where the connection URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-connection`.
    Flag,
    /// `connection` in the `[database]` section of this file.
    ConfigFile(PathBuf),
    /// The `DATABASE_URL` environment variable.
    Environment,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Flag => f.write_str("--database-connection"),
            UrlSource::ConfigFile(p) => write!(f, "[database] connection in {}", p.display()),
            UrlSource::Environment => f.write_str("DATABASE_URL"),
        }
    }
}

/// No usable connection setting.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// Nothing names a database.
    #[error(
        "no database given: pass --database-connection URL, or --config-file FILE with 'connection = URL' under [database], or set DATABASE_URL"
    )]
    NoConnection,
    /// The config file cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid INI.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The config file has no `[database]` `connection`.
    #[error("config file {} has no 'connection' setting in its [database] section", path.display())]
    MissingSetting {
        /// The file.
        path: PathBuf,
    },
}

/// Picks the connection URL: the flag, else the config file, else `DATABASE_URL`.
pub fn resolve_connection(
    flag: Option<&str>,
    config_file: Option<&Path>,
    environment: Option<String>,
) -> Result<(String, UrlSource), ConfigError> {
    if let Some(url) = flag.filter(|u| !u.trim().is_empty()) {
        return Ok((url.to_string(), UrlSource::Flag));
    }
    if let Some(path) = config_file {
        return read_config_file(path).map(|url| (url, UrlSource::ConfigFile(path.to_path_buf())));
    }
    match environment.filter(|u| !u.trim().is_empty()) {
        Some(url) => Ok((url, UrlSource::Environment)),
        None => Err(ConfigError::NoConnection),
    }
}

/// Reads `connection` from the `[database]` section of an oslo.config (neutron.conf) style file.
pub fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let options = ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..ParseOption::default()
    };
    let ini = Ini::load_from_str_opt(&text, options).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: e.line + 1,
        message: e.msg.to_string(),
    })?;
    ini.section(Some("database"))
        .and_then(|s| s.get_all("connection").last())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ConfigError::MissingSetting {
            path: path.to_path_buf(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn reads_a_neutron_conf() {
        let f = write(
            "[DEFAULT]\n# a comment\ncore_plugin = quark.plugin.Plugin\n; another\n\n[database]\n# connection = mysql://old\nconnection=mysql://u:p#w;x@h/db\nmax_pool_size = 10\n\n[quark]\nx = y\n",
        );
        assert_eq!(read_config_file(f.path()).unwrap(), "mysql://u:p#w;x@h/db");
    }

    #[test]
    fn missing_setting_and_missing_file_are_named() {
        let f = write("[DEFAULT]\nconnection = sqlite://\n");
        let e = read_config_file(f.path()).unwrap_err().to_string();
        assert!(
            e.contains("no 'connection' setting in its [database] section"),
            "{e}"
        );
        assert!(e.contains(&f.path().display().to_string()));
        let e = read_config_file(Path::new("/nonexistent/neutron.conf"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read config file /nonexistent/neutron.conf"),
            "{e}"
        );
    }

    #[test]
    fn precedence_is_flag_then_file_then_environment() {
        let f = write("[database]\nconnection = sqlite:///from-file.db\n");
        let env = || Some("sqlite:///from-env.db".to_string());
        assert_eq!(
            resolve_connection(Some("sqlite:///flag.db"), Some(f.path()), env())
                .unwrap()
                .1,
            UrlSource::Flag
        );
        assert_eq!(
            resolve_connection(None, Some(f.path()), env()).unwrap().0,
            "sqlite:///from-file.db"
        );
        assert_eq!(
            resolve_connection(None, None, env()).unwrap(),
            ("sqlite:///from-env.db".into(), UrlSource::Environment)
        );
        assert!(matches!(
            resolve_connection(None, None, None),
            Err(ConfigError::NoConnection)
        ));
    }
}

//! Database URLs as SQLAlchemy and neutron.conf write them, and masking their passwords.

use std::fmt;

use percent_encoding::percent_decode_str;
use thiserror::Error;

use crate::revision::Dialect;

/// A parsed database URL such as `sqlite:////var/lib/quark.db` or
/// `mysql+pymysql://quark:secret@db:3306/quark?charset=utf8mb4`.
///
/// Its `Display` masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The SQL dialect named by the scheme.
    pub dialect: Dialect,
    /// The `+driver` part of the scheme, accepted and ignored.
    pub driver: Option<String>,
    /// User name, percent-decoded.
    pub username: Option<String>,
    /// Password, percent-decoded. Never print it.
    pub password: Option<String>,
    /// Host name or address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database name; for SQLite, the file path (`None` for an in-memory database).
    pub database: Option<String>,
    /// Query options, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    raw: String,
}

/// A URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid database URL '{url}': {reason}")]
pub struct UrlError {
    /// The URL with its password masked.
    pub url: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.masked())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

impl DatabaseUrl {
    /// Parses a URL; the `+driver` part of the scheme is accepted and ignored.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, UrlError> {
        let raw = raw.trim();
        let fail = |reason: &str| UrlError {
            url: mask_password(raw),
            reason: reason.to_string(),
        };
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| fail("expected <dialect>://..."))?;
        let (name, driver) = match scheme.split_once('+') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (scheme, None),
        };
        let dialect = Dialect::from_name(name).ok_or_else(|| {
            fail(&format!(
                "unknown database '{name}'; use sqlite, postgresql or mysql"
            ))
        })?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, parse_query(q)),
            None => (rest, Vec::new()),
        };
        let mut url = DatabaseUrl {
            dialect,
            driver,
            username: None,
            password: None,
            host: None,
            port: None,
            database: None,
            query,
            raw: raw.to_string(),
        };
        if dialect == Dialect::Sqlite {
            let path = rest.strip_prefix('/');
            if path.is_none() && !rest.is_empty() {
                return Err(fail(
                    "a SQLite URL is sqlite:////absolute/path, sqlite:///relative/path or sqlite://",
                ));
            }
            url.database = path
                .filter(|p| !p.is_empty() && *p != ":memory:")
                .map(decode);
            return Ok(url);
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let hostport = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => {
                let (user, pass) = match userinfo.split_once(':') {
                    Some((u, p)) => (u, Some(decode(p))),
                    None => (userinfo, None),
                };
                url.username = Some(decode(user)).filter(|u| !u.is_empty());
                url.password = pass;
                hostport
            }
            None => authority,
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| fail("unclosed '[' in the host"))?;
            (h, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        url.host = Some(decode(host)).filter(|h| !h.is_empty());
        if let Some(p) = port.filter(|p| !p.is_empty()) {
            url.port = Some(
                p.parse()
                    .map_err(|_| fail(&format!("port '{p}' is not a number from 0 to 65535")))?,
            );
        }
        url.database = Some(decode(path)).filter(|d| !d.is_empty());
        Ok(url)
    }

    /// The URL as given, with the password replaced by `***`.
    pub fn masked(&self) -> String {
        mask_password(&self.raw)
    }

    /// The value of query option `key`, if given.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Replaces the password in any URL-like text (`user:pw@`, `password=` options) with `***`.
pub fn mask_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let rest = &text[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = text[..scheme_end].to_string();
    match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            match userinfo.split_once(':') {
                Some((user, _)) => out.push_str(&format!("{user}:***")),
                None => out.push_str(userinfo),
            }
            out.push('@');
            out.push_str(hostport);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    match tail.split_once('?') {
        None => out.push_str(tail),
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _))
                        if matches!(
                            k.to_ascii_lowercase().as_str(),
                            "password" | "pass" | "passwd"
                        ) =>
                    {
                        format!("{k}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&masked.join("&"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_forms() {
        let abs = DatabaseUrl::parse("sqlite:////home/vagrant/dev/quark.db").unwrap();
        assert_eq!(
            (abs.dialect, abs.database.as_deref()),
            (Dialect::Sqlite, Some("/home/vagrant/dev/quark.db"))
        );
        let rel = DatabaseUrl::parse("sqlite:///relative/quark.db").unwrap();
        assert_eq!(rel.database.as_deref(), Some("relative/quark.db"));
        assert_eq!(DatabaseUrl::parse("sqlite://").unwrap().database, None);
        assert_eq!(
            DatabaseUrl::parse("sqlite:///:memory:").unwrap().database,
            None
        );
        assert!(DatabaseUrl::parse("sqlite://host/x.db").is_err());
    }

    #[test]
    fn server_urls_with_drivers_ports_options_and_encoded_passwords() {
        let u = DatabaseUrl::parse(
            "mysql+pymysql://quark:p%40ss%3Aw@db.example:3307/quark?charset=utf8mb4",
        )
        .unwrap();
        assert_eq!(u.dialect, Dialect::Mysql);
        assert_eq!(u.driver.as_deref(), Some("pymysql"));
        assert_eq!(u.username.as_deref(), Some("quark"));
        assert_eq!(u.password.as_deref(), Some("p@ss:w"));
        assert_eq!(
            (u.host.as_deref(), u.port),
            (Some("db.example"), Some(3307))
        );
        assert_eq!(u.database.as_deref(), Some("quark"));
        assert_eq!(u.option("charset"), Some("utf8mb4"));
        let pg =
            DatabaseUrl::parse("postgresql+psycopg2://u@[::1]:5432/db?host=/var/run/postgresql")
                .unwrap();
        assert_eq!(
            (pg.dialect, pg.host.as_deref(), pg.port),
            (Dialect::Postgresql, Some("::1"), Some(5432))
        );
        assert_eq!(pg.option("host"), Some("/var/run/postgresql"));
        assert_eq!(
            DatabaseUrl::parse("mariadb://root@localhost/test")
                .unwrap()
                .dialect,
            Dialect::Mysql
        );
    }

    #[test]
    fn bad_urls_name_the_problem_without_the_password() {
        let e = DatabaseUrl::parse("oracle://u:secret@h/db").unwrap_err();
        assert!(e.to_string().contains("unknown database 'oracle'"));
        assert!(!e.to_string().contains("secret"));
        let e = DatabaseUrl::parse("mysql://u:secret@h:port/db").unwrap_err();
        assert!(e.reason.contains("port 'port'"));
        assert!(!e.to_string().contains("secret"));
        assert!(DatabaseUrl::parse("quark.db").is_err());
    }

    #[test]
    fn masking() {
        assert_eq!(
            mask_password("mysql://quark:secret@db/quark"),
            "mysql://quark:***@db/quark"
        );
        assert_eq!(
            mask_password("mysql://quark@db/quark"),
            "mysql://quark@db/quark"
        );
        assert_eq!(
            mask_password("postgresql://u:a@b@h/db?sslmode=require&password=x"),
            "postgresql://u:***@h/db?sslmode=require&password=***"
        );
        assert_eq!(mask_password("sqlite:////tmp/q.db"), "sqlite:////tmp/q.db");
        let u = DatabaseUrl::parse("postgresql://u:topsecret@h/db").unwrap();
        assert!(!format!("{u} {u:?}").contains("topsecret"));
    }
}

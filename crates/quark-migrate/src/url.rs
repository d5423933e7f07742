//! Database URLs as SQLAlchemy and neutron.conf write them, and masking their passwords.
//!
//! A password may hold any character unencoded, `/`, `?`, `#`, `:` and `@` included: it runs to
//! the last `@` of the URL, so an `@` after the password (in a query option or the database
//! name) must be percent-encoded (`%40`), as must an `&` in a query option's value. Whatever is shown
//! of a URL — its `Display` and `Debug`, [`DatabaseUrl::masked`], errors — hides the password and
//! the values of the query options that hold secrets ([`is_secret_option`]); a text that does not
//! parse as a URL is hidden from its scheme to its last `@`.

use std::fmt;

use percent_encoding::percent_decode_str;
use thiserror::Error;

use crate::revision::Dialect;

/// A parsed database URL such as `sqlite:////var/lib/quark.db` or
/// `mysql+pymysql://quark:secret@db:3306/quark?charset=utf8mb4`.
///
/// Its `Display` and `Debug` mask the password and the values of secret query options.
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
    /// Every server to try, in order, each with its port (`None`: the default), as libpq reads
    /// them: the hosts before the path (`postgresql://h1:5432,h2:5433/db`), or the `host=` and
    /// `port=` query options (`?host=h1,h2&port=5432,5433`: one port for every host, or one
    /// per host), which take precedence, as in libpq. One entry for a URL of one host, none for
    /// a URL that names no host. [`DatabaseUrl::host`] and [`DatabaseUrl::port`] stay the first
    /// host and port written before the path.
    pub hosts: Vec<(String, Option<u16>)>,
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
    /// The URL masked from its scheme to its last `@` (and its secret query options).
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

/// Whether `s` is a URL scheme, `<dialect>[+<driver>]` (letters, digits, `+`, `-`, `.`, `_`).
fn is_scheme(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_'))
}

/// The scheme of `text` (before its first `://`, when that is a scheme) and what follows it.
pub(crate) fn split_scheme(text: &str) -> (Option<&str>, &str) {
    match text.split_once("://") {
        Some((scheme, rest)) if is_scheme(scheme) => (Some(scheme), rest),
        _ => (None, text),
    }
}

/// The user information of a server URL's `rest` (after `://`): a user name (up to the first
/// `:`, `/`, `?` or `@`) and `@`, or a user name, `:`, a password that runs to the last `@`,
/// and `@`. Returns the user name, the password as written, and what follows the `@`.
pub(crate) fn split_userinfo(rest: &str) -> (Option<(&str, Option<&str>)>, &str) {
    let user_end = rest.find([':', '/', '?', '@']).unwrap_or(rest.len());
    let user = &rest[..user_end];
    match rest[user_end..].chars().next() {
        Some('@') => (Some((user, None)), &rest[user_end + 1..]),
        Some(':') => match rest.rfind('@') {
            Some(at) if at > user_end => {
                (Some((user, Some(&rest[user_end + 1..at]))), &rest[at + 1..])
            }
            _ => (None, rest),
        },
        _ => (None, rest),
    }
}

/// Whether the value of query option `key` (percent-decoded) is a secret, hidden wherever a URL
/// is shown: any key that, in lower case and without punctuation, contains `password`,
/// `passwd`, `passphrase`, `secret`, `token`, `credential`, `apikey`, `privatekey` or `sslkey`,
/// or ends in `pass`, `pwd` or `pw` (`password`, `sslpassword`, `PWD`, `pass`, `ssl_key`,
/// `client_secret`, ...).
pub(crate) fn is_secret_option(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const WORDS: [&str; 9] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "apikey",
        "privatekey",
        "sslkey",
    ];
    WORDS.iter().any(|w| key.contains(w))
        || ["pass", "pwd", "pw"].iter().any(|end| key.ends_with(end))
}

impl DatabaseUrl {
    /// Parses a URL; the `+driver` part of the scheme is accepted and ignored.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, UrlError> {
        let raw = raw.trim();
        let fail = |reason: &str| UrlError {
            url: mask_unparsed(raw),
            reason: reason.to_string(),
        };
        let (scheme, rest) = split_scheme(raw);
        let scheme = scheme.ok_or_else(|| fail("expected <dialect>://..."))?;
        let (name, driver) = match scheme.split_once('+') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (scheme, None),
        };
        let dialect = Dialect::from_name(name).ok_or_else(|| {
            fail(&format!(
                "unknown database '{name}'; use sqlite, postgresql or mysql"
            ))
        })?;
        let mut url = DatabaseUrl {
            dialect,
            driver,
            username: None,
            password: None,
            host: None,
            port: None,
            hosts: Vec::new(),
            database: None,
            query: Vec::new(),
            raw: raw.to_string(),
        };
        if dialect == Dialect::Sqlite {
            let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
            let path = rest.strip_prefix('/');
            if path.is_none() && !rest.is_empty() {
                return Err(fail(
                    "a SQLite URL is sqlite:////absolute/path, sqlite:///relative/path or sqlite://",
                ));
            }
            url.query = parse_query(query);
            url.database = path
                .filter(|p| !p.is_empty() && *p != ":memory:")
                .map(decode);
            return Ok(url);
        }
        let (userinfo, rest) = split_userinfo(rest);
        if let Some((user, pass)) = userinfo {
            url.username = Some(decode(user)).filter(|u| !u.is_empty());
            url.password = pass.map(decode);
        }
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        url.query = parse_query(query);
        let (hostports, path) = rest.split_once('/').unwrap_or((rest, ""));
        let written = host_list(hostports).map_err(|reason| fail(&reason))?;
        if let Some((host, port)) = written.first() {
            url.host = Some(host.clone()).filter(|h| !h.is_empty());
            url.port = *port;
        }
        url.hosts = url.every_host(written).map_err(|reason| fail(&reason))?;
        url.database = Some(decode(path)).filter(|d| !d.is_empty());
        Ok(url)
    }

    /// The servers to try: the `host=` and `port=` query options paired as libpq pairs them,
    /// each falling back on what is `written` before the path.
    fn every_host(
        &self,
        written: Vec<(String, Option<u16>)>,
    ) -> Result<Vec<(String, Option<u16>)>, String> {
        let hosts: Vec<String> = match self.option("host") {
            Some(list) => list.split(',').map(|h| h.trim().to_string()).collect(),
            None => written.iter().map(|(h, _)| h.clone()).collect(),
        };
        let ports: Vec<Option<u16>> = match self.option("port") {
            Some(list) => list
                .split(',')
                .map(|p| parse_port(p.trim()))
                .collect::<Result<_, _>>()?,
            None => written.iter().map(|(_, p)| *p).collect(),
        };
        if hosts.len() > 1 && hosts.iter().any(String::is_empty) {
            return Err(format!(
                "an empty host in the host list '{}'",
                hosts.join(",")
            ));
        }
        if hosts.iter().all(String::is_empty) {
            return Ok(Vec::new());
        }
        let port = |i: usize| match ports.len() {
            0 => Ok(None),
            1 => Ok(ports[0]),
            n if n == hosts.len() => Ok(ports[i]),
            n => Err(format!(
                "{n} ports for {} hosts: give one port for every host, or one per host",
                hosts.len()
            )),
        };
        hosts
            .iter()
            .enumerate()
            .map(|(i, h)| Ok((h.clone(), port(i)?)))
            .collect()
    }

    /// The URL as given, with the password and the values of secret query options replaced by
    /// `***`.
    pub fn masked(&self) -> String {
        let (scheme, rest) = split_scheme(&self.raw);
        let mut out = format!("{}://", scheme.unwrap_or_default());
        if self.dialect == Dialect::Sqlite {
            out.push_str(&mask_query(rest));
            return out;
        }
        let (userinfo, rest) = split_userinfo(rest);
        if let Some((user, pass)) = userinfo {
            out.push_str(user);
            if pass.is_some() {
                out.push_str(":***");
            }
            out.push('@');
        }
        out.push_str(&mask_query(rest));
        out
    }

    /// This URL for the tenant `name`: on PostgreSQL the schema `name` of the same database
    /// (the `schema` option), on MySQL the database `name` on the same server.
    pub fn for_tenant(&self, name: &str) -> Result<DatabaseUrl, UrlError> {
        let fail = |reason: String| UrlError {
            url: self.masked(),
            reason,
        };
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(fail(format!(
                "the tenant name {name:?} is empty or holds a control character"
            )));
        }
        const KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'_')
            .remove(b'-')
            .remove(b'.');
        let encoded = percent_encoding::utf8_percent_encode(name, KEPT).to_string();
        let (_, after_scheme) = split_scheme(&self.raw);
        let (_, rest) = split_userinfo(after_scheme);
        let prefix = &self.raw[..self.raw.len() - rest.len()];
        let (hostpath, query) = match rest.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (rest, None),
        };
        let text = match self.dialect {
            Dialect::Postgresql => {
                if self.option("schema").is_some() {
                    return Err(fail(
                        "the URL names a schema already: give the database's URL without `schema=` to name its tenants".to_string(),
                    ));
                }
                match query {
                    Some(q) if !q.is_empty() && !q.ends_with('&') => {
                        format!("{}&schema={encoded}", self.raw)
                    }
                    Some(_) => format!("{}schema={encoded}", self.raw),
                    None => format!("{}?schema={encoded}", self.raw),
                }
            }
            Dialect::Mysql => {
                let hosts = hostpath.split_once('/').map_or(hostpath, |(h, _)| h);
                let query = query.map(|q| format!("?{q}")).unwrap_or_default();
                format!("{prefix}{hosts}/{encoded}{query}")
            }
            Dialect::Sqlite => {
                return Err(fail(
                    "a SQLite database has no tenants inside it: list each tenant's file (--databases)".to_string(),
                ));
            }
        };
        DatabaseUrl::parse(&text)
    }

    /// The URL as written, its password included: never show it.
    #[cfg(feature = "cli")]
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// The URL without its `schema` option, as written: the same text for every tenant schema
    /// of one database (never show it: it holds the password).
    pub(crate) fn without_schema(&self) -> String {
        let (_, after_scheme) = split_scheme(&self.raw);
        let (_, rest) = split_userinfo(after_scheme);
        let prefix = &self.raw[..self.raw.len() - rest.len()];
        let Some((path, query)) = rest.split_once('?') else {
            return self.raw.clone();
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| decode(pair.split('=').next().unwrap_or("")) != "schema")
            .collect();
        format!("{prefix}{path}?{}", kept.join("&"))
    }

    /// The value of query option `key`, if given.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A port as written: empty for the default, else a number from 0 to 65535.
fn parse_port(p: &str) -> Result<Option<u16>, String> {
    if p.is_empty() {
        return Ok(None);
    }
    p.parse()
        .map(Some)
        .map_err(|_| format!("port '{p}' is not a number from 0 to 65535"))
}

/// The hosts written before the path, comma-separated (`h1:5432,[::1]:5433,h3`), each
/// percent-decoded with its port; one entry, perhaps an empty host, when none is written.
fn host_list(hostports: &str) -> Result<Vec<(String, Option<u16>)>, String> {
    hostports
        .split(',')
        .map(|hostport| {
            let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
                let (h, after) = v6
                    .split_once(']')
                    .ok_or_else(|| "unclosed '[' in the host".to_string())?;
                (h, after.strip_prefix(':'))
            } else {
                match hostport.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (hostport, None),
                }
            };
            Ok((decode(host), parse_port(port.unwrap_or_default())?))
        })
        .collect()
}

/// The query options `a=1&b=2`, percent-decoded. Empty pairs are skipped; a pair without `=`
/// after a secret option is taken for the rest of its value, which held an unencoded `&`.
fn parse_query(q: &str) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = Vec::new();
    let mut secret = false;
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((k, v)) => {
                let key = decode(k);
                secret = is_secret_option(&key);
                options.push((key, decode(v)));
            }
            None if secret => {
                if let Some((_, value)) = options.last_mut() {
                    value.push('&');
                    value.push_str(&decode(pair));
                }
            }
            None => options.push((decode(pair), String::new())),
        }
    }
    options
}

/// `rest` with the values of its query's secret options replaced by `***` (and dropped: the
/// pairs without `=` that follow one, read as the rest of its value).
fn mask_query(rest: &str) -> String {
    let Some((before, query)) = rest.split_once('?') else {
        return rest.to_string();
    };
    let mut pairs: Vec<String> = Vec::new();
    let mut secret = false;
    for pair in query.split('&') {
        match pair.split_once('=') {
            _ if pair.is_empty() => pairs.push(String::new()),
            Some((k, _)) if is_secret_option(&decode(k)) => {
                secret = true;
                pairs.push(format!("{k}=***"));
            }
            None if secret => {}
            _ => {
                secret = false;
                pairs.push(pair.to_string());
            }
        }
    }
    format!("{before}?{}", pairs.join("&"))
}

/// A text that does not parse as a URL, hidden from its scheme (or its start) to its last `@`,
/// with the values of secret query options hidden after that.
fn mask_unparsed(text: &str) -> String {
    let (scheme, rest) = split_scheme(text);
    let mut out = scheme.map(|s| format!("{s}://")).unwrap_or_default();
    let rest = match rest.rsplit_once('@') {
        Some((_, after)) => {
            out.push_str("***@");
            after
        }
        None => rest,
    };
    out.push_str(&mask_query(rest));
    out
}

/// Replaces the password in any URL-like text with `***`: a URL's password and the values of
/// its secret query options ([`is_secret_option`]) when it parses; otherwise everything from the
/// scheme (or the start) to the last `@`, and the secret options after it.
pub fn mask_password(text: &str) -> String {
    match DatabaseUrl::parse(text) {
        Ok(url) => url.masked(),
        Err(_) => mask_unparsed(text),
    }
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

    fn hosts(list: &[(&str, Option<u16>)]) -> Vec<(String, Option<u16>)> {
        list.iter().map(|(h, p)| (h.to_string(), *p)).collect()
    }

    #[test]
    fn several_hosts_before_the_path_as_libpq_writes_them() {
        let u = DatabaseUrl::parse(
            "postgresql://app:s3cret@db1:5432,db2:5433,[::1]:5434,db4/app?target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(
            u.hosts,
            hosts(&[
                ("db1", Some(5432)),
                ("db2", Some(5433)),
                ("::1", Some(5434)),
                ("db4", None)
            ])
        );
        // The first host stays where a single-host URL has it.
        assert_eq!((u.host.as_deref(), u.port), (Some("db1"), Some(5432)));
        assert_eq!(u.database.as_deref(), Some("app"));
        assert_eq!(u.password.as_deref(), Some("s3cret"));
        assert_eq!(u.option("target_session_attrs"), Some("read-write"));
        assert_eq!(
            u.masked(),
            "postgresql://app:***@db1:5432,db2:5433,[::1]:5434,db4/app?target_session_attrs=read-write"
        );
        assert!(!format!("{u} {u:?}").contains("s3cret"));
        // Percent-encoded hosts are decoded; no user information at all parses too.
        let u = DatabaseUrl::parse("postgresql://h%2Done:1,h2:2/db").unwrap();
        assert_eq!(u.hosts, hosts(&[("h-one", Some(1)), ("h2", Some(2))]));
        // One host: one entry; none: no entry.
        let one = DatabaseUrl::parse("postgresql://u@h:5432/db").unwrap();
        assert_eq!(one.hosts, hosts(&[("h", Some(5432))]));
        assert!(
            DatabaseUrl::parse("postgresql://u@/db")
                .unwrap()
                .hosts
                .is_empty()
        );
    }

    #[test]
    fn host_and_port_query_options_list_the_hosts_too() {
        let u = DatabaseUrl::parse("postgresql://u@/db?host=h1,h2,h3&port=5432,5433,5434").unwrap();
        assert_eq!(
            u.hosts,
            hosts(&[("h1", Some(5432)), ("h2", Some(5433)), ("h3", Some(5434))])
        );
        assert_eq!(
            (u.host, u.port),
            (None, None),
            "as before: nothing before the path"
        );
        // One port for every host; the query options take precedence over the hosts before the
        // path, and a port written there serves the query's hosts.
        let u = DatabaseUrl::parse("postgresql://u@x:1/db?host=h1,h2&port=6000").unwrap();
        assert_eq!(u.hosts, hosts(&[("h1", Some(6000)), ("h2", Some(6000))]));
        let u = DatabaseUrl::parse("postgresql://u@:5433/db?host=/var/run/postgresql").unwrap();
        assert_eq!(u.hosts, hosts(&[("/var/run/postgresql", Some(5433))]));
        let u = DatabaseUrl::parse("postgresql://h1,h2/db?port=7000").unwrap();
        assert_eq!(u.hosts, hosts(&[("h1", Some(7000)), ("h2", Some(7000))]));
        // An empty port is the default.
        let u = DatabaseUrl::parse("postgresql://u@/db?host=h1,h2&port=,5433").unwrap();
        assert_eq!(u.hosts, hosts(&[("h1", None), ("h2", Some(5433))]));
    }

    #[test]
    fn host_lists_that_do_not_pair_or_parse_are_refused() {
        for (raw, reason) in [
            (
                "postgresql://u:pw1x@/db?host=h1,h2,h3&port=1,2",
                "2 ports for 3 hosts",
            ),
            ("postgresql://u:pw1x@h1:1,h2:x/db", "port 'x'"),
            ("postgresql://u:pw1x@/db?host=h1&port=99999", "port '99999'"),
            (
                "postgresql://u:pw1x@h1,,h3/db",
                "an empty host in the host list",
            ),
            ("postgresql://u:pw1x@h1,[::1/db", "unclosed '['"),
        ] {
            let e = DatabaseUrl::parse(raw).unwrap_err();
            assert!(e.reason.contains(reason), "{raw}: {e}");
            assert!(!e.to_string().contains("pw1x"), "{e}");
        }
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
    fn a_tenant_is_a_schema_on_postgresql_and_a_database_on_mysql() {
        let pg = DatabaseUrl::parse("postgresql://u:p?w@h1,h2:5433/app?sslmode=require").unwrap();
        let t = pg.for_tenant("acme co").unwrap();
        assert_eq!(t.option("schema"), Some("acme co"));
        assert_eq!(t.option("sslmode"), Some("require"));
        assert_eq!(
            (t.password.as_deref(), t.database.as_deref()),
            (Some("p?w"), Some("app"))
        );
        assert_eq!(t.hosts, pg.hosts);
        let bare = DatabaseUrl::parse("postgresql://h/app").unwrap();
        assert_eq!(
            bare.for_tenant("t_1").unwrap().masked(),
            "postgresql://h/app?schema=t_1"
        );
        assert!(
            t.for_tenant("other")
                .unwrap_err()
                .reason
                .contains("names a schema already")
        );
        let my = DatabaseUrl::parse("mysql://root:s3cret@db:3306/main?charset=utf8mb4").unwrap();
        let t = my.for_tenant("tenant-7").unwrap();
        assert_eq!(t.database.as_deref(), Some("tenant-7"));
        assert_eq!((t.port, t.option("charset")), (Some(3306), Some("utf8mb4")));
        assert_eq!(
            t.masked(),
            "mysql://root:***@db:3306/tenant-7?charset=utf8mb4"
        );
        let odd = DatabaseUrl::parse("mysql://db")
            .unwrap()
            .for_tenant("a/b?c")
            .unwrap();
        assert_eq!(odd.database.as_deref(), Some("a/b?c"));
        for bad in ["", "a\nb"] {
            assert!(my.for_tenant(bad).is_err(), "{bad:?}");
        }
        let a = pg.for_tenant("a").unwrap();
        let b = pg.for_tenant("b b").unwrap();
        assert_eq!(a.without_schema(), b.without_schema());
        assert_eq!(a.without_schema(), pg.raw);
        let other =
            DatabaseUrl::parse("postgresql://u:p?w@h1,h2:5433/app2?sslmode=require").unwrap();
        assert_ne!(
            other.for_tenant("a").unwrap().without_schema(),
            a.without_schema()
        );
        let err = DatabaseUrl::parse("sqlite:///x.db")
            .unwrap()
            .for_tenant("a")
            .unwrap_err();
        assert!(err.reason.contains("--databases"), "{err}");
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

    /// Every way a URL is shown: masked, `Display`, `Debug`, or the error's `Display` and `Debug`.
    fn shown(raw: &str) -> String {
        let parsed = match DatabaseUrl::parse(raw) {
            Ok(u) => format!("{} | {u} | {u:?}", u.masked()),
            Err(e) => format!("{e} | {e:?}"),
        };
        format!("{} | {parsed}", mask_password(raw))
    }

    #[test]
    fn passwords_with_unencoded_special_characters_are_parsed_and_hidden() {
        for (raw, password, masked) in [
            ("mysql://u:pa/ss@h/db", "pa/ss", "mysql://u:***@h/db"),
            ("mysql://u:12/ss@h/db", "12/ss", "mysql://u:***@h/db"),
            (
                "mysql://u:p?ss@h/db?charset=utf8",
                "p?ss",
                "mysql://u:***@h/db?charset=utf8",
            ),
            (
                "postgresql://u:a@b@h:5432/db",
                "a@b",
                "postgresql://u:***@h:5432/db",
            ),
            ("mysql://u:p#w;x@h/db", "p#w;x", "mysql://u:***@h/db"),
            ("mysql://u:a:b:c@h/db", "a:b:c", "mysql://u:***@h/db"),
            (
                "mysql://u:%2F/?@#:x@[::1]:3306/db",
                "//?@#:x",
                "mysql://u:***@[::1]:3306/db",
            ),
            ("mysql://:sec/ret@h/db", "sec/ret", "mysql://:***@h/db"),
        ] {
            let u = DatabaseUrl::parse(raw).unwrap();
            assert_eq!(u.password.as_deref(), Some(password), "{raw}");
            assert_eq!(u.host.as_deref().map(|h| h.len() <= 3), Some(true), "{raw}");
            assert_eq!(u.masked(), masked);
            assert_eq!(mask_password(raw), masked);
            let shown = shown(raw);
            let written = &raw[raw.find(':').unwrap() + 3..raw.rfind('@').unwrap()];
            let written = &written[written.find(':').unwrap() + 1..];
            assert!(!shown.contains(written), "{shown}");
        }
        // An `@` in a query option is read after the user information when no password is given.
        let u = DatabaseUrl::parse("mysql://u@h/db?init=a@b").unwrap();
        assert_eq!(
            (u.username.as_deref(), u.host.as_deref(), u.option("init")),
            (Some("u"), Some("h"), Some("a@b"))
        );
        let u = DatabaseUrl::parse("mysql://h/db?x=a@b").unwrap();
        assert_eq!((u.username, u.host.as_deref()), (None, Some("h")));
    }

    #[test]
    fn urls_that_do_not_parse_are_hidden_to_their_last_at() {
        for (raw, masked) in [
            ("mysql://u:pa/ss@h:port/db", "mysql://***@h:port/db"),
            ("mysql://u:p?ss@h:x/db", "mysql://***@h:x/db"),
            ("oracle://u:s/e?c@r@h/db", "oracle://***@h/db"),
            ("sqlite://u:secret@h/x.db", "sqlite://***@h/x.db"),
            ("u:secret@host/db", "***@host/db"),
            ("mysql:u:s3cr/t@host/db", "***@host/db"),
            ("u:p://x@mysql://h/db", "***@mysql://h/db"),
            ("mysql://u:secret@[::1/db", "mysql://***@[::1/db"),
            ("quark.db", "quark.db"),
            ("host/db?password=hunter22&x=1", "host/db?password=***&x=1"),
        ] {
            assert!(DatabaseUrl::parse(raw).is_err(), "{raw}");
            assert_eq!(mask_password(raw), masked, "{raw}");
            for secret in ["pa/ss", "p?ss", "s/e?c@r", "secret", "s3cr/t", "hunter22"] {
                assert!(!shown(raw).contains(secret), "{}", shown(raw));
            }
        }
    }

    #[test]
    fn secret_query_options_are_hidden_in_any_case() {
        let raw = "postgresql://u@h/db?sslmode=require&PassWord=pw1x&sslpassword=pw2x&pwd=pw3x\
                   &passwd=pw4x&pass=pw5x&client_secret=pw6x&ssl_key=pw7x&Pass%77ord=pw8x\
                   &application_name=app";
        let u = DatabaseUrl::parse(raw).unwrap();
        assert_eq!(
            u.masked(),
            "postgresql://u@h/db?sslmode=require&PassWord=***&sslpassword=***&pwd=***\
             &passwd=***&pass=***&client_secret=***&ssl_key=***&Pass%77ord=***\
             &application_name=app"
        );
        assert_eq!(u.option("sslpassword"), Some("pw2x"));
        let shown = shown(raw);
        for i in 1..=8 {
            assert!(!shown.contains(&format!("pw{i}x")), "{shown}");
        }
        // An unencoded `&` in a secret value: the pairs without `=` after it belong to it.
        let u = DatabaseUrl::parse("mysql://h/db?password=a&b&c&charset=utf8").unwrap();
        assert_eq!(u.option("password"), Some("a&b&c"));
        assert_eq!(u.option("charset"), Some("utf8"));
        assert_eq!(u.masked(), "mysql://h/db?password=***&charset=utf8");
        // In an SQLite URL too, and in one that does not parse.
        assert_eq!(
            mask_password("sqlite:////tmp/q.db?key=1&password=x"),
            "sqlite:////tmp/q.db?key=1&password=***"
        );
        assert_eq!(
            mask_password("mysql://h:bad/db?pwd=x"),
            "mysql://h:bad/db?pwd=***"
        );
        assert!(!is_secret_option("sslmode") && !is_secret_option("host"));
        assert!(!is_secret_option("charset") && !is_secret_option("unix_socket"));
    }

    #[test]
    fn masking_is_idempotent_and_the_masked_url_parses_alike() {
        for raw in [
            "mysql://u:pa/ss@h/db?password=x&y",
            "postgresql://u:a@b@h:5432/db",
            "mysql://u:pa/ss@h:port/db",
            "u:secret@host/db",
            "sqlite:////tmp/a@b.db",
        ] {
            let once = mask_password(raw);
            assert_eq!(mask_password(&once), once, "{raw}");
            if let Ok(u) = DatabaseUrl::parse(raw) {
                let again = DatabaseUrl::parse(&once).unwrap();
                assert_eq!((&again.host, &again.database), (&u.host, &u.database));
            }
        }
        // SQLite paths are paths: an `@` in one is no user information.
        assert_eq!(
            DatabaseUrl::parse("sqlite:////tmp/a@b.db")
                .unwrap()
                .masked(),
            "sqlite:////tmp/a@b.db"
        );
    }
}

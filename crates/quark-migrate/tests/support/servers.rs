//! Real PostgreSQL and MariaDB/MySQL servers on 127.0.0.1 for the tests that need them: a
//! database of their own per test, dropped afterwards. Without a reachable server a test prints
//! why and passes locally; under CI (`CI` set) an unreachable server is a failure. Shared by the
//! engine's tests and quark's (`#[path]`).

use quark_migrate::backend::DatabaseUrl;
use quark_migrate::backend::{self, Backend, ConnectOptions};
use quark_migrate::revision::Dialect;

/// The tables the engine keeps its state in under the default version table: never part of
/// an application's schema.
pub const ENGINE_TABLES: [&str; 8] = [
    "alembic_version",
    "alembic_version_history",
    "alembic_version_revisions",
    "alembic_version_signatures",
    "alembic_version_lock",
    "alembic_version_schema",
    "alembic_version_instances",
    "alembic_version_digest",
];

/// A server kind.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// PostgreSQL on 127.0.0.1:5432.
    Postgres,
    /// MariaDB or MySQL on 127.0.0.1:3306.
    Mysql,
}

impl Kind {
    pub fn dialect(self) -> Dialect {
        match self {
            Kind::Postgres => Dialect::Postgresql,
            Kind::Mysql => Dialect::Mysql,
        }
    }

    pub fn server(self) -> &'static str {
        match self {
            Kind::Postgres => "postgresql://postgres@127.0.0.1:5432",
            Kind::Mysql => "mysql://root@127.0.0.1:3306",
        }
    }
}

/// A database of its own on a real server, dropped on drop.
pub struct TestDb {
    pub kind: Kind,
    pub name: String,
    pub url: String,
}

pub fn connect(url: &str) -> Result<Box<dyn Backend>, quark_migrate::backend::BackendError> {
    let options = ConnectOptions {
        connect_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    backend::connect(&DatabaseUrl::parse(url).unwrap(), &options)
}

impl TestDb {
    pub fn new(kind: Kind) -> Option<TestDb> {
        let admin = match connect(&format!("{}/test", kind.server())) {
            Ok(admin) => admin,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("skipping: no {kind:?} server reachable on 127.0.0.1 ({e})");
                return None;
            }
            Err(e) => panic!("CI must run the {kind:?} tests, but the server is unreachable: {e}"),
        };
        let mut admin = admin;
        let name = database_name();
        admin.run(&format!("CREATE DATABASE {name}")).unwrap();
        let url = format!("{}/{name}", kind.server());
        Some(TestDb { kind, name, url })
    }

    pub fn db(&self) -> Box<dyn Backend> {
        connect(&self.url).unwrap()
    }

    pub fn versions(&self) -> Vec<String> {
        self.db()
            .query(
                "SELECT version_num FROM alembic_version ORDER BY version_num",
                &[],
            )
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap().to_string())
            .collect()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query(sql, &[]).unwrap()[0][0].as_int().unwrap()
    }
}

impl Drop for TestDb {
    /// Drops the database, loudly: a database that cannot be dropped fails the test (a test must
    /// close what holds it first; PostgreSQL's `WITH (FORCE)` ends its sessions), unless the test
    /// is already failing, when the error is printed beside its own.
    fn drop(&mut self) {
        let force = if matches!(self.kind, Kind::Postgres) {
            " WITH (FORCE)"
        } else {
            ""
        };
        let sql = format!("DROP DATABASE IF EXISTS {}{force}", self.name);
        let dropped = connect(&format!("{}/test", self.kind.server()))
            .map_err(|e| format!("cannot connect to drop it: {e}"))
            .and_then(|mut admin| {
                if matches!(self.kind, Kind::Mysql) {
                    // A session of the test still in a transaction on the database makes the
                    // DROP wait for its metadata lock: an error after a minute, not a day's hang.
                    admin
                        .run("SET SESSION lock_wait_timeout = 60")
                        .map_err(|e| e.to_string())?;
                }
                admin.run(&sql).map_err(|e| format!("{sql}: {e}"))
            });
        if let Err(e) = dropped {
            teardown_failed(&format!("{:?} database {}", self.kind, self.name), &e);
        }
    }
}

/// A teardown step that failed: a panic that fails the test, or, when the test is already
/// panicking (a second panic would abort the whole test binary), a line beside its failure.
pub fn teardown_failed(what: &str, error: &str) {
    let message = format!("teardown: could not drop the {what}: {error}");
    if std::thread::panicking() {
        eprintln!("{message}");
    } else {
        panic!("{message}");
    }
}

/// A new name for a test's own database.
pub fn database_name() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    format!(
        "qdm_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// The schema as the server's own catalog lists it (tables, columns, indexes, foreign keys) and
/// the version rows: what two databases that ran the same migrations must agree on.
pub fn catalog(db: &mut dyn Backend, dialect: Dialect) -> Vec<String> {
    let queries: &[&str] = match dialect {
        Dialect::Sqlite => &[
            "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1",
        ],
        Dialect::Postgresql => &[
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1",
            "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
            "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
        ],
        Dialect::Mysql => &[
            "SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable, ' ', coalesce(column_default, '')) FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY 1",
            "SELECT CONCAT(table_name, '.', index_name, ' ', seq_in_index, ' ', column_name, ' ', non_unique) FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY 1",
            "SELECT CONCAT(table_name, '.', constraint_name, ' ', column_name, ' -> ', referenced_table_name, '.', referenced_column_name) FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL ORDER BY 1",
        ],
    };
    let mut out = Vec::new();
    for sql in queries {
        for row in db.query(sql, &[]).unwrap() {
            out.push(row[0].as_text().unwrap_or_default().to_string());
        }
    }
    for row in db
        .query(
            "SELECT version_num FROM alembic_version ORDER BY version_num",
            &[],
        )
        .unwrap()
    {
        out.push(format!("version {}", row[0].as_text().unwrap_or_default()));
    }
    out
}

/// Three tests per scenario, one per dialect (SQLite, PostgreSQL, MySQL/MariaDB); the test file
/// has `Dialect` in scope.
#[allow(unused_macros)]
macro_rules! on_each_backend {
    ($($scenario:ident => $sqlite:ident, $postgres:ident, $mysql:ident;)*) => {$(
        #[test]
        fn $sqlite() {
            $scenario(Dialect::Sqlite);
        }

        #[test]
        fn $postgres() {
            $scenario(Dialect::Postgresql);
        }

        #[test]
        fn $mysql() {
            $scenario(Dialect::Mysql);
        }
    )*};
}

/// Two tests per scenario, one per server (PostgreSQL, MySQL/MariaDB); the test file has `Kind`
/// in scope.
#[allow(unused_macros)]
macro_rules! on_each_server {
    ($($scenario:ident => $postgres:ident, $mysql:ident;)*) => {$(
        #[test]
        fn $postgres() {
            $scenario(Kind::Postgres);
        }

        #[test]
        fn $mysql() {
            $scenario(Kind::Mysql);
        }
    )*};
}

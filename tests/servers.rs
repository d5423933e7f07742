//! The same behaviour on real PostgreSQL and MariaDB/MySQL servers on 127.0.0.1.
//!
//! Each test creates its own database and drops it afterwards. Without a reachable server the
//! tests print why and pass locally; under CI (`CI` set) an unreachable server is a failure.

#![cfg(all(feature = "postgres", feature = "mysql"))]

use std::process::{Command, Output};
use std::time::Duration;

mod support;

use support::{BIN, Kind, TestDb, cli, connect};

use quark_db_manage::MIGRATIONS;
use quark_migrate::backend::{self, Backend};
use quark_migrate::migrator::Migrator;
use quark_migrate::source;
use quark_migrate::{Error, Migrations};

const HEAD: &str = "c07cd8303997";
/// The newest revision written in Rust: offline scripts start after it.
const LAST_RUST: &str = "1664300cb03a";

/// A two-revision chain: `a1` creates `t_a`; `b2` (revising `a1`) is the text given.
fn chain_with(b2: &str) -> quark_migrate::revision::RevisionMap {
    let files = [
        source::SourceFile { path: "migrations/a1_x.sql".into(), name: "a1_x.sql".into(), text: "-- a\n--\n-- Revision ID: a1\n-- Revises: None\n-- +upgrade\nCREATE TABLE t_a (x INT);\n-- +downgrade\nDROP TABLE t_a;\n".into() },
        source::SourceFile { path: "migrations/b2_x.sql".into(), name: "b2_x.sql".into(), text: b2.into() },
    ];
    source::build_map(&files).unwrap()
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn fails(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected failure, stderr: {stderr}"
    );
    stderr
}

fn upgrade_downgrade_stamp(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let log = ok(&cli(&t.url, &["upgrade", "head"]));
    assert!(
        log.contains("Running upgrade 4358d1b8cc75 -> 1284c81cf727"),
        "{log}"
    );
    assert_eq!(t.versions(), [HEAD]);
    let current = cli(&t.url, &["current"]);
    ok(&current);
    assert!(String::from_utf8_lossy(&current.stdout).contains("c07cd8303997 (head)"));
    ok(&cli(&t.url, &["downgrade", LAST_RUST]));
    assert_eq!(t.versions(), [LAST_RUST]);
    let refused = fails(&cli(&t.url, &["downgrade", "base"]));
    assert!(
        refused.contains("cannot downgrade revision 1664300cb03a"),
        "{refused}"
    );
    assert_eq!(t.versions(), [LAST_RUST]);
    ok(&cli(&t.url, &["upgrade", "head"]));
    assert_eq!(t.versions(), [HEAD]);
    ok(&cli(&t.url, &["verify"]));
    ok(&cli(&t.url, &["downgrade", "-1"]));
    assert_eq!(t.versions(), ["da46a8b30bd8"]);
    ok(&cli(&t.url, &["stamp", HEAD]));
    assert_eq!(t.versions(), [HEAD]);
    assert_eq!(t.count("SELECT count(*) FROM alembic_version_history WHERE revision = 'c07cd8303997' AND direction = 'upgrade'"), 2);
}

fn unknown_revision_refused(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let mut db = t.db();
    db.run("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))").unwrap();
    db.run("INSERT INTO alembic_version VALUES ('5ac5404bff1e')")
        .unwrap();
    let e = fails(&cli(&t.url, &["upgrade", "head"]));
    assert!(
        e.contains("holds revision 5ac5404bff1e unknown to this binary"),
        "{e}"
    );
    assert_eq!(t.versions(), ["5ac5404bff1e"]);
    ok(&cli(
        &t.url,
        &["--version-table", "quark_version", "upgrade", "head"],
    ));
}

fn failing_revision(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_missing VALUES (1);\n-- +downgrade\nDROP TABLE t_b;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!((f.revision.as_str(), f.statement, f.line), ("b2", 2, 7));
    assert!(f.message.contains("t_missing"), "{}", f.message);
    assert_eq!(
        m.current(db.as_mut()).unwrap(),
        ["a1"],
        "the version table stays at the previous revision"
    );
    let t_b_exists = db.table_exists("t_b").unwrap();
    match kind {
        // PostgreSQL rolls the CREATE TABLE back with the revision.
        Kind::Postgres => assert!(
            !t_b_exists
                && f.took_effect == 0
                && err
                    .to_string()
                    .contains("nothing of this upgrade took effect")
        ),
        // MySQL commits DDL implicitly: the report must say so.
        Kind::Mysql => assert!(
            t_b_exists
                && f.took_effect == 1
                && err.to_string().contains("statements 1 to 1 took effect")
        ),
    }
}

fn concurrent_processes(kind: Kind) {
    for _ in 0..2 {
        let Some(t) = TestDb::new(kind) else { return };
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(BIN)
                    .args(["--database-connection", &t.url, "upgrade", "head"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            ok(&child.wait_with_output().unwrap());
        }
        assert_eq!(t.versions(), [HEAD]);
        for rev in ["1817eef6373c", "4358d1b8cc75", LAST_RUST, HEAD] {
            let n = t.count(&format!(
                "SELECT count(*) FROM alembic_version_history WHERE revision = '{rev}' AND direction = 'upgrade' AND outcome = 'success'"
            ));
            assert_eq!(n, 1, "{rev} ran exactly once on {kind:?}");
        }
    }
}

#[test]
fn connection_errors_name_host_port_database_and_user_but_not_the_password() {
    let out = cli(
        "postgresql://quark:s3cret@127.0.0.1:1/nodb",
        &["--lock-timeout", "2", "current"],
    );
    let e = fails(&out);
    assert!(
        e.contains("PostgreSQL at 127.0.0.1:1 database nodb as user quark"),
        "{e}"
    );
    assert!(!e.contains("s3cret"));
    let out = cli("mysql://root:s3cret@127.0.0.1:1/nodb", &["current"]);
    let e = fails(&out);
    assert!(
        e.contains("MySQL at 127.0.0.1:1 database nodb as user root") && !e.contains("s3cret"),
        "{e}"
    );
    Migrations::new(MIGRATIONS).unwrap().map().unwrap();
}

#[test]
fn postgres_non_transactional_revision_runs_create_index_concurrently() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let map = chain_with(
        "-- concurrent index\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n-- +upgrade\nCREATE INDEX CONCURRENTLY ix_t_a_x ON t_a (x);\n-- +downgrade\nDROP INDEX CONCURRENTLY ix_t_a_x;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map);
    m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    assert_eq!(
        t.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t_a_x'"),
        1
    );
    m.downgrade(db.as_mut(), &"base".parse().unwrap()).unwrap();
    assert!(m.current(db.as_mut()).unwrap().is_empty());
    assert_eq!(
        t.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t_a_x'"),
        0
    );
}

#[test]
fn mysql_failed_revision_is_reported_again_and_resumed_at_the_failed_statement() {
    let Some(t) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_fix VALUES (1);\nCREATE TABLE t_c (x INT);\n-- +downgrade\nDROP TABLE t_c;\nDROP TABLE t_b;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map);
    let head = "head".parse().unwrap();
    let first = m.upgrade(db.as_mut(), &head).unwrap_err();
    assert!(
        first.to_string().contains("statements 1 to 1 took effect"),
        "{first}"
    );
    let again = m.upgrade(db.as_mut(), &head).unwrap_err();
    assert!(
        matches!(&again, Error::Unfinished(row) if row.revision == "b2" && row.statements_done == 1),
        "{again}"
    );
    assert!(again.to_string().contains("t_fix"), "{again}");
    assert_eq!(m.current(db.as_mut()).unwrap(), ["a1"]);
    db.run("CREATE TABLE t_fix (x INT)").unwrap();
    m.clone().resume(true).upgrade(db.as_mut(), &head).unwrap();
    assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
    assert!(db.table_exists("t_c").unwrap());
    assert_eq!(t.count("SELECT count(*) FROM alembic_version_history WHERE revision = 'b2' AND outcome = 'success' AND statements_done = 3"), 1);
}

/// The server's answer to a one-row, one-value query, as text.
fn scalar(db: &mut dyn Backend, sql: &str) -> String {
    match &db.query(sql, &[]).unwrap()[0][0] {
        quark_migrate::backend::Value::Int(i) => i.to_string(),
        quark_migrate::backend::Value::Text(s) => s.clone(),
        quark_migrate::backend::Value::Null => String::new(),
    }
}

/// Whether the server speaks TLS; without it the TLS tests skip locally and fail under CI
/// (`.ci/run` starts MariaDB with a test certificate).
fn tls_available(kind: Kind, t: &TestDb) -> bool {
    let sql = match kind {
        Kind::Postgres => "SHOW ssl",
        Kind::Mysql => "SELECT @@have_ssl",
    };
    let on = matches!(scalar(t.db().as_mut(), sql).as_str(), "on" | "YES");
    if !on && std::env::var_os("CI").is_some() {
        panic!("CI must run the {kind:?} TLS tests, but the server has TLS off");
    }
    if !on {
        eprintln!("skipping: the {kind:?} server on 127.0.0.1 has TLS off (.ci/run turns it on)");
    }
    on
}

#[test]
fn postgres_tls_modes() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    if !tls_available(Kind::Postgres, &t) {
        return;
    }
    let encrypted = |url: &str| {
        scalar(
            connect(url).unwrap().as_mut(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
    };
    assert_eq!(encrypted(&format!("{}?sslmode=require", t.url)), "1");
    assert_eq!(encrypted(&format!("{}?sslmode=disable", t.url)), "0");
    assert_eq!(encrypted(&t.url), "1", "sslmode=prefer is the default");
    let url = format!("{}?sslmode=require", t.url);
    let out = cli(&url, &["upgrade", "head"]);
    ok(&out);
    assert_eq!(t.versions(), [HEAD]);

    // Checking the certificate: the server's own (self-signed) certificate is the root to trust.
    let cert = scalar(t.db().as_mut(), "SHOW ssl_cert_file");
    let e = connect(&format!("{}?sslmode=verify-full", t.url))
        .err()
        .expect("an unknown issuer is refused")
        .to_string();
    assert!(
        e.contains("UnknownIssuer") && e.contains("sslrootcert=") && e.contains("as user postgres"),
        "{e}"
    );
    let verify_ca = format!("{}?sslmode=verify-ca&sslrootcert={cert}", t.url);
    assert_eq!(encrypted(&verify_ca), "1");
    let e = connect(&format!("{}?sslmode=bogus", t.url))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("sslmode=bogus is not a TLS mode"), "{e}");
}

#[test]
fn mysql_tls_modes() {
    let Some(t) = TestDb::new(Kind::Mysql) else {
        return;
    };
    if !tls_available(Kind::Mysql, &t) {
        return;
    }
    let cipher = |url: &str| {
        let rows = connect(url)
            .unwrap()
            .query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", &[])
            .unwrap();
        rows[0][1].as_text().unwrap_or_default().to_string()
    };
    assert!(!cipher(&format!("{}?ssl_mode=REQUIRED", t.url)).is_empty());
    assert!(!cipher(&format!("{}?ssl=true", t.url)).is_empty());
    assert!(
        cipher(&t.url).is_empty(),
        "plain unless asked, as MySQL clients do"
    );
    let e = connect(&format!("{}?ssl_mode=VERIFY_IDENTITY", t.url))
        .err()
        .expect("an unknown issuer is refused")
        .to_string();
    assert!(e.contains("UnknownIssuer") && e.contains("ssl_ca="), "{e}");
    let ca = scalar(t.db().as_mut(), "SELECT @@ssl_ca");
    let verified = format!("{}?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}", t.url);
    assert!(!cipher(&verified).is_empty());
    let out = cli(&verified, &["upgrade", "head"]);
    ok(&out);
    assert_eq!(t.versions(), [HEAD]);
}

#[test]
fn postgres_over_the_unix_socket() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let dirs = scalar(t.db().as_mut(), "SHOW unix_socket_directories");
    let dir = dirs.split(',').next().unwrap().trim();
    let url = format!("postgresql://postgres@/{}?host={dir}", t.name);
    let out = cli(&url, &["upgrade", "head"]);
    ok(&out);
    assert_eq!(t.versions(), [HEAD]);
    let db = &mut connect(&url).unwrap();
    assert_eq!(
        scalar(
            db.as_mut(),
            "SELECT coalesce(inet_client_addr()::text, 'socket')"
        ),
        "socket"
    );
}

#[test]
fn mysql_over_the_unix_socket() {
    let Some(t) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let socket = scalar(t.db().as_mut(), "SELECT @@socket");
    let url = format!("mysql://root@localhost/{}?unix_socket={socket}", t.name);
    let out = cli(&url, &["upgrade", "head"]);
    ok(&out);
    assert_eq!(t.versions(), [HEAD]);
    let db = &mut connect(&url).unwrap();
    assert!(
        scalar(db.as_mut(), "SELECT USER()").ends_with("@localhost"),
        "connected through the socket, not TCP"
    );
}

#[test]
fn mysql_percent_encoded_password() {
    let Some(t) = TestDb::new(Kind::Mysql) else {
        return;
    };
    let user = format!("{}_user", t.name);
    let password = "p@ss:w/rd%?#&";
    let mut admin = t.db();
    admin
        .run(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"
        ))
        .unwrap();
    struct DropUser(Box<dyn Backend>, String);
    impl Drop for DropUser {
        fn drop(&mut self) {
            let _ = self.0.run(&format!("DROP USER IF EXISTS '{}'@'%'", self.1));
        }
    }
    let _cleanup = DropUser(t.db(), user.clone());
    admin
        .run(&format!("GRANT ALL ON {}.* TO '{user}'@'%'", t.name))
        .unwrap();
    let encoded = "p%40ss%3Aw%2Frd%25%3F%23%26";
    let url = format!("mysql://{user}:{encoded}@127.0.0.1:3306/{}", t.name);
    let out = cli(&url, &["upgrade", "head"]);
    let log = ok(&out);
    assert!(!log.contains(encoded) && !log.contains(password), "{log}");
    assert_eq!(t.versions(), [HEAD]);

    let wrong = format!("mysql://{user}:n0t%40it@127.0.0.1:3306/{}", t.name);
    let out = cli(&wrong, &["current"]);
    let e = fails(&out);
    assert!(
        e.contains(&format!("as user {user}")) && e.contains("Access denied") && !e.contains("n0t"),
        "{e}"
    );
}

/// A driver that panics on one statement, to show that a panic releases the server's lock.
struct PanicOn<'a>(&'a mut dyn Backend, &'static str);

/// A driver that dies (panics) right after the server ran one statement, before the client
/// could record it: what a kill at that moment leaves.
struct DiesAfter<'a>(&'a mut dyn Backend, &'static str);

impl Backend for DiesAfter<'_> {
    fn dialect(&self) -> quark_migrate::revision::Dialect {
        self.0.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, backend::BackendError> {
        self.0.try_lock(name)
    }
    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.0.lock_holder(name)
    }
    fn unlock(&mut self) -> Result<(), backend::BackendError> {
        self.0.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, backend::BackendError> {
        self.0.table_exists(table)
    }
    fn begin(&mut self) -> Result<(), backend::BackendError> {
        self.0.begin()
    }
    fn commit(&mut self) -> Result<(), backend::BackendError> {
        self.0.commit()
    }
    fn rollback(&mut self) -> Result<(), backend::BackendError> {
        self.0.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), backend::BackendError> {
        self.0.run(sql)?;
        assert!(!sql.contains(self.1), "the connection died");
        Ok(())
    }
    fn execute(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<u64, backend::BackendError> {
        self.0.execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<Vec<backend::Row>, backend::BackendError> {
        self.0.query(sql, params)
    }
    fn placeholder(&self, n: usize) -> String {
        self.0.placeholder(n)
    }
}

impl Backend for PanicOn<'_> {
    fn dialect(&self) -> quark_migrate::revision::Dialect {
        self.0.dialect()
    }
    fn try_lock(&mut self, name: &str) -> Result<bool, backend::BackendError> {
        self.0.try_lock(name)
    }
    fn lock_holder(&mut self, name: &str) -> Option<String> {
        self.0.lock_holder(name)
    }
    fn unlock(&mut self) -> Result<(), backend::BackendError> {
        self.0.unlock()
    }
    fn table_exists(&mut self, table: &str) -> Result<bool, backend::BackendError> {
        self.0.table_exists(table)
    }
    fn begin(&mut self) -> Result<(), backend::BackendError> {
        self.0.begin()
    }
    fn commit(&mut self) -> Result<(), backend::BackendError> {
        self.0.commit()
    }
    fn rollback(&mut self) -> Result<(), backend::BackendError> {
        self.0.rollback()
    }
    fn run(&mut self, sql: &str) -> Result<(), backend::BackendError> {
        assert!(!sql.contains(self.1), "a bug in the application");
        self.0.run(sql)
    }
    fn execute(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<u64, backend::BackendError> {
        self.0.execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[backend::Value],
    ) -> Result<Vec<backend::Row>, backend::BackendError> {
        self.0.query(sql, params)
    }
    fn placeholder(&self, n: usize) -> String {
        self.0.placeholder(n)
    }
    fn quote(&self, name: &str) -> String {
        self.0.quote(name)
    }
    fn transactional_ddl(&self) -> bool {
        self.0.transactional_ddl()
    }
    fn auto_increment_key(&self) -> &'static str {
        self.0.auto_increment_key()
    }
}

fn panic_releases_the_lock(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_panics (x INT);\n-- +downgrade\nDROP TABLE t_panics;\n",
    );
    let m = Migrator::new(&map).lock_timeout(std::time::Duration::from_secs(2));
    let head = "head".parse().unwrap();
    let mut db = t.db();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut panicky = PanicOn(db.as_mut(), "t_panics");
        let _ = m.upgrade(&mut panicky, &head);
    }));
    assert!(caught.is_err(), "the upgrade panicked");
    // The panicking connection is still open, yet the lock is free and no transaction is left open.
    let mut other = t.db();
    other
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .expect("the lock was released");
    other.unlock().unwrap();
    if let Kind::Postgres = kind {
        let open = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state LIKE 'idle in transaction%'",
            t.name
        );
        assert_eq!(
            t.count(&open),
            0,
            "the interrupted transaction was rolled back"
        );
    }
    // PostgreSQL rolled the revision back; MySQL recorded it as interrupted before its first
    // statement, and the next run reads from the database that the statement did not run.
    m.upgrade(other.as_mut(), &head).unwrap();
    assert_eq!(m.current(other.as_mut()).unwrap(), ["b2"]);
    drop(db);
}

/// Tables, columns, indexes, keys and version rows: what a live upgrade and a piped script must agree on.
fn schema(kind: Kind, t: &TestDb) -> Vec<String> {
    support::catalog(t.db().as_mut(), kind.dialect())
}

/// Pipes `script` into the server's own shell (psql or mysql) on `t`'s database, as a DBA would.
fn shell(kind: Kind, t: &TestDb, script: &str) {
    use std::io::Write as _;
    let mut command = match kind {
        Kind::Postgres => {
            let mut c = Command::new("psql");
            c.args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &t.name,
            ]);
            c
        }
        Kind::Mysql => {
            let mut c = Command::new("mysql");
            c.args(["-h", "127.0.0.1", "-u", "root", &t.name]);
            c
        }
    };
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the server's shell (psql / mysql) is installed with the server");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "{kind:?} shell rejected:\n{script}"
    );
}

fn offline_script_matches_live(kind: Kind) {
    let (Some(live), Some(offline)) = (TestDb::new(kind), TestDb::new(kind)) else {
        return;
    };
    // The data migrations written in Rust run online; the rest offline. The dialect comes from
    // the URL; nothing connects to the offline database for the script.
    ok(&cli(&live.url, &["upgrade", "1284c81cf727"]));
    let first = cli(&offline.url, &["upgrade", "1284c81cf727", "--sql"]);
    ok(&first);
    shell(kind, &offline, &String::from_utf8(first.stdout).unwrap());
    assert_eq!(schema(kind, &offline), schema(kind, &live));
    for db in [&live, &offline] {
        ok(&cli(&db.url, &["upgrade", LAST_RUST]));
    }
    ok(&cli(&live.url, &["upgrade", "head"]));
    let range = format!("{LAST_RUST}:head");
    let script = cli(&offline.url, &["upgrade", &range, "--sql"]);
    ok(&script);
    let script = String::from_utf8(script.stdout).unwrap();
    shell(kind, &offline, &script);
    assert_eq!(schema(kind, &offline), schema(kind, &live));
    assert_eq!(
        offline.count("SELECT count(*) FROM alembic_version_history WHERE outcome = 'success'"),
        40
    );
    ok(&cli(&offline.url, &["verify"]));

    let down = cli(
        &offline.url,
        &["downgrade", &format!("head:{LAST_RUST}"), "--sql"],
    );
    ok(&down);
    shell(kind, &offline, &String::from_utf8(down.stdout).unwrap());
    ok(&cli(&live.url, &["downgrade", LAST_RUST]));
    assert_eq!(schema(kind, &offline), schema(kind, &live));
    assert_eq!(offline.versions(), [LAST_RUST]);
}

#[test]
fn postgres_single_transaction_rolls_back_every_revision_and_names_the_statement() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let map = chain_with(
        "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nINSERT INTO t_missing VALUES (1);\n-- +downgrade\nDROP TABLE t_b;\n",
    );
    let mut db = t.db();
    let m = Migrator::new(&map).single_transaction(true);
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &err else {
        panic!("{err}")
    };
    // Found by replaying b2 after a savepoint: the batch itself cannot say which statement failed.
    assert_eq!((f.revision.as_str(), f.statement, f.line), ("b2", 2, 7));
    assert!(f.left_at.is_empty(), "{err}");
    assert!(m.current(db.as_mut()).unwrap().is_empty());
    assert!(!db.table_exists("t_a").unwrap(), "a1 rolled back with b2");
    assert_eq!(
        t.count("SELECT count(*) FROM alembic_version_history WHERE outcome = 'failed'"),
        1
    );
}

#[test]
fn postgres_history_times_a_revision_sent_with_its_bookkeeping() {
    let Some(t) = TestDb::new(Kind::Postgres) else {
        return;
    };
    // b2's statements, its version-table update, history row and commit go as one batch; the
    // server times the batch, so its history row still says how long b2 took.
    let map = chain_with(
        "-- slow\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nCREATE TABLE t_b (x INT);\nSELECT pg_sleep(0.3);\n-- +downgrade\nDROP TABLE t_b;\n",
    );
    for single in [false, true] {
        let mut db = t.db();
        let m = Migrator::new(&map).single_transaction(single);
        m.upgrade(db.as_mut(), &"head".parse().unwrap()).unwrap();
        assert_eq!(m.current(db.as_mut()).unwrap(), ["b2"]);
        let b2 = m
            .history(db.as_mut())
            .unwrap()
            .into_iter()
            .rfind(|e| e.revision == "b2")
            .unwrap();
        assert_eq!((b2.statements, b2.statements_done), (2, 2));
        assert!(
            (Duration::from_millis(300)..Duration::from_secs(10)).contains(&b2.duration),
            "single transaction {single}: b2 took {:?}",
            b2.duration
        );
        m.downgrade(db.as_mut(), &"base".parse().unwrap()).unwrap();
    }
}

/// Each scenario above, as one test per server.
/// The README recipe's database on a server: quark's tables at a revision, Neutron's table
/// (with Alembic's primary key or, as older Alembic made it, without) holding Neutron's row and
/// quark's. The split moves quark's row to its own table, Neutron's row stays byte for byte,
/// and quark upgrades to head from its own table.
fn split_shared_version_table(kind: Kind) {
    const NEUTRON: &str = "1f71e54a85e7";
    const AT: &str = "4358d1b8cc75";
    for primary_key in [true, false] {
        let Some(t) = TestDb::new(kind) else { return };
        let mut db = t.db();
        ok(&cli(&t.url, &["upgrade", AT]));
        db.run("DROP TABLE alembic_version_history").unwrap();
        db.run("DROP TABLE alembic_version").unwrap();
        let key = if primary_key {
            ", CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"
        } else {
            ""
        };
        db.run(&format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL{key})"
        ))
        .unwrap();
        db.run(&format!(
            "INSERT INTO alembic_version (version_num) VALUES ('{NEUTRON}'), ('{AT}')"
        ))
        .unwrap();
        let bytes = |db: &mut dyn Backend| {
            scalar(
                db,
                &format!(
                    "SELECT count(*) FROM alembic_version WHERE version_num = '{NEUTRON}' AND length(version_num) = 12"
                ),
            )
        };
        let own = ["--version-table", "quark_alembic_version"];
        let refused = fails(&cli(&t.url, &[&own[..], &["upgrade", "head"]].concat()));
        assert!(
            refused.contains("split-version-table --from alembic_version"),
            "{refused}"
        );
        ok(&cli(
            &t.url,
            &[&own[..], &["split-version-table", "--dry-run"]].concat(),
        ));
        assert_eq!(
            t.count("SELECT count(*) FROM alembic_version"),
            2,
            "the dry run changed nothing"
        );
        let out = cli(&t.url, &[&own[..], &["split-version-table"]].concat());
        ok(&out);
        let split = String::from_utf8_lossy(&out.stdout);
        assert!(
            split.contains(&format!(
                "moved {AT} from alembic_version to quark_alembic_version"
            )),
            "{split}"
        );
        let neutron: Vec<String> = db
            .query("SELECT version_num FROM alembic_version", &[])
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap().to_string())
            .collect();
        assert_eq!(neutron, [NEUTRON]);
        assert_eq!(bytes(db.as_mut()), "1", "Neutron's row is the same bytes");
        ok(&cli(&t.url, &[&own[..], &["upgrade", "head"]].concat()));
        assert_eq!(
            scalar(db.as_mut(), "SELECT version_num FROM quark_alembic_version"),
            HEAD
        );
        assert_eq!(t.count("SELECT count(*) FROM alembic_version"), 1);
    }
}

/// A migration waiting for a lock the application holds gives way: each of its statements waits
/// a short while at most, then gives up without taking effect, so the application's own queries
/// never queue behind it until the holder lets go; it is tried again and completes once the
/// holder commits, and when the holder never does it fails naming the holder, the database
/// still at its revision. Every step waits for an event (the server showing the migration's
/// statement waiting for the lock, a query returning), never for a while.
fn ddl_gives_way_to_the_application(kind: Kind) {
    let Some(t) = TestDb::new(kind) else { return };
    const ALTER: &str = "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- +upgrade\nALTER TABLE t_a ADD COLUMN y INT;\n-- +downgrade\nALTER TABLE t_a DROP COLUMN y;\n";
    let patient = |timeout_ms: u64, retries: u32| quark_migrate::migrator::LockWait {
        timeout: std::time::Duration::from_millis(timeout_ms),
        retries,
    };
    let map = chain_with(ALTER);
    let mut db = t.db();
    Migrator::new(&map)
        .upgrade(db.as_mut(), &"a1".parse().unwrap())
        .unwrap();
    // The application reads t_a in a transaction it keeps open.
    let mut holder = t.db();
    let holder_id = scalar(
        holder.as_mut(),
        match kind {
            Kind::Postgres => "SELECT pg_backend_pid()",
            Kind::Mysql => "SELECT CONNECTION_ID()",
        },
    );
    holder.begin().unwrap();
    holder.query("SELECT count(*) FROM t_a", &[]).unwrap();
    // Sessions whose ALTER of t_a waits for a table lock, as the server lists them.
    let mut observer = t.db();
    let waiting_alter = match kind {
        Kind::Postgres => {
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE '%ALTER TABLE t_a ADD COLUMN y%'"
        }
        Kind::Mysql => {
            "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND state = 'Waiting for table metadata lock' AND info LIKE '%ALTER TABLE t_a ADD COLUMN y%'"
        }
    };
    let url = t.url.clone();
    let migration = std::thread::spawn(move || {
        let map = chain_with(ALTER);
        let mut db = support::connect(&url).unwrap();
        Migrator::new(&map)
            .lock_wait(patient(1000, 5))
            .upgrade(db.as_mut(), &"head".parse().unwrap())
            .map(|r| r.after)
            .map_err(|e| e.to_string())
    });
    let mut wait_for_the_alter_to_wait = |when: &str| {
        while scalar(observer.as_mut(), waiting_alter) == "0" {
            assert!(
                !migration.is_finished(),
                "the migration ended before its ALTER waited for the holder's lock ({when})"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    wait_for_the_alter_to_wait("first try");
    // An ordinary query of the application, from another session, while the ALTER waits in
    // the lock queue ahead of it: it returns while the holder still holds its lock, which it
    // could not were the ALTER to wait until the holder commits. (Its own lock timeout only
    // keeps a broken migration from hanging the test: it fails it instead.)
    let mut app = t.db();
    app.run(match kind {
        Kind::Postgres => "SET lock_timeout = '120s'",
        Kind::Mysql => "SET SESSION lock_wait_timeout = 120",
    })
    .unwrap();
    if let Err(e) = app.query("SELECT count(*) FROM t_a", &[]) {
        holder.commit().unwrap();
        let migration = migration.join().unwrap();
        panic!(
            "the application's query queued behind the migration's ALTER, itself waiting for the holder, until its own lock timeout gave up: {e} (the migration, once the holder committed: {migration:?})"
        );
    }
    // The ALTER gave way (else the query could not have run); it is tried again, and waits again
    // while the holder holds the lock.
    wait_for_the_alter_to_wait("tried again");
    holder.commit().unwrap();
    assert_eq!(migration.join().unwrap().unwrap(), ["b2"]);

    // The holder never lets go: the downgrade fails naming it, and nothing changed.
    holder.begin().unwrap();
    holder.query("SELECT count(*) FROM t_a", &[]).unwrap();
    let e = Migrator::new(&map)
        .lock_wait(patient(300, 1))
        .downgrade(db.as_mut(), &"a1".parse().unwrap())
        .unwrap_err();
    let Error::StepFailed(f) = &e else {
        panic!("{e}")
    };
    assert_eq!(f.attempts, 2, "{e}");
    let named = format!("session {holder_id}, ");
    assert!(
        f.blocked_by.iter().any(|b| b.starts_with(&named)),
        "{e}: {:?}",
        f.blocked_by
    );
    assert!(
        e.to_string()
            .contains("tried 2 times; the lock was held by"),
        "{e}"
    );
    holder.rollback().unwrap();
    assert_eq!(Migrator::new(&map).current(db.as_mut()).unwrap(), ["b2"]);
    db.query("SELECT y FROM t_a", &[]).unwrap();
}

/// A revision outside a transaction, killed around its second statement: the next plain
/// upgrade reads from the database whether that statement took effect and goes on; a database
/// that matches neither state is refused, naming the statement, until repaired and resumed.
fn interrupted_revision_is_settled_from_the_database(kind: Kind) {
    const B2: &str = "-- b\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Transactional: false\n-- +upgrade\nCREATE TABLE t_b (x INT);\nCREATE INDEX ix_b ON t_b (x);\nINSERT INTO t_b (x) VALUES (1);\nALTER TABLE t_b ADD COLUMN z INT;\n-- +downgrade\nDROP TABLE t_b;\n";
    let map = chain_with(B2);
    let head: quark_migrate::revision::Target = "head".parse().unwrap();
    let kill = |db: &mut dyn Backend, after: bool, needle: &'static str| {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let m = Migrator::new(&map);
            let _ = if after {
                m.upgrade(&mut DiesAfter(db, needle), &head)
            } else {
                m.upgrade(&mut PanicOn(db, needle), &head)
            };
        }));
        assert!(caught.is_err(), "the run died");
    };
    let columns = |db: &mut dyn Backend| -> i64 {
        db.query("SELECT count(*) FROM t_b", &[]).unwrap()[0][0]
            .as_int()
            .unwrap()
    };
    for (after, needle) in [
        (true, "CREATE INDEX"),
        (false, "CREATE INDEX"),
        (true, "INSERT INTO t_b"),
    ] {
        let Some(t) = TestDb::new(kind) else { return };
        let mut db = t.db();
        kill(db.as_mut(), after, needle);
        assert_eq!(t.versions(), ["a1"]);
        let m = Migrator::new(&map);
        let left = m
            .interrupted(db.as_mut())
            .unwrap()
            .expect("b2 was interrupted");
        let done = if needle == "CREATE INDEX" { 1 } else { 2 };
        assert_eq!((left.revision.as_str(), left.statements_done), ("b2", done));
        m.upgrade(db.as_mut(), &head).unwrap();
        assert_eq!(t.versions(), ["b2"]);
        assert_eq!(columns(db.as_mut()), 1, "the row was inserted once");
        db.query("SELECT z FROM t_b", &[]).unwrap();
        assert!(m.interrupted(db.as_mut()).unwrap().is_none());
    }

    // What neither state explains is refused, and nothing runs until repaired and resumed.
    let Some(t) = TestDb::new(kind) else { return };
    let mut db = t.db();
    kill(db.as_mut(), true, "CREATE INDEX");
    db.run("ALTER TABLE t_b ADD COLUMN stray INT").unwrap();
    let m = Migrator::new(&map);
    let refused = m.upgrade(db.as_mut(), &head).unwrap_err();
    let Error::Unsettled(u) = &refused else {
        panic!("{refused}")
    };
    assert_eq!((u.statement, u.statements, u.line), (2, 4, 8));
    let text = refused.to_string();
    assert!(
        text.contains("the upgrade of b2 was interrupted at statement 2 of 4 (migrations/b2_x.sql:8): CREATE INDEX ix_b ON t_b (x)")
            && text.contains("matches neither the schema before it nor the schema after it")
            && text.contains("stray"),
        "{text}"
    );
    assert_eq!(t.versions(), ["a1"]);
    db.run("ALTER TABLE t_b DROP COLUMN stray").unwrap();
    let index = match kind {
        Kind::Postgres => "DROP INDEX ix_b",
        Kind::Mysql => "DROP INDEX ix_b ON t_b",
    };
    db.run(index).unwrap();
    m.clone().resume(true).upgrade(db.as_mut(), &head).unwrap();
    assert_eq!(t.versions(), ["b2"]);
}

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

on_each_server! {
    upgrade_downgrade_stamp => postgres_upgrade_downgrade_stamp, mysql_upgrade_downgrade_stamp;
    unknown_revision_refused => postgres_unknown_revision_refused, mysql_unknown_revision_refused;
    failing_revision => postgres_failing_revision, mysql_failing_revision;
    concurrent_processes => postgres_concurrent_processes, mysql_concurrent_processes;
    panic_releases_the_lock => postgres_panic_releases_the_lock, mysql_panic_releases_the_lock;
    split_shared_version_table => postgres_split_shared_version_table, mysql_split_shared_version_table;
    ddl_gives_way_to_the_application => postgres_ddl_gives_way_to_the_application, mysql_ddl_gives_way_to_the_application;
    interrupted_revision_is_settled_from_the_database => postgres_interrupted_revision_is_settled, mysql_interrupted_revision_is_settled;
    offline_script_matches_live => postgres_offline_script_through_psql_matches_a_live_upgrade, mysql_offline_script_through_the_mysql_shell_matches_a_live_upgrade;
}

//! The command line of the application in `support/app.rs` on real PostgreSQL and MariaDB/MySQL
//! servers on 127.0.0.1: upgrades, downgrades and stamps, many processes at once, connection
//! errors, TLS, unix sockets, unusual passwords, and offline scripts piped into the server's own
//! shell.
//!
//! Each test creates its own database and drops it afterwards. Without a reachable server the
//! tests print why and pass locally; under CI (`CI` set) an unreachable server is a failure.

#![cfg(all(feature = "cli", feature = "postgres", feature = "mysql"))]

use std::process::Output;

#[path = "support/app.rs"]
mod app;
#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;

use app::{FIRST, HEAD, LAST_RUST, SECOND, SEED, cli};
use quark_migrate::backend::Backend;
use servers::{Kind, TestDb, connect};

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
        log.contains(&format!("Running upgrade {SECOND} -> {SEED}")),
        "{log}"
    );
    assert_eq!(t.versions(), [HEAD]);
    let current = cli(&t.url, &["current"]);
    ok(&current);
    assert!(String::from_utf8_lossy(&current.stdout).contains(&format!("{HEAD} (head)")));
    ok(&cli(&t.url, &["downgrade", LAST_RUST]));
    assert_eq!(t.versions(), [LAST_RUST]);
    let refused = fails(&cli(&t.url, &["downgrade", "base"]));
    assert!(
        refused.contains(&format!("cannot downgrade revision {LAST_RUST}")),
        "{refused}"
    );
    assert_eq!(t.versions(), [LAST_RUST]);
    ok(&cli(&t.url, &["upgrade", "head"]));
    assert_eq!(t.versions(), [HEAD]);
    ok(&cli(&t.url, &["verify"]));
    ok(&cli(&t.url, &["downgrade", "-1"]));
    assert_eq!(t.versions(), [app::BEFORE_HEAD]);
    ok(&cli(&t.url, &["stamp", HEAD]));
    assert_eq!(t.versions(), [HEAD]);
    assert_eq!(t.count(&format!("SELECT count(*) FROM alembic_version_history WHERE revision = '{HEAD}' AND direction = 'upgrade'")), 2);
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
        &["--version-table", "app_version", "upgrade", "head"],
    ));
}

fn concurrent_processes(kind: Kind) {
    for _ in 0..2 {
        let Some(t) = TestDb::new(kind) else { return };
        let children: Vec<_> = (0..8)
            .map(|_| {
                app::command(&["--database-connection", &t.url, "upgrade", "head"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            ok(&app::stripped(child.wait_with_output().unwrap()));
        }
        assert_eq!(t.versions(), [HEAD]);
        for rev in [FIRST, SECOND, LAST_RUST, HEAD] {
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
        "postgresql://app:s3cret@127.0.0.1:1/nodb",
        &["--lock-timeout", "2", "current"],
    );
    let e = fails(&out);
    assert!(
        e.contains("PostgreSQL at 127.0.0.1:1 database nodb as user app"),
        "{e}"
    );
    assert!(!e.contains("s3cret"));
    let out = cli("mysql://root:s3cret@127.0.0.1:1/nodb", &["current"]);
    let e = fails(&out);
    assert!(
        e.contains("MySQL at 127.0.0.1:1 database nodb as user root") && !e.contains("s3cret"),
        "{e}"
    );
    app::migrations().map().unwrap();
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

/// Tables, columns, indexes, keys and version rows: what a live upgrade and a piped script must agree on.
fn schema(kind: Kind, t: &TestDb) -> Vec<String> {
    servers::catalog(t.db().as_mut(), kind.dialect())
}

/// Pipes `script` into the server's own shell (psql or mysql) on `t`'s database, as a DBA would.
fn shell(kind: Kind, t: &TestDb, script: &str) {
    use std::io::Write as _;
    let mut command = match kind {
        Kind::Postgres => {
            let mut c = std::process::Command::new("psql");
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
            let mut c = std::process::Command::new("mysql");
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
    // The data revisions written in Rust run online; the rest offline. The dialect comes from
    // the URL; nothing connects to the offline database for the script.
    ok(&cli(&live.url, &["upgrade", SEED]));
    let first = cli(&offline.url, &["upgrade", SEED, "--sql"]);
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
        app::REVISIONS as i64
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

on_each_server! {
    upgrade_downgrade_stamp => postgres_upgrade_downgrade_stamp, mysql_upgrade_downgrade_stamp;
    unknown_revision_refused => postgres_unknown_revision_refused, mysql_unknown_revision_refused;
    concurrent_processes => postgres_concurrent_processes, mysql_concurrent_processes;
    offline_script_matches_live => postgres_offline_script_through_psql_matches_a_live_upgrade, mysql_offline_script_through_the_mysql_shell_matches_a_live_upgrade;
}

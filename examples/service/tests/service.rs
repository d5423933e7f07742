//! The service as it runs: migrates on start from inside its tokio runtime, on SQLite and on
//! PostgreSQL, then serves. PostgreSQL on 127.0.0.1:5432 is required under CI (`CI` set) and
//! skipped with a printed reason elsewhere when unreachable.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_service");
const HEAD: &str = "5e1a00000002";

fn service(database: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("SERVICE_DATABASE", database)
        .env("SERVICE_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info");
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn migrates_sqlite_on_start_and_again_finds_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("service.db").display());
    let out = service(&url, &["migrate"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let first = text(&out);
    assert!(
        first.contains(&format!("schema at {HEAD} (2 revision(s) applied)")),
        "{first}"
    );
    assert!(
        first.contains("Running upgrade 5e1a00000001 -> 5e1a00000002, hits by peer"),
        "{first}"
    );
    let again = text(&service(&url, &["migrate"]).output().unwrap());
    assert!(again.contains("(0 revision(s) applied)"), "{again}");
}

#[test]
fn serves_after_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("service.db").display());
    let mut child = service(&url, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the service says where it listens")
            .unwrap();
        if let Some(address) = line.strip_prefix("listening on ") {
            break address.to_string();
        }
    };
    let mut answer = String::new();
    TcpStream::connect(&address)
        .unwrap()
        .read_to_string(&mut answer)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(answer, format!("schema at {HEAD}\n"));
}

#[test]
fn migrates_postgresql_on_start() {
    let admin = "host=127.0.0.1 user=postgres dbname=test";
    let mut client = match postgres::Client::connect(admin, postgres::NoTls) {
        Ok(client) => client,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: no PostgreSQL server reachable on 127.0.0.1 ({e})");
            return;
        }
        Err(e) => panic!("CI must run the PostgreSQL test, but the server is unreachable: {e}"),
    };
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("svc_{name}");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:5432/{name}");
    let out = service(&url, &["migrate"]).output().unwrap();
    let versions: Vec<String> = postgres::Client::connect(
        &format!("host=127.0.0.1 user=postgres dbname={name}"),
        postgres::NoTls,
    )
    .and_then(|mut c| c.query("SELECT version_num FROM alembic_version", &[]))
    .map(|rows| rows.iter().map(|r| r.get(0)).collect())
    .unwrap_or_default();
    client
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("schema at {HEAD}")),
        "{}",
        text(&out)
    );
    assert_eq!(versions, [HEAD]);
}

#[test]
fn migrates_mariadb_on_start_through_its_pool() {
    let admin = mysql::Opts::from_url("mysql://root@127.0.0.1:3306/test").unwrap();
    let mut server = match mysql::Conn::new(admin) {
        Ok(conn) => conn,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: no MariaDB server reachable on 127.0.0.1 ({e})");
            return;
        }
        Err(e) => panic!("CI must run the MariaDB test, but the server is unreachable: {e}"),
    };
    use mysql::prelude::Queryable;
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("svc_{name}");
    server
        .query_drop(format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = format!("mysql://root@127.0.0.1:3306/{name}");
    let out = service(&url, &["migrate"]).output().unwrap();
    let again = service(&url, &["migrate"]).output().unwrap();
    let versions: Vec<String> = server
        .query(format!("SELECT version_num FROM {name}.alembic_version"))
        .unwrap_or_default();
    let index: Vec<String> = server
        .query(format!(
            "SELECT index_name FROM information_schema.statistics WHERE table_schema = '{name}' AND table_name = 'hits'"
        ))
        .unwrap_or_default();
    server.query_drop(format!("DROP DATABASE {name}")).unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("schema at {HEAD} (2 revision(s) applied)")),
        "{}",
        text(&out)
    );
    assert!(
        text(&again).contains("(0 revision(s) applied)"),
        "{}",
        text(&again)
    );
    assert_eq!(versions, [HEAD]);
    assert_eq!(index, ["ix_hits_peer"]);
}

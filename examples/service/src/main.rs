//! A service in the usual shape of a Rust service (`#[tokio::main]`) that migrates its database
//! on start, then serves: each connection to its address gets one line saying where the schema
//! stands. `service migrate` migrates and exits.
//!
//! On PostgreSQL and MariaDB/MySQL the service keeps a pool of async connections (deadpool's
//! `tokio_postgres` clients, `mysql_async`'s pool) and migrates on one of them, in place; a SQLite
//! file is migrated from its URL on tokio's blocking threads.
//!
//! Settings: `SERVICE_DATABASE` (default `sqlite:///service.db`; `postgresql://...` and
//! `mysql://...` work the same) and `SERVICE_LISTEN` (default `127.0.0.1:8080`).

use std::process::ExitCode;

use quark_migrate::{EmbeddedFile, Migrations};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// This service's `migrations/`, validated and embedded by build.rs.
static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let database = setting("SERVICE_DATABASE", "sqlite:///service.db");
    let migrations = Migrations::new(MIGRATIONS)?.app(quark_migrate::app!());
    // The migration runs on tokio's blocking threads; the service's threads stay free.
    let report = if database.starts_with("postgres") {
        let config: tokio_postgres::Config = database.parse()?;
        let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(4)
            .build()?;
        let mut client = pool.get().await?;
        migrations.upgrade_on(&mut **client).await?
    } else if database.starts_with("mysql") {
        let pool = mysql_async::Pool::new(database.as_str());
        let mut conn = pool.get_conn().await?;
        let report = migrations.upgrade_on(&mut conn).await?;
        drop(conn);
        pool.disconnect().await?;
        report
    } else {
        migrations.migrate_async(&database).await?
    };
    let schema = format!("schema at {}", report.after.join(", "));
    println!("{schema} ({} revision(s) applied)", report.steps.len());
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        return Ok(());
    }
    let listener = TcpListener::bind(setting("SERVICE_LISTEN", "127.0.0.1:8080")).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (mut peer, _) = listener.accept().await?;
        let line = format!("{schema}\n");
        tokio::spawn(async move {
            let _ = peer.write_all(line.as_bytes()).await;
        });
    }
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

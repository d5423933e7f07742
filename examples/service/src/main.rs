//! A service in the usual shape of a Rust service (`#[tokio::main]`) that migrates its database
//! on start, then serves: each connection to its address gets one line saying where the schema
//! stands. `service migrate` migrates and exits.
//!
//! Settings: `SERVICE_DATABASE` (default `sqlite:///service.db`; `postgresql://...` works the
//! same) and `SERVICE_LISTEN` (default `127.0.0.1:8080`).

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
    // The migration runs on tokio's blocking threads; the service's threads stay free.
    let report = Migrations::new(MIGRATIONS)?
        .app(quark_migrate::app!())
        .migrate_async(&database)
        .await?;
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

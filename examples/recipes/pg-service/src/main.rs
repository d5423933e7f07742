//! A service on one PostgreSQL connection (the `postgres` crate's blocking client): migrated in
//! place on start, then used.

use std::process::ExitCode;

use quark_migrate::{EmbeddedFile, Migrations};

static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "postgresql://localhost/app".into());
    match start(&url) {
        Ok(after) => {
            println!("at {after}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pg-service: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    let report = Migrations::new(MIGRATIONS)?
        .app(quark_migrate::app!())
        .upgrade(&mut client)?;
    client.execute("INSERT INTO visits DEFAULT VALUES", &[])?;
    Ok(report.after.join(", "))
}

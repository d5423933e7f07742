//! An appliance with one SQLite file: it brings its own connection to head on every start,
//! then records a reading on it.

use std::process::ExitCode;

use quark_migrate::{EmbeddedFile, Migrations};
use rusqlite::Connection;

static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "appliance.db".into());
    match start(&path) {
        Ok(n) => {
            println!("{n} readings");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("appliance: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(path: &str) -> Result<i64, Box<dyn std::error::Error>> {
    let mut conn = Connection::open(path)?;
    Migrations::new(MIGRATIONS)?
        .app(quark_migrate::app!())
        .upgrade(&mut conn)?;
    conn.execute("INSERT INTO readings (value) VALUES (1)", [])?;
    Ok(conn.query_row("SELECT count(*) FROM readings", [], |r| r.get(0))?)
}

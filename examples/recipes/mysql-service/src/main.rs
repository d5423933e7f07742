//! A service on a pool of MySQL or MariaDB connections: one pooled connection migrated in place
//! on start, then the pool used.

use std::process::ExitCode;

use mysql::prelude::Queryable;
use quark_migrate::{EmbeddedFile, Migrations};

static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "mysql://root@localhost/app".into());
    match start(&url) {
        Ok(after) => {
            println!("at {after}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mysql-service: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let pool = mysql::Pool::new(url)?;
    let mut conn = pool.get_conn()?;
    let report = Migrations::new(MIGRATIONS)?
        .app(quark_migrate::app!())
        .upgrade(&mut conn)?;
    conn.query_drop("INSERT INTO visits (at) VALUES (NOW())")?;
    Ok(report.after.join(", "))
}

//! A program that migrates whichever database its URL names (SQLite, PostgreSQL, MySQL or
//! MariaDB) to head, under the migration lock, and says where it stands.

use std::process::ExitCode;

use quark_migrate::{EmbeddedFile, Migrations};

static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: any-database <database URL>");
        return ExitCode::from(2);
    };
    let migrated =
        Migrations::new(MIGRATIONS).and_then(|m| m.app(quark_migrate::app!()).migrate(&url));
    match migrated {
        Ok(report) => {
            println!(
                "at {} ({} applied)",
                report.after.join(", "),
                report.steps.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("any-database: {e}");
            ExitCode::FAILURE
        }
    }
}

//! An appliance that carries its own migrations: on every start it opens its SQLite database,
//! brings that connection to head, then does its small job on it (recording a reading). `appliance db ...` gives it every
//! quark-db-manage subcommand against its own embedded migrations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quark_migrate::backend::DatabaseUrl;
use quark_migrate::cli::DbArgs;
use quark_migrate::{EmbeddedFile, Migrations, SchemaFile};
use rusqlite::Connection;

/// This application's `migrations/`, validated and embedded by build.rs.
static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();
/// The appliance's schema as it should be at head, for `db check` and `db revision --autogenerate`.
static SCHEMA: &[SchemaFile] = quark_migrate::embed_schema!();

/// The appliance's command line.
#[derive(Debug, Parser)]
#[command(
    name = "appliance",
    version,
    about = "Records readings in its own database"
)]
struct Args {
    /// The appliance's database.
    #[arg(
        long,
        env = "APPLIANCE_DATABASE",
        default_value = "sqlite:///appliance.db"
    )]
    database: String,
    #[command(subcommand)]
    command: Option<AppCommand>,
}

/// What the appliance can do.
#[derive(Debug, Subcommand)]
// Parsed once per run: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
enum AppCommand {
    /// Record a reading (what a start without a command does, with 0).
    Record {
        /// The value read.
        value: i64,
    },
    /// Manage the appliance's database schema.
    Db(DbArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(AppCommand::Db(mut db)) => {
            if db.database_connection.is_empty()
                && db.databases.is_none()
                && db.config_file.is_empty()
                && db.config_dir.is_empty()
            {
                db.database_connection.push(args.database);
            }
            db.run_as(quark_migrate::app!().mounted_at("db"), MIGRATIONS, SCHEMA)
        }
        Some(AppCommand::Record { value }) => start(&args.database, value),
        None => start(&args.database, 0),
    }
}

/// Opens the appliance's database, migrates that very connection to head, then records one
/// reading on it.
fn start(url: &str, value: i64) -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match migrate_and_record(url, value) {
        Ok(count) => {
            println!("recorded {value}; {count} readings");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("appliance: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate_and_record(url: &str, value: i64) -> Result<i64, Box<dyn std::error::Error>> {
    let mut conn = match DatabaseUrl::parse(url)?.database {
        Some(path) => Connection::open(path)?,
        None => Connection::open_in_memory()?,
    };
    let report = Migrations::new(MIGRATIONS)?
        .app(quark_migrate::app!())
        .upgrade(&mut conn)?;
    if report.steps.is_empty() {
        log::info!("schema up to date");
    } else {
        log::info!("schema migrated: {} revision(s)", report.steps.len());
    }
    conn.execute(
        "INSERT INTO readings (value, taken_at, unit) VALUES (?1, datetime('now'), 'C')",
        [value],
    )?;
    Ok(conn.query_row("SELECT count(*) FROM readings", [], |row| row.get(0))?)
}

//! An appliance that carries its own migrations: on every start it brings its SQLite database to
//! head, then does its small job (recording a reading). `appliance db ...` gives it every
//! quark-db-manage subcommand against its own embedded migrations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quark_migrate::cli::DbArgs;
use quark_migrate::{EmbeddedFile, Migrations, SchemaFile};

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
            if db.database_connection.is_none() && db.config_file.is_none() {
                db.database_connection = Some(args.database);
            }
            db.run_with_schema(MIGRATIONS, SCHEMA)
        }
        Some(AppCommand::Record { value }) => start(&args.database, value),
        None => start(&args.database, 0),
    }
}

/// Migrates the database to head, then records one reading.
fn start(url: &str, value: i64) -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let migrations = match Migrations::new(MIGRATIONS) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    let mut db = match migrations.connect(url) {
        Ok(db) => db,
        Err(e) => return fail(&e),
    };
    match migrations.upgrade(db.as_mut()) {
        Ok(report) if report.steps.is_empty() => log::info!("schema up to date"),
        Ok(report) => log::info!("schema migrated: {} revision(s)", report.steps.len()),
        Err(e) => return fail(&e),
    }
    let recorded = db
        .execute(
            &format!(
                "INSERT INTO readings (value, taken_at, unit) VALUES ({}, datetime('now'), 'C')",
                db.placeholder(1)
            ),
            &[value.into()],
        )
        .and_then(|_| db.query("SELECT count(*) FROM readings", &[]));
    match recorded {
        Ok(rows) => {
            println!(
                "recorded {value}; {} readings",
                rows[0][0].as_int().unwrap_or(0)
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(e: &dyn std::error::Error) -> ExitCode {
    eprintln!("appliance: {e}");
    ExitCode::FAILURE
}

//! acme-svc: a tokio service on a deadpool of PostgreSQL connections. It migrates one pooled
//! connection on start, then serves; `acme-svc db ...` manages its schema.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quark_migrate::cli::DbArgs;
use quark_migrate::{App, EmbeddedFile, Migrations};

/// acme-svc's migrations, validated and embedded by build.rs.
static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();

/// Who the migrations run for, and where its command line mounts the engine's commands.
const APP: App = quark_migrate::app!().mounted_at("db");

#[derive(Parser)]
#[command(name = "acme-svc", version)]
struct Args {
    /// The service's database.
    #[arg(long, env = "ACME_DATABASE", global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Migrate on start, then serve.
    Serve,
    /// Manage acme-svc's database schema.
    Db(DbArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Db(mut db) => {
            if db.database_connection.is_empty() {
                db.database_connection.extend(args.database);
            }
            db.run_as(APP, MIGRATIONS, &[])
        }
        Command::Serve => serve(args.database.as_deref()),
    }
}

#[tokio::main]
async fn serve(database: Option<&str>) -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match start(database.unwrap_or("postgresql://localhost/acme")).await {
        Ok(head) => {
            println!("acme-svc serving at schema {head}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("acme-svc: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Brings one pooled connection's database to head, in place, before serving.
async fn start(database: &str) -> Result<String, Box<dyn std::error::Error>> {
    let config: tokio_postgres::Config = database.parse()?;
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(4)
        .build()?;
    let mut client = pool.get().await?;
    let report = Migrations::new(MIGRATIONS)?
        .app(APP)
        .upgrade_on(&mut **client)
        .await?;
    log::info!(target: "acme_svc", "{} revision(s) applied", report.steps.len());
    Ok(report.after.join(", "))
}

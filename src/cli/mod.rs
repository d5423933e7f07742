//! The `quark-db-manage` command line: clap definitions, and printing results.
//!
//! The library never prints; this module decides how things look.

mod output;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::backend::Backend;
use crate::config::resolve_connection;
use crate::error::Error;
use crate::migrator::{LOG_TARGET, Migrator};
use crate::plan;
use crate::revision::{Dialect, Direction, Range, RevisionMap, Target};
use crate::scaffold::{self, NewRevision};
use crate::source;
use crate::store::DEFAULT_VERSION_TABLE;
use crate::url::DatabaseUrl;
use crate::{EmbeddedFile, Migrations};

/// The `quark-db-manage` command line.
#[derive(Debug, Parser)]
#[command(
    name = "quark-db-manage",
    about = "Database migrations compiled into the binary, Alembic style"
)]
pub struct Cli {
    /// The options and the subcommand.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Every quark-db-manage subcommand with its options: mount it in an application's own command
/// line (`app db upgrade head`) and run it with [`DbArgs::run`].
///
/// ```no_run
/// use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
///
/// static MIGRATIONS: &[quark_db_manage::EmbeddedFile] = quark_db_manage::embed_migrations!();
///
/// #[derive(Parser)]
/// struct App {
///     #[command(subcommand)]
///     command: AppCommand,
/// }
///
/// #[derive(Subcommand)]
/// enum AppCommand {
///     /// Manage the database schema.
///     Db(quark_db_manage::cli::DbArgs),
///     /// Serve.
///     Serve,
/// }
///
/// fn main() -> std::process::ExitCode {
///     match App::parse().command {
///         AppCommand::Db(db) => db.run(MIGRATIONS),
///         AppCommand::Serve => std::process::ExitCode::SUCCESS,
///     }
/// }
/// ```
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// Database URL, e.g. sqlite:////var/lib/quark.db or mysql://user:pw@host/quark.
    #[arg(long, global = true, value_name = "URL")]
    pub database_connection: Option<String>,
    /// INI file (neutron.conf style) whose [database] section has `connection = URL`.
    #[arg(long, global = true, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Table that records the current revisions.
    #[arg(long, global = true, value_name = "NAME", default_value = DEFAULT_VERSION_TABLE)]
    pub version_table: String,
    /// Seconds to wait for another migration's lock (and for a busy database).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub lock_timeout: u64,
    /// Seconds to wait for a database server to accept the connection.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// Take no migration lock (for servers without advisory locks, or poolers in transaction
    /// mode); only one migrator may then run at a time.
    #[arg(long, global = true)]
    pub no_lock: bool,
    /// Print only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show details: full revision listings, and every statement as it runs.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Output for people (text) or tools (json: current, history, heads, verify, upgrade,
    /// downgrade); log lines stay on stderr.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// SQL dialect of an offline (--sql) script when no database URL is given.
    #[arg(long, global = true, value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    Dialect::from_name(name)
        .ok_or_else(|| format!("unknown dialect '{name}': expected sqlite, postgresql or mysql"))
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Alembic's lines.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// Instead of migrating: print what would run; or how to group the transactions.
#[derive(Debug, Clone, clap::Args)]
pub struct RunMode {
    /// Run all the revisions in one transaction, all or nothing (PostgreSQL, SQLite; not with a
    /// `Transactional: false` revision), as Alembic does by default.
    #[arg(long)]
    pub single_transaction: bool,
    /// Print the complete SQL script without connecting (offline mode); the target may be
    /// FROM:TO, and the dialect comes from the URL or --dialect.
    #[arg(long, conflicts_with = "dry_run")]
    pub sql: bool,
    /// Connect, read the current state, and print the plan and the SQL it would run.
    #[arg(long)]
    pub dry_run: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upgrade to a later revision (default: head).
    Upgrade {
        /// head, heads, a revision (or unique prefix), <label>@head, or +N.
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
        /// Run even if applied revisions changed since they were applied.
        #[arg(long)]
        ignore_drift: bool,
        /// Continue a revision that stopped part-way, at its first unfinished statement.
        #[arg(long)]
        resume: bool,
        #[command(flatten)]
        mode: RunMode,
    },
    /// Revert to an earlier revision.
    Downgrade {
        /// base, a revision (or unique prefix), or -N; FROM:TO with --sql.
        #[arg(allow_hyphen_values = true)]
        target: String,
        #[command(flatten)]
        mode: RunMode,
    },
    /// Show the database's current revision(s).
    Current,
    /// List revisions, newest first.
    History {
        /// FROM:TO, e.g. base:head, 1284c8:, :current.
        #[arg(
            short = 'r',
            long = "rev-range",
            value_name = "RANGE",
            allow_hyphen_values = true
        )]
        range: Option<String>,
    },
    /// Show the heads.
    Heads,
    /// Show branch points.
    Branches,
    /// Show one revision.
    Show {
        /// A revision, unique prefix, label, head or base.
        revision: String,
    },
    /// Set the version table to a revision without running any migration.
    Stamp {
        /// The revision to record.
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Empty the version table first, unknown revisions included.
        #[arg(long)]
        purge: bool,
    },
    /// Check that applied revisions still match the embedded SQL.
    Verify,
    /// Write a new revision file revising the current head.
    Revision {
        /// The revision's message.
        #[arg(short, long)]
        message: String,
        /// The revision to revise (default: the single head).
        #[arg(long, value_name = "REV")]
        head: Option<String>,
        /// A branch label for the new revision.
        #[arg(long, value_name = "LABEL")]
        branch_label: Vec<String>,
        /// Where the migration files are.
        #[arg(long, value_name = "DIR", default_value = "migrations")]
        migrations_dir: PathBuf,
    },
    /// Write a merge revision joining two or more heads.
    Merge {
        /// The revision's message.
        #[arg(short, long)]
        message: String,
        /// The revisions to join (or `heads`).
        #[arg(required = true, num_args = 1..)]
        revisions: Vec<String>,
        /// Where the migration files are.
        #[arg(long, value_name = "DIR", default_value = "migrations")]
        migrations_dir: PathBuf,
    },
}

/// Runs the command line against `files` and returns the process exit status.
pub fn main_with(files: &'static [EmbeddedFile]) -> ExitCode {
    let command = Cli::command().version(version(files));
    let cli = match command.try_get_matches() {
        Ok(matches) => Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()),
        Err(e) => e.exit(),
    };
    cli.db.run(files)
}

/// The crate version and the embedded head revisions, for `--version`.
fn version(files: &'static [EmbeddedFile]) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let summary = Migrations::new(files).and_then(|m| Ok((m.len(), m.heads()?.join(", "))));
    match summary {
        Ok((n, heads)) => format!("{version} (migrations: {n} revisions, head {heads})"),
        Err(e) => format!("{version} (embedded migrations invalid: {e})"),
    }
}

impl DbArgs {
    /// Runs the subcommand against `files`, printing results and errors; returns the exit status.
    pub fn run(&self, files: &'static [EmbeddedFile]) -> ExitCode {
        init_logger(self);
        match run(self, files) {
            Ok(code) => code,
            Err(e) => {
                let _ = std::io::stdout().flush();
                eprintln!("FAILED: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

fn init_logger(cli: &DbArgs) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Warn,
        (false, true) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Info,
    };
    let _ = env_logger::Builder::new()
        .filter_level(level)
        .format(|buf, record| {
            writeln!(
                buf,
                "{:<5} [{}] {}",
                record.level(),
                record.target(),
                record.args()
            )
        })
        .try_init();
}

struct Context<'a> {
    cli: &'a DbArgs,
    migrations: &'a Migrations,
    map: &'a RevisionMap,
}

impl Context<'_> {
    fn connect(&self) -> Result<(DatabaseUrl, Box<dyn Backend>), Error> {
        let env = std::env::var("DATABASE_URL").ok();
        let (raw, from) = resolve_connection(
            self.cli.database_connection.as_deref(),
            self.cli.config_file.as_deref(),
            env,
        )?;
        let url = DatabaseUrl::parse(&raw)?;
        log::debug!(target: LOG_TARGET, "Database {url} (from {from})");
        let db = self.migrations.connect_url(&url)?;
        log::debug!(target: LOG_TARGET, "Context impl {}", db.dialect());
        Ok((url, db))
    }

    /// The dialect of an offline script: --dialect, else the configured URL's, unconnected.
    fn offline_dialect(&self) -> Result<Dialect, Error> {
        if let Some(dialect) = self.cli.dialect {
            return Ok(dialect);
        }
        let env = std::env::var("DATABASE_URL").ok();
        match resolve_connection(
            self.cli.database_connection.as_deref(),
            self.cli.config_file.as_deref(),
            env,
        ) {
            Ok((raw, _)) => Ok(DatabaseUrl::parse(&raw)?.dialect),
            Err(e) => Err(Error::Io(format!(
                "--sql writes SQL for one dialect: pass --dialect sqlite|postgresql|mysql or a database URL ({e})"
            ))),
        }
    }

    fn map(&self) -> &RevisionMap {
        self.map
    }

    fn migrator(&self, ignore_drift: bool) -> Result<Migrator<'_>, Error> {
        Ok(self.migrations.migrator()?.ignore_drift(ignore_drift))
    }

    fn json(&self) -> bool {
        self.cli.format == Format::Json
    }

    fn print_revisions<'r>(&self, revs: impl Iterator<Item = &'r crate::revision::Revision>) {
        if self.json() {
            let list: Vec<_> = revs.map(|r| output::revision_json(self.map(), r)).collect();
            println!("{}", serde_json::Value::from(list));
            return;
        }
        for rev in revs {
            if self.cli.verbose {
                println!("{}", output::verbose(self.map(), rev));
            } else {
                println!("{}", output::entry(self.map(), rev));
            }
        }
    }
}

/// Runs one parsed command line against `files`.
pub fn run(cli: &DbArgs, files: &'static [EmbeddedFile]) -> Result<ExitCode, Error> {
    let migrations = Migrations::new(files)?
        .version_table(&cli.version_table)?
        .lock_timeout(Duration::from_secs(cli.lock_timeout))
        .connect_timeout(Duration::from_secs(cli.connect_timeout))
        .use_lock(!cli.no_lock);
    let ctx = Context {
        cli,
        migrations: &migrations,
        map: migrations.map()?,
    };
    match &cli.command {
        Command::Upgrade {
            target,
            ignore_drift,
            resume,
            mode,
        } => {
            let migrator = ctx.migrator(*ignore_drift)?.resume(*resume);
            migrate(&ctx, &migrator, target, Direction::Upgrade, mode)?;
        }
        Command::Downgrade { target, mode } => {
            let migrator = ctx.migrator(false)?;
            migrate(&ctx, &migrator, target, Direction::Downgrade, mode)?;
        }
        Command::Stamp { target, purge } => {
            let target: Target = target.parse().map_err(plan::PlanError::from)?;
            let (_, mut db) = ctx.connect()?;
            ctx.migrator(false)?.stamp(db.as_mut(), &target, *purge)?;
        }
        Command::Current => {
            let (url, mut db) = ctx.connect()?;
            let heads = ctx.migrator(false)?.current(db.as_mut())?;
            if ctx.json() {
                let current: Vec<_> = heads
                    .iter()
                    .filter_map(|h| ctx.map().get(h))
                    .map(|r| output::revision_json(ctx.map(), r))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"database": url.masked(), "current": current})
                );
                return Ok(ExitCode::SUCCESS);
            }
            if heads.is_empty() {
                println!("Current revision for {url}: None");
            }
            for head in &heads {
                let rev = ctx
                    .map()
                    .get(head)
                    .expect("current() refuses unknown revisions");
                if cli.verbose {
                    println!(
                        "Current revision for {url}:\n{}",
                        output::verbose(ctx.map(), rev)
                    );
                } else {
                    println!(
                        "Current revision for {url}: {}",
                        output::entry(ctx.map(), rev)
                    );
                }
            }
        }
        Command::Verify => {
            let (url, mut db) = ctx.connect()?;
            let migrator = ctx.migrator(false)?;
            let drift = migrator.verify(db.as_mut())?;
            let current = migrator.current(db.as_mut())?;
            if ctx.json() {
                println!(
                    "{}",
                    serde_json::json!({
                        "database": url.masked(),
                        "current": current,
                        "ok": drift.is_empty(),
                        "drift": output::drift_json(&drift),
                    })
                );
            }
            if !drift.is_empty() {
                return Err(Error::Drift(drift));
            }
            if ctx.json() {
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{url}: applied revisions match the embedded SQL (current: {})",
                plan::describe(&current)
            );
        }
        Command::History { range } => history(&ctx, range.as_deref())?,
        Command::Heads => ctx.print_revisions(ctx.map().heads().into_iter()),
        Command::Branches => {
            for rev in ctx
                .map()
                .iter()
                .filter(|r| ctx.map().is_branch_point(&r.id))
            {
                println!("{}", output::entry(ctx.map(), rev));
                for child in ctx.map().children(&rev.id) {
                    println!(
                        "    -> {}{}, {}",
                        child.id,
                        if ctx.map().is_head(&child.id) {
                            " (head)"
                        } else {
                            ""
                        },
                        child.message
                    );
                }
            }
        }
        Command::Show { revision } => {
            let target: Target = revision.parse().map_err(plan::PlanError::from)?;
            let ids = plan::resolve(ctx.map(), &[], &target).map_err(plan::PlanError::from)?;
            if ids.is_empty() {
                println!("Rev: base (before the first revision)");
            }
            ctx.print_verbose(&ids);
        }
        Command::Revision {
            message,
            head,
            branch_label,
            migrations_dir,
        } => {
            let disk = disk_map(migrations_dir)?;
            let revises = match head {
                Some(h) => {
                    let t: Target = h.parse().map_err(plan::PlanError::from)?;
                    plan::resolve(&disk, &[], &t).map_err(plan::PlanError::from)?
                }
                None if disk.is_empty() => Vec::new(),
                None => vec![
                    disk.single_head()
                        .map_err(plan::PlanError::from)?
                        .id
                        .clone(),
                ],
            };
            let new = NewRevision {
                message: message.clone(),
                revises,
                branch_labels: branch_label.clone(),
            };
            write_revision(migrations_dir, &disk, &new)?;
            println!(
                "Write the SQL under '-- +upgrade' (and '-- +downgrade'): a revision with an empty upgrade fails the build."
            );
        }
        Command::Merge {
            message,
            revisions,
            migrations_dir,
        } => {
            let disk = disk_map(migrations_dir)?;
            let mut revises: Vec<String> = Vec::new();
            for r in revisions {
                let t: Target = r.parse().map_err(plan::PlanError::from)?;
                for id in plan::resolve(&disk, &[], &t).map_err(plan::PlanError::from)? {
                    if !revises.contains(&id) {
                        revises.push(id);
                    }
                }
            }
            if revises.len() < 2 {
                return Err(Error::Io(format!(
                    "a merge joins two or more revisions; got {}",
                    plan::describe(&revises)
                )));
            }
            write_revision(
                migrations_dir,
                &disk,
                &NewRevision {
                    message: message.clone(),
                    revises,
                    branch_labels: Vec::new(),
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

impl Context<'_> {
    fn print_verbose(&self, ids: &[String]) {
        for id in ids {
            if let Some(rev) = self.map().get(id) {
                println!("{}", output::verbose(self.map(), rev));
            }
        }
    }
}

fn disk_map(dir: &std::path::Path) -> Result<RevisionMap, Error> {
    if !dir.is_dir() {
        return Err(Error::Io(format!(
            "no migrations directory at {}: run from the project's root or pass --migrations-dir",
            dir.display()
        )));
    }
    let shown = dir.display().to_string();
    Ok(source::link(&source::read_dir(dir, &shown)?)?)
}

fn write_revision(
    dir: &std::path::Path,
    map: &RevisionMap,
    new: &NewRevision,
) -> Result<(), Error> {
    let (_, path) = scaffold::write(dir, map, new).map_err(|e| {
        Error::Io(format!(
            "cannot write a new revision in {}: {e}",
            dir.display()
        ))
    })?;
    println!("Generating {} ... done", path.display());
    Ok(())
}

/// `upgrade` and `downgrade`: run, mode (`--dry-run`) or write offline SQL (`--sql`).
fn migrate(
    ctx: &Context<'_>,
    migrator: &Migrator<'_>,
    spec: &str,
    direction: Direction,
    mode: &RunMode,
) -> Result<(), Error> {
    let migrator = &migrator.clone().single_transaction(mode.single_transaction);
    if mode.sql {
        let (from, to) = match spec.split_once(':') {
            Some((from, to)) => (Some(from), to),
            None if direction == Direction::Downgrade => {
                return Err(Error::Io(format!(
                    "downgrade --sql needs FROM:TO (e.g. head:{spec}): offline, the database's revision is not read"
                )));
            }
            None => (None, spec),
        };
        let from = match from {
            None | Some("" | "base") => Vec::new(),
            Some(from) => {
                let t: Target = from.parse().map_err(plan::PlanError::from)?;
                plan::resolve(ctx.map(), &[], &t).map_err(plan::PlanError::from)?
            }
        };
        let target: Target = to.parse().map_err(plan::PlanError::from)?;
        let dialect = ctx.offline_dialect()?;
        let (report, sql) = migrator.script(dialect, &from, &target, direction)?;
        println!(
            "-- {} {} -> {} ({dialect}), written by quark-db-manage {}\n",
            direction.name(),
            plan::describe(&report.before),
            plan::describe(&report.after),
            env!("CARGO_PKG_VERSION")
        );
        print!("{sql}");
        return Ok(());
    }
    let target: Target = spec.parse().map_err(plan::PlanError::from)?;
    let (url, mut db) = ctx.connect()?;
    if mode.dry_run {
        let (report, sql) = migrator.preview(db.as_mut(), &target, direction)?;
        if ctx.json() {
            let mut json = output::report_json(&url.masked(), &report);
            json["sql"] = sql.into();
            println!("{json}");
        } else if report.steps.is_empty() {
            println!(
                "-- dry run on {url}: at {}, nothing to {}",
                plan::describe(&report.before),
                direction.name()
            );
        } else {
            println!(
                "-- dry run on {url}: {} {} -> {}, {} revision(s); nothing was changed\n",
                direction.name(),
                plan::describe(&report.before),
                plan::describe(&report.after),
                report.steps.len()
            );
            print!("{sql}");
        }
        return Ok(());
    }
    let report = match direction {
        Direction::Upgrade => migrator.upgrade(db.as_mut(), &target)?,
        Direction::Downgrade => migrator.downgrade(db.as_mut(), &target)?,
    };
    if ctx.json() {
        println!("{}", output::report_json(&url.masked(), &report));
    }
    Ok(())
}

/// `history [-r FROM:TO]`: revisions in the range, newest first.
fn history(ctx: &Context<'_>, range: Option<&str>) -> Result<(), Error> {
    let range: Range = match range {
        Some(r) => r.parse().map_err(plan::PlanError::from)?,
        None => Range {
            from: None,
            to: None,
        },
    };
    let uses_current = [&range.from, &range.to]
        .iter()
        .any(|t| matches!(t, Some(Target::Current)));
    let current = if uses_current {
        let (_, mut db) = ctx.connect()?;
        ctx.migrator(false)?.current(db.as_mut())?
    } else {
        Vec::new()
    };
    let map = ctx.map();
    let lower = match &range.from {
        None | Some(Target::Base) => vec![true; map.len()],
        Some(t) => {
            let ids = plan::resolve(map, &current, t).map_err(plan::PlanError::from)?;
            map.descendants(ids.iter().map(String::as_str))
        }
    };
    let upper = match &range.to {
        None | Some(Target::Heads) => vec![true; map.len()],
        Some(t) => {
            let ids = plan::resolve(map, &current, t).map_err(plan::PlanError::from)?;
            map.ancestors(ids.iter().map(String::as_str))
        }
    };
    ctx.print_revisions(
        map.iter()
            .enumerate()
            .rev()
            .filter(|(i, _)| lower[*i] && upper[*i])
            .map(|(_, r)| r),
    );
    Ok(())
}

//! The `quark-db-manage` command line: clap definitions, and printing results.
//!
//! The library never prints; this module decides how things look.

mod output;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::backend::{self, Backend, ConnectOptions};
use crate::config::resolve_connection;
use crate::error::Error;
use crate::migrator::{LOG_TARGET, Migrator};
use crate::plan;
use crate::revision::{Range, RevisionMap, Target};
use crate::scaffold::{self, NewRevision};
use crate::source;
use crate::store::{DEFAULT_VERSION_TABLE, Store};
use crate::url::DatabaseUrl;
use crate::{EmbeddedFile, load};

/// Global options and the subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "quark-db-manage",
    version,
    about = "Database migrations compiled into the binary, Alembic style"
)]
pub struct Cli {
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
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
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
    },
    /// Revert to an earlier revision.
    Downgrade {
        /// base, a revision (or unique prefix), or -N.
        #[arg(allow_hyphen_values = true)]
        target: String,
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
pub fn main_with(files: &[EmbeddedFile]) -> ExitCode {
    let cli = Cli::parse();
    init_logger(&cli);
    match run(&cli, files) {
        Ok(code) => code,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logger(cli: &Cli) {
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
    cli: &'a Cli,
    map: RevisionMap,
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
        let db = backend::connect(
            &url,
            &ConnectOptions {
                connect_timeout: Duration::from_secs(self.cli.connect_timeout),
                busy_timeout: Duration::from_secs(self.cli.lock_timeout),
            },
        )?;
        log::debug!(target: LOG_TARGET, "Context impl {}", db.dialect());
        Ok((url, db))
    }

    fn migrator(&self, ignore_drift: bool) -> Result<Migrator<'_>, Error> {
        Ok(
            Migrator::new(&self.map, Store::new(&self.cli.version_table)?)
                .lock_timeout(Duration::from_secs(self.cli.lock_timeout))
                .use_lock(!self.cli.no_lock)
                .ignore_drift(ignore_drift),
        )
    }

    fn print_revisions<'r>(&self, revs: impl Iterator<Item = &'r crate::revision::Revision>) {
        for rev in revs {
            if self.cli.verbose {
                println!("{}", output::verbose(&self.map, rev));
            } else {
                println!("{}", output::entry(&self.map, rev));
            }
        }
    }
}

/// Runs one parsed command line against `files`.
pub fn run(cli: &Cli, files: &[EmbeddedFile]) -> Result<ExitCode, Error> {
    let ctx = Context {
        cli,
        map: load(files)?,
    };
    match &cli.command {
        Command::Upgrade {
            target,
            ignore_drift,
            resume,
        } => {
            let target: Target = target.parse().map_err(plan::PlanError::from)?;
            let (_, mut db) = ctx.connect()?;
            ctx.migrator(*ignore_drift)?
                .resume(*resume)
                .upgrade(db.as_mut(), &target)?;
        }
        Command::Downgrade { target } => {
            let target: Target = target.parse().map_err(plan::PlanError::from)?;
            let (_, mut db) = ctx.connect()?;
            ctx.migrator(false)?.downgrade(db.as_mut(), &target)?;
        }
        Command::Stamp { target, purge } => {
            let target: Target = target.parse().map_err(plan::PlanError::from)?;
            let (_, mut db) = ctx.connect()?;
            ctx.migrator(false)?.stamp(db.as_mut(), &target, *purge)?;
        }
        Command::Current => {
            let (url, mut db) = ctx.connect()?;
            let heads = ctx.migrator(false)?.current(db.as_mut())?;
            if heads.is_empty() {
                println!("Current revision for {url}: None");
            }
            for head in &heads {
                let rev = ctx
                    .map
                    .get(head)
                    .expect("current() refuses unknown revisions");
                if cli.verbose {
                    println!(
                        "Current revision for {url}:\n{}",
                        output::verbose(&ctx.map, rev)
                    );
                } else {
                    println!(
                        "Current revision for {url}: {}",
                        output::entry(&ctx.map, rev)
                    );
                }
            }
        }
        Command::Verify => {
            let (url, mut db) = ctx.connect()?;
            let migrator = ctx.migrator(false)?;
            let drift = migrator.verify(db.as_mut())?;
            if !drift.is_empty() {
                return Err(Error::Drift(drift));
            }
            let current = migrator.current(db.as_mut())?;
            println!(
                "{url}: applied revisions match the embedded SQL (current: {})",
                plan::describe(&current)
            );
        }
        Command::History { range } => history(&ctx, range.as_deref())?,
        Command::Heads => ctx.print_revisions(ctx.map.heads().into_iter()),
        Command::Branches => {
            for rev in ctx.map.iter().filter(|r| ctx.map.is_branch_point(&r.id)) {
                println!("{}", output::entry(&ctx.map, rev));
                for child in ctx.map.children(&rev.id) {
                    println!(
                        "    -> {}{}, {}",
                        child.id,
                        if ctx.map.is_head(&child.id) {
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
            let ids = plan::resolve(&ctx.map, &[], &target).map_err(plan::PlanError::from)?;
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
            if let Some(rev) = self.map.get(id) {
                println!("{}", output::verbose(&self.map, rev));
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
    let map = &ctx.map;
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

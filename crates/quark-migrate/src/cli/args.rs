//! The command line's shape: clap definitions of the options and subcommands.
//!
//! Their doc comments are the `--help` texts, written for the terminal: `[database]` is an INI
//! section and `<label>` a placeholder there, not a link or a tag.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::revision::Dialect;
use crate::store::DEFAULT_VERSION_TABLE;

/// The command line of an application built on the engine (named by [`super::main_as`]).
#[derive(Debug, Parser)]
#[command(
    name = "quark-migrate",
    about = "Database migrations compiled into the binary, Alembic style"
)]
pub struct Cli {
    /// The options and the subcommand.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Every subcommand with its options: mount it in an application's own command
/// line (`app db upgrade head`) and run it with [`DbArgs::run`].
///
/// ```no_run
/// use clap::{Parser, Subcommand};
/// use quark_migrate::EmbeddedFile;
///
/// # static MIGRATIONS: &[EmbeddedFile] = &[];
/// // static MIGRATIONS: &[EmbeddedFile] = quark_migrate::embed_migrations!();
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
///     Db(quark_migrate::cli::DbArgs),
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
    /// Database URL, e.g. sqlite:////var/lib/app/app.db, postgresql://user:pw@host/app or
    /// mysql://user:pw@host/app; repeated, `upgrade` migrates each of them (see --jobs).
    #[arg(long, global = true, value_name = "URL", action = clap::ArgAction::Append)]
    pub database_connection: Vec<String>,
    /// A file of database URLs, one a line (`#` at the start of a line or after a space starts a
    /// comment): `upgrade` migrates each. A regular file of at most 64 MiB.
    #[arg(long, global = true, value_name = "FILE")]
    pub databases: Option<PathBuf>,
    /// Seconds between progress lines of a long step when stderr is no terminal (on a terminal
    /// a live line shows it).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 2.0,
        value_parser = parse_seconds
    )]
    pub progress_interval: f64,
    /// How many databases `upgrade` migrates at once when given several.
    #[arg(long, global = true, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    /// A file of tenant names, one a line (comments as in --databases): `upgrade` migrates
    /// each tenant of the configured database: on PostgreSQL a schema of it, holding the
    /// tenant's own version tables; on MySQL a database on its server.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "databases")]
    pub schemas: Option<PathBuf>,
    /// A query run (read-only) on the configured database whose first column names the
    /// tenants, as --schemas, e.g. "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%'".
    #[arg(long, global = true, value_name = "SQL", conflicts_with_all = ["databases", "schemas"])]
    pub schemas_from: Option<String>,
    /// Over several databases, migrate the first N alone first: if one of them fails, no other
    /// is started.
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    pub canary: usize,
    /// Over several databases, after the canary, migrate them N to a wave, each wave once the
    /// one before it has finished [default: all in one wave].
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    pub wave_size: usize,
    /// Over several databases, start no more once more than N have failed (those under way
    /// finish) [default: every database is started].
    #[arg(long, global = true, value_name = "N")]
    pub max_failures: Option<usize>,
    /// Over several databases, migrate only shard K of N (K from 0, e.g. a Kubernetes Indexed
    /// Job's $JOB_COMPLETION_INDEX): every database is in exactly one shard, the same on every
    /// machine, so N runs side by side share the list.
    #[arg(long, global = true, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Configuration file (neutron.conf style, as oslo.config reads it) whose [database] section
    /// has `connection = URL`; may be repeated, later files overriding earlier ones. Without
    /// --config-file or --config-dir, <program>.conf (and <program>.conf.d/) is looked for in ~
    /// and /etc. Each a regular file of at most 16 MiB.
    #[arg(long, global = true, value_name = "FILE")]
    #[cfg_attr(not(feature = "oslo"), arg(hide = true))]
    pub config_file: Vec<PathBuf>,
    /// Directory whose *.conf files are read, in name order, after the --config-file files.
    #[arg(long, global = true, value_name = "DIR")]
    #[cfg_attr(not(feature = "oslo"), arg(hide = true))]
    pub config_dir: Vec<PathBuf>,
    /// Table that records the current revisions [default: `version_table` under [database] in
    /// the configuration files, else alembic_version].
    #[arg(long, global = true, value_name = "NAME")]
    #[cfg_attr(feature = "oslo", arg(env = "QUARK_DB_MANAGE_VERSION_TABLE"))]
    pub version_table: Option<String>,
    /// Seconds to wait for another migration's lock (and for a busy database), at most 2147483.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(..=MAX_SECONDS)
    )]
    pub lock_timeout: u64,
    /// Seconds to wait for a database server to accept the connection, at most 2147483.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(..=MAX_SECONDS)
    )]
    pub connect_timeout: u64,
    /// Seconds each statement may wait for a lock another session holds before its revision is
    /// rolled back (on MySQL: the statement given up) and tried again; the application's queries
    /// never queue behind a migration for longer.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 5.0,
        value_parser = parse_seconds
    )]
    pub ddl_lock_timeout: f64,
    /// How many times a revision that gave up waiting for a lock is tried again, after a pause
    /// that doubles each time, before it fails naming the sessions that held the lock.
    #[arg(long, global = true, value_name = "N", default_value_t = 5)]
    pub ddl_lock_retries: u32,
    /// When to copy a SQLite database file aside before a run changes it: before a revision
    /// marked `Breaking:` or one that cannot be reverted, before every schema change, or never.
    #[arg(long, global = true, value_enum, default_value_t = Backup::PointOfNoReturn)]
    #[cfg_attr(not(feature = "sqlite"), arg(hide = true))]
    pub backup: Backup,
    /// How many backups to keep beside a SQLite database (the newest).
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    #[cfg_attr(not(feature = "sqlite"), arg(hide = true))]
    pub keep_backups: usize,
    /// Refuse to run on a database that a newer release migrated (by default an older release
    /// starts on it with a warning, unless a newer revision is marked `Breaking:`).
    #[arg(long, global = true)]
    pub refuse_newer_schema: bool,
    /// Seconds a migration lock kept in a table (on a Galera cluster, behind a transaction
    /// pooler) stays with a migrator that stopped renewing it before a waiter takes it over.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 15.0,
        value_parser = parse_seconds
    )]
    pub lock_lease: f64,
    /// Seconds a run whose PostgreSQL connection was lost (a failover: the server killed, shut
    /// down or demoted) keeps connecting again, to the server that takes writes now, before it
    /// fails; it then goes on from what the database holds (0: fail at once).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 60.0,
        value_parser = parse_seconds
    )]
    pub failover_timeout: f64,
    /// Seconds a run that wrote waits, on a server with streaming replicas, for one that could
    /// take over to replay its last commit before it fails naming them (0: no wait).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 60.0,
        value_parser = parse_seconds
    )]
    pub replica_wait: f64,
    /// After an upgrade (and --verify-only), compare the live schema with the one recorded after
    /// the last migration: off, warn (log each difference), fail (exit 1 naming them).
    #[arg(long, global = true, value_enum, default_value_t = CheckDrift::Off)]
    pub check_drift: CheckDrift,
    /// Take no migration lock (for servers without advisory locks such as CockroachDB); only
    /// one migrator may then run at a time.
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
    /// Log lines on stderr for people (text) or for a log shipper (json: one object a line,
    /// with ts, level, target and message).
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub log_format: Format,
    /// SQL dialect of an offline (--sql) script when no database URL is given (upstream's
    /// --database-engine; `engine` under [database] in the configuration files).
    #[arg(
        long,
        global = true,
        value_parser = parse_dialect,
        visible_alias = "database-engine"
    )]
    pub dialect: Option<Dialect>,
    /// Storage engine of the MySQL tables migrations create without naming one, e.g. InnoDB
    /// (upstream's `upgrade --mysql-engine`; `mysql_engine` under [database] in the
    /// configuration files) [default: the server's]; other databases ignore it.
    #[arg(long, global = true, value_name = "ENGINE")]
    #[cfg_attr(not(feature = "mysql"), arg(hide = true))]
    pub mysql_engine: Option<String>,
    /// Print the application's version, the engine's and the embedded head revisions.
    #[arg(short = 'V', long)]
    pub version: bool,
    /// What to do (none with --version).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The longest wait an option may ask for, in seconds: 2147483 (24.8 days), the most that
/// SQLite's busy timeout and PostgreSQL's `lock_timeout` take (2^31 - 1 milliseconds).
pub const MAX_SECONDS: u64 = 2_147_483;

/// `K/N`: shard K (from 0) of N.
pub(crate) fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if k < n => Ok((k, n)),
        _ => Err(format!(
            "'{text}' is not a shard K/N with K from 0 to N-1 (e.g. 0/3, 1/3, 2/3)"
        )),
    }
}

/// A number of seconds from 0 to [`MAX_SECONDS`], fractions allowed (`--lock-lease`,
/// `--ddl-lock-timeout`, `--progress-interval`).
pub(crate) fn parse_seconds(text: &str) -> Result<f64, String> {
    text.trim()
        .parse()
        .ok()
        .and_then(|value| check_seconds(value).ok())
        .ok_or_else(|| format!("'{text}' is not a number of seconds from 0 to {MAX_SECONDS}"))
}

/// `value` when it is a number of seconds from 0 to [`MAX_SECONDS`].
pub(crate) fn check_seconds(value: f64) -> Result<f64, String> {
    if (0.0..=MAX_SECONDS as f64).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value:?} is not a number of seconds from 0 to {MAX_SECONDS}"
        ))
    }
}

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    Dialect::from_name(name)
        .ok_or_else(|| format!("unknown dialect '{name}': expected sqlite, postgresql or mysql"))
}

/// When to back a SQLite database file up (`--backup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backup {
    /// Never.
    Never,
    /// Before a revision marked `Breaking:` or one that cannot be reverted.
    PointOfNoReturn,
    /// Before every run that changes the schema.
    EveryChange,
}

/// What `--check-drift` does with a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckDrift {
    /// No comparison.
    Off,
    /// Log each difference as a warning.
    Warn,
    /// Fail, naming each difference.
    Fail,
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
        /// head (the default), heads, a revision (or unique prefix), <label>@head, +N, <rev>+N,
        /// <label>@+N.
        #[arg(allow_hyphen_values = true)]
        target: Option<String>,
        /// Upgrade N revisions from the target (from the current revision without one), as
        /// upstream's `upgrade --delta N`: the same as +N.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        delta: Option<u32>,
        /// Run even if applied revisions changed since they were applied.
        #[arg(long)]
        ignore_drift: bool,
        /// Continue a revision that stopped part-way, at its first unfinished statement.
        #[arg(long)]
        resume: bool,
        /// Change nothing: check that the database is at head (or compatibly ahead), waiting
        /// for a migrator running elsewhere, as an application whose role may not change the
        /// schema starts; exit non-zero naming the missing revisions otherwise. Reads only the
        /// engine's tables, on a read-only session.
        #[arg(long, conflicts_with_all = ["resume", "delta", "sql", "dry_run", "single_transaction"])]
        verify_only: bool,
        /// Seconds --verify-only waits for a migrator to bring the database to head (0: one
        /// look).
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = 60.0,
            value_parser = parse_seconds
        )]
        verify_wait: f64,
        /// Wait up to SECONDS for live instances of releases a `Breaking:` revision breaks to
        /// go (they are listed by `current`), then apply it; without it, such a revision is
        /// refused, naming them, before anything is applied.
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        wait_for_release_drain: Option<f64>,
        /// Apply `Breaking:` revisions even while live instances are of releases they break.
        #[arg(long, conflicts_with = "wait_for_release_drain")]
        ignore_live_releases: bool,
        /// How to run it.
        #[command(flatten)]
        mode: RunMode,
    },
    /// Revert to an earlier revision.
    Downgrade {
        /// base, a revision (or unique prefix), -N, head-N, <label>@-N, <label>@base; FROM:TO
        /// with --sql.
        #[arg(allow_hyphen_values = true, required_unless_present = "delta")]
        target: Option<String>,
        /// Downgrade N revisions from the current ones: the same as -N.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        delta: Option<u32>,
        /// Run the downgrades the database remembers for revisions this binary does not embed
        /// even when no key this binary trusts signed them: you read them (--dry-run) and
        /// vouch for them.
        #[arg(long)]
        trust_remembered: bool,
        /// How to run it.
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
    /// Put a SQLite database file back as a backup holds it (the newest unless --from names
    /// one); `--list` lists the backups beside it.
    #[cfg_attr(not(feature = "sqlite"), command(hide = true))]
    Restore {
        /// The backup to restore.
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// List the backups instead, oldest first.
        #[arg(long, conflicts_with = "from")]
        list: bool,
    },
    /// Compare the live schema with the one recorded after the last migration, and with the
    /// declared schema the binary embeds (on a scratch database of the same kind); exit 1
    /// naming each difference, with the SQL that brings the database back.
    Drift {
        /// Record the live schema as the expected one instead (a database adopted, or a
        /// difference accepted after review); takes the migration lock.
        #[arg(long)]
        record: bool,
    },
    /// Check that the migrations at head build the declared schema, on a scratch database of
    /// the configured kind (SQLite in memory when none is configured); exit 1 listing the
    /// differences otherwise.
    Check,
    /// Write a new revision file revising the current head.
    Revision {
        /// The revision's message.
        #[arg(short, long)]
        message: String,
        /// Write the SQL too: what turns the database (at head) into the declared schema, and back.
        #[arg(long)]
        autogenerate: bool,
        /// Where the declared schema is (default: <migrations-dir>/schema).
        #[arg(long, value_name = "DIR", requires = "autogenerate")]
        schema_dir: Option<PathBuf>,
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
    /// Move this tool's revisions out of a version table shared with another project (Neutron's
    /// alembic_version) into its own (--version-table), in one transaction; other projects'
    /// rows stay as they are.
    #[cfg_attr(not(feature = "oslo"), command(hide = true))]
    SplitVersionTable {
        /// The shared table.
        #[arg(long, value_name = "TABLE", default_value = DEFAULT_VERSION_TABLE)]
        from: String,
        /// Put back this revision of the other project, which the old "fake revision" recipe
        /// overwrote in the shared table.
        #[arg(long, value_name = "REV")]
        restore: Option<String>,
        /// Print what would move, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write a checkpoint of a revision: one file holding the schema that revision and its
    /// ancestors leave, per dialect, which a database at base runs instead of replaying them.
    /// Databases past base are untouched; the build checks that it gives that schema.
    Checkpoint {
        /// The revision (or unique prefix) whose schema it holds.
        revision: String,
        /// A PostgreSQL or MySQL/MariaDB server to render that dialect's section on (a scratch
        /// schema or database is made there and dropped); SQLite is rendered in memory.
        /// Dialects without one get no section, and replay the revisions.
        #[arg(long, value_name = "URL")]
        scratch_url: Vec<String>,
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

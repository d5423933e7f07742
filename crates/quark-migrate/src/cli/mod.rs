//! The command line (feature `cli`): every subcommand, mountable in an application's own command
//! line, over the engine's library API.
//!
//! The engine never prints; this module decides how things look. Each subcommand is one function
//! that asks the engine and hands the answer to `output`, which renders text or JSON.

mod args;
mod author;
mod config;
mod drift;
mod input_files;
mod inspect;
mod migrate;
mod output;
mod progress_line;
mod settings;

use settings::{configured, seconds};
#[cfg(test)]
use {input_files::database_lines, settings::whole_seconds};
mod shown;
mod tenants;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use thiserror::Error;

pub use args::{Backup, CheckDrift, Cli, Command, DbArgs, Format, MAX_SECONDS, RunMode};
pub use config::{ConfigError, ConfigFiles, UrlSource};
pub use input_files::{CONFIG_FILE_LIMIT, DATABASES_FILE_LIMIT, InputFileError};

use crate::app::log_target;
use crate::backend::Backend;
use crate::error::Error;
use crate::migrator::{LiveReleases, Migrator};
use crate::plan::PlanError;
use crate::revision::{Dialect, GraphError, RevisionMap, TargetError};
use crate::schema::SchemaError;
use crate::url::{DatabaseUrl, UrlError};
use crate::{App, EmbeddedFile, Migrations, SchemaFile};

/// Why a command failed: the engine said no, the connection setting is unusable, or the command
/// line asked for something that cannot be done.
#[derive(Debug, Error)]
pub enum Failure {
    /// The engine's error.
    #[error(transparent)]
    Engine(#[from] Error),
    /// The connection setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A command that cannot be carried out as asked, and what to do instead.
    #[error("{0}")]
    Usage(String),
}

/// Errors of the engine's parts convert as the engine's own error does.
macro_rules! via_engine_error {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Failure {
                Failure::Engine(e.into())
            }
        }
    )*};
}
via_engine_error!(PlanError, TargetError, UrlError, SchemaError, GraphError);

/// Runs the command line of `app` (`quark_migrate::app!()`) against the embedded migrations
/// `files` and declared schema `schema`, and returns the process exit status.
pub fn main_as(
    app: App,
    files: &'static [EmbeddedFile],
    schema: &'static [SchemaFile],
) -> ExitCode {
    let cli = match command(app, files).try_get_matches() {
        Ok(matches) => Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()),
        Err(e) => e.exit(),
    };
    cli.db.run_as(app, files, schema)
}

/// [`main_as`] for the engine itself, named `quark-migrate`.
pub fn main_with(files: &'static [EmbeddedFile], schema: &'static [SchemaFile]) -> ExitCode {
    main_as(App::ENGINE, files, schema)
}

/// The command line as `app` presents it: its name, and its version with the engine's and the
/// embedded head revisions.
fn command(app: App, files: &'static [EmbeddedFile]) -> clap::Command {
    Cli::command()
        .name(app.name)
        .bin_name(app.name)
        .version(version(app, files))
        .disable_version_flag(true)
}

/// The engine's commands as a person reaches them: the program's own command line, or the
/// subcommand the application mounts them under (`acme-svc db`), for completions.
fn reached(app: App, files: &'static [EmbeddedFile]) -> clap::Command {
    match app.mounted_at {
        None => command(app, files),
        Some(sub) => clap::Command::new(app.name).bin_name(app.name).subcommand(
            <DbArgs as clap::Args>::augment_args(clap::Command::new(sub))
                .disable_version_flag(true),
        ),
    }
}

/// `--version`: the application's version, the engine's and the embedded head revisions.
fn version(app: App, files: &'static [EmbeddedFile]) -> String {
    let engine = env!("CARGO_PKG_VERSION");
    let version = if app == App::ENGINE {
        engine.to_string()
    } else {
        format!("{} (quark-migrate {engine})", app.version)
    };
    let summary = Migrations::new(files).and_then(|m| Ok((m.len(), m.heads()?.join(", "))));
    match summary {
        Ok((n, heads)) => format!("{version}, migrations: {n} revisions, head {heads}"),
        Err(e) => format!("{version}, embedded migrations invalid: {e}"),
    }
}

impl DbArgs {
    /// Runs the subcommand against `files`, printing results and errors; returns the exit status.
    pub fn run(&self, files: &'static [EmbeddedFile]) -> ExitCode {
        self.run_with_schema(files, &[])
    }

    /// [`DbArgs::run`] with a declared schema (`embed_schema!()`) for `check`.
    pub fn run_with_schema(
        &self,
        files: &'static [EmbeddedFile],
        schema: &'static [SchemaFile],
    ) -> ExitCode {
        self.run_as(App::ENGINE, files, schema)
    }

    /// [`DbArgs::run_with_schema`] for `app` (`quark_migrate::app!()`): its name on the
    /// database sessions, in hints and completions, its log target on every line.
    pub fn run_as(
        &self,
        app: App,
        files: &'static [EmbeddedFile],
        schema: &'static [SchemaFile],
    ) -> ExitCode {
        let _app = app.scope();
        let _command_line = crate::app::command_line();
        init_logger(self, app);
        let code = match run(self, app, files, schema) {
            Ok(code) => code,
            Err(e) => {
                let _ = std::io::stdout().flush();
                eprintln!("FAILED: {}", shown::shown(&e.to_string(), shown::MESSAGE));
                ExitCode::FAILURE
            }
        };
        // A reader that went away (`| head`) ends the program as it would end any tool.
        if output::pipe_closed() {
            return ExitCode::from(141);
        }
        code
    }
}

/// The logger of a command: the application's and the engine's lines at the level `-q`/`-v`
/// ask for, every other crate's at warnings (`RUST_LOG` adds to that).
fn init_logger(cli: &DbArgs, app: App) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Warn,
        (false, true) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Info,
    };
    let mut builder = env_logger::Builder::new();
    builder
        .filter_level(log::LevelFilter::Warn)
        .filter_module(app.log_root(), level)
        .filter_module(App::ENGINE.log_root(), level);
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    let json = cli.log_format == Format::Json;
    let _ = builder
        .format(move |buf, record| {
            // A line may quote what a database holds: shown escaped and cut.
            let message = record.args().to_string();
            let message = shown::shown(&message, shown::MESSAGE);
            if json {
                let ts = humantime::format_rfc3339_millis(std::time::SystemTime::now());
                let line = serde_json::json!({
                    "ts": ts.to_string(),
                    "level": record.level().as_str(),
                    "target": record.target(),
                    "message": message,
                });
                return writeln!(buf, "{line}");
            }
            writeln!(buf, "{:<5} [{}] {message}", record.level(), record.target())
        })
        .try_init();
}

/// Runs one parsed command line: one function per subcommand.
fn run(
    cli: &DbArgs,
    app: App,
    files: &'static [EmbeddedFile],
    schema: &'static [SchemaFile],
) -> Result<ExitCode, Failure> {
    let command = match &cli.command {
        _ if cli.version => {
            output::version(&app.invocation(), &version(app, files));
            return Ok(ExitCode::SUCCESS);
        }
        None => {
            return Err(Failure::Usage(format!(
                "a command is needed: `{} --help` lists them",
                app.invocation()
            )));
        }
        Some(Command::Completions { shell }) => {
            output::completions(*shell, reached(app, files));
            return Ok(ExitCode::SUCCESS);
        }
        Some(command) => command,
    };
    // oslo-style configuration files are looked for only where the application asks for them.
    let config = if cfg!(feature = "oslo") {
        ConfigFiles::load(&cli.config_file, &cli.config_dir, &program())?
    } else {
        ConfigFiles::default()
    };
    let migrations = configured(cli, &config, app, files)?;
    let ctx = Context {
        cli,
        config: &config,
        migrations: &migrations,
    };
    if let Some(fleet) = tenants::fleet(&ctx)? {
        return over_many(&ctx, command, &fleet);
    }
    dispatch(&ctx, command, schema)
}

/// A run over several databases: a plain `upgrade head`, or `current`.
fn over_many(ctx: &Context<'_>, command: &Command, fleet: &[String]) -> Result<ExitCode, Failure> {
    match command {
        Command::Upgrade {
            target,
            delta: None,
            ignore_drift: false,
            resume: false,
            verify_only: false,
            mode,
            ..
        } if matches!(target.as_deref(), None | Some("head" | "heads"))
            && !mode.sql
            && !mode.dry_run =>
        {
            migrate::upgrade_all(ctx, fleet)
        }
        Command::Current => inspect::current_all(ctx, fleet),
        _ => Err(Failure::Usage(format!(
            "several databases (--database-connection repeated, --databases, --schemas or --schemas-from) are migrated only by a plain {} and read only by {}: run other commands on one database at a time",
            crate::app::command("upgrade head"),
            crate::app::command("current")
        ))),
    }
}

/// The subcommand, on one database (or none).
fn dispatch(
    ctx: &Context<'_>,
    command: &Command,
    schema: &'static [SchemaFile],
) -> Result<ExitCode, Failure> {
    match command {
        Command::Upgrade {
            target,
            verify_only: true,
            verify_wait,
            ignore_drift,
            ..
        } => migrate::verify_only(
            ctx,
            target.as_deref(),
            seconds("--verify-wait", *verify_wait)?,
            *ignore_drift,
        )?,
        Command::Upgrade {
            target,
            delta,
            ignore_drift,
            resume,
            wait_for_release_drain,
            ignore_live_releases,
            mode,
            ..
        } => {
            let target = relative(target.as_deref(), *delta, '+')?;
            if !*resume && migrate::already_at_head(ctx, &target, mode)? {
                return Ok(ExitCode::SUCCESS);
            }
            let live = match (wait_for_release_drain, ignore_live_releases) {
                (_, true) => LiveReleases::Force,
                (Some(wait), false) => {
                    LiveReleases::Wait(seconds("--wait-for-release-drain", *wait)?)
                }
                (None, false) => LiveReleases::Refuse,
            };
            let migrator = ctx
                .migrator()?
                .ignore_drift(*ignore_drift)
                .resume(*resume)
                .live_releases(live);
            migrate::upgrade(ctx, &migrator, &target, mode)?
        }
        Command::Downgrade {
            target,
            delta,
            trust_remembered,
            mode,
        } => {
            let target = relative(target.as_deref(), *delta, '-')?;
            migrate::downgrade(ctx, &target, *trust_remembered, mode)?
        }
        Command::SplitVersionTable {
            from,
            restore,
            dry_run,
        } => migrate::split_version_table(ctx, from, restore.as_deref(), *dry_run)?,
        Command::Completions { .. } => unreachable!("handled before reading the configuration"),
        Command::Stamp { target, purge } => migrate::stamp(ctx, target, *purge)?,
        Command::Current => inspect::current(ctx)?,
        Command::Restore { from, list } => migrate::restore(ctx, from.as_deref(), *list)?,
        Command::Verify => inspect::verify(ctx)?,
        Command::History { range } => inspect::history(ctx, range.as_deref())?,
        Command::Heads => inspect::heads(ctx)?,
        Command::Branches => inspect::branches(ctx)?,
        Command::Show { revision } => inspect::show(ctx, revision)?,
        Command::Check => return author::check(ctx, schema),
        Command::Drift { record } => return drift::drift(ctx, schema, *record),
        Command::Revision {
            message,
            autogenerate,
            schema_dir,
            head,
            branch_label,
            migrations_dir,
        } => author::revision(
            ctx,
            &author::RevisionArgs {
                message,
                autogenerate: *autogenerate,
                schema_dir: schema_dir.as_deref(),
                head: head.as_deref(),
                branch_labels: branch_label,
                migrations_dir,
            },
        )?,
        Command::Merge {
            message,
            revisions,
            migrations_dir,
        } => author::merge(message, revisions, migrations_dir)?,
        Command::Checkpoint {
            revision,
            scratch_url,
            migrations_dir,
        } => author::checkpoint(ctx, revision, scratch_url, migrations_dir)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The target of `upgrade`/`downgrade` with upstream's `--delta N`: `+N` (`-N`) from the
/// current revisions, or from the target given; `head` when neither is given.
fn relative(target: Option<&str>, delta: Option<u32>, sign: char) -> Result<String, Failure> {
    match (target, delta) {
        (None, None) => Ok("head".to_string()),
        (Some(t), None) => Ok(t.to_string()),
        (None, Some(n)) => Ok(format!("{sign}{n}")),
        (Some(t), Some(_)) if t.contains(['+', '-']) => Err(Failure::Usage(format!(
            "use either --delta or a relative target ({t}), not both"
        ))),
        (Some(t), Some(n)) => Ok(format!("{t}{sign}{n}")),
    }
}

/// The program's name, as oslo.config names its default configuration files after it.
fn program() -> String {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "quark-db-manage".to_string())
}

/// What every subcommand works with: the options, the configuration files, the migrations and
/// their graph.
struct Context<'a> {
    cli: &'a DbArgs,
    config: &'a ConfigFiles,
    migrations: &'a Migrations,
}

impl Context<'_> {
    /// The configured URL, parsed (the one place the command line parses it):
    /// --database-connection, else --config-file, else DATABASE_URL.
    fn configured(&self) -> Result<(DatabaseUrl, UrlSource), Failure> {
        let (raw, from) = config::resolve_connection(
            self.cli.database_connection.first().map(String::as_str),
            self.config,
            std::env::var("DATABASE_URL").ok(),
        )?;
        Ok((DatabaseUrl::parse(&raw)?, from))
    }

    /// The configured URL, when one is configured at all.
    fn configured_url(&self) -> Result<Option<DatabaseUrl>, Failure> {
        match self.configured() {
            Ok((url, _)) => Ok(Some(url)),
            Err(Failure::Config(ConfigError::NoConnection)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn connect(&self) -> Result<(DatabaseUrl, Box<dyn Backend>), Failure> {
        let (url, from) = self.configured()?;
        log::debug!(target: log_target(), "Database {url} (from {from})");
        let db = self.migrations.connect_url(&url)?;
        log::debug!(target: log_target(), "Context impl {}", db.dialect());
        Ok((url, db))
    }

    /// The dialect of an offline script: --dialect (--database-engine), else `engine` in the
    /// configuration files, else the configured URL's, unconnected.
    fn offline_dialect(&self) -> Result<Dialect, Failure> {
        if let Some(dialect) = self.cli.dialect {
            return Ok(dialect);
        }
        if let Some(engine) = self.config.engine() {
            return Dialect::from_name(&engine).ok_or_else(|| {
                Failure::Usage(format!(
                    "unknown dialect '{engine}' (engine under [database] in the configuration files): expected sqlite, postgresql or mysql"
                ))
            });
        }
        match self.configured() {
            Ok((url, _)) => Ok(url.dialect),
            Err(e) => Err(Failure::Usage(format!(
                "--sql writes SQL for one dialect: pass --dialect sqlite|postgresql|mysql or a database URL ({e})"
            ))),
        }
    }

    fn migrator(&self) -> Result<Migrator<'_>, Failure> {
        Ok(self.migrations.migrator()?)
    }

    /// The embedded revisions, parsed when a command first needs them (a start-up at head
    /// does not).
    fn map(&self) -> Result<&RevisionMap, Failure> {
        Ok(self.migrations.map()?)
    }

    fn format(&self) -> Format {
        self.cli.format
    }
}

/// Two revisions for the command-line fuzz target: a root, and a child with a branch label.
#[cfg(any(fuzzing, test))]
const FUZZ_MIGRATIONS: &[EmbeddedFile] = &[
    EmbeddedFile {
        path: "migrations/a1_first.sql",
        source: "-- first\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n\n-- +downgrade\nDROP TABLE t;\n",
        summary: None,
        code: None,
    },
    EmbeddedFile {
        path: "migrations/b2_second.sql",
        source: "-- second\n--\n-- Revision ID: b2\n-- Revises: a1\n-- Branch Labels: tools\n\n-- +upgrade\nALTER TABLE t ADD COLUMN n INTEGER;\n\n-- +downgrade\nALTER TABLE t DROP COLUMN n;\n",
        summary: None,
        code: None,
    },
];

/// The command-line fuzz target's run ([`crate::fuzz::cli_args`]): `args` parsed as the command
/// line parses them, then, when the command neither connects nor writes a file (`heads`,
/// `branches`, `show`, `upgrade`/`downgrade --sql`), run as [`DbArgs::run_as`] runs it, on two
/// embedded revisions. `None` when clap refuses the arguments or the command is not run.
#[cfg(any(fuzzing, test))]
pub(crate) fn run_offline<I: Into<std::ffi::OsString> + Clone>(
    args: impl IntoIterator<Item = I>,
) -> Option<Result<ExitCode, Failure>> {
    let matches = command(App::ENGINE, FUZZ_MIGRATIONS)
        .try_get_matches_from(args)
        .ok()?;
    let cli = Cli::from_arg_matches(&matches).ok()?;
    let offline = match &cli.db.command {
        None => true,
        Some(Command::Heads | Command::Branches | Command::Show { .. }) => true,
        Some(Command::Upgrade { mode, .. } | Command::Downgrade { mode, .. }) => mode.sql,
        _ => false,
    };
    // Over several databases these are refused before any connects.
    offline.then(|| run(&cli.db, App::ENGINE, FUZZ_MIGRATIONS, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_command_line_carries_the_applications_name_and_version() {
        let acme = App::new("acme", "2.4.1");
        let mut command = command(acme, &[]);
        let help = command.render_long_help().to_string();
        assert!(help.contains("Usage: acme [OPTIONS] [COMMAND]"), "{help}");
        let version = command.render_version();
        assert!(
            version.starts_with(&format!(
                "acme 2.4.1 (quark-migrate {})",
                env!("CARGO_PKG_VERSION")
            )),
            "{version}"
        );
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut command,
            "acme",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        assert!(
            script.contains("_acme()") && !script.contains("quark"),
            "{script}"
        );
        // Without an identity, the engine's own name.
        let plain = super::command(App::ENGINE, &[]).render_version();
        assert!(plain.starts_with("quark-migrate "), "{plain}");
    }

    #[test]
    fn mounted_completions_reach_the_commands_under_the_applications_subcommand() {
        let mut script = Vec::new();
        let mut mounted = reached(App::new("acme-svc", "1.0").mounted_at("db"), &[]);
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut mounted,
            "acme-svc",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        assert!(
            script.contains("cmd=\"acme__svc__subcmd__db__subcmd__upgrade\""),
            "completions for `acme-svc db upgrade`: {script}"
        );
        assert!(!script.contains("quark"), "{script}");
    }

    #[test]
    fn a_hash_in_a_databases_file_starts_a_comment_only_after_white_space() {
        let text = "# the fleet\n\
                    mysql://u:p#w@db1/quark   # the first\n\
                    \n\
                    \t# indented comment\n\
                    postgresql://u:a#b#c@db2/quark#not-a-comment\n\
                    mysql://u@db3/quark\t#tabbed\n";
        assert_eq!(
            database_lines(text),
            [
                "mysql://u:p#w@db1/quark",
                "postgresql://u:a#b#c@db2/quark#not-a-comment",
                "mysql://u@db3/quark"
            ]
        );
        assert!(database_lines("  # only comments\n\n").is_empty());
    }

    #[test]
    fn durations_out_of_range_are_refused_not_panicked_on() {
        for value in [-1.0, f64::NAN, f64::INFINITY, 2_147_484.0, 1e300] {
            let e = seconds("--lock-lease", value).unwrap_err().to_string();
            assert!(e.starts_with("--lock-lease "), "{e}");
        }
        assert_eq!(
            seconds("--lock-lease", 2_147_483.0).unwrap(),
            Duration::from_secs(2_147_483)
        );
        assert_eq!(
            seconds("--lock-lease", 0.25).unwrap(),
            Duration::from_millis(250)
        );
        let e = whole_seconds("--lock-timeout", 2_147_484)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--lock-timeout 2147484 is more than 2147483 seconds"),
            "{e}"
        );
        assert!(whole_seconds("--lock-timeout", u64::MAX).is_err());
        // clap refuses them first, naming the option.
        for (option, value) in [
            ("--lock-timeout", "2147484"),
            ("--connect-timeout", "18446744073709551615"),
            ("--lock-lease", "1e300"),
            ("--ddl-lock-timeout", "-1"),
            ("--progress-interval", "NaN"),
        ] {
            let e = command(App::ENGINE, &[])
                .try_get_matches_from(["quark-migrate", &format!("{option}={value}"), "heads"])
                .unwrap_err()
                .to_string();
            assert!(e.contains(option), "{e}");
        }
    }

    #[test]
    fn the_library_takes_any_duration_without_panicking() {
        // SQLite's busy timeout holds at most 2^31 - 1 ms: a longer one is cut to that.
        let migrations = Migrations::new(&[])
            .unwrap()
            .lock_timeout(Duration::MAX)
            .connect_timeout(Duration::MAX)
            .lock_lease(Duration::MAX);
        migrations.migrate("sqlite://").unwrap();
        // A server that refuses at once: the longest connect timeout is set up, and fails cleanly.
        for url in [
            #[cfg(feature = "postgres")]
            "postgresql://quark@127.0.0.1:1/quark",
            #[cfg(feature = "mysql")]
            "mysql://quark@127.0.0.1:1/quark",
        ] {
            assert!(migrations.migrate(url).is_err(), "{url}");
        }
    }
}

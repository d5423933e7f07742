//! Every way a command can fail: [`Error`](enum@Error), the details its variants carry, and the errors of
//! the engine's parts that it wraps.

use std::sync::Arc;

mod messages;
use messages::{
    failure_message, not_migrated_message, plural_revisions, stamp_commands, unfinished_message,
    unsettled_message,
};

use thiserror::Error;

pub use crate::backend::{BackendError, Cause, NotRestorable, SqliteFileError};
pub use crate::code::CodeError;
pub use crate::plan::PlanError;
pub use crate::revision::{FileError, GraphError, TargetError};
pub use crate::schema::SchemaError;
pub use crate::store::TableNameError;

use crate::store::HistoryEntry;
pub use crate::url::UrlError;

use crate::plan::describe;
use crate::revision::Direction;

/// An applied revision whose SQL changed after it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: String,
    /// The checksum recorded when it was applied.
    pub recorded: String,
    /// The checksum of the embedded SQL now.
    pub embedded: String,
}

/// A revision that failed part-way, and where that left the database.
#[derive(Debug, Clone, Error)]
#[error("{}", failure_message(self))]
pub struct StepFailure {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: String,
    /// Which way it ran.
    pub direction: Direction,
    /// 1-based number of the failing statement.
    pub statement: usize,
    /// Statements in the step.
    pub statements: usize,
    /// File line of the failing statement.
    pub line: usize,
    /// The failing statement.
    pub sql: String,
    /// The database's message.
    pub message: String,
    /// The driver's error.
    #[source]
    pub source: Option<Arc<BackendError>>,
    /// The sessions that held the lock the statement gave up waiting for (when it did).
    pub blocked_by: Vec<String>,
    /// How many times the statement was tried.
    pub attempts: u32,
    /// Statements that took effect despite the failure (outside a transaction).
    pub took_effect: usize,
    /// The version table after the failure.
    pub left_at: Vec<String>,
}

/// An interrupted statement whose effect could not be read from the database.
#[derive(Debug, Clone, Error)]
#[error("{}", unsettled_message(self))]
pub struct Unsettled {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: String,
    /// File line of the statement.
    pub line: usize,
    /// 1-based number of the statement.
    pub statement: usize,
    /// Statements in the revision.
    pub statements: usize,
    /// The statement.
    pub sql: String,
    /// Why it could not be settled.
    pub reason: String,
    /// What the database shows that neither state has.
    pub found: Vec<String>,
}

/// A Rust revision that failed: where, and what its code or the database said.
#[derive(Debug, Error)]
#[error(
    "{} of {} failed in its Rust code ({}:{}): {}; the database is left at {}, nothing of this {} took effect",
    direction.name(), revision, path, line, error, describe(left_at), direction.name()
)]
pub struct CodeFailure {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: String,
    /// Which way it ran.
    pub direction: Direction,
    /// File line of the function that failed.
    pub line: usize,
    /// What went wrong.
    #[source]
    pub error: CodeError,
    /// The version table after the failure.
    pub left_at: Vec<String>,
}

/// Everything that can go wrong.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The database cannot be reached or opened (host, port, database, user; never the password).
    #[error("cannot connect to {target}: {message}")]
    Connect {
        /// What we tried to reach.
        target: String,
        /// The driver's message.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// Another migration held the lock for longer than the lock timeout.
    #[error(
        "timed out after {}s waiting for the migration lock on {target}: {}",
        waited.as_secs(),
        crate::backend::held_by(holder)
    )]
    LockTimeout {
        /// The locked database.
        target: String,
        /// How long we waited.
        waited: std::time::Duration,
        /// The session holding the lock and what it runs, when the server says.
        holder: Option<String>,
    },
    /// The database is ahead of this binary and newer schemas are refused, or the command
    /// would move it to a revision of this binary's without reverting the newer ones.
    #[error(
        "the database is at {}, newer than this binary (its heads: {}): {} applied by a newer release. Run that release, or go back with this binary's {}",
        describe(rows),
        describe(heads),
        newer.join(", "),
        crate::app::command(&format!("downgrade {}", heads.first().map_or("base", String::as_str)))
    )]
    NewerSchema {
        /// The version table's rows.
        rows: Vec<String>,
        /// The revisions this binary does not embed.
        newer: Vec<String>,
        /// This binary's heads.
        heads: Vec<String>,
    },
    /// The database is ahead of this binary by a revision older releases cannot run on.
    #[error(
        "the database holds {revision}, applied by a newer release and marked breaking ({reason}): this release cannot run on it. Run the newer release (the database is at {}), or take it back with this binary's downgrade to its head",
        newer.join(", ")
    )]
    BreakingNewer {
        /// The breaking revision.
        revision: String,
        /// Its `Breaking:` reason.
        reason: String,
        /// Every revision this binary does not embed.
        newer: Vec<String>,
    },
    /// A `Breaking:` revision was not applied: live instances are of releases it breaks.
    #[error(
        "{revision} is Breaking: for releases still live, so it was not applied: {}. Let them drain (upgrade --wait-for-release-drain SECONDS waits for them), or apply it anyway with --ignore-live-releases",
        instances.join("; ")
    )]
    LiveReleases {
        /// The breaking revision.
        revision: String,
        /// The live instances it would break, described.
        instances: Vec<String>,
    },
    /// Remembered SQL that no key this binary trusts signed would have run; nothing ran.
    #[error(
        "{} remembered by the database {} not vouched for: {}; nothing was run. The database's records of revisions this binary does not embed can be written by anyone with write access to them. {}",
        if revisions.len() == 1 { "the revision" } else { "revisions" },
        if revisions.len() == 1 { "is" } else { "are" },
        revisions.iter().map(|(r, why)| format!("{r} ({why})")).collect::<Vec<_>>().join(", "),
        hint
    )]
    Unvouched {
        /// Each revision not vouched for, and why.
        revisions: Vec<(String, String)>,
        /// What the operator can do.
        hint: String,
    },
    /// The server takes no writes (a standby, a read-only replica); nothing was tried.
    #[error("{node} takes no writes: {reason}")]
    ReadOnly {
        /// The server.
        node: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Any other failure of the database or its driver.
    #[error(transparent)]
    Backend(BackendError),
    /// The target or the plan to reach it.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The version table name.
    #[error(transparent)]
    TableName(#[from] TableNameError),
    /// Migration files that do not form a valid graph.
    #[error(transparent)]
    Migrations(#[from] GraphError),
    /// The version table holds revisions this binary does not have.
    #[error(
        "the version table {table} holds {} unknown to this binary (its heads: {}). If another project owns {table}, keep ours in a separate table with --version-table <name>; if the schema already matches one of our revisions, adopt it with {}",
        plural_revisions(unknown),
        describe(heads),
        crate::app::command("stamp <revision> --purge")
    )]
    UnknownRevisions {
        /// The version table.
        table: String,
        /// The unknown revisions.
        unknown: Vec<String>,
        /// Our heads.
        heads: Vec<String>,
    },
    /// The version table's rows contradict each other: a revision twice, or a revision with one
    /// of its ancestors. Nothing runs until a `stamp` says which state the database is in.
    #[error(
        "the version table {table} holds {}: {problem}; nothing was run. If the schema is at {}, record that with {}",
        describe(rows),
        describe(state),
        stamp_commands(state)
    )]
    InconsistentVersions {
        /// The version table.
        table: String,
        /// Its rows.
        rows: Vec<String>,
        /// What contradicts.
        problem: String,
        /// The state the rows most likely mean (the newest of each line).
        state: Vec<String>,
    },
    /// This tool's revisions sit in a version table shared with another project, while its own
    /// table (configured) is empty.
    #[error(
        "{shared} holds {} of this tool, yet its revisions are configured to be kept in {own}, which holds none: move them with {} (try it with --dry-run first); nothing was run",
        plural_revisions(revisions),
        crate::app::command(&format!("split-version-table --from {shared}"))
    )]
    InSharedTable {
        /// The shared table.
        shared: String,
        /// The configured table.
        own: String,
        /// Our revisions found in the shared table.
        revisions: Vec<String>,
    },
    /// A version-table split that cannot be done as asked.
    #[error("cannot split the version table: {0}; nothing was changed")]
    Split(String),
    /// Applied revisions were edited.
    #[error(
        "{} changed since applied: {}; restore the applied SQL (write a new revision for new changes), or pass --ignore-drift to go on anyway",
        if .0.len() == 1 { "revision" } else { "revisions" },
        .0.iter().map(|d| format!("{} ({}: recorded checksum {}, embedded {})", d.revision, d.path, d.recorded.chars().take(12).collect::<String>(), d.embedded.chars().take(12).collect::<String>())).collect::<Vec<_>>().join(", ")
    )]
    Drift(Vec<Drift>),
    /// A revision failed.
    #[error(transparent)]
    StepFailed(Box<StepFailure>),
    /// A revision written in Rust failed; its transaction was rolled back.
    #[error(transparent)]
    CodeFailed(Box<CodeFailure>),
    /// A MySQL storage engine setting that names no engine.
    #[error(
        "'{0}' is not a MySQL storage engine's name (mysql_engine, --mysql-engine): expected letters, digits and _, such as InnoDB"
    )]
    TableEngine(String),
    /// A revision written in Rust whose code this program does not contain.
    #[error(
        "revision {revision} ({path}) is written in Rust, and its code is not compiled into this program: embed the migrations with build::embed_migrations; nothing was run"
    )]
    CodeMissing {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },
    /// A script was asked for a range that holds revisions written in Rust.
    #[error(
        "{} {} written in Rust and work{} on the data the database holds, so {} cannot be written out as SQL; run the range up to {last} online, and write out only what follows it ({last}:<target> --sql)",
        plural_revisions(revisions),
        if revisions.len() == 1 { "is" } else { "are" },
        if revisions.len() == 1 { "s" } else { "" },
        if revisions.len() == 1 { "it" } else { "they" },
        last = revisions.last().map_or("", String::as_str)
    )]
    NotScriptable {
        /// The revisions written in Rust, in the order they would run.
        revisions: Vec<String>,
    },
    /// An interrupted revision's statement whose effect the database does not settle.
    #[error(transparent)]
    Unsettled(Box<Unsettled>),
    /// A revision stopped part-way earlier, with some of its statements in effect.
    #[error("{}", unfinished_message(.0))]
    Unfinished(Box<HistoryEntry>),
    /// The declared schema is missing, unreadable, or refused by the database.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The connection was lost (a failover) and no server took the run again in time.
    #[error(
        "the connection to {database} was lost and no server took the run again within {}s (the failover timeout, --failover-timeout): {last}. Nothing is lost: the next run goes on from what the database holds",
        waited.as_secs()
    )]
    FailoverTimeout {
        /// The database, its password masked.
        database: String,
        /// How long the run tried to connect again.
        waited: std::time::Duration,
        /// The last failure.
        #[source]
        last: Box<Error>,
    },
    /// A verify-only start found the database below this binary's heads, and no migrator
    /// brought it there in time; nothing was written.
    #[error("{}", not_migrated_message(self))]
    NotMigrated {
        /// The version table's rows (empty: base, or no version table).
        current: Vec<String>,
        /// The revisions an upgrade to head would apply, in order.
        missing: Vec<String>,
        /// A revision a migrator left part-way, if one did.
        interrupted: Option<String>,
        /// How long it waited.
        waited: std::time::Duration,
        /// The migrator holding the migration lock at the end, if one was.
        holder: Option<String>,
    },
    /// The live schema differs from the one recorded after the last run that changed it
    /// (`--check-drift fail`).
    #[error(
        "the schema differs from the one recorded after the last migration (at {}): {}. Nothing was changed; `{}` shows the SQL that brings it back",
        describe(heads),
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        crate::app::command("drift")
    )]
    SchemaDrift {
        /// The revisions the database is at.
        heads: Vec<String>,
        /// What differs.
        differences: Vec<crate::schema::Drifted>,
    },
    /// The run committed, but no replica that could take over replayed its last commit in time:
    /// a failover now could lose what it did.
    #[error(
        "the run committed on the server (its log at {position}), but no replica that could take over replayed that within {}s (--replica-wait): {}. A failover now could lose it; the next run goes on from what the database holds",
        waited.as_secs(),
        replicas.join("; ")
    )]
    NotReplicated {
        /// The server's log position after the run's last commit.
        position: String,
        /// How long the run waited.
        waited: std::time::Duration,
        /// The replicas, each with how far it had replayed.
        replicas: Vec<String>,
    },
}

impl Error {
    /// A short name of what went wrong, the same for every error of a kind (`lock_timeout`,
    /// `step_failed`): for metrics and spans (`error.type`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Url { .. } => "url",
            Error::Connect { .. } => "connect",
            Error::LockTimeout { .. } => "lock_timeout",
            Error::NewerSchema { .. } => "newer_schema",
            Error::BreakingNewer { .. } => "breaking_newer",
            Error::LiveReleases { .. } => "live_releases",
            Error::Unvouched { .. } => "unvouched",
            Error::ReadOnly { .. } => "read_only",
            Error::Backend { .. } => "backend",
            Error::Plan { .. } => "plan",
            Error::TableName { .. } => "table_name",
            Error::Migrations { .. } => "migrations",
            Error::UnknownRevisions { .. } => "unknown_revisions",
            Error::InconsistentVersions { .. } => "inconsistent_versions",
            Error::InSharedTable { .. } => "in_shared_table",
            Error::Split { .. } => "split",
            Error::Drift { .. } => "drift",
            Error::StepFailed { .. } => "step_failed",
            Error::CodeFailed { .. } => "code_failed",
            Error::TableEngine { .. } => "table_engine",
            Error::CodeMissing { .. } => "code_missing",
            Error::NotScriptable { .. } => "not_scriptable",
            Error::Unsettled { .. } => "unsettled",
            Error::Unfinished { .. } => "unfinished",
            Error::Schema { .. } => "schema",
            Error::FailoverTimeout { .. } => "failover_timeout",
            Error::NotMigrated { .. } => "not_migrated",
            Error::SchemaDrift { .. } => "schema_drift",
            Error::NotReplicated { .. } => "not_replicated",
        }
    }
}

impl Error {
    /// Whether the run failed because its connection was lost, or the server could not serve
    /// it any more (killed, shut down, demoted to a standby: a failover), with nothing known to
    /// be left half-done that the next run cannot settle from the database. A run from a URL
    /// reconnects by itself ([`crate::Migrations::failover_timeout`]); an application that lent
    /// its own connection gets this error, and migrates again on a new connection.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            Error::Backend(e) => e.is_connection_lost(),
            Error::StepFailed(f) => f.source.as_ref().is_some_and(|e| e.is_connection_lost()),
            Error::CodeFailed(f) => matches!(
                &f.error,
                CodeError::Statement { source, .. } if source.is_connection_lost()
            ),
            _ => false,
        }
    }
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Error {
        match e {
            BackendError::Connect {
                target,
                message,
                source,
            } => Error::Connect {
                target,
                message,
                source,
            },
            BackendError::LockTimeout {
                target,
                waited,
                holder,
            } => Error::LockTimeout {
                target,
                waited,
                holder,
            },
            other => Error::Backend(other),
        }
    }
}

impl From<TargetError> for Error {
    fn from(e: TargetError) -> Error {
        Error::Plan(e.into())
    }
}

impl From<FileError> for Error {
    fn from(e: FileError) -> Error {
        Error::Migrations(GraphError(vec![e]))
    }
}

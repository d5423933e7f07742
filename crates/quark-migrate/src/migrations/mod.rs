//! The application's entry point: its embedded migrations, checked and applied on start-up.
//!
//! ```no_run
//! use quark_migrate::{Error, Migrations};
//!
//! # static MIGRATIONS: &[quark_migrate::EmbeddedFile] = &[];
//! // static MIGRATIONS: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();
//!
//! fn main() -> Result<(), Error> {
//!     let migrations = Migrations::new(MIGRATIONS)?;
//!     let report = migrations.migrate("sqlite:////var/lib/app/app.db")?;
//!     for step in &report.steps {
//!         println!("applied {} in {:?}", step.revision, step.duration);
//!     }
//!     Ok(())
//! }
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use crate::backend::{self, Backend, ConnectOptions, Database};
use crate::build::{Chain, Summary};
use crate::error::{Drift, Error};
use crate::migrator::{
    HistoryEntry, Migrator, Observer, Report, Settings, Standing, Watch, setting_builders,
};
use crate::plan;
use crate::remembered::{TrustedKey, Vouching};
use crate::revision::{Dialect, RevisionMap, Target};
use crate::schema::{self, Change, DeclaredFile, Schema, Scratch};
use crate::telemetry;
use crate::url::DatabaseUrl;
use crate::{App, EmbeddedFile, load};

#[cfg(feature = "tokio")]
mod asynchronous;
mod drift_at_start;
mod failover;
mod fleet;
mod live;
mod verify;

pub use fleet::{FleetResult, FleetStatus, WavePlan, in_shard};
pub use live::LiveInstance;
pub use verify::Verified;

/// An application's migrations with the settings used to apply them.
///
/// The revision graph is parsed only when a command needs it: a start-up against a database
/// already at head is checked against the summaries build.rs computed (heads and checksums).
#[derive(Debug, Clone)]
pub struct Migrations {
    files: &'static [EmbeddedFile],
    map: OnceLock<RevisionMap>,
    /// The settings every migrator of these migrations borrows.
    settings: Settings,
    connect_timeout: Duration,
    app: App,
}

setting_builders!(Migrations);

/// Where a database stands against the embedded migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The revisions the version table holds (empty: base).
    pub current: Vec<String>,
    /// Revisions an upgrade to head would apply, in order.
    pub pending: Vec<String>,
    /// Applied revisions whose SQL changed since they ran.
    pub drift: Vec<Drift>,
    /// A revision a run left part-way (killed, or failed with some statements in effect).
    pub interrupted: Option<HistoryEntry>,
    /// Revisions applied by a newer release that this binary does not embed, oldest first
    /// (the database is ahead of it; see [`Migrations::refuse_newer_schema`]).
    pub newer: Vec<String>,
}

impl Status {
    /// Whether the database is at head with nothing edited since it was applied.
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty() && self.drift.is_empty() && self.interrupted.is_none()
    }

    /// Whether a newer release migrated the database past this binary's heads.
    pub fn is_ahead(&self) -> bool {
        !self.newer.is_empty()
    }
}

impl Migrations {
    /// The migrations `embed_migrations!()` embedded; files embedded by hand, without the
    /// summaries build.rs writes, are parsed and validated here.
    pub fn new(files: &'static [EmbeddedFile]) -> Result<Migrations, Error> {
        let migrations = Migrations::with(files, OnceLock::new());
        if Chain::of(files).is_none() {
            migrations.map()?;
        }
        Ok(migrations)
    }

    /// Wraps an already validated graph.
    pub fn from_map(map: RevisionMap) -> Migrations {
        Migrations::with(&[], OnceLock::from(map))
    }

    fn with(files: &'static [EmbeddedFile], map: OnceLock<RevisionMap>) -> Migrations {
        Migrations {
            files,
            map,
            settings: Settings {
                vouching: std::sync::Arc::new(embedded_vouching(files)),
                ..Settings::default()
            },
            connect_timeout: Duration::from_secs(10),
            app: App::ENGINE,
        }
    }

    fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// Runs for `app` (`quark_migrate::app!()`): its name on the database sessions and scratch
    /// databases, its log target on the engine's lines (default: the engine's own).
    pub fn app(mut self, app: App) -> Migrations {
        self.app = app;
        self
    }

    /// Tells `observer` of each step starting, its progress (statements, and rows for a data
    /// revision) and its end, for the application's logs or metrics.
    pub fn observe(mut self, observer: impl Observer + 'static) -> Migrations {
        self.settings.watch = Watch::new(std::sync::Arc::new(observer));
        self
    }

    /// Puts back the SQLite database file `url` names as the backup `from` holds it (the newest
    /// backup beside it when `None`), under the migration lock; the backup restored. See
    /// [`Migrations::restore_backup`], which this is, for what is checked and kept.
    #[cfg(feature = "sqlite")]
    pub fn restore(
        &self,
        url: &str,
        from: Option<&std::path::Path>,
    ) -> Result<std::path::PathBuf, Error> {
        self.restore_backup(url, from).map(|r| r.from)
    }

    /// Puts back the SQLite database file `url` names as the backup `from` holds it (the newest
    /// backup beside it when `None`), under the migration lock. Refused, with nothing replaced,
    /// when `from` is no sound SQLite database (its header, `PRAGMA quick_check`), has no version
    /// table at a revision this binary embeds, or when another connection holds the database. The
    /// file replaced is kept as `<db>.before-restore.<time>`; a symlinked database path restores
    /// the real file.
    #[cfg(feature = "sqlite")]
    pub fn restore_backup(
        &self,
        url: &str,
        from: Option<&std::path::Path>,
    ) -> Result<backend::Restored, Error> {
        self.restore_url(&DatabaseUrl::parse(url)?, from)
    }

    /// [`Migrations::restore_backup`] of a parsed URL.
    #[cfg(feature = "sqlite")]
    pub fn restore_url(
        &self,
        parsed: &DatabaseUrl,
        from: Option<&std::path::Path>,
    ) -> Result<backend::Restored, Error> {
        let _app = self.app.scope();
        let db = match (&parsed.dialect, &parsed.database) {
            (crate::revision::Dialect::Sqlite, Some(path)) => std::path::PathBuf::from(path),
            _ => {
                return Err(Error::Backend(backend::BackendError::message(format!(
                    "{}: only a SQLite database file is backed up and restored; restore a server from its own backups",
                    parsed.masked()
                ))));
            }
        };
        let map = self.map()?;
        let table = self.settings.store.version_table();
        let mut check = |db: &mut dyn Backend| -> Result<(), backend::NotRestorable> {
            let unreadable =
                |e: backend::BackendError| backend::NotRestorable::Unreadable(e.to_string());
            if !db.table_exists(table).map_err(unreadable)? {
                return Err(backend::NotRestorable::NoVersionTable {
                    table: table.to_string(),
                });
            }
            let unknown: Vec<String> = self
                .settings
                .store
                .read_heads(db)
                .map_err(unreadable)?
                .into_iter()
                .filter(|head| map.get(head).is_none())
                .collect();
            if unknown.is_empty() {
                Ok(())
            } else {
                Err(backend::NotRestorable::UnknownRevisions {
                    table: table.to_string(),
                    revisions: unknown,
                })
            }
        };
        Ok(backend::restore_checked(
            &db,
            from,
            self.settings.lock_timeout,
            &mut check,
        )?)
    }

    /// How long to wait for a server to accept the connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Migrations {
        self.connect_timeout = timeout;
        self
    }

    /// The revision graph, parsed on first use.
    pub fn map(&self) -> Result<&RevisionMap, Error> {
        if let Some(map) = self.map.get() {
            return Ok(map);
        }
        let map = load(self.files)?;
        Ok(self.map.get_or_init(|| map))
    }

    /// How many revisions are embedded.
    pub fn len(&self) -> usize {
        match (self.map.get(), Chain::of(self.files)) {
            (Some(map), _) => map.len(),
            (None, Some(chain)) => chain.revisions,
            (None, None) => self.files.len(),
        }
    }

    /// Whether no revision is embedded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids of the embedded heads, sorted.
    pub fn heads(&self) -> Result<Vec<&str>, Error> {
        if let Some(chain) = Chain::of(self.files) {
            return Ok(chain.heads.to_vec());
        }
        let mut heads: Vec<&str> = self.map()?.heads().iter().map(|r| r.id.as_str()).collect();
        heads.sort_unstable();
        Ok(heads)
    }

    /// The build-time summaries, when every file has one.
    fn summaries(&self) -> Option<impl Iterator<Item = &'static Summary>> {
        let all = !self.files.is_empty() && self.files.iter().all(|f| f.summary.is_some());
        all.then(|| self.files.iter().filter_map(|f| f.summary.as_ref()))
    }

    /// A migrator with these settings, for every other command (downgrade, stamp, ...).
    pub fn migrator(&self) -> Result<Migrator<'_>, Error> {
        let map = self.map()?;
        let code = self.files.iter().filter_map(|f| {
            let id = match &f.summary {
                Some(summary) => summary.id(),
                None => &map.iter().find(|r| r.path == f.path)?.id,
            };
            Some((id.to_string(), f.code?))
        });
        Ok(Migrator::with_settings(map, Cow::Borrowed(&self.settings)).code(code))
    }

    /// The database's revisions when it is at the embedded heads with no applied revision edited,
    /// read in one round trip and checked against the build-time summaries; `None` when that is not certain, and
    /// the full check must decide.
    pub(crate) fn at_head(&self, db: &mut dyn Backend, record: Record) -> Option<Vec<String>> {
        let chain = Chain::of(self.files)?;
        let dialect = db.dialect().index();
        let digest = chain.digests[dialect];
        let heads = chain.heads;
        let store = &self.settings.store;
        if let Some(rows) = store.at_heads_by_digest(db, heads, digest) {
            return Some(rows);
        }
        let summaries: HashMap<&str, &Summary> = self.summaries()?.map(|s| (s.id(), s)).collect();
        let state = store.read_state(db).ok()?;
        let sound = state.is_at(heads, self.len())
            && state.checksums.iter().all(|(revision, sum)| {
                summaries.get(revision.as_str()).is_none_or(|s| {
                    s.checksum(dialect).is_none_or(|embedded| embedded == sum)
                        || s.earlier().any(|e| e == sum)
                })
            });
        if sound && record == Record::Digest {
            self.record_digest(db, digest, state.last_id);
        }
        sound.then_some(state.heads)
    }

    /// Records that this build checked the whole history and found it sound, so that the next
    /// start-ups read a constant amount; the engine's tables made first where a release before
    /// the digest left them (under the lock). A failure only costs the next start-up the full
    /// check.
    fn record_digest(&self, db: &mut dyn Backend, digest: &str, history_id: Option<i64>) {
        let store = &self.settings.store;
        let recorded = match db.table_exists(&store.digest_table()) {
            Ok(true) => store
                .record_digest(db, digest, history_id)
                .map_err(Error::from),
            Ok(false) => self
                .migrator()
                .and_then(|m| m.ensure_tables(db))
                .and_then(|()| Ok(store.record_digest(db, digest, history_id)?)),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = recorded {
            log::debug!(target: crate::app::log_target(), "Could not record the digest of the history checked (the next start-up checks it in full again): {e}");
        }
    }

    /// Opens the database `url` names, with these timeouts.
    pub fn connect(&self, url: &str) -> Result<Box<dyn Backend>, Error> {
        self.connect_url(&DatabaseUrl::parse(url)?)
    }

    /// Opens the database of an already parsed URL.
    pub fn connect_url(&self, url: &DatabaseUrl) -> Result<Box<dyn Backend>, Error> {
        Ok(backend::connect(url, &self.connect_options())?)
    }

    pub(crate) fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout,
            busy_timeout: self.settings.lock_timeout,
            app: self.app,
            read_only: false,
        }
    }

    /// The tables of `db`, the version and history tables left out.
    pub fn schema_of(&self, db: &mut dyn Backend) -> Result<Schema, Error> {
        let own = self.settings.store.own_tables();
        let skip: Vec<&str> = own.iter().map(String::as_str).collect();
        Ok(schema::introspect(db, &skip)?)
    }

    /// The schema `declared` describes, as a database of `url`'s kind (SQLite when `None`)
    /// holds it, read from a scratch database.
    pub fn declared_schema(
        &self,
        url: Option<&DatabaseUrl>,
        declared: &[DeclaredFile],
    ) -> Result<Schema, Error> {
        let _app = self.app.scope();
        Ok(schema::declared_schema(
            url,
            &self.connect_options(),
            declared,
        )?)
    }

    /// What separates the embedded chain at head from the declared schema, on a database of
    /// `url`'s kind (SQLite in memory when `None`): a scratch database is upgraded to head and
    /// compared with another holding the declared schema. Empty when they agree.
    pub fn check(
        &self,
        url: Option<&DatabaseUrl>,
        declared: &[DeclaredFile],
    ) -> Result<Vec<Change>, Error> {
        let _app = self.app.scope();
        let wanted = self.declared_schema(url, declared)?;
        let mut scratch = Scratch::open(url, &self.connect_options())?;
        self.migrator()?.upgrade(scratch.db(), &Target::Heads)?;
        let at_head = self.schema_of(scratch.db())?;
        Ok(schema::diff(&at_head, &wanted))
    }

    /// Current, pending and drifted revisions of `db` (the application's own connection, or one
    /// from [`Migrations::connect`]), read without taking the migration lock.
    pub fn status<D: Database + ?Sized>(&self, db: &mut D) -> Result<Status, Error> {
        let _app = self.app.scope();
        let mut session = db.session()?;
        self.status_of(session.backend())
    }

    /// [`Migrations::status`] on a session already open.
    fn status_of(&self, db: &mut dyn Backend) -> Result<Status, Error> {
        match self.status_at_head(db) {
            Some(status) => Ok(status),
            None => self.status_in_full(db),
        }
    }

    /// The status of a database at head, read in one round trip; `None` when that is not
    /// certain (a missing table, on PostgreSQL, also aborts a transaction open on `db`).
    fn status_at_head(&self, db: &mut dyn Backend) -> Option<Status> {
        self.at_head(db, Record::Nothing).map(|current| Status {
            current,
            pending: Vec::new(),
            drift: Vec::new(),
            interrupted: None,
            newer: Vec::new(),
        })
    }

    /// The status, read the full way.
    fn status_in_full(&self, db: &mut dyn Backend) -> Result<Status, Error> {
        let migrator = self.migrator()?;
        let current = match migrator.standing(db)? {
            Standing::Known(current) => current,
            Standing::Ahead(ahead) => {
                return Ok(Status {
                    current: ahead.rows,
                    pending: Vec::new(),
                    drift: Vec::new(),
                    interrupted: migrator.interrupted(db)?,
                    newer: ahead.newer,
                });
            }
        };
        let steps = plan::upgrade(
            self.map()?,
            &current,
            &Target::Heads,
            db.dialect(),
            self.settings.from_checkpoints,
        )?;
        Ok(Status {
            pending: steps.iter().map(|s| s.revision.id.clone()).collect(),
            drift: migrator.verify(db)?,
            interrupted: migrator.interrupted(db)?,
            current,
            newer: Vec::new(),
        })
    }

    /// Upgrades `db` (the application's own connection, or one from [`Migrations::connect`]) to
    /// every head under the migration lock; takes no lock when nothing is pending.
    ///
    /// The engine cannot open the application's connection again: when it is lost (a failover),
    /// the error says so ([`Error::is_connection_lost`]), and the application migrates again on
    /// a new connection, which goes on from what the database holds (or migrates from a URL,
    /// [`Migrations::migrate`], which reconnects by itself).
    pub fn upgrade<D: Database + ?Sized>(&self, db: &mut D) -> Result<Report, Error> {
        let _app = self.app.scope();
        let mut session = db.session()?;
        let db = session.backend();
        let span = telemetry::upgrade(db.dialect());
        let upgraded = span.in_scope(|| self.upgrade_session(db));
        if let Ok(report) = &upgraded {
            span.record("quark.revisions", report.steps.len());
            span.record("quark.at_head", report.steps.is_empty());
        }
        telemetry::finish(&span, &upgraded, Error::kind);
        upgraded
    }

    /// [`Migrations::upgrade`] on a session already open.
    fn upgrade_session(&self, db: &mut dyn Backend) -> Result<Report, Error> {
        let report = match self.at_head(db, Record::Digest) {
            Some(heads) => Report::nothing_to_upgrade(heads),
            // The build-time summaries said it is not at head: no second look on the way.
            None if Chain::of(self.files).is_some() => {
                self.migrator()?.upgrade_checked(db, &Target::Heads)?
            }
            None => self.migrator()?.upgrade(db, &Target::Heads)?,
        };
        self.drift_at_start(db, &report.after)?;
        Ok(report)
    }

    /// Connects to `url` and upgrades it to head: the one call an application makes on start-up.
    /// A connection lost on the way (a failover) is opened again, to the server that takes
    /// writes now, for at most [`Migrations::failover_timeout`], and the upgrade goes on from
    /// what the database holds (see [`Migrations::reconnecting`]). On a server with replicas, it
    /// returns once one that could take over has replayed the run's last commit
    /// ([`Migrations::replica_wait`]).
    pub fn migrate(&self, url: &str) -> Result<Report, Error> {
        self.migrate_url(&DatabaseUrl::parse(url)?)
    }

    /// [`Migrations::migrate`] of a parsed URL.
    pub fn migrate_url(&self, url: &DatabaseUrl) -> Result<Report, Error> {
        self.migrate_in_wave(url, None)
    }

    /// [`Migrations::migrate_url`] as one database of a run over many, in wave `wave`.
    pub(super) fn migrate_in_wave(
        &self,
        url: &DatabaseUrl,
        wave: Option<usize>,
    ) -> Result<Report, Error> {
        let span = telemetry::database(url, wave);
        let migrated = span.in_scope(|| self.reconnecting(url, |db| self.upgrade(db)));
        telemetry::finish(&span, &migrated, Error::kind);
        migrated
    }
}

/// Whether a start-up that checked the whole history and found it sound records so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// Records the digest (an upgrade, which may write).
    Digest,
    /// Writes nothing (`status`, a verify-only start).
    Nothing,
}

/// What the build embedded to vouch with: the keys it trusts and its signatures of its own
/// revisions' records (read from one build's chain without visiting every revision when it
/// signed none).
fn embedded_vouching(files: &[EmbeddedFile]) -> Vouching {
    let summaries = files.iter().filter_map(|f| f.summary.as_ref());
    let chain = Chain::of(files);
    let mut vouching = Vouching::default();
    let keys: Vec<&str> = match chain {
        Some(chain) => chain.trusted_keys.to_vec(),
        None => summaries
            .clone()
            .flat_map(|s| s.chain.trusted_keys.iter().copied())
            .collect(),
    };
    for key in keys.into_iter().filter_map(TrustedKey::from_hex) {
        vouching = vouching.with_trusted(key);
    }
    if chain.is_some_and(|c| !c.signed) {
        return vouching;
    }
    for summary in summaries {
        for (dialect, signature) in Dialect::ALL.iter().zip(summary.signatures()) {
            if let Some(signature) = signature {
                vouching = vouching.with_signature(summary.id(), *dialect, signature);
            }
        }
    }
    vouching
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, build_map};

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    /// A small chain embedded as build.rs embeds one: every file with its build-time summary.
    fn embedded() -> &'static [EmbeddedFile] {
        let files: Vec<SourceFile> = [("a1", "None"), ("b2", "a1"), ("c3", "b2")]
            .iter()
            .map(|(id, revises)| SourceFile {
                path: format!("migrations/{id}_x.sql"),
                name: format!("{id}_x.sql"),
                text: format!(
                    "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- +upgrade\nCREATE TABLE t_{id} (x INT);\n\n-- +downgrade\nDROP TABLE t_{id};\n"
                ),
            })
            .collect();
        let map = build_map(&files).unwrap();
        let files: Vec<EmbeddedFile> = files
            .iter()
            .map(|file| EmbeddedFile {
                path: leak(file.path.clone()),
                source: leak(file.text.clone()),
                summary: None,
                code: None,
            })
            .collect();
        crate::build::embed_by_hand(&map, &files)
    }

    fn sqlite() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("t.db").display());
        (dir, url)
    }

    #[test]
    fn a_start_at_head_is_checked_without_parsing_the_migrations() {
        let files = embedded();
        let (_dir, url) = sqlite();
        let report = Migrations::new(files).unwrap().migrate(&url).unwrap();
        assert_eq!(report.steps.len(), files.len());

        let m = Migrations::new(files).unwrap();
        let mut db = m.connect(&url).unwrap();
        let report = m.upgrade(db.as_mut()).unwrap();
        assert!(report.steps.is_empty());
        assert_eq!(report.after, m.heads().unwrap());
        assert!(m.status(db.as_mut()).unwrap().is_up_to_date());
        assert!(m.map.get().is_none(), "the graph was not parsed");
    }

    #[test]
    fn files_that_are_not_one_builds_output_whole_are_parsed() {
        let files = embedded();
        let whole = Migrations::new(files).unwrap();
        assert_eq!((whole.len(), whole.heads().unwrap()), (3, vec!["c3"]));
        assert!(
            whole.map.get().is_none(),
            "one build's chain is read, not parsed"
        );
        // The first two files of the chain: its summaries still say three files and head c3.
        let cut = Migrations::new(&files[..2]).unwrap();
        assert!(cut.map.get().is_some(), "a cut chain is parsed");
        assert_eq!((cut.len(), cut.heads().unwrap()), (2, vec!["b2"]));
        let (_dir, url) = sqlite();
        let report = cut.migrate(&url).unwrap();
        assert_eq!(report.after, ["b2"]);
        // The whole chain after the cut one: the full check, then the third revision.
        let report = whole.migrate(&url).unwrap();
        assert_eq!(report.steps.len(), 1);
        assert_eq!(report.after, ["c3"]);
    }
}

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
use crate::build::Summary;
use crate::error::{Drift, Error};
use crate::migrator::{
    HistoryEntry, Migrator, Observer, Report, Settings, Standing, Watch, setting_builders,
};
use crate::plan;
use crate::remembered::{TrustedKey, Vouching};
use crate::revision::{Dialect, RevisionMap, Target};
use crate::schema::{self, Change, DeclaredFile, Schema, Scratch};
use crate::url::DatabaseUrl;
use crate::{App, EmbeddedFile, load};

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
        if migrations.summaries().is_none() {
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
        let _app = self.app.scope();
        let parsed = DatabaseUrl::parse(url)?;
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
        match self.map.get() {
            Some(map) => map.len(),
            None => self.files.len(),
        }
    }

    /// Whether no revision is embedded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids of the embedded heads, sorted.
    pub fn heads(&self) -> Result<Vec<&str>, Error> {
        let mut heads: Vec<&str> = match self.summaries() {
            Some(summaries) => summaries.filter(|s| s.head).map(|s| s.id).collect(),
            None => self.map()?.heads().iter().map(|r| r.id.as_str()).collect(),
        };
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
                Some(summary) => summary.id,
                None => &map.iter().find(|r| r.path == f.path)?.id,
            };
            Some((id.to_string(), f.code?))
        });
        Ok(Migrator::with_settings(map, Cow::Borrowed(&self.settings)).code(code))
    }

    /// The database's revisions when it is at the embedded heads with no applied revision edited,
    /// read in one round trip and checked against the build-time summaries; `None` when that is not certain, and
    /// the full check must decide.
    fn at_head(&self, db: &mut dyn Backend) -> Option<Vec<String>> {
        let summaries: HashMap<&str, &Summary> = self.summaries()?.map(|s| (s.id, s)).collect();
        let dialect = db.dialect().index();
        let heads = self.heads().ok()?;
        self.settings
            .store
            .at_heads(db, &heads, self.files.len(), |revision, sum| {
                summaries.get(revision).is_none_or(|s| {
                    s.checksums[dialect].is_none_or(|embedded| embedded == sum)
                        || s.earlier.contains(&sum)
                })
            })
    }

    /// Opens the database `url` names, with these timeouts.
    pub fn connect(&self, url: &str) -> Result<Box<dyn Backend>, Error> {
        self.connect_url(&DatabaseUrl::parse(url)?)
    }

    /// Opens the database of an already parsed URL.
    pub fn connect_url(&self, url: &DatabaseUrl) -> Result<Box<dyn Backend>, Error> {
        Ok(backend::connect(url, &self.connect_options())?)
    }

    fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout,
            busy_timeout: self.settings.lock_timeout,
            app: self.app,
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
        let db = session.backend();
        if let Some(current) = self.at_head(db) {
            return Ok(Status {
                current,
                pending: Vec::new(),
                drift: Vec::new(),
                interrupted: None,
                newer: Vec::new(),
            });
        }
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
        let steps = plan::upgrade(self.map()?, &current, &Target::Heads, db.dialect())?;
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
    pub fn upgrade<D: Database + ?Sized>(&self, db: &mut D) -> Result<Report, Error> {
        let _app = self.app.scope();
        let mut session = db.session()?;
        let db = session.backend();
        if let Some(heads) = self.at_head(db) {
            return Ok(Report::nothing_to_upgrade(heads));
        }
        let migrator = self.migrator()?;
        if self.summaries().is_some() {
            // The build-time summaries said it is not at head: no second look on the way.
            migrator.upgrade_checked(db, &Target::Heads)
        } else {
            migrator.upgrade(db, &Target::Heads)
        }
    }

    /// Connects to `url` and upgrades it to head: the one call an application makes on start-up.
    pub fn migrate(&self, url: &str) -> Result<Report, Error> {
        let _app = self.app.scope();
        self.upgrade(&mut self.connect(url)?)
    }
}

/// One database of a run over many ([`Migrations::migrate_all`]).
#[derive(Debug)]
pub struct FleetResult {
    /// The database's URL, its password masked.
    pub database: String,
    /// What the upgrade did, or why it failed.
    pub outcome: Result<Report, Error>,
    /// How long it took, connecting included.
    pub duration: Duration,
}

impl Migrations {
    /// Upgrades every database of `urls` to head, `jobs` at a time (each under its own lock, as
    /// [`Migrations::migrate`]): a database that fails does not stop the others. `done` hears of
    /// each as it finishes (how many are done, and the result); the results come back in the
    /// order of `urls`.
    pub fn migrate_all(
        &self,
        urls: &[String],
        jobs: usize,
        done: impl Fn(usize, &FleetResult) + Sync,
    ) -> Vec<FleetResult> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<FleetResult>>> =
            urls.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, urls.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(url) = urls.get(i) else {
                            return;
                        };
                        let started = std::time::Instant::now();
                        let database = DatabaseUrl::parse(url).map_or_else(
                            |_| crate::url::mask_password(url),
                            |u| u.masked().to_string(),
                        );
                        let result = FleetResult {
                            database,
                            outcome: self.migrate(url),
                            duration: started.elapsed(),
                        };
                        let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        done(n, &result);
                        *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|r| {
                r.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .expect("every database was run")
            })
            .collect()
    }
}

/// The start-up calls as `async fn`s, for services on tokio: the work runs on tokio's blocking
/// threads, never on the threads that drive async tasks. A panic in a migration (a bug in a
/// revision written in Rust) rolls its transaction back, releases the lock, and resumes here.
#[cfg(feature = "tokio")]
impl Migrations {
    /// [`Migrations::migrate`]: connects to `url` and upgrades it to head.
    pub async fn migrate_async(&self, url: &str) -> Result<Report, Error> {
        let (migrations, url) = (self.clone(), url.to_string());
        off_async_threads(move || migrations.migrate(&url)).await
    }

    /// [`Migrations::upgrade`] on the application's own connection, which is handed back
    /// whether the upgrade succeeded or failed.
    pub async fn upgrade_async<D: Database + Send + 'static>(
        &self,
        mut db: D,
    ) -> (D, Result<Report, Error>) {
        let migrations = self.clone();
        off_async_threads(move || {
            let report = migrations.upgrade(&mut db);
            (db, report)
        })
        .await
    }

    /// [`Migrations::status`] on the application's own connection, which is handed back
    /// whether the status could be read or not.
    pub async fn status_async<D: Database + Send + 'static>(
        &self,
        mut db: D,
    ) -> (D, Result<Status, Error>) {
        let migrations = self.clone();
        off_async_threads(move || {
            let status = migrations.status(&mut db);
            (db, status)
        })
        .await
    }
}

/// The start-up calls on an async connection the application holds (a `tokio_postgres::Client`,
/// pooled or not): the engine runs on tokio's blocking threads and the connection's calls are
/// made by the calling task, so the connection stays the application's whatever happens.
/// Dropping the future before it finishes leaves the migration where it stood, as a killed
/// process would (the next start finishes it).
#[cfg(feature = "tokio")]
impl Migrations {
    /// [`Migrations::upgrade`] on `db`.
    pub async fn upgrade_on<D: crate::AsyncDatabase + ?Sized>(
        &self,
        db: &mut D,
    ) -> Result<Report, Error> {
        let migrations = self.clone();
        serve_while(db, move |backend| migrations.upgrade(backend)).await
    }

    /// [`Migrations::status`] on `db`.
    pub async fn status_on<D: crate::AsyncDatabase + ?Sized>(
        &self,
        db: &mut D,
    ) -> Result<Status, Error> {
        let migrations = self.clone();
        serve_while(db, move |backend| migrations.status(backend)).await
    }
}

/// Runs `work` on tokio's blocking threads against the engine's end of `db`, serving its calls
/// on `db` from this task meanwhile.
#[cfg(feature = "tokio")]
async fn serve_while<D: crate::AsyncDatabase + ?Sized, T: Send + 'static>(
    db: &mut D,
    work: impl FnOnce(&mut Box<dyn Backend>) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let (open, serving) = db.serve();
    let engine = tokio::task::spawn_blocking(move || work(&mut open()?));
    serving.await;
    match engine.await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the migration's blocking task was cancelled: {e}"),
    }
}

/// Runs `work` on tokio's blocking threads; a panic in it resumes in the caller.
#[cfg(feature = "tokio")]
async fn off_async_threads<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the migration's blocking task was cancelled: {e}"),
    }
}

/// What the build embedded to vouch with: the keys it trusts and its signatures of its own
/// revisions' records.
fn embedded_vouching(files: &[EmbeddedFile]) -> Vouching {
    let summaries = files.iter().filter_map(|f| f.summary.as_ref());
    let mut vouching = Vouching::default();
    for key in summaries
        .clone()
        .flat_map(|s| s.trusted_keys.iter())
        .filter_map(|k| TrustedKey::from_hex(k))
    {
        vouching = vouching.with_trusted(key);
    }
    for summary in summaries {
        for (dialect, signature) in Dialect::ALL.iter().zip(summary.signatures) {
            if let Some(signature) = signature {
                vouching = vouching.with_signature(summary.id, *dialect, signature);
            }
        }
    }
    vouching
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::Direction;
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
        let embedded: Vec<EmbeddedFile> = map
            .iter()
            .zip(&files)
            .map(|(rev, file)| EmbeddedFile {
                path: leak(rev.path.clone()),
                source: leak(file.text.clone()),
                summary: Some(Summary {
                    id: leak(rev.id.clone()),
                    head: map.is_head(&rev.id),
                    checksums: Dialect::ALL.map(|d| rev.checksum(Direction::Upgrade, d).map(leak)),
                    earlier: &[],
                    signatures: [None; 3],
                    trusted_keys: &[],
                }),
                code: None,
            })
            .collect();
        Box::leak(embedded.into_boxed_slice())
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
}

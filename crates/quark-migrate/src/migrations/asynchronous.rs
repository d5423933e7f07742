//! The start-up calls as `async fn`s, on tokio: the engine runs on a blocking thread, and an
//! application's own async connection is served from its task.

use super::{Migrations, Status};
use crate::backend::{Backend, Database};
use crate::error::Error;
use crate::migrator::Report;

/// The start-up calls as `async fn`s, for services on tokio: the work runs on tokio's blocking
/// threads, never on the threads that drive async tasks. A panic in a migration (a bug in a
/// revision written in Rust) rolls its transaction back, releases the lock, and resumes here.
impl Migrations {
    /// [`Migrations::migrate`]: connects to `url` and upgrades it to head.
    pub async fn migrate_async(&self, url: &str) -> Result<Report, Error> {
        let (migrations, url) = (self.clone(), url.to_string());
        off_async_threads(move || migrations.migrate(&url)).await
    }

    /// [`Migrations::verify`]: connects to `url` and checks, without writing, that it is ready
    /// for this binary, waiting for a migrator running elsewhere.
    pub async fn verify_async(&self, url: &str) -> Result<super::Verified, Error> {
        let (migrations, url) = (self.clone(), url.to_string());
        off_async_threads(move || migrations.verify(&url)).await
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
impl Migrations {
    /// [`Migrations::verify_connection`] on `db`.
    pub async fn verify_on<D: crate::AsyncDatabase + ?Sized>(
        &self,
        db: &mut D,
    ) -> Result<super::Verified, Error> {
        let migrations = self.clone();
        serve_while(db, move |backend| migrations.verify_connection(backend)).await
    }

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
async fn off_async_threads<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the migration's blocking task was cancelled: {e}"),
    }
}

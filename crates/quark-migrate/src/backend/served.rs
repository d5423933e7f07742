//! Connections an async application holds (feature `tokio` with a driver's): the engine runs
//! on a blocking thread and hands each call to the application's task, which makes it on the
//! connection and hands the answer back, so the connection never leaves the application.

use std::future::Future;
use std::pin::Pin;

use super::{Backend, BackendError};

/// Opens the engine's end of a served connection, on the engine's blocking thread.
#[doc(hidden)]
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn Backend>, BackendError> + Send>;

/// What serves the engine's calls on the connection until the engine lets go of its end.
#[doc(hidden)]
pub type Serving<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// An async connection an application holds that the engine can migrate in place:
/// `tokio_postgres::Client` (feature `postgres`; from deadpool or bb8, `&mut **pooled`) and
/// `mysql_async::Conn` (feature `mysql-async`; from its pool, `&mut pooled`).
///
/// Used by [`crate::Migrations::upgrade_on`] and [`crate::Migrations::status_on`] with the same
/// lock, history, checksums and recovery as a connection the engine opened.
pub trait AsyncDatabase: Send {
    /// The engine's end of this connection and the future that serves it.
    #[doc(hidden)]
    fn serve(&mut self) -> (Opener, Serving<'_>);
}

#[cfg(feature = "postgres")]
impl AsyncDatabase for tokio_postgres::Client {
    fn serve(&mut self) -> (Opener, Serving<'_>) {
        let (calls, requests) = tokio::sync::mpsc::unbounded_channel();
        let open: Opener = Box::new(move || {
            let db = super::postgres::Postgres::served(super::postgres::Served { calls })?;
            Ok(Box::new(db) as Box<dyn Backend>)
        });
        (open, Box::pin(super::postgres::serve(self, requests)))
    }
}

#[cfg(feature = "mysql-async")]
impl AsyncDatabase for mysql_async::Conn {
    fn serve(&mut self) -> (Opener, Serving<'_>) {
        let (calls, requests) = tokio::sync::mpsc::unbounded_channel();
        let open: Opener = Box::new(move || {
            let db = super::mysql::Mysql::served(super::mysql::Served { calls })?;
            Ok(Box::new(db) as Box<dyn Backend>)
        });
        (open, Box::pin(super::mysql::serve(self, requests)))
    }
}

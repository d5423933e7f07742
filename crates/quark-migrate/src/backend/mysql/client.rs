//! Where the MySQL driver's calls go: the `mysql` crate's blocking connection (opened by the
//! engine or lent by the application), or an application's `mysql_async::Conn`, whose calls
//! its own async task makes while the engine waits on a blocking thread.

use mysql::prelude::Queryable;
use mysql::{Conn, Params};

use super::super::{BackendError, Conn as Held};
use super::db_err;

/// One call the engine makes on a MySQL connection.
pub(crate) enum Call {
    /// A text-protocol query of one or more statements; `sets` says how many result sets it
    /// gives when the engine wrote the script itself.
    Text {
        sql: String,
        #[cfg_attr(not(feature = "mysql-async"), allow(dead_code))]
        sets: Option<usize>,
    },
    /// One prepared statement with positional parameters.
    Exec(String, Vec<mysql::Value>),
}

/// One result set: the rows it changed and the rows it gave.
pub(crate) struct Set {
    pub(crate) affected: u64,
    pub(crate) rows: Vec<Vec<mysql::Value>>,
}

/// The connection the driver's calls go to.
pub(super) enum MyClient<'c> {
    /// The `mysql` crate's blocking connection.
    Blocking(Held<'c, Conn>),
    /// An application's async connection, served by its task.
    #[cfg(feature = "mysql-async")]
    Served(served::Served),
}

impl MyClient<'_> {
    /// Makes `call` on the connection: every result set it gave.
    pub(super) fn call(&mut self, call: Call) -> Result<Vec<Set>, BackendError> {
        match self {
            MyClient::Blocking(conn) => on_blocking(conn, call).map_err(db_err),
            #[cfg(feature = "mysql-async")]
            MyClient::Served(served) => served.call(call),
        }
    }
}

fn params(values: Vec<mysql::Value>) -> Params {
    if values.is_empty() {
        Params::Empty
    } else {
        Params::Positional(values)
    }
}

fn on_blocking(conn: &mut Conn, call: Call) -> Result<Vec<Set>, mysql::Error> {
    match call {
        Call::Text { sql, .. } => {
            // Every result set is read, so that an error in any of them is reported.
            let mut result = conn.query_iter(sql)?;
            let mut sets = Vec::new();
            while let Some(set) = result.iter() {
                let affected = set.affected_rows();
                let rows = set
                    .map(|row| row.map(mysql::Row::unwrap))
                    .collect::<Result<_, _>>()?;
                sets.push(Set { affected, rows });
            }
            Ok(sets)
        }
        Call::Exec(sql, values) => {
            let rows: Vec<mysql::Row> = conn.exec(sql, params(values))?;
            Ok(vec![Set {
                affected: conn.affected_rows(),
                rows: rows.into_iter().map(mysql::Row::unwrap).collect(),
            }])
        }
    }
}

#[cfg(feature = "mysql-async")]
pub(crate) mod served {
    use std::sync::mpsc;

    use mysql_async::prelude::Queryable;
    use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

    use super::{BackendError, Call, Set, params};

    /// A call with where its answer goes.
    pub(crate) type Request = (Call, mpsc::SyncSender<Result<Vec<Set>, BackendError>>);

    /// The engine's end of an application's async connection: each call is handed to the task
    /// that holds the connection, and waited for.
    pub(crate) struct Served {
        pub(crate) calls: UnboundedSender<Request>,
    }

    impl Served {
        pub(super) fn call(&mut self, call: Call) -> Result<Vec<Set>, BackendError> {
            let (answer, answered) = mpsc::sync_channel(1);
            let gone = || {
                BackendError::message(
                    "the application's task that lent its MySQL connection stopped serving the migration",
                )
            };
            self.calls.send((call, answer)).map_err(|_| gone())?;
            answered.recv().map_err(|_| gone())?
        }
    }

    /// The driver's error as the engine tells them apart (by the server's error code).
    fn async_err(e: mysql_async::Error) -> BackendError {
        match e {
            mysql_async::Error::Server(server) => {
                let message = format!("{} ({})", server.message, server.code);
                match server.code {
                    1205 => BackendError::LockWait {
                        message,
                        source: Some(Box::new(server)),
                    },
                    1213 => BackendError::Conflict {
                        message,
                        source: Some(Box::new(server)),
                    },
                    _ => BackendError::driver(message, server),
                }
            }
            other => BackendError::driver(other.to_string(), other),
        }
    }

    async fn on_async(
        conn: &mut mysql_async::Conn,
        call: Call,
    ) -> Result<Vec<Set>, mysql_async::Error> {
        match call {
            Call::Text { sql, sets } => {
                let mut result = conn.query_iter(sql).await?;
                let mut out = Vec::new();
                // A last result set without rows (an UPDATE's) reads as no set at all: where
                // the engine knows how many sets its script gives, it reads that many.
                loop {
                    let affected = result.affected_rows();
                    let rows: Vec<mysql_async::Row> = result.collect().await?;
                    out.push(Set {
                        affected,
                        rows: rows.into_iter().map(mysql_async::Row::unwrap).collect(),
                    });
                    let more = match sets {
                        Some(n) => out.len() < n,
                        None => !result.is_empty(),
                    };
                    if !more {
                        break;
                    }
                }
                result.drop_result().await?;
                Ok(out)
            }
            Call::Exec(sql, values) => {
                let rows: Vec<mysql_async::Row> = conn.exec(sql, params(values)).await?;
                Ok(vec![Set {
                    affected: conn.affected_rows(),
                    rows: rows.into_iter().map(mysql_async::Row::unwrap).collect(),
                }])
            }
        }
    }

    /// Makes the engine's calls on `conn` until the engine lets go of its end.
    pub(crate) async fn serve(conn: &mut mysql_async::Conn, mut calls: UnboundedReceiver<Request>) {
        while let Some((call, answer)) = calls.recv().await {
            let reply = on_async(conn, call).await.map_err(async_err);
            // The engine waits for each answer; it cannot have gone between asking and now
            // but by panicking, which its own task reports.
            let _ = answer.send(reply);
        }
    }
}

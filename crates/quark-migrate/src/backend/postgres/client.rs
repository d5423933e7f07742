//! Where the PostgreSQL driver's calls go: the `postgres` crate's blocking client (opened by the
//! engine or lent by the application), or an application's `tokio_postgres::Client`, whose
//! calls its own async task makes while the engine waits on a blocking thread.

use postgres::types::{ToSql, Type};
use postgres::{Client, SimpleQueryMessage};

use super::super::{BackendError, Conn, Value};
use super::{blocking, db_err};

/// One call the engine makes on a PostgreSQL connection.
pub(crate) enum Call {
    /// Statements as one simple-query script, no rows.
    Batch(String),
    /// One statement with parameters: the rows it changed.
    Execute(String, Vec<Value>),
    /// One query with parameters: its rows.
    Query(String, Vec<Value>),
    /// One statement whose parameters are columns of text (`text[]`): the rows it changed.
    ExecuteColumns(String, Vec<Vec<Option<String>>>),
    /// A simple-query script: every message it gave.
    Simple(String),
}

/// What a [`Call`] gave.
pub(crate) enum Reply {
    Done,
    Count(u64),
    Rows(Vec<postgres::Row>),
    Messages(Vec<SimpleQueryMessage>),
}

/// The connection the driver's calls go to (one per driver, never moved once made: its size
/// does not matter).
#[allow(clippy::large_enum_variant)]
pub(super) enum PgClient<'c> {
    /// The `postgres` crate's blocking client.
    Blocking(Conn<'c, Client>),
    /// An application's async client, served by its task ([`serve`]).
    #[cfg(feature = "tokio")]
    Served(Served),
}

impl PgClient<'_> {
    /// Makes `call` on the connection.
    pub(super) fn call(&mut self, call: Call) -> Result<Reply, BackendError> {
        match self {
            PgClient::Blocking(client) => {
                let client: &mut Client = client;
                blocking(move || on_blocking(client, call)).map_err(db_err)
            }
            #[cfg(feature = "tokio")]
            PgClient::Served(served) => served.call(call),
        }
    }
}

/// Parameters with their types, sent with the statement as the unnamed prepared statement: one
/// round trip, and nothing named that a transaction pooler could hand to another client.
/// Integers go as `bigint`, text as `text`, NULL as a type the server infers (oid 0).
fn typed(params: &[Value]) -> Vec<(Box<dyn ToSql + Sync + Send>, Type)> {
    params
        .iter()
        .map(|v| -> (Box<dyn ToSql + Sync + Send>, Type) {
            match v {
                Value::Null => (
                    Box::new(Null),
                    Type::new(
                        String::new(),
                        0,
                        postgres::types::Kind::Simple,
                        String::new(),
                    ),
                ),
                Value::Int(i) => (Box::new(*i), Type::INT8),
                Value::Text(s) => (Box::new(s.clone()), Type::TEXT),
            }
        })
        .collect()
}

/// Columns of text as `text[]` parameters: sent in the binary format, so the server parses no
/// array literal, only each value where the statement casts it.
fn text_arrays(columns: Vec<Vec<Option<String>>>) -> Vec<(Box<dyn ToSql + Sync + Send>, Type)> {
    columns
        .into_iter()
        .map(|c| -> (Box<dyn ToSql + Sync + Send>, Type) { (Box::new(c), Type::TEXT_ARRAY) })
        .collect()
}

/// The parameters as the client takes them.
fn refs(owned: &[(Box<dyn ToSql + Sync + Send>, Type)]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    owned
        .iter()
        .map(|(v, t)| (v.as_ref() as &(dyn ToSql + Sync), t.clone()))
        .collect()
}

/// A NULL parameter whose type the server infers from where it stands.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _ty: &Type,
        _out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(postgres::types::IsNull::Yes)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn on_blocking(client: &mut Client, call: Call) -> Result<Reply, postgres::Error> {
    Ok(match call {
        Call::Batch(sql) => client.batch_execute(&sql).map(|()| Reply::Done)?,
        Call::Execute(sql, params) => {
            Reply::Count(client.execute_typed(&sql, &refs(&typed(&params)))?)
        }
        Call::Query(sql, params) => Reply::Rows(client.query_typed(&sql, &refs(&typed(&params)))?),
        Call::ExecuteColumns(sql, columns) => {
            Reply::Count(client.execute_typed(&sql, &refs(&text_arrays(columns)))?)
        }
        Call::Simple(sql) => Reply::Messages(client.simple_query(&sql)?),
    })
}

#[cfg(feature = "tokio")]
pub(crate) use served::{Served, serve};

#[cfg(feature = "tokio")]
mod served {
    use std::sync::mpsc;

    use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

    use super::{BackendError, Call, Reply, db_err, refs, text_arrays, typed};

    /// A call with where its answer goes.
    pub(crate) type Request = (Call, mpsc::SyncSender<Result<Reply, postgres::Error>>);

    /// The engine's end of an application's async client: each call is handed to the task that
    /// holds the client, and waited for.
    pub(crate) struct Served {
        pub(crate) calls: UnboundedSender<Request>,
    }

    impl Served {
        pub(super) fn call(&mut self, call: Call) -> Result<Reply, BackendError> {
            let (answer, answered) = mpsc::sync_channel(1);
            let gone = || {
                BackendError::message(
                    "the application's task that lent its PostgreSQL client stopped serving the migration",
                )
            };
            self.calls.send((call, answer)).map_err(|_| gone())?;
            answered.recv().map_err(|_| gone())?.map_err(db_err)
        }
    }

    /// Makes the engine's calls on `client` until the engine lets go of its end.
    pub(crate) async fn serve(
        client: &tokio_postgres::Client,
        mut calls: UnboundedReceiver<Request>,
    ) {
        while let Some((call, answer)) = calls.recv().await {
            let reply = match call {
                Call::Batch(sql) => client.batch_execute(&sql).await.map(|()| Reply::Done),
                Call::Execute(sql, params) => {
                    let owned = typed(&params);
                    client
                        .execute_typed(&sql, &refs(&owned))
                        .await
                        .map(Reply::Count)
                }
                Call::Query(sql, params) => {
                    let owned = typed(&params);
                    client
                        .query_typed(&sql, &refs(&owned))
                        .await
                        .map(Reply::Rows)
                }
                Call::ExecuteColumns(sql, columns) => {
                    let owned = text_arrays(columns);
                    client
                        .execute_typed(&sql, &refs(&owned))
                        .await
                        .map(Reply::Count)
                }
                Call::Simple(sql) => client.simple_query(&sql).await.map(Reply::Messages),
            };
            // The engine waits for each answer; it cannot have gone between asking and now
            // but by panicking, which its own task reports.
            let _ = answer.send(reply);
        }
    }
}

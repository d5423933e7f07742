//! Migrations on an async client the application holds (`tokio_postgres::Client`), served from
//! the application's own task: the same lock, history and failures as any connection, and the
//! client stays the application's.

#![cfg(all(feature = "tokio", feature = "postgres", feature = "sqlite"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::time::Duration;

use quark_migrate::{EmbeddedFile, Error, Migrations};
use servers::{Kind, TestDb};

static GOOD: &[EmbeddedFile] = &[
    EmbeddedFile {
        path: "migrations/a1_things.sql",
        source: "-- things\n--\n-- Revision ID: a1\n-- Revises:\n\n-- +upgrade\nCREATE TABLE things (id BIGINT PRIMARY KEY, name VARCHAR(64));\nINSERT INTO things VALUES (1, 'one');\n-- +downgrade\nDROP TABLE things;\n",
        summary: None,
        code: None,
    },
    EmbeddedFile {
        path: "migrations/b2_index.sql",
        source: "-- index\n--\n-- Revision ID: b2\n-- Revises: a1\n\n-- +upgrade\nCREATE INDEX ix_things_name ON things (name);\n-- +downgrade\n-- +postgresql, sqlite\nDROP INDEX ix_things_name;\n-- +mysql\nDROP INDEX ix_things_name ON things;\n",
        summary: None,
        code: None,
    },
];

/// b2 fails half-way: its first statement runs, the second names a missing table.
static FAILING: &[EmbeddedFile] = &[
    GOOD[0],
    EmbeddedFile {
        path: "migrations/b2_broken.sql",
        source: "-- broken\n--\n-- Revision ID: b2\n-- Revises: a1\n\n-- +upgrade\nCREATE INDEX ix_things_name ON things (name);\nINSERT INTO nowhere VALUES (1);\n-- +downgrade\nDROP INDEX ix_things_name;\n",
        summary: None,
        code: None,
    },
];

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

async fn versions(client: &tokio_postgres::Client) -> Vec<String> {
    let rows = client
        .query("SELECT version_num FROM alembic_version ORDER BY 1", &[])
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_async_client_is_migrated_in_place_and_stays_usable() {
    let Some(test) = TestDb::new(Kind::Postgres) else {
        return;
    };
    // A current-thread runtime: the task that serves the engine's calls is the only one.
    runtime().block_on(async {
        let mut client = connect(&test.url).await;
        let migrations = Migrations::new(GOOD).unwrap();
        let status = migrations.status_on(&mut client).await.unwrap();
        assert_eq!(status.pending, ["a1", "b2"]);
        let report = migrations.upgrade_on(&mut client).await.unwrap();
        assert_eq!(report.after, ["b2"]);
        assert_eq!(report.steps.len(), 2);
        // History written, and the client is the application's again.
        let history: i64 = client
            .query_one("SELECT count(*) FROM alembic_version_history", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(history, 2);
        assert_eq!(versions(&client).await, ["b2"]);
        assert!(
            migrations
                .status_on(&mut client)
                .await
                .unwrap()
                .is_up_to_date()
        );
        // The lock was released: another session takes it at once.
        let mut other = connect(&test.url).await;
        let again = migrations.upgrade_on(&mut other).await.unwrap();
        assert!(again.steps.is_empty());
    });
}

#[test]
fn a_failed_upgrade_on_an_async_client_leaves_it_at_its_revision() {
    let Some(test) = TestDb::new(Kind::Postgres) else {
        return;
    };
    runtime().block_on(async {
        let mut client = connect(&test.url).await;
        let error = Migrations::new(FAILING)
            .unwrap()
            .upgrade_on(&mut client)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::StepFailed { .. }), "{error}");
        assert!(error.to_string().contains("nowhere"), "{error}");
        // a1 stands, b2 rolled back whole, and the client still works.
        assert_eq!(versions(&client).await, ["a1"]);
        let index: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_things_name'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(index, 0);
    });
}

#[test]
fn async_clients_starting_at_once_apply_each_revision_once() {
    let Some(test) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut starts = Vec::new();
        for _ in 0..4 {
            let url = test.url.clone();
            starts.push(tokio::spawn(async move {
                let mut client = connect(&url).await;
                Migrations::new(GOOD)
                    .unwrap()
                    .lock_timeout(Duration::from_secs(30))
                    .upgrade_on(&mut client)
                    .await
                    .unwrap()
                    .steps
                    .len()
            }));
        }
        let mut applied = 0;
        for start in starts {
            applied += start.await.unwrap();
        }
        assert_eq!(applied, 2, "each revision applied by exactly one start");
        assert_eq!(versions(&connect(&test.url).await).await, ["b2"]);
    });
}

/// b2 fails at its first statement: nothing of it takes effect, on any server.
#[cfg(feature = "mysql-async")]
static FAILING_AT_ONCE: &[EmbeddedFile] = &[
    GOOD[0],
    EmbeddedFile {
        path: "migrations/b2_broken.sql",
        source: "-- broken\n--\n-- Revision ID: b2\n-- Revises: a1\n\n-- +upgrade\nINSERT INTO nowhere VALUES (1);\n-- +downgrade\nSELECT 1;\n",
        summary: None,
        code: None,
    },
];

#[cfg(feature = "mysql-async")]
mod mysql_async_conn {
    use mysql_async::prelude::Queryable;

    use super::*;

    async fn versions(conn: &mut mysql_async::Conn) -> Vec<String> {
        conn.query("SELECT version_num FROM alembic_version ORDER BY 1")
            .await
            .unwrap()
    }

    #[test]
    fn a_pooled_mysql_async_connection_is_migrated_in_place_and_stays_usable() {
        let Some(test) = TestDb::new(Kind::Mysql) else {
            return;
        };
        runtime().block_on(async {
            let pool = mysql_async::Pool::new(test.url.as_str());
            let mut conn = pool.get_conn().await.unwrap();
            let migrations = Migrations::new(GOOD).unwrap();
            let status = migrations.status_on(&mut conn).await.unwrap();
            assert_eq!(status.pending, ["a1", "b2"]);
            let report = migrations.upgrade_on(&mut conn).await.unwrap();
            assert_eq!(
                (report.after.as_slice(), report.steps.len()),
                (&["b2".to_string()][..], 2)
            );
            let history: Vec<i64> = conn
                .query("SELECT count(*) FROM alembic_version_history")
                .await
                .unwrap();
            assert_eq!(history, [2]);
            let things: Vec<String> = conn.query("SELECT name FROM things").await.unwrap();
            assert_eq!(things, ["one"]);
            assert_eq!(versions(&mut conn).await, ["b2"]);
            // The lock was released: another connection of the pool goes through at once.
            let mut other = pool.get_conn().await.unwrap();
            assert!(
                migrations
                    .upgrade_on(&mut other)
                    .await
                    .unwrap()
                    .steps
                    .is_empty()
            );
            drop((conn, other));
            pool.disconnect().await.unwrap();
        });
    }

    #[test]
    fn a_failed_upgrade_on_a_mysql_async_connection_leaves_it_at_its_revision() {
        let Some(test) = TestDb::new(Kind::Mysql) else {
            return;
        };
        runtime().block_on(async {
            let mut conn = mysql_async::Conn::from_url(test.url.as_str())
                .await
                .unwrap();
            let error = Migrations::new(FAILING_AT_ONCE)
                .unwrap()
                .upgrade_on(&mut conn)
                .await
                .unwrap_err();
            assert!(matches!(error, Error::StepFailed { .. }), "{error}");
            assert!(error.to_string().contains("nowhere"), "{error}");
            assert_eq!(versions(&mut conn).await, ["a1"]);
            conn.disconnect().await.unwrap();
        });
    }

    #[test]
    fn mysql_async_connections_starting_at_once_apply_each_revision_once() {
        let Some(test) = TestDb::new(Kind::Mysql) else {
            return;
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let pool = mysql_async::Pool::new(test.url.as_str());
            let mut starts = Vec::new();
            for _ in 0..4 {
                let pool = pool.clone();
                starts.push(tokio::spawn(async move {
                    let mut conn = pool.get_conn().await.unwrap();
                    Migrations::new(GOOD)
                        .unwrap()
                        .lock_timeout(Duration::from_secs(30))
                        .upgrade_on(&mut conn)
                        .await
                        .unwrap()
                        .steps
                        .len()
                }));
            }
            let mut applied = 0;
            for start in starts {
                applied += start.await.unwrap();
            }
            assert_eq!(applied, 2, "each revision applied by exactly one start");
            let mut conn = pool.get_conn().await.unwrap();
            assert_eq!(versions(&mut conn).await, ["b2"]);
            drop(conn);
            pool.disconnect().await.unwrap();
        });
    }
}

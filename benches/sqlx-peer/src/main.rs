//! `sqlx-peer <url>`: connects and runs the embedded migrations with `sqlx::migrate!`, as a
//! service using sqlx would on start-up; prints how many migrations the database has applied.

use std::str::FromStr;

use sqlx::Connection;
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).ok_or("usage: sqlx-peer <database url>")?;
    if url.starts_with("sqlite:") {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?.create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
        MIGRATOR.run(&mut conn).await?;
        conn.close().await?;
    } else if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        MIGRATOR.run(&mut conn).await?;
        conn.close().await?;
    } else {
        let mut conn = sqlx::MySqlConnection::connect(&url).await?;
        MIGRATOR.run(&mut conn).await?;
        conn.close().await?;
    }
    Ok(())
}

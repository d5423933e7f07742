//! `refinery-peer <url>`: connects and runs the embedded migrations with refinery's runner, as a
//! service using refinery would on start-up (a transaction per migration, refinery's default).

mod embedded {
    refinery::embed_migrations!("migrations");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: refinery-peer <database url>")?;
    let runner = embedded::migrations::runner();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = rusqlite::Connection::open(path)?;
        runner.run(&mut conn)?;
    } else if url.starts_with("postgres") {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
        runner.run(&mut client)?;
    } else {
        let mut conn = mysql::Conn::new(mysql::Opts::from_url(&url)?)?;
        runner.run(&mut conn)?;
    }
    Ok(())
}

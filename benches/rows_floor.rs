//! The floor under quark's data revision 1664300cb03a, for benches/report.py: the same work
//! written by hand against the raw driver, without the engine. Every row of
//! quark_ip_policy_cidrs with a CIDR gets its first and last address as IPv6 integers in
//! decimal (IPv4 mapped into ::ffff:0:0/96), in one transaction, read in keyset chunks of 5,000
//! and written with the fastest single statement per chunk each server offers: PostgreSQL
//! `UPDATE ... FROM (VALUES ...)`, MySQL `INSERT ... ON DUPLICATE KEY UPDATE`, SQLite one
//! prepared `UPDATE` per row.
//!
//!     cargo run --release --example rows-floor -- <sqlite:///path | postgresql://... | mysql://...>

use std::net::IpAddr;

use ipnet::IpNet;

const CHUNK: usize = 5_000;

fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: rows-floor <database URL>");
    let done = if let Some(path) = url.strip_prefix("sqlite:///") {
        sqlite(path)
    } else if url.starts_with("postgresql://") {
        postgres(&url)
    } else if url.starts_with("mysql://") {
        mysql(&url)
    } else {
        panic!("unsupported URL {url}")
    };
    println!("{done} rows");
}

/// The row's first and last address, in decimal; `None` for a NULL CIDR.
fn bounds(cidr: Option<&str>) -> Option<(String, String)> {
    let text = cidr?.trim();
    let net = text
        .parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .unwrap_or_else(|_| panic!("'{text}' is not a CIDR"))
        .trunc();
    let v6 = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    };
    Some((
        v6(net.network()).to_string(),
        v6(net.broadcast()).to_string(),
    ))
}

fn sqlite(path: &str) -> usize {
    let mut db = rusqlite::Connection::open(path).unwrap();
    let tx = db.transaction().unwrap();
    let mut done = 0;
    {
        let mut read = tx
            .prepare(
                "SELECT id, cidr FROM quark_ip_policy_cidrs WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .unwrap();
        let mut write = tx
            .prepare("UPDATE quark_ip_policy_cidrs SET first_ip = ?1, last_ip = ?2 WHERE id = ?3")
            .unwrap();
        let mut last = String::new();
        loop {
            let rows: Vec<(String, Option<String>)> = read
                .query_map(rusqlite::params![last, CHUNK as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            for (id, cidr) in &rows {
                if let Some((first, last)) = bounds(cidr.as_deref()) {
                    write.execute(rusqlite::params![first, last, id]).unwrap();
                }
            }
            done += rows.len();
            match rows.last() {
                Some((id, _)) if rows.len() == CHUNK => last = id.clone(),
                _ => break,
            }
        }
    }
    tx.commit().unwrap();
    done
}

fn postgres(url: &str) -> usize {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut tx = client.transaction().unwrap();
    let mut done = 0;
    let mut last = String::new();
    loop {
        let rows = tx
            .query(
                "SELECT id, cidr FROM quark_ip_policy_cidrs WHERE id > $1 ORDER BY id LIMIT $2",
                &[&last, &(CHUNK as i64)],
            )
            .unwrap();
        let values: Vec<String> = rows
            .iter()
            .filter_map(|r| {
                let (first, last) = bounds(r.get::<_, Option<&str>>(1))?;
                Some(format!("('{}', '{first}', '{last}')", r.get::<_, &str>(0)))
            })
            .collect();
        if !values.is_empty() {
            tx.batch_execute(&format!(
                "UPDATE quark_ip_policy_cidrs c SET first_ip = v.f, last_ip = v.l \
                 FROM (VALUES {}) v(id, f, l) WHERE c.id = v.id",
                values.join(", ")
            ))
            .unwrap();
        }
        done += rows.len();
        match rows.last() {
            Some(r) if rows.len() == CHUNK => last = r.get::<_, String>(0),
            _ => break,
        }
    }
    tx.commit().unwrap();
    done
}

fn mysql(url: &str) -> usize {
    use mysql::prelude::Queryable;
    let pool = mysql::Pool::new(url).unwrap();
    let mut conn = pool.get_conn().unwrap();
    let mut tx = conn.start_transaction(mysql::TxOpts::default()).unwrap();
    let mut done = 0;
    let mut last = String::new();
    loop {
        let rows: Vec<(String, Option<String>)> = tx
            .exec(
                "SELECT id, cidr FROM quark_ip_policy_cidrs WHERE id > ? ORDER BY id LIMIT ?",
                (&last, CHUNK as u64),
            )
            .unwrap();
        let values: Vec<String> = rows
            .iter()
            .filter_map(|(id, cidr)| {
                let (first, last) = bounds(cidr.as_deref())?;
                Some(format!("('{id}', '{first}', '{last}')"))
            })
            .collect();
        if !values.is_empty() {
            tx.query_drop(format!(
                "INSERT INTO quark_ip_policy_cidrs (id, first_ip, last_ip) VALUES {} \
                 ON DUPLICATE KEY UPDATE first_ip = VALUES(first_ip), last_ip = VALUES(last_ip)",
                values.join(", ")
            ))
            .unwrap();
        }
        done += rows.len();
        match rows.last() {
            Some((id, _)) if rows.len() == CHUNK => last = id.clone(),
            _ => break,
        }
    }
    tx.commit().unwrap();
    done
}

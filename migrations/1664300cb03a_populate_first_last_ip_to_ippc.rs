//! populate first last ip to ippc
//!
//! Revision ID: 1664300cb03a
//! Revises: 1acd075bd7e1
//! Create Date: 2014-08-07 07:17:32.841155
//! Earlier Checksums: 33ee097406f4480007155cdb990585070cd4834aea73f3a2a577ce87dfe33e3b, a745a3e6acbb58f265e99ea4f24eed54312b15b688424d7359325476317eecad

// quark_ip_policy_cidrs.first_ip and last_ip (added by the parent revision) become the first and
// last address of each row's CIDR as IPv6 integers in decimal, IPv4 mapped into ::ffff:0:0/96,
// as quark stores every address. Rows with a NULL CIDR are left alone. There is no downgrade.

use std::net::IpAddr;

use ipnet::IpNet;
use quark_db_manage::backend::Value;
use quark_db_manage::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    // Read in chunks (memory holds one), each chunk written back by one set-based update.
    let sql = "SELECT id, cidr FROM quark_ip_policy_cidrs";
    db.in_chunks(sql, "id", CHUNK, |db, rows| {
        let mut updates = Vec::with_capacity(rows.len());
        for row in &rows {
            let (Some(id), Some(text)) = (row[0].as_text(), row[1].as_text()) else {
                continue;
            };
            let net = cidr(text, id)?;
            updates.push(vec![
                Value::from(id),
                Value::Text(as_v6(net.network()).to_string()),
                Value::Text(as_v6(net.broadcast()).to_string()),
            ]);
        }
        db.update_rows(
            "quark_ip_policy_cidrs",
            "id",
            &["first_ip", "last_ip"],
            &updates,
        )?;
        Ok(())
    })
}

/// Rows read and written at a time.
const CHUNK: usize = 5_000;

/// The address as an IPv6 integer, IPv4 mapped into `::ffff:0:0/96`.
fn as_v6(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The row's CIDR as a network (host bits cleared); a bare address is a single address.
fn cidr(text: &str, id: &str) -> Result<IpNet, CodeError> {
    let text = text.trim();
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
            CodeError::msg(format!(
                "quark_ip_policy_cidrs row {id} has the CIDR '{text}', which is not a CIDR"
            ))
        })?,
    };
    Ok(net.trunc())
}

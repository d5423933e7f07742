//! truncate ip policy cidr
//!
//! Revision ID: 2748e48cee3a
//! Revises: 1284c81cf727
//! Create Date: 2014-06-27 05:46:09.430767
//! Earlier Checksums: 78a118ea9d6ca5a74079fe5f25909f0b65a5ff6dc68d737894eb83885c5a3950

// An IP policy may hold CIDRs that reach outside the subnet it belongs to. Each such policy's
// CIDRs are replaced by their intersection with the subnet's CIDR, as the fewest CIDRs that
// cover it. Policies that lie inside their subnet are left alone; NULL CIDRs are ignored.
// There is no downgrade: the CIDRs removed are not kept anywhere.

use std::collections::BTreeMap;

use ipnet::IpNet;
use quark_db_manage::backend::{Row, Value};
use quark_db_manage::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    // Policies a chunk at a time in id order, with the subnets and CIDRs of exactly those
    // policies (their ids lie between the chunk's first and last): memory holds one chunk, and
    // each chunk's rewrites are written in two batches.
    db.in_chunks(
        "SELECT id FROM quark_ip_policy",
        "id",
        CHUNK,
        |db, chunk| {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
                return Ok(());
            };
            let rows = db.query(
                "SELECT s.ip_policy_id, s._cidr, c.cidr FROM quark_subnets s \
             JOIN quark_ip_policy_cidrs c ON s.ip_policy_id = c.ip_policy_id \
             WHERE s.ip_policy_id >= ? AND s.ip_policy_id <= ? ORDER BY s.ip_policy_id, s.id",
                &[first[0].clone(), last[0].clone()],
            )?;
            rewrite(db, &rows)
        },
    )
}

/// Policies read and rewritten at a time.
const CHUNK: usize = 1_000;

/// Rewrites the CIDRs of the policies `rows` (policy, subnet CIDR, policy CIDR) name.
fn rewrite(db: &mut Db<'_>, rows: &[Row]) -> Result<(), CodeError> {
    // Policy id -> (its subnet's CIDR, its own CIDRs); the first subnet of a policy counts.
    let mut policies: BTreeMap<String, (IpNet, Vec<IpNet>)> = BTreeMap::new();
    for row in rows {
        let (Some(policy), Some(subnet)) = (row[0].as_text(), row[1].as_text()) else {
            continue;
        };
        let subnet = cidr(subnet, "quark_subnets._cidr")?;
        let entry = policies
            .entry(policy.to_string())
            .or_insert_with(|| (subnet, Vec::new()));
        if let Some(text) = row[2].as_text() {
            entry.1.push(cidr(text, "quark_ip_policy_cidrs.cidr")?);
        }
    }
    let (mut deletes, mut inserts) = (Vec::new(), Vec::new());
    for (policy, (subnet, cidrs)) in policies {
        if cidrs.iter().all(|c| subnet.contains(c)) {
            continue;
        }
        let inside: Vec<IpNet> = cidrs
            .iter()
            .filter_map(|c| {
                if subnet.contains(c) {
                    Some(*c)
                } else if c.contains(&subnet) {
                    Some(subnet)
                } else {
                    None
                }
            })
            .collect();
        let inside = IpNet::aggregate(&inside);
        log::info!(target: "quark.migration", "IP policy {policy}: CIDRs truncated to {inside:?}");
        deletes.push(vec![Value::from(policy.as_str())]);
        for net in inside {
            inserts.push(vec![
                Value::Text(uuid::Uuid::new_v4().to_string()),
                Value::from(policy.as_str()),
                Value::Text(net.to_string()),
            ]);
        }
    }
    db.execute_many(
        "DELETE FROM quark_ip_policy_cidrs WHERE ip_policy_id = ?",
        &deletes,
    )?;
    db.execute_many(
        "INSERT INTO quark_ip_policy_cidrs (id, created_at, ip_policy_id, cidr) \
         VALUES (?, CURRENT_TIMESTAMP, ?, ?)",
        &inserts,
    )?;
    Ok(())
}

/// `text` as a network (host bits cleared); a bare address is a single-address network.
fn cidr(text: &str, column: &str) -> Result<IpNet, CodeError> {
    let text = text.trim();
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text
            .parse::<std::net::IpAddr>()
            .map(IpNet::from)
            .map_err(|_| CodeError::msg(format!("{column} holds '{text}', which is not a CIDR")))?,
    };
    Ok(net.trunc())
}

//! truncate ip policy cidr
//!
//! Revision ID: 2748e48cee3a
//! Revises: 1284c81cf727
//! Create Date: 2014-06-27 05:46:09.430767
//! Earlier Checksums: 78a118ea9d6ca5a74079fe5f25909f0b65a5ff6dc68d737894eb83885c5a3950, b0f2a0c3d62eda8694c77adcb72c66dd96f86b110c45ac8ee8f5640a91eeabcd, bfd766244c38ec6500c30814365024b3b534903ed5799c987ad3909e0ca7bd31

// An IP policy may hold CIDRs that reach outside the subnet it belongs to. Each such policy's
// CIDRs are replaced by their intersection with the subnet's CIDR, as the fewest CIDRs that
// cover it. Policies that lie inside their subnet are left alone; NULL CIDRs are ignored.
// There is no downgrade: the CIDRs removed are not kept anywhere.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;
use quark_db_manage::backend::{Row, Value};
use quark_db_manage::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    // Upstream read every subnet with a policy id joined to that id's CIDRs, whether or not a
    // quark_ip_policy row has the id (foreign keys are not always enforced). Chunks are of those
    // ids, the distinct policy ids of subnets in order, each chunk with the joined rows of its
    // id range: memory holds one chunk, and each chunk's rewrites are written in two batches.
    db.in_chunks(
        "SELECT DISTINCT ip_policy_id FROM quark_subnets WHERE ip_policy_id IS NOT NULL",
        "ip_policy_id",
        CHUNK,
        |db, chunk| {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
                return Ok(());
            };
            let rows = db.query(
                "SELECT s.ip_policy_id, s._cidr, c.cidr, c.id FROM quark_subnets s \
             JOIN quark_ip_policy_cidrs c ON s.ip_policy_id = c.ip_policy_id \
             WHERE s.ip_policy_id >= ? AND s.ip_policy_id <= ? ORDER BY s.ip_policy_id, s.id",
                &[first[0].clone(), last[0].clone()],
            )?;
            rewrite(db, &rows)
        },
    )
}

/// Policies read and rewritten at a time: every chunk reads `quark_subnets` whole where
/// `ip_policy_id` has no index (PostgreSQL, SQLite), so fewer, larger chunks cost less; a chunk's
/// rows take a few megabytes.
const CHUNK: usize = 10_000;

/// CIDR rows deleted by one statement.
const DELETES: usize = 1_000;

/// Rewrites the CIDRs of the policies `rows` (policy, subnet CIDR, policy CIDR, its row id) name.
fn rewrite(db: &mut Db<'_>, rows: &[Row]) -> Result<(), CodeError> {
    // Policy id -> (its subnet's CIDR, its own CIDRs, their row ids); the first subnet of a
    // policy counts.
    let mut policies: BTreeMap<String, (IpNet, Vec<IpNet>, BTreeSet<String>)> = BTreeMap::new();
    for row in rows {
        let (Some(policy), Some(subnet)) = (row[0].as_text(), row[1].as_text()) else {
            continue;
        };
        let subnet = cidr(subnet, "quark_subnets._cidr")?;
        let entry = policies
            .entry(policy.to_string())
            .or_insert_with(|| (subnet, Vec::new(), BTreeSet::new()));
        if let Some(text) = row[2].as_text() {
            entry.1.push(cidr(text, "quark_ip_policy_cidrs.cidr")?);
        }
        // Every CIDR row of the policy is in the join (NULL CIDRs too), once per subnet.
        if let Some(id) = row[3].as_text() {
            entry.2.insert(id.to_string());
        }
    }
    let (mut deletes, mut inserts) = (Vec::new(), Vec::new());
    for (policy, (subnet, cidrs, ids)) in policies {
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
        deletes.extend(ids.into_iter().map(Value::Text));
        for net in inside {
            inserts.push(vec![
                Value::Text(uuid::Uuid::new_v4().to_string()),
                Value::from(policy.as_str()),
                Value::Text(net.to_string()),
            ]);
        }
    }
    // The policies' rows by their keys, as upstream's `ip_policy_id IN (...)` deleted them:
    // the join holds every row of each policy, and `ip_policy_id` has no index everywhere.
    for batch in deletes.chunks(DELETES) {
        let list = vec!["?"; batch.len()].join(", ");
        db.execute(
            &format!("DELETE FROM quark_ip_policy_cidrs WHERE id IN ({list})"),
            batch,
        )?;
    }
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

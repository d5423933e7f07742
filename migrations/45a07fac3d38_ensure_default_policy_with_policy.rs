//! ensure default policy with policy
//!
//! Revision ID: 45a07fac3d38
//! Revises: 2748e48cee3a
//! Create Date: 2014-07-05 12:49:51.815631
//! Earlier Checksums: 8c9c159072477b76f87b6c09f1e711ea24a34c4577d5316c84dc0bed2c92840b, ec2ee0c268887d4d58c8dccd63a4eab22dcb1bc01551a7cd08ce9b6a9210ee97, 6310a2d8c5d551377b0728d22c20392eaa707859b608b9a76ab292f30510cb8b

// Every subnet that has an IP policy must exclude its network and broadcast addresses. Where a
// policy lacks either, the address is added (as a /32 or /128) and the policy's CIDRs are
// rewritten as the fewest CIDRs that cover them. There is no downgrade.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

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
             LEFT OUTER JOIN quark_ip_policy_cidrs c ON s.ip_policy_id = c.ip_policy_id \
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
    for (policy, (subnet, mut cidrs, ids)) in policies {
        let missing: Vec<IpAddr> = [subnet.broadcast(), subnet.network()]
            .into_iter()
            .filter(|ip| !cidrs.iter().any(|c| c.contains(ip)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        cidrs.extend(missing.into_iter().map(IpNet::from));
        let cidrs = IpNet::aggregate(&cidrs);
        log::info!(target: "quark.migration", "IP policy {policy}: default CIDRs added, now {cidrs:?}");
        deletes.extend(ids.into_iter().map(Value::Text));
        for net in cidrs {
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
            .parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| CodeError::msg(format!("{column} holds '{text}', which is not a CIDR")))?,
    };
    Ok(net.trunc())
}

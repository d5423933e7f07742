//! ensure default policy with policy
//!
//! Revision ID: 45a07fac3d38
//! Revises: 2748e48cee3a
//! Create Date: 2014-07-05 12:49:51.815631

// Every subnet that has an IP policy must exclude its network and broadcast addresses. Where a
// policy lacks either, the address is added (as a /32 or /128) and the policy's CIDRs are
// rewritten as the fewest CIDRs that cover them. There is no downgrade.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use quark_db_manage::backend::Value;
use quark_db_manage::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    let rows = db.query(
        "SELECT s.ip_policy_id, s._cidr, c.cidr FROM quark_subnets s \
         LEFT OUTER JOIN quark_ip_policy_cidrs c ON s.ip_policy_id = c.ip_policy_id \
         WHERE s.ip_policy_id IS NOT NULL ORDER BY s.ip_policy_id, s.id",
        &[],
    )?;
    // Policy id -> (its subnet's CIDR, its own CIDRs); the first subnet of a policy counts.
    let mut policies: BTreeMap<String, (IpNet, Vec<IpNet>)> = BTreeMap::new();
    for row in &rows {
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
    for (policy, (subnet, mut cidrs)) in policies {
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
        db.execute(
            "DELETE FROM quark_ip_policy_cidrs WHERE ip_policy_id = ?",
            &[Value::from(policy.as_str())],
        )?;
        for net in cidrs {
            db.execute(
                "INSERT INTO quark_ip_policy_cidrs (id, created_at, ip_policy_id, cidr) \
                 VALUES (?, CURRENT_TIMESTAMP, ?, ?)",
                &[
                    Value::Text(uuid::Uuid::new_v4().to_string()),
                    Value::from(policy.as_str()),
                    Value::Text(net.to_string()),
                ],
            )?;
        }
    }
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

//! default policy without policy
//!
//! Revision ID: 552b213c2b8c
//! Revises: 45a07fac3d38
//! Create Date: 2014-07-25 15:07:07.418971
//! Earlier Checksums: 272f7be423577fed1fb1c6fb0dda1aa678015815fd68be510d20d70f759042d1

// Every subnet without an IP policy gets one of its own (same tenant) that excludes the
// subnet's network and broadcast addresses, as /32 or /128 CIDRs. There is no downgrade.

use std::net::IpAddr;

use ipnet::IpNet;
use quark_db_manage::backend::Value;
use quark_db_manage::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    // Subnets a chunk at a time in id order (a chunk given its policy leaves the query, which
    // the next chunk's `id >` read does not mind); each chunk's rows written in three batches.
    let sql = "SELECT id, _cidr, tenant_id FROM quark_subnets WHERE ip_policy_id IS NULL";
    db.in_chunks(sql, "id", CHUNK, |db, subnets| {
        let (mut policies, mut cidrs, mut assigned) = (Vec::new(), Vec::new(), Vec::new());
        for row in &subnets {
            let (Some(subnet), Some(text)) = (row[0].as_text(), row[1].as_text()) else {
                continue;
            };
            let net = cidr(text, subnet)?;
            let policy = uuid::Uuid::new_v4().to_string();
            log::info!(target: "quark.migration", "subnet {subnet}: new IP policy {policy}");
            policies.push(vec![Value::from(policy.as_str()), row[2].clone()]);
            let mut defaults = vec![net.network(), net.broadcast()];
            defaults.dedup();
            for ip in defaults {
                cidrs.push(vec![
                    Value::Text(uuid::Uuid::new_v4().to_string()),
                    Value::from(policy.as_str()),
                    Value::Text(IpNet::from(ip).to_string()),
                ]);
            }
            assigned.push(vec![Value::from(policy.as_str()), Value::from(subnet)]);
        }
        db.execute_many(
            "INSERT INTO quark_ip_policy (id, created_at, tenant_id) VALUES (?, CURRENT_TIMESTAMP, ?)",
            &policies,
        )?;
        db.execute_many(
            "INSERT INTO quark_ip_policy_cidrs (id, created_at, ip_policy_id, cidr) \
             VALUES (?, CURRENT_TIMESTAMP, ?, ?)",
            &cidrs,
        )?;
        db.execute_many(
            "UPDATE quark_subnets SET ip_policy_id = ? WHERE id = ?",
            &assigned,
        )?;
        Ok(())
    })
}

/// Subnets read and written at a time.
const CHUNK: usize = 1_000;

/// The subnet's CIDR as a network (host bits cleared); a bare address is a single address.
fn cidr(text: &str, subnet: &str) -> Result<IpNet, CodeError> {
    let text = text.trim();
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
            CodeError::msg(format!(
                "subnet {subnet} has the CIDR '{text}', which is not a CIDR"
            ))
        })?,
    };
    Ok(net.trunc())
}

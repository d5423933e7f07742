//! populate ip policy size
//!
//! Revision ID: 28e55acaf366
//! Revises: 3d22de205729
//! Create Date: 2014-08-06 14:50:04.022331
//! Earlier Checksums: 50ae8940871eb7100d7d31eaaf2d3afc0a021217f4dcd8dc2472ec6aedca16e7

// quark_ip_policy.size (added by the parent revision) becomes the number of addresses the
// policy's CIDRs cover, overlaps counted once, IPv4 and IPv6 together, written in decimal as
// quark's INET columns are. Policies without CIDRs keep a NULL size. There is no downgrade.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use quark_db_manage::backend::Value;
use quark_db_manage::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    // Policies a chunk at a time in id order, with the CIDRs of exactly those policies (their
    // ids lie between the chunk's first and last): memory holds one chunk, and each chunk's
    // sizes are written in one batch.
    db.in_chunks(
        "SELECT id FROM quark_ip_policy",
        "id",
        CHUNK,
        |db, chunk| {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
                return Ok(());
            };
            let rows = db.query(
                "SELECT ip_policy_id, cidr FROM quark_ip_policy_cidrs \
             WHERE ip_policy_id >= ? AND ip_policy_id <= ?",
                &[first[0].clone(), last[0].clone()],
            )?;
            let mut policies: BTreeMap<String, Vec<IpNet>> = BTreeMap::new();
            for row in &rows {
                let (Some(policy), Some(text)) = (row[0].as_text(), row[1].as_text()) else {
                    continue;
                };
                policies
                    .entry(policy.to_string())
                    .or_default()
                    .push(cidr(text)?);
            }
            let sizes: Vec<Vec<Value>> = policies
                .into_iter()
                .map(|(policy, cidrs)| vec![Value::Text(size(&cidrs)), Value::Text(policy)])
                .collect();
            db.execute_many("UPDATE quark_ip_policy SET size = ? WHERE id = ?", &sizes)?;
            Ok(())
        },
    )
}

/// Policies read and written at a time.
const CHUNK: usize = 1_000;

/// How many addresses `cidrs` cover together, in decimal (it can exceed `u128`: `::/0` and more).
fn size(cidrs: &[IpNet]) -> String {
    let mut total = 0u128;
    let mut everything_v6 = false;
    for net in IpNet::aggregate(&cidrs.to_vec()) {
        let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
        match 1u128.checked_shl(host_bits) {
            Some(n) => total += n,
            None => everything_v6 = true,
        }
    }
    if !everything_v6 {
        return total.to_string();
    }
    // 2^128 + total, added digit by digit.
    let two_128 = (u128::MAX).to_string().into_bytes();
    let mut carry = 1 + total; // u128::MAX + 1 + total
    let mut digits: Vec<u8> = Vec::new();
    for d in two_128.iter().rev() {
        let sum = u128::from(d - b'0') + carry % 10;
        carry = carry / 10 + sum / 10;
        digits.push(b'0' + (sum % 10) as u8);
    }
    while carry > 0 {
        digits.push(b'0' + (carry % 10) as u8);
        carry /= 10;
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII digits")
}

/// `text` as a network (host bits cleared); a bare address is a single-address network.
fn cidr(text: &str) -> Result<IpNet, CodeError> {
    let text = text.trim();
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
            CodeError::msg(format!(
                "quark_ip_policy_cidrs.cidr holds '{text}', which is not a CIDR"
            ))
        })?,
    };
    Ok(net.trunc())
}

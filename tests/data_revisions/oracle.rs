//! Oracles for quark's five Rust data revisions, written from upstream's Python migrations one
//! row at a time over the whole tables (no chunks, no batches), and the generated data they are
//! run on. Upstream left two things open, and the oracles say what the revisions do there:
//! - where a CIDR is NULL, upstream's netaddr raised (`IPSet([None])`) except in 45a07fac3d38,
//!   which skips it: the revisions skip it everywhere (a policy rewritten loses that row);
//! - a policy of several subnets is measured against the first subnet of upstream's query,
//!   whose order within a policy the database chose: the revisions take the lowest subnet id.

use std::collections::{BTreeMap, BTreeSet};

use super::netset::{Block, Set};
use super::tables::{Created, Policy, PolicyCidr, Subnet, Tables};

/// A CIDR row the revision made.
fn made(n: &mut usize, policy: &str, cidr: String) -> PolicyCidr {
    *n += 1;
    PolicyCidr {
        id: format!("made-{n}"),
        policy: Some(policy.to_string()),
        cidr: Some(cidr),
        created: Created::Now,
        first_ip: None,
        last_ip: None,
    }
}

/// Upstream's query of 2748e48cee3a and 45a07fac3d38: every subnet with a policy id, in policy
/// order, joined to each CIDR row of that id (`outer`: one row with no CIDR when there is none).
fn joined(before: &Tables, outer: bool) -> Vec<(String, String, Option<String>)> {
    let mut by_policy: BTreeMap<&str, Vec<&PolicyCidr>> = BTreeMap::new();
    for c in &before.cidrs {
        if let Some(p) = c.policy.as_deref() {
            by_policy.entry(p).or_default().push(c);
        }
    }
    let mut subnets: Vec<&Subnet> = before
        .subnets
        .iter()
        .filter(|s| s.policy.is_some())
        .collect();
    subnets.sort_by(|a, b| (&a.policy, &a.id).cmp(&(&b.policy, &b.id)));
    let mut data = Vec::new();
    for s in subnets {
        let policy = s.policy.clone().unwrap();
        match by_policy.get(policy.as_str()) {
            Some(cidrs) => {
                for c in cidrs {
                    data.push((policy.clone(), s.cidr.clone(), c.cidr.clone()));
                }
            }
            None if outer => data.push((policy.clone(), s.cidr.clone(), None)),
            None => {}
        }
    }
    data
}

/// Replaces the CIDR rows of each policy of `updates` by the set's CIDRs.
fn replace(before: &Tables, updates: Vec<(String, Set)>) -> Tables {
    let mut after = before.clone();
    let updated: BTreeSet<&str> = updates.iter().map(|(p, _)| p.as_str()).collect();
    after
        .cidrs
        .retain(|c| !c.policy.as_deref().is_some_and(|p| updated.contains(p)));
    let mut n = 0;
    for (policy, set) in &updates {
        for cidr in set.cidrs() {
            after.cidrs.push(made(&mut n, policy, cidr));
        }
    }
    after
}

/// 2748e48cee3a: a policy whose CIDRs reach outside its subnet gets their intersection with it.
pub fn truncate_ip_policy_cidr(before: &Tables) -> Tables {
    let mut updates = Vec::new();
    let mut test_change_needed = |policy: Option<String>, subnet: Option<Set>, ipp: Option<Set>| {
        if let (Some(policy), Some(s), Some(ipp)) = (policy, subnet, ipp)
            && !ipp.within(&s)
        {
            updates.push((policy, ipp.intersection(&s)));
        }
    };
    let (mut prev, mut subnet, mut ipp): (Option<String>, Option<Set>, Option<Set>) =
        (None, None, None);
    for (policy, subnet_cidr, cidr) in joined(before, false) {
        if prev.as_ref() != Some(&policy) {
            test_change_needed(prev.take(), subnet.take(), ipp.take());
            subnet = Some(Set::of([Block::parse(&subnet_cidr)]));
            ipp = Some(Set::default());
        }
        if let Some(cidr) = cidr {
            ipp.as_mut().unwrap().add(Block::parse(&cidr));
        }
        prev = Some(policy);
    }
    test_change_needed(prev, subnet, ipp);
    replace(before, updates)
}

/// 45a07fac3d38: a subnet's policy that lacks the subnet's network or broadcast address gains it.
pub fn ensure_default_policy_with_policy(before: &Tables) -> Tables {
    let mut updates = Vec::new();
    let mut test_change_needed =
        |policy: Option<String>, subnet: Option<Block>, ipp: Option<Set>| {
            let (Some(policy), Some(s), Some(mut ipp)) = (policy, subnet, ipp) else {
                return;
            };
            let mut updated = false;
            for at in [s.last, s.first] {
                if !ipp.contains(s.v6, at) {
                    updated = true;
                    ipp.add(Block::address(s.v6, at));
                }
            }
            if updated {
                updates.push((policy, ipp));
            }
        };
    let (mut prev, mut subnet, mut ipp): (Option<String>, Option<Block>, Option<Set>) =
        (None, None, None);
    for (policy, subnet_cidr, cidr) in joined(before, true) {
        if prev.as_ref() != Some(&policy) {
            test_change_needed(prev.take(), subnet.take(), ipp.take());
            subnet = Some(Block::parse(&subnet_cidr));
            ipp = Some(Set::default());
        }
        if let Some(cidr) = cidr {
            ipp.as_mut().unwrap().add(Block::parse(&cidr));
        }
        prev = Some(policy);
    }
    test_change_needed(prev, subnet, ipp);
    replace(before, updates)
}

/// 552b213c2b8c: each subnet without a policy gets one (its tenant's) of its network and
/// broadcast addresses.
pub fn default_policy_without_policy(before: &Tables) -> Tables {
    let mut after = before.clone();
    let mut n = 0;
    for subnet in after.subnets.iter_mut().filter(|s| s.policy.is_none()) {
        let policy = format!("made-policy-{}", subnet.id);
        after.policies.push(Policy {
            id: policy.clone(),
            tenant: subnet.tenant.clone(),
            created: Created::Now,
            size: None,
        });
        let block = Block::parse(&subnet.cidr);
        let len = if block.v6 { 128 } else { 32 };
        let mut cidrs: Vec<String> = Vec::new();
        for at in [block.first, block.last] {
            let cidr = format!("{}/{len}", Block::show(block.v6, at));
            if !cidrs.contains(&cidr) {
                cidrs.push(cidr);
            }
        }
        for cidr in cidrs {
            after.cidrs.push(made(&mut n, &policy, cidr));
        }
        subnet.policy = Some(policy);
    }
    after
}

/// 28e55acaf366: a policy's size is the number of addresses its CIDRs cover.
pub fn populate_ip_policy_size(before: &Tables) -> Tables {
    let mut ipp: BTreeMap<Option<String>, Set> = BTreeMap::new();
    for c in &before.cidrs {
        if let Some(cidr) = &c.cidr {
            ipp.entry(c.policy.clone())
                .or_default()
                .add(Block::parse(cidr));
        }
    }
    let mut after = before.clone();
    for p in &mut after.policies {
        if let Some(set) = ipp.get(&Some(p.id.clone())) {
            p.size = Some(set.size());
        }
    }
    after
}

/// 1664300cb03a: each CIDR row's first and last address, as IPv6 integers.
pub fn populate_first_last_ip(before: &Tables) -> Tables {
    let mut after = before.clone();
    for c in &mut after.cidrs {
        if let Some(cidr) = &c.cidr {
            let b = Block::parse(cidr);
            c.first_ip = Some(Block::as_v6(b.v6, b.first).to_string());
            c.last_ip = Some(Block::as_v6(b.v6, b.last).to_string());
        }
    }
    after
}

/// A small deterministic generator (splitmix64): a failure is replayed from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn wide(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }

    fn range(&mut self, low: u32, high: u32) -> u32 {
        low + self.below(u64::from(high - low + 1)) as u32
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A block of prefix `len` of family `v6` within `[first, last]` of a block of prefix `outer`.
fn block_within(rng: &mut Rng, v6: bool, first: u128, outer: u32, len: u32) -> (u128, u32) {
    let width = if v6 { 128 } else { 32 };
    let free = len - outer;
    let offset = if free == 0 {
        0
    } else {
        (rng.wide() & ((1u128 << free) - 1)) << (width - len)
    };
    (first | offset, len)
}

/// A CIDR as text: the network address, or sometimes an address inside it (host bits set),
/// or a bare address for a single-address block.
fn text(rng: &mut Rng, v6: bool, network: u128, len: u32) -> String {
    let width = if v6 { 128 } else { 32 };
    let host = width - len;
    let at = if host > 0 && rng.chance(25) {
        network
            | (rng.wide()
                & if host == 128 {
                    u128::MAX
                } else {
                    (1u128 << host) - 1
                })
    } else {
        network
    };
    if host == 0 && rng.chance(30) {
        Block::show(v6, at)
    } else {
        format!("{}/{len}", Block::show(v6, at))
    }
}

/// A random network: IPv4 (prefix 8-32), IPv6 (prefix 32-128) or IPv4-mapped IPv6.
fn network(rng: &mut Rng) -> (bool, u128, u32) {
    let roll = rng.below(100);
    let (v6, len, base) = if roll < 65 {
        (false, rng.range(8, 32), u128::from(rng.next() as u32))
    } else if roll < 97 {
        (true, rng.range(32, 128), rng.wide())
    } else {
        (
            true,
            rng.range(104, 128),
            0xffff_0000_0000 | u128::from(rng.next() as u32),
        )
    };
    let width = if v6 { 128 } else { 32 };
    let host = width - len;
    let mask = if host == 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    (v6, base & !mask, len)
}

/// A policy CIDR related to its subnet's network: inside it, equal, containing it, elsewhere,
/// of the other family, or everything.
fn policy_cidr(rng: &mut Rng, subnet: (bool, u128, u32)) -> String {
    let (v6, first, len) = subnet;
    let width = if v6 { 128 } else { 32 };
    match rng.below(100) {
        0..=39 => {
            let inner = rng.range(len, width);
            let (at, l) = block_within(rng, v6, first, len, inner);
            text(rng, v6, at, l)
        }
        40..=49 => text(rng, v6, first, len),
        50..=69 => {
            let l = rng.range(len.saturating_sub(8), len);
            let host = width - l;
            let mask = if host == 128 {
                u128::MAX
            } else {
                (1u128 << host) - 1
            };
            text(rng, v6, first & !mask, l)
        }
        70..=97 => {
            let (v6, at, l) = network(rng);
            text(rng, v6, at, l)
        }
        98 => "::/0".to_string(),
        _ => "0.0.0.0/0".to_string(),
    }
}

/// Generated tables of `n` units: a policy, a subnet of it, a subnet without a policy, and
/// 0-4 CIDRs of the policy (duplicates, NULLs, every relation to the subnet); now and then a
/// second subnet of the policy, a CIDR of no policy, a policy of no subnet. With `orphans`
/// (a database that does not enforce foreign keys) some policy ids have no policy row.
pub fn generate(rng: &mut Rng, n: usize, orphans: bool) -> Tables {
    let mut t = Tables::default();
    let created = |rng: &mut Rng| {
        if rng.chance(80) {
            Created::Seeded
        } else {
            Created::Null
        }
    };
    let tenant = |rng: &mut Rng| (!rng.chance(10)).then(|| format!("t{}", rng.below(7)));
    for i in 0..n {
        let policy = format!("p{i:06}");
        // The first and last policy ids are among those without a row: no key range of the
        // policies that have one reaches them.
        let edge = n > 1 && (i == 0 || i + 1 == n);
        if !(orphans && (edge || rng.chance(15))) {
            t.policies.push(Policy {
                id: policy.clone(),
                tenant: tenant(rng),
                created: created(rng),
                size: None,
            });
        }
        let net = network(rng);
        t.subnets.push(Subnet {
            id: format!("s{i:06}"),
            cidr: text(rng, net.0, net.1, net.2),
            tenant: tenant(rng),
            policy: Some(policy.clone()),
        });
        if rng.chance(8) {
            // A second subnet of this policy or of the one before (the first subnet counts).
            let shared = if i > 0 && rng.chance(50) {
                format!("p{:06}", i - 1)
            } else {
                policy.clone()
            };
            let other = network(rng);
            t.subnets.push(Subnet {
                id: format!("u{i:06}"),
                cidr: text(rng, other.0, other.1, other.2),
                tenant: tenant(rng),
                policy: Some(shared),
            });
        }
        let bare = network(rng);
        t.subnets.push(Subnet {
            id: format!("b{i:06}"),
            cidr: text(rng, bare.0, bare.1, bare.2),
            tenant: tenant(rng),
            policy: None,
        });
        let mut texts: Vec<String> = Vec::new();
        for j in 0..rng.below(5) {
            let cidr = if rng.chance(5) {
                None
            } else if !texts.is_empty() && rng.chance(10) {
                Some(texts[rng.below(texts.len() as u64) as usize].clone())
            } else {
                Some(policy_cidr(rng, net))
            };
            texts.extend(cidr.clone());
            t.cidrs.push(PolicyCidr {
                id: format!("c{i:06}{j}"),
                policy: Some(policy.clone()),
                cidr,
                created: created(rng),
                first_ip: None,
                last_ip: None,
            });
        }
        if rng.chance(3) {
            t.cidrs.push(PolicyCidr {
                id: format!("n{i:06}"),
                policy: None,
                cidr: Some(policy_cidr(rng, net)),
                created: created(rng),
                first_ip: None,
                last_ip: None,
            });
        }
        if rng.chance(5) {
            let lone = format!("q{i:06}");
            if !(orphans && rng.chance(50)) {
                t.policies.push(Policy {
                    id: lone.clone(),
                    tenant: tenant(rng),
                    created: created(rng),
                    size: None,
                });
            }
            t.cidrs.push(PolicyCidr {
                id: format!("l{i:06}"),
                policy: Some(lone),
                cidr: Some(policy_cidr(rng, net)),
                created: created(rng),
                first_ip: None,
                last_ip: None,
            });
        }
    }
    if orphans { t } else { t.with_policy_rows() }
}

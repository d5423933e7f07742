//! quark's real schema history, as the binary embeds it, on SQLite, PostgreSQL and MariaDB.
//!
//! Every revision is checked against the change it declares upstream (`tests/quark/declared.txt`),
//! downgraded back where it is reversible, and the data migrations written in Rust are run on
//! seeded rows. PostgreSQL and MariaDB follow the rules of `tests/support`.

#![cfg(all(feature = "postgres", feature = "mysql"))]

#[macro_use]
mod support;

use std::collections::BTreeSet;

use quark_db_manage::MIGRATIONS;
use quark_migrate::Migrations;
use quark_migrate::backend::{Backend, Value};
use quark_migrate::code::Db;
use quark_migrate::migrator::Migrator;
use quark_migrate::revision::{Dialect, Direction};
use support::Target;

const HEAD: &str = "c07cd8303997";
const NEWEST_IRREVERSIBLE: &str = "1664300cb03a";

/// A database to migrate: a SQLite file, or a database of its own on a server.
fn migrations() -> Migrations {
    Migrations::new(MIGRATIONS).unwrap()
}

fn go(m: &Migrator<'_>, db: &mut dyn Backend, direction: Direction, target: &str) {
    let parsed = target.parse().unwrap();
    let result = match direction {
        Direction::Upgrade => m.upgrade(db, &parsed),
        Direction::Downgrade => m.downgrade(db, &parsed),
    };
    if let Err(e) = result {
        panic!("{} to {target} on {}: {e}", direction.name(), db.dialect());
    }
}

/// The declared change of each revision, in chain order.
fn declared() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in include_str!("quark/declared.txt").lines() {
        let line = line.trim();
        if let Some(id) = line.strip_prefix("= ") {
            out.push((id.to_string(), Vec::new()));
        } else if line.starts_with('+') || line.starts_with('-') {
            out.last_mut().unwrap().1.push(line.to_string());
        }
    }
    out
}

/// Applies a declared change to the expected facts.
fn apply(expected: &mut BTreeSet<String>, change: &[String]) {
    for line in change {
        let (sign, fact) = line.split_at(1);
        if sign == "+" {
            assert!(expected.insert(fact.to_string()), "declared twice: {fact}");
        } else if let Some(table) = fact.strip_prefix("table ") {
            expected.retain(|f| {
                f != fact
                    && !f.contains(&format!(" {table}."))
                    && !f.starts_with(&format!("pk {table} "))
                    && !f.starts_with(&format!("unique {table} "))
                    && !f.starts_with(&format!("fk {table} "))
            });
        } else {
            assert!(
                expected.remove(fact),
                "declared removal of a missing fact: {fact}"
            );
        }
    }
}

/// The rows of a query (`?` placeholders on every backend), every value as text.
fn texts(db: &mut dyn Backend, sql: &str, params: &[Value]) -> Vec<Vec<String>> {
    Db::new(db)
        .query(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    Value::Text(s) => s,
                    Value::Int(i) => i.to_string(),
                    Value::Null => String::new(),
                })
                .collect()
        })
        .collect()
}

/// The schema as facts in the vocabulary of `declared.txt`, read from the database's catalog.
fn facts(db: &mut dyn Backend) -> BTreeSet<String> {
    let schema = quark_migrate::schema::introspect(db, &support::ENGINE_TABLES)
        .unwrap_or_else(|e| panic!("reading the catalog: {e}"));
    let mut out = BTreeSet::new();
    for (t, table) in &schema.tables {
        out.insert(format!("table {t}"));
        for c in &table.columns {
            let not_null = if c.nullable { "" } else { " not null" };
            out.insert(format!("col {t}.{}{not_null}", c.name));
        }
        if let Some(pk) = &table.primary_key {
            out.insert(format!("pk {t} ({})", pk.columns.join(",")));
        }
        for k in &table.uniques {
            out.insert(format!("unique {t} ({})", k.columns.join(",")));
        }
        for ix in &table.indexes {
            out.insert(format!("index {t}.{} ({})", ix.name, ix.columns.join(",")));
        }
        for fk in &table.foreign_keys {
            out.insert(format!(
                "fk {t} ({}) -> {}",
                fk.columns.join(","),
                fk.ref_table
            ));
        }
    }
    out
}

fn assert_facts(actual: &BTreeSet<String>, expected: &BTreeSet<String>, when: &str) {
    let missing: Vec<&String> = expected.difference(actual).collect();
    let unexpected: Vec<&String> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{when}:\n  missing: {missing:#?}\n  unexpected: {unexpected:#?}"
    );
}

/// Every revision in turn: upgrade from its parent and compare with what it declares; where it
/// is reversible, downgrade and compare with the parent, then upgrade again.
fn every_revision_matches_its_declaration(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let declared = declared();
    let ids: Vec<&str> = declared.iter().map(|(id, _)| id.as_str()).collect();
    let chain: Vec<&str> = m.map().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, chain, "declared.txt follows the embedded chain");
    let mut db = target.db();
    let mut expected = BTreeSet::new();
    for (id, change) in &declared {
        let before = expected.clone();
        go(&m, db.as_mut(), Direction::Upgrade, id);
        apply(&mut expected, change);
        assert_facts(
            &facts(db.as_mut()),
            &expected,
            &format!("{dialect} after upgrade to {id}"),
        );
        if m.map()
            .get(id)
            .unwrap()
            .can_run(Direction::Downgrade, dialect)
        {
            go(&m, db.as_mut(), Direction::Downgrade, "-1");
            assert_facts(
                &facts(db.as_mut()),
                &before,
                &format!("{dialect} after downgrade of {id}"),
            );
            go(&m, db.as_mut(), Direction::Upgrade, id);
        }
    }
    assert_eq!(m.current(db.as_mut()).unwrap(), [HEAD]);
}

/// base -> head; head -> the newest irreversible revision -> head; `downgrade base` refused up
/// front with nothing changed.
fn whole_chain_round_trips(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let mut db = target.db();
    go(&m, db.as_mut(), Direction::Upgrade, "head");
    let at_head = facts(db.as_mut());
    go(&m, db.as_mut(), Direction::Downgrade, NEWEST_IRREVERSIBLE);
    assert_eq!(m.current(db.as_mut()).unwrap(), [NEWEST_IRREVERSIBLE]);
    go(&m, db.as_mut(), Direction::Upgrade, "head");
    assert_facts(&facts(db.as_mut()), &at_head, "back at head");
    let err = m
        .downgrade(db.as_mut(), &"base".parse().unwrap())
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "cannot downgrade revision {NEWEST_IRREVERSIBLE} (migrations/{NEWEST_IRREVERSIBLE}_populate_first_last_ip_to_ippc.rs): it is irreversible"
        )),
        "{err}"
    );
    assert_eq!(m.current(db.as_mut()).unwrap(), [HEAD], "nothing ran");
    assert_facts(&facts(db.as_mut()), &at_head, "after the refused downgrade");
}

/// An appliance that skipped releases: from every revision straight to head, through the CLI,
/// ending with the same schema as a fresh upgrade.
fn every_revision_upgrades_straight_to_head(dialect: Dialect) {
    let Some(reference) = Target::new(dialect) else {
        return;
    };
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let mut db = reference.db();
    go(&m, db.as_mut(), Direction::Upgrade, "head");
    let at_head = facts(db.as_mut());
    drop(db);
    drop(reference);
    let ids: Vec<String> = m.map().iter().map(|r| r.id.clone()).collect();
    for id in &ids[..ids.len() - 1] {
        let target = Target::new(dialect).unwrap();
        let mut db = target.db();
        go(&m, db.as_mut(), Direction::Upgrade, id);
        drop(db);
        let out = support::cli(&target.url(), &["upgrade", "head"]);
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut db = target.db();
        assert_eq!(m.current(db.as_mut()).unwrap(), [HEAD], "from {id}");
        assert_facts(
            &facts(db.as_mut()),
            &at_head,
            &format!("{dialect} from {id} to head"),
        );
    }
}

/// A database Alembic migrated holds `alembic_version` and no history table of ours: it is
/// upgraded to head as it is, and `current` describes it.
fn an_alembic_database_is_upgraded_without_stamp(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let mut db = target.db();
    go(&m, db.as_mut(), Direction::Upgrade, "1284c81cf727");
    db.run("DROP TABLE alembic_version_history").unwrap();
    drop(db);
    let current = support::cli(&target.url(), &["current"]);
    assert!(
        String::from_utf8_lossy(&current.stdout).trim().ends_with(
            ": 4358d1b8cc75 -> 1284c81cf727, create lswitch and lswitch port orphaned tables"
        ),
        "{}",
        String::from_utf8_lossy(&current.stdout)
    );
    let out = support::cli(&target.url(), &["upgrade", "head"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("Running upgrade 1284c81cf727 -> 2748e48cee3a, truncate ip policy cidr"),
        "{log}"
    );
    let current = support::cli(&target.url(), &["current"]);
    assert!(
        String::from_utf8_lossy(&current.stdout).contains("da46a8b30bd8 -> c07cd8303997 (head)"),
        "{}",
        String::from_utf8_lossy(&current.stdout)
    );
}

/// Brings a fresh database to `parent`, runs `seed` there, upgrades one revision, and returns
/// the database for checking.
fn seeded(target: &Target, parent: &str, seed: &[&str]) -> Box<dyn Backend> {
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let mut db = target.db();
    go(&m, db.as_mut(), Direction::Upgrade, parent);
    for sql in seed {
        db.run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    go(&m, db.as_mut(), Direction::Upgrade, "+1");
    db
}

/// One column of a policy's CIDR rows, sorted (in Rust: server collations differ).
fn policy_column(db: &mut dyn Backend, column: &str, policy: &str) -> Vec<String> {
    let sql = format!("SELECT {column} FROM quark_ip_policy_cidrs WHERE ip_policy_id = ?");
    let mut out: Vec<String> = texts(db, &sql, &[Value::from(policy)])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    out.sort();
    out
}

fn policy_cidrs(db: &mut dyn Backend, policy: &str) -> Vec<String> {
    policy_column(db, "cidr", policy)
}

fn row_ids(db: &mut dyn Backend, policy: &str) -> Vec<String> {
    policy_column(db, "id", policy)
}

const NETWORK: &str = "INSERT INTO quark_networks (id, name) VALUES ('n1', 'net')";

fn subnet(id: &str, cidr: &str, policy: Option<&str>) -> String {
    let policy = policy.map_or("NULL".to_string(), |p| format!("'{p}'"));
    format!(
        "INSERT INTO quark_subnets (id, network_id, _cidr, tenant_id, ip_policy_id) VALUES ('{id}', 'n1', '{cidr}', 't-{id}', {policy})"
    )
}

fn policy(id: &str, cidrs: &[&str]) -> Vec<String> {
    let mut out = vec![format!(
        "INSERT INTO quark_ip_policy (id, tenant_id) VALUES ('{id}', 't')"
    )];
    for (i, cidr) in cidrs.iter().enumerate() {
        out.push(format!("INSERT INTO quark_ip_policy_cidrs (id, ip_policy_id, cidr) VALUES ('{id}-{i}', '{id}', '{cidr}')"));
    }
    out
}

fn seed_of(parts: Vec<Vec<String>>) -> Vec<String> {
    parts.into_iter().flatten().collect()
}

/// 2748e48cee3a: policy CIDRs reaching outside their subnet are cut to it.
fn truncates_policy_cidrs_to_their_subnet(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let seed = seed_of(vec![
        vec![NETWORK.to_string()],
        policy("inside", &["10.0.0.0/32", "10.0.0.255/32"]),
        vec![subnet("s1", "10.0.0.0/24", Some("inside"))],
        policy("wide", &["10.0.0.0/16", "192.168.0.0/24", "10.0.1.7/32"]),
        vec![subnet("s2", "10.0.1.0/24", Some("wide"))],
        policy("v6", &["2001:db8::/48"]),
        vec![subnet("s3", "2001:db8::/64", Some("v6"))],
        policy("unused", &["172.16.0.0/12"]),
    ]);
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();
    let mut db = seeded(&target, "1284c81cf727", &seed);
    assert_eq!(
        row_ids(db.as_mut(), "inside"),
        ["inside-0", "inside-1"],
        "untouched rows keep their ids"
    );
    assert_eq!(
        policy_cidrs(db.as_mut(), "wide"),
        ["10.0.1.0/24"],
        "the /16 cut to the subnet, the /32 inside it merged, the disjoint /24 dropped"
    );
    assert_eq!(policy_cidrs(db.as_mut(), "v6"), ["2001:db8::/64"]);
    assert_eq!(
        policy_cidrs(db.as_mut(), "unused"),
        ["172.16.0.0/12"],
        "a policy of no subnet is left alone"
    );
}

/// 45a07fac3d38: every subnet's policy excludes its network and broadcast addresses.
fn adds_network_and_broadcast_to_policies(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let seed = seed_of(vec![
        vec![NETWORK.to_string()],
        policy("complete", &["10.0.0.0/32", "10.0.0.255/32"]),
        vec![subnet("s1", "10.0.0.0/24", Some("complete"))],
        policy("half", &["10.0.2.128/25"]),
        vec![subnet("s2", "10.0.2.0/24", Some("half"))],
        policy("empty", &[]),
        vec![subnet("s3", "10.0.3.0/30", Some("empty"))],
        policy("v6", &[]),
        vec![subnet("s4", "2001:db8:1::/64", Some("v6"))],
        vec![subnet("s5", "10.0.5.0/24", None)],
    ]);
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();
    let mut db = seeded(&target, "2748e48cee3a", &seed);
    assert_eq!(
        row_ids(db.as_mut(), "complete"),
        ["complete-0", "complete-1"]
    );
    assert_eq!(
        policy_cidrs(db.as_mut(), "half"),
        ["10.0.2.0/32", "10.0.2.128/25"],
        "the broadcast was already covered"
    );
    assert_eq!(
        policy_cidrs(db.as_mut(), "empty"),
        ["10.0.3.0/32", "10.0.3.3/32"]
    );
    assert_eq!(
        policy_cidrs(db.as_mut(), "v6"),
        ["2001:db8:1:0:ffff:ffff:ffff:ffff/128", "2001:db8:1::/128"]
    );
    assert_eq!(
        texts(db.as_mut(), "SELECT count(*) FROM quark_ip_policy", &[])[0][0],
        "4",
        "a subnet without a policy is the next revision's job"
    );
}

/// 552b213c2b8c: every subnet without a policy gets a default one of its own.
fn gives_policyless_subnets_a_default_policy(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let seed = seed_of(vec![
        vec![NETWORK.to_string()],
        vec![
            subnet("s1", "10.1.0.0/24", None),
            subnet("s2", "10.1.1.9/32", None),
            subnet("s3", "2001:db8:2::/120", None),
        ],
        policy("kept", &["10.2.0.0/32"]),
        vec![subnet("s4", "10.2.0.0/24", Some("kept"))],
    ]);
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();
    let mut db = seeded(&target, "45a07fac3d38", &seed);
    let policy_of = |db: &mut dyn Backend, s: &str| {
        texts(db, "SELECT s.ip_policy_id, p.tenant_id FROM quark_subnets s JOIN quark_ip_policy p ON p.id = s.ip_policy_id WHERE s.id = ?", &[Value::from(s)]).remove(0)
    };
    let p1 = policy_of(db.as_mut(), "s1");
    assert_eq!(p1[1], "t-s1", "the policy belongs to the subnet's tenant");
    assert_eq!(
        policy_cidrs(db.as_mut(), &p1[0]),
        ["10.1.0.0/32", "10.1.0.255/32"]
    );
    let p2 = policy_of(db.as_mut(), "s2");
    assert_eq!(
        policy_cidrs(db.as_mut(), &p2[0]),
        ["10.1.1.9/32"],
        "network and broadcast are one address"
    );
    let p3 = policy_of(db.as_mut(), "s3");
    assert_eq!(
        policy_cidrs(db.as_mut(), &p3[0]),
        ["2001:db8:2::/128", "2001:db8:2::ff/128"]
    );
    assert_eq!(policy_of(db.as_mut(), "s4")[0], "kept");
    assert_eq!(policy_cidrs(db.as_mut(), "kept"), ["10.2.0.0/32"]);
}

/// 28e55acaf366: a policy's size counts the addresses its CIDRs cover, overlaps once.
fn populates_policy_sizes(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let seed = seed_of(vec![
        policy("overlap", &["10.0.0.0/24", "10.0.0.128/25", "10.0.0.7"]),
        policy("mixed", &["2001:db8::/64", "192.168.0.0/30"]),
        policy("everything", &["::/0", "10.0.0.0/31"]),
        policy("none", &[]),
        vec!["INSERT INTO quark_ip_policy_cidrs (id, ip_policy_id, cidr) VALUES ('null-cidr', 'none', NULL)".to_string()],
    ]);
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();
    let mut db = seeded(&target, "3d22de205729", &seed);
    let size = |db: &mut dyn Backend, p: &str| {
        texts(
            db,
            "SELECT size FROM quark_ip_policy WHERE id = ?",
            &[Value::from(p)],
        )[0][0]
            .trim()
            .to_string()
    };
    assert_eq!(size(db.as_mut(), "overlap"), "256");
    assert_eq!(size(db.as_mut(), "mixed"), "18446744073709551620");
    assert_eq!(
        size(db.as_mut(), "everything"),
        "340282366920938463463374607431768211458"
    );
    assert_eq!(size(db.as_mut(), "none"), "", "no CIDR, no size");
}

/// 1664300cb03a: each policy CIDR's first and last address, as IPv6 integers.
fn populates_first_and_last_ips(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let seed = seed_of(vec![
        policy("p", &["10.0.0.5/24", "2001:db8::/126"]),
        vec!["INSERT INTO quark_ip_policy_cidrs (id, ip_policy_id, cidr) VALUES ('p-null', 'p', NULL)".to_string()],
    ]);
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();
    let mut db = seeded(&target, "1acd075bd7e1", &seed);
    let rows = texts(
        db.as_mut(),
        "SELECT id, first_ip, last_ip FROM quark_ip_policy_cidrs ORDER BY id",
        &[],
    );
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(|v| v.trim()).collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["p-0", "281470849515520", "281470849515775"],
            vec![
                "p-1",
                "42540766411282592856903984951653826560",
                "42540766411282592856903984951653826563"
            ],
            vec!["p-null", "", ""],
        ]
    );
}

/// The data revisions that group rows (by policy, by subnet) read and write a chunk at a time:
/// 2,500 of each cross two boundaries of 552b213c2b8c's and 28e55acaf366's chunks of 1,000 and
/// every one is migrated exactly once (policy ids `w…` and `x…` are not hex, so never one of
/// the new policies' UUIDs). 2748e48cee3a's and 45a07fac3d38's chunks of 10,000 policies are
/// crossed by tests/data_revisions.rs's 10,001 units.
fn grouped_data_revisions_cross_chunk_boundaries(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    const N: usize = 2_500;
    let values = |row: &dyn Fn(usize) -> String| (0..N).map(row).collect::<Vec<_>>().join(", ");
    // Subnet i is 10.a.b.0/24 (i = 256a + b). Policy `w` i covers the /23 around it (cut back
    // to the /24 by 2748e48cee3a); policy `x` i has no CIDR (given network and broadcast by
    // 45a07fac3d38); subnet `bare` i has no policy (given one by 552b213c2b8c).
    let net = |i: usize| format!("10.{}.{}", i / 256, i % 256);
    let seed = [
        NETWORK.to_string(),
        format!(
            "INSERT INTO quark_ip_policy (id, tenant_id) VALUES {}",
            values(&|i| format!("('w{i:05}', 't'), ('x{i:05}', 't')"))
        ),
        format!(
            "INSERT INTO quark_ip_policy_cidrs (id, ip_policy_id, cidr) VALUES {}",
            values(&|i| format!(
                "('w{i:05}-c', 'w{i:05}', '10.{}.{}.0/23')",
                i / 256,
                (i % 256) & !1
            ))
        ),
        format!(
            "INSERT INTO quark_subnets (id, network_id, _cidr, tenant_id, ip_policy_id) VALUES {}",
            values(&|i| format!(
                "('sw{i:05}', 'n1', '{0}.0/24', 't', 'w{i:05}'), ('se{i:05}', 'n1', '172.{1}.{2}.0/24', 't', 'x{i:05}'), ('bare{i:05}', 'n1', '192.{1}.{2}.0/30', 't', NULL)",
                net(i),
                16 + i / 256,
                i % 256
            ))
        ),
    ];
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let mut db = seeded(&target, "1284c81cf727", &seed);
    go(&m, db.as_mut(), Direction::Upgrade, "28e55acaf366");
    let count = |db: &mut dyn Backend, sql: &str| texts(db, sql, &[])[0][0].clone();
    assert_eq!(
        count(
            db.as_mut(),
            "SELECT count(*) FROM quark_ip_policy_cidrs c JOIN quark_subnets s ON s.ip_policy_id = c.ip_policy_id WHERE s.id LIKE 'sw%' AND c.cidr = s._cidr"
        ),
        N.to_string(),
        "every `w` policy cut to its subnet"
    );
    assert_eq!(
        count(
            db.as_mut(),
            "SELECT count(*) FROM quark_ip_policy_cidrs WHERE ip_policy_id LIKE 'x%'"
        ),
        (2 * N).to_string(),
        "every `x` policy given its network and broadcast"
    );
    assert_eq!(
        count(
            db.as_mut(),
            "SELECT count(*) FROM quark_subnets WHERE ip_policy_id IS NULL"
        ),
        "0",
        "every bare subnet given a policy"
    );
    assert_eq!(
        count(db.as_mut(), "SELECT count(*) FROM quark_ip_policy"),
        (3 * N).to_string(),
        "one new policy per bare subnet, no more"
    );
    for (policies, size) in [("w%", "256"), ("x%", "2")] {
        let sql = format!(
            "SELECT count(*) FROM quark_ip_policy WHERE id LIKE '{policies}' AND size = '{size}'"
        );
        assert_eq!(count(db.as_mut(), &sql), N.to_string(), "{policies}");
    }
    assert_eq!(
        count(
            db.as_mut(),
            "SELECT count(*) FROM quark_ip_policy WHERE size IS NULL OR size = '0'"
        ),
        "0",
        "every policy sized, the new ones too"
    );
}

/// A data migration that meets a value it cannot read fails, names the revision and the value,
/// and leaves the database at the parent.
fn a_bad_cidr_fails_the_revision_and_changes_nothing(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let migrations = migrations();
    let m = migrations.migrator().unwrap();
    let mut db = target.db();
    go(&m, db.as_mut(), Direction::Upgrade, "3d22de205729");
    for sql in policy("p", &["10.0.0.0/24", "not-a-cidr"]) {
        db.run(&sql).unwrap();
    }
    let err = m
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("upgrade of 28e55acaf366 failed in its Rust code (migrations/28e55acaf366_populate_ip_policy_size.rs:")
            && err.contains("'not-a-cidr', which is not a CIDR")
            && err.contains("the database is left at 3d22de205729"),
        "{err}"
    );
    assert_eq!(m.current(db.as_mut()).unwrap(), ["3d22de205729"]);
    assert_eq!(
        texts(db.as_mut(), "SELECT size FROM quark_ip_policy", &[])[0][0],
        ""
    );
}

/// The checksums quark-db-manage 0.1 recorded migrating quark's chain on `dialect`, from
/// databases it migrated (`tests/quark/recorded-checksums.txt`).
fn recorded_checksums(dialect: Dialect) -> Vec<(String, String)> {
    include_str!("quark/recorded-checksums.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (d, revision, sum) = (words.next()?, words.next()?, words.next()?);
            (Dialect::from_name(d) == Some(dialect))
                .then(|| (revision.to_string(), sum.to_string()))
        })
        .collect()
}

/// A database migrated by the previous release (its history holds the checksums that release
/// recorded) still verifies clean, and starts up without drift, after revisions were rewritten
/// with dialect markers.
fn earlier_checksums_still_verify(dialect: Dialect) {
    let Some(target) = Target::new(dialect) else {
        return;
    };
    let recorded = recorded_checksums(dialect);
    assert_eq!(recorded.len(), MIGRATIONS.len(), "one row per revision");
    let m = migrations();
    let map = m.map().unwrap();
    let rewritten: Vec<_> = recorded
        .iter()
        .filter(|(rev, sum)| {
            map.get(rev)
                .unwrap()
                .checksum(Direction::Upgrade, dialect)
                .as_deref()
                != Some(sum.as_str())
        })
        .map(|(rev, _)| rev.as_str())
        .collect();
    assert_eq!(
        rewritten,
        [
            "1817eef6373c",
            "2748e48cee3a",
            "45a07fac3d38",
            "552b213c2b8c",
            "28e55acaf366",
            "1664300cb03a"
        ],
        "the revisions whose text changed (dialect markers; chunked reads and batched writes)"
    );

    let mut db = target.db();
    m.migrator()
        .unwrap()
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap();
    for (revision, sum) in &recorded {
        db.execute(
            &format!(
                "UPDATE alembic_version_history SET checksum = {} WHERE revision = {}",
                db.placeholder(1),
                db.placeholder(2)
            ),
            &[Value::Text(sum.clone()), Value::Text(revision.clone())],
        )
        .unwrap();
    }
    assert_eq!(m.migrator().unwrap().verify(db.as_mut()).unwrap(), []);
    let status = m.status(db.as_mut()).unwrap();
    assert!(status.is_up_to_date(), "{status:?}");
    m.migrate(&target.url()).unwrap();
    // A checksum neither current nor earlier is still drift.
    db.run(
        "UPDATE alembic_version_history SET checksum = 'edited' WHERE revision = '1817eef6373c'",
    )
    .unwrap();
    let drift = m.migrator().unwrap().verify(db.as_mut()).unwrap();
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].revision, "1817eef6373c");
}

/// Where 1acd075bd7e1 stands: the revision quark's checkpoint is taken at, below the data
/// revisions that follow it.
const CHECKPOINTED: &str = "1acd075bd7e1";

/// `checkpoint 1acd075bd7e1` on a copy of quark's migrations: a fresh database built from it and
/// the 29 revisions after it has the schema of the whole replay (the engine's reading and, on a
/// server, its catalog), at head and back at the newest irreversible revision; a database past
/// base upgrades through the revisions.
fn a_checkpoint_gives_the_schema_of_the_whole_replay(dialect: Dialect) {
    let (Some(replayed), Some(built), Some(past)) = (
        Target::new(dialect),
        Target::new(dialect),
        Target::new(dialect),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for file in MIGRATIONS {
        let name = file.path.rsplit('/').next().unwrap();
        std::fs::write(dir.path().join(name), file.source).unwrap();
    }
    let mut args = vec!["checkpoint", CHECKPOINTED, "--migrations-dir"];
    let dir_arg = dir.path().display().to_string();
    args.push(&dir_arg);
    let scratch = built.url();
    if dialect != Dialect::Sqlite {
        args.extend(["--scratch-url", &scratch]);
    }
    let out = std::process::Command::new(support::BIN)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.contains("_checkpoint_"))
        .unwrap();
    let text: &'static str = std::fs::read_to_string(dir.path().join(&name))
        .unwrap()
        .leak();
    let path: &'static str = format!("migrations/{name}").leak();
    let mut files = MIGRATIONS.to_vec();
    files.push(quark_migrate::EmbeddedFile {
        path,
        source: text,
        summary: None,
        code: None,
    });
    let with_checkpoint = Migrations::new(files.leak()).unwrap();
    let m = with_checkpoint.migrator().unwrap();
    let checkpoint = m.map().checkpoints()[0].id.clone();
    let history = migrations();
    let h = history.migrator().unwrap();

    let (mut a, mut b) = (replayed.db(), built.db());
    go(&h, a.as_mut(), Direction::Upgrade, "head");
    let report = m.upgrade(b.as_mut(), &"head".parse().unwrap()).unwrap();
    assert_eq!(
        report.steps.len(),
        30,
        "the checkpoint and the 29 revisions after it"
    );
    assert_eq!(report.steps[0].revision, checkpoint);
    let same = |a: &mut dyn Backend, b: &mut dyn Backend, when: &str| {
        assert_facts(&facts(b), &facts(a), when);
        let (read_a, read_b) = (
            quark_migrate::schema::introspect(a, &support::ENGINE_TABLES).unwrap(),
            quark_migrate::schema::introspect(b, &support::ENGINE_TABLES).unwrap(),
        );
        let differs = quark_migrate::schema::diff(&read_a, &read_b);
        assert!(differs.is_empty(), "{when}: {differs:#?}");
        if dialect != Dialect::Sqlite {
            assert_eq!(
                support::catalog(a, dialect),
                support::catalog(b, dialect),
                "{when}"
            );
        }
    };
    same(a.as_mut(), b.as_mut(), &format!("{dialect} at head"));
    assert_eq!(m.verify(b.as_mut()).unwrap(), []);
    go(&m, b.as_mut(), Direction::Downgrade, NEWEST_IRREVERSIBLE);
    go(&h, a.as_mut(), Direction::Downgrade, NEWEST_IRREVERSIBLE);
    same(
        a.as_mut(),
        b.as_mut(),
        &format!("{dialect} at {NEWEST_IRREVERSIBLE}"),
    );
    go(&m, b.as_mut(), Direction::Upgrade, "head");
    go(&h, a.as_mut(), Direction::Upgrade, "head");
    same(a.as_mut(), b.as_mut(), &format!("{dialect} back at head"));

    let mut c = past.db();
    go(&h, c.as_mut(), Direction::Upgrade, "1817eef6373c");
    let report = m.upgrade(c.as_mut(), &"head".parse().unwrap()).unwrap();
    assert_eq!(report.steps.len(), 39);
    assert!(report.steps.iter().all(|s| s.revision != checkpoint));
    same(
        a.as_mut(),
        c.as_mut(),
        &format!("{dialect} from its first revision"),
    );
}

on_each_backend! {
    a_checkpoint_gives_the_schema_of_the_whole_replay => sqlite_checkpoint_gives_the_replayed_schema, postgres_checkpoint_gives_the_replayed_schema, mysql_checkpoint_gives_the_replayed_schema;
    every_revision_matches_its_declaration => sqlite_every_revision_matches_its_declaration, postgres_every_revision_matches_its_declaration, mysql_every_revision_matches_its_declaration;
    whole_chain_round_trips => sqlite_whole_chain_round_trips, postgres_whole_chain_round_trips, mysql_whole_chain_round_trips;
    every_revision_upgrades_straight_to_head => sqlite_every_revision_upgrades_straight_to_head, postgres_every_revision_upgrades_straight_to_head, mysql_every_revision_upgrades_straight_to_head;
    an_alembic_database_is_upgraded_without_stamp => sqlite_alembic_database_upgraded_without_stamp, postgres_alembic_database_upgraded_without_stamp, mysql_alembic_database_upgraded_without_stamp;
    truncates_policy_cidrs_to_their_subnet => sqlite_truncate_ip_policy_cidr, postgres_truncate_ip_policy_cidr, mysql_truncate_ip_policy_cidr;
    adds_network_and_broadcast_to_policies => sqlite_ensure_default_policy_with_policy, postgres_ensure_default_policy_with_policy, mysql_ensure_default_policy_with_policy;
    gives_policyless_subnets_a_default_policy => sqlite_default_policy_without_policy, postgres_default_policy_without_policy, mysql_default_policy_without_policy;
    populates_policy_sizes => sqlite_populate_ip_policy_size, postgres_populate_ip_policy_size, mysql_populate_ip_policy_size;
    grouped_data_revisions_cross_chunk_boundaries => sqlite_grouped_data_revisions_cross_chunks, postgres_grouped_data_revisions_cross_chunks, mysql_grouped_data_revisions_cross_chunks;
    populates_first_and_last_ips => sqlite_populate_first_last_ip, postgres_populate_first_last_ip, mysql_populate_first_last_ip;
    a_bad_cidr_fails_the_revision_and_changes_nothing => sqlite_bad_cidr_fails_and_changes_nothing, postgres_bad_cidr_fails_and_changes_nothing, mysql_bad_cidr_fails_and_changes_nothing;
    earlier_checksums_still_verify => sqlite_earlier_checksums_still_verify, postgres_earlier_checksums_still_verify, mysql_earlier_checksums_still_verify;
}

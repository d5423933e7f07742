//! Every case of upstream's `quark/tests/test_migrations.py` for the five data revisions: the
//! rows each test inserts, and the rows its assertions say the migration leaves. Where upstream
//! mocked the new rows' ids and times, a row the revision made is `new` and made `Now`; where an
//! assertion leaves a row's id open but upstream's code decides it (a policy rewritten has all
//! its rows made anew), the expectation says what the code does.

use super::tables::{Created, Policy, PolicyCidr, Subnet, Tables};

/// One upstream test: its rows, which tables its assertions look at, and what they hold after.
pub struct Case {
    pub name: &'static str,
    pub before: Tables,
    /// The kinds of line compared (`policy`, `subnet`, `cidr`): the tables upstream asserts on.
    pub checks: &'static [&'static str],
    pub expect: Vec<String>,
}

use Created::{Now, Null, Seeded};

fn p(id: &str, tenant: Option<&str>, created: Created) -> Policy {
    Policy {
        id: id.to_string(),
        tenant: tenant.map(str::to_string),
        created,
        size: None,
    }
}

fn s(id: &str, tenant: Option<&str>, cidr: &str, policy: Option<&str>) -> Subnet {
    Subnet {
        id: id.to_string(),
        cidr: cidr.to_string(),
        tenant: tenant.map(str::to_string),
        policy: policy.map(str::to_string),
    }
}

fn c(id: &str, policy: &str, cidr: &str, created: Created) -> PolicyCidr {
    PolicyCidr {
        id: id.to_string(),
        policy: Some(policy.to_string()),
        cidr: Some(cidr.to_string()),
        created,
        first_ip: None,
        last_ip: None,
    }
}

fn tables(policies: Vec<Policy>, subnets: Vec<Subnet>, cidrs: Vec<PolicyCidr>) -> Tables {
    Tables {
        policies,
        subnets,
        cidrs,
    }
}

/// The canonical line of a CIDR row (see `tables::canonical`).
fn cidr(id: &str, policy: &str, cidr: &str, created: Created) -> String {
    format!("cidr {id} policy={policy} cidr={cidr} created={created:?} first=NULL last=NULL")
}

fn bounds(id: &str, policy: &str, cidr: &str, first: &str, last: &str) -> String {
    format!("cidr {id} policy={policy} cidr={cidr} created=Null first={first} last={last}")
}

fn policy(id: &str, tenant: &str, created: Created, size: &str) -> String {
    format!("policy {id} tenant={tenant} created={created:?} size={size}")
}

fn subnet(id: &str, cidr: &str, tenant: &str, policy: &str) -> String {
    format!("subnet {id} cidr={cidr} tenant={tenant} policy={policy}")
}

const NET: &str = "192.168.10.0/24";

/// Test2748e48cee3a.
pub fn truncate_ip_policy_cidr() -> Vec<Case> {
    let one =
        |cidrs: Vec<PolicyCidr>| tables(vec![], vec![s("000", None, NET, Some("111"))], cidrs);
    vec![
        Case {
            name: "test_upgrade_no_ip_policy_cidr",
            before: tables(vec![], vec![s("000", None, NET, None)], vec![]),
            checks: &["cidr"],
            expect: vec![],
        },
        Case {
            name: "test_upgrade_ip_policy_cidr_inside",
            before: one(vec![c("222", "111", "192.168.10.0/32", Seeded)]),
            checks: &["cidr"],
            expect: vec![cidr("222", "111", "192.168.10.0/32", Seeded)],
        },
        Case {
            name: "test_upgrade_ip_policy_cidr_overlaps",
            before: one(vec![c("222", "111", "192.168.10.0/16", Seeded)]),
            checks: &["cidr"],
            expect: vec![cidr("new", "111", "192.168.10.0/24", Now)],
        },
        Case {
            name: "test_upgrade_ip_policy_cidr_overlaps_v6",
            before: tables(
                vec![],
                vec![s("000", None, "fd00::/8", Some("111"))],
                vec![c("222", "111", "fd00::/7", Seeded)],
            ),
            checks: &["cidr"],
            expect: vec![cidr("new", "111", "fd00::/8", Now)],
        },
        Case {
            name: "test_upgrade_ip_policy_cidr_outside",
            before: one(vec![c("222", "111", "0.0.0.0/24", Seeded)]),
            checks: &["cidr"],
            expect: vec![],
        },
        Case {
            name: "test_upgrade_bulk",
            before: tables(
                vec![],
                vec![
                    s("000", None, NET, None),
                    s("001", None, NET, Some("111")),
                    s("002", None, NET, Some("112")),
                    s("003", None, NET, Some("113")),
                ],
                vec![
                    c("221", "111", "192.168.10.0/32", Seeded),
                    c("222", "112", "192.168.10.0/16", Seeded),
                    c("223", "113", "0.0.0.0/24", Seeded),
                ],
            ),
            checks: &["cidr"],
            expect: vec![
                cidr("221", "111", "192.168.10.0/32", Seeded),
                cidr("new", "112", "192.168.10.0/24", Now),
            ],
        },
        Case {
            name: "test_upgrade_multiple_ip_policy_cidrs",
            before: one(vec![
                c("221", "111", "0.0.0.0/24", Seeded),
                c("222", "111", "192.168.10.255/32", Seeded),
                c("223", "111", "192.168.10.0/23", Seeded),
            ]),
            checks: &["cidr"],
            expect: vec![cidr("new", "111", "192.168.10.0/24", Now)],
        },
    ]
}

/// Test45a07fac3d38.
pub fn ensure_default_policy_with_policy() -> Vec<Case> {
    let defaults = |policy: &str, extra: &[&str]| -> Vec<String> {
        ["192.168.10.0/32", "192.168.10.255/32"]
            .iter()
            .chain(extra)
            .map(|c| cidr("new", policy, c, Now))
            .collect()
    };
    let one =
        |cidrs: Vec<PolicyCidr>| tables(vec![], vec![s("000", None, NET, Some("111"))], cidrs);
    vec![
        Case {
            name: "test_upgrade_no_subnets_no_ip_policy_cidrs",
            before: Tables::default(),
            checks: &["cidr"],
            expect: vec![],
        },
        Case {
            name: "test_upgrade_with_subnets_no_ip_policy",
            before: tables(vec![], vec![s("000", None, NET, None)], vec![]),
            checks: &["cidr"],
            expect: vec![],
        },
        Case {
            name: "test_upgrade_with_subnets_no_ip_policy_cidrs",
            before: one(vec![]),
            checks: &["cidr"],
            expect: defaults("111", &[]),
        },
        Case {
            name: "test_upgrade_with_subnets_non_default_ip_policy_cidrs",
            before: one(vec![c("222", "111", "192.168.10.13/32", Seeded)]),
            checks: &["cidr"],
            expect: defaults("111", &["192.168.10.13/32"]),
        },
        Case {
            name: "test_upgrade_with_subnets_non_default_ip_policy_cidrs_v6",
            before: tables(
                vec![],
                vec![s("000", None, "fd00::/64", Some("111"))],
                vec![c("222", "111", "fd00::3/128", Seeded)],
            ),
            checks: &["cidr"],
            expect: ["fd00::/128", "fd00::3/128", "fd00::ffff:ffff:ffff:ffff/128"]
                .iter()
                .map(|x| cidr("new", "111", x, Now))
                .collect(),
        },
        Case {
            name: "test_upgrade_with_subnets_default_ip_policy_cidrs",
            before: one(vec![
                c("222", "111", "192.168.10.0/32", Seeded),
                c("223", "111", "192.168.10.255/32", Seeded),
            ]),
            checks: &["cidr"],
            expect: vec![
                cidr("222", "111", "192.168.10.0/32", Seeded),
                cidr("223", "111", "192.168.10.255/32", Seeded),
            ],
        },
        Case {
            name: "test_upgrade_bulk",
            before: tables(
                vec![],
                vec![
                    s("000", None, NET, None),
                    s("001", None, NET, Some("111")),
                    s("002", None, NET, Some("112")),
                    s("003", None, NET, Some("113")),
                ],
                vec![
                    c("221", "112", "192.168.10.13/32", Seeded),
                    c("222", "113", "192.168.10.0/32", Seeded),
                    c("223", "113", "192.168.10.255/32", Seeded),
                ],
            ),
            checks: &["cidr"],
            expect: [
                defaults("111", &[]),
                defaults("112", &["192.168.10.13/32"]),
                vec![
                    cidr("222", "113", "192.168.10.0/32", Seeded),
                    cidr("223", "113", "192.168.10.255/32", Seeded),
                ],
            ]
            .concat(),
        },
    ]
}

/// Test552b213c2b8c.
pub fn default_policy_without_policy() -> Vec<Case> {
    let all = &["policy", "subnet", "cidr"];
    let kept = || {
        vec![
            policy("111", "foo", Seeded, "NULL"),
            cidr("221", "111", "192.168.10.13/32", Seeded),
        ]
    };
    let made = |subnet_id: &str, net: &str, defaults: [&str; 2]| {
        let name = format!("new:{subnet_id}");
        vec![
            policy(&name, "foo", Now, "NULL"),
            cidr("new", &name, defaults[0], Now),
            cidr("new", &name, defaults[1], Now),
            subnet(subnet_id, net, "foo", &name),
        ]
    };
    let v4 = ["192.168.10.0/32", "192.168.10.255/32"];
    let v6 = ["fd00::/128", "fd00::ffff:ffff:ffff:ffff/128"];
    vec![
        Case {
            name: "test_upgrade_no_subnets",
            before: Tables::default(),
            checks: all,
            expect: vec![],
        },
        Case {
            name: "test_upgrade_subnets_with_ip_policy",
            before: tables(
                vec![p("111", Some("foo"), Seeded)],
                vec![s("000", Some("foo"), NET, Some("111"))],
                vec![c("221", "111", "192.168.10.13/32", Seeded)],
            ),
            checks: all,
            expect: [kept(), vec![subnet("000", NET, "foo", "111")]].concat(),
        },
        Case {
            name: "test_upgrade_subnets_no_ip_policy",
            before: tables(vec![], vec![s("000", Some("foo"), NET, None)], vec![]),
            checks: all,
            expect: made("000", NET, v4),
        },
        Case {
            name: "test_upgrade_subnets_no_ip_policy_v6",
            before: tables(
                vec![],
                vec![s("000", Some("foo"), "fd00::/64", None)],
                vec![],
            ),
            checks: all,
            expect: made("000", "fd00::/64", v6),
        },
        Case {
            name: "test_upgrade_bulk",
            before: tables(
                vec![p("111", Some("foo"), Seeded)],
                vec![
                    s("000", Some("foo"), NET, Some("111")),
                    s("001", Some("foo"), NET, None),
                    s("002", Some("foo"), "fd00::/64", None),
                ],
                vec![c("221", "111", "192.168.10.13/32", Seeded)],
            ),
            checks: all,
            expect: [
                kept(),
                vec![subnet("000", NET, "foo", "111")],
                made("001", NET, v4),
                made("002", "fd00::/64", v6),
            ]
            .concat(),
        },
    ]
}

/// Test28e55acaf366.
pub fn populate_ip_policy_size() -> Vec<Case> {
    let nc = |id: &str, policy: &str, cidr: &str| c(id, policy, cidr, Null);
    let two_64 = "18446744073709551616";
    vec![
        Case {
            name: "test_upgrade_none",
            before: Tables::default(),
            checks: &["policy", "cidr"],
            expect: vec![],
        },
        Case {
            name: "test_upgrade_v4",
            before: tables(
                vec![p("1", None, Null)],
                vec![],
                vec![
                    nc("2", "1", "192.168.10.13/32"),
                    nc("3", "1", "192.168.10.16/31"),
                ],
            ),
            checks: &["policy"],
            expect: vec![policy("1", "NULL", Null, "3")],
        },
        Case {
            name: "test_upgrade_v6",
            before: tables(
                vec![p("1", None, Null)],
                vec![],
                vec![nc("2", "1", "fd00::/64")],
            ),
            checks: &["policy"],
            expect: vec![policy("1", "NULL", Null, two_64)],
        },
        Case {
            name: "test_upgrade_bulk",
            before: tables(
                vec![p("1", None, Null), p("2", None, Null)],
                vec![],
                vec![
                    nc("2", "1", "192.168.10.13/32"),
                    nc("3", "1", "192.168.10.16/31"),
                    nc("4", "2", "fd00::/64"),
                ],
            ),
            checks: &["policy"],
            expect: vec![
                policy("1", "NULL", Null, "3"),
                policy("2", "NULL", Null, two_64),
            ],
        },
    ]
}

/// Test1664300cb03a.
pub fn populate_first_last_ip() -> Vec<Case> {
    const V4: &str = "192.168.10.13/31";
    const V6: &str = "fd00::/64";
    // netaddr: IPNetwork(V4).ipv6().first/.last, IPNetwork(V6).first/.last.
    let v4 = |id: &str| bounds(id, id, V4, "281473913981452", "281473913981453");
    let v6 = |id: &str| {
        bounds(
            id,
            id,
            V6,
            "336294682933583715844663186250927177728",
            "336294682933583715863109930324636729343",
        )
    };
    vec![
        Case {
            name: "test_upgrade_empty",
            before: Tables::default(),
            checks: &["cidr"],
            expect: vec![],
        },
        Case {
            name: "test_upgrade_ipv4",
            before: tables(vec![], vec![], vec![c("1", "1", V4, Null)]),
            checks: &["cidr"],
            expect: vec![v4("1")],
        },
        Case {
            name: "test_upgrade_ipv6",
            before: tables(vec![], vec![], vec![c("1", "1", V6, Null)]),
            checks: &["cidr"],
            expect: vec![v6("1")],
        },
        Case {
            name: "test_upgrade_bulk",
            before: tables(
                vec![],
                vec![],
                vec![c("1", "1", V4, Null), c("2", "2", V6, Null)],
            ),
            checks: &["cidr"],
            expect: vec![v4("1"), v6("2")],
        },
    ]
}

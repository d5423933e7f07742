//! The three tables quark's data revisions read and write, held in memory: seeded into a
//! database, read back from it, and put in a canonical form in which two results compare equal
//! when they hold the same rows (rows a revision made are named by what they belong to, not by
//! the random ids they were given).

use std::collections::{BTreeMap, BTreeSet};

use quark_migrate::backend::{Backend, Value};
use quark_migrate::code::Db;
use quark_migrate::revision::Dialect;

/// When a row was made, as far as the checks care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Created {
    /// `created_at` is NULL.
    Null,
    /// The seed's own time (1970-01-01): the row was there before the revision.
    Seeded,
    /// A time after 2000: the revision made the row.
    Now,
}

/// The time a seeded row is given.
const SEEDED_AT: &str = "1970-01-01 00:00:00";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Policy {
    pub id: String,
    pub tenant: Option<String>,
    pub created: Created,
    pub size: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subnet {
    pub id: String,
    pub cidr: String,
    pub tenant: Option<String>,
    pub policy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyCidr {
    pub id: String,
    pub policy: Option<String>,
    pub cidr: Option<String>,
    pub created: Created,
    pub first_ip: Option<String>,
    pub last_ip: Option<String>,
}

/// `quark_ip_policy`, `quark_subnets` and `quark_ip_policy_cidrs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    pub policies: Vec<Policy>,
    pub subnets: Vec<Subnet>,
    pub cidrs: Vec<PolicyCidr>,
}

/// Which optional columns the database has at the revision the tables are read at.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    /// `quark_ip_policy.size` (from 3d22de205729).
    pub size: bool,
    /// `quark_ip_policy_cidrs.first_ip`, `last_ip` (from 1acd075bd7e1).
    pub bounds: bool,
}

impl Tables {
    /// The policy ids the other two tables name that have no policy row.
    pub fn missing_policies(&self) -> BTreeSet<String> {
        let have: BTreeSet<&str> = self.policies.iter().map(|p| p.id.as_str()).collect();
        self.subnets
            .iter()
            .filter_map(|s| s.policy.as_deref())
            .chain(self.cidrs.iter().filter_map(|c| c.policy.as_deref()))
            .filter(|p| !have.contains(p))
            .map(str::to_string)
            .collect()
    }

    /// These tables with a bare policy row for each policy id that has none, as a database
    /// whose foreign keys are enforced needs them.
    pub fn with_policy_rows(mut self) -> Tables {
        for id in self.missing_policies() {
            self.policies.push(Policy {
                id,
                tenant: None,
                created: Created::Null,
                size: None,
            });
        }
        self
    }
}

/// Empties the three tables (on PostgreSQL by `TRUNCATE`: a `DELETE` of the policies would
/// check each row's references against every dead row the other two deletes left).
pub fn wipe(db: &mut dyn Backend) {
    if db.dialect() == Dialect::Postgresql {
        db.run("TRUNCATE quark_ip_policy_cidrs, quark_subnets, quark_ip_policy CASCADE")
            .unwrap_or_else(|e| panic!("emptying the tables: {e}"));
        return;
    }
    for table in ["quark_ip_policy_cidrs", "quark_subnets", "quark_ip_policy"] {
        db.run(&format!("DELETE FROM {table}"))
            .unwrap_or_else(|e| panic!("emptying {table}: {e}"));
    }
}

/// Inserts the rows of `tables` (NULL sizes and bounds, whatever the tables say of them).
pub fn seed(db: &mut dyn Backend, tables: &Tables) {
    let created = |c: Created| match c {
        Created::Null => "NULL".to_string(),
        Created::Seeded => format!("'{SEEDED_AT}'"),
        Created::Now => panic!("a seeded row was not made by the revision"),
    };
    for class in [Created::Null, Created::Seeded] {
        let rows: Vec<Vec<Value>> = tables
            .policies
            .iter()
            .filter(|p| p.created == class)
            .map(|p| vec![text(&p.id), opt(&p.tenant)])
            .collect();
        insert(
            db,
            "quark_ip_policy (id, tenant_id, created_at)",
            &format!("?, ?, {}", created(class)),
            &rows,
        );
    }
    let rows: Vec<Vec<Value>> = tables
        .subnets
        .iter()
        .map(|s| vec![text(&s.id), text(&s.cidr), opt(&s.tenant), opt(&s.policy)])
        .collect();
    insert(
        db,
        "quark_subnets (id, _cidr, tenant_id, ip_policy_id)",
        "?, ?, ?, ?",
        &rows,
    );
    for class in [Created::Null, Created::Seeded] {
        let rows: Vec<Vec<Value>> = tables
            .cidrs
            .iter()
            .filter(|c| c.created == class)
            .map(|c| vec![text(&c.id), opt(&c.policy), opt(&c.cidr)])
            .collect();
        insert(
            db,
            "quark_ip_policy_cidrs (id, ip_policy_id, cidr, created_at)",
            &format!("?, ?, ?, {}", created(class)),
            &rows,
        );
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, text)
}

/// Many rows a statement: `INSERT INTO <into> VALUES (<row>), (<row>), ...`.
fn insert(db: &mut dyn Backend, into: &str, row: &str, rows: &[Vec<Value>]) {
    let mut db = Db::new(db);
    for chunk in rows.chunks(400) {
        let values = vec![format!("({row})"); chunk.len()].join(", ");
        let sql = format!("INSERT INTO {into} VALUES {values}");
        let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
        db.execute(&sql, &params)
            .unwrap_or_else(|e| panic!("seeding {into}: {e}"));
    }
}

/// The rows of a query, `None` for NULL, text trimmed (CHAR columns are padded on PostgreSQL).
fn rows(db: &mut dyn Backend, sql: &str) -> Vec<Vec<Option<String>>> {
    Db::new(db)
        .query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    Value::Null => None,
                    Value::Int(i) => Some(i.to_string()),
                    Value::Text(s) => Some(s.trim().to_string()),
                })
                .collect()
        })
        .collect()
}

const CREATED: &str = "CASE WHEN created_at IS NULL THEN 'null' \
     WHEN created_at < '2000-01-01 00:00:00' THEN 'seeded' ELSE 'now' END";

fn created(class: &Option<String>) -> Created {
    match class.as_deref() {
        Some("null") => Created::Null,
        Some("seeded") => Created::Seeded,
        Some("now") => Created::Now,
        other => panic!("created_at class {other:?}"),
    }
}

/// The three tables as the database holds them.
pub fn read(db: &mut dyn Backend, columns: Columns) -> Tables {
    let size = if columns.size { "size" } else { "NULL" };
    let policies = rows(
        db,
        &format!("SELECT id, tenant_id, {CREATED}, {size} FROM quark_ip_policy"),
    )
    .into_iter()
    .map(|mut r| Policy {
        id: r[0].take().unwrap(),
        tenant: r[1].take(),
        created: created(&r[2]),
        size: r[3].take(),
    })
    .collect();
    let subnets = rows(
        db,
        "SELECT id, _cidr, tenant_id, ip_policy_id FROM quark_subnets",
    )
    .into_iter()
    .map(|mut r| Subnet {
        id: r[0].take().unwrap(),
        cidr: r[1].take().unwrap(),
        tenant: r[2].take(),
        policy: r[3].take(),
    })
    .collect();
    let bounds = if columns.bounds {
        "first_ip, last_ip"
    } else {
        "NULL, NULL"
    };
    let cidrs = rows(
        db,
        &format!("SELECT id, ip_policy_id, cidr, {CREATED}, {bounds} FROM quark_ip_policy_cidrs"),
    )
    .into_iter()
    .map(|mut r| PolicyCidr {
        id: r[0].take().unwrap(),
        policy: r[1].take(),
        cidr: r[2].take(),
        created: created(&r[3]),
        first_ip: r[4].take(),
        last_ip: r[5].take(),
    })
    .collect();
    Tables {
        policies,
        subnets,
        cidrs,
    }
}

/// The tables as sorted lines in which a row the revision made (an id `before` does not have)
/// has the id `new`, and a policy the revision made is named `new:` and the subnets it belongs
/// to; its CIDRs and subnets name it the same way.
pub fn canonical(after: &Tables, before: &Tables) -> Vec<String> {
    let old_policies: BTreeSet<&str> = before.policies.iter().map(|p| p.id.as_str()).collect();
    let old_named: BTreeSet<String> = before
        .subnets
        .iter()
        .filter_map(|s| s.policy.clone())
        .chain(before.cidrs.iter().filter_map(|c| c.policy.clone()))
        .collect();
    let is_old = |p: &str| old_policies.contains(p) || old_named.contains(p);
    let mut subnets_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in &after.subnets {
        if let Some(p) = s.policy.as_deref().filter(|p| !is_old(p)) {
            subnets_of.entry(p).or_default().push(&s.id);
        }
    }
    let policy_name = |p: &Option<String>| -> String {
        match p.as_deref() {
            None => "NULL".to_string(),
            Some(p) if is_old(p) => p.to_string(),
            Some(p) => match subnets_of.get(p) {
                Some(subnets) => format!("new:{}", subnets.join("+")),
                None => "new:(no subnet)".to_string(),
            },
        }
    };
    let old_cidrs: BTreeSet<&str> = before.cidrs.iter().map(|c| c.id.as_str()).collect();
    let show = |o: &Option<String>| o.clone().unwrap_or_else(|| "NULL".to_string());
    let mut lines = Vec::new();
    for p in &after.policies {
        lines.push(format!(
            "policy {} tenant={} created={:?} size={}",
            policy_name(&Some(p.id.clone())),
            show(&p.tenant),
            p.created,
            show(&p.size)
        ));
    }
    for s in &after.subnets {
        lines.push(format!(
            "subnet {} cidr={} tenant={} policy={}",
            s.id,
            s.cidr,
            show(&s.tenant),
            policy_name(&s.policy)
        ));
    }
    for c in &after.cidrs {
        let id = if old_cidrs.contains(c.id.as_str()) {
            c.id.as_str()
        } else {
            "new"
        };
        lines.push(format!(
            "cidr {id} policy={} cidr={} created={:?} first={} last={}",
            policy_name(&c.policy),
            show(&c.cidr),
            c.created,
            show(&c.first_ip),
            show(&c.last_ip)
        ));
    }
    lines.sort();
    lines
}

/// Panics with the lines only one side has when `actual` and `expected` differ.
pub fn assert_same(actual: &[String], expected: &[String], what: &str) {
    if actual == expected {
        return;
    }
    let count = |lines: &[String]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for l in lines {
            *m.entry(l.clone()).or_default() += 1;
        }
        m
    };
    let (a, e) = (count(actual), count(expected));
    let only = |x: &BTreeMap<String, usize>, y: &BTreeMap<String, usize>| -> Vec<String> {
        x.iter()
            .filter(|(l, n)| y.get(*l).copied().unwrap_or(0) < **n)
            .map(|(l, n)| format!("{l} (x{n})"))
            .take(20)
            .collect()
    };
    panic!(
        "{what}: the rows differ ({} rows, {} expected)\n  only in the database:\n    {}\n  only expected:\n    {}",
        actual.len(),
        expected.len(),
        only(&a, &e).join("\n    "),
        only(&e, &a).join("\n    ")
    );
}

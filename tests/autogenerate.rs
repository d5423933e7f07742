//! `revision --autogenerate` and `check` on quark's real chain and declared schema, on SQLite,
//! PostgreSQL and MariaDB: each kind of schema change is declared in a copy of the repository,
//! written by the binary, validated as the build validates it, applied, checked, and undone.

#![cfg(all(feature = "postgres", feature = "mysql"))]

#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use quark_db_manage::{MIGRATIONS, SCHEMA};
use quark_migrate::backend::Backend;
use quark_migrate::backend::DatabaseUrl;
use quark_migrate::migrator::Migrator;
use quark_migrate::revision::{Dialect, RevisionMap};
use quark_migrate::schema::{self, DeclaredFile, Schema};
use quark_migrate::{Migrations, SchemaFile, source};
use support::{BIN, Target};

const SCHEMA_FILE: &str = "migrations/schema/quark.sql";

/// A copy of the repository's migrations/ (declared schema included) to edit.
struct Repo(tempfile::TempDir);

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        copy_dir(&from, &dir.path().join("migrations"));
        Repo(dir)
    }

    fn migrations(&self) -> PathBuf {
        self.0.path().join("migrations")
    }

    /// The revisions, validated as build.rs validates them.
    fn map(&self) -> RevisionMap {
        let files = source::read_dir(&self.migrations(), "migrations").unwrap();
        source::build_map(&files).unwrap_or_else(|e| panic!("the build would fail:\n{e}"))
    }

    fn declared(&self) -> Vec<DeclaredFile> {
        schema::read_declared(&self.migrations().join("schema"), "migrations/schema").unwrap()
    }

    /// Makes `edit` to the declared schema.
    fn edit(&self, edit: Edit) {
        let path = self.0.path().join(SCHEMA_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = match edit {
            Edit::Replace(table, from, to) => in_tables(&text, table, |s| s.replace(from, to)),
            Edit::DropTable(table) => in_tables(&text, table, |_| String::new()),
            Edit::Append(more) => format!("{text}{more}"),
        };
        assert_ne!(edited, text, "{edit:?} changes nothing");
        std::fs::write(path, edited).unwrap();
    }

    fn autogenerate(&self, url: &str) -> Output {
        let dir = self.migrations();
        Command::new(BIN)
            .args(["--database-connection", url, "revision", "--autogenerate"])
            .args(["-m", "declared change", "--migrations-dir"])
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    }
}

/// A change to the declared schema.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Replaces text in every dialect's `CREATE TABLE <table>`, or anywhere for table `""`.
    Replace(&'static str, &'static str, &'static str),
    /// Removes every dialect's `CREATE TABLE <table>`.
    DropTable(&'static str),
    /// Adds statements at the end of the file.
    Append(&'static str),
}

/// `text` with `f` applied to each `CREATE TABLE <table>` statement, or to all of it for `""`.
fn in_tables(text: &str, table: &str, f: impl Fn(&str) -> String) -> String {
    if table.is_empty() {
        return f(text);
    }
    let head = format!("CREATE TABLE {table} (");
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&head) {
        let end = start + rest[start..].find("\n);").unwrap() + 3;
        out.push_str(&rest[..start]);
        out.push_str(&f(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn migrator(map: &RevisionMap) -> Migrator<'_> {
    let code = MIGRATIONS
        .iter()
        .filter_map(|f| Some((f.summary?.id().to_string(), f.code?)));
    Migrator::new(map).code(code)
}

fn schema_of(db: &mut dyn Backend) -> Schema {
    schema::introspect(db, &support::ENGINE_TABLES).unwrap()
}

/// Rows that every scenario starts with.
const SEED: &[&str] = &[
    "INSERT INTO quark_tag_associations (id, discriminator) VALUES ('t1', 'port'), ('t2', 'subnet')",
    "INSERT INTO quark_ip_policy (id, name, description) VALUES ('p1', 'policy one', 'first')",
    "INSERT INTO quark_networks (id, name, ip_policy_id) VALUES ('n1', 'net', 'p1')",
    "INSERT INTO quark_subnets (id, network_id, _cidr, tag_association_uuid) VALUES ('s1', 'n1', '10.0.0.0/24', 't1')",
    "INSERT INTO quark_ip_addresses (id, address_readable, address, subnet_id, network_id, address_type) VALUES ('a1', '10.0.0.5', '10.0.0.5', 's1', 'n1', 'fixed')",
    "INSERT INTO quark_ports (id, network_id, backend_key, device_id) VALUES ('port1', 'n1', 'bk', 'dev1')",
    "INSERT INTO quark_security_groups (id, name, description) VALUES ('g1', 'default', 'd')",
    "INSERT INTO quark_port_security_group_associations (port_id, group_id) VALUES ('port1', 'g1')",
    "INSERT INTO quark_nvp_orphaned_lswitches (id, nvp_id, network_id) VALUES ('o1', 'nvp', 'n1')",
];

/// What the seeded rows hold, table by table, in the columns no scenario changes.
const ROWS: &[(&str, &str)] = &[
    ("quark_tag_associations", "id"),
    ("quark_ip_policy", "id"),
    ("quark_networks", "id"),
    ("quark_subnets", "id"),
    ("quark_ip_addresses", "address_type"),
    ("quark_ports", "device_id"),
    ("quark_security_groups", "name"),
    ("quark_port_security_group_associations", "group_id"),
    ("quark_nvp_orphaned_lswitches", "nvp_id"),
];

fn rows(db: &mut dyn Backend, schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (table, column) in ROWS {
        if !schema.tables.contains_key(*table) {
            continue;
        }
        // PostgreSQL hands enum values over as text only when asked.
        let cast = if db.dialect() == Dialect::Postgresql {
            "::text"
        } else {
            ""
        };
        for row in db
            .query(
                &format!("SELECT {column}{cast} FROM {table} ORDER BY {column}"),
                &[],
            )
            .unwrap()
        {
            out.push(format!("{table}: {:?}", row[0]));
        }
    }
    out
}

/// One scenario: `edits` to the declared schema; `written` must appear in the new file;
/// `after` runs on the upgraded database.
struct Scenario<'a> {
    edits: &'a [Edit],
    written: &'a [&'a str],
    after: fn(&mut dyn Backend),
}

fn run(dialect: Dialect, scenario: Scenario<'_>) {
    let Some(target) = Db::new(dialect) else {
        return;
    };
    let url = target.url();
    let repo = Repo::new();
    let map = repo.map();
    let old_head = map.single_head().unwrap().id.clone();
    let mut db = target.db();
    migrator(&map)
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap();
    for sql in SEED {
        db.run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let before = schema_of(db.as_mut());
    let rows_before = rows(db.as_mut(), &before);

    for edit in scenario.edits {
        repo.edit(*edit);
    }
    let out = repo.autogenerate(&url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "autogenerate failed:\n{stdout}\n{stderr}"
    );
    let map = repo.map();
    let new = map.single_head().unwrap();
    assert_eq!(new.down_revisions, vec![old_head.clone()]);
    assert_eq!(new.message, "declared change");
    let text = std::fs::read_to_string(
        repo.migrations()
            .join(Path::new(&new.path).file_name().unwrap()),
    )
    .unwrap();
    for expected in scenario.written {
        assert!(
            text.contains(expected),
            "{expected:?} is not in the written revision:\n{text}"
        );
    }
    // Every data loss is in the header and on the terminal, and above its statement.
    let header = &text[..text.find("\n-- +upgrade").unwrap()];
    for warning in text.lines().filter(|l| l.starts_with("-- WARNING: ")) {
        let what = warning.trim_start_matches("-- WARNING: ");
        let listed = header
            .lines()
            .any(|l| l.starts_with("-- WARNING: ") && l.ends_with(what));
        assert!(listed, "the header does not list that it {what}:\n{text}");
        assert!(
            stderr.contains(what),
            "the terminal did not warn that it {what}:\n{stderr}"
        );
    }

    migrator(&map)
        .upgrade(db.as_mut(), &"head".parse().unwrap())
        .unwrap_or_else(|e| panic!("upgrade on {dialect}: {e}\n{text}"));
    let declared = schema::declared_schema(
        Some(&DatabaseUrl::parse(&url).unwrap()),
        &Default::default(),
        &repo.declared(),
    )
    .unwrap();
    let upgraded = schema_of(db.as_mut());
    let left = schema::diff(&upgraded, &declared);
    assert!(
        left.is_empty(),
        "after upgrade on {dialect}, still different: {left:?}\n{text}"
    );
    let kept: Vec<String> = rows_before
        .iter()
        .filter(|r| upgraded.tables.contains_key(r.split(':').next().unwrap()))
        .cloned()
        .collect();
    assert_eq!(
        rows(db.as_mut(), &upgraded),
        kept,
        "rows after upgrade on {dialect}"
    );
    (scenario.after)(db.as_mut());

    migrator(&map)
        .downgrade(db.as_mut(), &"-1".parse().unwrap())
        .unwrap_or_else(|e| panic!("downgrade on {dialect}: {e}\n{text}"));
    let after = schema_of(db.as_mut());
    assert_eq!(
        schema::diff(&before, &after),
        vec![],
        "after downgrade -1 on {dialect}\n{text}"
    );
    assert_eq!(
        sorted(after),
        sorted(before),
        "names after downgrade -1 on {dialect}"
    );
    assert_eq!(
        rows(db.as_mut(), &upgraded),
        kept,
        "rows after downgrade on {dialect}"
    );
}

/// The schema with each table's columns in name order: a column dropped and added back comes
/// last on PostgreSQL and MySQL, which is not a difference.
fn sorted(mut schema: Schema) -> Schema {
    for t in schema.tables.values_mut() {
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    schema
}

fn nothing(_: &mut dyn Backend) {}

fn texts(db: &mut dyn Backend, sql: &str) -> Vec<String> {
    db.query(sql, &[])
        .unwrap()
        .into_iter()
        .map(|r| format!("{:?}", r[0]))
        .collect()
}

fn adds_a_table(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "",
                "CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);",
                "CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);\n\nCREATE TABLE quark_port_notes (\n    id VARCHAR(36) NOT NULL,\n    port_id VARCHAR(36) NOT NULL,\n    note TEXT,\n    pinned BOOLEAN NOT NULL DEFAULT FALSE,\n    PRIMARY KEY (id),\n    FOREIGN KEY (port_id) REFERENCES quark_ports (id) ON DELETE CASCADE\n);\n\nCREATE INDEX ix_quark_port_notes_port_id ON quark_port_notes (port_id);",
            )],
            written: &[
                "CREATE TABLE quark_port_notes (",
                "CREATE INDEX ix_quark_port_notes_port_id",
                "DROP TABLE quark_port_notes",
            ],
            after: |db| {
                db.run("INSERT INTO quark_port_notes (id, port_id) VALUES ('n1', 'port1')")
                    .unwrap();
                assert_eq!(
                    texts(db, "SELECT pinned FROM quark_port_notes"),
                    vec!["Int(0)"]
                );
                db.run("DELETE FROM quark_port_notes").unwrap();
            },
        },
    );
}

fn drops_a_table(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::DropTable("quark_nvp_orphaned_lswitch_ports")],
            written: &[
                "-- WARNING: drops table quark_nvp_orphaned_lswitch_ports and every row in it\nDROP TABLE quark_nvp_orphaned_lswitch_ports;",
                "CREATE TABLE quark_nvp_orphaned_lswitch_ports (",
            ],
            after: nothing,
        },
    );
}

fn adds_a_column(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_tag_associations",
                "    discriminator VARCHAR(255),",
                "    discriminator VARCHAR(255),\n    weight INTEGER NOT NULL DEFAULT 7,",
            )],
            written: &[
                "ALTER TABLE quark_tag_associations ADD COLUMN weight INTEGER NOT NULL DEFAULT 7;",
            ],
            after: |db| {
                assert_eq!(
                    texts(db, "SELECT weight FROM quark_tag_associations ORDER BY id"),
                    vec!["Int(7)", "Int(7)"]
                );
            },
        },
    );
}

fn drops_a_column(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_tag_associations",
                "    discriminator VARCHAR(255),\n",
                "",
            )],
            written: &[
                "-- WARNING: drops column quark_tag_associations.discriminator and the data in it",
            ],
            after: nothing,
        },
    );
}

fn renames_a_column(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_tag_associations",
                "    discriminator VARCHAR(255),\n",
                "    associated_kind VARCHAR(255),\n",
            )],
            written: &[
                "-- TWO STEPS: quark_tag_associations.discriminator is dropped while associated_kind is added: if this is a rename, expand first",
                "marked `Breaking: <what it drops>` and `Compatible From: <the expand revision>`",
            ],
            after: nothing,
        },
    );
}

fn changes_a_type(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_tag_associations",
                "    discriminator VARCHAR(255),",
                "    discriminator VARCHAR(512),",
            )],
            written: &[
                "-- WARNING: changes the type of quark_tag_associations.discriminator",
                "-- TWO STEPS: quark_tag_associations.discriminator changes type: expand first",
                "`Compatible From: <the expand revision>`",
            ],
            after: |db| {
                assert_eq!(
                    texts(
                        db,
                        "SELECT discriminator FROM quark_tag_associations ORDER BY id"
                    ),
                    vec!["Text(\"port\")", "Text(\"subnet\")"]
                );
            },
        },
    );
}

fn changes_nullability(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_ip_policy",
                "    name VARCHAR(255),",
                "    name VARCHAR(255) NOT NULL,",
            )],
            written: &[
                "-- WARNING: makes quark_ip_policy.name NOT NULL: fails if a row holds NULL there",
                // PostgreSQL's safe form, outside a transaction (rehearsed by the round trip).
                "-- Transactional: false\n",
                "ALTER TABLE quark_ip_policy ADD CONSTRAINT quark_ip_policy_name_not_null_check CHECK (name IS NOT NULL) NOT VALID;\n\
                 ALTER TABLE quark_ip_policy VALIDATE CONSTRAINT quark_ip_policy_name_not_null_check;\n\
                 ALTER TABLE quark_ip_policy ALTER COLUMN name SET NOT NULL;\n\
                 ALTER TABLE quark_ip_policy DROP CONSTRAINT quark_ip_policy_name_not_null_check;\n",
            ],
            after: |db| {
                assert!(
                    db.run("INSERT INTO quark_ip_policy (id) VALUES ('p2')")
                        .is_err()
                );
            },
        },
    );
}

fn changes_a_default(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_ip_policy",
                "    description VARCHAR(255),",
                "    description VARCHAR(255) DEFAULT 'none',",
            )],
            written: &["DEFAULT 'none'"],
            after: |db| {
                db.run("INSERT INTO quark_ip_policy (id, name) VALUES ('p2', 'two')")
                    .unwrap();
                assert_eq!(
                    texts(
                        db,
                        "SELECT description FROM quark_ip_policy WHERE id = 'p2'"
                    ),
                    vec!["Text(\"none\")"]
                );
                db.run("DELETE FROM quark_ip_policy WHERE id = 'p2'")
                    .unwrap();
            },
        },
    );
}

fn adds_drops_and_changes_indexes(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[
                Edit::Replace(
                    "",
                    "CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);\n",
                    "",
                ),
                Edit::Append("\nCREATE INDEX ix_quark_tags_tag ON quark_tags (tag);\n"),
                Edit::Replace(
                    "",
                    "ix_quark_subnets_project_id ON quark_subnets (project_id);",
                    "ix_quark_subnets_project_id ON quark_subnets (project_id, name);",
                ),
            ],
            written: &[
                "CREATE INDEX ix_quark_tags_tag ON quark_tags (tag);",
                "ix_quark_ports_device_id",
                "CREATE INDEX ix_quark_subnets_project_id ON quark_subnets (project_id, name);",
                // The safe forms on existing tables, rehearsed by the round trip below.
                "-- Transactional: false\n",
                "CREATE INDEX CONCURRENTLY ix_quark_tags_tag ON quark_tags (tag);",
                "CREATE INDEX ix_quark_tags_tag ON quark_tags (tag) ALGORITHM=INPLACE LOCK=NONE;",
            ],
            after: nothing,
        },
    );
}

fn adds_a_unique_constraint(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_security_groups",
                "    PRIMARY KEY (id)\n",
                "    PRIMARY KEY (id),\n    CONSTRAINT uq_quark_security_groups_name UNIQUE (project_id, name)\n",
            )],
            // SQLite does not report constraint names, so only PostgreSQL and MySQL keep it.
            written: &["UNIQUE (project_id, name)"],
            after: |db| {
                assert!(db.run("INSERT INTO quark_security_groups (id, name, description) VALUES ('g2', 'default', 'again')").is_ok());
                db.run("INSERT INTO quark_security_groups (id, project_id, name, description) VALUES ('g3', 'pr', 'x', 'd')").unwrap();
                assert!(db.run("INSERT INTO quark_security_groups (id, project_id, name, description) VALUES ('g4', 'pr', 'x', 'd')").is_err());
                db.run("DELETE FROM quark_security_groups WHERE id IN ('g2', 'g3')")
                    .unwrap();
            },
        },
    );
}

fn drops_a_unique_constraint(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_ip_addresses",
                "    CONSTRAINT subnet_id_address UNIQUE (subnet_id, address),\n",
                "",
            )],
            written: &[],
            after: |db| {
                db.run("INSERT INTO quark_ip_addresses (id, address_readable, address, subnet_id) VALUES ('a2', '10.0.0.5', '10.0.0.5', 's1')").unwrap();
                db.run("DELETE FROM quark_ip_addresses WHERE id = 'a2'")
                    .unwrap();
            },
        },
    );
}

fn adds_a_foreign_key(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_tags",
                "    FOREIGN KEY (association_uuid)",
                "    FOREIGN KEY (project_id) REFERENCES quark_ports (id) ON DELETE CASCADE,\n    FOREIGN KEY (association_uuid)",
            )],
            written: &[
                "ALTER TABLE quark_tags ADD FOREIGN KEY (project_id) REFERENCES quark_ports (id) ON DELETE CASCADE;",
                // PostgreSQL's safe form, outside a transaction (rehearsed by the round trip).
                "-- Transactional: false\n",
                "ALTER TABLE quark_tags ADD CONSTRAINT quark_tags_project_id_fkey FOREIGN KEY (project_id) REFERENCES quark_ports (id) ON DELETE CASCADE NOT VALID;\n\
                 ALTER TABLE quark_tags VALIDATE CONSTRAINT quark_tags_project_id_fkey;\n",
            ],
            after: nothing,
        },
    );
}

fn drops_a_foreign_key(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_subnets",
                ",\n    FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id)",
                "",
            )],
            written: &[],
            after: nothing,
        },
    );
}

fn adds_a_primary_key(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_port_security_group_associations",
                "    port_id VARCHAR(36),\n    group_id VARCHAR(36),\n",
                "    port_id VARCHAR(36) NOT NULL,\n    group_id VARCHAR(36) NOT NULL,\n    PRIMARY KEY (port_id, group_id),\n",
            )],
            written: &["PRIMARY KEY (port_id, group_id)"],
            after: |db| {
                assert!(db.run("INSERT INTO quark_port_security_group_associations (port_id, group_id) VALUES ('port1', 'g1')").is_err());
            },
        },
    );
}

fn drops_a_primary_key(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "quark_nvp_orphaned_lswitches",
                "    display_name VARCHAR(255),\n    PRIMARY KEY (id)\n",
                "    display_name VARCHAR(255)\n",
            )],
            written: &[],
            after: |db| {
                db.run("INSERT INTO quark_nvp_orphaned_lswitches (id, nvp_id, network_id) VALUES ('o1', 'twice', 'n1')").unwrap();
                db.run("DELETE FROM quark_nvp_orphaned_lswitches WHERE nvp_id = 'twice'")
                    .unwrap();
            },
        },
    );
}

fn changes_an_enumeration(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[Edit::Replace(
                "",
                "'shared', 'floating', 'fixed', 'scaling'",
                "'shared', 'floating', 'fixed', 'scaling', 'internal'",
            )],
            written: &["'internal'"],
            after: |db| {
                db.run("UPDATE quark_ip_addresses SET address_type = 'internal' WHERE id = 'a1'")
                    .unwrap();
                db.run("UPDATE quark_ip_addresses SET address_type = 'fixed' WHERE id = 'a1'")
                    .unwrap();
            },
        },
    );
}

fn combined_changes(dialect: Dialect) {
    run(
        dialect,
        Scenario {
            edits: &[
                Edit::Replace(
                    "",
                    "CREATE TABLE quark_ports (",
                    "CREATE TABLE quark_port_owners (\n    id VARCHAR(36) NOT NULL,\n    name VARCHAR(64) NOT NULL,\n    PRIMARY KEY (id),\n    UNIQUE (name)\n);\n\nCREATE TABLE quark_ports (",
                ),
                Edit::Replace(
                    "quark_ports",
                    "    bridge VARCHAR(255),",
                    "    bridge VARCHAR(255),\n    owner_id VARCHAR(36),",
                ),
                Edit::Replace(
                    "quark_ports",
                    "    PRIMARY KEY (id),",
                    "    PRIMARY KEY (id),\n    FOREIGN KEY (owner_id) REFERENCES quark_port_owners (id),",
                ),
                Edit::Replace(
                    "",
                    "CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);",
                    "CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);\nCREATE INDEX ix_quark_ports_owner_id ON quark_ports (owner_id);",
                ),
                Edit::Replace(
                    "quark_tag_associations",
                    "    discriminator VARCHAR(255),\n",
                    "",
                ),
            ],
            written: &[
                "CREATE TABLE quark_port_owners (",
                "owner_id",
                "ix_quark_ports_owner_id",
                "-- WARNING: drops column quark_tag_associations.discriminator",
            ],
            after: |db| {
                db.run("INSERT INTO quark_port_owners (id, name) VALUES ('ow1', 'ops')")
                    .unwrap();
                db.run("UPDATE quark_ports SET owner_id = 'ow1'").unwrap();
                db.run("UPDATE quark_ports SET owner_id = NULL").unwrap();
                db.run("DELETE FROM quark_port_owners").unwrap();
            },
        },
    );
}

on_each_backend! {
    drift_is_clean_on_quarks_chain => sqlite_drift_is_clean_on_quarks_chain, postgres_drift_is_clean_on_quarks_chain, mysql_drift_is_clean_on_quarks_chain;
    adds_a_table => sqlite_adds_a_table, postgres_adds_a_table, mysql_adds_a_table;
    drops_a_table => sqlite_drops_a_table, postgres_drops_a_table, mysql_drops_a_table;
    adds_a_column => sqlite_adds_a_column, postgres_adds_a_column, mysql_adds_a_column;
    drops_a_column => sqlite_drops_a_column, postgres_drops_a_column, mysql_drops_a_column;
    changes_a_type => sqlite_changes_a_type, postgres_changes_a_type, mysql_changes_a_type;
    renames_a_column => sqlite_renames_a_column, postgres_renames_a_column, mysql_renames_a_column;
    changes_nullability => sqlite_changes_nullability, postgres_changes_nullability, mysql_changes_nullability;
    changes_a_default => sqlite_changes_a_default, postgres_changes_a_default, mysql_changes_a_default;
    adds_drops_and_changes_indexes => sqlite_indexes, postgres_indexes, mysql_indexes;
    adds_a_unique_constraint => sqlite_adds_a_unique, postgres_adds_a_unique, mysql_adds_a_unique;
    drops_a_unique_constraint => sqlite_drops_a_unique, postgres_drops_a_unique, mysql_drops_a_unique;
    adds_a_foreign_key => sqlite_adds_a_foreign_key, postgres_adds_a_foreign_key, mysql_adds_a_foreign_key;
    drops_a_foreign_key => sqlite_drops_a_foreign_key, postgres_drops_a_foreign_key, mysql_drops_a_foreign_key;
    adds_a_primary_key => sqlite_adds_a_primary_key, postgres_adds_a_primary_key, mysql_adds_a_primary_key;
    drops_a_primary_key => sqlite_drops_a_primary_key, postgres_drops_a_primary_key, mysql_drops_a_primary_key;
    changes_an_enumeration => sqlite_changes_an_enumeration, postgres_changes_an_enumeration, mysql_changes_an_enumeration;
    combined_changes => sqlite_combined_changes, postgres_combined_changes, mysql_combined_changes;
}

fn cli(url: &str, args: &[&str]) -> Output {
    support::cli(url, args)
}

fn out_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// MySQL's scratch databases are server-wide: a test that checks it leaves none behind holds
/// this alone ([`Db::alone`]), so that the only new ones it can see are its own; every other
/// test of this file holds it shared ([`Db::new`]) while it has a MySQL database.
static MYSQL_SCRATCH: RwLock<()> = RwLock::new(());

/// A test's database, and its turn at MySQL's scratch databases.
struct Db {
    target: Target,
    _turn: Turn,
}

enum Turn {
    Free,
    Shared(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
}

/// What could hold a scratch database left behind, listed before the command under test.
struct Scratches(Vec<String>);

impl Db {
    /// A database for a test that does not look for leaked scratch databases.
    fn new(dialect: Dialect) -> Option<Db> {
        let turn = match dialect {
            Dialect::Mysql => Turn::Shared(
                MYSQL_SCRATCH
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            ),
            _ => Turn::Free,
        };
        Some(Db {
            target: Target::new(dialect)?,
            _turn: turn,
        })
    }

    /// A database for a test that checks it leaves no scratch database behind: alone with
    /// MySQL's.
    fn alone(dialect: Dialect) -> Option<Db> {
        let turn = match dialect {
            Dialect::Mysql => Turn::Alone(
                MYSQL_SCRATCH
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            ),
            _ => Turn::Free,
        };
        Some(Db {
            target: Target::new(dialect)?,
            _turn: turn,
        })
    }

    /// Where a scratch database the engine made for this database could be left: PostgreSQL
    /// schemas in the test's own database (all of them: it had none), MySQL databases named
    /// like one on the server, and, for SQLite, scratch objects in the database file and files
    /// beside it (the engine's SQLite scratch is in memory: nothing may appear there).
    fn scratches(&self) -> Scratches {
        let mut found = texts(
            self.target.db().as_mut(),
            match &self.target {
                Target::Server(t) if matches!(t.kind, support::Kind::Postgres) => {
                    "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE '%scratch%'"
                }
                Target::Server(_) => "SHOW DATABASES LIKE '%scratch%'",
                Target::Sqlite(_) => {
                    "SELECT type || ' ' || name FROM sqlite_master WHERE name LIKE '%scratch%'"
                }
            },
        );
        if let Target::Sqlite(dir) = &self.target {
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                found.push(format!("file {:?}", entry.unwrap().file_name()));
            }
        }
        found.sort();
        Scratches(found)
    }

    /// The scratch databases that appeared since `before` and are still there, or, on
    /// PostgreSQL, any scratch schema at all.
    fn leaked_since(&self, before: &Scratches) -> Vec<String> {
        let now = self.scratches();
        if matches!(&self.target, Target::Server(t) if matches!(t.kind, support::Kind::Postgres)) {
            return now.0;
        }
        now.0
            .into_iter()
            .filter(|s| !before.0.contains(s))
            .collect()
    }
}

impl std::ops::Deref for Db {
    type Target = Target;

    fn deref(&self) -> &Target {
        &self.target
    }
}

fn check_is_clean_at_head(dialect: Dialect) {
    let Some(target) = Db::alone(dialect) else {
        return;
    };
    let before = target.scratches();
    let out = cli(&target.url(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(
        out_text(&out)
            .contains("No differences: the migrations at c07cd8303997 build the declared schema"),
        "{}",
        out_text(&out)
    );
    let json = cli(&target.url(), &["--format", "json", "check"]);
    assert!(
        String::from_utf8_lossy(&json.stdout).contains("\"ok\":true"),
        "{}",
        out_text(&json)
    );
    assert_eq!(target.leaked_since(&before), Vec::<String>::new());
    // check reads nothing of the database itself: it is still empty.
    assert!(schema_of(target.db().as_mut()).tables.is_empty());
}

/// quark's whole chain at head: the live schema is the one recorded after the upgrade and the
/// declared one, so `drift` reports nothing and `--check-drift fail` starts.
fn drift_is_clean_on_quarks_chain(dialect: Dialect) {
    let Some(target) = Db::alone(dialect) else {
        return;
    };
    let up = cli(&target.url(), &["--check-drift", "fail", "upgrade", "head"]);
    assert_eq!(up.status.code(), Some(0), "{}", out_text(&up));
    // The scratch database `drift` compares the declared schema on is dropped afterwards.
    let before = target.scratches();
    let out = cli(&target.url(), &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let text = out_text(&out);
    assert!(
        text.contains("the same as recorded after the last migration")
            && text.contains("the same as the declared schema")
            && text.contains("No drift."),
        "{text}"
    );
    let json = cli(&target.url(), &["--format", "json", "drift"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (doc["record"].as_str(), doc["declared"].as_str()),
        (Some("same"), Some("same"))
    );
    assert_eq!(doc["differences"], serde_json::json!([]));
    assert_eq!(target.leaked_since(&before), Vec::<String>::new());
}

fn check_lists_what_the_chain_lacks(dialect: Dialect) {
    let Some(target) = Db::new(dialect) else {
        return;
    };
    let repo = Repo::new();
    repo.edit(Edit::Replace(
        "quark_tag_associations",
        "    discriminator VARCHAR(255),",
        "    discriminator VARCHAR(255),\n    weight INTEGER,",
    ));
    repo.edit(Edit::Append(
        "\nCREATE INDEX ix_quark_tags_tag ON quark_tags (tag);\n",
    ));
    let url = DatabaseUrl::parse(&target.url()).unwrap();
    let changes = Migrations::new(MIGRATIONS)
        .unwrap()
        .check(Some(&url), &repo.declared())
        .unwrap();
    let listed: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        listed,
        vec![
            "add column quark_tag_associations.weight",
            "add index ix_quark_tags_tag on quark_tags (tag)"
        ]
    );
    // And the embedded schema is the repository's.
    let embedded = SchemaFile::declared(SCHEMA);
    assert_eq!(embedded.len(), 1);
    assert_eq!(
        embedded[0].text,
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_FILE)).unwrap()
    );
}

fn no_differences_write_no_file(dialect: Dialect) {
    let Some(target) = Db::new(dialect) else {
        return;
    };
    let repo = Repo::new();
    let map = repo.map();
    migrator(&map)
        .upgrade(target.db().as_mut(), &"head".parse().unwrap())
        .unwrap();
    let before = std::fs::read_dir(repo.migrations()).unwrap().count();
    let out = repo.autogenerate(&target.url());
    assert!(out.status.success(), "{}", out_text(&out));
    assert!(
        out_text(&out).contains("No changes in schema detected"),
        "{}",
        out_text(&out)
    );
    assert!(
        out_text(&out).contains("no revision written"),
        "{}",
        out_text(&out)
    );
    assert_eq!(
        std::fs::read_dir(repo.migrations()).unwrap().count(),
        before
    );
}

fn a_syntax_error_names_file_line_and_database_message(dialect: Dialect) {
    let Some(target) = Db::alone(dialect) else {
        return;
    };
    let repo = Repo::new();
    migrator(&repo.map())
        .upgrade(target.db().as_mut(), &"head".parse().unwrap())
        .unwrap();
    let path = repo.0.path().join(SCHEMA_FILE);
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    repo.edit(Edit::Append(
        "\nCREATE TABLE broken (\n    id INTEGER,,\n    name TEXT\n);\n",
    ));
    let before = target.scratches();
    let out = repo.autogenerate(&target.url());
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = lines + 2;
    assert!(text.contains(&format!("migrations/schema/quark.sql:{line}: {dialect} refused this statement of the declared schema: ")), "{text}");
    let message = match dialect {
        Dialect::Sqlite => "syntax error",
        Dialect::Postgresql => "syntax error at or near \",\"",
        Dialect::Mysql => "You have an error in your SQL syntax",
    };
    assert!(text.contains(message), "{text}");
    // The scratch database went with the error; the live one is untouched.
    assert_eq!(target.leaked_since(&before), Vec::<String>::new());
    assert!(
        !schema_of(target.db().as_mut())
            .tables
            .contains_key("broken")
    );
}

fn a_database_behind_head_is_refused(dialect: Dialect) {
    let Some(target) = Db::new(dialect) else {
        return;
    };
    let repo = Repo::new();
    migrator(&repo.map())
        .upgrade(target.db().as_mut(), &"1664300cb03a".parse().unwrap())
        .unwrap();
    let out = repo.autogenerate(&target.url());
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("is at 1664300cb03a, not at c07cd8303997"),
        "{text}"
    );
    assert!(text.contains("run 'upgrade head' first"), "{text}");
}

on_each_backend! {
    check_is_clean_at_head => sqlite_check_is_clean_at_head, postgres_check_is_clean_at_head, mysql_check_is_clean_at_head;
    check_lists_what_the_chain_lacks => sqlite_check_lists_what_the_chain_lacks, postgres_check_lists_what_the_chain_lacks, mysql_check_lists_what_the_chain_lacks;
    no_differences_write_no_file => sqlite_no_differences_write_no_file, postgres_no_differences_write_no_file, mysql_no_differences_write_no_file;
    a_syntax_error_names_file_line_and_database_message => sqlite_syntax_error, postgres_syntax_error, mysql_syntax_error;
    a_database_behind_head_is_refused => sqlite_behind_head_refused, postgres_behind_head_refused, mysql_behind_head_refused;
}

//! Rolling deploys and rollbacks with two builds of one application: release N, and release
//! N+1 with one more revision (additive, or marked `Breaking:`), on SQLite, PostgreSQL and
//! MariaDB. An older release starts on a database the newer one migrated, refuses when the newer
//! revision is breaking or newer schemas are refused, and takes the database back with the
//! downgrades the database remembers.

#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
#[macro_use]
mod servers;

use quark_migrate::backend::Backend;
use quark_migrate::migrator::Standing;
use quark_migrate::remembered::{ReleaseKey, Vouching};
use quark_migrate::revision::{Dialect, Target};
use quark_migrate::{EmbeddedFile, Error, LiveReleases, Migrations};
use servers::{Kind, TestDb, catalog};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A revision file as an application would write it.
fn file(id: &str, revises: &str, header: &str, up: &str, down: &str) -> EmbeddedFile {
    EmbeddedFile {
        path: leak(format!("migrations/{id}_x.sql")),
        source: leak(format!(
            "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n{header}\n-- +upgrade\n{up}\n\n-- +downgrade\n{down}\n"
        )),
        summary: None,
        code: None,
    }
}

/// A release built with the application's signing key: its records are signed, and it trusts
/// the records its other releases signed (see tests/remembered.rs for records it must not).
fn release(files: Vec<EmbeddedFile>) -> Migrations {
    let m = Migrations::new(Box::leak(files.into_boxed_slice())).unwrap();
    let key = ReleaseKey::from_seed([42; 32]);
    let vouching = Vouching::signed(m.map().unwrap(), &key, &Dialect::ALL);
    m.vouching(vouching)
}

/// Release N: two revisions.
fn release_n() -> Vec<EmbeddedFile> {
    vec![
        file(
            "a1",
            "None",
            "",
            "CREATE TABLE items (id INT NOT NULL PRIMARY KEY, name VARCHAR(50));",
            "DROP TABLE items;",
        ),
        file(
            "a2",
            "a1",
            "",
            "CREATE TABLE tags (id INT NOT NULL PRIMARY KEY, item_id INT);",
            "DROP TABLE tags;",
        ),
    ]
}

/// Release N+1 whose new revision only adds.
fn release_additive() -> Vec<EmbeddedFile> {
    let mut files = release_n();
    files.push(file(
        "a3",
        "a2",
        "",
        "ALTER TABLE items ADD COLUMN note VARCHAR(50);",
        "ALTER TABLE items DROP COLUMN note;",
    ));
    files
}

/// Release N+1 whose new revision drops what release N reads.
fn release_breaking() -> Vec<EmbeddedFile> {
    let mut files = release_n();
    files.push(file(
        "b3",
        "a2",
        "-- Breaking: drops items.name, which release N reads",
        "ALTER TABLE items DROP COLUMN name;",
        "ALTER TABLE items ADD COLUMN name VARCHAR(50);",
    ));
    files
}

/// A database of `dialect`, with the URL to reach it.
enum Place {
    Sqlite(tempfile::TempDir),
    Server(TestDb),
}

impl Place {
    fn new(dialect: Dialect) -> Option<Place> {
        match dialect {
            Dialect::Sqlite => Some(Place::Sqlite(tempfile::tempdir().unwrap())),
            Dialect::Postgresql => TestDb::new(Kind::Postgres).map(Place::Server),
            Dialect::Mysql => TestDb::new(Kind::Mysql).map(Place::Server),
        }
    }

    fn url(&self) -> String {
        match self {
            Place::Sqlite(dir) => format!("sqlite:///{}", dir.path().join("app.db").display()),
            Place::Server(db) => db.url.clone(),
        }
    }

    fn db(&self, m: &Migrations) -> Box<dyn Backend> {
        m.connect(&self.url()).unwrap()
    }

    /// The application's schema and the version rows, as the server lists them.
    fn catalog(&self, m: &Migrations, dialect: Dialect) -> Vec<String> {
        catalog(self.db(m).as_mut(), dialect)
            .into_iter()
            .filter(|l| !l.contains("alembic_version"))
            .collect()
    }
}

fn steps(report: &quark_migrate::Report) -> Vec<String> {
    report.steps.iter().map(|s| s.revision.clone()).collect()
}

fn old_release_after_new(dialect: Dialect) {
    let (old, new) = (release(release_n()), release(release_additive()));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    // Release N's schema, for comparing after the rollback.
    let Some(reference) = Place::new(dialect) else {
        return;
    };
    old.migrate(&reference.url()).unwrap();
    let schema_n = reference.catalog(&old, dialect);

    assert_eq!(
        steps(&new.migrate(&place.url()).unwrap()),
        ["a1", "a2", "a3"]
    );
    // Release N starts on the newer schema: nothing to do.
    let report = old.migrate(&place.url()).unwrap();
    assert!(report.steps.is_empty());
    assert_eq!(report.after, ["a3"]);
    let status = old.status(place.db(&old).as_mut()).unwrap();
    assert!(status.is_ahead(), "{status:?}");
    assert_eq!(status.newer, ["a3"]);
    assert_eq!(status.current, ["a3"]);
    // Unless newer schemas are refused.
    let strict = release(release_n()).refuse_newer_schema(true);
    match strict.migrate(&place.url()) {
        Err(Error::NewerSchema { newer, .. }) => assert_eq!(newer, ["a3"]),
        other => panic!("{dialect:?}: strict mode should refuse: {other:?}"),
    }
    // Release N takes the database back to its head with the downgrade a3 remembered.
    let migrator = old.migrator().unwrap();
    let mut db = place.db(&old);
    let report = migrator
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap();
    assert_eq!(steps(&report), ["a3"]);
    assert_eq!(report.after, ["a2"]);
    assert_eq!(
        place.catalog(&old, dialect),
        schema_n,
        "{dialect:?}: back to N's schema"
    );
    assert!(!old.status(db.as_mut()).unwrap().is_ahead());
    // And the newer release upgrades it again.
    assert_eq!(steps(&new.migrate(&place.url()).unwrap()), ["a3"]);
}

fn old_release_refuses_a_breaking_revision(dialect: Dialect) {
    let (old, new) = (release(release_n()), release(release_breaking()));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    new.migrate(&place.url()).unwrap();
    match old.migrate(&place.url()) {
        Err(e @ Error::BreakingNewer { .. }) => {
            let said = e.to_string();
            assert!(
                said.contains("b3") && said.contains("drops items.name"),
                "{said}"
            );
        }
        other => panic!("{dialect:?}: a breaking newer revision must be refused: {other:?}"),
    }
    // Taking it back is allowed, and gives release N its column again.
    let migrator = old.migrator().unwrap();
    let mut db = place.db(&old);
    migrator
        .downgrade(db.as_mut(), &Target::Revision("a2".into()))
        .unwrap();
    assert!(old.migrate(&place.url()).unwrap().steps.is_empty());
    db.run("INSERT INTO items (id, name) VALUES (1, 'back')")
        .unwrap();
}

fn a_database_from_before_remembering(dialect: Dialect) {
    let (old, new) = (release(release_n()), release(release_additive()));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    new.migrate(&place.url()).unwrap();
    // As an engine that remembered nothing would have left it.
    let mut db = place.db(&new);
    db.run(&format!(
        "DROP TABLE {}",
        db.quote("alembic_version_revisions")
    ))
    .unwrap();
    match old.migrate(&place.url()) {
        Err(Error::UnknownRevisions { unknown, .. }) => assert_eq!(unknown, ["a3"]),
        other => panic!("{dialect:?}: without records nothing can be known: {other:?}"),
    }
    // The next start of a binary that has the revisions remembers them, at head as it is.
    assert!(new.migrate(&place.url()).unwrap().steps.is_empty());
    assert!(old.migrate(&place.url()).unwrap().steps.is_empty());
    assert_eq!(old.status(db.as_mut()).unwrap().newer, ["a3"]);
}

fn another_line_of_descent_is_refused(dialect: Dialect) {
    // Release N has a3; the database went another way (x3 on a2) with a newer release.
    let old = release(release_additive());
    let mut other = release_n();
    other.push(file(
        "x3",
        "a2",
        "",
        "CREATE TABLE other (id INT NOT NULL PRIMARY KEY);",
        "DROP TABLE other;",
    ));
    let other = release(other);
    let Some(place) = Place::new(dialect) else {
        return;
    };
    other.migrate(&place.url()).unwrap();
    let mut db = place.db(&old);
    match old.migrator().unwrap().standing(db.as_mut()) {
        Err(e @ Error::UnknownRevisions { .. }) => {
            assert!(e.to_string().contains("x3"), "{e}");
        }
        other => panic!("{dialect:?}: not ahead, refused: {other:?}"),
    }
}

fn a_branch_ahead(dialect: Dialect) {
    // Release N has two branches; N+1 adds a revision on one of them.
    let branches = |extra: bool| {
        let mut files = release_n();
        files.push(file(
            "c1",
            "None",
            "-- Branch Labels: audit",
            "CREATE TABLE audit (id INT NOT NULL PRIMARY KEY);",
            "DROP TABLE audit;",
        ));
        files[0] = file(
            "a1",
            "None",
            "-- Branch Labels: main",
            "CREATE TABLE items (id INT NOT NULL PRIMARY KEY, name VARCHAR(50));",
            "DROP TABLE items;",
        );
        if extra {
            files.push(file(
                "c2",
                "c1",
                "",
                "CREATE TABLE audit_log (id INT NOT NULL PRIMARY KEY);",
                "DROP TABLE audit_log;",
            ));
        }
        release(files)
    };
    let (old, new) = (branches(false), branches(true));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    new.migrate(&place.url()).unwrap();
    assert!(old.migrate(&place.url()).unwrap().steps.is_empty());
    let mut db = place.db(&old);
    let Standing::Ahead(ahead) = old.migrator().unwrap().standing(db.as_mut()).unwrap() else {
        panic!("{dialect:?}: ahead on one branch");
    };
    assert_eq!(ahead.newer, ["c2"]);
    let report = old
        .migrator()
        .unwrap()
        .downgrade(db.as_mut(), &Target::Revision("c1".into()))
        .unwrap();
    assert_eq!(steps(&report), ["c2"]);
    let mut rows = report.after.clone();
    rows.sort();
    assert_eq!(rows, ["a2", "c1"]);
}

#[test]
fn an_appliance_backs_up_before_a_breaking_revision_and_restores_it() {
    let (old, new) = (release(release_n()), release(release_breaking()));
    let place = Place::new(Dialect::Sqlite).unwrap();
    old.migrate(&place.url()).unwrap();
    let Place::Sqlite(dir) = &place else {
        unreachable!()
    };
    let file = dir.path().join("app.db");
    let before = std::fs::read(&file).unwrap();
    new.migrate(&place.url()).unwrap();
    assert_ne!(std::fs::read(&file).unwrap(), before);
    let restored = new.restore(&place.url(), None).unwrap();
    assert!(
        restored.to_string_lossy().ends_with("a2-to-b3"),
        "named with the revisions: {}",
        restored.display()
    );
    assert!(
        std::fs::read(&file).unwrap() == before,
        "the exact file back"
    );
    assert!(old.migrate(&place.url()).unwrap().steps.is_empty());
}

/// Release N+1 of expand/contract: adds `label` beside `name`, filled from it; N+1 reads only
/// `label`.
fn release_expand() -> Vec<EmbeddedFile> {
    let mut files = release_n();
    files.push(file(
        "e3",
        "a2",
        "",
        "ALTER TABLE items ADD COLUMN label VARCHAR(50);\nUPDATE items SET label = name;",
        "ALTER TABLE items DROP COLUMN label;",
    ));
    files
}

/// Release N+2: contracts (drops `name`, which only release N reads), naming the expand
/// revision as the oldest a release must embed to keep running.
fn release_contract(compatible_from: &str) -> Vec<EmbeddedFile> {
    let mut files = release_expand();
    files.push(file(
        "c4",
        "e3",
        &format!("-- Breaking: drops items.name, which release N reads\n{compatible_from}"),
        "ALTER TABLE items DROP COLUMN name;",
        "ALTER TABLE items ADD COLUMN name VARCHAR(50);\nUPDATE items SET name = label;",
    ));
    files
}

fn expand_contract_over_three_releases(dialect: Dialect) {
    let n = release(release_n());
    let n1 = release(release_expand());
    let n2 = release(release_contract("-- Compatible From: e3"));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n.migrate(&place.url()).unwrap();
    assert_eq!(steps(&n1.migrate(&place.url()).unwrap()), ["e3"]);
    assert_eq!(steps(&n2.migrate(&place.url()).unwrap()), ["c4"]);
    // N+1 embeds e3, which c4 names: it keeps starting, by migrating and by verifying.
    let report = n1.migrate(&place.url()).unwrap();
    assert!(report.steps.is_empty(), "{dialect:?}: {report:?}");
    assert_eq!(report.after, ["c4"]);
    n1.verify(&place.url())
        .unwrap_or_else(|e| panic!("{dialect:?}: N+1 verifies on the contracted schema: {e}"));
    let mut db = place.db(&n1);
    db.run("INSERT INTO items (id, label) VALUES (7, 'after contract')")
        .unwrap();
    // N does not: it still reads `name`.
    for refused in [
        n.migrate(&place.url()).map(|_| ()),
        n.verify(&place.url()).map(|_| ()),
    ] {
        match refused {
            Err(e @ Error::BreakingNewer { .. }) => {
                let said = e.to_string();
                assert!(
                    said.contains("c4") && said.contains("drops items.name"),
                    "{said}"
                );
            }
            other => panic!("{dialect:?}: release N must refuse c4: {other:?}"),
        }
    }
    // The record's `compatible_from` is signed: a database writer who names a revision N
    // embeds does not get N started on a schema it cannot run on.
    db.execute(
        &format!(
            "UPDATE {} SET compatible_from = {} WHERE revision = {}",
            db.quote("alembic_version_revisions"),
            db.placeholder(1),
            db.placeholder(2)
        ),
        &["a1".into(), "c4".into()],
    )
    .unwrap();
    match n.migrate(&place.url()) {
        Err(Error::Unvouched { revisions, .. }) => {
            assert!(revisions.iter().any(|(r, _)| r == "c4"), "{revisions:?}")
        }
        other => panic!("{dialect:?}: a forged Compatible From must be refused: {other:?}"),
    }
}

fn breaking_without_compatible_from_breaks_every_older_release(dialect: Dialect) {
    let n1 = release(release_expand());
    let n2 = release(release_contract(""));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n2.migrate(&place.url()).unwrap();
    match n1.migrate(&place.url()) {
        Err(Error::BreakingNewer { revision, .. }) => assert_eq!(revision, "c4"),
        other => panic!("{dialect:?}: Breaking: alone breaks N+1 too: {other:?}"),
    }
}

fn a_records_table_from_before_compatible_from(dialect: Dialect) {
    let n1 = release(release_expand());
    let n2 = release(release_contract("-- Compatible From: e3"));
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n1.migrate(&place.url()).unwrap();
    // As a release before the column left the table.
    let mut db = place.db(&n1);
    let table = db.quote("alembic_version_revisions");
    db.run(&format!("ALTER TABLE {table} DROP COLUMN compatible_from"))
        .unwrap();
    // Read as before (nothing compatible), and the column comes back with the next run.
    assert!(!n1.status(db.as_mut()).unwrap().is_ahead());
    // A preview shows the column added; the run adds it.
    let (_, sql) = n2
        .migrator()
        .unwrap()
        .preview(
            db.as_mut(),
            &Target::Revision("c4".into()),
            quark_migrate::revision::Direction::Upgrade,
        )
        .unwrap();
    assert!(
        sql.contains("ADD COLUMN compatible_from"),
        "{dialect:?}: {sql}"
    );
    assert_eq!(steps(&n2.migrate(&place.url()).unwrap()), ["c4"]);
    let rows = db
        .query(
            &format!("SELECT compatible_from FROM {table} WHERE revision = 'c4'"),
            &[],
        )
        .unwrap();
    assert_eq!(rows[0][0].as_text(), Some("e3"), "{dialect:?}");
    assert!(n1.migrate(&place.url()).unwrap().steps.is_empty());
}

#[test]
fn compatible_from_is_checked_at_build() {
    let refused = |compatible_from: &str, breaking: bool| {
        let mut files = release_expand();
        files.push(file(
            "c4",
            "e3",
            &[
                if breaking {
                    "-- Breaking: drops items.name"
                } else {
                    ""
                },
                compatible_from,
            ]
            .join(if breaking { "\n" } else { "" }),
            "ALTER TABLE items DROP COLUMN name;",
            "ALTER TABLE items ADD COLUMN name VARCHAR(50);",
        ));
        // A descendant of c4: a revision, but not an ancestor.
        files.push(file("z9", "c4", "", "SELECT 1;", "SELECT 1;"));
        match Migrations::new(Box::leak(files.into_boxed_slice())) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("'{compatible_from}' should be refused"),
        }
    };
    let said = refused("-- Compatible From: z9", true);
    assert!(
        said.contains("migrations/c4_x.sql:6")
            && said.contains("'z9', which is not an ancestor of c4"),
        "{said}"
    );
    let said = refused("-- Compatible From: nope", true);
    assert!(said.contains("unknown revision 'nope'"), "{said}");
    let said = refused("-- Compatible From: c4", true);
    assert!(said.contains("not an ancestor of c4"), "{said}");
    let said = refused("-- Compatible From: e3", false);
    assert!(
        said.contains("'Compatible From:' without 'Breaking:'"),
        "{said}"
    );
}

/// A release of the application `shop` at `version`, whose instances register as live.
fn shop(files: Vec<EmbeddedFile>, version: &'static str) -> Migrations {
    release(files).app(quark_migrate::App::new("shop", version))
}

fn contract_waits_until_the_releases_it_breaks_have_drained(dialect: Dialect) {
    let n = shop(release_n(), "1.0.0");
    let n1 = shop(release_expand(), "1.1.0");
    let n2 = shop(release_contract("-- Compatible From: e3"), "1.2.0");
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n.migrate(&place.url()).unwrap();
    let live_n = n.register_instance(&place.url()).unwrap();
    let live_n1 = n1.register_instance(&place.url()).unwrap();

    // Asked to refuse (the command line's way), nothing is applied.
    match n2
        .clone()
        .live_releases(LiveReleases::Refuse)
        .migrate(&place.url())
    {
        Err(e @ Error::LiveReleases { .. }) => {
            let said = e.to_string();
            assert!(
                said.contains("c4") && said.contains("shop 1.0.0") && !said.contains("shop 1.1.0"),
                "{dialect:?}: {said}"
            );
        }
        other => panic!("{dialect:?}: the contract must be refused while N is live: {other:?}"),
    }
    let mut db = place.db(&n2);
    assert_eq!(n2.status(db.as_mut()).unwrap().current, ["a2"]);

    // Start-up migration (the library's default) applies the expand and stops before the
    // contract, succeeding.
    let report = n2.migrate(&place.url()).unwrap();
    assert_eq!(steps(&report), ["e3"], "{dialect:?}");
    assert_eq!(report.held_back, ["c4"]);
    assert_eq!(report.after, ["e3"]);
    // Each start-up while N is live does the same, with nothing to apply.
    let again = n2.migrate(&place.url()).unwrap();
    assert!(again.steps.is_empty(), "{dialect:?}: {again:?}");
    assert_eq!(
        (again.after, again.held_back),
        (vec!["e3".to_string()], vec!["c4".to_string()])
    );

    // What each live instance holds back.
    let m = n2.migrator().unwrap();
    let live = m.live_instances(db.as_mut(), &["e3".to_string()]).unwrap();
    let seen: Vec<(String, Vec<String>)> = live
        .iter()
        .map(|l| (l.instance.version.clone(), l.holds_back.clone()))
        .collect();
    assert!(
        seen.contains(&("1.0.0".into(), vec!["c4".into()])),
        "{seen:?}"
    );
    assert!(seen.contains(&("1.1.0".into(), vec![])), "{seen:?}");
    assert_eq!(live[0].instance.heads.len(), 1);
    assert_eq!(live[0].instance.pid, i64::from(std::process::id()));

    // Told to wait, the contract runs once N's last instance has gone.
    let started = std::time::Instant::now();
    let drained = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(600));
        drop(live_n);
    });
    let report = n2
        .clone()
        .live_releases(LiveReleases::Wait(std::time::Duration::from_secs(30)))
        .migrate(&place.url())
        .unwrap();
    drained.join().unwrap();
    assert_eq!(steps(&report), ["c4"], "{dialect:?}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(600));
    assert!(report.held_back.is_empty());
    // N+1 keeps starting on the contracted schema; its instance is still registered.
    assert!(n1.migrate(&place.url()).unwrap().steps.is_empty());
    assert_eq!(
        m.live_instances(db.as_mut(), &["c4".to_string()])
            .unwrap()
            .len(),
        1
    );
    drop(live_n1);
    assert!(
        m.live_instances(db.as_mut(), &["c4".to_string()])
            .unwrap()
            .is_empty()
    );
}

fn a_wait_for_drain_gives_up_and_force_applies(dialect: Dialect) {
    let n = shop(release_n(), "1.0.0");
    let n2 = shop(release_contract("-- Compatible From: e3"), "1.2.0");
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n.migrate(&place.url()).unwrap();
    let _live_n = n.register_instance(&place.url()).unwrap();
    match n2
        .clone()
        .live_releases(LiveReleases::Wait(std::time::Duration::from_millis(300)))
        .migrate(&place.url())
    {
        Err(Error::LiveReleases {
            revision,
            instances,
        }) => {
            assert_eq!(revision, "c4");
            assert_eq!(instances.len(), 1, "{instances:?}");
        }
        other => panic!("{dialect:?}: the wait ends in a refusal: {other:?}"),
    }
    let report = n2
        .clone()
        .live_releases(LiveReleases::Force)
        .migrate(&place.url())
        .unwrap();
    assert_eq!(steps(&report), ["e3", "c4"], "{dialect:?}");
}

fn a_killed_instance_expires_and_a_live_one_outlives_its_ttl(dialect: Dialect) {
    let n = shop(release_n(), "1.0.0");
    let n2 = shop(release_contract("-- Compatible From: e3"), "1.2.0");
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n.migrate(&place.url()).unwrap();
    // An instance whose heartbeat keeps it live past its time to live.
    let beating = n
        .clone()
        .instance_ttl(std::time::Duration::from_secs(1))
        .register_instance(&place.url())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let m = n2.migrator().unwrap();
    let mut db = place.db(&n2);
    let live = m.live_instances(db.as_mut(), &["a2".to_string()]).unwrap();
    assert_eq!(live.len(), 1, "{dialect:?}: renewed, still live");
    drop(beating);
    // A killed instance: its row stays, its heartbeat stops.
    let table = db.quote("alembic_version_instances");
    db.run(&format!(
        "INSERT INTO {table} (id, application, version, heads, host, pid, started_at, heartbeat_ms, ttl_ms) \
         VALUES ('killed', 'shop', '1.0.0', 'a2', 'gone', 1, '2026-01-01T00:00:00Z', 1000, 1000)"
    ))
    .unwrap();
    assert!(
        m.live_instances(db.as_mut(), &["a2".to_string()])
            .unwrap()
            .is_empty(),
        "{dialect:?}: expired"
    );
    let report = n2
        .clone()
        .live_releases(LiveReleases::Refuse)
        .migrate(&place.url())
        .unwrap();
    assert_eq!(steps(&report), ["e3", "c4"], "{dialect:?}");
    let left = db.query(&format!("SELECT id FROM {table}"), &[]).unwrap();
    assert!(
        left.is_empty(),
        "{dialect:?}: the expired row was removed: {left:?}"
    );
}

/// The variable that hands [`registered_instance_process`] its database.
const INSTANCE_URL: &str = "QUARK_TEST_INSTANCE_URL";

/// Run as a child process by [`a_killed_process_leaves_a_row_that_expires`]: release N's
/// instance, registered with a one-second time to live, alive until it is killed.
#[test]
#[ignore = "run as a child process by a_killed_process_leaves_a_row_that_expires"]
fn registered_instance_process() {
    let Ok(url) = std::env::var(INSTANCE_URL) else {
        return;
    };
    let _live = shop(release_n(), "1.0.0")
        .instance_ttl(std::time::Duration::from_secs(1))
        .register_instance(&url)
        .unwrap();
    println!("registered");
    std::thread::sleep(std::time::Duration::from_secs(600));
}

fn a_killed_process_leaves_a_row_that_expires(dialect: Dialect) {
    let n = shop(release_n(), "1.0.0");
    let n2 = shop(release_contract("-- Compatible From: e3"), "1.2.0");
    let Some(place) = Place::new(dialect) else {
        return;
    };
    n.migrate(&place.url()).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "registered_instance_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(INSTANCE_URL, place.url())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let m = n2.migrator().unwrap();
    let mut db = place.db(&n2);
    let live =
        |db: &mut Box<dyn Backend>| m.live_instances(db.as_mut(), &["a2".to_string()]).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while live(&mut db).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "{dialect:?}: the child never registered"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Still live after its time to live: its heartbeat renews it.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(live(&mut db).len(), 1, "{dialect:?}: renewed by the child");
    assert!(matches!(
        n2.clone()
            .live_releases(LiveReleases::Refuse)
            .migrate(&place.url()),
        Err(Error::LiveReleases { .. })
    ));
    child.kill().unwrap();
    child.wait().unwrap();
    let table = db.quote("alembic_version_instances");
    let rows = |db: &mut Box<dyn Backend>| {
        db.query(&format!("SELECT id FROM {table}"), &[])
            .unwrap()
            .len()
    };
    assert_eq!(
        rows(&mut db),
        1,
        "{dialect:?}: a killed process removes nothing"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !live(&mut db).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "{dialect:?}: the row never expired"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let report = n2
        .clone()
        .live_releases(LiveReleases::Refuse)
        .migrate(&place.url())
        .unwrap();
    assert_eq!(steps(&report), ["e3", "c4"], "{dialect:?}");
    assert_eq!(rows(&mut db), 0, "{dialect:?}: the expired row was removed");
}

on_each_backend! {
    old_release_after_new => sqlite_old_after_new, postgres_old_after_new, mysql_old_after_new;
    old_release_refuses_a_breaking_revision => sqlite_breaking, postgres_breaking, mysql_breaking;
    a_database_from_before_remembering => sqlite_before_remembering, postgres_before_remembering, mysql_before_remembering;
    another_line_of_descent_is_refused => sqlite_other_line, postgres_other_line, mysql_other_line;
    a_branch_ahead => sqlite_branch_ahead, postgres_branch_ahead, mysql_branch_ahead;
    expand_contract_over_three_releases => sqlite_expand_contract, postgres_expand_contract, mysql_expand_contract;
    breaking_without_compatible_from_breaks_every_older_release => sqlite_breaking_breaks_all, postgres_breaking_breaks_all, mysql_breaking_breaks_all;
    a_records_table_from_before_compatible_from => sqlite_records_before_compatible_from, postgres_records_before_compatible_from, mysql_records_before_compatible_from;
    contract_waits_until_the_releases_it_breaks_have_drained => sqlite_contract_waits_for_drain, postgres_contract_waits_for_drain, mysql_contract_waits_for_drain;
    a_wait_for_drain_gives_up_and_force_applies => sqlite_drain_timeout_and_force, postgres_drain_timeout_and_force, mysql_drain_timeout_and_force;
    a_killed_instance_expires_and_a_live_one_outlives_its_ttl => sqlite_instance_expiry, postgres_instance_expiry, mysql_instance_expiry;
    a_killed_process_leaves_a_row_that_expires => sqlite_killed_instance, postgres_killed_instance, mysql_killed_instance;
}

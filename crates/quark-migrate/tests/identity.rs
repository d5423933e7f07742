//! The application's identity as the engine shows it: on PostgreSQL sessions, on the engine's
//! log lines, for an application that gives one and for one that does not.

#![cfg(all(feature = "sqlite", feature = "postgres"))]

#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::sync::Mutex;

use quark_migrate::backend::Backend;
use quark_migrate::{App, EmbeddedFile, Migrations};
use servers::{Kind, TestDb};

static FILES: &[EmbeddedFile] = &[EmbeddedFile {
    path: "migrations/a1_things.sql",
    source: "-- things\n--\n-- Revision ID: a1\n-- Revises:\n\n-- +upgrade\nCREATE TABLE things (id INTEGER PRIMARY KEY);\n-- +downgrade\nDROP TABLE things;\n",
    summary: None,
    code: None,
}];

/// Every line the engine logged in this test binary: its target and text.
static LINES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

struct Keep;

impl log::Log for Keep {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = (record.target().to_string(), record.args().to_string());
        LINES.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

fn targets_of(text: &str) -> Vec<String> {
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, line)| line.contains(text))
        .map(|(target, _)| target.clone())
        .collect()
}

#[test]
fn the_engine_logs_under_the_applications_target() {
    let _ = log::set_logger(&Keep);
    log::set_max_level(log::LevelFilter::Debug);
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite:///{}", dir.path().join(name).display());
    let app = App::new("tenant-svc", "3.1.0").with_log_target("tenant_svc::schema");
    Migrations::new(FILES)
        .unwrap()
        .app(app)
        .migrate(&url("a.db"))
        .unwrap();
    // Without an identity, the engine's own name.
    Migrations::new(FILES)
        .unwrap()
        .migrate(&url("b.db"))
        .unwrap();
    assert_eq!(
        targets_of("-> a1, things"),
        ["tenant_svc::schema", "quark_migrate"]
    );
}

fn application_name(db: &mut dyn Backend) -> String {
    let rows = db.query("SHOW application_name", &[]).unwrap();
    rows[0][0].as_text().unwrap().to_string()
}

#[test]
fn postgres_sessions_carry_the_applications_name() {
    let Some(test) = TestDb::new(Kind::Postgres) else {
        return;
    };
    let named = Migrations::new(FILES)
        .unwrap()
        .app(App::new("tenant-svc", "3.1.0"));
    assert_eq!(
        application_name(&mut *named.connect(&test.url).unwrap()),
        "tenant-svc"
    );
    let plain = Migrations::new(FILES).unwrap();
    assert_eq!(
        application_name(&mut *plain.connect(&test.url).unwrap()),
        "quark-migrate"
    );
}

//! quark-db-manage against baselines measured in the same run: the raw driver doing the same
//! work, and refinery. `benches/report` turns the results into one table of ratios.
//!
//! - `noop_<backend>/*`: an application start against a database already at head, with a
//!   100-revision chain. `raw` opens the connection and reads `alembic_version`; `raw_checked`
//!   also reads the history rows our check compares with the embedded checksums; `quark` loads the
//!   embedded revisions, connects and upgrades to head (nothing to do, drift checked); `refinery`
//!   connects and runs its runner (nothing to do, divergence checked).
//! - `apply_<backend>/<tool>/N`: applying N revisions to an empty database, each creating a table
//!   and an index and inserting a row. `raw` runs the same SQL through the same driver, one
//!   transaction per revision plus one row written per revision; `refinery` runs one transaction
//!   per migration, `refinery_grouped` one for all, as does `quark_single` (`--single-transaction`),
//!   whose floor is `raw_single`: each revision's SQL and row as a batch, one commit for all.
//!   Every measurement opens its connection in the timed part.
//! - `drift_check_<backend>/{off,warn}`: the same start-up on a 500-table schema (500 revisions,
//!   each a table and an index), without and with the start-up drift check (`check_drift`: the
//!   live schema read and its fingerprint compared with the one recorded after the upgrade).
//! - `build/*`: parsing and validating a generated chain as build.rs does, and the graph
//!   operations (topological order, heads, history) on it.
//!
//! PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306) rows are skipped, with a line saying
//! so, when the server is unreachable.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use quark_migrate::source::{SourceFile, build_map};
use quark_migrate::{EmbeddedFile, Migrations};

const PG: &str = "postgresql://postgres@127.0.0.1:5432";
const MY: &str = "mysql://root@127.0.0.1:3306";

/// The SQL of revision `i`: a table, an index and a row.
fn upgrade_sql(i: usize) -> String {
    format!(
        "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL);\n\
         CREATE INDEX ix_t{i}_name ON t{i} (name);\n\
         INSERT INTO t{i} (id, name) VALUES (1, 'row; {i}');\n"
    )
}

fn id(i: usize) -> String {
    format!("r{i:06}")
}

/// A linear chain of `n` revision files in our format.
fn chain(n: usize) -> Vec<SourceFile> {
    (0..n)
        .map(|i| {
            let revises = if i == 0 { "None".to_string() } else { id(i - 1) };
            SourceFile {
                path: format!("migrations/{}_x.sql", id(i)),
                name: format!("{}_x.sql", id(i)),
                text: format!(
                    "-- revision {i}\n--\n-- Revision ID: {}\n-- Revises: {revises}\n-- Create Date: 2026-01-01 00:00:00\n\n-- +upgrade\n{}\n-- +downgrade\nDROP TABLE t{i};\n",
                    id(i),
                    upgrade_sql(i)
                ),
            }
        })
        .collect()
}

/// The chain as `embed_migrations!()` embeds it, summaries included (leaked once: embedded
/// files are `'static`).
fn embedded(n: usize) -> &'static [EmbeddedFile] {
    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }
    let sources = chain(n);
    let map = build_map(&sources).unwrap();
    let files: Vec<EmbeddedFile> = sources
        .iter()
        .map(|source| EmbeddedFile {
            path: leak(source.path.clone()),
            source: leak(source.text.clone()),
            summary: None,
            code: None,
        })
        .collect();
    quark_migrate::build::embed_by_hand(&map, &files)
}

/// The same chain as refinery migrations.
fn refinery_chain(n: usize) -> Vec<refinery::Migration> {
    (0..n)
        .map(|i| {
            refinery::Migration::unapplied(&format!("V{}__t{i}", i + 1), &upgrade_sql(i)).unwrap()
        })
        .collect()
}

/// A database of its own on a server, made for one measurement and dropped at the end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Postgres,
    Mysql,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Server::Postgres => "postgres",
            Server::Mysql => "mariadb",
        }
    }

    /// Runs `sql` on the server's `test` database; false when the server is unreachable.
    fn admin(self, sql: &str) -> bool {
        match self {
            Server::Postgres => postgres::Client::connect(
                "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3",
                postgres::NoTls,
            )
            .and_then(|mut c| c.batch_execute(sql))
            .is_ok(),
            Server::Mysql => {
                use mysql::prelude::Queryable;
                mysql::Conn::new(format!("{MY}/test").as_str())
                    .and_then(|mut c| c.query_drop(sql))
                    .is_ok()
            }
        }
    }

    fn available(self) -> bool {
        let up = self.admin("SELECT 1");
        if !up {
            eprintln!("skipping {} rows: no server on 127.0.0.1", self.name());
        }
        up
    }

    /// A fresh, empty database; its name.
    fn create(self, names: &mut Vec<String>) -> String {
        let mut bytes = [0u8; 5];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!(
            "qdm_bench_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        assert!(self.admin(&format!("CREATE DATABASE {name}")));
        names.push(name.clone());
        name
    }

    fn drop_all(self, names: &mut Vec<String>) {
        for name in names.drain(..) {
            let force = if self == Server::Postgres {
                " WITH (FORCE)"
            } else {
                ""
            };
            self.admin(&format!("DROP DATABASE IF EXISTS {name}{force}"));
        }
    }

    /// Our URL for database `name` (TLS off, as for the raw and refinery connections).
    fn url(self, name: &str) -> String {
        match self {
            Server::Postgres => format!("{PG}/{name}?sslmode=disable"),
            Server::Mysql => format!("{MY}/{name}"),
        }
    }
}

/// A raw connection through the driver our backend uses, with the few operations the baselines
/// need.
enum Raw {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
    Mysql(mysql::Conn),
}

impl Raw {
    fn sqlite(path: &std::path::Path) -> Raw {
        Raw::Sqlite(rusqlite::Connection::open(path).unwrap())
    }

    fn server(server: Server, name: &str) -> Raw {
        match server {
            Server::Postgres => Raw::Postgres(
                postgres::Client::connect(
                    &format!("host=127.0.0.1 port=5432 user=postgres dbname={name}"),
                    postgres::NoTls,
                )
                .unwrap(),
            ),
            // Over TCP, as our backend connects: the driver's default would move to the socket.
            Server::Mysql => Raw::Mysql(
                mysql::Conn::new(format!("{MY}/{name}?prefer_socket=false").as_str()).unwrap(),
            ),
        }
    }

    fn batch(&mut self, sql: &str) {
        match self {
            Raw::Sqlite(c) => c.execute_batch(sql).unwrap(),
            Raw::Postgres(c) => c.batch_execute(sql).unwrap(),
            Raw::Mysql(c) => {
                use mysql::prelude::Queryable;
                for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
                    c.query_drop(statement).unwrap();
                }
            }
        }
    }

    fn version(&mut self) -> String {
        let sql = "SELECT version_num FROM alembic_version";
        match self {
            Raw::Sqlite(c) => c.query_row(sql, [], |r| r.get(0)).unwrap(),
            Raw::Postgres(c) => c.query_one(sql, &[]).unwrap().get(0),
            Raw::Mysql(c) => {
                use mysql::prelude::Queryable;
                c.query_first(sql).unwrap().unwrap()
            }
        }
    }

    /// The version row and every history row's revision and checksum, as text: the same reads
    /// as our start-up check, which compares the checksums with the embedded ones.
    fn version_and_checksums(&mut self) -> (String, Vec<(i64, String, Option<String>)>) {
        let sql = "SELECT id, revision, checksum, direction, outcome FROM alembic_version_history";
        let version = self.version();
        let rows = match self {
            Raw::Sqlite(c) => {
                let mut stmt = c.prepare(sql).unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            }
            Raw::Postgres(c) => c
                .query(sql, &[])
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            Raw::Mysql(c) => {
                use mysql::prelude::Queryable;
                c.query_map(
                    sql,
                    |(id, revision, checksum, _d, _o): (
                        i64,
                        String,
                        Option<String>,
                        String,
                        String,
                    )| { (id, revision, checksum) },
                )
                .unwrap()
            }
        };
        (version, rows)
    }

    /// The raw floor of applying: per revision, its SQL and one row, in one transaction.
    fn apply(&mut self, n: usize) {
        self.batch("CREATE TABLE applied (version VARCHAR(32) NOT NULL PRIMARY KEY)");
        for i in 0..n {
            self.batch(&format!(
                "BEGIN;\n{}INSERT INTO applied (version) VALUES ('{}');\nCOMMIT;\n",
                upgrade_sql(i),
                id(i)
            ));
        }
    }

    /// The raw floor of applying in one transaction: per revision, its SQL and one row as a
    /// batch (as any tool recording each revision sends them), one commit at the end.
    fn apply_single(&mut self, n: usize) {
        self.batch("CREATE TABLE applied (version VARCHAR(32) NOT NULL PRIMARY KEY)");
        self.batch("BEGIN");
        for i in 0..n {
            self.batch(&format!(
                "{}INSERT INTO applied (version) VALUES ('{}');\n",
                upgrade_sql(i),
                id(i)
            ));
        }
        self.batch("COMMIT");
    }

    fn refinery(&mut self, migrations: &[refinery::Migration], grouped: bool) {
        let runner = refinery::Runner::new(migrations).set_grouped(grouped);
        match self {
            Raw::Sqlite(c) => runner.run(c).map(drop),
            Raw::Postgres(c) => runner.run(c).map(drop),
            Raw::Mysql(c) => runner.run(c).map(drop),
        }
        .unwrap();
    }
}

const NOOP_CHAIN: usize = 100;

fn noop(c: &mut Criterion) {
    let files = embedded(NOOP_CHAIN);
    let refinery = refinery_chain(NOOP_CHAIN);

    // SQLite: one file per tool, each brought to head first.
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("quark.db");
    let theirs = dir.path().join("refinery.db");
    let url = format!("sqlite:///{}", ours.display());
    Migrations::new(files).unwrap().migrate(&url).unwrap();
    Raw::sqlite(&theirs).refinery(&refinery, false);
    let mut group = c.benchmark_group("noop_sqlite");
    group.bench_function("raw", |b| {
        b.iter(|| black_box(Raw::sqlite(&ours).version()))
    });
    group.bench_function("raw_checked", |b| {
        b.iter(|| black_box(Raw::sqlite(&ours).version_and_checksums()))
    });
    group.bench_function("quark", |b| {
        b.iter(|| black_box(Migrations::new(files).unwrap().migrate(&url).unwrap()))
    });
    group.bench_function("refinery", |b| {
        b.iter(|| Raw::sqlite(&theirs).refinery(&refinery, false))
    });
    group.finish();

    for server in [Server::Postgres, Server::Mysql] {
        if !server.available() {
            continue;
        }
        let mut names = Vec::new();
        let ours = server.create(&mut names);
        let theirs = server.create(&mut names);
        let url = server.url(&ours);
        Migrations::new(files).unwrap().migrate(&url).unwrap();
        Raw::server(server, &theirs).refinery(&refinery, false);
        let mut group = c.benchmark_group(format!("noop_{}", server.name()));
        group.bench_function("raw", |b| {
            b.iter(|| black_box(Raw::server(server, &ours).version()))
        });
        group.bench_function("raw_checked", |b| {
            b.iter(|| black_box(Raw::server(server, &ours).version_and_checksums()))
        });
        group.bench_function("quark", |b| {
            b.iter(|| black_box(Migrations::new(files).unwrap().migrate(&url).unwrap()))
        });
        group.bench_function("refinery", |b| {
            b.iter(|| Raw::server(server, &theirs).refinery(&refinery, false))
        });
        group.finish();
        server.drop_all(&mut names);
    }
}

/// Tables in the schema the drift check reads.
const DRIFT_TABLES: usize = 500;

fn drift_check(c: &mut Criterion) {
    use quark_migrate::DriftCheck;
    let files = embedded(DRIFT_TABLES);
    let start = |url: &str, check: DriftCheck| {
        let report = Migrations::new(files)
            .unwrap()
            .check_drift(check)
            .migrate(url)
            .unwrap();
        black_box(report)
    };
    let measure = |c: &mut Criterion, name: &str, url: &str| {
        Migrations::new(files).unwrap().migrate(url).unwrap();
        let mut group = c.benchmark_group(format!("drift_check_{name}"));
        group.sample_size(20);
        group.bench_function("off", |b| b.iter(|| start(url, DriftCheck::Off)));
        group.bench_function("warn", |b| b.iter(|| start(url, DriftCheck::Warn)));
        group.finish();
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("drift.db").display());
    measure(c, "sqlite", &url);
    for server in [Server::Postgres, Server::Mysql] {
        if !server.available() {
            continue;
        }
        let mut names = Vec::new();
        let db = server.create(&mut names);
        measure(c, server.name(), &server.url(&db));
        server.drop_all(&mut names);
    }
}

fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply_sqlite");
    group.sample_size(10);
    for n in [10, 100, 1000] {
        let files = embedded(n);
        let refinery = refinery_chain(n);
        let fresh = || {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.db");
            (dir, path)
        };
        group.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
            b.iter_batched(
                fresh,
                |(_d, p)| Raw::sqlite(&p).apply(n),
                BatchSize::PerIteration,
            )
        });
        group.bench_with_input(BenchmarkId::new("raw_single", n), &n, |b, &n| {
            b.iter_batched(
                fresh,
                |(_d, p)| Raw::sqlite(&p).apply_single(n),
                BatchSize::PerIteration,
            )
        });
        for (label, single) in [("quark", false), ("quark_single", true)] {
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter_batched(
                    fresh,
                    |(_d, p)| {
                        let url = format!("sqlite:///{}", p.display());
                        let m = Migrations::new(files).unwrap().single_transaction(single);
                        m.migrate(&url).unwrap()
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        for (label, grouped) in [("refinery", false), ("refinery_grouped", true)] {
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter_batched(
                    fresh,
                    |(_d, p)| Raw::sqlite(&p).refinery(&refinery, grouped),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    group.finish();

    let n = 100;
    let files = embedded(n);
    let refinery = refinery_chain(n);
    for server in [Server::Postgres, Server::Mysql] {
        if !server.available() {
            continue;
        }
        let mut names = Vec::new();
        let mut group = c.benchmark_group(format!("apply_{}", server.name()));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(20));
        // Every measurement connects inside the timed part, as `migrate(url)` does.
        group.bench_with_input(BenchmarkId::new("raw", n), &n, |b, &n| {
            b.iter_batched(
                || server.create(&mut names),
                |name| Raw::server(server, &name).apply(n),
                BatchSize::PerIteration,
            )
        });
        server.drop_all(&mut names);
        if server == Server::Postgres {
            group.bench_with_input(BenchmarkId::new("raw_single", n), &n, |b, &n| {
                b.iter_batched(
                    || server.create(&mut names),
                    |name| Raw::server(server, &name).apply_single(n),
                    BatchSize::PerIteration,
                )
            });
            server.drop_all(&mut names);
        }
        // MySQL commits DDL implicitly: a single transaction is not possible there.
        let modes: &[(&str, bool)] = match server {
            Server::Postgres => &[("quark", false), ("quark_single", true)],
            Server::Mysql => &[("quark", false)],
        };
        for &(label, single) in modes {
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter_batched(
                    || server.url(&server.create(&mut names)),
                    |url| {
                        let m = Migrations::new(files).unwrap().single_transaction(single);
                        m.migrate(&url).unwrap()
                    },
                    BatchSize::PerIteration,
                )
            });
            server.drop_all(&mut names);
        }
        for (label, grouped) in [("refinery", false), ("refinery_grouped", true)] {
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter_batched(
                    || server.create(&mut names),
                    |name| Raw::server(server, &name).refinery(&refinery, grouped),
                    BatchSize::PerIteration,
                )
            });
            server.drop_all(&mut names);
        }
        group.finish();
    }
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let files = chain(n);
        group.bench_with_input(BenchmarkId::new("validate", n), &files, |b, files| {
            b.iter(|| black_box(build_map(files).unwrap()))
        });
        let map = build_map(&files).unwrap();
        group.bench_with_input(BenchmarkId::new("graph", n), &map, |b, map| {
            b.iter(|| {
                let order: Vec<&str> = map.iter().map(|r| r.id.as_str()).collect();
                let heads = map.heads();
                let last = heads[0].id.as_str();
                let history = map.ancestors([last]);
                black_box((
                    order.len(),
                    heads.len(),
                    history.iter().filter(|a| **a).count(),
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, noop, apply, drift_check, build);
criterion_main!(benches);

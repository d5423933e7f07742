//! OpenTelemetry: quark's binary migrates a fleet of three SQLite files (one holding 12,000
//! CIDR rows for the chunked data revision 1664300cb03a) with `OTEL_EXPORTER_OTLP_ENDPOINT`
//! pointing at an OTLP/HTTP receiver in this test, which decodes what it is sent with
//! `opentelemetry-proto`; the span tree, its attributes and the metrics are checked.

#![cfg(feature = "otel")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

#[macro_use]
mod support;

use support::BIN;

/// quark's head, and how many revisions its chain has.
const HEAD: &str = "c07cd8303997";
const REVISIONS: usize = 40;
/// The parent of the data revision 1664300cb03a, which reads its CIDRs 5,000 at a time.
const BEFORE_CHUNKED: &str = "1acd075bd7e1";
const CIDRS: usize = 12_000;

/// What the receiver was sent: each request's path and body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// An OTLP/HTTP receiver on a port of its own: it keeps every request and answers 200.
fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let kept = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                continue;
            }
            let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            kept.lock().unwrap().push((path, body));
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (endpoint, received)
}

fn text(value: &Option<AnyValue>) -> Option<String> {
    match value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

fn attributes(list: &[KeyValue]) -> HashMap<String, String> {
    list.iter()
        .filter_map(|kv| Some((kv.key.clone(), text(&kv.value)?)))
        .collect()
}

/// A received span: its name, ids and attributes.
struct Seen {
    name: String,
    id: Vec<u8>,
    parent: Vec<u8>,
    trace: Vec<u8>,
    attributes: HashMap<String, String>,
    /// 0 unset, 1 ok, 2 error.
    status: i32,
}

impl From<Span> for Seen {
    fn from(span: Span) -> Seen {
        Seen {
            attributes: attributes(&span.attributes),
            status: span.status.map_or(0, |s| s.code),
            name: span.name,
            id: span.span_id,
            parent: span.parent_span_id,
            trace: span.trace_id,
        }
    }
}

#[test]
fn a_fleet_run_sends_its_span_tree_and_metrics_over_otlp() {
    let dir = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..3)
        .map(|i| {
            format!(
                "sqlite:///{}",
                dir.path().join(format!("cell{i}.db")).display()
            )
        })
        .collect();
    // The first file at the chunked revision's parent, with rows for it to read in chunks.
    let out = support::cli(&urls[0], &["upgrade", BEFORE_CHUNKED]);
    assert!(out.status.success(), "{out:?}");
    let mut first = rusqlite::Connection::open(dir.path().join("cell0.db")).unwrap();
    let tx = first.transaction().unwrap();
    for i in 0..CIDRS {
        tx.execute(
            "INSERT INTO quark_ip_policy_cidrs (id, cidr) VALUES (?1, ?2)",
            (
                format!("c{i:05}"),
                format!("10.{}.{}.0/24", i / 256, i % 256),
            ),
        )
        .unwrap();
    }
    tx.commit().unwrap();
    drop(first);
    let list = dir.path().join("cells.txt");
    std::fs::write(&list, urls.join("\n")).unwrap();

    let (endpoint, received) = receiver();
    let out = Command::new(BIN)
        .args([
            "--databases",
            list.to_str().unwrap(),
            "--jobs",
            "2",
            "upgrade",
            "head",
        ])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_SERVICE_NAME", "cells-migrate")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let received = received.lock().unwrap();
    let mut spans: Vec<Seen> = Vec::new();
    let mut metrics = Vec::new();
    let mut services = Vec::new();
    for (path, body) in received.iter() {
        match path.as_str() {
            "/v1/traces" => {
                let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
                for resource in request.resource_spans {
                    let r = resource
                        .resource
                        .map(|r| attributes(&r.attributes))
                        .unwrap_or_default();
                    services.push(r.get("service.name").cloned().unwrap_or_default());
                    for scope in resource.scope_spans {
                        spans.extend(scope.spans.into_iter().map(Seen::from));
                    }
                }
            }
            "/v1/metrics" => {
                let request = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
                for resource in request.resource_metrics {
                    for scope in resource.scope_metrics {
                        metrics.extend(scope.metrics);
                    }
                }
            }
            other => panic!("sent to {other}"),
        }
    }
    assert!(
        !services.is_empty() && services.iter().all(|s| s == "cells-migrate"),
        "{services:?}"
    );
    let named = |name: &'static str| spans.iter().filter(move |s| s.name == name);
    let children = |parent: &Seen, name: &str| -> Vec<&Seen> {
        spans
            .iter()
            .filter(|s| s.parent == parent.id && s.name == name)
            .collect()
    };

    // One fleet span, the root of one trace.
    let fleets: Vec<&Seen> = named("quark.fleet").collect();
    assert_eq!(fleets.len(), 1);
    let fleet = fleets[0];
    assert!(fleet.parent.is_empty());
    assert_eq!(fleet.attributes["quark.databases"], "3");
    assert_eq!(fleet.attributes["quark.jobs"], "2");
    assert_eq!(fleet.attributes["quark.failed"], "0");
    assert!(spans.iter().all(|s| s.trace == fleet.trace), "one trace");

    // A database span each, under it; an upgrade under each.
    let before = after(BEFORE_CHUNKED);
    let databases = children(fleet, "quark.database");
    assert_eq!(databases.len(), 3);
    let mut namespaces: Vec<&str> = databases
        .iter()
        .map(|d| d.attributes["db.namespace"].as_str())
        .collect();
    namespaces.sort();
    let mut expected: Vec<String> = urls
        .iter()
        .map(|u| u["sqlite:///".len()..].to_string())
        .collect();
    expected.sort();
    assert_eq!(namespaces, expected);
    for database in &databases {
        assert_eq!(database.attributes["db.system.name"], "sqlite");
        assert_eq!(database.attributes["quark.wave"], "1");
        assert_eq!(database.status, 1, "ok");
        let upgrades = children(database, "quark.upgrade");
        assert_eq!(upgrades.len(), 1);
        let upgrade = upgrades[0];
        let revisions = children(upgrade, "quark.revision");
        let first = database.attributes["db.namespace"].ends_with("cell0.db");
        let applied = if first { REVISIONS - before } else { REVISIONS };
        assert_eq!(
            revisions.len(),
            applied,
            "{}",
            database.attributes["db.namespace"]
        );
        assert_eq!(upgrade.attributes["quark.revisions"], applied.to_string());
        assert!(
            revisions
                .iter()
                .any(|r| r.attributes["quark.revision"] == HEAD)
        );
        for revision in &revisions {
            assert_eq!(revision.attributes["quark.direction"], "upgrade");
            assert!(revision.attributes["code.file.path"].starts_with("migrations/"));
            assert_eq!(revision.status, 1);
            // SQL revisions send their statements as one batch; Rust ones read and write.
            let batches = children(revision, "quark.statements");
            let statements: usize = revision.attributes["quark.statements"].parse().unwrap();
            if revision.attributes["code.file.path"].ends_with(".sql") && statements > 0 {
                assert_eq!(batches.len(), 1, "{:?}", revision.attributes);
                assert_eq!(
                    batches[0].attributes["db.operation.batch.size"],
                    statements.to_string()
                );
            }
            let chunks = children(revision, "quark.chunk");
            if first && revision.attributes["quark.revision"] == "1664300cb03a" {
                let rows: Vec<&str> = chunks
                    .iter()
                    .map(|c| c.attributes["quark.rows"].as_str())
                    .collect();
                assert_eq!(rows, ["5000", "5000", "2000"]);
            } else if revision.attributes["quark.revision"] == "1664300cb03a" {
                assert!(chunks.is_empty(), "no rows, no chunk");
            }
        }
    }

    // A count of revisions and a histogram of their durations.
    let total = |name: &str| -> (u64, usize) {
        let metric = metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no {name}"));
        match &metric.data {
            Some(metric::Data::Sum(sum)) => {
                assert!(sum.is_monotonic);
                let n = sum
                    .data_points
                    .iter()
                    .map(|p| match p.value {
                        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(i)) => i as u64,
                        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(d)) => d as u64,
                        None => 0,
                    })
                    .sum();
                (n, sum.data_points.len())
            }
            Some(metric::Data::Histogram(h)) => (
                h.data_points.iter().map(|p| p.count).sum(),
                h.data_points.len(),
            ),
            other => panic!("{name}: {other:?}"),
        }
    };
    let applied = 3 * REVISIONS - before;
    assert_eq!(total("quark.revisions").0, applied as u64);
    assert_eq!(total("quark.revision.duration").0, applied as u64);
}

/// How many revisions of quark's chain are applied up to `revision`, by the binary's history.
fn after(revision: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("count.db").display());
    let out = support::cli(&url, &["upgrade", revision]);
    assert!(out.status.success());
    let db = rusqlite::Connection::open(dir.path().join("count.db")).unwrap();
    db.query_row(
        "SELECT count(*) FROM alembic_version_history WHERE outcome = 'success'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}

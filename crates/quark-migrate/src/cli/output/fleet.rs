//! What a run over many databases prints: a table of outcomes and a summary, or one JSON
//! document.

use serde_json::{Value, json};

use super::migrations::report_json;
use super::{cut, described};
use crate::cli::Format;
use crate::cli::shown::{CELL, shown};

/// A run over many databases: a line each (database, from, to, revisions applied, time,
/// outcome) and a summary, or one JSON document.
pub fn fleet(format: Format, results: &[crate::FleetResult]) {
    let rows: Vec<[String; 6]> = results
        .iter()
        .map(|r| match &r.outcome {
            Ok(report) => [
                shown(&r.database, CELL).into_owned(),
                described(&report.before),
                described(&report.after),
                report.steps.len().to_string(),
                format!("{:.2}s", r.duration.as_secs_f64()),
                "ok".to_string(),
            ],
            Err(e) => [
                shown(&r.database, CELL).into_owned(),
                String::new(),
                String::new(),
                String::new(),
                format!("{:.2}s", r.duration.as_secs_f64()),
                format!("failed: {}", shown(&e.to_string(), CELL)),
            ],
        })
        .collect();
    let failed = results.iter().filter(|r| r.outcome.is_err()).count();
    if format == Format::Json {
        let list: Vec<Value> = results
            .iter()
            .map(|r| match &r.outcome {
                Ok(report) => {
                    let mut doc = report_json(&r.database, report);
                    doc["duration_ms"] = json!(r.duration.as_secs_f64() * 1000.0);
                    doc["outcome"] = json!("ok");
                    doc
                }
                Err(e) => json!({
                    "database": cut(&r.database),
                    "duration_ms": r.duration.as_secs_f64() * 1000.0,
                    "outcome": "failed",
                    "error": cut(&e.to_string()),
                }),
            })
            .collect();
        say!("{}", json!({"databases": list, "ok": failed == 0}));
        return;
    }
    let header = ["DATABASE", "FROM", "TO", "REVISIONS", "TIME", "OUTCOME"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (w, cell) in widths.iter().zip(row) {
            line.push_str(&format!("{cell:<w$}  "));
        }
        line.push_str(&row[5]);
        say!("{line}");
    }
    say!(
        "{} databases: {} upgraded, {failed} failed",
        results.len(),
        results.len() - failed
    );
}

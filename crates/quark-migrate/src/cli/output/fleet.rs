//! What a run over many databases prints: a table of outcomes and a summary, or one JSON
//! document.

use serde_json::{Value, json};

use super::migrations::report_json;
use super::{cut, described};
use crate::cli::Format;
use crate::cli::shown::{CELL, shown};

/// A run over many databases: a line each (database, wave, from, to, revisions applied, time,
/// outcome) and a summary, or one JSON document. With a `canary`, wave 1 is the canary.
pub fn fleet(format: Format, results: &[crate::FleetResult], canary: bool) {
    let wave = |r: &crate::FleetResult| {
        if canary && r.wave == 1 {
            "canary".to_string()
        } else {
            r.wave.to_string()
        }
    };
    let time = |r: &crate::FleetResult| format!("{:.2}s", r.duration.as_secs_f64());
    let rows: Vec<[String; 7]> = results
        .iter()
        .map(|r| match &r.outcome {
            Some(Ok(report)) => [
                shown(&r.database, CELL).into_owned(),
                wave(r),
                described(&report.before),
                described(&report.after),
                report.steps.len().to_string(),
                time(r),
                "ok".to_string(),
            ],
            Some(Err(e)) => [
                shown(&r.database, CELL).into_owned(),
                wave(r),
                String::new(),
                String::new(),
                String::new(),
                time(r),
                format!("failed: {}", shown(&e.to_string(), CELL)),
            ],
            None => [
                shown(&r.database, CELL).into_owned(),
                wave(r),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "not started".to_string(),
            ],
        })
        .collect();
    let failed = results.iter().filter(|r| r.failed()).count();
    let untouched = results.iter().filter(|r| r.outcome.is_none()).count();
    if format == Format::Json {
        let list: Vec<Value> = results
            .iter()
            .map(|r| {
                let mut doc = match &r.outcome {
                    Some(Ok(report)) => {
                        let mut doc = report_json(&r.database, report);
                        doc["outcome"] = json!("ok");
                        doc
                    }
                    Some(Err(e)) => json!({
                        "database": cut(&r.database),
                        "outcome": "failed",
                        "error": cut(&e.to_string()),
                    }),
                    None => json!({"database": cut(&r.database), "outcome": "not started"}),
                };
                doc["duration_ms"] = json!(r.duration.as_secs_f64() * 1000.0);
                doc["wave"] = json!(r.wave);
                doc["canary"] = json!(canary && r.wave == 1);
                doc
            })
            .collect();
        say!(
            "{}",
            json!({"databases": list, "ok": failed == 0 && untouched == 0})
        );
        return;
    }
    let header = [
        "DATABASE",
        "WAVE",
        "FROM",
        "TO",
        "REVISIONS",
        "TIME",
        "OUTCOME",
    ]
    .map(String::from);
    let mut widths = [0usize; 6];
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
        line.push_str(&row[6]);
        say!("{line}");
    }
    let upgraded = results.len() - failed - untouched;
    if untouched > 0 {
        say!(
            "{} databases: {upgraded} upgraded, {failed} failed, {untouched} not started",
            results.len()
        );
    } else {
        say!(
            "{} databases: {upgraded} upgraded, {failed} failed",
            results.len()
        );
    }
}

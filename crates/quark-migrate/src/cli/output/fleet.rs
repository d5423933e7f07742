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

/// Where each of many databases stands: a line each (database, current revisions, state) and a
/// summary, or one JSON document.
pub fn fleet_status(format: Format, results: &[crate::FleetStatus]) {
    let state = |s: &crate::Status| {
        if let Some(entry) = &s.interrupted {
            format!("interrupted in {}", entry.revision)
        } else if s.is_ahead() {
            format!("ahead ({} newer)", s.newer.len())
        } else if !s.drift.is_empty() {
            format!("drift ({} edited)", s.drift.len())
        } else if s.pending.is_empty() {
            "at head".to_string()
        } else {
            format!("{} pending", s.pending.len())
        }
    };
    let current = |s: &crate::Status| {
        if s.current.is_empty() {
            "base".to_string()
        } else {
            s.current.join(",")
        }
    };
    if format == Format::Json {
        let list: Vec<Value> = results
            .iter()
            .map(|r| match &r.outcome {
                Ok(s) => json!({
                    "database": cut(&r.database),
                    "current": s.current,
                    "pending": s.pending,
                    "newer": s.newer,
                    "state": state(s),
                    "at_head": s.is_up_to_date() && !s.is_ahead(),
                }),
                Err(e) => json!({
                    "database": cut(&r.database),
                    "state": "failed",
                    "error": cut(&e.to_string()),
                }),
            })
            .collect();
        let failed = results.iter().filter(|r| r.outcome.is_err()).count();
        say!("{}", json!({"databases": list, "ok": failed == 0}));
        return;
    }
    let rows: Vec<[String; 3]> = results
        .iter()
        .map(|r| {
            let database = shown(&r.database, CELL).into_owned();
            match &r.outcome {
                Ok(s) => [database, current(s), state(s)],
                Err(e) => [
                    database,
                    String::new(),
                    format!("failed: {}", shown(&e.to_string(), CELL)),
                ],
            }
        })
        .collect();
    let header = ["DATABASE", "CURRENT", "STATE"].map(String::from);
    let mut widths = [0usize; 2];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        say!(
            "{:<w0$}  {:<w1$}  {}",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1]
        );
    }
    let count = |f: &dyn Fn(&str) -> bool| rows.iter().filter(|r| f(&r[2])).count();
    say!(
        "{} databases: {} at head, {} behind, {} ahead, {} other, {} failed",
        results.len(),
        count(&|s| s == "at head"),
        count(&|s| s.ends_with(" pending")),
        count(&|s| s.starts_with("ahead")),
        count(&|s| s.starts_with("interrupted") || s.starts_with("drift")),
        count(&|s| s.starts_with("failed: ")),
    );
}

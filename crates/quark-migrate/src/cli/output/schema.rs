//! What the schema commands print: `drift`, `check`, and `revision` (with `--autogenerate`).

use std::path::Path;

use serde_json::{Value, json};

use super::{cut, described};
use crate::cli::Format;
use crate::cli::drift::{Report, Source};
use crate::cli::shown::{ERROR, JSON, SQL, shown};
use crate::revision::Dialect;
use crate::schema::Change;
use crate::url::DatabaseUrl;

/// `drift`: each difference and where the expected schema came from, then the SQL that brings
/// the database back to each, as one script.
pub(in crate::cli) fn drift(format: Format, url: &DatabaseUrl, report: &Report) {
    match format {
        Format::Json => {
            let differences: Vec<Value> = report
                .found
                .iter()
                .map(|f| {
                    let mut item = serde_json::to_value(&f.drifted).unwrap_or(Value::Null);
                    if let Value::Object(map) = &mut item {
                        map.insert("source".into(), json!(f.source.name()));
                        map.insert(
                            "description".into(),
                            json!(shown(&f.drifted.to_string(), JSON)),
                        );
                    }
                    item
                })
                .collect();
            let repairs: serde_json::Map<String, Value> = report
                .repairs
                .iter()
                .map(|(source, sql)| (source.name().to_string(), json!(sql)))
                .collect();
            say!(
                "{}",
                json!({
                    "database": url.masked(),
                    "current": report.heads,
                    "record": report.record,
                    "record_note": report.record_note,
                    "declared": report.declared,
                    "differences": differences,
                    "repair": repairs,
                })
            );
        }
        Format::Text => {
            let record = match (report.record, &report.record_note) {
                ("none", _) => {
                    "no schema recorded yet (the next migration records it, or drift --record)"
                        .to_string()
                }
                ("stale", Some(at)) => format!(
                    "the record was taken at {at}, not at the current revisions: not compared"
                ),
                ("same", _) => "the same as recorded after the last migration".to_string(),
                (other, _) => format!("{other} from the record of the last migration"),
            };
            let declared = match report.declared {
                "none" => "no declared schema embedded",
                "same" => "the same as the declared schema",
                _ => "drifted from the declared schema",
            };
            say!(
                "Schema of {} at {}: {record}; {declared}",
                url.masked(),
                described(&report.heads)
            );
            for f in &report.found {
                say!(
                    "DRIFT ({}): {}",
                    f.source.name(),
                    shown(&f.drifted.to_string(), ERROR)
                );
            }
            if report.found.is_empty() {
                say!("No drift.");
                return;
            }
            for (source, sql) in &report.repairs {
                let to = match source {
                    Source::Record => "the record",
                    Source::Declared => "the declared schema",
                };
                say!("-- SQL that brings the database back to {to} (review it; nothing was run):");
                for statement in sql {
                    say!("{};", shown(statement.trim_end_matches(';'), SQL));
                }
            }
        }
    }
}

/// `drift --record`: what was recorded.
pub(in crate::cli) fn drift_recorded(url: &DatabaseUrl, recorded: &crate::migrator::Recorded) {
    say!(
        "Recorded the schema of {} at {} as the expected one: {} tables, fingerprint {}",
        url.masked(),
        described(&recorded.heads),
        recorded.tables,
        &recorded.fingerprint[..recorded.fingerprint.len().min(12)]
    );
}

/// `check`: where it checked, and each difference found.
pub fn check(format: Format, url: Option<&DatabaseUrl>, head: &str, changes: &[Change]) {
    let place = match url {
        Some(u) if u.dialect != Dialect::Sqlite => format!("scratch databases on {}", u.masked()),
        _ => "SQLite in memory".to_string(),
    };
    if format == Format::Json {
        let list: Vec<String> = changes.iter().map(|c| cut(&c.to_string())).collect();
        say!(
            "{}",
            json!({"ok": changes.is_empty(), "checked_on": place, "changes": list})
        );
    } else if changes.is_empty() {
        say!("No differences: the migrations at {head} build the declared schema ({place}).");
    } else {
        say!("The migrations at head differ from the declared schema ({place}):");
        for c in changes {
            say!("  - {}", shown(&c.to_string(), ERROR));
        }
        say!(
            "Write the revision they need: {} revision --autogenerate -m \"<message>\"",
            crate::app::current().name
        );
    }
}

/// `revision --autogenerate` found the database already matching the declared schema.
pub fn no_schema_changes(url: &DatabaseUrl, current: &[String], schema_dir: &Path) {
    say!(
        "No changes in schema detected: {url} at {} matches {}; no revision written.",
        described(current),
        schema_dir.display()
    );
}

/// A new revision file was written.
pub fn generated(path: &Path) {
    say!("Generating {} ... done", path.display());
}

/// What to do with the new revision file.
pub fn revision_written(autogenerated: bool) {
    if autogenerated {
        say!(
            "Review the SQL it wrote, then rebuild: the new revision is embedded at the next build."
        );
    } else {
        say!(
            "Write the SQL under '-- +upgrade' (and '-- +downgrade'): a revision with an empty upgrade fails the build."
        );
    }
}

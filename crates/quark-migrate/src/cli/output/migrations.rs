//! What migration runs print: `verify`, `upgrade --verify-only`, a move's report, `--dry-run`,
//! `--sql`.

use serde_json::{Value, json};

use super::{cut, cut_all, described};
use crate::cli::Format;
use crate::cli::shown::{CELL, ID, SQL, shown, shown_ids};
use crate::error::Drift;
use crate::migrator::Report;
use crate::plan::describe;
use crate::remembered::Vouched;
use crate::revision::{Dialect, Direction};
use crate::url::DatabaseUrl;

/// `verify`: the JSON document always, the text line only when nothing drifted (drift is an
/// error, printed as one).
pub fn verify(
    format: Format,
    url: &DatabaseUrl,
    current: &[String],
    drift: &[Drift],
    newer: &[String],
    vouched: &[(String, Vouched)],
) {
    let vouch = |v: &Vouched| match v {
        Vouched::By(key) => (true, format!("signed by trusted key {}", shown(key, CELL))),
        Vouched::Not(why) => (false, shown(why, CELL).into_owned()),
    };
    if format == Format::Json {
        let remembered: Vec<_> = vouched
            .iter()
            .map(|(id, v)| {
                let (ok, said) = vouch(v);
                json!({"revision": cut(id), "vouched": ok, "why": said})
            })
            .collect();
        say!(
            "{}",
            json!({
                "database": url.masked(),
                "current": cut_all(current),
                "ok": drift.is_empty(),
                "drift": drift_json(drift),
                "newer_than_binary": cut_all(newer),
                "remembered": remembered,
            })
        );
    } else if drift.is_empty() {
        say!(
            "{url}: applied revisions match the embedded SQL (current: {})",
            described(current)
        );
        if !newer.is_empty() {
            say!(
                "{url}: {} applied by a newer release; their remembered downgrades match their checksums",
                shown_ids(newer).join(", ")
            );
        }
        for (id, v) in vouched {
            let (ok, said) = vouch(v);
            let verdict = if ok {
                format!("vouched for: {said}")
            } else {
                format!("NOT vouched for ({said}): its downgrade runs only with --trust-remembered")
            };
            say!("{url}: the record of {}: {verdict}", shown(id, ID));
        }
    }
}

/// What `upgrade --verify-only` found: the database ready for this binary.
pub fn verified(format: Format, url: &DatabaseUrl, verified: &crate::Verified) {
    match format {
        Format::Json => say!(
            "{}",
            json!({
                "database": url.masked(),
                "current": verified.current,
                "newer": verified.newer,
                "waited_ms": u64::try_from(verified.waited.as_millis()).unwrap_or(u64::MAX),
            })
        ),
        Format::Text if verified.newer.is_empty() => say!(
            "Verified: {} is at {}, this binary's head; nothing was changed",
            url.masked(),
            described(&verified.current)
        ),
        Format::Text => say!(
            "Verified: {} is at {}, ahead of this binary by {} (a newer release's, compatible); nothing was changed",
            url.masked(),
            described(&verified.current),
            verified.newer.join(", ")
        ),
    }
}

/// What a move did: JSON only (the text form is the log lines written as it ran).
pub fn report(format: Format, url: &DatabaseUrl, report: &Report) {
    if format == Format::Json {
        say!("{}", report_json(&url.masked(), report));
    }
}

/// `--dry-run`: the plan and the SQL it would run.
pub fn dry_run(
    format: Format,
    url: &DatabaseUrl,
    direction: Direction,
    report: &Report,
    sql: &str,
) {
    if format == Format::Json {
        let mut json = report_json(&url.masked(), report);
        json["sql"] = sql.into();
        say!("{json}");
    } else if report.steps.is_empty() {
        say!(
            "-- dry run on {url}: at {}, nothing to {}",
            described(&report.before),
            direction.name()
        );
    } else {
        say!(
            "-- dry run on {url}: {} {} -> {}, {} revision(s); nothing was changed\n",
            direction.name(),
            described(&report.before),
            described(&report.after),
            report.steps.len()
        );
        // A downgrade a newer release recorded comes from the database.
        say_raw!("{}", shown(sql, SQL));
    }
}

/// `--sql`: a header naming the move, then the script.
pub fn script(direction: Direction, dialect: Dialect, report: &Report, sql: &str) {
    say!(
        "-- {} {} -> {} ({dialect}), written by {} {}\n",
        direction.name(),
        describe(&report.before),
        describe(&report.after),
        crate::app::current().name,
        crate::app::current().version
    );
    say_raw!("{sql}");
}

/// What an upgrade or downgrade did, as JSON.
pub(super) fn report_json(database: &str, report: &Report) -> Value {
    json!({
        "database": database,
        "before": cut_all(&report.before),
        "after": cut_all(&report.after),
        "steps": report.steps.iter().map(|s| json!({
            "revision": cut(&s.revision),
            "direction": s.direction.name(),
            "statements": s.statements,
            "duration_ms": s.duration.as_secs_f64() * 1000.0,
        })).collect::<Vec<_>>(),
        "replicated_by": report.replicated_by.as_deref().map(cut),
        "held_back": cut_all(&report.held_back),
    })
}

/// Drifted revisions as JSON.
fn drift_json(drift: &[Drift]) -> Value {
    drift
        .iter()
        .map(|d| {
            json!({
                "revision": cut(&d.revision),
                "path": d.path,
                "recorded_checksum": cut(&d.recorded),
                "embedded_checksum": d.embedded,
            })
        })
        .collect()
}

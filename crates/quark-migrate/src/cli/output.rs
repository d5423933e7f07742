//! Everything the command line prints on stdout, in one place: Alembic's text forms, or one
//! JSON document with `--format json`. Log lines go to stderr through the logger instead.

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::Format;
pub use super::progress_line::ProgressLine;
use super::shown::{CELL, ERROR, ID, JSON, SQL, shown, shown_ids};
use crate::error::Drift;
use crate::migrator::{HistoryEntry, Outcome, Report, Split};
use crate::plan::describe;
use crate::remembered::Vouched;
use crate::revision::{Dialect, Direction, Revision, RevisionMap};
use crate::schema::Change;
use crate::url::DatabaseUrl;

/// Whether stdout's reader went away (a closed pipe): nothing more is written, and the program
/// ends as tools do when their reader goes (exit status 141).
static PIPE_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout found its reader gone.
pub(super) fn pipe_closed() -> bool {
    PIPE_CLOSED.load(Ordering::Relaxed)
}

/// Writes to stdout; a closed pipe is noted, never a panic (as `println!` would).
fn write_out(text: std::fmt::Arguments<'_>, newline: bool) {
    if pipe_closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(text)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        PIPE_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `println!` for the command line's output: a closed pipe ends it quietly.
macro_rules! say {
    () => { write_out(format_args!(""), true) };
    ($($arg:tt)*) => { write_out(format_args!($($arg)*), true) };
}

/// `print!` for the command line's output.
macro_rules! say_raw {
    ($($arg:tt)*) => { write_out(format_args!($($arg)*), false) };
}

/// A list of revisions (`history`, `heads`): one line each, every detail with `-v`, or JSON.
pub fn revisions(format: Format, verbose: bool, map: &RevisionMap, revs: &[&Revision]) {
    if format == Format::Json {
        let list: Vec<_> = revs.iter().map(|r| revision_json(map, r)).collect();
        say!("{}", Value::from(list));
        return;
    }
    for rev in revs {
        if verbose {
            say!("{}", self::verbose(map, rev));
        } else {
            say!("{}", entry(map, rev));
        }
    }
}

/// `current`: the database's revisions, and a revision a run left part-way.
pub fn current(
    format: Format,
    verbose: bool,
    map: &RevisionMap,
    url: &DatabaseUrl,
    revs: &[&Revision],
    interrupted: Option<&HistoryEntry>,
) {
    if format == Format::Json {
        let current: Vec<_> = revs.iter().map(|r| revision_json(map, r)).collect();
        let interrupted = interrupted.map(|e| {
            json!({
                "revision": cut(&e.revision),
                "direction": e.operation.name(),
                "outcome": e.outcome.name(),
                "statements": e.statements,
                "statements_done": e.statements_done,
                "error": e.error.as_deref().map(cut),
                "started_at": cut(&e.applied_at),
            })
        });
        say!(
            "{}",
            json!({"database": url.masked(), "current": current, "interrupted": interrupted})
        );
        return;
    }
    if revs.is_empty() {
        say!("Current revision for {url}: None");
    }
    for rev in revs {
        if verbose {
            say!("Current revision for {url}:\n{}", self::verbose(map, rev));
        } else {
            say!("Current revision for {url}: {}", entry(map, rev));
        }
    }
    if let Some(e) = interrupted {
        say!("{}", interrupted_line(e));
    }
}

/// What a revision left part-way means for the next run.
fn interrupted_line(e: &HistoryEntry) -> String {
    let done = match e.statements_done {
        0 => "no statement completed".to_string(),
        1 => "statement 1 took effect".to_string(),
        n => format!("statements 1-{n} took effect"),
    };
    let next = e.statements_done.saturating_add(1);
    let revision = shown(&e.revision, ID);
    match e.outcome {
        Outcome::InProgress => format!(
            "{revision} partly applied ({} of {} statements, interrupted): {done}; the next upgrade reads from the database whether statement {next} did, and goes on from there",
            e.operation, e.statements
        ),
        _ => format!(
            "{revision} partly applied ({} failed at statement {next} of {}): {done}; repair the database, then {} goes on at statement {next}",
            e.operation,
            e.statements,
            crate::app::command("upgrade --resume")
        ),
    }
}

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

/// `restore --list`: the backups beside a SQLite database, oldest first.
#[cfg(feature = "sqlite")]
pub fn backups(url: &DatabaseUrl, backups: &[std::path::PathBuf]) {
    if backups.is_empty() {
        say!("{url}: no backups");
    }
    for b in backups {
        say!("{}", b.display());
    }
}

/// `restore`: which backup was put back, and where the file it replaced is kept.
#[cfg(feature = "sqlite")]
pub fn restored(url: &DatabaseUrl, restored: &crate::backend::Restored) {
    say!("Restored {url} from {}", restored.from.display());
    if let Some(kept) = &restored.kept {
        say!("The file it replaced is kept as {}", kept.display());
    }
}

/// `branches`: each branch point, then the revisions it branches into.
pub fn branches(map: &RevisionMap, points: &[&Revision]) {
    for rev in points {
        say!("{}", entry(map, rev));
        for child in map.children(&rev.id) {
            say!(
                "    -> {}{}, {}",
                shown(&child.id, ID),
                flags(map, child),
                shown(&child.message, ID)
            );
        }
    }
}

/// `show REV`: every detail of the revisions a target names (none: base).
pub fn show(map: &RevisionMap, revs: &[&Revision]) {
    if revs.is_empty() {
        say!("Rev: base (before the first revision)");
    }
    for rev in revs {
        say!("{}", verbose(map, rev));
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

/// `drift`: each difference and where the expected schema came from, then the SQL that brings
/// the database back to each, as one script.
pub(super) fn drift(format: Format, url: &DatabaseUrl, report: &super::drift::Report) {
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
                    super::drift::Source::Record => "the record",
                    super::drift::Source::Declared => "the declared schema",
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
pub(super) fn drift_recorded(url: &DatabaseUrl, recorded: &crate::migrator::Recorded) {
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

/// `split-version-table`: what moved (or, with --dry-run, would move).
pub fn split(url: &DatabaseUrl, split: &Split, dry_run: bool) {
    let (verb, moved) = if dry_run {
        ("would move", "would be")
    } else {
        ("moved", "are")
    };
    say!(
        "{url}: {verb} {} from {} to {}",
        described(&split.moved),
        shown(&split.from, ID),
        shown(&split.to, ID)
    );
    say!(
        "  {} {} left with {}",
        split.from,
        if dry_run { "would be" } else { "is" },
        if split.kept.is_empty() && split.restored.is_none() {
            "no rows".to_string()
        } else {
            shown_ids(
                &split
                    .kept
                    .iter()
                    .chain(&split.restored)
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .join(", ")
        }
    );
    if let Some(r) = &split.restored {
        say!("  {} {moved} put back in {}", shown(r, ID), split.from);
    }
    if split.history_copied > 0 {
        say!(
            "  {} history rows {moved} copied to {}_history",
            split.history_copied,
            split.to
        );
    }
    if dry_run {
        say!("Nothing was changed.");
    }
}

/// `completions SHELL`: the completion script for `program`.
pub fn completions(shell: clap_complete::Shell, mut command: clap::Command) {
    let name = command.get_name().to_string();
    // Written whole into memory first: clap_complete panics on a write that fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    say_raw!("{}", String::from_utf8_lossy(&script));
}

/// `--version`: the invocation and what it runs.
pub fn version(invocation: &str, version: &str) {
    say!("{invocation} {version}");
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

/// Revision ids as one line shows them: [`describe`] of each [`shown`].
fn described(ids: &[String]) -> String {
    describe(&shown_ids(ids))
}

/// A text as a JSON document holds it: whole, unless huge ([`JSON`]).
fn cut(text: &str) -> String {
    shown(text, JSON).into_owned()
}

/// Each of `texts` [`cut`].
fn cut_all(texts: &[String]) -> Vec<String> {
    texts.iter().map(|t| cut(t)).collect()
}

/// `4358d1b8cc75 -> 1284c81cf727 (head), create lswitch ...`: one revision on one line, as
/// Alembic's history writes it (dependencies in parentheses after the parents). A revision a
/// newer release applied comes from the database: every part is [`shown`].
fn entry(map: &RevisionMap, rev: &Revision) -> String {
    let mut parents = shown(&rev.parents_label(), ID).into_owned();
    let deps: Vec<String> = map
        .dependencies(&rev.id)
        .iter()
        .map(|d| shown(&d.id, ID).into_owned())
        .collect();
    if !deps.is_empty() {
        parents = format!("{parents} ({})", deps.join(", "));
    }
    format!(
        "{parents} -> {}{}, {}",
        shown(&rev.id, ID),
        flags(map, rev),
        shown(&rev.message, ID)
    )
}

fn flags(map: &RevisionMap, rev: &Revision) -> String {
    let mut out = String::new();
    let labels: Vec<String> = map
        .shown_labels(&rev.id)
        .into_iter()
        .map(|l| shown(l, ID).into_owned())
        .collect();
    if !labels.is_empty() {
        out.push_str(&format!(" ({})", labels.join(", ")));
    }
    if map.is_remembered(&rev.id) {
        out.push_str(" (newer than this binary)");
    }
    if map.is_head(&rev.id) {
        out.push_str(" (head)");
    }
    if map.is_branch_point(&rev.id) {
        out.push_str(" (branchpoint)");
    }
    if rev.is_merge() {
        out.push_str(" (mergepoint)");
    }
    out
}

/// Every detail of a revision, as `show` and `--verbose` print it.
fn verbose(map: &RevisionMap, rev: &Revision) -> String {
    let id = shown(&rev.id, ID);
    let mut out = format!("Rev: {id}{}\n", flags(map, rev));
    let parents = shown(&rev.parents_label(), ID).into_owned();
    out.push_str(&format!(
        "{}: {parents}\n",
        if rev.is_merge() { "Merges" } else { "Parent" }
    ));
    let children: Vec<String> = map
        .children(&rev.id)
        .iter()
        .map(|c| shown(&c.id, ID).into_owned())
        .collect();
    if !children.is_empty() {
        out.push_str(&format!(
            "{}: {}\n",
            if children.len() > 1 {
                "Branches into"
            } else {
                "Child"
            },
            children.join(", ")
        ));
    }
    let labels: Vec<String> = map
        .shown_labels(&rev.id)
        .into_iter()
        .map(|l| shown(l, ID).into_owned())
        .collect();
    if !labels.is_empty() {
        out.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    out.push_str(&format!("Path: {}\n", shown(&rev.path, ID)));
    out.push_str(&format!(
        "Transactional: {}\n",
        if rev.transactional { "yes" } else { "no" }
    ));
    let reversible: Vec<&str> = Dialect::ALL
        .iter()
        .filter(|d| rev.can_run(Direction::Downgrade, **d) || rev.is_merge())
        .map(|d| d.name())
        .collect();
    let downgrade = match reversible.len() {
        0 => "no (irreversible: it has no downgrade)".to_string(),
        3 => "yes".to_string(),
        _ => format!("only on {}", reversible.join(", ")),
    };
    out.push_str(&format!(
        "Downgrade: {downgrade}\n\n    {}\n\n",
        shown(&rev.message, ID)
    ));
    out.push_str(&format!("    Revision ID: {id}\n    Revises: {parents}\n"));
    if let Some(date) = &rev.create_date {
        out.push_str(&format!("    Create Date: {}\n", shown(date, ID)));
    }
    out
}

/// A revision as a JSON object, for `--format json`.
fn revision_json(map: &RevisionMap, rev: &Revision) -> Value {
    json!({
        "revision": cut(&rev.id),
        "down_revisions": cut_all(&rev.down_revisions),
        "message": cut(&rev.message),
        "branch_labels": cut_all(&rev.branch_labels),
        "create_date": rev.create_date.as_deref().map(cut),
        "path": cut(&rev.path),
        "transactional": rev.transactional,
        "is_head": map.is_head(&rev.id),
        "is_branch_point": map.is_branch_point(&rev.id),
        "is_merge": rev.is_merge(),
        "newer_than_binary": map.is_remembered(&rev.id),
    })
}

/// What an upgrade or downgrade did, as JSON.
fn report_json(database: &str, report: &Report) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::test_support::rev;

    fn map() -> RevisionMap {
        RevisionMap::new(vec![
            rev("r0", "", ""),
            rev("a1", "r0", "tools"),
            rev("b1", "r0", ""),
            rev("m2", "a1, b1", ""),
        ])
        .unwrap()
    }

    #[test]
    fn entries_carry_alembic_flags() {
        let m = map();
        assert_eq!(
            entry(&m, m.get("r0").unwrap()),
            "<base> -> r0 (branchpoint), message of r0"
        );
        assert_eq!(
            entry(&m, m.get("a1").unwrap()),
            "r0 -> a1 (tools), message of a1"
        );
        assert_eq!(
            entry(&m, m.get("m2").unwrap()),
            "a1, b1 -> m2 (tools) (head) (mergepoint), message of m2"
        );
    }

    #[test]
    fn verbose_lists_parents_children_labels_and_reversibility() {
        let m = map();
        let r0 = verbose(&m, m.get("r0").unwrap());
        assert!(r0.starts_with("Rev: r0 (branchpoint)\nParent: <base>\nBranches into: a1, b1\nPath: migrations/r0_x.sql\n"), "{r0}");
        let m2 = verbose(&m, m.get("m2").unwrap());
        assert!(
            m2.contains("Merges: a1, b1\n")
                && m2.contains("Branch names: tools\n")
                && m2.contains("Downgrade: yes\n"),
            "{m2}"
        );
        let mut irreversible = rev("x9", "", "");
        irreversible.downgrade = Default::default();
        let single = RevisionMap::new(vec![irreversible]).unwrap();
        assert!(
            verbose(&single, single.get("x9").unwrap()).contains("Downgrade: no (irreversible")
        );
    }

    #[test]
    fn revisions_a_newer_release_applied_are_marked_in_text_and_json() {
        let mut newer = rev("n2", "x1", "");
        newer.path = "<remembered in alembic_version_revisions>".into();
        let embedded = RevisionMap::new(vec![rev("x1", "", "")]).unwrap();
        let m = RevisionMap::with_remembered(&embedded, vec![newer]).unwrap();
        assert_eq!(
            entry(&m, m.get("n2").unwrap()),
            "x1 -> n2 (newer than this binary) (head), message of n2"
        );
        assert_eq!(
            entry(&m, m.get("x1").unwrap()),
            "<base> -> x1, message of x1"
        );
        assert_eq!(
            revision_json(&m, m.get("n2").unwrap())["newer_than_binary"],
            true
        );
        assert_eq!(
            revision_json(&m, m.get("x1").unwrap())["newer_than_binary"],
            false
        );
    }

    #[test]
    fn text_from_the_database_is_escaped_and_cut() {
        // As a newer release's revision is read back from the records table.
        let mut newer = rev("n2", "x1", "");
        newer.id = "n2\x1b[2J".into();
        newer.message = format!("wiped\r\x1b]0;title\x07{}", "m".repeat(10_000));
        newer.path = "<remembered in alembic_version_revisions>".into();
        let embedded = RevisionMap::new(vec![rev("x1", "", "")]).unwrap();
        let m = RevisionMap::with_remembered(&embedded, vec![newer]).unwrap();
        let n2 = m.get("n2\x1b[2J").unwrap();
        for text in [entry(&m, n2), verbose(&m, n2)] {
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
            assert!(text.contains("n2\\x1b[2J"), "{text}");
            assert!(text.contains("wiped\\r\\x1b]0;title\\x07mmm"), "{text}");
            assert!(text.contains("... [9816 more characters]"), "{text}");
            assert!(text.len() < 1000, "{text}");
        }
        // JSON keeps the characters (JSON escapes them) and cuts only huge values.
        let json = revision_json(&m, n2);
        assert_eq!(json["revision"], "n2\x1b[2J");
        assert_eq!(json["message"].as_str().unwrap().chars().count(), 10_016);
        let entry = HistoryEntry {
            revision: "r\x1b".into(),
            operation: crate::store::Operation::Upgrade,
            checksum: None,
            applied_at: String::new(),
            duration: std::time::Duration::ZERO,
            outcome: Outcome::Failed,
            statements: 3,
            statements_done: usize::MAX,
            error: None,
        };
        let line = interrupted_line(&entry);
        assert!(line.starts_with("r\\x1b partly applied"), "{line}");
        assert_eq!(described(&["a\nb".into()]), "a\\nb");
    }
}

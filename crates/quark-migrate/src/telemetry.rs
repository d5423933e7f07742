//! The engine's spans and metrics, for any `tracing` subscriber (an OpenTelemetry exporter
//! among them): one place for their names and attributes, which follow OpenTelemetry's
//! database conventions where they exist (`db.system.name`, `db.namespace`, `server.address`,
//! `server.port`, `db.operation.name`, `db.operation.batch.size`, `code.file.path`,
//! `code.line.number`, `error.type`) and are named `quark.*` where they do not; tracing-
//! opentelemetry reads `otel.status_code` and `otel.status_message` as the span's status, and
//! events whose fields start with `monotonic_counter.` or `histogram.` as metrics.
//! docs/observability.md lists them. Messages stay on `log`.

use std::fmt::Display;
use std::time::Duration;

use tracing::field::Empty;
use tracing::{Span, info_span};

use crate::plan::Step;
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// A run over many databases.
pub(crate) fn fleet(databases: usize, jobs: usize, waves: usize) -> Span {
    info_span!(
        "quark.fleet",
        quark.databases = databases,
        quark.jobs = jobs,
        quark.waves = waves,
        quark.failed = Empty,
        quark.not_started = Empty,
    )
}

/// One database, named by `url`, as a run over many (or a start-up from a URL) migrates it.
pub(crate) fn database(url: &DatabaseUrl, wave: Option<usize>) -> Span {
    let database = url.database.as_deref().unwrap_or("");
    // PostgreSQL's namespace is `{database}|{schema}` in OpenTelemetry's conventions.
    let namespace = match url.option("schema") {
        Some(schema) => format!("{database}|{schema}"),
        None => database.to_string(),
    };
    let span = info_span!(
        "quark.database",
        db.system.name = url.dialect.name(),
        db.namespace = namespace,
        server.address = Empty,
        server.port = Empty,
        quark.wave = Empty,
        otel.status_code = Empty,
        otel.status_message = Empty,
        error.type = Empty,
    );
    if let Some(host) = &url.host {
        span.record("server.address", host.as_str());
    }
    if let Some(port) = url.port {
        span.record("server.port", port);
    }
    if let Some(wave) = wave {
        span.record("quark.wave", wave);
    }
    span
}

/// An upgrade to head of one database.
pub(crate) fn upgrade(dialect: Dialect) -> Span {
    info_span!(
        "quark.upgrade",
        db.system.name = dialect.name(),
        quark.revisions = Empty,
        quark.at_head = Empty,
        otel.status_code = Empty,
        otel.status_message = Empty,
        error.type = Empty,
    )
}

/// One revision applied (or undone).
pub(crate) fn revision(step: &Step<'_>) -> Span {
    info_span!(
        "quark.revision",
        quark.revision = step.revision.id.as_str(),
        quark.direction = step.direction.name(),
        quark.message = step.revision.message.as_str(),
        code.file.path = step.revision.path.as_str(),
        quark.statements = Empty,
        otel.status_code = Empty,
        otel.status_message = Empty,
        error.type = Empty,
    )
}

/// One statement of a revision, run on its own (`index` from 0).
pub(crate) fn statement(sql: &str, dialect: Dialect, line: usize, index: usize) -> Span {
    info_span!(
        "quark.statement",
        db.operation.name = operation(sql, dialect).as_str(),
        code.line.number = line,
        quark.statement.index = index,
    )
}

/// The statements of a revision sent as one batch.
pub(crate) fn batch(size: usize) -> Span {
    info_span!("quark.statements", db.operation.batch.size = size)
}

/// A wait for a lock another session holds: the migration lock, or a lock a statement waited for.
pub(crate) fn lock_wait(place: &str) -> Span {
    info_span!("quark.lock_wait", quark.lock = place, quark.holder = Empty)
}

/// One chunk of rows a data revision handles.
pub(crate) fn chunk(rows: usize) -> Span {
    info_span!("quark.chunk", quark.rows = rows)
}

/// Records on `span` whether what it covers succeeded, and why not.
pub(crate) fn finish<T, E: Display>(
    span: &Span,
    result: &Result<T, E>,
    kind: impl Fn(&E) -> &'static str,
) {
    match result {
        Ok(_) => {
            span.record("otel.status_code", "ok");
        }
        Err(e) => {
            span.record("otel.status_code", "error");
            span.record("otel.status_message", e.to_string().as_str());
            span.record("error.type", kind(e));
        }
    }
}

/// The metrics of a revision that finished: a count of revisions by direction and outcome, and
/// a histogram of how long each took.
pub(crate) fn revision_finished(step: &Step<'_>, duration: Duration, ok: bool) {
    tracing::info!(
        monotonic_counter.quark.revisions = 1_u64,
        histogram.quark.revision.duration = duration.as_secs_f64(),
        quark.revision = step.revision.id.as_str(),
        quark.direction = step.direction.name(),
        quark.outcome = if ok { "success" } else { "failure" },
    );
}

/// The operation a statement performs: its first word, upper-case (`CREATE`, `UPDATE`), as the
/// lexer reads it (after any comment).
fn operation(sql: &str, dialect: Dialect) -> String {
    crate::lexer::lex(sql, dialect, 1)
        .map_while(Result::ok)
        .find(|t| t.kind == crate::lexer::Kind::Word)
        .map(|t| sql[t.start..t.end].to_ascii_uppercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Dialect::*;

    #[test]
    fn a_statements_operation_is_its_first_word_after_comments() {
        assert_eq!(
            super::operation("  create index x ON t (a)", Sqlite),
            "CREATE"
        );
        assert_eq!(
            super::operation("-- drop it\n/* not */ UPDATE t SET a = 1", Postgresql),
            "UPDATE"
        );
        assert_eq!(super::operation("# note\n(SELECT 1)", Mysql), "SELECT");
        assert_eq!(super::operation("", Sqlite), "");
    }
}

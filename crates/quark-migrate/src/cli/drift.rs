//! `drift`: the live schema against the one recorded after the last migration, and against the
//! declared schema the binary embeds; each difference in words and JSON, with the SQL that
//! brings the database back. `drift --record` adopts the live schema as the expected one.

use std::process::ExitCode;

use super::{Context, Failure, output};
use crate::SchemaFile;
use crate::migrator::SchemaCheck;
use crate::schema::{self, Drifted};

/// Where an expected schema comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The record written after the last migration.
    Record,
    /// The declared schema (`migrations/schema/*.sql`) embedded in the binary.
    Declared,
}

impl Source {
    /// Its name in the output.
    pub(super) fn name(self) -> &'static str {
        match self {
            Source::Record => "record",
            Source::Declared => "declared",
        }
    }
}

/// One difference found, and against what.
pub(super) struct Found {
    pub source: Source,
    pub drifted: Drifted,
}

/// What `drift` found, for the output.
pub(super) struct Report {
    /// The revisions the database is at.
    pub heads: Vec<String>,
    /// How the comparison with the record went: `same`, `drifted`, `none` (no record), `stale`.
    pub record: &'static str,
    /// When the record was taken (RFC 3339), or at which revisions when stale.
    pub record_note: Option<String>,
    /// Whether the declared schema was compared: `same`, `drifted`, or `none` (none embedded).
    pub declared: &'static str,
    pub found: Vec<Found>,
    /// Per source with differences, the SQL that brings the database back to it, as one script
    /// (repairs of single items can undo one another: a table rebuilt, a column restated).
    pub repairs: Vec<(Source, Vec<String>)>,
}

/// `drift [--record]`.
pub(super) fn drift(
    ctx: &Context<'_>,
    schema_files: &[SchemaFile],
    record: bool,
) -> Result<ExitCode, Failure> {
    let (url, mut db) = ctx.connect()?;
    let migrator = ctx.migrator()?;
    let db = db.as_mut();
    let heads = migrator.version_rows(db)?;
    if record {
        let recorded = migrator.record_now(db)?;
        output::drift_recorded(&url, &recorded);
        return Ok(ExitCode::SUCCESS);
    }
    let dialect = db.dialect();
    let mut found = Vec::new();
    let mut repairs = Vec::new();
    let (record, record_note) = match migrator.check_schema(db, &heads)? {
        SchemaCheck::NoRecord => ("none", None),
        SchemaCheck::Stale { recorded_at } => ("stale", Some(crate::plan::describe(&recorded_at))),
        SchemaCheck::Same => ("same", None),
        SchemaCheck::Drifted {
            differences,
            expected,
            live,
        } => {
            let sql = schema::repair_sql(&expected, &live, &differences, dialect);
            repairs.push((Source::Record, sql));
            found.extend(differences.into_iter().map(|drifted| Found {
                source: Source::Record,
                drifted,
            }));
            ("drifted", None)
        }
    };
    let declared_files = SchemaFile::declared(schema_files);
    let declared = if declared_files.is_empty() {
        "none"
    } else {
        if !ctx.cli.verbose {
            // The scratch database's log lines are noise here.
            log::set_max_level(log::LevelFilter::Warn);
        }
        let expected = ctx
            .migrations
            .declared_schema(Some(&url), &declared_files)?;
        let live = migrator.live_schema(db)?;
        let differences = schema::drift(&expected, &live);
        if differences.is_empty() {
            "same"
        } else {
            let sql = schema::repair_sql(&expected, &live, &differences, dialect);
            repairs.push((Source::Declared, sql));
            found.extend(differences.into_iter().map(|drifted| Found {
                source: Source::Declared,
                drifted,
            }));
            "drifted"
        }
    };
    let report = Report {
        heads,
        record,
        record_note,
        declared,
        found,
        repairs,
    };
    output::drift(ctx.format(), &url, &report);
    Ok(if report.found.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

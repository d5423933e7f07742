//! What the build finds in each statement, read by the revision classifier: a destructive
//! change (a dropped or renamed table or column, a narrowed type, a new NOT NULL, a dropped key)
//! must be declared, so that older releases still running against the new schema are warned
//! of; a revision that makes one without `Breaking:` fails the build at its `file:line`.
//!
//! A statement is taken as safe when a comment says why, on the line above it or inside it:
//! `-- not breaking: <why>`. Changes to a table the same revision creates are not judged, nor
//! SQLite's table rebuild (the table dropped and a new one renamed to its name).

use std::collections::HashSet;

use crate::revision::{Change, Dialect, Direction, Revision, RevisionMap, classify};
use crate::source::SourceFile;

/// The comment that declares one destructive statement safe.
pub const NOT_BREAKING: &str = "-- not breaking:";

/// One finding, as a build error line with its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `file:line`.
    pub at: String,
    /// What the statement does and why it matters.
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// The destructive statements of revisions without `Breaking:`, on the dialects `targets`
/// accepts; each statement once, whichever dialects run it.
pub fn undeclared_destructive(
    map: &RevisionMap,
    files: &[SourceFile],
    targets: impl Fn(Dialect) -> bool,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for rev in map
        .iter()
        .filter(|r| r.breaking.is_none() && r.code.is_none())
    {
        let text = files
            .iter()
            .find(|f| f.path == rev.path)
            .map(|f| f.text.as_str());
        for dialect in Dialect::ALL.into_iter().filter(|d| targets(*d)) {
            for (line, sql, reason) in destructive(rev, dialect) {
                if acknowledged(&sql, text, line) || !seen.insert((rev.path.clone(), line)) {
                    continue;
                }
                let shown: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                let shown = match shown.char_indices().nth(100) {
                    Some((cut, _)) => format!("{}...", &shown[..cut]),
                    None => shown,
                };
                found.push(Finding {
                    at: format!("{}:{line}", rev.path),
                    what: format!(
                        "`{shown}` {reason} (on {dialect}).\n  hint: mark the revision `Breaking: <what older releases cannot run on>` (the contract step, shipped once no release that needs the old schema runs), or say why it is safe above the statement: `{NOT_BREAKING} <why>`"
                    ),
                });
            }
        }
    }
    found
}

/// The destructive statements of `rev`'s upgrade on `dialect`: line, text and why.
fn destructive(rev: &Revision, dialect: Dialect) -> Vec<(usize, String, &'static str)> {
    let Some(Ok(statements)) = rev.statements(Direction::Upgrade, dialect) else {
        return Vec::new();
    };
    let classified: Vec<_> = statements
        .iter()
        .map(|s| classify(&s.sql, dialect))
        .collect();
    let changes = || classified.iter().flat_map(|c| &c.changes);
    // Tables this revision creates (by CREATE or as the new table of a rebuild), and the
    // tables it rebuilds: a table dropped that another is renamed to.
    let created: HashSet<&str> = changes()
        .filter_map(|c| match c {
            Change::CreateTable { table } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    let renamed_to: HashSet<&str> = changes()
        .filter_map(|c| match c {
            Change::RenameTable { to, .. } => Some(to.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for (statement, class) in statements.iter().zip(&classified) {
        let reason = class.changes.iter().find_map(|change| {
            let table = change.table().unwrap_or_default();
            let rebuilt = matches!(change, Change::DropTable { table } if renamed_to.contains(table.as_str()))
                || matches!(change, Change::RenameTable { table, .. } if created.contains(table.as_str()));
            if created.contains(table) && !matches!(change, Change::RenameTable { .. }) || rebuilt {
                return None;
            }
            change.destructive()
        });
        if let Some(reason) = reason {
            out.push((statement.line, statement.sql.clone(), reason));
        }
    }
    out
}

/// Whether the statement at `line` of the file `text` (its text `sql`) carries a
/// `-- not breaking: <why>` comment, inside it or in the comment lines right above it.
fn acknowledged(sql: &str, text: Option<&str>, line: usize) -> bool {
    let says = |l: &str| {
        l.trim_start()
            .strip_prefix(NOT_BREAKING)
            .is_some_and(|why| !why.trim().is_empty())
    };
    let inside = sql
        .lines()
        .any(|l| l.find("--").is_some_and(|at| says(&l[at..])));
    let lines: Vec<&str> = text.map(|t| t.lines().collect()).unwrap_or_default();
    let above = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .take_while(|l| l.trim_start().starts_with("--"))
        .any(|l| says(l));
    inside || above
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::build_map;

    fn files(body: &str, header: &str) -> Vec<SourceFile> {
        vec![
            SourceFile {
                path: "migrations/a1_x.sql".into(),
                name: "a1_x.sql".into(),
                text: "-- base\n--\n-- Revision ID: a1\n-- Revises: None\n\n-- +upgrade\nCREATE TABLE items (id INT, name VARCHAR(9), note VARCHAR(9));\n".into(),
            },
            SourceFile {
                path: "migrations/b2_x.sql".into(),
                name: "b2_x.sql".into(),
                text: format!("-- next\n--\n-- Revision ID: b2\n-- Revises: a1\n{header}\n-- +upgrade\n{body}\n"),
            },
        ]
    }

    fn findings(body: &str, header: &str) -> Vec<String> {
        let files = files(body, header);
        let map = build_map(&files).unwrap();
        undeclared_destructive(&map, &files, |_| true)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_destructive_statement_needs_the_header_and_is_named_by_file_and_line() {
        let found = findings(
            "ALTER TABLE items ADD COLUMN x INT;\nALTER TABLE items DROP COLUMN name;",
            "",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "migrations/b2_x.sql:8: `ALTER TABLE items DROP COLUMN name` drops the column"
            ),
            "{}",
            found[0]
        );
        assert!(found[0].contains("Breaking:"));
        assert!(
            findings(
                "ALTER TABLE items DROP COLUMN name;",
                "-- Breaking: drops items.name"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_comment_says_why_one_statement_is_safe() {
        assert!(findings("-- not breaking: nothing has read it since 1.2\nALTER TABLE items DROP COLUMN note;", "").is_empty());
        assert!(findings("ALTER TABLE items ADD COLUMN z INT;\n-- not breaking: unused since 1.2\n-- +postgresql, mysql\nALTER TABLE items DROP COLUMN note;", "").is_empty(), "above a dialect marker");
        assert_eq!(
            findings(
                "-- not breaking: unused\n\nALTER TABLE items DROP COLUMN note;",
                ""
            )
            .len(),
            1,
            "a blank line ends the comment block"
        );
        assert!(
            findings(
                "ALTER TABLE items DROP COLUMN note -- not breaking: unused since 1.2\n;",
                ""
            )
            .is_empty()
        );
        assert_eq!(
            findings("-- not breaking:\nALTER TABLE items DROP COLUMN note;", "").len(),
            1,
            "a reason is required"
        );
    }

    #[test]
    fn tables_the_revision_creates_and_rebuilds_are_not_judged() {
        assert!(findings("CREATE TABLE tmp (id INT);\nDROP TABLE tmp;", "").is_empty());
        let rebuild = "CREATE TABLE _new_items (id INT, name VARCHAR(9));\nINSERT INTO _new_items SELECT id, name FROM items;\nDROP TABLE items;\nALTER TABLE _new_items RENAME TO items;";
        assert!(
            findings(rebuild, "").is_empty(),
            "{:?}",
            findings(rebuild, "")
        );
        assert_eq!(findings("DROP TABLE items;", "").len(), 1);
        assert_eq!(findings("ALTER TABLE items RENAME TO things;", "").len(), 1);
    }
}

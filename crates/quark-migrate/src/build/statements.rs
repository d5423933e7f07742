//! What the build finds in each statement, read by the revision classifier: a destructive
//! change (a dropped or renamed table or column, a narrowed type, a new NOT NULL, a dropped key)
//! must be declared, so that older releases still running against the new schema are warned
//! of; a revision that makes one without `Breaking:` fails the build at its `file:line`.
//!
//! A statement is taken as safe when a comment says why, on the line above it or inside it:
//! `-- not breaking: <why>`. Changes to a table the same revision creates are not judged, nor
//! SQLite's table rebuild (the table dropped and a new one renamed to its name).
//!
//! The same classification finds the statements that hold a lock for the length of a table on
//! PostgreSQL or MySQL/MariaDB (an index built without `CONCURRENTLY`, a constraint validated
//! under its lock, a table rewritten or copied): build warnings with the safe form, or errors
//! when asked; `-- lock accepted: <why>` accepts one.

use std::collections::{HashMap, HashSet};

use crate::revision::{
    Dialect, Direction, Revision, RevisionMap, TableChange, classify, revision_lock_risks,
};
use crate::source::SourceFile;

/// The comment that declares one destructive statement safe.
pub const NOT_BREAKING: &str = "-- not breaking:";

/// The comment that accepts one statement's lock, rewrite or scan.
pub const LOCK_ACCEPTED: &str = "-- lock accepted:";

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

/// Each file's text by its path (a lookup per revision, not a scan of every file).
fn texts(files: &[SourceFile]) -> HashMap<&str, &str> {
    files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect()
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
    let texts = texts(files);
    for rev in map
        .iter()
        .filter(|r| r.breaking.is_none() && r.code.is_none())
    {
        let text = texts.get(rev.path.as_str()).copied();
        for dialect in Dialect::ALL.into_iter().filter(|d| targets(*d)) {
            for (line, sql, reason, two_steps) in destructive(rev, dialect) {
                if said(NOT_BREAKING, &sql, text, line) || !seen.insert((rev.path.clone(), line)) {
                    continue;
                }
                let two_steps = if two_steps {
                    "\n  hint: in two steps, safe for a rolling deploy: expand (a revision that adds the new column and fills it, with `Db::in_chunks`/`update_rows` on a large table; the release that ships it reads only the new column), then contract (drop the old column) in a later revision marked `Breaking: <what it drops>` and `Compatible From: <the expand revision>`"
                } else {
                    ""
                };
                found.push(Finding {
                    at: format!("{}:{line}", rev.path),
                    what: format!(
                        "`{}` {reason} (on {dialect}).{two_steps}\n  hint: mark the revision `Breaking: <what older releases cannot run on>` (the contract step, shipped once no release that needs the old schema runs), or say why it is safe above the statement: `{NOT_BREAKING} <why>`",
                        shown(&sql)
                    ),
                });
            }
        }
    }
    found
}

/// The statements that lock, rewrite or scan a table they do not create, in the revisions
/// `judged` accepts, on the dialects `targets` accepts: what the server does and the safe form.
pub fn lock_risks(
    map: &RevisionMap,
    files: &[SourceFile],
    targets: impl Fn(Dialect) -> bool,
    judged: impl Fn(&Revision) -> bool,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let texts = texts(files);
    for rev in map.iter().filter(|r| r.code.is_none() && judged(r)) {
        let text = texts.get(rev.path.as_str()).copied();
        for dialect in Dialect::ALL.into_iter().filter(|d| targets(*d)) {
            let Some(Ok(statements)) = rev.statements(Direction::Upgrade, dialect) else {
                continue;
            };
            let classified: Vec<_> = statements
                .iter()
                .map(|s| classify(&s.sql, dialect))
                .collect();
            let risks = revision_lock_risks(&classified, dialect, rev.transactional);
            for (statement, risk) in statements.iter().zip(risks) {
                let Some(risk) = risk else {
                    continue;
                };
                if said(LOCK_ACCEPTED, &statement.sql, text, statement.line) {
                    continue;
                }
                found.push(Finding {
                    at: format!("{}:{}", rev.path, statement.line),
                    what: format!(
                        "`{}` {} (on {dialect}). Safe form: {}; or accept it above the statement: `{LOCK_ACCEPTED} <why>`",
                        shown(&statement.sql),
                        risk.reason,
                        risk.safe_form
                    ),
                });
            }
        }
    }
    found
}

/// A statement on one line, cut at 100 characters.
fn shown(sql: &str) -> String {
    let shown: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match shown.char_indices().nth(100) {
        Some((cut, _)) => format!("{}...", &shown[..cut]),
        None => shown,
    }
}

/// The destructive statements of `rev`'s upgrade on `dialect`: line, text, why, and whether
/// expand/contract would make it safe (a column renamed or retyped).
fn destructive(rev: &Revision, dialect: Dialect) -> Vec<(usize, String, &'static str, bool)> {
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
            TableChange::CreateTable { table } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    let renamed_to: HashSet<&str> = changes()
        .filter_map(|c| match c {
            TableChange::RenameTable { to, .. } => Some(to.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for (statement, class) in statements.iter().zip(&classified) {
        let reason = class.changes.iter().find_map(|change| {
            let table = change.table().unwrap_or_default();
            let rebuilt = matches!(change, TableChange::DropTable { table } if renamed_to.contains(table.as_str()))
                || matches!(change, TableChange::RenameTable { table, .. } if created.contains(table.as_str()));
            if created.contains(table) && !matches!(change, TableChange::RenameTable { .. }) || rebuilt {
                return None;
            }
            let two_steps = matches!(
                change,
                TableChange::RenameColumn { .. } | TableChange::AlterColumnType { .. }
            );
            change.destructive().map(|reason| (reason, two_steps))
        });
        if let Some((reason, two_steps)) = reason {
            out.push((statement.line, statement.sql.clone(), reason, two_steps));
        }
    }
    out
}

/// Whether the statement at `line` of the file `text` (its text `sql`) carries the comment
/// `marker <why>`, inside it or in the comment lines right above it.
fn said(marker: &str, sql: &str, text: Option<&str>, line: usize) -> bool {
    let says = |l: &str| {
        l.trim_start()
            .strip_prefix(marker)
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
    fn a_rename_or_a_type_change_is_told_the_two_step_form() {
        for body in [
            "ALTER TABLE items RENAME COLUMN name TO label;",
            "ALTER TABLE items ADD COLUMN z INT;\n-- +postgresql\nALTER TABLE items ALTER COLUMN name TYPE TEXT;",
        ] {
            let found = findings(body, "");
            assert_eq!(found.len(), 1, "{body}: {found:?}");
            assert!(
                found[0].contains("in two steps") && found[0].contains("Compatible From:"),
                "{}",
                found[0]
            );
        }
        let dropped = findings("ALTER TABLE items DROP COLUMN name;", "");
        assert!(!dropped[0].contains("in two steps"), "{}", dropped[0]);
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

    fn risks(body: &str) -> Vec<String> {
        let files = files(body, "");
        let map = build_map(&files).unwrap();
        lock_risks(&map, &files, |_| true, |_| true)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_statement_that_locks_a_table_it_did_not_create_is_named_with_the_safe_form() {
        let found = risks("CREATE INDEX ix_items_name ON items (name);");
        assert_eq!(found.len(), 2, "PostgreSQL and MySQL: {found:?}");
        assert!(
            found[0].starts_with("migrations/b2_x.sql:7: `CREATE INDEX ix_items_name ON items (name)` builds the index while blocking writes to the table (on postgresql). Safe form: CREATE INDEX CONCURRENTLY"),
            "{}",
            found[0]
        );
        assert!(
            found[1].contains("(on mysql)") && found[1].contains("ALGORITHM=INPLACE, LOCK=NONE"),
            "{}",
            found[1]
        );
        // The online forms are not at risk.
        assert!(risks("CREATE INDEX ix_n ON items (name) ALGORITHM=INPLACE LOCK=NONE; -- +mysql\nCREATE INDEX CONCURRENTLY ix_n ON items (name); -- +postgresql\nCREATE INDEX ix_n ON items (name); -- +sqlite").is_empty());
    }

    #[test]
    fn a_table_the_revision_creates_is_not_at_risk_and_a_comment_accepts_one_statement() {
        assert!(
            risks(
                "CREATE TABLE tags (id INT, name VARCHAR(9));\nCREATE INDEX ix_tags ON tags (name);"
            )
            .is_empty()
        );
        assert!(risks("-- lock accepted: items holds ten rows in every deployment\nCREATE INDEX ix_items_name ON items (name);").is_empty());
    }
}

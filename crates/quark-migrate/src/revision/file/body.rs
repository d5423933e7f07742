//! A migration file's body, after its header: the sections of a SQL revision, or the functions
//! of a Rust one.

use super::Parser;
use crate::revision::marker::dialects_of;
use crate::revision::{Code, Dialect, Direction, FileError, Revision, Section, Sections};

/// A `-- +upgrade [dialect]` marker, or `None` if the line is not one.
pub(super) fn marker(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start();
    rest.strip_prefix('+').map(str::trim)
}

/// The line of `pub fn <name>(` in Rust source, if any.
fn function_line(lines: &[&str], name: &str) -> Option<usize> {
    let wanted = format!("pub fn {name}(");
    lines
        .iter()
        .position(|l| l.trim_start().starts_with(&wanted))
        .map(|i| i + 1)
}

/// Whether the marker `spec` (after the `+`) of `line` limits the next statement to dialects,
/// rather than starting a section.
fn is_statement_marker(spec: &str, line: &str) -> bool {
    let name = spec.split_whitespace().next().unwrap_or("");
    !matches!(name, "upgrade" | "downgrade") && dialects_of(line).is_some_and(|d| d.is_ok())
}

/// The sections read so far, and the one being read.
#[derive(Default)]
struct Body<'l> {
    up: Sections,
    down: Sections,
    /// The section being read: its direction, dialect, first SQL line and lines so far.
    current: Option<(Direction, Option<Dialect>, usize, Vec<&'l str>)>,
    /// Each section started so far, with its marker's line.
    seen: Vec<(Direction, Option<Dialect>, usize)>,
}

impl Body<'_> {
    /// Ends the section being read, if any, keeping it.
    fn close(&mut self) {
        if let Some((dir, dialect, line, body)) = self.current.take() {
            let target = if dir == Direction::Upgrade {
                &mut self.up
            } else {
                &mut self.down
            };
            let section = Section {
                sql: body.join("\n").trim_end().to_string(),
                line,
            };
            match dialect {
                None => target.generic = Some(section),
                Some(d) => target.dialects.push((d, section)),
            }
        }
    }
}

impl Parser<'_> {
    /// Reads the sections after the header.
    pub(super) fn body(&mut self, lines: &[&str], start: usize) -> (Sections, Sections) {
        let mut body = Body::default();
        for (i, line) in lines.iter().enumerate().skip(start) {
            let lineno = i + 1;
            match marker(line) {
                Some(spec) if !is_statement_marker(spec, line) => {
                    self.section_start(&mut body, spec, lineno)
                }
                Some(spec) => self.statement_marker(&mut body, line, spec, lineno),
                None => self.sql_line(&mut body, line, lineno),
            }
        }
        body.close();
        (body.up, body.down)
    }

    /// A line that is no marker: part of the section being read; SQL before the first section
    /// is an error.
    fn sql_line<'l>(&mut self, body: &mut Body<'l>, line: &'l str, lineno: usize) {
        match &mut body.current {
            Some((_, _, _, lines)) => lines.push(line),
            None if line.trim().is_empty() || line.trim_start().starts_with("--") => {}
            None => {
                self.err(lineno, "SQL before the first '-- +upgrade' marker")
                    .hint =
                    Some("put statements under a '-- +upgrade' or '-- +downgrade' line".into());
            }
        }
    }

    /// A statement marker (`spec` after the `+`): part of the section, read when it is split;
    /// before the first section, an error.
    fn statement_marker<'l>(
        &mut self,
        body: &mut Body<'l>,
        line: &'l str,
        spec: &str,
        lineno: usize,
    ) {
        match &mut body.current {
            Some((_, _, _, lines)) => lines.push(line),
            None => {
                self.err(
                    lineno,
                    format!("'-- +{spec}' before the first '-- +upgrade' marker"),
                )
                .hint =
                    Some("a dialect marker limits the statement after it, inside a section".into());
            }
        }
    }

    /// A section marker (`spec` after the `+`): ends the section being read and, unless it is
    /// unknown, starts the next one.
    fn section_start(&mut self, body: &mut Body<'_>, spec: &str, lineno: usize) {
        let mut words = spec.split_whitespace();
        let name = words.next().unwrap_or("");
        let direction = match name {
            "upgrade" => Direction::Upgrade,
            "downgrade" => Direction::Downgrade,
            other => {
                self.err(lineno, format!("unknown section '+{other}'")).hint = Some(
                    "sections are '-- +upgrade [dialect]' and '-- +downgrade [dialect]'; a statement is limited to dialects by '-- +<dialect>[, <dialect>]'".into(),
                );
                body.close();
                return;
            }
        };
        let dialect = match words.next() {
            None => None,
            Some(d) => match Dialect::from_name(d) {
                Some(d) => Some(d),
                None => {
                    self.err(lineno, format!("unknown dialect '{d}' in '-- +{name}'"))
                        .hint = Some("dialects are sqlite, postgresql and mysql".into());
                    body.close();
                    return;
                }
            },
        };
        if let Some(extra) = words.next() {
            self.err(lineno, format!("unexpected '{extra}' after '-- +{spec}'"));
        }
        if let Some(&(_, _, first)) = body
            .seen
            .iter()
            .find(|(d, di, _)| *d == direction && *di == dialect)
        {
            let which = dialect.map(|d| format!(" {d}")).unwrap_or_default();
            self.err(
                lineno,
                format!("section '+{name}{which}' is given twice (first at line {first})"),
            );
        }
        body.seen.push((direction, dialect, lineno));
        body.close();
        body.current = Some((direction, dialect, lineno + 1, Vec::new()));
    }

    /// Every section must split cleanly; upgrades must hold a statement unless the revision merges.
    pub(super) fn check_sections(&mut self, rev: &Revision) {
        if rev.upgrade.is_empty() && !rev.is_merge() {
            self.err(rev.id_line, "no '-- +upgrade' section").hint =
                Some("add '-- +upgrade' followed by the SQL that applies this revision".into());
        }
        for direction in [Direction::Upgrade, Direction::Downgrade] {
            for dialect in Dialect::ALL {
                let Some(result) = rev.statements(direction, dialect) else {
                    continue;
                };
                match result {
                    Err(e) => {
                        if !self.errors.contains(&e) {
                            self.errors.push(e);
                        }
                    }
                    Ok(stmts)
                        if stmts.is_empty()
                            && direction == Direction::Upgrade
                            && !rev.is_merge() =>
                    {
                        let line = rev
                            .section(direction, dialect)
                            .map_or(rev.id_line, |s| s.line - 1);
                        let e = FileError::new(&rev.path, line, "empty upgrade section: it holds no SQL statement")
                            .hint("write the SQL that applies this revision below the marker, or delete the file");
                        if !self.errors.contains(&e) {
                            self.errors.push(e);
                        }
                    }
                    Ok(_) => {}
                }
            }
        }
    }

    /// Finds the functions of a Rust revision.
    pub(super) fn code(&mut self, lines: &[&str], text: &str) -> Option<Code> {
        let Some(upgrade_line) = function_line(lines, "upgrade") else {
            self.err(1, "no 'pub fn upgrade(' in this Rust revision").hint = Some(
                "define 'pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError>' (and optionally 'pub fn downgrade')"
                    .into(),
            );
            return None;
        };
        Some(Code {
            source: text.to_string(),
            upgrade_line,
            downgrade_line: function_line(lines, "downgrade"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{first_error, parse};
    use crate::revision::{Dialect, Direction};

    #[test]
    fn dialect_sections_replace_the_generic_one() {
        let text = "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\n-- +upgrade postgresql\nSELECT 2;\n";
        let r = parse("a_x.sql", text).unwrap();
        assert_eq!(
            r.section(Direction::Upgrade, Dialect::Postgresql)
                .unwrap()
                .sql,
            "SELECT 2;"
        );
        assert_eq!(
            r.section(Direction::Upgrade, Dialect::Mysql).unwrap().sql,
            "SELECT 1;"
        );
        assert!(r.section(Direction::Downgrade, Dialect::Mysql).is_none());
    }

    #[test]
    fn only_a_dialect_section_leaves_other_dialects_without_upgrade() {
        let text =
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade postgresql\nSELECT 2;\n";
        let r = parse("a_x.sql", text).unwrap();
        assert!(r.section(Direction::Upgrade, Dialect::Sqlite).is_none());
    }

    #[test]
    fn sections_limit_statements_and_lines_to_dialects() {
        let text = "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- Earlier Checksums: 0000000000000000000000000000000000000000000000000000000000000000\n\n-- +upgrade\nCREATE TABLE q (\n    \"limit\" INT -- +sqlite, postgresql\n    `limit` INT -- +mysql\n);\n-- +postgresql\nCREATE INDEX ix ON q (id);\n-- +downgrade\nDROP TABLE q;\n";
        let r = parse("a_x.sql", text).unwrap();
        let sql = |d| -> Vec<String> {
            r.statements(Direction::Upgrade, d)
                .unwrap()
                .unwrap()
                .into_iter()
                .map(|s| s.sql)
                .collect()
        };
        assert_eq!(
            sql(Dialect::Sqlite),
            ["CREATE TABLE q (\n    \"limit\" INT\n)"]
        );
        assert_eq!(
            sql(Dialect::Mysql),
            ["CREATE TABLE q (\n    `limit` INT\n)"]
        );
        assert_eq!(sql(Dialect::Postgresql).len(), 2);
        // Each dialect's checksum covers what runs there.
        let sum = |d| r.checksum(Direction::Upgrade, d).unwrap();
        assert_ne!(sum(Dialect::Sqlite), sum(Dialect::Mysql));
        assert!(r.accepts_checksum(Dialect::Mysql, &"0".repeat(64)));
        assert!(r.accepts_checksum(Dialect::Mysql, &sum(Dialect::Mysql)));
        assert!(!r.accepts_checksum(Dialect::Mysql, &sum(Dialect::Sqlite)));

        let e = first_error("a_x.sql", &text.replace("-- +mysql\n);", "-- +db2\n);"));
        assert_eq!(e.line, 10);
        assert!(e.message.contains("unknown dialect 'db2'"), "{e}");
        let e = first_error("a_x.sql", &text.replace("CREATE INDEX ix ON q (id);\n", ""));
        assert_eq!(
            (e.line, e.message.as_str()),
            (12, "a marker with no statement after it")
        );
        let e = first_error("a_x.sql", &text.replace("0000000000", "zz"));
        assert_eq!(e.line, 5);
        assert!(e.message.contains("is not a SHA-256 checksum"), "{e}");
    }

    #[test]
    fn unknown_section_and_dialect() {
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\n-- +sideways\n",
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (7, "unknown section '+sideways'")
        );
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade oracle\nSELECT 1;\n",
        );
        assert_eq!(e.line, 5);
        assert!(e.message.contains("unknown dialect 'oracle'"));
    }

    #[test]
    fn empty_upgrade_is_an_error_except_for_merges() {
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n\n-- +upgrade\n-- nothing yet\n\n-- +downgrade\n",
        );
        assert_eq!(e.line, 6);
        assert!(e.message.starts_with("empty upgrade section"));
        let e = first_error("a_x.sql", "-- x\n--\n-- Revision ID: a\n-- Revises: None\n");
        assert!(e.message.contains("no '-- +upgrade' section"));
        assert!(
            parse(
                "m_x.sql",
                "-- m\n--\n-- Revision ID: m\n-- Revises: a, b\n-- +upgrade\n"
            )
            .is_ok()
        );
    }

    #[test]
    fn unterminated_string_is_located() {
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\nSELECT 'x;\n",
        );
        assert_eq!((e.line, e.message.as_str()), (7, "unterminated string"));
    }
}

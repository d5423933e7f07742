//! Parsing one migration file: the Alembic-style header and the `-- +upgrade`/`-- +downgrade`
//! sections.

use super::{Code, Dialect, Direction, FileError, Revision, Section, Sections, marker};

/// Whether `id` is a valid revision id: 1 to 32 characters of `[0-9a-z_]`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'_')
}

const FORMAT_HINT: &str = "see docs/migration-format.md for the file format";

/// Parses migration file `file_name` (shown as `path`) with contents `text`.
///
/// Every problem found is returned, each naming the file and line.
pub fn parse_revision(path: &str, file_name: &str, text: &str) -> Result<Revision, Vec<FileError>> {
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let language = Language::of(file_name);
    let mut p = Parser {
        path,
        language,
        errors: Vec::new(),
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let (header, body_start) = p.header(&lines);
    let rev = match language {
        Language::Sql => {
            let (upgrade, downgrade) = p.body(&lines, body_start);
            p.finish(file_name, header, upgrade, downgrade, None)
        }
        Language::Rust => {
            let code = p.code(&lines, &text);
            p.finish(
                file_name,
                header,
                Sections::default(),
                Sections::default(),
                code,
            )
        }
    };
    match (rev, p.errors.is_empty()) {
        (Some(rev), true) => Ok(rev),
        _ => Err(p.errors),
    }
}

#[derive(Default)]
struct Header {
    message: Vec<String>,
    message_done: bool,
    id: Option<(String, usize)>,
    revises: Option<(String, usize)>,
    create_date: Option<String>,
    labels: Option<(String, usize)>,
    depends_on: Option<(String, usize)>,
    transactional: Option<(String, usize)>,
    earlier_checksums: Option<(String, usize)>,
    breaking: Option<(String, usize)>,
}

/// What a revision file is written in, told by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    /// `.sql`: a header of `--` comments, then `-- +upgrade` / `-- +downgrade` sections.
    Sql,
    /// `.rs`: a header of `//!` comments, then `pub fn upgrade` and optionally `pub fn downgrade`.
    Rust,
}

impl Language {
    fn of(file_name: &str) -> Language {
        if file_name.ends_with(".rs") {
            Language::Rust
        } else {
            Language::Sql
        }
    }

    /// The prefix of the header's comment lines.
    fn comment_prefix(self) -> &'static str {
        match self {
            Language::Sql => "--",
            Language::Rust => "//!",
        }
    }
}

struct Parser<'a> {
    path: &'a str,
    language: Language,
    errors: Vec<FileError>,
}

/// A `-- +upgrade [dialect]` marker, or `None` if the line is not one.
fn marker(line: &str) -> Option<&str> {
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

impl<'a> Parser<'a> {
    fn err(&mut self, line: usize, message: impl Into<String>) -> &mut FileError {
        self.errors.push(FileError::new(self.path, line, message));
        self.errors.last_mut().expect("just pushed")
    }

    /// Reads the leading comment block; returns it and the index of the first body line.
    fn header(&mut self, lines: &[&str]) -> (Header, usize) {
        let mut h = Header::default();
        let mut i = 0;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        while i < lines.len() && (self.language == Language::Rust || marker(lines[i]).is_none()) {
            let Some(content) = self.comment(lines[i]) else {
                break;
            };
            let lineno = i + 1;
            i += 1;
            let field = content
                .split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()));
            let slot = match field.as_ref().map(|(k, _)| k.as_str()) {
                Some("revision id") => Some(&mut h.id),
                Some("revises") => Some(&mut h.revises),
                Some("branch labels") => Some(&mut h.labels),
                Some("depends on") => Some(&mut h.depends_on),
                Some("transactional") => Some(&mut h.transactional),
                Some("earlier checksums") => Some(&mut h.earlier_checksums),
                Some("breaking") => Some(&mut h.breaking),
                _ => None,
            };
            let value = field.as_ref().map(|(_, v)| v.clone()).unwrap_or_default();
            if let Some(slot) = slot {
                if slot.is_some() {
                    let key = field.map(|(k, _)| k).unwrap_or_default();
                    self.err(lineno, format!("'{key}' is given twice"));
                }
                *slot = Some((value, lineno));
                h.message_done = true;
            } else if matches!(field.as_ref().map(|(k, _)| k.as_str()), Some("create date")) {
                h.create_date = Some(value);
                h.message_done = true;
            } else if h.id.is_some() || h.revises.is_some() {
                if !content.is_empty() {
                    let what = match &field {
                        Some((k, _)) if !k.contains(' ') || k.split(' ').count() <= 3 => {
                            format!(
                                "unknown header field '{}'",
                                content.split(':').next().unwrap_or("").trim()
                            )
                        }
                        _ => format!("unexpected text in the header: '{content}'"),
                    };
                    self.err(lineno, what).hint = Some(
                        "header fields are Revision ID, Revises, Create Date, Branch Labels, Depends On, Transactional, Breaking and Earlier Checksums"
                            .into(),
                    );
                }
            } else if content.is_empty() {
                h.message_done |= !h.message.is_empty();
            } else if !h.message_done {
                h.message.push(content.trim().to_string());
            }
        }
        (h, i)
    }

    /// The text of a header comment line, or `None` if the line is not one.
    fn comment<'l>(&self, line: &'l str) -> Option<&'l str> {
        line.strip_prefix(self.language.comment_prefix())
            .map(|c| c.strip_prefix(' ').unwrap_or(c).trim_end())
    }

    /// Finds the functions of a Rust revision.
    fn code(&mut self, lines: &[&str], text: &str) -> Option<Code> {
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

    /// Reads the sections after the header.
    fn body(&mut self, lines: &[&str], start: usize) -> (Sections, Sections) {
        let mut up = Sections::default();
        let mut down = Sections::default();
        let mut current: Option<(Direction, Option<Dialect>, usize, Vec<&str>)> = None;
        let flush = |cur: Option<(Direction, Option<Dialect>, usize, Vec<&str>)>,
                     up: &mut Sections,
                     down: &mut Sections| {
            if let Some((dir, dialect, line, body)) = cur {
                let target = if dir == Direction::Upgrade { up } else { down };
                let section = Section {
                    sql: body.join("\n").trim_end().to_string(),
                    line,
                };
                match dialect {
                    None => target.generic = Some(section),
                    Some(d) => target.dialects.push((d, section)),
                }
            }
        };
        let mut seen: Vec<(Direction, Option<Dialect>, usize)> = Vec::new();
        for (i, line) in lines.iter().enumerate().skip(start) {
            let lineno = i + 1;
            let Some(spec) = marker(line) else {
                match &mut current {
                    Some((_, _, _, body)) => body.push(line),
                    None if line.trim().is_empty() || line.trim_start().starts_with("--") => {}
                    None => {
                        self.err(lineno, "SQL before the first '-- +upgrade' marker")
                            .hint = Some(
                            "put statements under a '-- +upgrade' or '-- +downgrade' line".into(),
                        );
                    }
                }
                continue;
            };
            let mut words = spec.split_whitespace();
            let name = words.next().unwrap_or("");
            if !matches!(name, "upgrade" | "downgrade")
                && marker::dialects_of(line).is_some_and(|d| d.is_ok())
            {
                // A statement marker: part of the section, read when it is split.
                match &mut current {
                    Some((_, _, _, body)) => body.push(line),
                    None => {
                        self.err(
                            lineno,
                            format!("'-- +{spec}' before the first '-- +upgrade' marker"),
                        )
                        .hint = Some(
                            "a dialect marker limits the statement after it, inside a section"
                                .into(),
                        );
                    }
                }
                continue;
            }
            let direction = match name {
                "upgrade" => Direction::Upgrade,
                "downgrade" => Direction::Downgrade,
                other => {
                    self.err(lineno, format!("unknown section '+{other}'")).hint = Some(
                        "sections are '-- +upgrade [dialect]' and '-- +downgrade [dialect]'; a statement is limited to dialects by '-- +<dialect>[, <dialect>]'".into(),
                    );
                    flush(current.take(), &mut up, &mut down);
                    continue;
                }
            };
            let dialect = match words.next() {
                None => None,
                Some(d) => match Dialect::from_name(d) {
                    Some(d) => Some(d),
                    None => {
                        self.err(lineno, format!("unknown dialect '{d}' in '-- +{name}'"))
                            .hint = Some("dialects are sqlite, postgresql and mysql".into());
                        flush(current.take(), &mut up, &mut down);
                        continue;
                    }
                },
            };
            if let Some(extra) = words.next() {
                self.err(lineno, format!("unexpected '{extra}' after '-- +{spec}'"));
            }
            if let Some((_, _, first)) = seen
                .iter()
                .find(|(d, di, _)| *d == direction && *di == dialect)
            {
                let first = *first;
                let which = dialect.map(|d| format!(" {d}")).unwrap_or_default();
                self.err(
                    lineno,
                    format!("section '+{name}{which}' is given twice (first at line {first})"),
                );
            }
            seen.push((direction, dialect, lineno));
            flush(current.take(), &mut up, &mut down);
            current = Some((direction, dialect, lineno + 1, Vec::new()));
        }
        flush(current, &mut up, &mut down);
        (up, down)
    }

    /// Checks the header fields and the sections, building the revision.
    fn finish(
        &mut self,
        file_name: &str,
        h: Header,
        upgrade: Sections,
        downgrade: Sections,
        code: Option<Code>,
    ) -> Option<Revision> {
        let c = self.language.comment_prefix();
        let Some((id, id_line)) = h.id else {
            self.err(1, "malformed header: no 'Revision ID:' line").hint = Some(format!(
                "start the file with '{c} <message>', '{c}', '{c} Revision ID: <id>', '{c} Revises: <parent or None>'; {FORMAT_HINT}"
            ));
            return None;
        };
        if !is_valid_id(&id) {
            self.err(id_line, format!("invalid revision id '{id}'"))
                .hint = Some("revision ids are 1 to 32 characters of 0-9, a-z and _".into());
        }
        let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
        if stem != id && !stem.starts_with(&format!("{id}_")) {
            self.err(
                id_line,
                format!("revision id '{id}' does not match the file name '{file_name}'"),
            )
            .hint = Some(format!(
                "name the file '{id}_<slug>.{}' or fix the Revision ID",
                if self.language == Language::Rust {
                    "rs"
                } else {
                    "sql"
                }
            ));
        }
        let Some((revises, revises_line)) = h.revises else {
            self.err(id_line, "malformed header: no 'Revises:' line")
                .hint = Some(format!(
                "add '{c} Revises: <parent id>' ('None' for the first revision)"
            ));
            return None;
        };
        let down_revisions = self.id_list(&revises, revises_line);
        let branch_labels = match h.labels {
            Some((labels, line)) => {
                let labels = list(&labels);
                for l in &labels {
                    if !l
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    {
                        self.err(line, format!("invalid branch label '{l}'")).hint =
                            Some("branch labels use letters, digits, '_' and '-'".into());
                    }
                }
                labels
            }
            None => Vec::new(),
        };
        let (depends_on, depends_on_line) = match h.depends_on {
            Some((value, line)) => {
                let names = list(&value);
                let names = if names.len() == 1 && names[0].eq_ignore_ascii_case("none") {
                    Vec::new()
                } else {
                    names
                };
                for (i, name) in names.iter().enumerate() {
                    if names[..i].contains(name) {
                        self.err(line, format!("'{name}' is listed twice in 'Depends On:'"));
                    } else if down_revisions.contains(name) {
                        self.err(line, format!("'{name}' is a parent ('Revises:'), not a dependency"))
                            .hint = Some("a revision in 'Revises:' is already applied first; remove it from 'Depends On:'".into());
                    }
                }
                (names, line)
            }
            None => (Vec::new(), 0),
        };
        let transactional = match h.transactional {
            Some((_, line)) if self.language == Language::Rust => {
                self.err(line, "a Rust revision always runs in a transaction").hint = Some(
                    "remove 'Transactional:'; write statements that cannot run in a transaction as a .sql revision"
                        .into(),
                );
                true
            }
            None => true,
            Some((v, line)) => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" => true,
                "false" | "no" => false,
                _ => {
                    self.err(line, format!("'Transactional: {v}' must be true or false"));
                    true
                }
            },
        };
        let earlier_checksums = match h.earlier_checksums {
            Some((value, line)) => {
                let sums = list(&value);
                for sum in &sums {
                    if sum.len() != 64
                        || !sum
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                    {
                        self.err(line, format!("'{sum}' in 'Earlier Checksums:' is not a SHA-256 checksum"))
                            .hint = Some("list the 64-digit lower-case checksums databases recorded (the history table's checksum column)".into());
                    }
                }
                sums
            }
            None => Vec::new(),
        };
        let breaking = match h.breaking {
            Some((reason, line)) if reason.trim().is_empty() => {
                self.err(line, "'Breaking:' needs a reason").hint = Some(
                    "say what older releases cannot run on, e.g. 'Breaking: drops quark_ports.bridge, which releases before 2.4 read'"
                        .into(),
                );
                None
            }
            Some((reason, line)) => Some((reason.trim().to_string(), line)),
            None => None,
        };
        let rev = Revision {
            breaking,
            id,
            message: h.message.join(" "),
            down_revisions,
            branch_labels,
            depends_on,
            depends_on_line,
            create_date: h.create_date,
            transactional,
            path: self.path.to_string(),
            id_line,
            revises_line,
            upgrade,
            downgrade,
            code,
            earlier_checksums,
        };
        if rev.code.is_none() {
            self.check_sections(&rev);
        }
        Some(rev)
    }

    fn id_list(&mut self, value: &str, line: usize) -> Vec<String> {
        let ids = list(value);
        if ids.len() == 1 && ids[0].eq_ignore_ascii_case("none") {
            return Vec::new();
        }
        for (i, id) in ids.iter().enumerate() {
            if !is_valid_id(id) {
                self.err(line, format!("invalid revision id '{id}' in 'Revises:'"));
            } else if ids[..i].contains(id) {
                self.err(line, format!("'{id}' is listed twice in 'Revises:'"));
            }
        }
        ids
    }

    /// Every section must split cleanly; upgrades must hold a statement unless the revision merges.
    fn check_sections(&mut self, rev: &Revision) {
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
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| {
            s.trim()
                .trim_matches(|c| c == '\'' || c == '"' || c == '(' || c == ')')
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "-- create lswitch and lswitch port orphaned tables\n--\n-- Revision ID: 1284c81cf727\n-- Revises: 4358d1b8cc75\n-- Create Date: 2014-06-02 11:32:41\n\n-- +upgrade\nCREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n\n-- +downgrade\nDROP TABLE b;\nDROP TABLE a;\n";

    fn parse(name: &str, text: &str) -> Result<Revision, Vec<FileError>> {
        parse_revision(&format!("migrations/{name}"), name, text)
    }

    fn first_error(name: &str, text: &str) -> FileError {
        parse(name, text).unwrap_err().remove(0)
    }

    #[test]
    fn parses_the_header_and_sections() {
        let r = parse("1284c81cf727_lswitch.sql", GOOD).unwrap();
        assert_eq!(r.id, "1284c81cf727");
        assert_eq!(r.message, "create lswitch and lswitch port orphaned tables");
        assert_eq!(r.down_revisions, vec!["4358d1b8cc75"]);
        assert_eq!(r.create_date.as_deref(), Some("2014-06-02 11:32:41"));
        assert!(r.transactional);
        assert_eq!((r.id_line, r.revises_line), (3, 4));
        let up = r
            .statements(Direction::Upgrade, Dialect::Sqlite)
            .unwrap()
            .unwrap();
        assert_eq!(up.len(), 2);
        assert_eq!(up[0].line, 8);
        let down = r
            .statements(Direction::Downgrade, Dialect::Mysql)
            .unwrap()
            .unwrap();
        assert_eq!(down[1].sql, "DROP TABLE a");
    }

    #[test]
    fn crlf_and_bom_parse_like_lf() {
        let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        assert_eq!(
            parse("1284c81cf727_lswitch.sql", &crlf),
            parse("1284c81cf727_lswitch.sql", GOOD)
        );
    }

    #[test]
    fn root_merge_labels_and_non_transactional() {
        let text = "-- merge\n--\n-- Revision ID: m1\n-- Revises: a1, b2\n-- Branch Labels: tools, extra\n-- Transactional: false\n";
        let r = parse("m1_merge.sql", text).unwrap();
        assert_eq!(r.down_revisions, vec!["a1", "b2"]);
        assert_eq!(r.branch_labels, vec!["tools", "extra"]);
        assert!(!r.transactional);
        assert!(r.is_merge());
        let root = parse(
            "r_root.sql",
            "-- root\n--\n-- Revision ID: r\n-- Revises: None\n-- +upgrade\nSELECT 1;\n",
        )
        .unwrap();
        assert!(root.down_revisions.is_empty());
        let empty = parse(
            "r_root.sql",
            "-- root\n--\n-- Revision ID: r\n-- Revises:\n-- +upgrade\nSELECT 1;\n",
        )
        .unwrap();
        assert!(empty.down_revisions.is_empty());
    }

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
    fn missing_revision_id_is_a_malformed_header() {
        let e = first_error(
            "a_x.sql",
            "-- hello\n-- Revises: None\n-- +upgrade\nSELECT 1;\n",
        );
        assert_eq!(e.line, 1);
        assert!(e.message.contains("no 'Revision ID:'"), "{e}");
        assert!(
            e.to_string()
                .starts_with("migrations/a_x.sql:1: malformed header")
        );
    }

    #[test]
    fn id_must_match_the_file_name() {
        let e = first_error(
            "b_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\n",
        );
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("does not match the file name 'b_x.sql'"),
            "{e}"
        );
    }

    #[test]
    fn invalid_ids_are_rejected() {
        assert!(is_valid_id("41837dc547ce3") && is_valid_id("a") && is_valid_id("x_1"));
        assert!(
            !is_valid_id("")
                && !is_valid_id("ABC")
                && !is_valid_id(&"a".repeat(33))
                && !is_valid_id("a-b")
        );
        let e = first_error(
            "Bad_x.sql",
            "-- x\n--\n-- Revision ID: Bad\n-- Revises: None\n-- +upgrade\nSELECT 1;\n",
        );
        assert!(e.message.contains("invalid revision id 'Bad'"));
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

    #[test]
    fn sql_outside_sections_duplicate_sections_and_unknown_fields() {
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\nSELECT 1;\n-- +upgrade\nSELECT 1;\n",
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (5, "SQL before the first '-- +upgrade' marker")
        );
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\n-- +upgrade\nSELECT 2;\n",
        );
        assert_eq!(e.line, 7);
        assert!(e.message.contains("given twice (first at line 5)"));
        let e = first_error(
            "a_x.sql",
            "-- x\n--\n-- Revision ID: a\n-- Revises: None\n-- Author: me\n-- +upgrade\nSELECT 1;\n",
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (5, "unknown header field 'Author'")
        );
    }

    #[test]
    fn message_is_the_first_paragraph() {
        let r = parse("a_x.sql", "-- first line\n-- second line\n--\n-- more detail\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\n").unwrap();
        assert_eq!(r.message, "first line second line");
    }

    const RUST: &str = "//! populate sizes\n//!\n//! Revision ID: 28e55acaf366\n//! Revises: 3d22de205729\n\nuse x::Db;\n\npub fn upgrade(db: &mut Db<'_>) -> R {\n    Ok(())\n}\n";

    #[test]
    fn a_rust_revision_reads_its_header_from_doc_comments_and_finds_its_functions() {
        let r = parse("28e55acaf366_sizes.rs", RUST).unwrap();
        assert_eq!(
            (
                r.id.as_str(),
                r.message.as_str(),
                r.down_revisions.as_slice()
            ),
            (
                "28e55acaf366",
                "populate sizes",
                ["3d22de205729".to_string()].as_slice()
            )
        );
        let code = r.code.as_ref().unwrap();
        assert_eq!((code.upgrade_line, code.downgrade_line), (8, None));
        assert_eq!(code.source, RUST);
        assert!(r.upgrade.is_empty() && r.downgrade.is_empty());
        assert!(r.can_run(Direction::Upgrade, Dialect::Mysql));
        assert!(!r.can_run(Direction::Downgrade, Dialect::Mysql));
        assert_eq!(
            r.checksummed_text(Direction::Upgrade, Dialect::Sqlite)
                .as_deref(),
            Some(RUST)
        );
        let reversible = format!("{RUST}\n  pub fn downgrade(db: &mut Db<'_>) -> R {{ Ok(()) }}\n");
        let r = parse("28e55acaf366_sizes.rs", &reversible).unwrap();
        assert_eq!(r.code.unwrap().downgrade_line, Some(12));
    }

    #[test]
    fn a_rust_revision_without_upgrade_or_with_transactional_is_refused() {
        let e = first_error(
            "28e55acaf366_sizes.rs",
            &RUST.replace("pub fn upgrade", "fn upgrade"),
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (1, "no 'pub fn upgrade(' in this Rust revision")
        );
        let e = first_error(
            "28e55acaf366_sizes.rs",
            &RUST.replace(
                "//! Revises: 3d22de205729\n",
                "//! Revises: 3d22de205729\n//! Transactional: false\n",
            ),
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (5, "a Rust revision always runs in a transaction")
        );
        let e = first_error(
            "28e55acaf366_sizes.rs",
            &RUST.replace("//! Revision ID", "// Revision ID"),
        );
        assert!(e.hint.unwrap().contains("'//! Revision ID: <id>'"));
    }
}

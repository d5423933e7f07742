//! Parsing one migration file: the Alembic-style header, then the `-- +upgrade`/`-- +downgrade`
//! sections of a SQL revision or the functions of a Rust one.

mod body;
mod header;

use super::{Code, FileError, Revision, Sections};
use header::Header;

/// Whether `id` is a valid revision id: 1 to 32 characters of `[0-9a-z_]`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'_')
}

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

/// What a revision file is written in, told by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    /// `.sql`: a header of `--` comments, then `-- +upgrade` / `-- +downgrade` sections.
    Sql,
    /// `.rs`: a header of `//!` comments, then `pub fn upgrade` and optionally `pub fn downgrade`.
    Rust,
}

impl Language {
    /// The language of the file named `file_name`.
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

/// One file being parsed: its path as shown, its language and the problems found so far.
struct Parser<'a> {
    path: &'a str,
    language: Language,
    errors: Vec<FileError>,
}

impl<'a> Parser<'a> {
    /// Records a problem at `line`, returning it for a hint.
    fn err(&mut self, line: usize, message: impl Into<String>) -> &mut FileError {
        self.errors.push(FileError::new(self.path, line, message));
        self.errors.last_mut().expect("just pushed")
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
        let (id, id_line) = self.revision_id(h.id.clone(), file_name)?;
        let (down_revisions, revises_line) =
            self.revises(h.revises.clone(), id_line, h.checkpoint_of.is_some())?;
        let checkpoint_of = self.checkpoint_of(&h, &down_revisions, !downgrade.is_empty());
        let branch_labels = self.branch_labels(h.labels);
        let (depends_on, depends_on_line) = self.depends_on(h.depends_on, &down_revisions);
        let transactional = self.transactional(h.transactional);
        let earlier_checksums = self.earlier_checksums(h.earlier_checksums);
        let breaking = self.breaking(h.breaking);
        let compatible_from = self.compatible_from(h.compatible_from, breaking.is_some());
        let rev = Revision {
            checkpoint_of,
            breaking,
            compatible_from,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::{Dialect, Direction};

    pub(super) const GOOD: &str = "-- create lswitch and lswitch port orphaned tables\n--\n-- Revision ID: 1284c81cf727\n-- Revises: 4358d1b8cc75\n-- Create Date: 2014-06-02 11:32:41\n\n-- +upgrade\nCREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n\n-- +downgrade\nDROP TABLE b;\nDROP TABLE a;\n";

    pub(super) fn parse(name: &str, text: &str) -> Result<Revision, Vec<FileError>> {
        parse_revision(&format!("migrations/{name}"), name, text)
    }

    pub(super) fn first_error(name: &str, text: &str) -> FileError {
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

//! A parsed revision: its header fields, its sections per direction and dialect, and what is
//! derived from them (statements, checksums).

use std::borrow::Cow;

use super::{Dialect, FileError, Statement, marker};

/// Which way a section migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Towards head.
    Upgrade,
    /// Towards base.
    Downgrade,
}

impl Direction {
    /// `upgrade` or `downgrade`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        }
    }
}

/// The SQL of one section, with the file line where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section's SQL, line endings folded to LF.
    pub sql: String,
    /// The 1-based file line of the section's first SQL line.
    pub line: usize,
}

/// A direction's sections: a generic one and per-dialect replacements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    /// `-- +upgrade` with no dialect.
    pub generic: Option<Section>,
    /// `-- +upgrade <dialect>`, which replaces the generic section for that dialect.
    pub dialects: Vec<(Dialect, Section)>,
}

impl Sections {
    /// The section that applies to `dialect`, if any.
    pub fn for_dialect(&self, dialect: Dialect) -> Option<&Section> {
        self.dialects
            .iter()
            .find(|(d, _)| *d == dialect)
            .map(|(_, s)| s)
            .or(self.generic.as_ref())
    }

    /// Whether no section at all was given.
    pub fn is_empty(&self) -> bool {
        self.generic.is_none() && self.dialects.is_empty()
    }
}

/// What build.rs found in a revision written in Rust (`<id>_<slug>.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The file's text (line endings folded to LF), whose checksum is recorded when it runs.
    pub source: String,
    /// Line of `pub fn upgrade(`.
    pub upgrade_line: usize,
    /// Line of `pub fn downgrade(`, absent when the revision is irreversible.
    pub downgrade_line: Option<usize>,
}

/// One parsed revision file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The revision id (`Revision ID:`).
    pub id: String,
    /// The one-line message (first paragraph of the header).
    pub message: String,
    /// Parent revisions (`Revises:`); empty for a root, several for a merge.
    pub down_revisions: Vec<String>,
    /// Branch labels (`Branch Labels:`).
    pub branch_labels: Vec<String>,
    /// Revisions (ids or branch labels) that must be applied first without being parents
    /// (`Depends On:`, Alembic's `depends_on`).
    pub depends_on: Vec<String>,
    /// Line of `Depends On:` (0 without one).
    pub depends_on_line: usize,
    /// `Create Date:` as written.
    pub create_date: Option<String>,
    /// False when the revision must run outside a transaction (`Transactional: false`).
    pub transactional: bool,
    /// The file's path as shown to the user.
    pub path: String,
    /// Line of `Revision ID:`.
    pub id_line: usize,
    /// Line of `Revises:`.
    pub revises_line: usize,
    /// Upgrade sections.
    pub upgrade: Sections,
    /// Downgrade sections.
    pub downgrade: Sections,
    /// For a revision written in Rust, its code (it then has no sections).
    pub code: Option<Code>,
    /// Upgrade checksums recorded by databases that ran an earlier text of this revision
    /// (`Earlier Checksums:`), accepted by `verify` as the current one is.
    pub earlier_checksums: Vec<String>,
    /// Why older releases cannot run on the schema this revision leaves (`Breaking:`, the
    /// contract step of expand/contract), and the header's line.
    pub breaking: Option<(String, usize)>,
    /// The oldest revision a release must embed to keep running after this `Breaking:` one
    /// (`Compatible From:`), and the header's line; `None`: it breaks every older release.
    pub compatible_from: Option<(String, usize)>,
    /// For a checkpoint, the revision whose schema it holds (`Checkpoint Of:`) and the header's
    /// line: it stands beside the graph, run instead of that revision and its ancestors on a
    /// database at base.
    pub checkpoint_of: Option<(String, usize)>,
}

impl Revision {
    /// The section that runs for `direction` on `dialect`, if the file has one.
    pub fn section(&self, direction: Direction, dialect: Dialect) -> Option<&Section> {
        match direction {
            Direction::Upgrade => &self.upgrade,
            Direction::Downgrade => &self.downgrade,
        }
        .for_dialect(dialect)
    }

    /// Whether the revision can run `direction` on `dialect`: it has a section for it, or
    /// Rust code (upgrade always; downgrade when the file defines one).
    pub fn can_run(&self, direction: Direction, dialect: Dialect) -> bool {
        match (&self.code, direction) {
            (Some(_), Direction::Upgrade) => true,
            (Some(code), Direction::Downgrade) => code.downgrade_line.is_some(),
            (None, _) => self.section(direction, dialect).is_some(),
        }
    }

    /// The checksum recorded when `direction` runs on `dialect` (SHA-256 of
    /// [`Revision::checksummed_text`], line endings folded); `None` when it does not run there.
    pub fn checksum(&self, direction: Direction, dialect: Dialect) -> Option<String> {
        self.checksummed_text(direction, dialect)
            .map(|text| crate::checksum::checksum(&text))
    }

    /// Whether `recorded`, the upgrade checksum a database recorded on `dialect`, is this
    /// revision's: the current one, or one listed in `Earlier Checksums:`.
    pub fn accepts_checksum(&self, dialect: Dialect, recorded: &str) -> bool {
        self.earlier_checksums.iter().any(|c| c == recorded)
            || self
                .checksum(Direction::Upgrade, dialect)
                .is_some_and(|c| c == recorded)
    }

    /// The text whose checksum is recorded when `direction` runs on `dialect`: the section's
    /// SQL; in a section with dialect markers, the statements that run on `dialect`, each
    /// ended by `;` and a line break; the whole source of a Rust revision.
    pub fn checksummed_text(&self, direction: Direction, dialect: Dialect) -> Option<Cow<'_, str>> {
        if let Some(code) = &self.code {
            return Some(Cow::Borrowed(&code.source));
        }
        let section = self.section(direction, dialect)?;
        if !marker::has_markers(&section.sql) {
            return Some(Cow::Borrowed(&section.sql));
        }
        let statements = marker::statements(&section.sql, dialect, section.line).ok()?;
        Some(Cow::Owned(
            statements.iter().map(|s| format!("{};\n", s.sql)).collect(),
        ))
    }

    /// The statements that run for `direction` on `dialect`; `None` when there is no section.
    pub fn statements(
        &self,
        direction: Direction,
        dialect: Dialect,
    ) -> Option<Result<Vec<Statement>, FileError>> {
        let section = self.section(direction, dialect)?;
        Some(
            marker::statements(&section.sql, dialect, section.line).map_err(|(line, message)| {
                let hint = if marker::dialects_of(&section_line(&section.sql, section.line, line)).is_some() {
                    "a '-- +<dialect>[, <dialect>]' line limits the statement after it to those dialects"
                } else {
                    "it starts here and is never closed before the section ends"
                };
                FileError::new(&self.path, line, message).hint(hint)
            }),
        )
    }

    /// The parents as shown in listings and logs: `a, b`, or `<base>` for a root.
    pub fn parents_label(&self) -> String {
        if self.down_revisions.is_empty() {
            "<base>".to_string()
        } else {
            self.down_revisions.join(", ")
        }
    }

    /// Whether this revision joins two or more branches.
    pub fn is_merge(&self) -> bool {
        self.down_revisions.len() > 1
    }
}

/// Line `line` of the file, in a section whose first line is `first`.
fn section_line(sql: &str, first: usize, line: usize) -> String {
    sql.lines()
        .nth(line.saturating_sub(first))
        .unwrap_or("")
        .to_string()
}

//! A migration file's header: the leading comment block, its message and its fields, each
//! field checked.

use super::body::marker;
use super::{Language, Parser, is_valid_id};

const FORMAT_HINT: &str = "see docs/migration-format.md for the file format";

/// The header as read: its message and each field with its line, not yet checked.
#[derive(Default)]
pub(super) struct Header {
    pub(super) message: Vec<String>,
    message_done: bool,
    pub(super) id: Option<(String, usize)>,
    pub(super) revises: Option<(String, usize)>,
    pub(super) create_date: Option<String>,
    pub(super) labels: Option<(String, usize)>,
    pub(super) depends_on: Option<(String, usize)>,
    pub(super) transactional: Option<(String, usize)>,
    pub(super) earlier_checksums: Option<(String, usize)>,
    pub(super) breaking: Option<(String, usize)>,
    pub(super) compatible_from: Option<(String, usize)>,
    pub(super) checkpoint_of: Option<(String, usize)>,
}

impl Parser<'_> {
    /// Reads the leading comment block; returns it and the index of the first body line.
    pub(super) fn header(&mut self, lines: &[&str]) -> (Header, usize) {
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
                Some("compatible from") => Some(&mut h.compatible_from),
                Some("checkpoint of") => Some(&mut h.checkpoint_of),
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
            } else if h.id.is_some() || h.revises.is_some() || h.checkpoint_of.is_some() {
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
                        "header fields are Revision ID, Revises, Create Date, Branch Labels, Depends On, Transactional, Breaking, Compatible From, Earlier Checksums and Checkpoint Of"
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

    /// The `Revision ID:` field and its line, checked against the file name; `None` when the
    /// header has none.
    pub(super) fn revision_id(
        &mut self,
        field: Option<(String, usize)>,
        file_name: &str,
    ) -> Option<(String, usize)> {
        let c = self.language.comment_prefix();
        let Some((id, id_line)) = field else {
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
        Some((id, id_line))
    }

    /// The parents `Revises:` names, and its line; `None` when the header does not say.
    pub(super) fn revises(
        &mut self,
        field: Option<(String, usize)>,
        id_line: usize,
        checkpoint: bool,
    ) -> Option<(Vec<String>, usize)> {
        if checkpoint && field.is_none() {
            return Some((Vec::new(), 0));
        }
        let Some((revises, revises_line)) = field else {
            let c = self.language.comment_prefix();
            self.err(id_line, "malformed header: no 'Revises:' line")
                .hint = Some(format!(
                "add '{c} Revises: <parent id>' ('None' for the first revision)"
            ));
            return None;
        };
        Some((self.id_list(&revises, revises_line), revises_line))
    }

    /// The `Branch Labels:` field, each label checked.
    pub(super) fn branch_labels(&mut self, field: Option<(String, usize)>) -> Vec<String> {
        let Some((labels, line)) = field else {
            return Vec::new();
        };
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

    /// The `Depends On:` field and its line (0 without one), checked against the parents
    /// (`down_revisions`).
    pub(super) fn depends_on(
        &mut self,
        field: Option<(String, usize)>,
        down_revisions: &[String],
    ) -> (Vec<String>, usize) {
        let Some((value, line)) = field else {
            return (Vec::new(), 0);
        };
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

    /// The `Transactional:` field: true unless it says false (a Rust revision cannot).
    pub(super) fn transactional(&mut self, field: Option<(String, usize)>) -> bool {
        match field {
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
        }
    }

    /// The `Earlier Checksums:` field, each checksum checked.
    pub(super) fn earlier_checksums(&mut self, field: Option<(String, usize)>) -> Vec<String> {
        let Some((value, line)) = field else {
            return Vec::new();
        };
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

    /// The `Breaking:` field's reason and line; an empty reason is an error.
    pub(super) fn breaking(&mut self, field: Option<(String, usize)>) -> Option<(String, usize)> {
        match field {
            Some((reason, line)) if reason.trim().is_empty() => {
                self.err(line, "'Breaking:' needs a reason").hint = Some(
                    "say what older releases cannot run on, e.g. 'Breaking: drops quark_ports.bridge, which releases before 2.4 read'"
                        .into(),
                );
                None
            }
            Some((reason, line)) => Some((reason.trim().to_string(), line)),
            None => None,
        }
    }

    /// The `Compatible From:` field's revision and line: one revision id, on a revision that
    /// is `Breaking:` (the build checks that it is an ancestor).
    pub(super) fn compatible_from(
        &mut self,
        field: Option<(String, usize)>,
        breaking: bool,
    ) -> Option<(String, usize)> {
        let (id, line) = field?;
        if !breaking {
            self.err(line, "'Compatible From:' without 'Breaking:'").hint = Some(
                "it names the oldest revision a release must embed to keep running after a breaking revision; add 'Breaking: <reason>' or remove it"
                    .into(),
            );
            return None;
        }
        if !is_valid_id(&id) {
            self.err(line, format!("invalid revision id '{id}' in 'Compatible From:'"))
                .hint = Some(
                "name one revision id: the oldest a release must embed to keep running after this one (e.g. the expand revision)"
                    .into(),
            );
            return None;
        }
        Some((id, line))
    }

    /// The `Checkpoint Of:` field's revision and line: one revision id, on a SQL file with no
    /// parents, no downgrade and none of the fields that place a revision in the graph.
    pub(super) fn checkpoint_of(
        &mut self,
        h: &Header,
        parents: &[String],
        has_downgrade: bool,
    ) -> Option<(String, usize)> {
        let (id, line) = h.checkpoint_of.clone()?;
        let hint = "a checkpoint stands beside the graph: it holds the schema as of the revision it names, and only a database at base runs it (docs/migration-format.md#checkpoints)";
        if self.language == Language::Rust {
            self.err(line, "a checkpoint is a .sql file").hint = Some(
                "write it with `quark-db-manage checkpoint <revision>`, which renders the schema per dialect".into(),
            );
            return None;
        }
        if !is_valid_id(&id) {
            self.err(
                line,
                format!("invalid revision id '{id}' in 'Checkpoint Of:'"),
            )
            .hint =
                Some("name one revision id: the revision whose schema the checkpoint holds".into());
            return None;
        }
        let placed = [
            (
                "Revises",
                h.revises
                    .as_ref()
                    .filter(|_| !parents.is_empty())
                    .map(|(_, l)| *l),
            ),
            ("Branch Labels", h.labels.as_ref().map(|(_, l)| *l)),
            ("Depends On", h.depends_on.as_ref().map(|(_, l)| *l)),
            ("Breaking", h.breaking.as_ref().map(|(_, l)| *l)),
            (
                "Earlier Checksums",
                h.earlier_checksums.as_ref().map(|(_, l)| *l),
            ),
        ];
        for (field, at) in placed {
            if let Some(at) = at {
                self.err(at, format!("a checkpoint has no '{field}:'")).hint = Some(hint.into());
            }
        }
        if has_downgrade {
            self.err(line, "a checkpoint has no downgrade section").hint = Some(
                "a database built from a checkpoint downgrades through the revisions it stands for, whose schema it holds; remove the '-- +downgrade' sections".into(),
            );
        }
        Some((id, line))
    }

    /// The revision ids of a `Revises:` value, each checked; `None` is none.
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
}

/// The comma-separated items of a field, unquoted.
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
    use super::super::tests::{first_error, parse};
    use super::*;

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
    fn message_is_the_first_paragraph() {
        let r = parse("a_x.sql", "-- first line\n-- second line\n--\n-- more detail\n-- Revision ID: a\n-- Revises: None\n-- +upgrade\nSELECT 1;\n").unwrap();
        assert_eq!(r.message, "first line second line");
    }

    #[test]
    fn a_checkpoint_names_its_revision_and_nothing_that_places_it_in_the_graph() {
        let good = "-- the schema as of b2\n--\n-- Revision ID: cp\n-- Checkpoint Of: b2\n\n-- +upgrade sqlite\nCREATE TABLE t (x INT);\n";
        let r = parse("cp_x.sql", good).unwrap();
        assert_eq!(r.checkpoint_of, Some(("b2".to_string(), 4)));
        assert!(r.down_revisions.is_empty());
        let with_none = good.replace("-- Checkpoint Of", "-- Revises: None\n-- Checkpoint Of");
        assert!(parse("cp_x.sql", &with_none).is_ok());
        let cases = [
            ("-- Revises: a1\n", 4, "a checkpoint has no 'Revises:'"),
            (
                "-- Branch Labels: x\n",
                4,
                "a checkpoint has no 'Branch Labels:'",
            ),
            (
                "-- Depends On: a1\n",
                4,
                "a checkpoint has no 'Depends On:'",
            ),
        ];
        for (field, line, message) in cases {
            let text = good.replace("-- Checkpoint Of", &format!("{field}-- Checkpoint Of"));
            let e = first_error("cp_x.sql", &text);
            assert_eq!((e.line, e.message.as_str()), (line, message), "{text}");
        }
        let e = first_error(
            "cp_x.sql",
            &format!("{good}\n-- +downgrade\nDROP TABLE t;\n"),
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (4, "a checkpoint has no downgrade section")
        );
        let e = first_error("cp_x.sql", &good.replace("Of: b2", "Of: B-2"));
        assert!(
            e.message
                .contains("invalid revision id 'B-2' in 'Checkpoint Of:'"),
            "{e}"
        );
        let rust = "//! x\n//!\n//! Revision ID: cp\n//! Checkpoint Of: b2\n\npub fn upgrade(_: &mut dyn quark_migrate::code::Tx) -> Result<(), quark_migrate::code::CodeError> { Ok(()) }\n";
        let e = first_error("cp_x.rs", rust);
        assert_eq!(
            (e.line, e.message.as_str()),
            (4, "a checkpoint is a .sql file")
        );
    }
}

//! Writing new revision files: `revision` and `merge`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::revision::RevisionMap;

/// What goes into a new revision file's header.
#[derive(Debug, Clone, Default)]
pub struct NewRevision {
    /// The one-line message.
    pub message: String,
    /// Parent revisions; several for a merge.
    pub revises: Vec<String>,
    /// Branch labels for the new revision.
    pub branch_labels: Vec<String>,
}

/// A fresh revision id: 12 random hex characters not used by `map`.
pub fn new_id(map: &RevisionMap) -> std::io::Result<String> {
    loop {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if map.get(&id).is_none() {
            return Ok(id);
        }
    }
}

/// The file name for revision `id`: `<id>_<slug of the message>.sql`.
pub fn file_name(id: &str, message: &str) -> String {
    let mut slug = String::new();
    for c in message.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        format!("{id}.sql")
    } else {
        format!("{id}_{slug}.sql")
    }
}

/// The text of a new revision file.
pub fn render(id: &str, rev: &NewRevision, create_date: &str) -> String {
    let revises = if rev.revises.is_empty() {
        "None".to_string()
    } else {
        rev.revises.join(", ")
    };
    let mut text = format!(
        "-- {}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n-- Create Date: {create_date}\n",
        rev.message.lines().next().unwrap_or("").trim()
    );
    if !rev.branch_labels.is_empty() {
        text.push_str(&format!(
            "-- Branch Labels: {}\n",
            rev.branch_labels.join(", ")
        ));
    }
    if rev.revises.len() > 1 {
        text.push_str("\n-- +upgrade\n-- A merge point: nothing to run unless the branches conflict.\n\n-- +downgrade\n");
    } else {
        text.push_str("\n-- +upgrade\n\n\n-- +downgrade\n\n");
    }
    text
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS`.
pub fn now() -> String {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    stamp.trim_end_matches('Z').replacen('T', " ", 1)
}

/// Writes a new revision into `dir` (never over an existing file); returns its path.
pub fn write(
    dir: &Path,
    map: &RevisionMap,
    rev: &NewRevision,
) -> std::io::Result<(String, PathBuf)> {
    let id = new_id(map)?;
    let path = dir.join(file_name(&id, &rev.message));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    file.write_all(render(&id, rev, &now()).as_bytes())?;
    Ok((id, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::parse_revision;

    #[test]
    fn file_names_are_slugged() {
        assert_eq!(
            file_name("abc", "Add port tags, index!"),
            "abc_add_port_tags_index.sql"
        );
        assert_eq!(file_name("abc", "***"), "abc.sql");
    }

    #[test]
    fn ids_are_12_hex_characters() {
        let m = RevisionMap::new(Vec::new()).unwrap();
        let id = new_id(&m).unwrap();
        assert_eq!(id.len(), 12);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(id, new_id(&m).unwrap());
    }

    #[test]
    fn rendered_merge_parses_and_plain_revision_asks_for_sql() {
        let merge = NewRevision {
            message: "merge heads".into(),
            revises: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        let r = parse_revision(
            "migrations/m_merge.sql",
            "m_merge.sql",
            &render("m", &merge, "2026-01-01 00:00:00"),
        )
        .unwrap();
        assert_eq!(
            (r.message.as_str(), r.down_revisions.len()),
            ("merge heads", 2)
        );
        let plain = NewRevision {
            message: "add x".into(),
            revises: vec!["a".into()],
            ..Default::default()
        };
        let errs = parse_revision("migrations/n_x.sql", "n_x.sql", &render("n", &plain, "now"))
            .unwrap_err();
        assert!(errs[0].message.starts_with("empty upgrade section"));
    }
}

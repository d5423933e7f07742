//! Dialect markers, one grammar for revision sections and the declared schema:
//! `-- +<dialect>[, <dialect>]` on a line of its own limits the statement after it to those
//! dialects; at the end of a line of SQL it limits that line.

use super::{Dialect, Statement, split_statements};

/// What every marker starts with.
const MARK: &str = "-- +";

/// The dialects a marker line names: `None` when `line` is not a marker (or is a section
/// header, `-- +upgrade ...` / `-- +downgrade ...`), an error naming an unknown dialect.
pub(crate) fn dialects_of(line: &str) -> Option<Result<Vec<Dialect>, String>> {
    let names = line.trim().strip_prefix("-- +")?;
    let first = names.split([',', ' ']).next().unwrap_or("");
    if first == "upgrade" || first == "downgrade" {
        return None;
    }
    let mut dialects = Vec::new();
    for name in names.split([',', ' ']).filter(|n| !n.is_empty()) {
        match Dialect::from_name(name) {
            Some(d) => dialects.push(d),
            None => {
                return Some(Err(format!(
                    "unknown dialect '{name}' in '-- +{names}': expected sqlite, postgresql or mysql"
                )));
            }
        }
    }
    if dialects.is_empty() {
        return Some(Err("'-- +' names no dialect".to_string()));
    }
    Some(Ok(dialects))
}

/// A line of SQL ending in a marker: the SQL before it and the marker's dialects.
fn trailing(line: &str) -> Option<(&str, Result<Vec<Dialect>, String>)> {
    let at = line.rfind("-- +")?;
    let code = line[..at].trim_end();
    if code.trim().is_empty() || code.trim_start().starts_with("--") {
        return None;
    }
    let dialects = dialects_of(&line[at..])?;
    Some((code, dialects))
}

/// `sql` as `dialect` sees it: lines marked for other dialects left out, trailing markers
/// removed; with the file line of each of its lines, and its own-line markers (by its lines).
struct View {
    text: String,
    file_lines: Vec<usize>,
    markers: Vec<(usize, Vec<Dialect>)>,
}

impl View {
    fn of(sql: &str, dialect: Dialect, first_line: usize) -> Result<View, (usize, String)> {
        let mut view = View {
            text: String::with_capacity(sql.len()),
            file_lines: Vec::new(),
            markers: Vec::new(),
        };
        for (i, line) in sql.lines().enumerate() {
            let at = first_line + i;
            let kept = if let Some(found) = dialects_of(line) {
                let dialects = found.map_err(|m| (at, m))?;
                view.markers.push((view.file_lines.len() + 1, dialects));
                Some(line)
            } else if let Some((code, found)) = trailing(line) {
                found
                    .map_err(|m| (at, m))?
                    .contains(&dialect)
                    .then_some(code)
            } else {
                Some(line)
            };
            if let Some(kept) = kept {
                view.text.push_str(kept);
                view.text.push('\n');
                view.file_lines.push(at);
            }
        }
        Ok(view)
    }

    /// The file line of line `n` (1-based) of the view.
    fn file_line(&self, n: usize) -> usize {
        self.file_lines
            .get(n.saturating_sub(1))
            .or(self.file_lines.last())
            .copied()
            .unwrap_or(n)
    }
}

/// Whether `sql` has a marker, on a line of its own or at the end of one.
pub(crate) fn has_markers(sql: &str) -> bool {
    sql.contains(MARK)
        && sql
            .lines()
            .any(|l| dialects_of(l).is_some() || trailing(l).is_some())
}

/// The statements of `sql` that run on `dialect`: those after a marker naming it, and those
/// without a marker. A marker with no statement after it is an error naming its line.
pub(crate) fn statements(
    sql: &str,
    dialect: Dialect,
    first_line: usize,
) -> Result<Vec<Statement>, (usize, String)> {
    if !sql.contains(MARK) && !sql.contains('\r') {
        // Nothing to leave out: the view would be `sql` itself.
        return split_statements(sql, dialect, first_line);
    }
    let view = View::of(sql, dialect, first_line)?;
    let mut all = split_statements(&view.text, dialect, 1)
        .map_err(|(line, message)| (view.file_line(line), message))?;
    let mut owner: Vec<Option<&Vec<Dialect>>> = vec![None; all.len()];
    for (line, dialects) in &view.markers {
        // The first statement that starts after the marker.
        let Some(i) = all.iter().position(|s| s.line > *line) else {
            return Err((
                view.file_line(*line),
                "a marker with no statement after it".into(),
            ));
        };
        if owner[i].is_some() {
            return Err((
                view.file_line(*line),
                "a second marker for the same statement".into(),
            ));
        }
        owner[i] = Some(dialects);
    }
    for s in &mut all {
        s.line = view.file_line(s.line);
    }
    Ok(all
        .into_iter()
        .zip(owner)
        .filter(|(_, o)| o.is_none_or(|d| d.contains(&dialect)))
        .map(|(s, _)| s)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_statements_run_only_on_their_dialects() {
        let sql = "CREATE TABLE a (id INTEGER);\n-- +postgresql\nCREATE TYPE k AS ENUM ('x');\n-- +sqlite, mysql\nCREATE TABLE b (k VARCHAR(1));\n-- +postgresql\nCREATE TABLE b (k k);\nCREATE INDEX ix ON a (id);\n";
        let lines = |d| -> Vec<usize> {
            statements(sql, d, 1)
                .unwrap()
                .iter()
                .map(|s| s.line)
                .collect()
        };
        assert_eq!(lines(Dialect::Sqlite), vec![1, 5, 8]);
        assert_eq!(lines(Dialect::Mysql), vec![1, 5, 8]);
        assert_eq!(lines(Dialect::Postgresql), vec![1, 3, 7, 8]);
    }

    #[test]
    fn marked_lines_run_only_on_their_dialects() {
        let sql = "CREATE TABLE q (\n    id INT,\n    \"limit\" INT -- +sqlite, postgresql\n    `limit` INT -- +mysql\n);\nSELECT 1; -- +mysql\n";
        let only = |d| statements(sql, d, 1).unwrap();
        let sqlite = only(Dialect::Sqlite);
        assert_eq!(sqlite.len(), 1);
        assert_eq!(
            sqlite[0].sql,
            "CREATE TABLE q (\n    id INT,\n    \"limit\" INT\n)"
        );
        let mysql = only(Dialect::Mysql);
        assert_eq!(mysql.len(), 2);
        assert_eq!(
            mysql[0].sql,
            "CREATE TABLE q (\n    id INT,\n    `limit` INT\n)"
        );
        assert_eq!((mysql[1].sql.as_str(), mysql[1].line), ("SELECT 1", 6));
        assert_eq!(
            statements("SELECT 1; -- +db2\n", Dialect::Sqlite, 4)
                .unwrap_err()
                .0,
            4
        );
        // A comment that only looks like a marker is SQL's.
        assert_eq!(
            statements("SELECT 1; -- +1 for this\n", Dialect::Sqlite, 1)
                .unwrap_err()
                .0,
            1
        );
        assert!(!has_markers("SELECT 1; -- plain comment\n"));
        assert!(!has_markers(
            "-- a comment quoting `-- +<dialect>` is a comment\n"
        ));
    }

    #[test]
    fn section_headers_are_not_markers() {
        assert!(dialects_of("-- +upgrade postgresql").is_none());
        assert!(dialects_of("-- +downgrade").is_none());
        assert!(dialects_of("-- plain comment").is_none());
        assert_eq!(
            dialects_of(" -- +mysql, sqlite").unwrap().unwrap(),
            [Dialect::Mysql, Dialect::Sqlite]
        );
    }

    #[test]
    fn misplaced_and_unknown_markers_name_their_line() {
        assert_eq!(
            statements("SELECT 1;\n-- +oracle\nSELECT 2;\n", Dialect::Sqlite, 10).unwrap_err(),
            (
                11,
                "unknown dialect 'oracle' in '-- +oracle': expected sqlite, postgresql or mysql"
                    .into()
            )
        );
        assert_eq!(
            statements("SELECT 1;\n-- +mysql\n", Dialect::Sqlite, 1).unwrap_err(),
            (2, "a marker with no statement after it".into())
        );
        assert_eq!(
            statements("-- +mysql\n-- +sqlite\nSELECT 1;\n", Dialect::Sqlite, 1).unwrap_err(),
            (2, "a second marker for the same statement".into())
        );
    }
}

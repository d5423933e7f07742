//! Splitting a section's SQL into statements without breaking quoted text, comments, dollar-quoted
//! bodies or `BEGIN ... END` blocks of triggers and routines.

use super::Dialect;

/// One SQL statement of a section, without its terminating `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's text.
    pub sql: String,
    /// The 1-based line of the file where the statement starts.
    pub line: usize,
}

/// Splits `sql` into statements for `dialect`; `first_line` is the file line of `sql`'s first line.
///
/// On an unterminated string, identifier, comment or dollar quote, returns the line where it
/// starts and what is unterminated.
pub fn split_statements(
    sql: &str,
    dialect: Dialect,
    first_line: usize,
) -> Result<Vec<Statement>, (usize, String)> {
    Splitter {
        src: sql.as_bytes(),
        text: sql,
        dialect,
        pos: 0,
        line: first_line,
    }
    .run()
}

struct Splitter<'a> {
    src: &'a [u8],
    text: &'a str,
    dialect: Dialect,
    pos: usize,
    line: usize,
}

/// What the splitter knows about the statement it is inside.
#[derive(Default)]
struct Current {
    start: Option<(usize, usize)>,
    words: usize,
    creates: bool,
    compound: bool,
    depth: usize,
    /// Words to spell differently on this dialect: byte range and replacement.
    respelled: Vec<(usize, usize, &'static str)>,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

impl<'a> Splitter<'a> {
    fn run(mut self) -> Result<Vec<Statement>, (usize, String)> {
        let mut out = Vec::new();
        let mut cur = Current::default();
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            let next = self.src.get(self.pos + 1).copied();
            match b {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                // SQL's white space on all three: vertical tab and form feed too.
                b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => self.pos += 1,
                b'-' if next == Some(b'-') => self.skip_line(),
                b'#' if self.dialect == Dialect::Mysql => self.skip_line(),
                b'/' if next == Some(b'*') => self.skip_block_comment()?,
                b';' if cur.depth == 0 => {
                    if let Some((start, line)) = cur.start {
                        out.push(self.statement(start, self.pos, line, &cur.respelled));
                    }
                    cur = Current::default();
                    self.pos += 1;
                }
                _ => {
                    if cur.start.is_none() {
                        cur.start = Some((self.pos, self.line));
                    }
                    self.token(&mut cur)?;
                }
            }
        }
        if let Some((start, line)) = cur.start {
            out.push(self.statement(start, self.src.len(), line, &cur.respelled));
        }
        Ok(out)
    }

    fn statement(
        &self,
        start: usize,
        end: usize,
        line: usize,
        respelled: &[(usize, usize, &str)],
    ) -> Statement {
        let mut sql = String::with_capacity(end - start);
        let mut at = start;
        for &(from, to, spelling) in respelled {
            sql.push_str(&self.text[at..from]);
            sql.push_str(spelling);
            at = to;
        }
        sql.push_str(&self.text[at..end]);
        Statement {
            sql: sql.trim_end().to_string(),
            line,
        }
    }

    /// Consumes one token that is part of a statement: a quoted item, a word or one byte.
    fn token(&mut self, cur: &mut Current) -> Result<(), (usize, String)> {
        let b = self.src[self.pos];
        let prev_ident = self.pos > 0 && is_ident(self.src[self.pos - 1]);
        match b {
            b'\'' => {
                let backslash = self.dialect == Dialect::Mysql || self.is_escape_string();
                self.skip_quoted(b'\'', backslash, "string")
            }
            b'"' => self.skip_quoted(b'"', self.dialect == Dialect::Mysql, "quoted identifier"),
            b'`' => self.skip_quoted(b'`', false, "backquoted identifier"),
            b'[' if self.dialect == Dialect::Sqlite => {
                self.skip_quoted(b']', false, "[identifier]")
            }
            b'$' if self.dialect == Dialect::Postgresql && !prev_ident => self.skip_dollar(),
            _ if (b.is_ascii_alphabetic() || b == b'_') && !prev_ident => {
                let start = self.pos;
                while self.pos < self.src.len() && is_ident(self.src[self.pos]) {
                    self.pos += 1;
                }
                let word = self.text[start..self.pos].to_ascii_uppercase();
                if let Some(spelling) = self.dialect.type_spelling(&word) {
                    cur.respelled.push((start, self.pos, spelling));
                }
                self.word(cur, &word);
                Ok(())
            }
            _ => {
                self.pos += 1;
                Ok(())
            }
        }
    }

    /// Tracks `BEGIN`/`CASE` ... `END` nesting inside `CREATE TRIGGER/FUNCTION/PROCEDURE/EVENT`.
    fn word(&mut self, cur: &mut Current, word: &str) {
        cur.words += 1;
        if cur.words == 1 {
            cur.creates = word == "CREATE";
        } else if cur.creates && cur.words <= 8 && !cur.compound {
            cur.compound = matches!(word, "TRIGGER" | "FUNCTION" | "PROCEDURE" | "EVENT");
        }
        if !cur.compound {
            return;
        }
        match word {
            "BEGIN" | "CASE" => cur.depth += 1,
            "END" => {
                let closes_other = matches!(
                    self.peek_word().as_deref(),
                    Some("IF" | "LOOP" | "WHILE" | "REPEAT")
                );
                if !closes_other {
                    cur.depth = cur.depth.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    fn peek_word(&self) -> Option<String> {
        let rest = &self.text[self.pos..];
        let rest = rest.trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| rest[..end].to_ascii_uppercase())
    }

    /// A PostgreSQL `E'...'` string, in which backslash escapes the next character.
    fn is_escape_string(&self) -> bool {
        self.dialect == Dialect::Postgresql
            && self.pos >= 1
            && matches!(self.src[self.pos - 1], b'E' | b'e')
            && (self.pos < 2 || !is_ident(self.src[self.pos - 2]))
    }

    fn skip_line(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), (usize, String)> {
        let start_line = self.line;
        let nests = self.dialect == Dialect::Postgresql;
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            match (self.src[self.pos], self.src.get(self.pos + 1).copied()) {
                (b'/', Some(b'*')) if depth == 0 || nests => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.pos += 2;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                (b'\n', _) => {
                    self.line += 1;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        Err((start_line, "unterminated /* comment".to_string()))
    }

    /// Skips a quoted item closed by `close`, where a doubled `close` is a literal one.
    fn skip_quoted(
        &mut self,
        close: u8,
        backslash: bool,
        what: &str,
    ) -> Result<(), (usize, String)> {
        let start_line = self.line;
        self.pos += 1;
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            if b == b'\n' {
                self.line += 1;
            }
            if backslash && b == b'\\' {
                if self.src.get(self.pos + 1) == Some(&b'\n') {
                    self.line += 1;
                }
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            if b == close {
                if close != b']' && self.src.get(self.pos) == Some(&close) {
                    self.pos += 1;
                    continue;
                }
                return Ok(());
            }
        }
        Err((start_line, format!("unterminated {what}")))
    }

    /// Skips a PostgreSQL dollar-quoted body such as `$$ ... $$` or `$fn$ ... $fn$`.
    fn skip_dollar(&mut self) -> Result<(), (usize, String)> {
        let rest = &self.text[self.pos + 1..];
        let tag_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let tag = &rest[..tag_len];
        let is_quote =
            rest[tag_len..].starts_with('$') && !tag.starts_with(|c: char| c.is_ascii_digit());
        if !is_quote {
            self.pos += 1;
            return Ok(());
        }
        let delimiter = format!("${tag}$");
        let body_start = self.pos + delimiter.len();
        match self.text[body_start..].find(&delimiter) {
            Some(offset) => {
                let end = body_start + offset + delimiter.len();
                self.line += self.text[self.pos..end].matches('\n').count();
                self.pos = end;
                Ok(())
            }
            None => Err((
                self.line,
                format!("unterminated dollar-quoted body {delimiter}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(sql: &str, d: Dialect) -> Vec<String> {
        split_statements(sql, d, 1)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    /// Found by fuzzing: a vertical tab or form feed after the last `;` made a statement of its
    /// own, which the server would have refused as empty.
    #[test]
    fn vertical_tab_and_form_feed_are_white_space() {
        for d in [Dialect::Sqlite, Dialect::Postgresql, Dialect::Mysql] {
            assert_eq!(sqls("SELECT 1;\x0b\x0c\n\x0b", d), ["SELECT 1"]);
        }
    }

    #[test]
    fn splits_plain_statements_and_tracks_lines() {
        let stmts = split_statements(
            "CREATE TABLE a (x INT);\n\n-- note\nINSERT INTO a VALUES (1)",
            Dialect::Sqlite,
            10,
        )
        .unwrap();
        assert_eq!(stmts.len(), 2);
        assert_eq!(
            stmts[0],
            Statement {
                sql: "CREATE TABLE a (x INT)".into(),
                line: 10
            }
        );
        assert_eq!(
            stmts[1],
            Statement {
                sql: "INSERT INTO a VALUES (1)".into(),
                line: 13
            }
        );
    }

    #[test]
    fn datetime_is_spelled_timestamp_on_postgresql_outside_quotes_only() {
        let sql = "CREATE TABLE t (a DATETIME, b datetime NOT NULL, \"datetime\" INT, c VARCHAR(9) DEFAULT 'DATETIME', datetimes INT); -- DATETIME";
        assert_eq!(
            sqls(sql, Dialect::Postgresql),
            [
                "CREATE TABLE t (a TIMESTAMP, b TIMESTAMP NOT NULL, \"datetime\" INT, c VARCHAR(9) DEFAULT 'DATETIME', datetimes INT)"
            ]
        );
        for other in [Dialect::Sqlite, Dialect::Mysql] {
            assert_eq!(sqls(sql, other)[0], sql.split(';').next().unwrap());
        }
    }

    #[test]
    fn keeps_semicolons_inside_strings_identifiers_and_comments() {
        let sql = "INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT \"x;y\", `p;q` FROM t /* ; */; -- ; trailing";
        assert_eq!(
            sqls(sql, Dialect::Mysql),
            vec![
                "INSERT INTO t VALUES ('a;b', 'it''s;')",
                "SELECT \"x;y\", `p;q` FROM t /* ; */"
            ]
        );
    }

    #[test]
    fn mysql_backslash_escapes_but_postgres_standard_strings_do_not() {
        assert_eq!(
            sqls(r"SELECT 'a\';b'; SELECT 1", Dialect::Mysql),
            vec![r"SELECT 'a\';b'", "SELECT 1"]
        );
        assert_eq!(
            sqls(r"SELECT 'a\'; SELECT 1", Dialect::Postgresql),
            vec![r"SELECT 'a\'", "SELECT 1"]
        );
        assert_eq!(
            sqls(r"SELECT E'a\';b'; SELECT 1", Dialect::Postgresql),
            vec![r"SELECT E'a\';b'", "SELECT 1"]
        );
    }

    #[test]
    fn mysql_hash_comments() {
        assert_eq!(
            sqls("SELECT 1; # a ; comment\nSELECT 2;", Dialect::Mysql),
            vec!["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn postgres_dollar_quoted_bodies() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nDO $body$ BEGIN PERFORM 1; END $body$;\nSELECT $1";
        let stmts = split_statements(sql, Dialect::Postgresql, 1).unwrap();
        assert_eq!(stmts.len(), 3);
        assert!(stmts[0].sql.ends_with("$$ LANGUAGE plpgsql"));
        assert_eq!(stmts[1].line, 7);
        assert_eq!(stmts[1].sql, "DO $body$ BEGIN PERFORM 1; END $body$");
        assert_eq!(stmts[2].sql, "SELECT $1");
    }

    #[test]
    fn trigger_bodies_with_begin_end_and_case() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN n > 0 THEN n ELSE 0 END;\n  INSERT INTO c VALUES (1);\nEND;\nSELECT 1;";
        let stmts = sqls(sql, Dialect::Sqlite);
        assert_eq!(stmts.len(), 2, "{stmts:?}");
        assert!(stmts[0].ends_with("END"));
    }

    #[test]
    fn mysql_procedure_with_end_if_and_loops() {
        let sql = "CREATE PROCEDURE p() BEGIN\n IF 1 THEN SELECT 1; END IF;\n WHILE 0 DO SELECT 2; END WHILE;\nEND;\nCALL p();";
        assert_eq!(sqls(sql, Dialect::Mysql).len(), 2);
    }

    #[test]
    fn begin_outside_a_routine_is_a_plain_word() {
        assert_eq!(
            sqls("BEGIN; SELECT 1; COMMIT;", Dialect::Sqlite),
            vec!["BEGIN", "SELECT 1", "COMMIT"]
        );
    }

    #[test]
    fn nested_postgres_block_comments() {
        assert_eq!(
            sqls(
                "/* a /* b; */ c; */ SELECT 1; SELECT 2",
                Dialect::Postgresql
            ),
            vec!["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn comment_only_text_has_no_statements() {
        assert!(sqls("-- nothing here\n/* or here */\n", Dialect::Sqlite).is_empty());
    }

    #[test]
    fn unterminated_items_report_their_start_line() {
        assert_eq!(
            split_statements("SELECT 1;\nSELECT 'oops;\n", Dialect::Sqlite, 5),
            Err((6, "unterminated string".into()))
        );
        assert_eq!(
            split_statements("SELECT $$ x", Dialect::Postgresql, 1),
            Err((1, "unterminated dollar-quoted body $$".into()))
        );
        assert_eq!(
            split_statements("/* x", Dialect::Mysql, 3),
            Err((3, "unterminated /* comment".into()))
        );
    }
}

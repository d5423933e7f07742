//! Splitting a section's SQL into statements without breaking quoted text, comments, dollar-quoted
//! bodies (all as [the lexer](crate::lexer) reads them) or `BEGIN ... END` blocks of triggers and
//! routines.

use super::Dialect;
use crate::lexer::{Kind, Token, lex};

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
    let tokens: Vec<Token> = lex(sql, dialect, first_line)
        .collect::<Result<_, _>>()
        .map_err(|u| (u.line, format!("unterminated {}", u.what)))?;
    let mut out = Vec::new();
    let mut cur = Current::default();
    for (i, t) in tokens.iter().enumerate() {
        let text = &sql[t.start..t.end];
        match t.kind {
            Kind::Space | Kind::Comment => continue,
            Kind::Punct if text == ";" && cur.depth == 0 => {
                if let Some((start, line)) = cur.start {
                    out.push(statement(sql, start, t.start, line, &cur.respelled));
                }
                cur = Current::default();
                continue;
            }
            _ => {}
        }
        if cur.start.is_none() {
            cur.start = Some((t.start, t.line));
        }
        if t.kind == Kind::Word {
            let word = text.to_ascii_uppercase();
            if let Some(spelling) = dialect.type_spelling(&word) {
                cur.respelled.push((t.start, t.end, spelling));
            }
            let next = tokens[i + 1..]
                .iter()
                .find(|n| !matches!(n.kind, Kind::Space | Kind::Comment))
                .filter(|n| n.kind == Kind::Word)
                .map(|n| sql[n.start..n.end].to_ascii_uppercase());
            cur.word(&word, next.as_deref());
        }
    }
    if let Some((start, line)) = cur.start {
        out.push(statement(sql, start, sql.len(), line, &cur.respelled));
    }
    Ok(out)
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

impl Current {
    /// Tracks `BEGIN`/`CASE` ... `END` nesting inside `CREATE TRIGGER/FUNCTION/PROCEDURE/EVENT`;
    /// `next` is the word after this one, if a word follows.
    fn word(&mut self, word: &str, next: Option<&str>) {
        self.words += 1;
        if self.words == 1 {
            self.creates = word == "CREATE";
        } else if self.creates && self.words <= 8 && !self.compound {
            self.compound = matches!(word, "TRIGGER" | "FUNCTION" | "PROCEDURE" | "EVENT");
        }
        if !self.compound {
            return;
        }
        match word {
            "BEGIN" | "CASE" => self.depth += 1,
            "END" if !matches!(next, Some("IF" | "LOOP" | "WHILE" | "REPEAT")) => {
                self.depth = self.depth.saturating_sub(1);
            }
            _ => {}
        }
    }
}

/// The statement between `start` and `end` of `text`, its respelled words replaced.
fn statement(
    text: &str,
    start: usize,
    end: usize,
    line: usize,
    respelled: &[(usize, usize, &str)],
) -> Statement {
    let mut sql = String::with_capacity(end - start);
    let mut at = start;
    for &(from, to, spelling) in respelled {
        sql.push_str(&text[at..from]);
        sql.push_str(spelling);
        at = to;
    }
    sql.push_str(&text[at..end]);
    Statement {
        // SQL's white space only: what the lexer took for text stays (U+2028 is not space).
        sql: sql
            .trim_end_matches(|c: char| c.is_ascii() && crate::lexer::is_space(c as u8))
            .to_string(),
        line,
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

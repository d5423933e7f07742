//! One configuration file read line by line as oslo.config's own parser (`iniparser`) reads it,
//! so that a neutron.conf means here what it means to the Python tools beside us.
//!
//! What general INI readers do otherwise: a line that starts with a space or a tab continues the
//! value above it (joined with a newline; a blank line ends it); `key: value` is an assignment
//! like `key = value`, split at whichever comes first; a value wholly inside matching quotes
//! loses them; `#` and `;` start a comment only at the start of a line; a section may repeat.

/// One `key = value` of a file, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    /// The section it is in, as written between the brackets.
    pub section: String,
    /// The option's name.
    pub key: String,
    /// The value, continuation lines joined with `\n`.
    pub value: String,
    /// The 1-based line of the key.
    pub line: usize,
}

/// A line oslo.config refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IniError {
    /// 1-based.
    pub line: usize,
    /// oslo's reason.
    pub message: &'static str,
}

/// The assignments of one file, in order, and its sections (an empty one included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OsloIni {
    /// Every assignment, in the order written.
    pub assignments: Vec<Assignment>,
}

impl OsloIni {
    /// The value oslo gives `key` of the sections `section` accepts: the last one written.
    pub fn last(&self, section: impl Fn(&str) -> bool, key: &str) -> Option<&Assignment> {
        self.assignments
            .iter()
            .rev()
            .find(|a| a.key == key && section(&a.section))
    }
}

/// Python's `str.isspace`: Unicode's white space and the four separators \x1c to \x1f.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Reads `text` as oslo.config reads a file.
pub(crate) fn parse(text: &str) -> Result<OsloIni, IniError> {
    let mut ini = OsloIni::default();
    let mut section: Option<String> = None;
    // The assignment being read: its key, line and value lines.
    let mut open: Option<(String, usize, Vec<String>)> = None;
    let mut flush = |open: &mut Option<(String, usize, Vec<String>)>,
                     section: &Option<String>|
     -> Result<(), IniError> {
        let Some((key, line, value)) = open.take() else {
            return Ok(());
        };
        let Some(section) = section else {
            return Err(IniError {
                line,
                message: "Section must be started before assignment",
            });
        };
        ini.assignments.push(Assignment {
            section: section.clone(),
            key,
            value: value.join("\n"),
            line,
        });
        Ok(())
    };
    // Python reads the file in universal-newline mode: \r\n and a lone \r end lines too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    for (i, line) in lines.into_iter().enumerate() {
        let number = i + 1;
        let error = |message| {
            Err(IniError {
                line: number,
                message,
            })
        };
        let line = line.trim_end_matches(py_space);
        if line.is_empty() {
            flush(&mut open, &section)?;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match &mut open {
                Some((_, _, value)) => value.push(line.trim_start_matches(py_space).to_string()),
                None => return error("Unexpected continuation line"),
            }
            continue;
        }
        flush(&mut open, &section)?;
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return error("Invalid section (must end with ])");
            };
            if name.is_empty() {
                return error("Empty section name");
            }
            section = Some(name.to_string());
        } else if !line.starts_with(['#', ';']) {
            let (key, value) = match (line.find(':'), line.find('=')) {
                (None, None) => return error("No ':' or '=' found in assignment"),
                (Some(colon), Some(equal)) if colon < equal => (&line[..colon], &line[colon + 1..]),
                (Some(colon), None) => (&line[..colon], &line[colon + 1..]),
                (_, Some(equal)) => (&line[..equal], &line[equal + 1..]),
            };
            let key = key.trim_matches(py_space);
            if key.is_empty() {
                return error("Key cannot be empty");
            }
            let mut value = value.trim_matches(py_space);
            if let Some(quote @ ('"' | '\'')) = value.chars().next()
                && value.ends_with(quote)
            {
                // oslo drops the first and last character, so a lone quote becomes empty.
                value = if value.len() == 1 {
                    ""
                } else {
                    &value[1..value.len() - 1]
                };
            }
            open = Some((key.to_string(), number, vec![value.to_string()]));
        }
    }
    flush(&mut open, &section)?;
    Ok(ini)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String, String)> {
        parse(text)
            .unwrap()
            .assignments
            .into_iter()
            .map(|a| (a.section, a.key, a.value))
            .collect()
    }

    fn one(section: &str, key: &str, value: &str) -> (String, String, String) {
        (section.into(), key.into(), value.into())
    }

    #[test]
    fn continuation_lines_join_the_value_above_until_a_blank_line() {
        let text = "[database]\nconnection = mysql://u:p@h/quark\n    ?charset=utf8\n\t&x=1\n\n[DEFAULT]\nplugins = a,\n  b\n# c\nafter = 1\n";
        assert_eq!(
            values(text),
            vec![
                one(
                    "database",
                    "connection",
                    "mysql://u:p@h/quark\n?charset=utf8\n&x=1"
                ),
                one("DEFAULT", "plugins", "a,\nb"),
                one("DEFAULT", "after", "1"),
            ]
        );
        // An indented line is a continuation even when it looks like an option or a section.
        assert_eq!(
            values("[d]\na = 1\n  b = 2\n  [e]\n"),
            vec![one("d", "a", "1\nb = 2\n[e]")]
        );
    }

    #[test]
    fn separators_quotes_and_comments_as_oslo_takes_them() {
        assert_eq!(
            values(
                "[d]\nk: v=w\nj = a:b\nq = \"quoted\"\nr = 'x\"\ns = \"\nt = v # not a comment\n"
            ),
            vec![
                one("d", "k", "v=w"),
                one("d", "j", "a:b"),
                one("d", "q", "quoted"),
                one("d", "r", "'x\""),
                one("d", "s", ""),
                one("d", "t", "v # not a comment"),
            ]
        );
    }

    #[test]
    fn lines_oslo_refuses_are_named() {
        for (text, line, message) in [
            ("  x = 1\n", 1, "Unexpected continuation line"),
            ("[d]\n# c\n  x\n", 3, "Unexpected continuation line"),
            (
                "x = 1\n[d]\n",
                1,
                "Section must be started before assignment",
            ),
            ("[d\n", 1, "Invalid section (must end with ])"),
            ("[]\n", 1, "Empty section name"),
            ("[d]\nnothing\n", 2, "No ':' or '=' found in assignment"),
            ("[d]\n= 1\n", 2, "Key cannot be empty"),
        ] {
            assert_eq!(parse(text), Err(IniError { line, message }), "{text:?}");
        }
    }

    /// Each generated file read by oslo.config itself (`QUARK_OSLO_PYTHON`: a Python with
    /// oslo.config) and by [`parse`]: the same assignments, or both refuse the same line.
    #[test]
    fn reads_generated_files_as_oslo_config_does() {
        let Some(python) = std::env::var_os("QUARK_OSLO_PYTHON") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "QUARK_OSLO_PYTHON is not set: CI must compare with oslo.config"
            );
            eprintln!("skipped: QUARK_OSLO_PYTHON (a Python with oslo.config) is not set");
            return;
        };
        let files = generated_files(3000);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("files.json");
        std::fs::write(&input, serde_json::to_string(&files).unwrap()).unwrap();
        let out = std::process::Command::new(python)
            .arg("-c")
            .arg(ORACLE)
            .arg(&input)
            .env("PYTHONUTF8", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        for (text, oslo) in files.iter().zip(theirs) {
            let ours = match parse(text) {
                Ok(ini) => serde_json::json!({
                    "ok": ini.assignments.iter()
                        .map(|a| [a.section.as_str(), a.key.as_str(), a.value.as_str()])
                        .collect::<Vec<_>>()
                }),
                Err(e) => serde_json::json!({ "error": e.message }),
            };
            assert_eq!(ours, oslo, "file {text:?}");
        }
    }

    /// Reads each file of the JSON list with oslo.config's parser; prints, for each, its
    /// assignments in order or the message of the error.
    const ORACLE: &str = r#"
import json, os, sys, tempfile
from oslo_config import cfg, iniparser
class Recorder(cfg.ConfigParser):
    def __init__(self, path):
        super().__init__(path, {})
        self.seen = []
    def assignment(self, key, value):
        super().assignment(key, value)
        self.seen.append([self.section, key, "\n".join(value)])
out = []
path = os.path.join(tempfile.mkdtemp(), "generated.conf")
for text in json.load(open(sys.argv[1], encoding="utf-8")):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    p = Recorder(path)
    try:
        p.parse()
        out.append({"ok": p.seen})
    except iniparser.ParseError as e:
        out.append({"error": e.msg})
print(json.dumps(out))
"#;

    /// Files made of the pieces oslo's grammar turns on, in random orders (a fixed seed).
    fn generated_files(count: usize) -> Vec<String> {
        const PIECES: &[&str] = &[
            "[database]",
            "[DEFAULT]",
            "[d",
            "[]",
            "[ x ]",
            "connection = mysql://u:p@h/db",
            "k: v",
            "k = a:b",
            "a:b = c",
            " = v",
            "novalue",
            "q = \"v\"",
            "q = 'v'",
            "q = \"",
            "q = 'v\"",
            "# c",
            "; c",
            "  # indented",
            "\tcont",
            "   cont = x",
            "",
            "   ",
            "k = v # c",
            "k=",
            "k :",
            "x\x1c= 1",
            "é = ü",
            "k = v\r",
            "  [database]",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        (0..count)
            .map(|_| {
                let lines = 1 + next(8);
                let mut text: String = (0..lines)
                    .map(|_| PIECES[next(PIECES.len())])
                    .collect::<Vec<_>>()
                    .join("\n");
                if next(2) == 0 {
                    text.push('\n');
                }
                text
            })
            .collect()
    }
}

//! Entry points of the fuzz targets (`fuzz/`, built by `cargo fuzz`, which sets `--cfg fuzzing`):
//! each reads arbitrary bytes, must not panic, and checks what must hold of any input. The unit
//! tests replay the kept corpus and the regressions through them on every `cargo test`.

use crate::revision::{self, Dialect, Direction, Range, Target};

/// One fuzz target's entry point.
pub type Entry = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets` names them.
pub const TARGETS: [(&str, Entry); 6] = [
    ("revision_file", revision_file),
    ("split", split),
    ("markers", markers),
    ("url", url),
    ("config", config),
    ("target", target),
];

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgresql, Dialect::Mysql];

fn text(data: &[u8]) -> &str {
    std::str::from_utf8(data).unwrap_or_default()
}

/// A revision file: parsed, then each section's statements on each dialect, checksums and the
/// classifier over them; a file that parses builds a one-revision graph.
pub fn revision_file(data: &[u8]) {
    let text = text(data);
    let Ok(rev) = revision::parse_revision("migrations/f.sql", "f.sql", text) else {
        return;
    };
    for dialect in DIALECTS {
        for direction in [Direction::Upgrade, Direction::Downgrade] {
            let _ = rev.checksum(direction, dialect);
            if let Some(Ok(statements)) = rev.statements(direction, dialect) {
                for statement in &statements {
                    let _ = revision::classify(&statement.sql, dialect);
                }
            }
        }
    }
}

/// The SQL splitter on each dialect: statements come in file order, each within the input.
pub fn split(data: &[u8]) {
    let sql = text(data);
    let lines = sql.split('\n').count();
    for dialect in DIALECTS {
        let Ok(statements) = revision::split_statements(sql, dialect, 7) else {
            continue;
        };
        let mut last = 7;
        for s in &statements {
            assert!(
                s.line >= last && s.line < 7 + lines,
                "line {} of {lines}",
                s.line
            );
            last = s.line;
            let sql_space = |c: char| " \t\r\n\x0b\x0c".contains(c);
            assert!(
                !s.sql.trim_matches(sql_space).is_empty(),
                "an empty statement"
            );
        }
    }
}

/// Dialect markers: a marker line's dialects, and the statements each dialect keeps, which
/// come in file order.
pub fn markers(data: &[u8]) {
    let sql = text(data);
    for line in sql.lines() {
        if let Some(Ok(dialects)) = revision::dialects_of(line) {
            assert!(!dialects.is_empty());
        }
    }
    for dialect in DIALECTS {
        if let Ok(statements) = revision::marked_statements(sql, dialect, 1) {
            assert!(statements.windows(2).all(|w| w[0].line <= w[1].line));
        }
    }
}

/// Database URLs: the masked form hides exactly what the parser takes for the password (and
/// `password=` options), and reads back as the same URL otherwise.
pub fn url(data: &[u8]) {
    let raw = text(data).trim();
    let masked = crate::url::mask_password(raw);
    assert_eq!(
        crate::url::mask_password(&masked),
        masked,
        "masking is idempotent"
    );
    let Ok(url) = crate::url::DatabaseUrl::parse(raw) else {
        return;
    };
    assert_eq!(url.masked(), masked);
    let again = crate::url::DatabaseUrl::parse(&masked).expect("the masked URL parses");
    let hidden = url.password.as_ref().map(|_| "***".to_string());
    if url.dialect != Dialect::Sqlite {
        assert_eq!(again.password, hidden, "{masked}");
    }
    assert_eq!(
        (&again.username, &again.host, again.port, &again.database),
        (&url.username, &url.host, url.port, &url.database),
        "{masked}"
    );
    for ((key, value), (_, shown)) in url.query.iter().zip(&again.query) {
        if matches!(
            key.to_ascii_lowercase().as_str(),
            "password" | "pass" | "passwd"
        ) {
            assert!(
                value.is_empty() || shown != value || value == "***",
                "{masked}"
            );
        }
    }
}

/// Configuration files as oslo.config reads them: keys are trimmed and not empty, and
/// assignments come in line order.
pub fn config(data: &[u8]) {
    let Ok(ini) = crate::oslo_ini::parse(text(data)) else {
        return;
    };
    let mut last = 0;
    for a in &ini.assignments {
        assert!(
            !a.key.is_empty() && a.key.trim() == a.key,
            "key {:?}",
            a.key
        );
        assert!(a.line > last);
        last = a.line;
        // The value oslo gives is the last one written in the section.
        let given = ini.last(|s| s == a.section, &a.key).unwrap();
        assert!(given.line >= a.line);
    }
}

/// Target expressions and ranges: what parses prints back as itself.
pub fn target(data: &[u8]) {
    let text = text(data);
    if let Ok(target) = text.parse::<Target>() {
        let printed = target.to_string();
        assert_eq!(
            printed.parse::<Target>(),
            Ok(target),
            "{text:?} printed {printed:?}"
        );
    }
    let _ = text.parse::<Range>();
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every input kept for `target` (`fuzz/corpus/<target>`, `fuzz/regressions/<target>`).
    fn kept(target: &str) -> Vec<PathBuf> {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut files = Vec::new();
        for dir in ["corpus", "regressions"] {
            if let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) {
                files.extend(entries.map(|e| e.unwrap().path()));
            }
        }
        files
    }

    #[test]
    fn the_kept_corpus_and_regressions_pass() {
        let targets = super::TARGETS;
        for (name, run) in targets {
            let files = kept(name);
            assert!(!files.is_empty(), "no corpus kept for {name}");
            for file in files {
                let data = std::fs::read(&file).unwrap();
                if std::panic::catch_unwind(|| run(&data)).is_err() {
                    panic!("{name} fails on {}", file.display());
                }
            }
        }
    }
}

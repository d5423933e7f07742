//! Entry points of the fuzz targets (`fuzz/`, built by `cargo fuzz`, which sets `--cfg fuzzing`):
//! each reads arbitrary bytes, must not panic, and checks what must hold of any input. The unit
//! tests replay the kept corpus and the regressions through them on every `cargo test`.

use crate::revision::{self, Dialect, Direction, Range, Target};

/// One fuzz target's entry point.
pub type Entry = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets` names them.
pub const TARGETS: &[(&str, Entry)] = &[
    ("revision_file", revision_file),
    ("split", split),
    ("markers", markers),
    ("url", url),
    ("config", config),
    ("target", target),
    #[cfg(feature = "cli")]
    ("cli_args", cli_args),
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
/// the values of secret query options), and reads back as the same URL otherwise; nothing shown
/// of a URL holds its password. The input is read twice: as a URL as written, and as the parts
/// of a URL to compose (lines: the form, user, password, host, database, query options), whose
/// password is known.
pub fn url(data: &[u8]) {
    url_as_written(text(data).trim());
    url_composed(text(data));
}

fn url_as_written(raw: &str) {
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
    assert_eq!(url.to_string(), masked);
    assert_eq!(format!("{url:?}"), format!("DatabaseUrl({masked})"));
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
    assert_eq!(url.query.len(), again.query.len(), "{masked}");
    for ((key, value), (_, shown)) in url.query.iter().zip(&again.query) {
        if crate::url::is_secret_option(key) {
            // A bare `key` with no `=` has no value to hide.
            assert!(
                shown == "***" || value.is_empty() && shown.is_empty(),
                "{masked}"
            );
        }
    }
    // The password as written, when finding it in the masked URL proves it leaked: the masked
    // URL is pieces of the URL around it and `***`.
    if url.dialect == Dialect::Sqlite {
        return;
    }
    let (_, after_scheme) = crate::url::split_scheme(raw);
    if let (Some((_, Some(written))), _) = crate::url::split_userinfo(after_scheme) {
        let start = written.as_ptr() as usize - raw.as_ptr() as usize;
        let rest = format!("{}{}", &raw[..start], &raw[start + written.len()..]);
        if written.chars().count() >= 4 && !written.contains('*') && !rest.contains(written) {
            assert!(!masked.contains(written), "{raw:?} shown as {masked:?}");
        }
    }
}

/// The marker in every composed password: no text of the engine holds it, nor (the composer
/// takes it out) any other part of the URL, so a password found in a message came from the
/// password.
const MARK: char = '§';

fn url_composed(text: &str) {
    let mut lines = text.split('\n');
    let mut field = |drop: &[char]| {
        lines
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != MARK && !drop.contains(c) && !c.is_whitespace())
            .collect::<String>()
    };
    let form = field(&[])
        .bytes()
        .fold(0usize, |a, b| a.wrapping_add(b.into()));
    let user = field(&[':', '/', '?', '@', '#']);
    let password = format!("{MARK}{}", field(&['*']));
    // A host list (`a,b`) names no empty host.
    let host = field(&['@', '/', '?', ':', '[', ']', '&', '#'])
        .split(',')
        .filter(|h| !h.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    let database = field(&['@', '?']);
    let options = field(&['@']);
    let scheme = ["mysql", "postgresql+psycopg2", "mariadb"][form / 8 % 3];
    let key = [
        "password",
        "sslpassword",
        "pwd",
        "PASSWORD",
        "passwd",
        "pass",
    ][form / 24 % 6];
    // In a query option, `&` and `@` are percent-encoded; in the user information, the
    // password is written as it is, or percent-encoded.
    let in_query = password
        .replace('%', "%25")
        .replace('&', "%26")
        .replace('@', "%40");
    let encoded: String =
        percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let written = match form % 8 {
        1 => &encoded,
        2 => &in_query,
        _ => &password,
    };
    let url = match form % 8 {
        0 => format!("{scheme}://{user}:{written}@{host}/{database}?{options}"),
        1 => format!("{scheme}://{user}:{written}@{host}:5432/{database}"),
        2 => format!("{scheme}://{user}@{host}/{database}?{options}&{key}={written}"),
        3 => format!("{user}:{written}@{host}/{database}"),
        4 => format!("oracle://{user}:{written}@{host}/{database}"),
        5 => format!("{scheme}://{user}:{written}@{host}:port/{database}"),
        6 => format!("sqlite://{user}:{written}@{host}/{database}"),
        _ => format!("{scheme}://{user}:{written}@[{host}/{database}"),
    };
    let mut shown = vec![crate::url::mask_password(&url)];
    let parsed = crate::url::DatabaseUrl::parse(&url);
    match &parsed {
        Ok(u) => shown.extend([u.masked(), u.to_string(), format!("{u:?}")]),
        Err(e) => shown.extend([e.to_string(), format!("{e:?}")]),
    }
    if form % 8 <= 1 {
        let parsed = parsed.as_ref().expect("a well-formed URL parses");
        let decoded = percent_encoding::percent_decode_str(written).decode_utf8_lossy();
        assert_eq!(parsed.password.as_deref(), Some(&*decoded), "{url:?}");
    }
    let start = url
        .find(written.as_str())
        .expect("the password is in the URL");
    let rest = format!("{}{}", &url[..start], &url[start + written.len()..]);
    // Finding a password in what is shown proves it leaked when it holds MARK, which nothing
    // else holds; or, for a URL that parses, when it holds no `*` and is nowhere else in the
    // URL: the masked URL is pieces of the URL around the password, and `***`.
    for secret in [written.as_str(), password.as_str()] {
        let proof = secret.contains(MARK) || (parsed.is_ok() && !secret.contains('*'));
        if proof && secret.chars().count() >= 4 && !rest.contains(secret) {
            for s in &shown {
                assert!(!s.contains(secret), "{url:?} shown as {s:?}");
            }
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

/// Command lines, one argument a line: parsed as the command line parses them, and run when
/// they need no database and write no file (`heads`, `branches`, `show`, `upgrade`/`downgrade
/// --sql`), options and their values checked as for any run. Whatever the arguments, no panic:
/// clap refuses them, or the run succeeds or fails with a message.
#[cfg(feature = "cli")]
pub fn cli_args(data: &[u8]) {
    let args = std::iter::once("quark-migrate").chain(text(data).split('\n'));
    if let Some(Err(failure)) = crate::cli::run_offline(args) {
        assert!(!failure.to_string().is_empty());
    }
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
        for &(name, run) in super::TARGETS {
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

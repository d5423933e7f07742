//! The command line of an application (`support/app.rs`, run as a process) given hostile input:
//! files that never end or never open (`/dev/zero`, a FIFO, a directory), durations too long for
//! any database, passwords written unusually, and a database whose version table holds control
//! characters and megabytes. Each run ends at once with a message naming the option or the
//! file (exit 1, or clap's 2), never with a panic (101), a hang or a password printed.

#![cfg(all(feature = "cli", feature = "sqlite"))]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/app.rs"]
mod app;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// A clean failure: exit 1 (the run refused) or 2 (clap refused), with `needle` said.
    fn refused(&self, needle: &str) {
        assert!(
            matches!(self.code, Some(1 | 2)),
            "expected exit 1 or 2, got {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not said\nstderr:\n{}",
            self.stderr
        );
    }
}

/// Runs the command line in `dir` with `args`, killing it (and failing) if it takes over 60 s.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let mut child = app::command(args)
        .current_dir(dir)
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the command line");
    // Read as it writes, so that a full pipe never stalls it.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{args:?} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: app::without_harness(stdout.join().unwrap()),
        stderr: stderr.join().unwrap(),
    }
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:///{}", dir.join("app.db").display())
}

#[cfg(unix)]
fn fifo(dir: &Path) -> Option<std::path::PathBuf> {
    let path = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&path).status().ok()?;
    made.success().then_some(path)
}

#[test]
fn files_that_are_no_regular_files_are_refused_at_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().display().to_string();
    let url = sqlite_url(d.path());
    let mut named: Vec<(String, &str)> = vec![(dir.clone(), "a directory")];
    #[cfg(unix)]
    {
        named.push(("/dev/zero".into(), "a character device"));
        if let Some(fifo) = fifo(d.path()) {
            named.push((fifo.display().to_string(), "a FIFO"));
        }
    }
    for (file, kind) in &named {
        // oslo-style configuration files, for an application that replaces the Python tool.
        #[cfg(feature = "oslo")]
        run_in(d.path(), &["--config-file", file, "current"])
            .refused(&format!("--config-file {file}: {kind}, not a regular file"));
        run_in(
            d.path(),
            &[
                "--database-connection",
                &url,
                "--databases",
                file,
                "upgrade",
            ],
        )
        .refused(&format!("--databases {file}: {kind}, not a regular file"));
    }
    // A --databases file past 64 MiB is refused before it is read.
    let big = d.path().join("fleet.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    run_in(
        d.path(),
        &["--databases", &big.display().to_string(), "upgrade"],
    )
    .refused("larger than 64 MiB");
}

#[test]
fn durations_past_what_databases_take_are_refused_naming_the_option() {
    let d = tempfile::tempdir().unwrap();
    let url = sqlite_url(d.path());
    for option in [
        "--lock-timeout",
        "--connect-timeout",
        "--lock-lease",
        "--ddl-lock-timeout",
        "--progress-interval",
    ] {
        for value in [
            "2147484",
            "18446744073709551616",
            "1e300",
            "inf",
            "NaN",
            "-1",
        ] {
            let arg = format!("{option}={value}");
            run_in(
                d.path(),
                &["--database-connection", &url, &arg, "upgrade", "head"],
            )
            .refused(option);
        }
    }
    // The longest wait accepted works on SQLite (its busy timeout holds 2^31 - 1 ms).
    let longest = run_in(
        d.path(),
        &[
            "--database-connection",
            &url,
            "--lock-timeout",
            "2147483",
            "--ddl-lock-timeout",
            "2147483",
            "--lock-lease",
            "2147483",
            "--ddl-lock-retries",
            "4294967295",
            "upgrade",
            "head",
        ],
    );
    assert_eq!(longest.code, Some(0), "{}", longest.stderr);
}

#[test]
fn passwords_written_unusually_are_never_printed() {
    let d = tempfile::tempdir().unwrap();
    // URLs that do not parse, so nothing tries to connect.
    let urls = [
        ("mysql://app:pa/ss@db:port/app", "pa/ss"),
        ("mysql://app:p?ss@db:port/app", "p?ss"),
        ("app:s3cret@db/app", "s3cret"),
        ("oracle://app:hunter22@db/app", "hunter22"),
        ("mysql://db:port/app?sslpassword=tops3cret", "tops3cret"),
    ];
    for (url, password) in urls {
        for format in ["text", "json"] {
            let run = run_in(
                d.path(),
                &["--database-connection", url, "--format", format, "current"],
            );
            run.refused("invalid database URL");
            assert!(!run.all().contains(password), "{}", run.all());
        }
    }
    // A --databases file: `#` inside a URL is part of its password, not a comment.
    let fleet = d.path().join("fleet.txt");
    std::fs::write(
        &fleet,
        "# the fleet\n\
         mysql://app:p#w/x@db1:port/app  # first\n\
         mysql://db2:port/app?password=hunter22&pwd=hunter33\n\
         oracle://app:a@b/c?d@db3/app\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        let run = run_in(
            d.path(),
            &[
                "--databases",
                &fleet.display().to_string(),
                "--format",
                format,
                "upgrade",
            ],
        );
        run.refused("3 of 3 databases failed");
        let all = run.all();
        for secret in ["p#w/x", "w/x", "hunter22", "hunter33", "a@b/c?d", "b/c?d"] {
            assert!(!all.contains(secret), "{secret} printed:\n{all}");
        }
        assert!(all.contains("mysql://***@db1:port/app"), "{all}");
    }
}

#[test]
fn text_from_the_database_is_printed_escaped_and_cut() {
    let d = tempfile::tempdir().unwrap();
    let url = sqlite_url(d.path());
    let db = rusqlite::Connection::open(d.path().join("app.db")).unwrap();
    db.execute_batch("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        .unwrap();
    let hostile = format!("evil\x1b[2J\x1b]0;owned\x07\r{}", "x".repeat(2_000_000));
    db.execute("INSERT INTO alembic_version VALUES (?1)", [&hostile])
        .unwrap();
    drop(db);
    for format in ["text", "json"] {
        let run = run_in(
            d.path(),
            &["--database-connection", &url, "--format", format, "current"],
        );
        run.refused("evil\\x1b[2J\\x1b]0;owned\\x07\\r");
        let all = run.all();
        assert!(
            !all.contains('\x1b') && !all.contains('\x07') && !all.contains('\r'),
            "{all}"
        );
        assert!(all.len() < 200_000, "{} bytes printed", all.len());
        assert!(all.contains("more characters]"), "{all}");
    }
}

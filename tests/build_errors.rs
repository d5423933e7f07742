//! build.rs run on scratch crates: broken `migrations/` fail the build with `file:line` messages,
//! and edits to `migrations/` rebuild the embed.
//!
//! Each scratch crate's build script is quark's own `build.rs`, on the engine crate as an
//! application gets it (a path dependency, default features off).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Scratch {
    dir: tempfile::TempDir,
    name: String,
}

fn header(id: &str, revises: &str) -> String {
    format!("-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n")
}

fn good(id: &str, revises: &str) -> String {
    format!(
        "{}\n-- +upgrade\nCREATE TABLE t_{id} (x INT);\n\n-- +downgrade\nDROP TABLE t_{id};\n",
        header(id, revises)
    )
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(ROOT);
        let engine = root.join("crates/quark-migrate");
        let engine = format!(
            "quark-migrate = {{ path = {:?}, default-features = false",
            engine.display().to_string()
        );
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{engine}, features = [\"runtime\"] }}\n\n[build-dependencies]\n{engine} }}\n\n[workspace]\n"
            ),
        )
        .unwrap();
        std::fs::copy(root.join("build.rs"), dir.path().join("build.rs")).unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/main.rs"),
            "static FILES: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\n\
             fn main() { for f in FILES { println!(\"{} {}\", f.path, f.source.lines().find(|l| l.starts_with(\"CREATE\")).unwrap_or(\"\")); } }\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
        Scratch {
            dir,
            name: name.to_string(),
        }
    }

    fn write(&self, file: &str, text: impl AsRef<[u8]>) -> &Self {
        std::fs::write(self.dir.path().join("migrations").join(file), text).unwrap();
        self
    }

    fn remove(&self, file: &str) {
        std::fs::remove_file(self.dir.path().join("migrations").join(file)).unwrap();
    }

    fn cargo(&self, verb: &str) -> Output {
        let target: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target");
        Command::new(env!("CARGO"))
            .args([verb, "--offline", "--quiet", "--bin", &self.name])
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", target)
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap()
    }

    /// Builds, expecting failure; returns the build script's error output.
    fn fails(&self) -> String {
        let out = self.cargo("build");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "the build should fail");
        stderr
    }

    /// Builds and runs, expecting success; returns what the binary printed.
    fn runs(&self) -> String {
        let out = self.cargo("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn assert_has(stderr: &str, want: &str) {
    assert!(stderr.contains(want), "expected {want:?} in:\n{stderr}");
}

/// A scratch crate's name, its migration files, and the message its build must print.
type Case = (&'static str, Vec<(&'static str, Vec<u8>)>, &'static str);

#[test]
fn every_kind_of_broken_chain_fails_the_build_naming_file_and_line() {
    let cases: Vec<Case> = vec![
        (
            "malformed_header",
            vec![(
                "a1_x.sql",
                b"-- no header fields\n-- +upgrade\nSELECT 1;\n".to_vec(),
            )],
            "migrations/a1_x.sql:1: malformed header: no 'Revision ID:' line",
        ),
        (
            "id_mismatch",
            vec![("b1_x.sql", good("a1", "None").into_bytes())],
            "migrations/b1_x.sql:3: revision id 'a1' does not match the file name 'b1_x.sql'",
        ),
        (
            "duplicate_id",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("a1_y.sql", good("a1", "None").into_bytes()),
            ],
            "migrations/a1_y.sql:3: duplicate revision id 'a1'",
        ),
        (
            "unknown_parent",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("b2_x.sql", good("b2", "zz9").into_bytes()),
            ],
            "migrations/b2_x.sql:4: 'Revises:' names unknown revision 'zz9'",
        ),
        (
            "cycle",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("b2_x.sql", good("b2", "a1, c3").into_bytes()),
                ("c3_x.sql", good("c3", "b2").into_bytes()),
            ],
            "revisions form a cycle: ",
        ),
        (
            "unknown_dialect",
            vec![(
                "a1_x.sql",
                format!("{}-- +upgrade oracle\nSELECT 1;\n", header("a1", "None")).into_bytes(),
            )],
            "migrations/a1_x.sql:5: unknown dialect 'oracle' in '-- +upgrade'",
        ),
        (
            "unknown_section",
            vec![(
                "a1_x.sql",
                format!(
                    "{}-- +upgrade\nSELECT 1;\n-- +rollback\nSELECT 2;\n",
                    header("a1", "None")
                )
                .into_bytes(),
            )],
            "migrations/a1_x.sql:7: unknown section '+rollback'",
        ),
        (
            "empty_upgrade",
            vec![(
                "a1_x.sql",
                format!(
                    "{}\n-- +upgrade\n-- TODO\n\n-- +downgrade\n",
                    header("a1", "None")
                )
                .into_bytes(),
            )],
            "migrations/a1_x.sql:6: empty upgrade section: it holds no SQL statement",
        ),
        (
            "not_utf8",
            vec![(
                "a1_x.sql",
                [
                    header("a1", "None").as_bytes(),
                    b"-- +upgrade\nSELECT '\xff\xfe';\n",
                ]
                .concat(),
            )],
            "migrations/a1_x.sql:6: the file is not valid UTF-8",
        ),
        (
            "unterminated_string",
            vec![(
                "a1_x.sql",
                format!(
                    "{}-- +upgrade\nSELECT 1;\nSELECT 'oops;\n",
                    header("a1", "None")
                )
                .into_bytes(),
            )],
            "migrations/a1_x.sql:7: unterminated string",
        ),
        (
            "unknown_dependency",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                (
                    "b2_x.sql",
                    good("b2", "a1")
                        .replacen("-- Revises: a1\n", "-- Revises: a1\n-- Depends On: q9\n", 1)
                        .into_bytes(),
                ),
            ],
            "migrations/b2_x.sql:5: 'Depends On:' names unknown revision 'q9'",
        ),
        (
            "two_heads",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("b2_x.sql", good("b2", "a1").into_bytes()),
                ("c3_x.sql", good("c3", "a1").into_bytes()),
            ],
            "migrations/b2_x.sql:3: revision 'b2' is one of 2 heads (b2, c3) and has no branch label of its own",
        ),
    ];
    for (name, files, want) in cases {
        let scratch = Scratch::new(&format!("scratch_{name}"));
        for (file, text) in &files {
            scratch.write(file, text);
        }
        let stderr = scratch.fails();
        assert_has(&stderr, want);
        assert_has(&stderr, "hint: ");
    }
}

#[test]
fn the_two_heads_error_suggests_merge() {
    let scratch = Scratch::new("scratch_merge_hint");
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write("b2_x.sql", good("b2", "a1"))
        .write("c3_x.sql", good("c3", "a1"));
    assert_has(
        &scratch.fails(),
        "hint: join the heads with `quark-db-manage merge -m \"merge heads\" b2 c3`",
    );
}

#[test]
fn adding_editing_and_removing_files_rebuilds_the_embed() {
    let scratch = Scratch::new("scratch_rebuild");
    scratch.write("a1_x.sql", good("a1", "None"));
    assert_eq!(
        scratch.runs(),
        "migrations/a1_x.sql CREATE TABLE t_a1 (x INT);\n"
    );
    scratch.write("b2_x.sql", good("b2", "a1"));
    assert_eq!(scratch.runs().lines().count(), 2);
    scratch.write("b2_x.sql", good("b2", "a1").replace("(x INT)", "(y TEXT)"));
    assert!(scratch.runs().contains("CREATE TABLE t_b2 (y TEXT);"));
    scratch.write("c3_x.sql", good("c3", "nope"));
    assert_has(
        &scratch.fails(),
        "migrations/c3_x.sql:4: 'Revises:' names unknown revision 'nope'",
    );
    scratch.remove("c3_x.sql");
    scratch.remove("b2_x.sql");
    assert_eq!(
        scratch.runs(),
        "migrations/a1_x.sql CREATE TABLE t_a1 (x INT);\n"
    );
}

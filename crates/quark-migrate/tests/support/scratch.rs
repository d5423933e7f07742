//! Scratch crates built by the tests: an application with the engine as its build-dependency,
//! `migrations/` written by the test, built with cargo to see what its build script says.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where `Cargo.lock` is).
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() {
        assert!(
            dir.pop(),
            "no Cargo.lock above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

/// The build script every scratch crate starts with: what an application's `build.rs` says.
const BUILD_RS: &str = "fn main() {\n    if let Err(problems) = quark_migrate::build::embed_migrations(\"migrations\") {\n        eprintln!(\"{problems}\");\n        eprintln!(\"error: the migrations in migrations/ are invalid; see the lines above\");\n        std::process::exit(1);\n    }\n}\n";

/// The shared target directory of the scratch crates.
fn scratch_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target")
}

/// Forgets what earlier builds of the scratch crate `name` rehearsed (kept in its `OUT_DIR`), so
/// that every test starts from a build that has rehearsed nothing.
fn forget_rehearsals(name: &str) {
    let Ok(entries) = std::fs::read_dir(scratch_target().join("debug/build")) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{name}-"))
        {
            for kept in [
                "quark_migrate_rehearsed.txt",
                "quark_migrate_rehearsed.db.key",
            ] {
                let _ = std::fs::remove_file(entry.path().join("out").join(kept));
            }
        }
    }
}

pub fn header(id: &str, revises: &str) -> String {
    format!("-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n")
}

pub fn good(id: &str, revises: &str) -> String {
    format!(
        "{}\n-- +upgrade\nCREATE TABLE t_{id} (x INT);\n\n-- +downgrade\nDROP TABLE t_{id};\n",
        header(id, revises)
    )
}

/// A revision `id` revising `revises`, with the sections given.
pub fn revision(id: &str, revises: &str, upgrade: &str, downgrade: &str) -> String {
    format!(
        "{}\n-- +upgrade\n{upgrade}\n\n-- +downgrade\n{downgrade}\n",
        header(id, revises)
    )
}

pub fn assert_has(stderr: &str, want: &str) {
    assert!(stderr.contains(want), "expected {want:?} in:\n{stderr}");
}

pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub name: String,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch::with_build_features(name, "\"sqlite\"")
    }

    /// A scratch crate whose build-dependency on the engine has `features`.
    pub fn with_build_features(name: &str, features: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = workspace_root();
        let engine = root.join("crates/quark-migrate");
        let engine = format!(
            "quark-migrate = {{ path = {:?}, default-features = false",
            engine.display().to_string()
        );
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{engine}, features = [\"runtime\"] }}\n\n[build-dependencies]\n{engine}, features = [{features}] }}\n\n[workspace]\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("build.rs"), BUILD_RS).unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/main.rs"),
            "static FILES: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\n\
             fn main() { for f in FILES { println!(\"{} {}\", f.path, f.source.lines().find(|l| l.starts_with(\"CREATE\")).unwrap_or(\"\")); } }\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
        forget_rehearsals(name);
        Scratch {
            dir,
            name: name.to_string(),
        }
    }

    pub fn write(&self, file: &str, text: impl AsRef<[u8]>) -> &Self {
        std::fs::write(self.dir.path().join("migrations").join(file), text).unwrap();
        self
    }

    /// Replaces the build script.
    pub fn build_rs(&self, text: &str) -> &Self {
        std::fs::write(self.dir.path().join("build.rs"), text).unwrap();
        self
    }

    pub fn remove(&self, file: &str) {
        std::fs::remove_file(self.dir.path().join("migrations").join(file)).unwrap();
    }

    pub fn cargo(&self, verb: &str) -> Output {
        self.cargo_with(verb, &[])
    }

    /// Runs cargo with `env` set; `cargo:warning` lines are shown when it sets
    /// `QUARK_MIGRATE_CHECK=details` (cargo's `--quiet` would hide them).
    pub fn cargo_with(&self, verb: &str, env: &[(&str, &str)]) -> Output {
        let target = scratch_target();
        let mut command = Command::new(env!("CARGO"));
        let loud = env.contains(&("QUARK_MIGRATE_CHECK", "details"));
        command
            .args([verb, "--offline", "--bin", &self.name])
            .args(if loud { None } else { Some("--quiet") })
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", target)
            .env_remove("RUSTFLAGS")
            .env_remove("QUARK_MIGRATE_CHECK")
            .env_remove("QUARK_MIGRATE_CHECK_URL")
            .env_remove("QUARK_MIGRATE_LOCK_RISKS");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    }

    /// Builds, expecting failure; returns the build script's error output.
    pub fn fails(&self) -> String {
        let out = self.cargo("build");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "the build should fail");
        stderr
    }

    /// Builds and runs, expecting success; returns what the binary printed.
    pub fn runs(&self) -> String {
        let out = self.cargo("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

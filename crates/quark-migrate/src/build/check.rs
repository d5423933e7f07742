//! The build's rehearsal of the migrations it embeds: on SQLite in memory when the build
//! dependency has the `sqlite` feature, and on the server `QUARK_MIGRATE_CHECK_URL` names.

use std::path::Path;

use super::Options;
use crate::revision::RevisionMap;

/// Turns rehearsals off (`off`, `0`, `false`, `no`) or asks for a line on what they did
/// (`details`).
const SETTING: &str = "QUARK_MIGRATE_CHECK";
/// A PostgreSQL or MySQL server to rehearse on too.
const URL: &str = "QUARK_MIGRATE_CHECK_URL";

/// Rehearses `map` (and the declared schema in `schema_dir`) as `options` and the environment
/// ask; the faults found, as build errors.
pub(crate) fn run(
    map: &RevisionMap,
    schema_dir: &Path,
    schema_shown: &str,
    options: &Options,
) -> Result<(), String> {
    println!("cargo:rerun-if-env-changed={SETTING}");
    println!("cargo:rerun-if-env-changed={URL}");
    let setting = std::env::var(SETTING)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !options.rehearses() || matches!(setting.as_str(), "off" | "0" | "false" | "no") {
        return Ok(());
    }
    let details = setting == "details";
    let url = std::env::var(URL).ok().filter(|u| !u.is_empty());
    imp::run(
        map,
        schema_dir,
        schema_shown,
        options,
        url.as_deref(),
        details,
    )
}

#[cfg(feature = "runtime")]
mod imp {
    use std::collections::HashSet;
    use std::path::Path;
    use std::time::Instant;

    use super::super::rehearsal::{Earlier, Rehearsed, rehearse, rehearse_from};
    use super::Options;
    use crate::backend::{Backend, ConnectOptions};
    use crate::revision::{Dialect, RevisionMap};
    use crate::schema::{DeclaredFile, Scratch, read_declared};
    use crate::url::DatabaseUrl;

    pub(super) fn run(
        map: &RevisionMap,
        schema_dir: &Path,
        schema_shown: &str,
        options: &Options,
        url: Option<&str>,
        details: bool,
    ) -> Result<(), String> {
        let declared: Vec<DeclaredFile> = if schema_dir.is_dir() {
            read_declared(schema_dir, schema_shown).map_err(|e| e.to_string())?
        } else {
            Vec::new()
        };
        let mut said = Vec::new();
        if cfg!(feature = "sqlite") && options.targets(Dialect::Sqlite) {
            // What passed in an earlier build of this crate is only applied: an edit checks the
            // revision edited and those above it again. An edit of the newest revision starts
            // from the database the earlier build kept, with everything below it applied.
            let out_dir = std::env::var_os("OUT_DIR").map(std::path::PathBuf::from);
            let cache = out_dir
                .as_ref()
                .map(|dir| dir.join("quark_migrate_rehearsed.txt"));
            let passed: HashSet<String> = cache
                .as_ref()
                .and_then(|path| std::fs::read_to_string(path).ok())
                .map(|text| text.lines().map(str::to_string).collect())
                .unwrap_or_default();
            let started = Instant::now();
            let mut keep = |key: &str, db: &mut dyn Backend| {
                if let Some(dir) = &out_dir {
                    kept::keep(dir, key, db);
                }
            };
            let earlier = Earlier {
                passed: &passed,
                start: out_dir.as_deref().and_then(kept::start),
                keep: Some(&mut keep),
            };
            let done = rehearse_from(
                map,
                Some(&declared),
                &mut || Scratch::open(None, &ConnectOptions::default()),
                earlier,
            )
            .map_err(|f| format!("{f}\nerror: the migrations fail their rehearsal on SQLite (set {}=off to build without it)", super::SETTING))?;
            if let Some(path) = &cache {
                let _ = std::fs::write(path, done.verified.join("\n"));
            }
            said.push(describe("SQLite in memory", &done, &declared, started));
            warn_undeclared(&done, &declared, "sqlite");
        }
        if let Some(url) = url {
            let parsed = DatabaseUrl::parse(url).map_err(|e| format!("{}: {e}", super::URL))?;
            if !options.targets(parsed.dialect) {
                return Err(format!(
                    "{}: {} is not among the dialects these migrations target",
                    super::URL,
                    parsed.dialect
                ));
            }
            let options = ConnectOptions::default();
            let started = Instant::now();
            let done = rehearse(
                map,
                Some(&declared),
                &mut || Scratch::open(Some(&parsed), &options),
                &HashSet::new(),
            )
            .map_err(|f| {
                format!(
                    "{f}\nerror: the migrations fail their rehearsal on {}",
                    parsed.masked()
                )
            })?;
            said.push(describe(
                &parsed.masked().to_string(),
                &done,
                &declared,
                started,
            ));
            warn_undeclared(&done, &declared, &parsed.dialect.to_string());
        }
        let unrehearsed: Vec<String> = Dialect::ALL
            .iter()
            .filter(|d| options.targets(**d))
            .filter(|d| {
                !(**d == Dialect::Sqlite && cfg!(feature = "sqlite"))
                    && url
                        .and_then(|u| DatabaseUrl::parse(u).ok())
                        .is_none_or(|u| u.dialect != **d)
            })
            .map(ToString::to_string)
            .collect();
        // A build that rehearsed nothing says so, always: it is the check the application lost.
        if said.is_empty() {
            println!(
                "cargo:warning=quark-migrate: nothing rehearsed ({}): {}",
                unrehearsed.join(", "),
                how_to_rehearse(options)
            );
        } else if details {
            if !unrehearsed.is_empty() {
                said.push(format!(
                    "not rehearsed on {} (set {} to a server of it)",
                    unrehearsed.join(", "),
                    super::URL
                ));
            }
            println!("cargo:warning=quark-migrate: {}", said.join("; "));
        }
        Ok(())
    }

    /// The SQLite scratch database a build keeps in `OUT_DIR` for the next: what the newest
    /// revision's parent and its ancestors leave, with that parent's key (which names their
    /// texts), so that after an edit of the newest revision the rehearsal applies none of the
    /// others.
    #[cfg(feature = "sqlite")]
    mod kept {
        use std::path::Path;

        use crate::backend::Backend;
        use crate::revision::Dialect;
        use crate::schema::Scratch;

        const FILE: &str = "quark_migrate_rehearsed.db";
        const KEY: &str = "quark_migrate_rehearsed.db.key";

        /// A copy of the kept database, with its key; `None` when there is none.
        pub(super) fn start(dir: &Path) -> Option<(String, Scratch)> {
            let key = std::fs::read_to_string(dir.join(KEY)).ok()?;
            let options = crate::backend::ConnectOptions::default();
            let scratch = Scratch::sqlite_copy(&dir.join(FILE), dir, &options).ok()?;
            Some((key.trim().to_string(), scratch))
        }

        /// Keeps `db` under `key`: written to a new file in a directory of its own (created
        /// new, so that nothing can stand where `VACUUM INTO` writes), then renamed over the
        /// kept one; the key last, written the same way, so that a build stopped half-way
        /// leaves no key naming another database.
        pub(super) fn keep(dir: &Path, key: &str, db: &mut dyn Backend) {
            use std::io::Write as _;
            let _ = std::fs::remove_file(dir.join(KEY));
            let Ok(new) = tempfile::Builder::new()
                .prefix("quark_migrate_kept")
                .tempdir_in(dir)
            else {
                return;
            };
            let file = new.path().join(FILE);
            let vacuum = format!(
                "VACUUM INTO {}",
                Dialect::Sqlite.string_literal(&file.display().to_string())
            );
            if db.run(&vacuum).is_err() || std::fs::rename(&file, dir.join(FILE)).is_err() {
                return;
            }
            if let Ok(mut written) = tempfile::NamedTempFile::new_in(dir)
                && written.write_all(key.as_bytes()).is_ok()
            {
                let _ = written.persist(dir.join(KEY));
            }
        }
    }

    /// Without SQLite, nothing is rehearsed in memory and nothing is kept.
    #[cfg(not(feature = "sqlite"))]
    mod kept {
        use std::path::Path;

        use crate::backend::Backend;
        use crate::schema::Scratch;

        pub(super) fn start(_: &Path) -> Option<(String, Scratch)> {
            None
        }

        pub(super) fn keep(_: &Path, _: &str, _: &mut dyn Backend) {}
    }

    /// What rehearses migrations that nothing rehearsed: SQLite in memory when it is targeted,
    /// else a live server of a targeted dialect.
    fn how_to_rehearse(options: &Options) -> String {
        if options.targets(Dialect::Sqlite) && !cfg!(feature = "sqlite") {
            "enable the `sqlite` feature of the quark-migrate build-dependency to rehearse on SQLite in memory, or set QUARK_MIGRATE_CHECK_URL to a server".to_string()
        } else {
            let servers: Vec<&str> = [
                (Dialect::Postgresql, "postgresql://..."),
                (Dialect::Mysql, "mysql://..."),
            ]
            .into_iter()
            .filter(|(d, _)| options.targets(*d))
            .map(|(_, url)| url)
            .collect();
            format!(
                "set {}={} (with that driver's feature on the quark-migrate build-dependency) to rehearse on a server",
                super::URL,
                servers.join(" or ")
            )
        }
    }

    /// A declared schema ahead of (or behind) the migrations is a warning: it is the state
    /// between editing the declared schema and autogenerating the revision.
    fn warn_undeclared(done: &Rehearsed, declared: &[DeclaredFile], dialect: &str) {
        if done.undeclared.is_empty() {
            return;
        }
        let folder = declared[0]
            .path
            .rsplit_once('/')
            .map_or(declared[0].path.as_str(), |(dir, _)| dir);
        let changes: Vec<String> = done.undeclared.iter().map(ToString::to_string).collect();
        println!(
            "cargo:warning={folder}: the migrations at head do not build the declared schema on {dialect} ({}); `check` lists the differences, `revision --autogenerate` writes the revision",
            changes.join("; ")
        );
    }

    fn describe(on: &str, done: &Rehearsed, declared: &[DeclaredFile], started: Instant) -> String {
        let mut text = format!(
            "rehearsed {} revisions on {on} in {:.2} s ({} downgrades round-tripped",
            done.upgraded,
            started.elapsed().as_secs_f64(),
            done.round_trips
        );
        if !declared.is_empty() && done.undeclared.is_empty() {
            text.push_str(", the declared schema matches head");
        }
        text.push(')');
        if done.kept > 0 {
            text.push_str(&format!(
                ", started from the database an earlier build kept with {} applied",
                done.kept
            ));
        }
        if done.reused > 0 {
            text.push_str(&format!(
                ", applied {} that passed in an earlier build unchanged",
                done.reused
            ));
        }
        if done.checkpoints > 0 {
            text.push_str(&format!(
                ", {} checkpoint(s) give the schema of the revisions they stand for",
                done.checkpoints
            ));
        }
        if !done.skipped.is_empty() {
            text.push_str(&format!(
                ", skipped {} written in Rust ({})",
                done.skipped.len(),
                done.skipped.join(", ")
            ));
        }
        text
    }
}

#[cfg(not(feature = "runtime"))]
mod imp {
    use std::path::Path;

    use super::Options;
    use crate::revision::RevisionMap;

    pub(super) fn run(
        _map: &RevisionMap,
        _schema_dir: &Path,
        _schema_shown: &str,
        _options: &Options,
        url: Option<&str>,
        details: bool,
    ) -> Result<(), String> {
        if url.is_some() {
            return Err(format!(
                "{} is set, but the build-dependency quark-migrate has no database driver: enable its `postgres` or `mysql` feature under [build-dependencies]",
                super::URL
            ));
        }
        // A build that rehearsed nothing says so, always.
        let _ = details;
        println!(
            "cargo:warning=quark-migrate: nothing rehearsed: enable the `sqlite` feature of the quark-migrate build-dependency (or a server's driver feature and {})",
            super::URL
        );
        Ok(())
    }
}

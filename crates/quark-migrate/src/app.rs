//! The application a migration runs for: its name and version, as its database sessions, its
//! logs, its scratch databases and its command line show them.

use std::cell::Cell;

/// The application's identity: its name and version, and the log target of the engine's lines.
///
/// [`app!`](crate::app!) makes one from the application's own `Cargo.toml`; without one the
/// engine names itself (`quark-migrate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App {
    /// The program's name (`application_name` on PostgreSQL, `program_name` on MySQL, the command
    /// line's name).
    pub name: &'static str,
    /// The program's version (`--version`, the header of offline scripts).
    pub version: &'static str,
    /// The log target of every line the engine logs for this application.
    pub log_target: &'static str,
    /// The subcommand the engine's commands are mounted under in the application's own command
    /// line (`db` for `acme-svc db upgrade`); `None` when they are the program's own.
    pub mounted_at: Option<&'static str>,
}

impl App {
    /// The engine itself, for applications that give no identity: logging under its crate's
    /// name, as Rust's convention has it (`RUST_LOG=quark_migrate=debug`).
    pub const ENGINE: App =
        App::new("quark-migrate", env!("CARGO_PKG_VERSION")).with_log_target("quark_migrate");

    /// An application named `name` at `version`, logging under its name.
    pub const fn new(name: &'static str, version: &'static str) -> App {
        App {
            name,
            version,
            log_target: name,
            mounted_at: None,
        }
    }

    /// The same application with the engine's commands mounted under `subcommand` of its own
    /// command line (`db`): hints, completions and `--version` spell `<name> <subcommand>`.
    pub const fn mounted_at(mut self, subcommand: &'static str) -> App {
        self.mounted_at = Some(subcommand);
        self
    }

    /// How a person invokes the engine's commands: `acme-svc db`, or `quark-db-manage`.
    pub fn invocation(&self) -> String {
        match self.mounted_at {
            Some(sub) => format!("{} {sub}", self.name),
            None => self.name.to_string(),
        }
    }

    /// The first part of the log target: what a `RUST_LOG` filter names to cover the
    /// application's own lines and the engine's (`acme_svc` for `acme_svc::migrations`).
    pub fn log_root(&self) -> &'static str {
        let end = self.log_target.find("::").unwrap_or(self.log_target.len());
        &self.log_target[..end]
    }

    /// The same application logging under `target` instead of its name.
    pub const fn with_log_target(mut self, target: &'static str) -> App {
        self.log_target = target;
        self
    }

    /// Makes this the application the engine works for on this thread (its log target, its
    /// scratch databases' names) until the returned guard is dropped.
    pub(crate) fn scope(&self) -> Scope {
        Scope(CURRENT.with(|c| c.replace(*self)))
    }

    /// The prefix of scratch schemas and databases: the name in lower case, letters, digits and
    /// `_` only, at most 24 bytes, so that the name stays a plain identifier on every server.
    #[cfg_attr(not(feature = "runtime"), allow(dead_code))]
    pub(crate) fn scratch_prefix(&self) -> String {
        let mut prefix: String = self
            .name
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9') => c,
                _ => '_',
            })
            .take(24)
            .collect();
        if !prefix.starts_with(|c: char| c.is_ascii_lowercase()) {
            prefix.insert(0, 'a');
        }
        prefix
    }
}

impl Default for App {
    fn default() -> App {
        App::ENGINE
    }
}

thread_local! {
    static CURRENT: Cell<App> = const { Cell::new(App::ENGINE) };
    static COMMAND_LINE: Cell<bool> = const { Cell::new(false) };
}

/// The application the engine works for on this thread.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn current() -> App {
    CURRENT.with(Cell::get)
}

/// The log target of the application the engine works for on this thread.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn log_target() -> &'static str {
    current().log_target
}

/// `subcommand` as a person runs it, in backticks: under the command line, with the
/// application's invocation (`` `acme-svc db stamp --purge base` ``); from the library, bare.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn command(subcommand: &str) -> String {
    if COMMAND_LINE.with(Cell::get) {
        format!("`{} {subcommand}`", current().invocation())
    } else {
        format!("`{subcommand}`")
    }
}

/// Marks this thread as running the command line (its hints spell the invocation) until the
/// returned guard is dropped.
#[cfg(feature = "cli")]
pub(crate) fn command_line() -> CommandLine {
    CommandLine(COMMAND_LINE.with(|c| c.replace(true)))
}

/// Gives the thread its previous command-line mark back when dropped.
#[cfg(feature = "cli")]
pub(crate) struct CommandLine(bool);

#[cfg(feature = "cli")]
impl Drop for CommandLine {
    fn drop(&mut self) {
        COMMAND_LINE.with(|c| c.set(self.0));
    }
}

/// Gives the thread its previous application back when dropped.
pub(crate) struct Scope(App);

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Expands to the [`App`] of the package being compiled: its `Cargo.toml` name and version,
/// the engine's lines logged under `<crate>::migrations` (Rust's convention: one `RUST_LOG`
/// filter, `acme_svc=debug`, covers the application's own lines and the engine's).
#[macro_export]
macro_rules! app {
    () => {
        $crate::App::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .with_log_target(concat!(env!("CARGO_CRATE_NAME"), "::migrations"))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_sets_the_log_target_and_gives_the_previous_one_back() {
        assert_eq!(log_target(), "quark_migrate");
        let outer = App::new("svc", "1.0");
        {
            let _outer = outer.scope();
            assert_eq!(log_target(), "svc");
            {
                let _inner = App::new("x", "1").with_log_target("x.migration").scope();
                assert_eq!(log_target(), "x.migration");
            }
            assert_eq!(log_target(), "svc");
            // Another thread keeps its own target.
            std::thread::spawn(|| assert_eq!(current(), App::ENGINE))
                .join()
                .unwrap();
        }
        assert_eq!(log_target(), "quark_migrate");
    }

    #[test]
    fn scratch_prefixes_are_plain_identifiers() {
        assert_eq!(
            App::new("quark-db-manage", "1").scratch_prefix(),
            "quark_db_manage"
        );
        assert_eq!(App::new("9Lives.Svc", "1").scratch_prefix(), "a9lives_svc");
        assert_eq!(
            App::new("a-very-long-application-name-indeed", "1").scratch_prefix(),
            "a_very_long_application_"
        );
    }

    #[test]
    fn the_macro_names_the_package_being_compiled() {
        let app = crate::app!();
        assert_eq!(
            (app.name, app.version),
            ("quark-migrate", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(app.log_target, "quark_migrate::migrations");
        assert_eq!(app.log_root(), "quark_migrate");
        assert_eq!(app.invocation(), "quark-migrate");
        assert_eq!(app.mounted_at("db").invocation(), "quark-migrate db");
        let quark = App::new("quark-db-manage", "1").with_log_target("quark.migration");
        assert_eq!(quark.log_root(), "quark.migration");
    }
}

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
}

impl App {
    /// The engine itself, for applications that give no identity.
    pub const ENGINE: App = App::new("quark-migrate", env!("CARGO_PKG_VERSION"));

    /// An application named `name` at `version`, logging under its name.
    pub const fn new(name: &'static str, version: &'static str) -> App {
        App {
            name,
            version,
            log_target: name,
        }
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
}

/// The application the engine works for on this thread.
pub(crate) fn current() -> App {
    CURRENT.with(Cell::get)
}

/// The log target of the application the engine works for on this thread.
pub(crate) fn log_target() -> &'static str {
    current().log_target
}

/// Gives the thread its previous application back when dropped.
pub(crate) struct Scope(App);

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Expands to the [`App`] of the package being compiled: its `Cargo.toml` name and version.
#[macro_export]
macro_rules! app {
    () => {
        $crate::App::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_sets_the_log_target_and_gives_the_previous_one_back() {
        assert_eq!(log_target(), "quark-migrate");
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
        assert_eq!(log_target(), "quark-migrate");
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
        assert_eq!(app.log_target, "quark-migrate");
    }
}

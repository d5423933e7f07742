//! Everything the command line prints on stdout, in one place: Alembic's text forms, or one
//! JSON document with `--format json`. Log lines go to stderr through the logger instead.
//!
//! One file per family of commands: the revisions and the database's place among them
//! (`revisions`), migration runs and their reports (`migrations`), many databases at once
//! (`fleet`), the schema (`schema`: drift, check, autogenerate) and upkeep (`upkeep`: restore,
//! split-version-table); what they share is here.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use super::shown::{JSON, shown, shown_ids};
use crate::plan::describe;

/// `println!` for the command line's output: a closed pipe ends it quietly.
macro_rules! say {
    () => { $crate::cli::output::write_out(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::cli::output::write_out(format_args!($($arg)*), true) };
}

/// `print!` for the command line's output.
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::cli::output::write_out(format_args!($($arg)*), false) };
}

mod fleet;
mod migrations;
mod revisions;
mod schema;
mod upkeep;

pub use super::progress_line::ProgressLine;
pub use fleet::{fleet, fleet_status};
pub use migrations::{dry_run, report, script, verified, verify};
pub use revisions::{branches, current, revisions, show};
pub use schema::{check, generated, no_schema_changes, revision_written};
pub(super) use schema::{drift, drift_recorded};
pub use upkeep::split;
#[cfg(feature = "sqlite")]
pub use upkeep::{backups, restored};

/// Whether stdout's reader went away (a closed pipe): nothing more is written, and the program
/// ends as tools do when their reader goes (exit status 141).
static PIPE_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout found its reader gone.
pub(super) fn pipe_closed() -> bool {
    PIPE_CLOSED.load(Ordering::Relaxed)
}

/// Writes to stdout; a closed pipe is noted, never a panic (as `println!` would).
fn write_out(text: std::fmt::Arguments<'_>, newline: bool) {
    if pipe_closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(text)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        PIPE_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `completions SHELL`: the completion script for `program`.
pub fn completions(shell: clap_complete::Shell, mut command: clap::Command) {
    let name = command.get_name().to_string();
    // Written whole into memory first: clap_complete panics on a write that fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    say_raw!("{}", String::from_utf8_lossy(&script));
}

/// `--version`: the invocation and what it runs.
pub fn version(invocation: &str, version: &str) {
    say!("{invocation} {version}");
}

/// Revision ids as one line shows them: [`describe`] of each [`shown`].
fn described(ids: &[String]) -> String {
    describe(&shown_ids(ids))
}

/// A text as a JSON document holds it: whole, unless huge ([`JSON`]).
fn cut(text: &str) -> String {
    shown(text, JSON).into_owned()
}

/// Each of `texts` [`cut`].
fn cut_all(texts: &[String]) -> Vec<String> {
    texts.iter().map(|t| cut(t)).collect()
}

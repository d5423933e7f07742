//! Revisions as pure data: parsing migration files, splitting SQL, the revision graph and targets.
//!
//! Nothing here touches a database or the file system: the build (the engine as a
//! build-dependency, see [`crate::build`]) validates `migrations/` with the very code the
//! runtime uses.

mod classify;
mod dialect;
mod file;
mod graph;
mod marker;
mod parsed;
mod problem;
mod resolve;
mod splitter;
mod target;

pub use classify::{
    Classified, ConstraintKind, Effect, Online, Risk, TableChange, classify, revision_lock_risks,
};
pub use dialect::Dialect;
pub use graph::RevisionMap;
use parsed::Code;
pub use parsed::{Direction, Revision, Section, Sections};
pub use problem::{FileError, GraphError};
pub use splitter::Statement;

#[cfg(feature = "runtime")]
pub(crate) use file::is_valid_id;
pub(crate) use file::parse_revision;
#[cfg(any(fuzzing, all(test, feature = "cli")))]
pub(crate) use marker::dialects_of;
#[cfg(feature = "runtime")]
pub(crate) use marker::statements as marked_statements;
pub(crate) use splitter::split_statements;
pub use target::{Range, Target, TargetError};

/// The former name of [`TableChange`].
#[deprecated(since = "0.3.0", note = "renamed to `TableChange`")]
pub type Change = TableChange;

#[cfg(test)]
pub(crate) use graph::tests as test_support;

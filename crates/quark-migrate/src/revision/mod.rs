//! Revisions as pure data: parsing migration files, splitting SQL, the revision graph and targets.
//!
//! Nothing here touches a database or the file system: the build (the engine as a
//! build-dependency, see [`crate::build`]) validates `migrations/` with the very code the
//! runtime uses.

mod classify;
mod dialect;
mod error;
mod graph;
mod marker;
mod model;
mod parse;
mod resolve;
mod split;
mod target;

pub use classify::{
    Change, Classified, ConstraintKind, Effect, Online, Risk, classify, revision_lock_risks,
};
pub use dialect::Dialect;
pub use error::{FileError, GraphError};
pub use graph::RevisionMap;
use model::Code;
pub use model::{Direction, Revision, Section, Sections};
pub use split::Statement;

#[cfg(any(fuzzing, all(test, feature = "cli")))]
pub(crate) use marker::dialects_of;
#[cfg(feature = "runtime")]
pub(crate) use marker::statements as marked_statements;
#[cfg(feature = "runtime")]
pub(crate) use parse::is_valid_id;
pub(crate) use parse::parse_revision;
pub(crate) use split::split_statements;
pub use target::{Range, Target, TargetError};

#[cfg(test)]
pub(crate) use graph::tests as test_support;

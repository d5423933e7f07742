use thiserror::Error;

/// A problem in one migration file, located at a line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{line}: {message}{}", hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct FileError {
    /// The file's path as shown to the user, e.g. `migrations/1284c81cf727_x.sql`.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl FileError {
    /// A located error without a hint.
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        FileError {
            file: file.into(),
            line,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint telling the user what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Everything wrong with a set of revisions, reported together.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct GraphError(pub Vec<FileError>);

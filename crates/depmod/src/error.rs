//! Errors that stop depmod. Each displays as the text kmod prints for the
//! same failure (kmod prints most of them as `FATAL:`), so the command-line
//! tool only adds its name and the level.

use std::io;

use modconf::strerror;

/// Why depmod cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `-E` / `-F` file that cannot be read.
    #[error("could not load {path}: {}", strerror(.source))]
    KernelSymbols { path: String, source: io::Error },
    /// The module directory cannot be read.
    #[error("could not search modules: {}", strerror(.source))]
    Search { source: io::Error },
    /// A module named on the command line is not an absolute path.
    #[error("{0}: not absolute path.")]
    NotAbsolute(String),
    /// A module named on the command line cannot be used.
    #[error("could not create module {path}: {}", strerror(.source))]
    CreateModule { path: String, source: io::Error },
    /// Two modules named on the command line share a name.
    #[error("could not add module {path}: {}", strerror(.source))]
    AddModule { path: String, source: io::Error },
    /// Modules depend on each other in a cycle (already reported).
    #[error("dependency cycles")]
    Cycles,
    /// An index key or value kmod's index format cannot hold.
    #[error("{0}")]
    Index(String),
    /// The output directory cannot be created.
    #[error("could not create directory {path}: {}", strerror(.source))]
    CreateDir { path: String, source: io::Error },
    /// The output directory cannot be written; nothing was changed.
    #[error("could not write {path}: {}", strerror(.source))]
    Write { path: String, source: io::Error },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

//! Errors. [`Error`] is what a sim-kernel operation answers: an errno, as
//! the real kernel's system calls do, plus a sentence for people.
//! [`DaemonError`] is why the daemon could not start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A failed sim-kernel operation: `errno` is what the real kernel would
/// have returned (`ENOENT` for an unknown symbol, `EWOULDBLOCK` for a
/// module in use, …); `message` details it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub errno: i32,
    pub message: String,
}

impl Error {
    pub fn new(errno: i32, message: impl Into<String>) -> Error {
        Error {
            errno,
            message: message.into(),
        }
    }

    /// The errno.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// An error with the system's text for `errno` as its message.
    pub fn from_errno(errno: i32) -> Error {
        Error::new(errno, nix::errno::Errno::from_raw(errno).desc())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(e.raw_os_error().unwrap_or(nix::libc::EIO), e.to_string())
    }
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot create the state directory {path}: {source}")]
    StateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a sim kernel already serves {0}")]
    AlreadyRunning(PathBuf),
    #[error("cannot listen on {path}: {source}")]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the module host program {0} does not exist (build the rkmod-sim-host binary or set RKMOD_SIM_HOST)")]
    NoHostProgram(PathBuf),
    #[error("cannot open the log {path}: {source}")]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

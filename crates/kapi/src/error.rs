//! kapi's errors, each with the errno a kernel would give.

use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no kernel headers for {release} in {dir} (install linux-headers-{release})")]
    NoHeaders { release: String, dir: PathBuf },
    #[error("building the sim kernel API for {release} failed:\n{output}")]
    Build { release: String, output: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Module {
        path: String,
        source: modfile::Error,
    },
    #[error("{0}")]
    Load(#[from] modload::Error),
    #[error("{name}: {what}")]
    Format { name: String, what: String },
    #[error("the sim kernel API: {0}")]
    Kapi(String),
    #[error("{0}")]
    Errno(String, i32),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The errno a kernel would answer with.
    pub fn errno(&self) -> i32 {
        match self {
            Error::NoHeaders { .. } => libc::ENOEXEC,
            Error::Build { .. } | Error::Kapi(_) => libc::ENOEXEC,
            Error::Io { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
            // What the kernel's loader says of a file it cannot use as a
            // module (elf_validity_check): ENOEXEC; I/O and limits keep theirs.
            Error::Module { source, .. } => match source {
                modfile::Error::Io(_)
                | modfile::Error::TooLarge { .. }
                | modfile::Error::OutOfMemory => source.errno(),
                _ => libc::ENOEXEC,
            },
            Error::Load(e) => e.errno(),
            Error::Format { .. } => libc::ENOEXEC,
            Error::Errno(_, e) => *e,
        }
    }
}

//! Typed errors. Each maps to the errno kmod reports for the same failure, so
//! the tools can print kmod's message (`strerror`) for it.

use std::io;

/// Why a module file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Opening, reading or mapping the file failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Shorter than the longest compression magic kmod checks (6 bytes).
    #[error("file too short")]
    TooShort,
    /// Compressed data that does not decompress.
    #[error("{format}: {reason}")]
    Decompress {
        format: &'static str,
        reason: String,
    },
    /// A compressed module that expands beyond the limit (see [`crate::Limits`]).
    #[error("expands to more than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The memory for the expanded contents could not be allocated.
    #[error("out of memory")]
    OutOfMemory,
    /// No ELF magic at the start of the (decompressed) contents.
    #[error("not an ELF file")]
    NotElf,
    /// ELF whose headers or sections are inconsistent.
    #[error("malformed ELF: {0}")]
    Malformed(&'static str),
    /// A section the request needs is not in the file.
    #[error("section {0} not found")]
    NoSection(&'static str),
}

impl Error {
    /// The errno kmod returns for this failure (positive).
    pub fn errno(&self) -> i32 {
        match self {
            Error::Io(e) => e.raw_os_error().unwrap_or(libc_eio()),
            Error::NotElf => 8,       // ENOEXEC
            Error::NoSection(_) => 2, // ENOENT
            // "File too large": kmod has no limit of its own (it stops when
            // realloc fails, with ENOMEM); EFBIG names the reason.
            Error::TooLarge { .. } => 27, // EFBIG
            Error::OutOfMemory => 12,     // ENOMEM
            Error::TooShort | Error::Decompress { .. } | Error::Malformed(_) => 22, // EINVAL
        }
    }
}

fn libc_eio() -> i32 {
    5
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

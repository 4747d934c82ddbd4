//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong opening, validating or building an index.
///
/// Lookups on an opened index never fail: a corrupt part of the file reads as
/// "not found". [`Index::validate`](crate::Index::validate) reports such
/// corruption explicitly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, read or mapped.
    #[error("{}: {source}", path.display())]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Fewer bytes than the 12-byte header.
    #[error("index too short: {len} bytes, the header alone needs 12")]
    TooShort {
        /// Length of the data.
        len: usize,
    },
    /// The first word is not the index magic.
    #[error(
        "not a kmod index: magic {found:#010x}, expected {:#010x}",
        crate::format::MAGIC
    )]
    BadMagic {
        /// Magic found in the data.
        found: u32,
    },
    /// The major version is not 2.
    #[error("unsupported kmod index version {:#x}.{:#x} (major must be {:#x})", found >> 16, found & 0xffff, crate::format::VERSION_MAJOR)]
    BadVersion {
        /// Whole version word found in the data.
        found: u32,
    },
    /// A node of the trie is malformed (reported by `validate` only).
    #[error("corrupt index: {reason} (node reference {reference:#010x})")]
    Corrupt {
        /// Raw node reference (offset and flags) of the bad node.
        reference: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key or value cannot be stored (NUL anywhere, or a key byte >= 0x80).
    #[error("cannot index {what}: byte {byte:#04x} at position {pos} is not allowed")]
    InvalidByte {
        /// `"key"` or `"value"`.
        what: &'static str,
        /// Offending byte.
        byte: u8,
        /// Its position in the key or value.
        pos: usize,
    },
    /// The serialised index would need offsets beyond 28 bits (256 MiB).
    #[error("index too large: {size} bytes, node offsets are limited to 28 bits")]
    TooLarge {
        /// Size reached when the limit was passed.
        size: usize,
    },
}

//! One Linux kernel module file, read the way kmod reads it.
//!
//! [`ModuleFile::open`] loads a module (mapping plain files, decompressing
//! xz, zstd and gzip detected by magic bytes); [`Elf`] gives zero-copy access
//! to what the module tools need: `.modinfo`, `__versions`, exported and
//! undefined symbols, vermagic, the `this_module` name; [`Signature`] reads the
//! appended signature.
//!
//! ```no_run
//! let file = modfile::ModuleFile::open("square.ko")?;
//! let elf = file.elf()?;
//! for entry in elf.modinfo()? {
//!     println!("{}", String::from_utf8_lossy(entry.key));
//! }
//! # Ok::<(), modfile::Error>(())
//! ```

mod elf;
mod error;
mod file;
mod image;
mod limits;
mod modinfo;
mod pkcs7;
mod signature;
mod strip;
mod symbols;

pub use elf::{Class, Elf};
pub use error::{Error, Result};
pub use file::{decompress, Compression, ModuleFile};
pub use image::{Image, Wanted, COMPACT_MAX};
pub use limits::{Limits, MemoryBudget, LIMIT_ENV, MAX_DECOMPRESSED};
pub use modinfo::{section_strings, ModinfoEntry};
pub use signature::{hex_colon, hex_colon_into, Bytes, Signature};
pub use symbols::{Bind, Symbol};

/// Module name from a path or file name, as kmod derives it: the base name up
/// to its first `.`, with `-` turned into `_`.
pub fn modname_from_path(path: &[u8]) -> Vec<u8> {
    let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    normalize_name(base)
}

/// Normalise a module name: stop at the first `.`, `-` becomes `_`.
pub fn normalize_name(name: &[u8]) -> Vec<u8> {
    name.iter()
        .take_while(|&&b| b != b'.')
        .map(|&b| if b == b'-' { b'_' } else { b })
        .collect()
}

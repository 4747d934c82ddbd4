//! kmod's binary trie index format: the `modules.*.bin` files that depmod
//! writes and modprobe/libkmod read.
//!
//! * [`IndexBuilder`] builds an index in memory and serialises it
//!   byte-for-byte as kmod 30's depmod does (nodes in post-order).
//! * [`Index`] reads an index from a memory map or any byte buffer without
//!   copying, with libkmod's lookups: exact [`search`](Index::search),
//!   [`lookup_all`](Index::lookup_all), wildcard
//!   [`search_wild`](Index::search_wild), and key-ordered
//!   [`iter`](Index::iter). Corrupt data never panics.
//! * [`fnmatch`] is glibc's `fnmatch(pattern, string, 0)`, as libkmod uses it
//!   for alias patterns.
//!
//! The layout is described in [`format`](mod@format).
//!
//! # What depmod (kmod 30) puts in each index
//!
//! To get kmod's bytes, insert in this order with these priorities (the
//! crate's tests rebuild this machine's files this way and compare bytes):
//!
//! | file | key | value | priority | insert order |
//! |---|---|---|---|---|
//! | modules.dep.bin | module name (basename up to the first `.`, `-` → `_`) | the modules.dep line: `path:` then ` dep` per dependency | module index | modules.dep line order |
//! | modules.alias.bin | alias normalized (`-` → `_` outside `[...]`; skipped on unmatched brackets) | module name | module index | modules.alias line order (modules in order, each module's aliases in modinfo order) |
//! | modules.symbols.bin | `symbol:NAME` | owner module name | owner's module index | symbol hash-table order (= modules.symbols order) |
//! | modules.builtin.bin | module name of each modules.builtin line starting with a letter | empty | 0 | file order |
//! | modules.builtin.alias.bin | normalized alias from modules.builtin.modinfo | module name | 0 | file order |
//!
//! The module index is the module's position in depmod's sorted module
//! array, i.e. its line number (from 0) in modules.dep; kmod 30 keeps it in
//! a `uint16_t`, so it wraps past 65535 modules.
//!
//! Values equal to one already stored for the key are stored again (kmod
//! only warns with `-w`); among equal priorities the newest value is stored
//! first; [`IndexBuilder::duplicates`] names them.
//!
//! ```
//! use modindex::{Index, IndexBuilder};
//!
//! let mut b = IndexBuilder::new();
//! b.insert(b"pci:v00008086d*", b"e1000e", 2);
//! b.insert(b"usb:v05ACp*", b"apple", 1);
//! let index = Index::from_bytes(b.to_bytes())?;
//! let hits = index.search_wild(b"pci:v00008086d000010D3");
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].value, b"e1000e");
//! # Ok::<(), modindex::Error>(())
//! ```

mod error;
mod fnmatch;
pub mod format;
mod iter;
mod node;
mod reader;
mod writer;

pub use error::Error;
pub use fnmatch::fnmatch;
pub use iter::Iter;
pub use node::Value;
pub use reader::{Index, LibkmodReader};
pub use writer::IndexBuilder;

/// The part of `b` before its first NUL: how C code sees a string.
pub(crate) fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(end) => &b[..end],
        None => b,
    }
}

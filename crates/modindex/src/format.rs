//! On-disk constants of the kmod index format (major version 2).
//!
//! An index file is a header followed by trie nodes. All integers are 32-bit
//! big-endian.
//!
//! ```text
//! header:  magic (u32) | version (u32) | root node reference (u32)
//! node:    [prefix bytes, NUL]                        if FLAG_PREFIX
//!          [first (u8), last (u8), child ref (u32) × (last - first + 1)]
//!                                                     if FLAG_CHILDREN
//!          [value count (u32), (priority (u32), value bytes, NUL) × count]
//!                                                     if FLAG_VALUES
//! ```
//!
//! A node *reference* is a file offset in its low 28 bits ([`OFFSET_MASK`])
//! with flags in its high nibble telling which parts the node has. A
//! reference whose offset is 0 means "no node" (an absent child between
//! `first` and `last`).

/// First word of every index file (the "BOOTFAST"-like magic).
pub const MAGIC: u32 = 0xB007_F457;
/// Major format version understood by this crate and by libkmod.
pub const VERSION_MAJOR: u16 = 0x0002;
/// Minor format version written by depmod.
pub const VERSION_MINOR: u16 = 0x0001;
/// Second word of an index file as depmod writes it.
pub const VERSION: u32 = ((VERSION_MAJOR as u32) << 16) | VERSION_MINOR as u32;
/// Size of the header: magic, version, root reference.
pub const HEADER_LEN: usize = 12;

/// Keys may only contain bytes below this value (7-bit ASCII): the writer
/// indexes children by byte.
pub const CHILD_MAX: u8 = 128;

/// The node has a non-empty, NUL-terminated prefix.
pub const FLAG_PREFIX: u32 = 0x8000_0000;
/// The node has a value list.
pub const FLAG_VALUES: u32 = 0x4000_0000;
/// The node has a child table.
pub const FLAG_CHILDREN: u32 = 0x2000_0000;
/// All bits that may hold flags.
pub const FLAGS_MASK: u32 = 0xF000_0000;
/// Bits of a node reference holding the file offset.
pub const OFFSET_MASK: u32 = 0x0FFF_FFFF;

/// Characters that start a wildcard in a stored key, for `search_wild`.
pub const WILDCARD_STARTS: [u8; 3] = [b'*', b'?', b'['];

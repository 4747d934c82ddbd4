//! What the engines share about loader-added sections (veneers, PLT, GOT):
//! which symbols may need an entry, whether the object names the GOT, and
//! entries numbered in the order their relocations are met so the layout
//! is deterministic.

use std::collections::HashMap;
use std::hash::Hash;

use crate::parse::{Object, SymbolPlace};

/// The symbol naming the GOT.
pub(crate) const GOT_SYMBOL: &str = "_GLOBAL_OFFSET_TABLE_";

/// Whether the object refers to `_GLOBAL_OFFSET_TABLE_` (so a GOT is laid
/// out even when no relocation asks for an entry).
pub(crate) fn names_got(obj: &Object<'_>) -> bool {
    obj.symbols()
        .iter()
        .any(|s| s.is_undefined() && s.name == GOT_SYMBOL)
}

/// Whether symbol `index` is defined outside the image (undefined or
/// absolute), so a branch to it may be out of range and need a veneer or
/// PLT entry.
pub(crate) fn defined_outside(obj: &Object<'_>, index: usize) -> bool {
    index != 0
        && obj
            .symbol(index)
            .is_some_and(|s| matches!(s.place, SymbolPlace::Undefined | SymbolPlace::Absolute))
}

/// Keys to entry offsets, `size` bytes per entry.
#[derive(Debug)]
pub(crate) struct Slots<K> {
    size: u64,
    offsets: HashMap<K, u64>,
}

impl<K: Hash + Eq> Slots<K> {
    pub(crate) fn new(size: u64) -> Self {
        Slots {
            size,
            offsets: HashMap::new(),
        }
    }

    /// The entry of `key`, added after the others if new.
    pub(crate) fn insert(&mut self, key: K) -> u64 {
        let next = self.offsets.len() as u64 * self.size;
        *self.offsets.entry(key).or_insert(next)
    }

    /// The offset of `key`'s entry.
    pub(crate) fn get(&self, key: &K) -> Option<u64> {
        self.offsets.get(key).copied()
    }

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len()
    }

    /// The bytes all entries take.
    pub(crate) fn bytes(&self) -> u64 {
        self.offsets.len() as u64 * self.size
    }
}

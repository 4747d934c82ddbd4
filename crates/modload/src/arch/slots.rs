//! Entries of a loader-added section (veneers, PLT, GOT), numbered in the
//! order their relocations are met so the layout is deterministic.

use std::collections::HashMap;
use std::hash::Hash;

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

    /// The bytes all entries take.
    pub(crate) fn bytes(&self) -> u64 {
        self.offsets.len() as u64 * self.size
    }
}

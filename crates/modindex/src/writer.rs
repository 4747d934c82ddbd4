//! Building an index in memory and serialising it the way kmod 30's depmod
//! does (nodes in post-order: every node's children come before it).
//!
//! kmod inserts key by key into a trie of allocated nodes and then walks
//! it. The trie's shape depends only on the set of keys (a node exists
//! where a key ends or keys branch), and a key's values only on their
//! priorities and insertion order; so the builder keeps what is inserted
//! in one arena, sorts it once and writes the nodes in one pass over the
//! sorted keys: no node is ever allocated (an index of 26,000 aliases was
//! 40,000 nodes to make, link and free, issue 14).

use crate::error::Error;
use crate::format::{
    CHILD_MAX, FLAG_CHILDREN, FLAG_PREFIX, FLAG_VALUES, HEADER_LEN, MAGIC, OFFSET_MASK, VERSION,
};

/// Bytes kept in the builder's arena: `start` and `len` in
/// [`IndexBuilder::bytes`].
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

/// One inserted value; its insertion number is its position in
/// [`IndexBuilder::entries`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Span,
    value: Span,
    priority: u32,
}

/// Builds an index in memory, then serialises it exactly as kmod 30's depmod
/// does.
///
/// The byte layout depends on the insertion order (values of equal priority
/// are stored newest first), so feed keys in the order depmod does to get an
/// identical file.
///
/// ```
/// use modindex::{Index, IndexBuilder};
///
/// let mut b = IndexBuilder::new();
/// b.insert(b"snd_hda_intel", b"kernel/sound/snd-hda-intel.ko: kernel/sound/snd.ko", 3);
/// let bytes = b.to_bytes();
/// let index = Index::from_bytes(bytes).unwrap();
/// assert_eq!(
///     index.search(b"snd_hda_intel"),
///     Some(&b"kernel/sound/snd-hda-intel.ko: kernel/sound/snd.ko"[..])
/// );
/// ```
#[derive(Debug, Clone, Default)]
pub struct IndexBuilder {
    /// Every value inserted, in insertion order.
    entries: Vec<Entry>,
    /// Arena of the keys and values (see [`Span`]).
    bytes: Vec<u8>,
}

fn check_bytes(what: &'static str, bytes: &[u8], allow_high: bool) -> Result<(), Error> {
    // The usual case in two whole-slice passes the standard library runs
    // word by word (every key and value of every index comes here); the
    // byte at fault only when there is one.
    if !bytes.contains(&0) && (allow_high || bytes.is_ascii()) {
        return Ok(());
    }
    match bytes
        .iter()
        .position(|&b| b == 0 || (!allow_high && b >= CHILD_MAX))
    {
        Some(pos) => Err(Error::InvalidByte {
            what,
            byte: bytes[pos],
            pos,
        }),
        None => Ok(()),
    }
}

/// The length of the longest common prefix of `a` and `b`, eight bytes at
/// a time (alias keys share long prefixes along their path).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// A node being written: the run `lo..hi` of sorted entries whose keys
/// share `key[..end]`, the node's prefix being `key[start..end]`.
struct Frame {
    lo: usize,
    hi: usize,
    start: usize,
    end: usize,
    /// The entries `lo..values` end exactly at `end`: the node's values.
    values: usize,
    /// The first entry of the next child still to write.
    next: usize,
    /// Where this node's children's references begin in the shared list.
    children: usize,
}

impl IndexBuilder {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index with room for about `keys` keys of `bytes` bytes of
    /// keys and values in all: an index of known size grows no arena.
    pub fn with_capacity(keys: usize, bytes: usize) -> Self {
        IndexBuilder {
            entries: Vec::with_capacity(keys),
            bytes: Vec::with_capacity(bytes),
        }
    }

    /// Number of values inserted (duplicates included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Insert `value` with `priority` under `key`, like kmod's `index_insert`.
    ///
    /// Returns whether the value was stored: `false` only when the key or
    /// value holds a byte the format cannot carry (see
    /// [`try_insert`](Self::try_insert)). Note that, like kmod, a value equal
    /// to one the key already holds **is stored again** (kmod only reports
    /// it, see [`duplicates`](Self::duplicates)).
    pub fn insert(&mut self, key: &[u8], value: &[u8], priority: u32) -> bool {
        self.try_insert(key, value, priority).is_ok()
    }

    /// Insert `value` with `priority` under `key`.
    ///
    /// Values of a key are kept sorted by ascending priority; a value goes
    /// before existing values of the same priority (newest first). A value
    /// equal to one already stored under the key is stored again, as kmod
    /// does; [`duplicates`](Self::duplicates) names them afterwards (what
    /// depmod's `-w` warns about).
    ///
    /// # Errors
    /// [`Error::InvalidByte`] if the key holds a NUL or a byte >= 0x80, or the
    /// value holds a NUL. (kmod 30 exits on such keys on platforms where it
    /// notices them; bytes >= 0x80 in values are written as they are, as
    /// kmod does on x86.) [`Error::TooLarge`] when the arena would pass
    /// 4 GiB. Nothing is inserted then.
    pub fn try_insert(&mut self, key: &[u8], value: &[u8], priority: u32) -> Result<(), Error> {
        check_bytes("key", key, false)?;
        check_bytes("value", value, true)?;
        // every span of the arena, and every insertion number, must stay
        // addressable by u32
        let room = self.bytes.len() + key.len() + value.len();
        if u32::try_from(room).is_err() || u32::try_from(self.entries.len() + 1).is_err() {
            return Err(Error::TooLarge { size: room });
        }
        let key = self.keep(key);
        let value = self.keep(value);
        self.entries.push(Entry {
            key,
            value,
            priority,
        });
        Ok(())
    }

    /// Copy `bytes` into the arena (the caller checked it stays within u32).
    fn keep(&mut self, bytes: &[u8]) -> Span {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(bytes);
        Span {
            start,
            len: bytes.len() as u32,
        }
    }

    /// The `n`th value inserted (from 0): its key, value and priority.
    pub fn get(&self, n: usize) -> Option<(&[u8], &[u8], u32)> {
        let e = self.entries.get(n)?;
        Some((
            &self.bytes[e.key.range()],
            &self.bytes[e.value.range()],
            e.priority,
        ))
    }

    fn key(&self, e: u32) -> &[u8] {
        &self.bytes[self.entries[e as usize].key.range()]
    }

    /// The insertion numbers (from 0, in ascending order) of the values
    /// that were already stored under their key when inserted: what kmod
    /// reports as a duplicate (a brand new key never is).
    pub fn duplicates(&self) -> Vec<usize> {
        let value = |e: u32| &self.bytes[self.entries[e as usize].value.range()];
        let mut order = self.entries_by(|a, b| self.key(a).cmp(self.key(b)));
        // Within a key, equal values side by side, the first inserted first.
        let mut dups = Vec::new();
        for run in order.chunk_by_mut(|&a, &b| self.key(a) == self.key(b)) {
            run.sort_unstable_by(|&a, &b| value(a).cmp(value(b)).then(a.cmp(&b)));
            for pair in run.windows(2) {
                if value(pair[0]) == value(pair[1]) {
                    dups.push(pair[1] as usize);
                }
            }
        }
        dups.sort_unstable();
        dups
    }

    /// Insertion numbers sorted by `cmp`, ties by insertion number.
    fn entries_by(&self, cmp: impl Fn(u32, u32) -> std::cmp::Ordering) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
        order
    }

    /// Serialise to bytes, byte-identical to kmod 30 depmod's output for the
    /// same insert sequence.
    ///
    /// # Panics
    /// If the index would exceed 256 MiB, which the format cannot address
    /// (see [`try_to_bytes`](Self::try_to_bytes)).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self.try_to_bytes() {
            Ok(bytes) => bytes,
            Err(e) => panic!("{e}"),
        }
    }

    /// Serialise to bytes; fails instead of panicking on an index that
    /// exceeds the 28-bit offsets of the format.
    pub fn try_to_bytes(&self) -> Result<Vec<u8>, Error> {
        // kmod's order: keys, then a key's values by ascending priority,
        // the newest first among equals.
        let sorted = self.entries_by(|a, b| {
            let (ea, eb) = (&self.entries[a as usize], &self.entries[b as usize]);
            self.key(a)
                .cmp(self.key(b))
                .then(ea.priority.cmp(&eb.priority))
                .then(b.cmp(&a))
        });
        let key = |i: usize| self.key(sorted[i]);
        // How many bytes each key shares with the one before it: a node's
        // children split where that falls to the node's prefix end.
        let shared: Vec<u32> = std::iter::once(0)
            .chain((1..sorted.len()).map(|i| common_prefix(key(i - 1), key(i)) as u32))
            .collect();
        // Nodes and their values come to about the arena's size.
        let mut out = Vec::with_capacity(HEADER_LEN + self.bytes.len() + 16 * sorted.len());
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.extend_from_slice(&VERSION.to_be_bytes());
        // Root reference, patched once the root is written (it comes last).
        out.extend_from_slice(&0u32.to_be_bytes());

        // (edge byte, reference) of the nodes written whose parent is not
        // yet: a stack, each frame's children on top of its elders'.
        let mut refs: Vec<(u8, u32)> = Vec::new();
        // The root's prefix is always empty: kmod's root is never split.
        let mut stack = vec![self.frame(&key, 0, sorted.len(), 0, Some(0), 0)];
        while let Some(top) = stack.last_mut() {
            if top.next < top.hi {
                // The next child: the entries with the same byte after
                // `end`, those sharing more than `end` bytes with the one
                // before.
                let (lo, end) = (top.next, top.end);
                let rest = &shared[lo + 1..top.hi];
                let hi = lo + 1 + rest.iter().take_while(|&&n| n as usize > end).count();
                top.next = hi;
                let children = refs.len();
                stack.push(self.frame(&key, lo, hi, end + 1, None, children));
                continue;
            }
            let Some(f) = stack.pop() else { break };
            let reference = self.write_node(&f, &key, &sorted, &refs[f.children..], &mut out)?;
            refs.truncate(f.children);
            match f.start {
                0 => out[8..12].copy_from_slice(&reference.to_be_bytes()),
                s => refs.push((key(f.lo)[s - 1], reference)),
            }
        }
        Ok(out)
    }

    /// The frame of the node for the entries `lo..hi` (keys sharing
    /// `key[..start]`), its prefix `end - start` bytes long when `end` is
    /// given, else as long as every key shares.
    fn frame<'k>(
        &self,
        key: &impl Fn(usize) -> &'k [u8],
        lo: usize,
        hi: usize,
        start: usize,
        end: Option<usize>,
        children: usize,
    ) -> Frame {
        let end = match end {
            Some(end) => end,
            // Sorted: what the first and last keys share, all share.
            None if hi > lo => start + common_prefix(&key(lo)[start..], &key(hi - 1)[start..]),
            None => start,
        };
        let values = lo + (lo..hi).take_while(|&i| key(i).len() == end).count();
        Frame {
            lo,
            hi,
            start,
            end,
            values,
            next: values,
            children,
        }
    }

    /// Append one node whose children are already written (`children`:
    /// their edge bytes and references, in order); return its reference.
    fn write_node<'k>(
        &self,
        f: &Frame,
        key: &impl Fn(usize) -> &'k [u8],
        sorted: &[u32],
        children: &[(u8, u32)],
        out: &mut Vec<u8>,
    ) -> Result<u32, Error> {
        let offset = out.len();
        if offset > OFFSET_MASK as usize {
            return Err(Error::TooLarge { size: offset });
        }
        let mut reference = offset as u32;

        if f.end > f.start {
            out.extend_from_slice(&key(f.lo)[f.start..f.end]);
            out.push(0);
            reference |= FLAG_PREFIX;
        }

        if let (Some(&(first, _)), Some(&(last, _))) = (children.first(), children.last()) {
            out.push(first);
            out.push(last);
            let table = out.len();
            // Absent children between first and last are 0.
            out.resize(table + 4 * usize::from(last - first + 1), 0);
            for &(ch, child) in children {
                let at = table + 4 * usize::from(ch - first);
                out[at..at + 4].copy_from_slice(&child.to_be_bytes());
            }
            reference |= FLAG_CHILDREN;
        }

        if f.values > f.lo {
            out.extend_from_slice(&((f.values - f.lo) as u32).to_be_bytes());
            for &e in &sorted[f.lo..f.values] {
                let e = &self.entries[e as usize];
                out.extend_from_slice(&e.priority.to_be_bytes());
                out.extend_from_slice(&self.bytes[e.value.range()]);
                out.push(0);
            }
            reference |= FLAG_VALUES;
        }
        Ok(reference)
    }

    /// Serialise into a writer (see [`to_bytes`](Self::to_bytes)).
    pub fn write_to<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        let bytes = self
            .try_to_bytes()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        w.write_all(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be(v: u32) -> [u8; 4] {
        v.to_be_bytes()
    }

    fn header(root: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&[0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01]);
        v.extend_from_slice(&be(root));
        v
    }

    #[test]
    fn empty_index_is_header_with_flagless_root() {
        // The empty root writes no bytes; its reference is its offset alone.
        assert_eq!(IndexBuilder::new().to_bytes(), header(12));
    }

    #[test]
    fn single_key_layout() {
        let mut b = IndexBuilder::new();
        assert!(b.insert(b"ab", b"x", 7));
        let mut want = header(0);
        // Post-order: the leaf under 'a' (prefix "b", one value) comes first.
        want.extend_from_slice(b"b\0");
        want.extend_from_slice(&be(1));
        want.extend_from_slice(&be(7));
        want.extend_from_slice(b"x\0");
        // Then the root: children 'a'..='a'.
        let root_off = want.len() as u32;
        assert_eq!(root_off, 24);
        want.extend_from_slice(b"aa");
        want.extend_from_slice(&be(12 | FLAG_PREFIX | FLAG_VALUES));
        want[8..12].copy_from_slice(&be(root_off | FLAG_CHILDREN));
        assert_eq!(b.to_bytes(), want);
    }

    #[test]
    fn split_and_sparse_children_layout() {
        // Keys "ac" and "ae": root -a-> node(prefix "") with children c..e,
        // 'd' absent (reference 0).
        let mut b = IndexBuilder::new();
        b.insert(b"ac", b"1", 0);
        b.insert(b"ae", b"2", 0);
        let got = b.to_bytes();

        let mut want = header(0);
        // Post-order: leaf 'c' (empty prefix, values only), leaf 'e', node, root.
        let c_off = want.len() as u32;
        want.extend_from_slice(&be(1));
        want.extend_from_slice(&be(0));
        want.extend_from_slice(b"1\0");
        let e_off = want.len() as u32;
        want.extend_from_slice(&be(1));
        want.extend_from_slice(&be(0));
        want.extend_from_slice(b"2\0");
        let mid_off = want.len() as u32;
        want.extend_from_slice(b"ce");
        want.extend_from_slice(&be(c_off | FLAG_VALUES));
        want.extend_from_slice(&be(0));
        want.extend_from_slice(&be(e_off | FLAG_VALUES));
        let root_off = want.len() as u32;
        want.extend_from_slice(b"aa");
        want.extend_from_slice(&be(mid_off | FLAG_CHILDREN));
        want[8..12].copy_from_slice(&be(root_off | FLAG_CHILDREN));
        assert_eq!(got, want);
    }

    #[test]
    fn split_moves_values_and_children_down() {
        // "abcd" then "ab": the leaf "bcd" under 'a' splits into prefix "b"
        // with values of "ab", and child 'c' holding prefix "d" and the old
        // values.
        let mut b = IndexBuilder::new();
        b.insert(b"abcd", b"long", 1);
        b.insert(b"ab", b"short", 2);
        let got = b.to_bytes();

        let mut want = header(0);
        let leaf = want.len() as u32;
        want.extend_from_slice(b"d\0");
        want.extend_from_slice(&be(1));
        want.extend_from_slice(&be(1));
        want.extend_from_slice(b"long\0");
        let mid = want.len() as u32;
        want.extend_from_slice(b"b\0");
        want.extend_from_slice(b"cc");
        want.extend_from_slice(&be(leaf | FLAG_PREFIX | FLAG_VALUES));
        want.extend_from_slice(&be(1));
        want.extend_from_slice(&be(2));
        want.extend_from_slice(b"short\0");
        let root = want.len() as u32;
        want.extend_from_slice(b"aa");
        want.extend_from_slice(&be(mid | FLAG_PREFIX | FLAG_CHILDREN | FLAG_VALUES));
        want[8..12].copy_from_slice(&be(root | FLAG_CHILDREN));
        assert_eq!(got, want);
    }

    #[test]
    fn empty_key_lives_in_root() {
        let mut b = IndexBuilder::new();
        b.insert(b"", b"v", 5);
        let mut want = header(12 | FLAG_VALUES);
        want.extend_from_slice(&be(1));
        want.extend_from_slice(&be(5));
        want.extend_from_slice(b"v\0");
        assert_eq!(b.to_bytes(), want);
    }

    #[test]
    fn common_prefix_is_bytewise() {
        let cases: [(&[u8], &[u8]); 7] = [
            (b"", b""),
            (b"abc", b""),
            (b"pci:v00008086d*", b"pci:v00008086d000010D3"),
            (b"0123456789abcdef", b"0123456789abcdeX"),
            (b"0123456X", b"01234567"),
            (b"same-same-same", b"same-same-same"),
            (b"\xff\x00ab", b"\xff\x00ac"),
        ];
        for (a, b) in cases {
            let bytewise = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            assert_eq!(common_prefix(a, b), bytewise, "{a:?} {b:?}");
            assert_eq!(common_prefix(b, a), bytewise, "{a:?} {b:?}");
        }
    }

    #[test]
    fn value_order_priority_then_newest_first() {
        let mut b = IndexBuilder::new();
        for (v, p) in [(b"a", 5), (b"b", 3), (b"c", 5), (b"a", 5), (b"b", 9)] {
            b.try_insert(b"k", v, p).unwrap();
        }
        assert_eq!(b.duplicates(), vec![3, 4]);
        // Root -k-> one leaf holding the values (3,b) (5,a) (5,c) (5,a)
        // (9,b): the second "a", inserted last among priority 5, first.
        let mut want = header(0);
        want.extend_from_slice(&be(5));
        for (p, v) in [(3, "b"), (5, "a"), (5, "c"), (5, "a"), (9, "b")] {
            want.extend_from_slice(&be(p));
            want.extend_from_slice(v.as_bytes());
            want.push(0);
        }
        let root = want.len() as u32;
        want.extend_from_slice(b"kk");
        want.extend_from_slice(&be(12 | FLAG_VALUES));
        want[8..12].copy_from_slice(&be(root | FLAG_CHILDREN));
        assert_eq!(b.to_bytes(), want);
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn new_key_is_never_a_duplicate() {
        let mut b = IndexBuilder::new();
        b.try_insert(b"abc", b"v", 0).unwrap();
        // "ab" ends inside the leaf "bc": a new key, not a duplicate.
        b.try_insert(b"ab", b"v", 0).unwrap();
        b.try_insert(b"ab", b"v", 0).unwrap();
        b.try_insert(b"abc", b"w", 0).unwrap();
        b.try_insert(b"ab", b"v", 7).unwrap();
        assert_eq!(b.duplicates(), vec![2, 4]);
    }

    #[test]
    fn rejects_unrepresentable_bytes() {
        let mut b = IndexBuilder::new();
        assert!(!b.insert(b"a\0b", b"v", 0));
        assert!(!b.insert("é".as_bytes(), b"v", 0));
        assert!(!b.insert(b"k", b"v\0", 0));
        assert!(matches!(
            b.try_insert(b"ok\x80", b"v", 0),
            Err(Error::InvalidByte {
                what: "key",
                byte: 0x80,
                pos: 2
            })
        ));
        assert!(b.is_empty());
        assert_eq!(b.to_bytes(), header(12));
        // High bytes in values are written as they are.
        assert!(b.insert(b"k", "é".as_bytes(), 0));
    }

    #[test]
    fn deep_trie_does_not_recurse() {
        // 5 000 nested keys "a", "aa", ... give a trie 5 000 levels deep.
        let mut b = IndexBuilder::new();
        let mut key = Vec::new();
        for i in 0..5_000u32 {
            key.push(b'a');
            b.insert(&key, b"v", i);
        }
        let bytes = b.to_bytes();
        assert!(bytes.len() > 5_000 * 10);
        drop(b);
    }
}

//! Building an index in memory and serialising it the way kmod 30's depmod
//! does (nodes in post-order: every node's children come before it).

use crate::error::Error;
use crate::format::{
    CHILD_MAX, FLAG_CHILDREN, FLAG_PREFIX, FLAG_VALUES, HEADER_LEN, MAGIC, OFFSET_MASK, VERSION,
};

/// What [`IndexBuilder::try_insert`] did with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insertion {
    /// The key did not hold this value yet.
    Unique,
    /// The key already held an equal value. The new one is stored anyway, as
    /// kmod does (depmod only warns about it with `-w`).
    Duplicate,
}

/// Bytes kept in the builder's arena: `start` and `len` in
/// [`IndexBuilder::bytes`]. Prefixes and values live there rather than in
/// a vector each: an index of 40,000 keys was 120,000 allocations to make
/// and free (issue 14).
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

/// One value of a key, as kept by the builder: a link of its key's list.
#[derive(Debug, Clone)]
struct Entry {
    priority: u32,
    value: Span,
    /// The next value of the key ([`NONE`]: the last).
    next: u32,
}

/// No entry.
const NONE: u32 = u32::MAX;

/// One trie node. Children are referenced by position in the arena, so that
/// neither building, writing nor dropping recurses (no stack overflow on
/// deep tries). A node's values are a list in the builder's entry arena,
/// not a vector of its own: one allocation less for every key.
#[derive(Debug, Clone)]
struct Node {
    /// Bytes shared by every key below this node, after the edge byte.
    prefix: Span,
    /// The first of the values of the key ending here, sorted by priority
    /// (see `IndexBuilder::add_value`), or [`NONE`].
    first: u32,
    /// How many values there are.
    count: u32,
    /// `(edge byte, arena index)`, sorted by edge byte.
    children: Vec<(u8, u32)>,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            prefix: Span::default(),
            first: NONE,
            count: 0,
            children: Vec::new(),
        }
    }
}

impl Node {
    fn child(&self, ch: u8) -> Result<usize, usize> {
        self.children
            .binary_search_by_key(&ch, |&(c, _)| c)
            .map(|pos| self.children[pos].1 as usize)
    }
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
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    /// Arena of nodes; index 0 is the root, whose prefix is always empty.
    nodes: Vec<Node>,
    /// Arena of the nodes' values.
    entries: Vec<Entry>,
    /// Arena of the nodes' prefixes and values (see [`Span`]).
    bytes: Vec<u8>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new()
    }
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

impl IndexBuilder {
    /// An empty index.
    pub fn new() -> Self {
        IndexBuilder {
            nodes: vec![Node::default()],
            entries: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// An empty index with room for about `keys` keys of `bytes` bytes of
    /// keys and values in all: an index of known size grows no arena.
    pub fn with_capacity(keys: usize, bytes: usize) -> Self {
        let mut b = IndexBuilder::new();
        b.nodes.reserve(keys.saturating_mul(2));
        b.entries.reserve(keys);
        b.bytes.reserve(bytes);
        b
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
    /// it); use `try_insert` to learn about duplicates.
    pub fn insert(&mut self, key: &[u8], value: &[u8], priority: u32) -> bool {
        self.try_insert(key, value, priority).is_ok()
    }

    /// Insert `value` with `priority` under `key`, reporting duplicates.
    ///
    /// Values of a key are kept sorted by ascending priority; a value goes
    /// before existing values of the same priority (newest first). A value
    /// equal to one already stored under the key is stored again and reported
    /// as [`Insertion::Duplicate`], which is what depmod's `-w` warns about.
    ///
    /// # Errors
    /// [`Error::InvalidByte`] if the key holds a NUL or a byte >= 0x80, or the
    /// value holds a NUL. (kmod 30 exits on such keys on platforms where it
    /// notices them; bytes >= 0x80 in values are written as they are, as
    /// kmod does on x86.) Nothing is inserted then.
    pub fn try_insert(
        &mut self,
        key: &[u8],
        value: &[u8],
        priority: u32,
    ) -> Result<Insertion, Error> {
        check_bytes("key", key, false)?;
        check_bytes("value", value, true)?;
        // every span of the arena, node and entry must stay addressable by
        // u32, below NONE (a key adds at most two nodes and one entry)
        let room = self.bytes.len() + key.len() + value.len();
        let full = |arena: usize, adds: u32| arena > (NONE - adds) as usize;
        if u32::try_from(room).is_err() || full(self.nodes.len(), 2) || full(self.entries.len(), 1)
        {
            return Err(Error::TooLarge { size: room });
        }

        let mut node = 0usize;
        let mut i = 0usize;
        loop {
            // Make the node's prefix a prefix of key[i..], splitting if needed.
            let rest = &key[i..];
            let prefix = &self.bytes[self.nodes[node].prefix.range()];
            let common = common_prefix(prefix, rest);
            if common < prefix.len() {
                self.split(node, common);
            }
            i += common;

            let Some(&ch) = key.get(i) else {
                return Ok(self.add_value(node, value, priority));
            };
            match self.nodes[node].child(ch) {
                Ok(child) => {
                    node = child;
                    i += 1;
                }
                Err(pos) => {
                    let leaf = Node {
                        prefix: self.keep(&key[i + 1..]),
                        ..Node::default()
                    };
                    let idx = self.nodes.len();
                    self.nodes.push(leaf);
                    self.add_value(idx, value, priority);
                    self.nodes[node].children.insert(pos, (ch, idx as u32));
                    // kmod reports no duplicate for a brand new key.
                    return Ok(Insertion::Unique);
                }
            }
        }
    }

    /// Split `node` so that its prefix keeps only `at` bytes; everything else
    /// moves to a new child reached through the byte `prefix[at]`.
    fn split(&mut self, node: usize, at: usize) {
        let old = &mut self.nodes[node];
        let Span { start, len } = old.prefix;
        let at32 = at as u32; // at < len
        let edge = self.bytes[start as usize + at];
        let lower = Node {
            prefix: Span {
                start: start + at32 + 1,
                len: len - at32 - 1,
            },
            first: std::mem::replace(&mut old.first, NONE),
            count: std::mem::take(&mut old.count),
            children: std::mem::take(&mut old.children),
        };
        old.prefix.len = at32;
        let idx = self.nodes.len();
        self.nodes[node].children = vec![(edge, idx as u32)];
        self.nodes.push(lower);
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

    /// kmod's `index_add_value`: the new value goes before the first value
    /// whose priority is greater than *or equal to* its own, so among equal
    /// priorities the most recently inserted value comes first. Duplicates
    /// are kept; the return value only reports them.
    fn add_value(&mut self, node: usize, value: &[u8], priority: u32) -> Insertion {
        // One walk of the list: whether the value is there, and the link
        // to point at the new entry (after the last of lower priority).
        let mut duplicate = false;
        let mut before: Option<u32> = None;
        let mut at = self.nodes[node].first;
        while at != NONE {
            let e = &self.entries[at as usize];
            duplicate = duplicate || self.bytes[e.value.range()] == *value;
            if e.priority < priority {
                before = Some(at);
            }
            at = e.next;
        }
        let value = self.keep(value);
        let idx = self.entries.len() as u32;
        let next = match before {
            Some(b) => std::mem::replace(&mut self.entries[b as usize].next, idx),
            None => std::mem::replace(&mut self.nodes[node].first, idx),
        };
        self.entries.push(Entry {
            priority,
            value,
            next,
        });
        self.nodes[node].count += 1;
        if duplicate {
            Insertion::Duplicate
        } else {
            Insertion::Unique
        }
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
        let mut out = Vec::with_capacity(HEADER_LEN + 16 * self.nodes.len());
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.extend_from_slice(&VERSION.to_be_bytes());
        // Root reference, patched once the root is written (it comes last).
        out.extend_from_slice(&0u32.to_be_bytes());

        // Reference (offset | flags) of each written node, by arena index.
        let mut refs = vec![0u32; self.nodes.len()];
        // Explicit post-order walk: (node, next child position).
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        while let Some(top) = stack.last_mut() {
            let (idx, next) = *top;
            let node = &self.nodes[idx];
            if let Some(&(_, child)) = node.children.get(next) {
                top.1 += 1;
                stack.push((child as usize, 0));
                continue;
            }
            stack.pop();
            refs[idx] = self.write_node(node, &refs, &mut out)?;
        }
        out[8..12].copy_from_slice(&refs[0].to_be_bytes());
        Ok(out)
    }

    /// Append one node whose children are already written; return its
    /// reference.
    fn write_node(&self, node: &Node, refs: &[u32], out: &mut Vec<u8>) -> Result<u32, Error> {
        let offset = out.len();
        if offset > OFFSET_MASK as usize {
            return Err(Error::TooLarge { size: offset });
        }
        let mut reference = offset as u32;

        if node.prefix.len > 0 {
            out.extend_from_slice(&self.bytes[node.prefix.range()]);
            out.push(0);
            reference |= FLAG_PREFIX;
        }

        if let (Some(&(first, _)), Some(&(last, _))) = (node.children.first(), node.children.last())
        {
            out.push(first);
            out.push(last);
            let mut children = node.children.iter().peekable();
            for ch in first..=last {
                let child_ref = match children.peek() {
                    Some(&&(c, idx)) if c == ch => {
                        children.next();
                        refs[idx as usize]
                    }
                    _ => 0,
                };
                out.extend_from_slice(&child_ref.to_be_bytes());
            }
            reference |= FLAG_CHILDREN;
        }

        if node.count > 0 {
            out.extend_from_slice(&node.count.to_be_bytes());
            for entry in self.values(node) {
                out.extend_from_slice(&entry.priority.to_be_bytes());
                out.extend_from_slice(&self.bytes[entry.value.range()]);
                out.push(0);
            }
            reference |= FLAG_VALUES;
        }
        Ok(reference)
    }

    /// A node's values, in order.
    fn values<'a>(&'a self, node: &Node) -> impl Iterator<Item = &'a Entry> {
        let mut at = node.first;
        std::iter::from_fn(move || {
            let e = self.entries.get(at as usize)?;
            at = e.next;
            Some(e)
        })
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
        assert_eq!(b.try_insert(b"k", b"a", 5).unwrap(), Insertion::Unique);
        assert_eq!(b.try_insert(b"k", b"b", 3).unwrap(), Insertion::Unique);
        assert_eq!(b.try_insert(b"k", b"c", 5).unwrap(), Insertion::Unique);
        assert_eq!(b.try_insert(b"k", b"a", 5).unwrap(), Insertion::Duplicate);
        assert_eq!(b.try_insert(b"k", b"b", 9).unwrap(), Insertion::Duplicate);
        let order: Vec<(u32, &[u8])> = b
            .values(&b.nodes[b.nodes[0].child(b'k').unwrap()])
            .map(|e| (e.priority, &b.bytes[e.value.range()]))
            .collect();
        assert_eq!(
            order,
            vec![
                (3, &b"b"[..]),
                (5, b"a"), // second "a", inserted last among priority 5
                (5, b"c"),
                (5, b"a"),
                (9, b"b"),
            ]
        );
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn new_key_is_never_a_duplicate() {
        let mut b = IndexBuilder::new();
        assert_eq!(b.try_insert(b"abc", b"v", 0).unwrap(), Insertion::Unique);
        // Splitting "bc" to end a key at "ab" creates an empty value list.
        assert_eq!(b.try_insert(b"ab", b"v", 0).unwrap(), Insertion::Unique);
        assert_eq!(b.try_insert(b"ab", b"v", 0).unwrap(), Insertion::Duplicate);
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

//! Zero-copy reader of kmod index files, with libkmod's lookup semantics.
//!
//! Every offset read from the data is bounds-checked: a corrupt or truncated
//! index never panics, its broken parts read as "not found". Walks over
//! whole subtrees remember the nodes they visited, so a corrupt file whose
//! child references form cycles cannot loop forever, and they use explicit
//! stacks rather than recursion.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use crate::error::Error;
use crate::fnmatch::fnmatch;
use crate::format::{HEADER_LEN, MAGIC, OFFSET_MASK, VERSION_MAJOR, WILDCARD_STARTS};
use crate::iter::Iter;
use crate::node::{next_child, node_at, read_node, read_u32, Node, Values};
use crate::{until_nul, Value};

/// Reader over an index held in memory (a memory map or any byte buffer).
///
/// Lookups borrow from the data: nothing is copied. They behave like
/// libkmod's mmap-based reader (`index_mm_*`, what modprobe uses) unless a
/// [`LibkmodReader`] says otherwise.
pub struct Index<D: AsRef<[u8]>> {
    data: D,
    root: u32,
}

impl<D: AsRef<[u8]>> fmt::Debug for Index<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index")
            .field("len", &self.data.as_ref().len())
            .field("root", &format_args!("{:#010x}", self.root))
            .finish()
    }
}

impl Index<Mmap> {
    /// Map the index file at `path` into memory.
    ///
    /// Like libkmod, this relies on the file not being truncated while
    /// mapped; depmod replaces index files by renaming new ones over them,
    /// which is safe.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < HEADER_LEN as u64 {
            return Err(Error::TooShort { len: len as usize });
        }
        // SAFETY: the map is read-only and private; the data is only ever
        // read through bounds-checked slices. Concurrent truncation of the
        // file by another process is the one hazard, as for libkmod.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        Self::from_bytes(map)
    }
}

impl Index<Vec<u8>> {
    /// Read the index file at `path` into memory.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(data)
    }
}

impl<D: AsRef<[u8]>> Index<D> {
    /// Wrap index bytes, checking the magic and the major version (2), as
    /// libkmod does. The rest of the data is only checked as it is read; see
    /// [`validate`](Self::validate) for a full check.
    pub fn from_bytes(data: D) -> Result<Self, Error> {
        let bytes = data.as_ref();
        if bytes.len() < HEADER_LEN {
            return Err(Error::TooShort { len: bytes.len() });
        }
        let word = |at| read_u32(bytes, at).unwrap_or(0);
        let magic = word(0);
        if magic != MAGIC {
            return Err(Error::BadMagic { found: magic });
        }
        let version = word(4);
        if version >> 16 != u32::from(VERSION_MAJOR) {
            return Err(Error::BadVersion { found: version });
        }
        let root = word(8);
        Ok(Index { data, root })
    }

    /// The whole index data.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Give back the data.
    pub fn into_inner(self) -> D {
        self.data
    }

    /// The root node reference from the header (offset and flags).
    pub fn root_reference(&self) -> u32 {
        self.root
    }

    fn root(&self) -> Option<Node<'_>> {
        node_at(self.data.as_ref(), self.root)
    }

    /// The node whose key is exactly `key`.
    fn find(&self, key: &[u8]) -> Option<Node<'_>> {
        let data = self.data.as_ref();
        let key = until_nul(key);
        let mut node = self.root()?;
        let mut i = 0;
        loop {
            if !key[i..].starts_with(node.prefix) {
                return None;
            }
            i += node.prefix.len();
            let Some(&ch) = key.get(i) else {
                return Some(node);
            };
            node = node_at(data, node.child_ref(ch)?)?;
            i += 1;
        }
    }

    /// Exact lookup: the value libkmod's `index_search` returns for `key`
    /// (as modprobe sees it, see [`search_as`](Self::search_as)). That is
    /// the first value stored under the key: in files written by depmod, one
    /// with the lowest priority number, the most recently inserted among
    /// equals. Like libkmod, `key` ends at its first NUL, if any.
    pub fn search(&self, key: &[u8]) -> Option<&[u8]> {
        self.search_as(key, LibkmodReader::Mmap)
    }

    /// Exact lookup as the given libkmod reader does it: with
    /// [`LibkmodReader::File`], the *least* recently inserted among the
    /// values of lowest priority.
    pub fn search_as(&self, key: &[u8], reader: LibkmodReader) -> Option<&[u8]> {
        let node = self.find(key)?;
        let first = match reader {
            LibkmodReader::Mmap => node.values.clone().next(),
            LibkmodReader::File => file_order(node.values).first().copied(),
        };
        first.map(|v| v.value)
    }

    /// All values stored under exactly `key`, in stored (priority) order.
    pub fn lookup_all(&self, key: &[u8]) -> Vec<Value<'_>> {
        match self.find(key) {
            Some(node) => node.values.collect(),
            None => Vec::new(),
        }
    }

    /// libkmod's `index_searchwild`: every value whose stored key, read as an
    /// [`fnmatch`] pattern, matches the concrete `key`, in the order
    /// modprobe gets them (see [`search_wild_as`](Self::search_wild_as)).
    ///
    /// As in libkmod, the part of a stored key before its first `*`, `?` or
    /// `[` is compared literally (a backslash there is not an escape) and
    /// only the rest goes through `fnmatch`. A `key` that itself holds
    /// wildcard characters can, as in libkmod, find a value twice.
    ///
    /// Order: ascending priority; among equal priorities, values come in the
    /// reverse of the order libkmod's walk discovers them (libkmod inserts
    /// each found value before those of the same priority). The walk visits,
    /// at each node on the path of `key`, the subtrees under `*`, `?` and `[`
    /// (each in post-order: children by byte, then the node), then goes on
    /// down the path; the node reached at the end of `key` comes last.
    pub fn search_wild(&self, key: &[u8]) -> Vec<Value<'_>> {
        self.search_wild_as(key, LibkmodReader::Mmap)
    }

    /// [`search_wild`](Self::search_wild) as the given libkmod reader does
    /// it. The two differ only in the order of values of equal priority:
    /// the file reader visits each node's values in the reverse order.
    pub fn search_wild_as(&self, key: &[u8], reader: LibkmodReader) -> Vec<Value<'_>> {
        let data = self.data.as_ref();
        let key = until_nul(key);
        let mut found = Vec::new();
        let mut buf = Vec::new();
        let mut node = self.root();
        let mut i = 0;
        while let Some(n) = node {
            for (j, &ch) in n.prefix.iter().enumerate() {
                if WILDCARD_STARTS.contains(&ch) {
                    buf.clear();
                    let subkey = &key[i + j..];
                    self.wild_subtree(n, j, &mut buf, subkey, reader, &mut found);
                    return finish_wild(found);
                }
                if key.get(i + j) != Some(&ch) {
                    return finish_wild(found);
                }
            }
            i += n.prefix.len();

            for w in WILDCARD_STARTS {
                if let Some(child) = n.child_ref(w).and_then(|r| node_at(data, r)) {
                    buf.clear();
                    buf.push(w);
                    self.wild_subtree(child, 0, &mut buf, &key[i..], reader, &mut found);
                }
            }

            let Some(&ch) = key.get(i) else {
                reader.collect(n.values, &mut found);
                break;
            };
            node = n.child_ref(ch).and_then(|r| node_at(data, r));
            i += 1;
        }
        finish_wild(found)
    }

    /// Collect the values of every node under `start` whose pattern (`buf`,
    /// then `start.prefix[skip..]`, then the path below) matches `subkey`,
    /// in post-order.
    fn wild_subtree<'s>(
        &'s self,
        start: Node<'s>,
        skip: usize,
        buf: &mut Vec<u8>,
        subkey: &[u8],
        reader: LibkmodReader,
        found: &mut Vec<Value<'s>>,
    ) {
        struct Frame<'a> {
            node: Node<'a>,
            buf_len: usize,
            next: u16,
        }
        let data = self.data.as_ref();
        let mut visited = HashSet::from([start.offset]);
        let start_len = buf.len();
        buf.extend_from_slice(start.prefix.get(skip..).unwrap_or_default());
        let mut stack = vec![Frame {
            node: start,
            buf_len: start_len,
            next: start.child_cursor(),
        }];
        while let Some(top) = stack.last_mut() {
            if let Some((ch, child)) = next_child(data, &top.node, &mut top.next, &mut visited) {
                let len = buf.len();
                buf.push(ch);
                buf.extend_from_slice(child.prefix);
                stack.push(Frame {
                    node: child,
                    buf_len: len,
                    next: child.child_cursor(),
                });
                continue;
            }
            let Some(done) = stack.pop() else { break };
            if done.node.has_values() && fnmatch(buf, subkey) {
                reader.collect(done.node.values, found);
            }
            buf.truncate(done.buf_len);
        }
    }

    /// Every `(key, value)` of the index in key order (bytewise), values of
    /// one key in stored order: what `modprobe --show-config`-style dumps
    /// (libkmod's `index_dump`) produce.
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(self.data.as_ref(), self.root)
    }

    /// Walk the whole trie and report the first malformed or unreachable
    /// part: node out of bounds or cut off, child range with first > last, a
    /// node reached twice (cycle), or a null root.
    pub fn validate(&self) -> Result<(), Error> {
        let data = self.data.as_ref();
        let corrupt = |reference, reason| Error::Corrupt { reference, reason };
        if self.root & OFFSET_MASK == 0 {
            return Err(corrupt(self.root, "null root node"));
        }
        let mut visited = HashSet::new();
        let mut pending = vec![self.root];
        while let Some(reference) = pending.pop() {
            let node = match read_node(data, reference) {
                Ok(Some(node)) => node,
                Ok(None) => continue,
                Err(reason) => return Err(corrupt(reference, reason)),
            };
            if !visited.insert(node.offset) {
                return Err(corrupt(reference, "node reachable twice (cycle)"));
            }
            if !node.children.is_empty() {
                for ch in node.first..=node.last {
                    pending.extend(node.child_ref(ch));
                }
            }
        }
        Ok(())
    }
}

/// Which of libkmod's two index readers to imitate. They agree on what they
/// find and differ only in the order of values of equal priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LibkmodReader {
    /// `index_mm_*`: used once the indexes are loaded with
    /// `kmod_load_resources`, which modprobe does. Values of a node are taken
    /// in stored order.
    #[default]
    Mmap,
    /// `index_file_*`: used by libkmod users that do not load the indexes,
    /// such as modinfo. Reading a node re-sorts its values by priority with
    /// libkmod's `add_value`, which reverses ties.
    File,
}

impl LibkmodReader {
    /// Append a matching node's values to the discovery list.
    fn collect<'a>(self, values: Values<'a>, found: &mut Vec<Value<'a>>) {
        match self {
            LibkmodReader::Mmap => found.extend(values),
            LibkmodReader::File => found.extend(file_order(values)),
        }
    }
}

/// A node's values in the order libkmod's file reader holds them.
fn file_order(values: Values<'_>) -> Vec<Value<'_>> {
    finish_wild(values.collect())
}

/// Sort values the way libkmod's `add_value` builds its list when given
/// them one by one.
fn finish_wild(mut found: Vec<Value<'_>>) -> Vec<Value<'_>> {
    // Each value goes before those of equal priority found earlier: reverse
    // the discovery order, then a stable sort by priority.
    found.reverse();
    found.sort_by_key(|v| v.priority);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FLAG_CHILDREN, FLAG_VALUES};
    use crate::IndexBuilder;

    fn index(entries: &[(&str, &str, u32)]) -> Index<Vec<u8>> {
        let mut b = IndexBuilder::new();
        for &(k, v, p) in entries {
            assert!(b.insert(k.as_bytes(), v.as_bytes(), p));
        }
        Index::from_bytes(b.to_bytes()).unwrap()
    }

    fn values(vs: Vec<Value<'_>>) -> Vec<(u32, String)> {
        vs.into_iter()
            .map(|v| (v.priority, String::from_utf8(v.value.to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn header_checks() {
        assert!(matches!(
            Index::from_bytes(vec![0u8; 11]),
            Err(Error::TooShort { len: 11 })
        ));
        let mut good = IndexBuilder::new().to_bytes();
        assert!(Index::from_bytes(good.clone()).is_ok());
        good[4..8].copy_from_slice(&0x0002_0007u32.to_be_bytes());
        assert!(
            Index::from_bytes(good.clone()).is_ok(),
            "minor version is free"
        );
        good[4..8].copy_from_slice(&0x0003_0001u32.to_be_bytes());
        assert!(matches!(
            Index::from_bytes(good.clone()),
            Err(Error::BadVersion { found: 0x0003_0001 })
        ));
        good[0] = 0;
        assert!(matches!(
            Index::from_bytes(good),
            Err(Error::BadMagic { found: 0x0007_F457 })
        ));
    }

    #[test]
    fn empty_index_finds_nothing() {
        let idx = index(&[]);
        assert_eq!(idx.search(b""), None);
        assert_eq!(idx.search(b"a"), None);
        assert!(idx.search_wild(b"a").is_empty());
        assert_eq!(idx.iter().count(), 0);
        idx.validate().unwrap();
    }

    #[test]
    fn exact_lookups() {
        let idx = index(&[
            ("on", "v-on", 1),
            ("one", "v-one", 2),
            ("once", "v-once", 3),
            ("ask", "v-ask", 4),
            ("ate", "v-ate", 5),
            ("one", "v-one-bis", 0),
        ]);
        idx.validate().unwrap();
        assert_eq!(idx.search(b"on"), Some(&b"v-on"[..]));
        assert_eq!(idx.search(b"one"), Some(&b"v-one-bis"[..]));
        assert_eq!(idx.search(b"once"), Some(&b"v-once"[..]));
        assert_eq!(idx.search(b"o"), None);
        assert_eq!(idx.search(b"a"), None);
        assert_eq!(idx.search(b"onc"), None);
        assert_eq!(idx.search(b"onces"), None);
        assert_eq!(idx.search(b""), None);
        // Keys end at a NUL, as C strings do.
        assert_eq!(idx.search(b"ask\0junk"), Some(&b"v-ask"[..]));
        assert_eq!(
            values(idx.lookup_all(b"one")),
            vec![(0, "v-one-bis".into()), (2, "v-one".into())]
        );
        assert!(idx.lookup_all(b"zzz").is_empty());
    }

    #[test]
    fn search_returns_newest_of_equal_lowest_priority() {
        // depmod stores equal priorities newest first; libkmod's mmap reader
        // returns the first stored.
        let idx = index(&[("k", "old", 0), ("k", "new", 0), ("k", "low", 1)]);
        assert_eq!(idx.search(b"k"), Some(&b"new"[..]));
    }

    #[test]
    fn iter_is_in_key_order() {
        let idx = index(&[
            ("once", "3", 3),
            ("ask", "4", 4),
            ("on", "1", 1),
            ("one", "2", 2),
            ("", "root", 9),
            ("ate", "5", 5),
            ("one", "0", 0),
        ]);
        let got: Vec<(String, u32, String)> = idx
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8(k).unwrap(),
                    v.priority,
                    String::from_utf8(v.value.to_vec()).unwrap(),
                )
            })
            .collect();
        let want = [
            ("", 9, "root"),
            ("ask", 4, "4"),
            ("ate", 5, "5"),
            ("on", 1, "1"),
            ("once", 3, "3"),
            ("one", 0, "0"),
            ("one", 2, "2"),
        ];
        let want: Vec<(String, u32, String)> = want
            .iter()
            .map(|&(k, p, v)| (k.to_string(), p, v.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn search_wild_matches_patterns() {
        let idx = index(&[
            ("pci:v00008086d*", "intel_any", 10),
            ("pci:v00008086d00001234*", "intel_1234", 5),
            ("pci:v*d00001234*", "any_1234", 7),
            ("pci:v0000[0-9]*", "digit", 8),
            ("pci:v00008086d00001234", "exact", 3),
            ("usb:v*", "usb", 1),
        ]);
        assert_eq!(
            values(idx.search_wild(b"pci:v00008086d00001234")),
            vec![
                (3, "exact".into()),
                (5, "intel_1234".into()),
                (7, "any_1234".into()),
                (8, "digit".into()),
                (10, "intel_any".into()),
            ]
        );
        assert_eq!(
            values(idx.search_wild(b"pci:v0000ABCDd00001234")),
            vec![(7, "any_1234".into())]
        );
        assert!(idx.search_wild(b"pci:").is_empty());
        assert!(idx.search_wild(b"nothing").is_empty());
    }

    #[test]
    fn search_wild_equal_priorities_in_libkmod_order() {
        // All priority 0 (as in modules.builtin.alias.bin). libkmod's walk
        // discovers: subtree under '*' at root ("*x" then its values), then
        // '?' subtree, then the path "ab" where "ab*" (a '*' child of "ab")
        // comes before the exact node "ab" itself. Equal priorities come out
        // in reverse discovery order.
        let idx = index(&[
            ("ab", "exact1", 0),
            ("ab", "exact2", 0),
            ("*", "star", 0),
            ("?b", "qb", 0),
            ("ab*", "abstar", 0),
            ("*b", "starb", 0),
        ]);
        // Stored: "ab" holds [exact2, exact1] (newest first).
        // Discovery: root '*' subtree post-order: "*b" (child 'b' of "*"),
        // then "*"; then root '?' subtree: "?b"; then node "ab": its '*'
        // child "ab*"; then the values of "ab": exact2, exact1.
        // Output = reverse: exact1, exact2, abstar, qb, star, starb.
        assert_eq!(
            values(idx.search_wild(b"ab")),
            vec![
                (0, "exact1".into()),
                (0, "exact2".into()),
                (0, "abstar".into()),
                (0, "qb".into()),
                (0, "star".into()),
                (0, "starb".into()),
            ]
        );
    }

    #[test]
    fn file_reader_reverses_ties() {
        // What kmod 30's modprobe (mmap reader) and modinfo (file reader)
        // print for alias "foo" of builtin modules aaa, bbb, ccc inserted
        // in that order, plus aaa for "f*" and bbb for "f?o".
        let idx = index(&[
            ("foo", "aaa", 0),
            ("foo", "bbb", 0),
            ("foo", "ccc", 0),
            ("f*", "aaa", 0),
            ("f?o", "bbb", 0),
        ]);
        let names = |vs: Vec<Value<'_>>| -> Vec<String> {
            values(vs).into_iter().map(|(_, v)| v).collect()
        };
        assert_eq!(
            names(idx.search_wild(b"foo")),
            ["aaa", "bbb", "ccc", "bbb", "aaa"]
        );
        assert_eq!(
            names(idx.search_wild_as(b"foo", LibkmodReader::File)),
            ["ccc", "bbb", "aaa", "bbb", "aaa"]
        );
        assert_eq!(idx.search(b"foo"), Some(&b"ccc"[..]));
        assert_eq!(
            idx.search_as(b"foo", LibkmodReader::File),
            Some(&b"aaa"[..])
        );
        // Different priorities: both readers agree.
        let idx = index(&[("k", "late", 2), ("k", "early", 1)]);
        for reader in [LibkmodReader::Mmap, LibkmodReader::File] {
            assert_eq!(idx.search_as(b"k", reader), Some(&b"early"[..]));
            assert_eq!(names(idx.search_wild_as(b"k", reader)), ["early", "late"]);
        }
    }

    #[test]
    fn search_wild_prefix_before_wildcard_is_literal() {
        // A backslash before the first wildcard is compared as itself.
        let idx = index(&[("a\\b*", "v", 0)]);
        assert!(idx.search_wild(b"ab").is_empty());
        assert_eq!(values(idx.search_wild(b"a\\bc")), vec![(0, "v".into())]);
    }

    #[test]
    fn search_wild_wildcard_inside_prefix() {
        // Single key: the root's child 'p' has prefix "ci:v*" holding the '*'.
        let idx = index(&[("pci:v*d1", "v", 0)]);
        assert_eq!(
            values(idx.search_wild(b"pci:vXYZd1")),
            vec![(0, "v".into())]
        );
        assert!(idx.search_wild(b"pci:vXYZd2").is_empty());
        assert!(idx.search_wild(b"pci:").is_empty());
    }

    #[test]
    fn corrupt_child_cycle_terminates() {
        // Hand-made file: root at 12 with children '*'..'*' pointing to itself.
        let mut data = Vec::new();
        data.extend_from_slice(&MAGIC.to_be_bytes());
        data.extend_from_slice(&0x0002_0001u32.to_be_bytes());
        let root = 12 | FLAG_CHILDREN | FLAG_VALUES;
        data.extend_from_slice(&root.to_be_bytes());
        data.extend_from_slice(b"**");
        data.extend_from_slice(&root.to_be_bytes());
        data.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(&0u32.to_be_bytes());
        data.extend_from_slice(b"v\0");
        let idx = Index::from_bytes(data).unwrap();
        assert!(matches!(idx.validate(), Err(Error::Corrupt { .. })));
        assert_eq!(idx.iter().count(), 1);
        assert_eq!(idx.search(b"****"), Some(&b"v"[..]));
        let _ = idx.search_wild(b"****");
    }

    #[test]
    fn deep_trie_reads_without_recursion() {
        let mut b = IndexBuilder::new();
        let mut key = Vec::new();
        for i in 0..3_000u32 {
            key.push(if i % 2 == 0 { b'*' } else { b'a' });
            b.insert(&key, b"v", i);
        }
        let idx = Index::from_bytes(b.to_bytes()).unwrap();
        idx.validate().unwrap();
        assert_eq!(idx.iter().count(), 3_000);
        assert_eq!(idx.search(&key), Some(&b"v"[..]));
        // Keys "*", "*a", "*a*", ... hold at most 1500 'a's: all match.
        assert_eq!(idx.search_wild(&[b'a'; 1500]).len(), 3_000);
        // "*a*a" and longer need at least two 'a's.
        assert_eq!(idx.search_wild(b"a").len(), 3);
    }
}

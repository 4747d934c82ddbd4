//! kmod's own way of building an index, kept as a reference for the
//! builder: insert key by key into a trie of nodes (splitting a node where
//! a new key leaves its prefix), then write the nodes in post-order. The
//! builder sorts instead; both must give the same bytes.

use modindex::format::{FLAG_CHILDREN, FLAG_PREFIX, FLAG_VALUES, HEADER_LEN, MAGIC, VERSION};

/// What [`TrieBuilder::insert`] did with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insertion {
    /// The key did not hold this value yet.
    Unique,
    /// The key already held an equal value. The new one is stored anyway, as
    /// kmod does (depmod only warns about it with `-w`).
    Duplicate,
}

/// Bytes kept in the builder's arena: `start` and `len` in
/// `TrieBuilder::bytes`. Prefixes and values live there rather than in
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
    /// (see `TrieBuilder::add_value`), or [`NONE`].
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

/// kmod's builder: a trie of nodes, written in post-order.
#[derive(Debug, Clone)]
pub struct TrieBuilder {
    /// Arena of nodes; index 0 is the root, whose prefix is always empty.
    nodes: Vec<Node>,
    /// Arena of the nodes' values.
    entries: Vec<Entry>,
    /// Arena of the nodes' prefixes and values (see [`Span`]).
    bytes: Vec<u8>,
}

impl Default for TrieBuilder {
    fn default() -> Self {
        Self::new()
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl TrieBuilder {
    /// An empty index.
    pub fn new() -> Self {
        TrieBuilder {
            nodes: vec![Node::default()],
            entries: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// kmod's `index_insert`: down the trie, splitting the node whose
    /// prefix the key leaves; whether the value was already there.
    /// (The tests give it only keys and values the format can carry.)
    pub fn insert(&mut self, key: &[u8], value: &[u8], priority: u32) -> Insertion {
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
                return self.add_value(node, value, priority);
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
                    return Insertion::Unique;
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

    /// kmod's `index_write`: the nodes in post-order.
    pub fn to_bytes(&self) -> Vec<u8> {
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
            refs[idx] = self.write_node(node, &refs, &mut out);
        }
        out[8..12].copy_from_slice(&refs[0].to_be_bytes());
        out
    }

    /// Append one node whose children are already written; return its
    /// reference.
    fn write_node(&self, node: &Node, refs: &[u32], out: &mut Vec<u8>) -> u32 {
        // (the tests' indexes are far below the format's 256 MiB)
        let mut reference = out.len() as u32;

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
        reference
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
}

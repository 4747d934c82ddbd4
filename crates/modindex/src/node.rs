//! Parsing one trie node out of the index data, with every offset
//! bounds-checked.

use std::collections::HashSet;

use crate::format::{FLAG_CHILDREN, FLAG_PREFIX, FLAG_VALUES, OFFSET_MASK};

/// One value stored under a key, borrowed from the index data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value<'a> {
    /// Priority: lower numbers come first. depmod uses the module's position
    /// in modules.dep (0 for the builtin indexes).
    pub priority: u32,
    /// The value bytes, without the terminating NUL.
    pub value: &'a [u8],
}

/// The values of one node, read lazily from the data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Values<'a> {
    /// From the first value's priority to the end of the data.
    bytes: &'a [u8],
    remaining: u32,
}

impl Values<'static> {
    pub(crate) const EMPTY: Values<'static> = Values {
        bytes: &[],
        remaining: 0,
    };
}

impl<'a> Iterator for Values<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let (value, rest) = split_value(self.bytes)?;
        self.bytes = rest;
        self.remaining -= 1;
        Some(value)
    }
}

/// Parse `priority, bytes, NUL` at the start of `b`.
fn split_value(b: &[u8]) -> Option<(Value<'_>, &[u8])> {
    let priority = read_u32(b, 0)?;
    let (value, rest) = split_cstr(b.get(4..)?)?;
    Some((Value { priority, value }, rest))
}

/// Split a NUL-terminated string off the start of `b`.
fn split_cstr(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = b.iter().position(|&c| c == 0)?;
    Some((&b[..end], &b[end + 1..]))
}

pub(crate) fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// A parsed node; all slices point into the index data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<'a> {
    pub(crate) offset: u32,
    pub(crate) prefix: &'a [u8],
    pub(crate) first: u8,
    pub(crate) last: u8,
    /// `4 × (last - first + 1)` bytes of child references, or empty.
    pub(crate) children: &'a [u8],
    pub(crate) values: Values<'a>,
}

impl<'a> Node<'a> {
    pub(crate) fn child_ref(&self, ch: u8) -> Option<u32> {
        if self.children.is_empty() || ch < self.first || ch > self.last {
            return None;
        }
        read_u32(self.children, 4 * usize::from(ch - self.first))
    }

    pub(crate) fn has_values(&self) -> bool {
        self.values.remaining > 0
    }

    /// Where a walk over the children starts: the first edge byte, or past
    /// any byte when there are no children.
    pub(crate) fn child_cursor(&self) -> u16 {
        if self.children.is_empty() {
            256
        } else {
            u16::from(self.first)
        }
    }
}

/// Read the node behind `reference`: `Ok(None)` for the null reference,
/// `Err` with a reason when the node does not fit in the data.
pub(crate) fn read_node(data: &[u8], reference: u32) -> Result<Option<Node<'_>>, &'static str> {
    let offset = reference & OFFSET_MASK;
    if offset == 0 {
        return Ok(None);
    }
    let mut rest = data
        .get(offset as usize..)
        .ok_or("node offset past the end of the data")?;

    let mut prefix: &[u8] = &[];
    if reference & FLAG_PREFIX != 0 {
        (prefix, rest) = split_cstr(rest).ok_or("node prefix is not NUL-terminated")?;
    }

    let (mut first, mut last, mut children): (u8, u8, &[u8]) = (0, 0, &[]);
    if reference & FLAG_CHILDREN != 0 {
        let [f, l, ..] = *rest else {
            return Err("child range cut off");
        };
        if f > l {
            return Err("child range has first > last");
        }
        let len = 4 * (usize::from(l - f) + 1);
        children = rest.get(2..2 + len).ok_or("child table cut off")?;
        (first, last) = (f, l);
        rest = &rest[2 + len..];
    }

    let mut values = Values::EMPTY;
    if reference & FLAG_VALUES != 0 {
        let count = read_u32(rest, 0).ok_or("value count cut off")?;
        let bytes = &rest[4..];
        // Check every value now, so that iterating later cannot fail.
        let mut check = bytes;
        for _ in 0..count {
            (_, check) = split_value(check).ok_or("value cut off")?;
        }
        values = Values {
            bytes,
            remaining: count,
        };
    }

    Ok(Some(Node {
        offset,
        prefix,
        first,
        last,
        children,
        values,
    }))
}

/// A node or nothing, corrupt nodes counting as nothing.
pub(crate) fn node_at(data: &[u8], reference: u32) -> Option<Node<'_>> {
    read_node(data, reference).ok().flatten()
}

/// Advance `next` over `node`'s child table to the next readable child not
/// seen yet.
pub(crate) fn next_child<'a>(
    data: &'a [u8],
    node: &Node<'a>,
    next: &mut u16,
    visited: &mut HashSet<u32>,
) -> Option<(u8, Node<'a>)> {
    while !node.children.is_empty() && *next <= u16::from(node.last) {
        let ch = *next as u8;
        *next += 1;
        if let Some(child) = node.child_ref(ch).and_then(|r| node_at(data, r)) {
            if visited.insert(child.offset) {
                return Some((ch, child));
            }
        }
    }
    None
}

//! Walking a whole index in key order.

use std::collections::HashSet;
use std::fmt;

use crate::node::{next_child, node_at, Node, Values};
use crate::Value;

struct IterFrame<'a> {
    node: Node<'a>,
    /// Key length before this node's edge byte and prefix.
    key_len: usize,
    /// Next edge byte to try.
    next: u16,
}

/// Iterator over every `(key, value)` of an [`Index`](crate::Index); see
/// [`Index::iter`](crate::Index::iter).
///
/// Pre-order walk with an explicit stack; nodes already visited are skipped,
/// so a corrupt index with cycles still ends.
pub struct Iter<'a> {
    data: &'a [u8],
    stack: Vec<IterFrame<'a>>,
    key: Vec<u8>,
    /// Values of the node just entered, not yet returned.
    pending: Values<'a>,
    visited: HashSet<u32>,
}

impl<'a> Iter<'a> {
    pub(crate) fn new(data: &'a [u8], root: u32) -> Self {
        let mut iter = Iter {
            data,
            stack: Vec::new(),
            key: Vec::new(),
            pending: Values::EMPTY,
            visited: HashSet::new(),
        };
        if let Some(root) = node_at(data, root) {
            iter.visited.insert(root.offset);
            iter.key.extend_from_slice(root.prefix);
            iter.pending = root.values;
            iter.stack.push(IterFrame {
                node: root,
                key_len: 0,
                next: root.child_cursor(),
            });
        }
        iter
    }
}

impl fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("depth", &self.stack.len())
            .finish()
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Vec<u8>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(value) = self.pending.next() {
                return Some((self.key.clone(), value));
            }
            let top = self.stack.last_mut()?;
            match next_child(self.data, &top.node, &mut top.next, &mut self.visited) {
                Some((ch, child)) => {
                    let key_len = self.key.len();
                    self.key.push(ch);
                    self.key.extend_from_slice(child.prefix);
                    self.pending = child.values;
                    self.stack.push(IterFrame {
                        node: child,
                        key_len,
                        next: child.child_cursor(),
                    });
                }
                None => {
                    let done = self.stack.pop()?;
                    self.key.truncate(done.key_len);
                }
            }
        }
    }
}

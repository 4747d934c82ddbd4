//! `modules.symbols` and `modules.symbols.bin`: `symbol:NAME` aliases for
//! every symbol a module exports, so `symbol_request()` can load its
//! provider. Lines come in the order of kmod's symbol hash table.

use super::{finish_index, insert, warn_duplicates};
use crate::error::Result;
use crate::khash::{order_key, SYMBOL_BUCKETS};
use crate::report::Collect;
use crate::symbols::ModIdx;
use crate::Resolved;

/// (bucket, name, owner): sorted, kmod's table order (names are unique).
fn in_kmod_order(r: &Resolved) -> Vec<(u32, &[u8], ModIdx)> {
    let mut syms: Vec<(u32, &[u8], ModIdx)> = (r.symbols.owned())
        .map(|(name, owner)| (order_key(name, SYMBOL_BUCKETS), name, owner))
        .collect();
    syms.sort_unstable();
    syms
}

pub(super) fn text(r: &Resolved, _log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = b"# Aliases for symbols, used by symbol_request().\n".to_vec();
    for (_, name, owner) in in_kmod_order(r) {
        out.extend_from_slice(b"alias symbol:");
        out.extend_from_slice(name);
        out.push(b' ');
        out.extend_from_slice(&r.modules[owner as usize].name);
        out.push(b'\n');
    }
    Ok(out)
}

/// The index needs no order: every symbol is a key of its own, and the
/// builder sorts the keys.
pub(super) fn index(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    let mut b = modindex::IndexBuilder::with_capacity(r.symbols.len(), 48 * r.symbols.len());
    let mut key = b"symbol:".to_vec();
    for (name, owner) in r.symbols.owned() {
        key.truncate(7);
        key.extend_from_slice(name);
        let modname = &r.modules[owner as usize].name;
        insert("modules.symbols.bin", &mut b, &key, modname, owner)?;
    }
    warn_duplicates(r, &b, log, |key, modname| {
        format!(
            "duplicate module syms:\n{} {}\n",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(modname)
        )
    });
    finish_index("modules.symbols.bin", &b)
}

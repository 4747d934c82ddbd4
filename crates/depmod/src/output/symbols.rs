//! `modules.symbols` and `modules.symbols.bin`: `symbol:NAME` aliases for
//! every symbol a module exports, so `symbol_request()` can load its
//! provider. Lines come in the order of kmod's symbol hash table.

use super::{finish_index, insert};
use crate::error::Result;
use crate::khash::{sort_like_kmod, SYMBOL_BUCKETS};
use crate::report::{diag, Collect};
use crate::symbols::ModIdx;
use crate::Resolved;

fn in_kmod_order(r: &Resolved) -> Vec<(&[u8], ModIdx)> {
    let mut syms: Vec<(&[u8], ModIdx)> = r.symbols.owned().collect();
    sort_like_kmod(&mut syms, SYMBOL_BUCKETS, |s| s.0);
    syms
}

pub(super) fn text(r: &Resolved, _log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = b"# Aliases for symbols, used by symbol_request().\n".to_vec();
    for (name, owner) in in_kmod_order(r) {
        out.extend_from_slice(b"alias symbol:");
        out.extend_from_slice(name);
        out.push(b' ');
        out.extend_from_slice(&r.modules[owner as usize].name);
        out.push(b'\n');
    }
    Ok(out)
}

pub(super) fn index(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    let mut b = modindex::IndexBuilder::new();
    let mut key = b"symbol:".to_vec();
    for (name, owner) in in_kmod_order(r) {
        key.truncate(7);
        key.extend_from_slice(name);
        let modname = &r.modules[owner as usize].name;
        let dup = insert("modules.symbols.bin", &mut b, &key, modname, owner)?;
        if dup && r.warn_dups {
            diag!(
                log,
                Warning,
                "duplicate module syms:\n{} {}\n",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(modname)
            );
        }
    }
    finish_index("modules.symbols.bin", &b)
}

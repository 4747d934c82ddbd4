//! `modules.dep` and `modules.dep.bin`: each module's path, a colon, and
//! every module it needs (directly or not) in load order, last-loaded
//! first. The index maps the module name to the same line.

use super::{finish_index, insert, warn_duplicates};
use crate::error::Result;
use crate::report::Collect;
use crate::Resolved;

/// `path: dep dep ...` for module `m`, without newline.
fn line(r: &Resolved, m: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(r.modules[m].dep_path());
    out.push(b':');
    for &d in &r.closures[m] {
        out.push(b' ');
        out.extend_from_slice(r.modules[d as usize].dep_path());
    }
}

pub(super) fn text(r: &Resolved, _log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(r.modules.len() * 96);
    for m in 0..r.modules.len() {
        line(r, m, &mut out);
        out.push(b'\n');
    }
    Ok(out)
}

pub(super) fn index(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    // (a module's line is about a hundred bytes)
    let mut b = modindex::IndexBuilder::with_capacity(r.modules.len(), r.modules.len() * 128);
    let mut buf = Vec::new();
    for (m, module) in r.modules.iter().enumerate() {
        buf.clear();
        line(r, m, &mut buf);
        insert("modules.dep.bin", &mut b, &module.name, &buf, m as u32)?;
    }
    warn_duplicates(r, &b, log, |_, line| {
        format!(
            "duplicate module deps:\n{}\n",
            String::from_utf8_lossy(line)
        )
    });
    finish_index("modules.dep.bin", &b)
}

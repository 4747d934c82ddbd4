//! `modules.softdep` and `modules.weakdep`: the `softdep=` and `weakdep=`
//! strings of each module, verbatim (`weakdep` is kmod 34's addition).

use crate::error::Result;
use crate::report::Collect;
use crate::Resolved;

pub(super) fn softdeps(r: &Resolved, _log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = b"# Soft dependencies extracted from modules themselves.\n".to_vec();
    for (module, info) in r.modules.iter().zip(&r.infos) {
        for value in info.softdeps() {
            lines(&mut out, b"softdep ", &module.name, value);
        }
    }
    Ok(out)
}

pub(super) fn weakdeps(r: &Resolved, _log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = b"# Weak dependencies extracted from modules themselves.\n".to_vec();
    for (module, info) in r.modules.iter().zip(&r.infos) {
        for value in info.weakdeps() {
            lines(&mut out, b"weakdep ", &module.name, value);
        }
    }
    Ok(out)
}

fn lines(out: &mut Vec<u8>, word: &[u8], name: &[u8], value: &[u8]) {
    out.extend_from_slice(word);
    out.extend_from_slice(name);
    out.push(b' ');
    out.extend_from_slice(value);
    out.push(b'\n');
}

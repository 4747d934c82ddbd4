//! `modules.devname`: modules that create a device node on demand — an
//! alias `devname:NAME` together with `char-major-M-m` or
//! `block-major-M-m` — as `module name cM:m`.

use crate::ctext::scan_two_u32;
use crate::error::Result;
use crate::report::{diag, Collect};
use crate::Resolved;

pub(super) fn text(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (module, info) in r.modules.iter().zip(&r.infos) {
        let mut devname: Option<&[u8]> = None;
        let mut node: Option<(u8, u32, u32)> = None;
        for alias in info.aliases() {
            if let Some(name) = alias.strip_prefix(b"devname:") {
                devname = Some(name);
            } else if let Some((major, minor)) = scan_two_u32(alias, b"char-major-") {
                node = Some((b'c', major, minor));
            } else if let Some((major, minor)) = scan_two_u32(alias, b"block-major-") {
                node = Some((b'b', major, minor));
            }
            if node.is_some() && devname.is_some() {
                break;
            }
        }
        let Some(devname) = devname else {
            continue;
        };
        match node {
            Some((kind, major, minor)) => {
                if out.is_empty() {
                    out.extend_from_slice(b"# Device nodes to trigger on-demand module loading.\n");
                }
                out.extend_from_slice(&module.name);
                out.push(b' ');
                out.extend_from_slice(devname);
                out.extend_from_slice(format!(" {}{major}:{minor}\n", kind as char).as_bytes());
            }
            None => diag!(
                log,
                Error,
                "Module '{}' has devname ({}) but lacks major and minor information. Ignoring.\n",
                String::from_utf8_lossy(&module.name),
                String::from_utf8_lossy(devname)
            ),
        }
    }
    Ok(out)
}

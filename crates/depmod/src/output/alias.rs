//! `modules.alias` and `modules.alias.bin`: every `alias=` of every
//! module. The index keys are normalised (`-` becomes `_` outside bracket
//! expressions) so lookups of either spelling match.

use std::borrow::Cow;

use super::{finish_index, insert};
use crate::ctext::PATH_MAX;
use crate::error::Result;
use crate::report::{diag, Collect};
use crate::Resolved;

pub(super) fn text(r: &Resolved, _log: &mut Collect) -> Result<Vec<u8>> {
    let mut out = b"# Aliases extracted from modules themselves.\n".to_vec();
    for (module, info) in r.modules.iter().zip(&r.infos) {
        for alias in info.aliases() {
            out.extend_from_slice(b"alias ");
            out.extend_from_slice(alias);
            out.push(b' ');
            out.extend_from_slice(&module.name);
            out.push(b'\n');
        }
    }
    Ok(out)
}

pub(super) fn index(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    let aliases = || {
        let modules = r.modules.iter().zip(&r.infos).enumerate();
        modules.flat_map(|(m, (module, info))| info.aliases().map(move |a| (m, module, a)))
    };
    let (keys, bytes) = aliases().fold((0, 0), |(k, n), (_, module, a)| {
        (k + 1, n + a.len() + module.name.len())
    });
    let mut b = modindex::IndexBuilder::with_capacity(keys, bytes);
    // How many aliases were taken, why the next one failed if one did,
    // whether one had an unmatched bracket.
    let (mut taken, mut failed, mut unmatched) = (0, None, false);
    for (m, module, alias) in aliases() {
        match alias_normalize(alias) {
            Some(key) => {
                if let Err(e) = insert("modules.alias.bin", &mut b, &key, &module.name, m as u32) {
                    failed = Some(e);
                    break;
                }
            }
            None => unmatched = true,
        }
        taken += 1;
    }
    // kmod warns while it inserts: the messages in alias order.
    let dups = if r.warn_dups {
        b.duplicates()
    } else {
        Vec::new()
    };
    if unmatched || !dups.is_empty() {
        let (mut dups, mut n) = (dups.into_iter().peekable(), 0);
        for (_, module, alias) in aliases().take(taken) {
            let Some(key) = alias_normalize(alias) else {
                diag!(
                    log,
                    Warning,
                    "Unmatched bracket in {}\n",
                    String::from_utf8_lossy(alias)
                );
                continue;
            };
            if dups.next_if_eq(&n).is_some() {
                diag!(
                    log,
                    Warning,
                    "duplicate module alias:\n{} {}\n",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(&module.name)
                );
            }
            n += 1;
        }
    }
    match failed {
        Some(e) => Err(e),
        None => finish_index("modules.alias.bin", &b),
    }
}

/// kmod's alias normalisation: `-` becomes `_` except inside `[...]`; an
/// unmatched bracket is an error (`None`). Like kmod, at most
/// `PATH_MAX - 1` bytes are kept outside brackets.
pub fn alias_normalize(alias: &[u8]) -> Option<Cow<'_, [u8]>> {
    // Most aliases have nothing to change: taken as they are (as the loop
    // below would copy them, up to a NUL and PATH_MAX - 1 bytes).
    let plain =
        alias.len() < PATH_MAX - 1 && !alias.iter().any(|&c| matches!(c, 0 | b'-' | b'[' | b']'));
    if plain {
        return Some(Cow::Borrowed(alias));
    }
    let mut out = Vec::with_capacity(alias.len());
    let mut i = 0;
    while i < PATH_MAX - 1 {
        match alias.get(i).copied().unwrap_or(0) {
            0 => break,
            b'-' => out.push(b'_'),
            b']' => return None,
            b'[' => {
                while let Some(&c) = alias.get(i).filter(|&&c| c != b']' && c != 0) {
                    out.push(c);
                    i += 1;
                }
                if alias.get(i) != Some(&b']') {
                    return None;
                }
                out.push(b']');
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::alias_normalize;

    #[test]
    fn normalizes_like_kmod() {
        assert_eq!(&*alias_normalize(b"pci:v-d*").unwrap(), b"pci:v_d*");
        assert_eq!(&*alias_normalize(b"a[0-9]-b").unwrap(), b"a[0-9]_b");
        assert!(alias_normalize(b"a[0-9").is_none());
        assert!(alias_normalize(b"a]").is_none());
        assert_eq!(&*alias_normalize(b"").unwrap(), b"");
        assert_eq!(&*alias_normalize(b"usb:v*p*").unwrap(), b"usb:v*p*");
    }
}

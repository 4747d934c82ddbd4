//! Helpers shared by the integration tests: locating the module directory of
//! this machine and re-deriving, from depmod's text outputs, the exact insert
//! sequences kmod 30's depmod feeds into each binary index.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The module directory to test against: `$MODINDEX_TEST_MODDIR`, or the
/// first directory under /lib/modules (sorted) that holds modules.dep.bin.
pub fn moddir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MODINDEX_TEST_MODDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/lib/modules")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("modules.dep.bin").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter().next()
}

/// Read `name` from the module directory, or say why the test is skipped.
pub fn read(dir: &Path, name: &str) -> Option<Vec<u8>> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(data) => Some(data),
        Err(e) => {
            eprintln!("SKIP: cannot read {}: {e}", path.display());
            None
        }
    }
}

/// Read several files at once; `None` (with a skip message) if any is missing.
pub fn read_all<const N: usize>(names: [&str; N]) -> Option<(PathBuf, [Vec<u8>; N])> {
    let Some(dir) = moddir() else {
        eprintln!(
            "SKIP: no /lib/modules/<version>/modules.dep.bin on this machine \
             (set MODINDEX_TEST_MODDIR to test another directory)"
        );
        return None;
    };
    let mut out: [Vec<u8>; N] = std::array::from_fn(|_| Vec::new());
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = read(&dir, name)?;
    }
    Some((dir, out))
}

/// Lines of a text file, without their newline.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|&b| b == b'\n')
        .filter(move |_| !data.is_empty())
}

/// kmod's `modname_normalize` of a path's basename: up to the first '.',
/// with '-' turned into '_'.
pub fn modname_of_path(path: &[u8]) -> Vec<u8> {
    let base = match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    };
    base.iter()
        .take_while(|&&b| b != b'.')
        .map(|&b| if b == b'-' { b'_' } else { b })
        .collect()
}

/// kmod's `alias_normalize`: '-' becomes '_' outside bracket expressions;
/// `None` for an unmatched bracket.
pub fn alias_normalize(alias: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(alias.len());
    let mut i = 0;
    while i < alias.len() {
        match alias[i] {
            b'-' => out.push(b'_'),
            b']' => return None,
            b'[' => {
                let close = alias[i..].iter().position(|&b| b == b']')? + i;
                out.extend_from_slice(&alias[i..=close]);
                i = close;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// One `index_insert` call of depmod.
#[derive(Debug, Clone)]
pub struct Insert {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub priority: u32,
}

/// The modules.dep lines as depmod inserts them into modules.dep.bin: key =
/// module name, value = the whole line, priority = the module's position in
/// depmod's module array (a `uint16_t` in kmod 30), which is the line number.
pub fn dep_inserts(dep: &[u8]) -> Vec<Insert> {
    lines(dep)
        .enumerate()
        .map(|(idx, line)| {
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .expect("dep line has ':'");
            Insert {
                key: modname_of_path(&line[..colon]),
                value: line.to_vec(),
                priority: u32::from(idx as u16),
            }
        })
        .collect()
}

/// Module name -> its priority (index) in depmod's module array.
pub fn module_priorities(dep: &[u8]) -> HashMap<Vec<u8>, u32> {
    dep_inserts(dep)
        .into_iter()
        .map(|i| (i.key, i.priority))
        .collect()
}

/// `alias WORD MODULE` lines of modules.alias / modules.symbols, in order,
/// comments skipped: `(WORD, MODULE)`.
pub fn alias_lines(text: &[u8]) -> Vec<(&[u8], &[u8])> {
    lines(text)
        .filter(|l| !l.starts_with(b"#"))
        .map(|l| {
            let rest = l
                .strip_prefix(b"alias ")
                .expect("line starts with 'alias '");
            let space = rest.iter().rposition(|&b| b == b' ').expect("two words");
            (&rest[..space], &rest[space + 1..])
        })
        .collect()
}

/// modules.alias.bin inserts: key = normalized alias (lines whose alias has
/// an unmatched bracket are skipped by depmod), value = module name,
/// priority = the module's index.
pub fn alias_inserts(alias: &[u8], prio: &HashMap<Vec<u8>, u32>) -> Vec<Insert> {
    alias_lines(alias)
        .into_iter()
        .filter_map(|(pattern, module)| {
            Some(Insert {
                key: alias_normalize(pattern)?,
                value: module.to_vec(),
                priority: prio[module],
            })
        })
        .collect()
}

/// modules.symbols.bin inserts: key = `symbol:NAME` (as written, no
/// normalization), value = owner module, priority = the owner's index.
pub fn symbol_inserts(symbols: &[u8], prio: &HashMap<Vec<u8>, u32>) -> Vec<Insert> {
    alias_lines(symbols)
        .into_iter()
        .map(|(key, module)| Insert {
            key: key.to_vec(),
            value: module.to_vec(),
            priority: prio[module],
        })
        .collect()
}

/// modules.builtin.bin inserts: one per line starting with a letter; key =
/// module name of the path, empty value, priority 0.
pub fn builtin_inserts(builtin: &[u8]) -> Vec<Insert> {
    lines(builtin)
        .filter(|l| l.first().is_some_and(|b| b.is_ascii_alphabetic()))
        .map(|l| Insert {
            key: modname_of_path(l),
            value: Vec::new(),
            priority: 0,
        })
        .collect()
}

/// modules.builtin.alias.bin inserts, read from modules.builtin.modinfo
/// (`module.key=value\0` records) the way depmod's stream parser does: key =
/// normalized alias, value = module name, priority 0.
pub fn builtin_alias_inserts(modinfo: &[u8]) -> Vec<Insert> {
    struct Stream<'a> {
        data: &'a [u8],
        pos: usize,
    }
    impl<'a> Stream<'a> {
        /// Read up to `end`, a NUL or the end of data, consuming the
        /// terminator; the bytes read count only if `end` stopped them.
        fn read_to(&mut self, end: u8) -> &'a [u8] {
            let start = self.pos;
            while let Some(&c) = self.data.get(self.pos) {
                self.pos += 1;
                if c == end {
                    return &self.data[start..self.pos - 1];
                }
                if c == 0 {
                    break;
                }
            }
            &[]
        }
    }
    let mut s = Stream {
        data: modinfo,
        pos: 0,
    };
    let mut out = Vec::new();
    while s.pos < s.data.len() {
        let module = s.read_to(b'.');
        if module.is_empty() {
            continue;
        }
        let key = s.read_to(b'=');
        if key != b"alias" {
            s.read_to(0);
            continue;
        }
        let value = s.read_to(0);
        if value.is_empty() {
            continue;
        }
        let Some(alias) = alias_normalize(value) else {
            continue;
        };
        out.push(Insert {
            key: alias,
            value: module.to_vec(),
            priority: 0,
        });
    }
    out
}

/// Build an index from inserts, in order.
pub fn build(inserts: &[Insert]) -> Vec<u8> {
    let mut b = modindex::IndexBuilder::new();
    for i in inserts {
        assert!(b.insert(&i.key, &i.value, i.priority), "insert {i:?}");
    }
    b.to_bytes()
}

/// Compare two index images; on mismatch, name the first differing offset.
#[track_caller]
pub fn assert_same_bytes(name: &str, ours: &[u8], kmods: &[u8]) {
    if ours == kmods {
        return;
    }
    let first = ours
        .iter()
        .zip(kmods)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(kmods.len()));
    let ctx = |d: &[u8]| d[first.saturating_sub(16)..(first + 16).min(d.len())].to_vec();
    panic!(
        "{name}: our {} bytes differ from kmod's {} bytes, first at offset {first}:\n ours: {:?}\n kmod: {:?}",
        ours.len(),
        kmods.len(),
        String::from_utf8_lossy(&ctx(ours)),
        String::from_utf8_lossy(&ctx(kmods)),
    );
}

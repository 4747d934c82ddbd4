//! Interoperability with the indexes kmod's depmod wrote on this machine.
//!
//! * Byte identity: rebuilding each `.bin` from depmod's text outputs, with
//!   depmod's insert order and priorities, must give kmod's file exactly.
//! * Reading: every line of the text files must be found by the reader.
//!
//! Without a /lib/modules/<version>/modules.dep.bin these tests print a SKIP
//! line and return; when the files exist, any mismatch fails.

mod common;

use std::collections::HashMap;

use common::*;
use modindex::{fnmatch, Index, Value};

fn open(dir: &std::path::Path, name: &str) -> Index<memmap2::Mmap> {
    Index::open(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---------------------------------------------------------------------------
// Byte identity of the writer.

#[test]
fn rebuild_modules_dep_bin_byte_identical() {
    let Some((_, [dep, bin])) = read_all(["modules.dep", "modules.dep.bin"]) else {
        return;
    };
    let inserts = dep_inserts(&dep);
    assert!(!inserts.is_empty());
    assert_same_bytes("modules.dep.bin", &build(&inserts), &bin);
}

#[test]
fn rebuild_modules_alias_bin_byte_identical() {
    let Some((_, [dep, alias, bin])) =
        read_all(["modules.dep", "modules.alias", "modules.alias.bin"])
    else {
        return;
    };
    let inserts = alias_inserts(&alias, &module_priorities(&dep));
    assert!(!inserts.is_empty());
    assert_same_bytes("modules.alias.bin", &build(&inserts), &bin);
}

#[test]
fn rebuild_modules_symbols_bin_byte_identical() {
    let Some((_, [dep, symbols, bin])) =
        read_all(["modules.dep", "modules.symbols", "modules.symbols.bin"])
    else {
        return;
    };
    let inserts = symbol_inserts(&symbols, &module_priorities(&dep));
    assert!(!inserts.is_empty());
    assert_same_bytes("modules.symbols.bin", &build(&inserts), &bin);
}

#[test]
fn rebuild_modules_builtin_bin_byte_identical() {
    let Some((_, [builtin, bin])) = read_all(["modules.builtin", "modules.builtin.bin"]) else {
        return;
    };
    assert_same_bytes(
        "modules.builtin.bin",
        &build(&builtin_inserts(&builtin)),
        &bin,
    );
}

#[test]
fn rebuild_modules_builtin_alias_bin_byte_identical() {
    let Some((_, [modinfo, bin])) =
        read_all(["modules.builtin.modinfo", "modules.builtin.alias.bin"])
    else {
        return;
    };
    assert_same_bytes(
        "modules.builtin.alias.bin",
        &build(&builtin_alias_inserts(&modinfo)),
        &bin,
    );
}

// ---------------------------------------------------------------------------
// The reader on kmod's files.

/// Every stored (key, value, priority), as `iter` reports it, sorted.
fn dump(index: &Index<memmap2::Mmap>) -> Vec<(Vec<u8>, u32, Vec<u8>)> {
    let mut all: Vec<_> = index
        .iter()
        .map(|(k, v)| (k, v.priority, v.value.to_vec()))
        .collect();
    all.sort();
    all
}

fn expected(inserts: &[Insert]) -> Vec<(Vec<u8>, u32, Vec<u8>)> {
    let mut all: Vec<_> = inserts
        .iter()
        .map(|i| (i.key.clone(), i.priority, i.value.clone()))
        .collect();
    all.sort();
    all
}

#[test]
fn read_modules_dep_bin() {
    let Some((dir, [dep])) = read_all(["modules.dep"]) else {
        return;
    };
    let index = open(&dir, "modules.dep.bin");
    index.validate().unwrap();
    let inserts = dep_inserts(&dep);
    for i in &inserts {
        assert_eq!(
            index.search(&i.key),
            Some(&i.value[..]),
            "modules.dep.bin lookup of {}",
            String::from_utf8_lossy(&i.key)
        );
        assert_eq!(
            index.lookup_all(&i.key),
            vec![Value {
                priority: i.priority,
                value: &i.value[..]
            }]
        );
    }
    assert_eq!(index.search(b"no_such_module_xyz"), None);
    assert_eq!(dump(&index), expected(&inserts));
}

#[test]
fn read_modules_symbols_bin() {
    let Some((dir, [dep, symbols])) = read_all(["modules.dep", "modules.symbols"]) else {
        return;
    };
    let index = open(&dir, "modules.symbols.bin");
    index.validate().unwrap();
    let inserts = symbol_inserts(&symbols, &module_priorities(&dep));
    for i in &inserts {
        assert!(
            index.lookup_all(&i.key).contains(&Value {
                priority: i.priority,
                value: &i.value
            }),
            "symbol {}",
            String::from_utf8_lossy(&i.key)
        );
        // libkmod looks symbols up with the wildcard search.
        assert!(index
            .search_wild(&i.key)
            .iter()
            .any(|v| v.value == &i.value[..]));
    }
    assert_eq!(dump(&index), expected(&inserts));
}

#[test]
fn read_modules_builtin_bin() {
    let Some((dir, [builtin])) = read_all(["modules.builtin"]) else {
        return;
    };
    let index = open(&dir, "modules.builtin.bin");
    index.validate().unwrap();
    let inserts = builtin_inserts(&builtin);
    for i in &inserts {
        assert_eq!(index.search(&i.key), Some(&b""[..]));
    }
    assert_eq!(dump(&index), expected(&inserts));
}

/// A concrete string that the alias pattern matches: `*` → nothing, `?` →
/// `x`, a bracket expression → a member.
fn instance(pattern: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'*' => {}
            b'?' => out.push(b'x'),
            b'\\' => {
                i += 1;
                out.push(*pattern.get(i)?);
            }
            b'[' => {
                let close = pattern[i + 2..].iter().position(|&b| b == b']')? + i + 2;
                let set = &pattern[i + 1..close];
                if matches!(set[0], b'!' | b'^') {
                    return None;
                }
                out.push(set[0]);
                i = close;
            }
            c => out.push(c),
        }
        i += 1;
    }
    fnmatch(pattern, &out).then_some(out)
}

#[test]
fn read_modules_alias_bin() {
    let Some((dir, [dep, alias])) = read_all(["modules.dep", "modules.alias"]) else {
        return;
    };
    let index = open(&dir, "modules.alias.bin");
    index.validate().unwrap();
    let inserts = alias_inserts(&alias, &module_priorities(&dep));
    assert_eq!(dump(&index), expected(&inserts));

    // Every (pattern, module) is stored under its pattern.
    for i in &inserts {
        assert!(index.lookup_all(&i.key).contains(&Value {
            priority: i.priority,
            value: &i.value
        }));
    }

    // search_wild on concrete strings built from the patterns finds the
    // module, and agrees with fnmatch over every stored pattern.
    let mut patterns: HashMap<&[u8], Vec<&Insert>> = HashMap::new();
    for i in &inserts {
        patterns.entry(&i.key[..]).or_default().push(i);
    }
    let mut checked = 0;
    for i in inserts.iter().step_by(inserts.len() / 150 + 1) {
        let Some(query) = instance(&i.key) else {
            continue;
        };
        let found = index.search_wild(&query);
        assert!(
            found.iter().any(|v| v.value == &i.value[..]),
            "search_wild({}) misses {}",
            String::from_utf8_lossy(&query),
            String::from_utf8_lossy(&i.value)
        );
        assert!(found.windows(2).all(|w| w[0].priority <= w[1].priority));
        let mut got: Vec<(u32, &[u8])> = found.iter().map(|v| (v.priority, v.value)).collect();
        let mut want: Vec<(u32, &[u8])> = patterns
            .iter()
            .filter(|(p, _)| fnmatch(p, &query))
            .flat_map(|(_, is)| is.iter().map(|i| (i.priority, &i.value[..])))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "query {}", String::from_utf8_lossy(&query));
        checked += 1;
    }
    assert!(checked > 50, "only {checked} alias queries checked");
}

#[test]
fn read_modules_builtin_alias_bin() {
    let Some((dir, [modinfo])) = read_all(["modules.builtin.modinfo"]) else {
        return;
    };
    let index = open(&dir, "modules.builtin.alias.bin");
    index.validate().unwrap();
    let inserts = builtin_alias_inserts(&modinfo);
    assert_eq!(dump(&index), expected(&inserts));
    for i in &inserts {
        if let Some(query) = instance(&i.key) {
            assert!(index
                .search_wild(&query)
                .iter()
                .any(|v| v.value == &i.value[..]));
        }
    }
}

#[test]
fn open_reports_errors() {
    let dir = std::env::temp_dir().join(format!("modindex-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let short = dir.join("short.bin");
    std::fs::write(&short, [0xB0, 0x07, 0xF4]).unwrap();
    assert!(matches!(
        Index::open(&short),
        Err(modindex::Error::TooShort { len: 3 })
    ));
    let bad = dir.join("bad.bin");
    std::fs::write(&bad, [0u8; 16]).unwrap();
    assert!(matches!(
        Index::open(&bad),
        Err(modindex::Error::BadMagic { found: 0 })
    ));
    assert!(matches!(
        Index::open(dir.join("missing.bin")),
        Err(modindex::Error::Io { .. })
    ));
    let good = dir.join("good.bin");
    let mut b = modindex::IndexBuilder::new();
    b.insert(b"k", b"v", 1);
    std::fs::write(&good, b.to_bytes()).unwrap();
    assert_eq!(Index::open(&good).unwrap().search(b"k"), Some(&b"v"[..]));
    assert_eq!(Index::read(&good).unwrap().search(b"k"), Some(&b"v"[..]));
    std::fs::remove_dir_all(&dir).unwrap();
}

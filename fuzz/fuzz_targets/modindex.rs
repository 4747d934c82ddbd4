//! The `.bin` index reader (and, on what it reads, the writer): open from
//! bytes, full validation, iteration, exact lookups with both libkmod
//! reader orders, lookups of prefixes of stored keys, wildcard (alias)
//! lookups; then the entries read are written into a fresh index with
//! `IndexBuilder` and read back, which must give them all back.
//!
//! Input: the index bytes, optionally followed by `KEYS_MARK` and query
//! keys separated by newlines (seeds: the real `.bin` files of
//! testdata/golden/root, with and without keys).
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use modindex::{Index, IndexBuilder, LibkmodReader, Value};

rkmod_fuzz::capped_heap!();

const KEYS_MARK: &[u8] = b"\n==keys==\n";
/// Entries read from one index: a corrupt index whose nodes overlap can
/// describe far more entries than it has bytes (as for libkmod); the
/// target looks at the first ones.
const MAX_ENTRIES: usize = 1024;
/// Stored keys whose prefixes are looked up.
const MAX_KEYS: usize = 8;

type Entry = (Vec<u8>, u32, Vec<u8>);

fn has_wildcard(key: &[u8]) -> bool {
    key.iter().any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
}

/// The two lookups a tool makes (exact, wildcard), for keys near stored ones.
fn quick_lookups<D: AsRef<[u8]>>(idx: &Index<D>, key: &[u8]) {
    let _ = idx.search(key);
    let _ = idx.search_wild(key);
}

/// Every lookup, in both reader orders, checked against each other.
fn lookups<D: AsRef<[u8]>>(idx: &Index<D>, key: &[u8]) {
    let all = idx.lookup_all(key);
    assert_eq!(idx.search(key), all.first().map(|v| v.value));
    match idx.search_as(key, LibkmodReader::File) {
        Some(v) => assert!(all.iter().any(|a| a.value == v)),
        None => assert!(all.is_empty()),
    }
    let wild = idx.search_wild(key);
    let wild_file = idx.search_wild_as(key, LibkmodReader::File);
    assert_eq!(wild.len(), wild_file.len());
    assert!(wild.windows(2).all(|w| w[0].priority <= w[1].priority));
    if !has_wildcard(key) && !key.contains(&0) {
        // The node of the key itself is among the wildcard walk's matches.
        for v in &all {
            assert!(wild.contains(v), "search_wild misses an exact match");
        }
    }
}

fn sorted(mut values: Vec<Value<'_>>) -> Vec<(u32, &[u8])> {
    let mut out: Vec<(u32, &[u8])> = values.drain(..).map(|v| (v.priority, v.value)).collect();
    out.sort();
    out
}

/// Write what was read into a new index and read that back.
fn rebuild(entries: &[Entry]) {
    let mut builder = IndexBuilder::new();
    let mut accepted: BTreeMap<Vec<u8>, Vec<(u32, Vec<u8>)>> = BTreeMap::new();
    for (key, priority, value) in entries {
        if builder.try_insert(key, value, *priority).is_ok() {
            accepted
                .entry(key.clone())
                .or_default()
                .push((*priority, value.clone()));
        }
    }
    assert_eq!(
        builder.len(),
        accepted.values().map(Vec::len).sum::<usize>()
    );
    let bytes = builder.try_to_bytes().expect("a small index serialises");
    let idx = Index::from_bytes(bytes).expect("the writer's output reads back");
    idx.validate().expect("the writer's output validates");

    let mut previous: Option<Vec<u8>> = None;
    let mut count = 0;
    for (key, value) in idx.iter() {
        if let Some(p) = &previous {
            assert!(p <= &key, "iteration not in key order");
        }
        let values = accepted
            .get(&key)
            .expect("iteration gives a key not written");
        assert!(values
            .iter()
            .any(|(p, v)| *p == value.priority && v == value.value));
        previous = Some(key);
        count += 1;
    }
    assert_eq!(count, builder.len());

    for (key, values) in accepted.iter().take(MAX_KEYS) {
        let mut want: Vec<(u32, &[u8])> = values.iter().map(|(p, v)| (*p, v.as_slice())).collect();
        want.sort();
        assert_eq!(
            sorted(idx.lookup_all(key)),
            want,
            "lookup_all after rebuild"
        );
        let lowest = want.iter().map(|(p, _)| *p).min();
        let found = idx.search(key).expect("a written key is found");
        assert!(values.iter().any(|(p, v)| Some(*p) == lowest && v == found));
        lookups(&idx, key);
    }
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    let (bytes, keys) = rkmod_fuzz::split_once(data, KEYS_MARK);
    let Ok(idx) = Index::from_bytes(bytes) else {
        return;
    };
    let _ = format!("{idx:?}");
    let _ = (
        idx.root_reference(),
        idx.as_bytes().len(),
        LibkmodReader::default(),
    );
    let valid = idx.validate().is_ok();

    let mut entries: Vec<Entry> = Vec::new();
    for (key, value) in idx.iter().take(MAX_ENTRIES) {
        entries.push((key, value.priority, value.value.to_vec()));
    }

    for key in keys.into_iter().flat_map(|k| k.split(|&b| b == b'\n')) {
        lookups(&idx, key);
    }
    let mut stored: Vec<&[u8]> = entries.iter().map(|(k, _, _)| k.as_slice()).collect();
    stored.dedup();
    for key in stored.into_iter().take(MAX_KEYS) {
        if valid && !key.contains(&0) {
            assert!(!idx.lookup_all(key).is_empty(), "iterated key not found");
        }
        lookups(&idx, key);
        // Prefixes and extensions of stored keys: paths ending inside a
        // node's prefix, or past a leaf.
        quick_lookups(&idx, &key[..key.len() / 2]);
        if let Some((_, shorter)) = key.split_last() {
            quick_lookups(&idx, shorter);
        }
        let mut longer = key.to_vec();
        longer.push(b'x');
        quick_lookups(&idx, &longer);
    }
    lookups(&idx, b"");

    rebuild(&entries);
});

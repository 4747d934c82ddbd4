//! Property tests: random indexes written with `IndexBuilder` and read back
//! with `Index` must agree with a simple model of kmod's semantics.

use std::collections::BTreeMap;

use modindex::{fnmatch, Index, IndexBuilder};
use proptest::prelude::*;

type Entries = Vec<(Vec<u8>, Vec<u8>, u32)>;

/// Model of one key's value list after kmod's `index_add_value`.
fn model(entries: &Entries) -> BTreeMap<Vec<u8>, Vec<(u32, Vec<u8>)>> {
    let mut map: BTreeMap<Vec<u8>, Vec<(u32, Vec<u8>)>> = BTreeMap::new();
    for (k, v, p) in entries {
        let list = map.entry(k.clone()).or_default();
        let at = list.iter().position(|(q, _)| q >= p).unwrap_or(list.len());
        list.insert(at, (*p, v.clone()));
    }
    map
}

fn build(entries: &Entries) -> Vec<u8> {
    let mut b = IndexBuilder::new();
    for (k, v, p) in entries {
        assert!(b.insert(k, v, *p));
    }
    assert_eq!(b.len(), entries.len());
    b.to_bytes()
}

fn bytes_from(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max)
}

/// Keys over a small alphabet (so that they share prefixes) with the
/// wildcard characters libkmod looks for.
fn wild_key() -> impl Strategy<Value = Vec<u8>> {
    bytes_from(b"abc:*?[]!-\\", 8)
}

fn entries(key: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Entries> {
    prop::collection::vec(
        (
            key,
            prop::collection::vec(1u8..=255, 0..6),
            // Few priorities, so that ties are common.
            prop_oneof![0u32..4, any::<u32>()],
        ),
        0..40,
    )
}

/// kmod's wildcard rule: the stored key up to its first `*`, `?` or `[`
/// must equal the query literally, the rest is an fnmatch pattern.
fn kmod_wild_match(stored: &[u8], query: &[u8]) -> bool {
    match stored.iter().position(|c| b"*?[".contains(c)) {
        None => stored == query,
        Some(w) => {
            query.len() >= w && stored[..w] == query[..w] && fnmatch(&stored[w..], &query[w..])
        }
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Every key reads back with exactly its values, in kmod's order; the
    /// iterator lists everything in key order; nothing else is found.
    #[test]
    fn roundtrip(entries in entries(wild_key()), probes in prop::collection::vec(wild_key(), 0..10)) {
        let bytes = build(&entries);
        let index = Index::from_bytes(&bytes[..]).unwrap();
        index.validate().unwrap();
        let model = model(&entries);

        for (key, want) in &model {
            let got: Vec<(u32, Vec<u8>)> = index
                .lookup_all(key)
                .into_iter()
                .map(|v| (v.priority, v.value.to_vec()))
                .collect();
            prop_assert_eq!(&got, want);
            prop_assert_eq!(index.search(key), Some(&want[0].1[..]));
        }
        for probe in &probes {
            if !model.contains_key(probe) {
                prop_assert_eq!(index.search(probe), None);
                prop_assert!(index.lookup_all(probe).is_empty());
            }
        }

        let dumped: Vec<(Vec<u8>, u32, Vec<u8>)> =
            index.iter().map(|(k, v)| (k, v.priority, v.value.to_vec())).collect();
        let want: Vec<(Vec<u8>, u32, Vec<u8>)> = model
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |(p, v)| (k.clone(), *p, v.clone())))
            .collect();
        prop_assert_eq!(dumped, want);
    }

    /// The same insert sequence always serialises to the same bytes, and
    /// `duplicates` names exactly the values already stored under their
    /// key when inserted.
    #[test]
    fn deterministic_and_duplicates(entries in entries(wild_key())) {
        let mut b = IndexBuilder::new();
        let mut seen = std::collections::HashSet::new();
        let mut want = Vec::new();
        for (i, (k, v, p)) in entries.iter().enumerate() {
            if !seen.insert((k.clone(), v.clone())) {
                want.push(i);
            }
            b.try_insert(k, v, *p).unwrap();
        }
        prop_assert_eq!(b.duplicates(), want);
        prop_assert_eq!(b.to_bytes(), build(&entries));
    }

    /// search_wild finds the same values as fnmatch applied to every stored
    /// key (with kmod's literal prefix rule), sorted by priority.
    #[test]
    fn search_wild_vs_brute_force(
        entries in entries(wild_key()),
        queries in prop::collection::vec(bytes_from(b"abc:!-\\]", 8), 1..12),
    ) {
        let bytes = build(&entries);
        let index = Index::from_bytes(bytes).unwrap();
        let model = model(&entries);
        // Also query with stored keys whose wildcard characters are removed.
        let derived = model.keys().map(|k| k.iter().copied().filter(|c| !b"*?[".contains(c)).collect());
        for query in queries.into_iter().chain(derived) {
            let found = index.search_wild(&query);
            prop_assert!(found.windows(2).all(|w| w[0].priority <= w[1].priority));
            let mut got: Vec<(u32, Vec<u8>)> =
                found.iter().map(|v| (v.priority, v.value.to_vec())).collect();
            let mut want: Vec<(u32, Vec<u8>)> = model
                .iter()
                .filter(|(k, _)| kmod_wild_match(k, &query))
                .flat_map(|(_, vs)| vs.iter().cloned())
                .collect();
            got.sort();
            want.sort();
            prop_assert_eq!(got, want, "query {:?}", String::from_utf8_lossy(&query));
        }
    }

    /// Without backslashes in stored keys, kmod's rule is plain fnmatch over
    /// all keys.
    #[test]
    fn search_wild_is_fnmatch_over_all_keys(
        entries in entries(bytes_from(b"ab:*?[]!-", 7)),
        queries in prop::collection::vec(bytes_from(b"ab:!-]", 7), 1..12),
    ) {
        let bytes = build(&entries);
        let index = Index::from_bytes(bytes).unwrap();
        for query in &queries {
            let mut got: Vec<(u32, Vec<u8>)> = index
                .search_wild(query)
                .iter()
                .map(|v| (v.priority, v.value.to_vec()))
                .collect();
            let mut want: Vec<(u32, Vec<u8>)> = entries
                .iter()
                .filter(|(k, _, _)| fnmatch(k, query))
                .map(|(_, v, p)| (*p, v.clone()))
                .collect();
            got.sort();
            want.sort();
            prop_assert_eq!(got, want);
        }
    }
}

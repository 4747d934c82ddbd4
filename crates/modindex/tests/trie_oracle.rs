//! The builder against kmod's own algorithm (a trie built key by key,
//! `reference/trie.rs`) on random insert sequences: the same bytes, and
//! the same values reported as duplicates. kmod's depmod itself is the
//! oracle in `depmod_oracle.rs`, but only for priority 0; here priorities
//! and their ties vary too.

#[path = "reference/trie.rs"]
mod trie;

use modindex::IndexBuilder;
use proptest::prelude::*;
use trie::{Insertion, TrieBuilder};

type Entries = Vec<(Vec<u8>, Vec<u8>, u32)>;

fn entries(alphabet: &'static [u8], max_key: usize) -> impl Strategy<Value = Entries> {
    let bytes = move |max| prop::collection::vec(prop::sample::select(alphabet), 0..max);
    prop::collection::vec(
        (
            bytes(max_key),
            prop::collection::vec(prop::sample::select(&b"xyz\xe9"[..]), 0..3),
            prop_oneof![0u32..3, any::<u32>()],
        ),
        0..60,
    )
}

fn check(entries: &Entries) -> Result<(), TestCaseError> {
    let (mut ours, mut kmods) = (IndexBuilder::new(), TrieBuilder::new());
    let mut dups = Vec::new();
    for (i, (k, v, p)) in entries.iter().enumerate() {
        ours.try_insert(k, v, *p).unwrap();
        if kmods.insert(k, v, *p) == Insertion::Duplicate {
            dups.push(i);
        }
    }
    prop_assert_eq!(ours.duplicates(), dups);
    prop_assert_eq!(ours.to_bytes(), kmods.to_bytes());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Short keys over three letters: many shared prefixes, keys ending
    /// inside others, repeated keys and values.
    #[test]
    fn same_as_kmods_trie_dense(entries in entries(b"ab-", 6)) {
        check(&entries)?;
    }

    /// Longer keys over a wider alphabet: sparse child tables.
    #[test]
    fn same_as_kmods_trie_sparse(entries in entries(b"a0z:*?[]~", 24)) {
        check(&entries)?;
    }
}

#[test]
fn deep_keys_and_empty_key() {
    // 3,000 nested keys "a", "aa", ... and the empty key: a trie 3,000
    // levels deep, written without recursion by both.
    let mut entries: Entries = Vec::new();
    let mut key = Vec::new();
    for i in 0..3_000u32 {
        key.push(b'a');
        entries.push((key.clone(), b"v".to_vec(), i % 3));
    }
    entries.push((Vec::new(), b"root".to_vec(), 1));
    entries.reverse();
    check(&entries).unwrap();
}

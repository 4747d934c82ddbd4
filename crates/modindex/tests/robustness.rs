//! Corrupt or truncated indexes must never panic, hang or read out of
//! bounds: every operation returns an error, "not found" or partial results.

use modindex::{Index, IndexBuilder};
use proptest::prelude::*;

const KEYS: &[&[u8]] = &[
    b"pci:v00008086d000010D3sv*sd*bc*sc*i*",
    b"pci:v00008086d*",
    b"pci:v0000[0-9]*d*",
    b"usb:v05ACp*",
    b"usb:v05ACp8242*",
    b"symbol:printk",
    b"symbol:print_hex_dump",
    b"e1000e",
    b"e100",
    b"?x",
    b"",
];

fn sample() -> Vec<u8> {
    let mut b = IndexBuilder::new();
    for (i, k) in KEYS.iter().enumerate() {
        b.insert(k, format!("value{i}").as_bytes(), i as u32 % 3);
        b.insert(k, b"shared", 1);
    }
    b.to_bytes()
}

/// Run every operation; only the absence of panics (and termination) is
/// checked.
fn exercise(data: &[u8]) {
    let Ok(index) = Index::from_bytes(data) else {
        return;
    };
    let _ = index.validate();
    for key in KEYS {
        let _ = index.search(key);
        let _ = index.lookup_all(key);
        let _ = index.search_wild(key);
    }
    for query in [
        &b"pci:v00008086d000010D3sv00001028sd00000000bc02sc00i00"[..],
        b"usb:v05ACp8242d0100",
        b"e1000e",
        b"****",
        b"",
    ] {
        let _ = index.search_wild(query);
    }
    // Bounded: a corrupt index cannot list more values than it has bytes.
    assert!(index.iter().take(data.len() + 1).count() <= data.len());
}

#[test]
fn sample_is_valid() {
    let data = sample();
    let index = Index::from_bytes(&data[..]).unwrap();
    index.validate().unwrap();
    assert_eq!(index.iter().count(), 2 * KEYS.len());
}

#[test]
fn every_truncation() {
    let data = sample();
    for len in 0..data.len() {
        let cut = &data[..len];
        exercise(cut);
        if len < 12 {
            assert!(Index::from_bytes(cut).is_err());
        } else {
            // The root is written last: cutting anything loses it.
            let index = Index::from_bytes(cut).unwrap();
            assert!(index.validate().is_err(), "truncated to {len} validates");
            assert_eq!(index.search(b"e1000e"), None);
        }
    }
}

#[test]
fn every_single_byte_corruption() {
    let data = sample();
    for at in 0..data.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = data.clone();
            bad[at] ^= flip;
            exercise(&bad);
        }
        let mut zero = data.clone();
        zero[at] = 0;
        exercise(&zero);
    }
}

#[test]
fn self_and_back_references() {
    // Point every child reference at the root or at itself.
    let data = sample();
    let root = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
    for at in 12..data.len() - 4 {
        let mut bad = data.clone();
        bad[at..at + 4].copy_from_slice(&root.to_be_bytes());
        exercise(&bad);
        let mut bad = data.clone();
        let me = (at as u32) | 0xE000_0000;
        bad[at..at + 4].copy_from_slice(&me.to_be_bytes());
        exercise(&bad);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_byte_flips(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut data = sample();
        let len = data.len();
        for (at, byte) in flips {
            data[at.index(len)] = byte;
        }
        exercise(&data);
    }

    #[test]
    fn random_bodies(body in prop::collection::vec(any::<u8>(), 0..300), root in any::<u32>()) {
        let mut data = vec![0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01];
        data.extend_from_slice(&root.to_be_bytes());
        data.extend_from_slice(&body);
        exercise(&data);
    }
}

//! rdepmod's replay record (`modules.rkmod-replay`, crates/depmod/src/
//! replay.rs): parsed as found, then once more with its checksum made
//! right, so that mutations reach the parser behind the checksum. A
//! record that parses must encode to the very bytes it came from.
//!
//! Input: a replay record (seeds: records rdepmod wrote for sample trees).
#![no_main]

use libfuzzer_sys::fuzz_target;

use depmod::replay::Record;

rkmod_fuzz::capped_heap!();

fn check(data: &[u8]) {
    if let Some(rec) = Record::parse(data) {
        assert_eq!(rec.encode(), data, "parse/encode");
    }
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    check(data);
    // The same body with a right checksum and end mark.
    let body = match data.len().checked_sub(8) {
        Some(n) if data.ends_with(b"END\n") => &data[..n],
        _ => data,
    };
    let mut fixed = body.to_vec();
    fixed.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    fixed.extend_from_slice(b"END\n");
    check(&fixed);
});

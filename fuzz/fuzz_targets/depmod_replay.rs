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
    let fixed = rkmod_fuzz::with_crc_trailer(data);
    check(&fixed);
});

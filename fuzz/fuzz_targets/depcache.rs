//! rdepmod's module cache (`modules.rkmod-cache`, crates/depcache) and the
//! records depmod keeps in it (`ModuleInfo::decode`): parsed as found,
//! then once more with its checksum made right, so that mutations reach
//! the parser behind the checksum. Whatever parses must give every record
//! back by path and key, every record that decodes must encode to the same
//! bytes, and the records written into a new cache must read back.
//!
//! Input: a cache file (seeds: caches rdepmod wrote for the sample trees).
#![no_main]

use libfuzzer_sys::fuzz_target;

use depcache::{Builder, Cache};
use depmod::ModuleInfo;

rkmod_fuzz::capped_heap!();

/// The stamp rdepmod writes with the default limits.
fn stamp() -> Vec<u8> {
    depmod::cache::stamp(&modfile::Limits::default())
}

fn check(cache: &Cache) {
    let mut b = Builder::new(&stamp());
    for (path, key, record) in cache.iter() {
        assert_eq!(cache.get(path, &key), Some(record));
        if let Some(info) = ModuleInfo::decode(record) {
            let _ = (
                info.exports().count(),
                info.needs().count(),
                info.aliases().count(),
                info.softdeps().count(),
                info.weakdeps().count(),
            );
            assert_eq!(info.encode().as_deref(), Some(record), "decode/encode");
        }
        b.add(path, &key, record);
    }
    let again = Cache::parse(b.finish(), &stamp()).expect("a written cache reads back");
    assert_eq!(again.len(), cache.len());
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    if let Ok(cache) = Cache::parse(data.to_vec(), &stamp()) {
        check(&cache);
    }
    // The same body with a right checksum and end mark.
    let fixed = rkmod_fuzz::with_crc_trailer(data);
    if let Ok(cache) = Cache::parse(fixed, &stamp()) {
        check(&cache);
    }
});

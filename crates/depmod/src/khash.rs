//! The iteration order of kmod's hash table.
//!
//! kmod lists modules without a `modules.order` entry, and every line of
//! `modules.symbols`, in the order its hash table iterates: bucket by bucket
//! (Paul Hsieh's SuperFastHash of the key, masked to the bucket count), and
//! within a bucket by `strcmp` of the keys. The table never grows, so the
//! order depends only on the keys and the bucket count it was created with.

/// Buckets of kmod depmod's module-name table.
pub const MODULE_BUCKETS: u32 = 512;
/// Buckets of kmod depmod's symbol table.
pub const SYMBOL_BUCKETS: u32 = 2048;

/// SuperFastHash as kmod computes it on x86: 16-bit loads little-endian,
/// single bytes as (signed) `char`.
pub fn superfast(key: &[u8]) -> u32 {
    let sbyte = |b: u8| b as i8 as i32 as u32;
    let le16 = |k: &[u8]| u32::from(u16::from_le_bytes([k[0], k[1]]));
    let mut hash = key.len() as u32;
    let mut chunks = key.chunks_exact(4);
    for c in &mut chunks {
        hash = hash.wrapping_add(le16(&c[0..2]));
        let tmp = (le16(&c[2..4]) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        hash = hash.wrapping_add(hash >> 11);
    }
    let rest = chunks.remainder();
    match rest.len() {
        3 => {
            hash = hash.wrapping_add(le16(&rest[0..2]));
            hash ^= hash << 16;
            hash ^= sbyte(rest[2]) << 18;
            hash = hash.wrapping_add(hash >> 11);
        }
        2 => {
            hash = hash.wrapping_add(le16(rest));
            hash ^= hash << 11;
            hash = hash.wrapping_add(hash >> 17);
        }
        1 => {
            hash = hash.wrapping_add(sbyte(rest[0]));
            hash ^= hash << 10;
            hash = hash.wrapping_add(hash >> 1);
        }
        _ => {}
    }
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash = hash.wrapping_add(hash >> 6);
    hash
}

/// The sort key that reproduces iteration order for a table of `buckets`
/// (a power of two): bucket first, then the key bytes.
pub fn order_key(key: &[u8], buckets: u32) -> u32 {
    superfast(key) & (buckets - 1)
}

/// Sort `items` into the order kmod's table of `buckets` iterates them.
pub fn sort_like_kmod<T>(items: &mut [T], buckets: u32, key: impl Fn(&T) -> &[u8]) {
    items.sort_by_cached_key(|it| (order_key(key(it), buckets), key(it).to_vec()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Computed with kmod's C implementation.
        assert_eq!(superfast(b""), 0);
        assert_eq!(superfast(b"a"), 0x115e_a782);
        assert_eq!(superfast(b"ab"), 0x516b_8b44);
        assert_eq!(superfast(b"abc"), 0xd2be_198a);
        assert_eq!(superfast(b"abcd"), 0xdad8_b8db);
        assert_eq!(superfast(b"snd_hda_intel"), 0x6e40_28a1);
        assert_eq!(superfast(b"\xe9t\xe9"), 0x69bd_f30d);
        assert_eq!(superfast(b"\xe9"), 0x69ea_06c0);
        assert_eq!(superfast(b"ab\xe9"), 0xb4df_d4b5);
    }
}

//! How kmod's C code reads text, where the details show in its output:
//! `fgets` into a fixed buffer (long lines arrive in pieces), `strtoull`
//! and `sscanf("%u")` number parsing, and `basename`.

/// `PATH_MAX`, the buffer size kmod reads most files with.
pub const PATH_MAX: usize = 4096;

/// The pieces `fgets(buf, size, fp)` returns, in order: up to `size - 1`
/// bytes, or through the next newline (included), whichever comes first.
pub fn fgets_pieces(data: &[u8], size: usize) -> impl Iterator<Item = &[u8]> {
    let max = size.saturating_sub(1).max(1);
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let window = &rest[..rest.len().min(max)];
        let take = match window.iter().position(|&b| b == b'\n') {
            Some(nl) => nl + 1,
            None => window.len(),
        };
        let (piece, tail) = rest.split_at(take);
        rest = tail;
        Some(piece)
    })
}

/// The bytes of a C string: up to the first NUL.
pub fn cstr(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(n) => &bytes[..n],
        None => bytes,
    }
}

/// GNU `basename`: everything after the last `/` (empty after a trailing
/// slash).
pub fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(at) => &path[at + 1..],
        None => path,
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `strtoull(s, &end, base)` for base 10 or 16: the value (saturated at
/// `u64::MAX` on overflow, negated for a leading `-`) and how many bytes
/// were used (0 when no digits were found).
pub fn strtoull(s: &[u8], base: u32) -> (u64, usize) {
    let mut i = 0;
    while s.get(i).copied().is_some_and(is_c_space) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digit = |b: Option<&u8>| b.and_then(|&c| char::from(c).to_digit(base));
    if base == 16
        && s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && digit(s.get(i + 2)).is_some()
    {
        i += 2;
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(d) = digit(s.get(i)) {
        match value
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    if overflow {
        return (u64::MAX, i);
    }
    (
        if negative {
            value.wrapping_neg()
        } else {
            value
        },
        i,
    )
}

/// `sscanf(s, "<prefix>%u-%u", &a, &b) == 2`.
pub fn scan_two_u32(s: &[u8], prefix: &[u8]) -> Option<(u32, u32)> {
    let rest = s.strip_prefix(prefix)?;
    let (a, used) = strtoull(rest, 10);
    if used == 0 {
        return None;
    }
    let rest = rest[used..].strip_prefix(b"-")?;
    let (b, used) = strtoull(rest, 10);
    if used == 0 {
        return None;
    }
    // %u stores the low 32 bits of what strtoul produced.
    Some((a as u32, b as u32))
}

/// `sscanf(s, "%u.%u") == 2`: how kmod tells a kernel version from a
/// module path.
pub fn is_version_number(s: &[u8]) -> bool {
    let (_, used) = strtoull(s, 10);
    if used == 0 {
        return false;
    }
    match s[used..].strip_prefix(b".") {
        Some(rest) => strtoull(rest, 10).1 > 0,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fgets_splits_long_lines() {
        let p: Vec<_> = fgets_pieces(b"ab\ncdefg\nh", 4).collect();
        assert_eq!(p, vec![&b"ab\n"[..], b"cde", b"fg\n", b"h"]);
        assert_eq!(fgets_pieces(b"", 10).count(), 0);
    }

    #[test]
    fn strtoull_like_c() {
        assert_eq!(strtoull(b"0x1f", 16), (0x1f, 4));
        assert_eq!(strtoull(b"1f ", 16), (0x1f, 2));
        assert_eq!(strtoull(b"0xg", 16), (0, 1));
        assert_eq!(strtoull(b"zz", 16), (0, 0));
        assert_eq!(strtoull(b" -1", 10), (u64::MAX, 3));
        assert_eq!(strtoull(b"99999999999999999999", 10), (u64::MAX, 20));
    }

    #[test]
    fn scans_major_minor() {
        assert_eq!(
            scan_two_u32(b"char-major-10-229", b"char-major-"),
            Some((10, 229))
        );
        assert_eq!(
            scan_two_u32(b"char-major-10-229x", b"char-major-"),
            Some((10, 229))
        );
        assert_eq!(scan_two_u32(b"char-major-10", b"char-major-"), None);
        assert_eq!(
            scan_two_u32(b"char-major- 4-+5", b"char-major-"),
            Some((4, 5))
        );
        assert_eq!(scan_two_u32(b"block-major-8-0", b"char-major-"), None);
    }

    #[test]
    fn version_numbers() {
        assert!(is_version_number(b"6.1.0-28-amd64"));
        assert!(is_version_number(b"5.10"));
        assert!(!is_version_number(b"6"));
        assert!(!is_version_number(b"/lib/x.ko"));
        assert!(!is_version_number(b"6.x"));
    }

    #[test]
    fn basenames() {
        assert_eq!(basename(b"a/b/c.ko"), b"c.ko");
        assert_eq!(basename(b"c.ko"), b"c.ko");
        assert_eq!(basename(b"a/"), b"");
    }
}

//! `modindex::fnmatch` against the C library's `fnmatch(pattern, string, 0)`
//! in the C locale, which it promises to equal: libkmod matches alias
//! patterns (modules.alias, modprobe.d `alias`, `install`, `softdep`) with
//! glibc. A difference is a compatibility bug; a panic or a hang on either
//! side is a finding too.
//!
//! Input: pattern, a NUL, the string (anything after a second NUL is
//! ignored, as C would).
#![no_main]

use std::ffi::{c_char, c_int, CString};

use libfuzzer_sys::fuzz_target;

rkmod_fuzz::capped_heap!();

extern "C" {
    fn fnmatch(pattern: *const c_char, string: *const c_char, flags: c_int) -> c_int;
}

fn until_nul(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or(b)
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    let (pattern, string) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], until_nul(&data[at + 1..])),
        None => (data, &b""[..]),
    };
    let ours = modindex::fnmatch(pattern, string);
    let (p, s) = (
        CString::new(pattern).expect("no NUL before the split"),
        CString::new(string).expect("no NUL after until_nul"),
    );
    // SAFETY: two NUL-terminated strings that outlive the call; the
    // process never calls setlocale, so this is the C locale.
    let theirs = unsafe { fnmatch(p.as_ptr(), s.as_ptr(), 0) } == 0;
    assert_eq!(
        ours,
        theirs,
        "fnmatch({:?}, {:?}): modindex says {ours}, libc says {theirs}",
        String::from_utf8_lossy(pattern),
        String::from_utf8_lossy(string)
    );
});

//! Differential tests of `modindex::fnmatch` against the C library's own
//! `fnmatch(pattern, string, 0)` (glibc on the target this project runs on).

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::ffi::{c_char, c_int, CString};

use proptest::prelude::*;

extern "C" {
    #[link_name = "fnmatch"]
    fn glibc_fnmatch(pattern: *const c_char, string: *const c_char, flags: c_int) -> c_int;
}

fn glibc(pattern: &[u8], s: &[u8]) -> bool {
    let p = CString::new(pattern).expect("no NUL in pattern");
    let s = CString::new(s).expect("no NUL in string");
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    unsafe { glibc_fnmatch(p.as_ptr(), s.as_ptr(), 0) == 0 }
}

/// glibc reads POSIXLY_CORRECT (which changes the meaning of `[^`); the
/// comparison only makes sense without it.
fn posixly_correct() -> bool {
    if std::env::var_os("POSIXLY_CORRECT").is_some() {
        eprintln!("SKIP: POSIXLY_CORRECT is set, glibc would not treat '^' as negation");
        return true;
    }
    false
}

#[track_caller]
fn check(pattern: &[u8], s: &[u8]) {
    assert_eq!(
        modindex::fnmatch(pattern, s),
        glibc(pattern, s),
        "pattern {:?} string {:?} (ours vs glibc)",
        String::from_utf8_lossy(pattern),
        String::from_utf8_lossy(s)
    );
}

/// All sequences over `alphabet` of length up to `max`.
fn all_strings(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    let mut level = vec![Vec::new()];
    for _ in 0..max {
        let mut next = Vec::new();
        for s in &level {
            for &c in alphabet {
                let mut t: Vec<u8> = s.clone();
                t.push(c);
                next.push(t);
            }
        }
        out.extend(next.iter().cloned());
        level = next;
    }
    out
}

#[test]
fn exhaustive_short_patterns_match_glibc() {
    if posixly_correct() {
        return;
    }
    let patterns = all_strings(b"a-[]!^*?\\:", 4);
    let strings = all_strings(b"a-[]!\\", 3)
        .into_iter()
        .chain([
            b"aa-".to_vec(),
            b"[a]".to_vec(),
            b"a]a".to_vec(),
            b"\\\\a".to_vec(),
        ])
        .collect::<Vec<_>>();
    let mut compared = 0usize;
    for p in &patterns {
        for s in &strings {
            check(p, s);
            compared += 1;
        }
    }
    assert!(compared > 2_000_000);
}

#[test]
fn class_names_and_bytes_match_glibc() {
    if posixly_correct() {
        return;
    }
    let names = [
        "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space",
        "upper", "xdigit", "nosuch", "",
    ];
    for name in names {
        for form in ["[[:{}:]]", "[![:{}:]]", "[x[:{}:]]", "[[:{}:]x]"] {
            let pattern = form.replace("{}", name);
            for b in 1..=255u8 {
                check(pattern.as_bytes(), &[b]);
            }
        }
    }
    for b in 1..=255u8 {
        for pattern in [
            &b"[\x01-\x7f]"[..],
            b"[\x80-\xff]",
            b"[a-\xe9]",
            b"[=\xe9=]",
            b"[[=\xe9=]]",
            b"[[.\xe9.]]",
            b"[[.a.]-[.z.]]",
            b"?",
            b"[!a]",
        ] {
            check(pattern, &[b]);
        }
    }
}

#[test]
fn long_class_names_match_glibc() {
    if posixly_correct() {
        return;
    }
    // glibc limits class names to 2048 bytes, counted differently while
    // looking for a match and while skipping the rest of a matched set.
    for len in [2046usize, 2047, 2048, 2049] {
        let name = "a".repeat(len);
        for pattern in [
            format!("[[:{name}:]]"),
            format!("[[:{name}]"),
            format!("[x[:{name}1]"),
            format!("[x[:{name}:]]"),
        ] {
            for s in ["a", "[", "x", "x]", "1"] {
                check(pattern.as_bytes(), s.as_bytes());
            }
        }
    }
}

#[test]
fn alias_like_patterns_match_glibc() {
    if posixly_correct() {
        return;
    }
    let cases: &[(&str, &str)] = &[
        (
            "pci:v00008086d*sv*sd*bc03sc*i*",
            "pci:v00008086d00001916sv000017AAsd00002233bc03sc00i00",
        ),
        (
            "usb:v05ACp*d*dc*dsc*dp*ic03isc01ip02in*",
            "usb:v05ACp8242d0100dc00dsc00dp00ic03isc01ip02in00",
        ),
        ("acpi*:PNP0C0[9A]:*", "acpi:PNP0C0A:"),
        ("of:N*T*Cfsl,imx[0-9]*-i2c*", "of:Ni2cT(null)Cfsl,imx6q-i2c"),
        (
            "dmi*:svn*[Ll][Ee][Nn][Oo][Vv][Oo]*:*",
            "dmi:bvnLENOVO:svnLENOVO:pn20XX",
        ),
        (
            "cpu:type:x86,ven*fam*mod*:feature:*0081*",
            "cpu:type:x86,ven0000fam0006mod008E:feature:,0000,0081",
        ),
    ];
    for (p, s) in cases {
        check(p.as_bytes(), s.as_bytes());
        assert!(modindex::fnmatch(p.as_bytes(), s.as_bytes()), "{p} vs {s}");
    }
}

fn token() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![
        &b"a"[..],
        b"b",
        b"-",
        b"[",
        b"]",
        b"!",
        b"^",
        b"*",
        b"?",
        b"\\",
        b"[:alpha:]",
        b"[:digit:]",
        b"[:nope:]",
        b"[=a=]",
        b"[.a.]",
        b"[.-.]",
        b"[:",
        b"[=",
        b"[.",
        b":]",
        b"=]",
        b".]",
        b"z",
        b"A",
        b"0",
        b"\xe9",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_patterns_match_glibc(
        tokens in prop::collection::vec(token(), 0..9),
        s in prop::collection::vec(prop::sample::select(b"ab-[]!^\\:.=zA0\xe9".to_vec()), 0..7),
    ) {
        if std::env::var_os("POSIXLY_CORRECT").is_none() {
            let pattern: Vec<u8> = tokens.concat();
            prop_assert_eq!(modindex::fnmatch(&pattern, &s), glibc(&pattern, &s),
                "pattern {:?} string {:?}", String::from_utf8_lossy(&pattern), String::from_utf8_lossy(&s));
        }
    }
}

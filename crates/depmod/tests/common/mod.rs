//! Helpers for depmod's integration tests: tiny synthetic modules (an ELF
//! relocatable object with just what depmod reads) and scratch trees.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// What a synthetic module holds.
#[derive(Default, Clone)]
pub struct Spec<'a> {
    pub modinfo: &'a [&'a str],
    pub exports: &'a [&'a str],
    pub needs: &'a [&'a str],
    /// Export through `__crc_` symbols with these CRCs instead of
    /// `__ksymtab_strings`.
    pub crcs: &'a [(&'a str, u32)],
    /// `__versions` records.
    pub need_crcs: &'a [(&'a str, u64)],
    pub weak: &'a [&'a str],
    pub elf32: bool,
    pub big_endian: bool,
}

struct Writer {
    big: bool,
    out: Vec<u8>,
}

impl Writer {
    fn uint(&mut self, v: u64, len: usize) {
        for i in 0..len {
            let shift = if self.big { 8 * (len - 1 - i) } else { 8 * i };
            self.out.push((v >> shift) as u8);
        }
    }
}

fn strtab_add(tab: &mut Vec<u8>, s: &[u8]) -> u32 {
    let at = tab.len() as u32;
    tab.extend_from_slice(s);
    tab.push(0);
    at
}

/// name, type, flags, data, link, info, entsize
type Section = (&'static str, u32, u64, Vec<u8>, u32, u32, u64);

/// A module with these `.modinfo` entries, exported and needed symbols,
/// and nothing else.
pub fn plain_module(modinfo: &[&str], exports: &[&str], needs: &[&str]) -> Vec<u8> {
    module(&Spec {
        modinfo,
        exports,
        needs,
        ..Spec::default()
    })
}

/// The bytes of a module described by `spec`.
pub fn module(spec: &Spec) -> Vec<u8> {
    let wide = !spec.elf32;
    let cstrings =
        |v: &[&str]| -> Vec<u8> { v.iter().flat_map(|s| s.bytes().chain([0])).collect() };
    let mut secs: Vec<Section> = Vec::new();
    secs.push((".modinfo", 1, 2, cstrings(spec.modinfo), 0, 0, 0));
    if spec.crcs.is_empty() && !spec.exports.is_empty() {
        secs.push(("__ksymtab_strings", 1, 2, cstrings(spec.exports), 0, 0, 0));
    }
    let crc_index = secs.len() + 1;
    if !spec.crcs.is_empty() {
        let mut w = Writer {
            big: spec.big_endian,
            out: Vec::new(),
        };
        for (_, crc) in spec.crcs {
            w.uint(u64::from(*crc), 4);
        }
        secs.push(("__kcrctab", 1, 2, w.out, 0, 0, 0));
    }
    if !spec.need_crcs.is_empty() {
        let mut w = Writer {
            big: spec.big_endian,
            out: Vec::new(),
        };
        for (name, crc) in spec.need_crcs {
            let start = w.out.len();
            w.uint(*crc, if wide { 8 } else { 4 });
            w.out.extend_from_slice(name.as_bytes());
            w.out.resize(start + 64, 0);
        }
        secs.push(("__versions", 1, 2, w.out, 0, 0, 0));
    }
    let mut strtab = vec![0u8];
    let mut syms: Vec<(u32, u64, u8, u16)> = vec![(0, 0, 0, 0)];
    for (i, (name, _)) in spec.crcs.iter().enumerate() {
        let n = strtab_add(&mut strtab, format!("__crc_{name}").as_bytes());
        syms.push((n, 4 * i as u64, 1 << 4, crc_index as u16));
    }
    for name in spec.needs {
        let n = strtab_add(&mut strtab, name.as_bytes());
        let bind = if spec.weak.contains(name) { 2 } else { 1 };
        syms.push((n, 0, bind << 4, 0));
    }
    let mut w = Writer {
        big: spec.big_endian,
        out: Vec::new(),
    };
    for (name, value, info, shndx) in &syms {
        if wide {
            w.uint(u64::from(*name), 4);
            w.out.push(*info);
            w.out.push(0);
            w.uint(u64::from(*shndx), 2);
            w.uint(*value, 8);
            w.uint(0, 8);
        } else {
            w.uint(u64::from(*name), 4);
            w.uint(*value, 4);
            w.uint(0, 4);
            w.out.push(*info);
            w.out.push(0);
            w.uint(u64::from(*shndx), 2);
        }
    }
    let symtab_index = secs.len() + 1;
    secs.push((
        ".symtab",
        2,
        0,
        w.out,
        symtab_index as u32 + 1,
        1,
        if wide { 24 } else { 16 },
    ));
    secs.push((".strtab", 3, 0, strtab, 0, 0, 0));
    let mut shstr = vec![0u8];
    let mut names: Vec<u32> = secs
        .iter()
        .map(|s| strtab_add(&mut shstr, s.0.as_bytes()))
        .collect();
    names.push(strtab_add(&mut shstr, b".shstrtab"));
    secs.push((".shstrtab", 3, 0, shstr, 0, 0, 0));

    let ehsize = if wide { 64 } else { 52 };
    let mut body = Vec::new();
    let mut offsets = Vec::new();
    for s in &secs {
        while (ehsize + body.len()) % 8 != 0 {
            body.push(0);
        }
        offsets.push((ehsize + body.len()) as u64);
        body.extend_from_slice(&s.3);
    }
    while (ehsize + body.len()) % 8 != 0 {
        body.push(0);
    }
    let shoff = (ehsize + body.len()) as u64;
    let shnum = secs.len() as u64 + 1;
    let mut w = Writer {
        big: spec.big_endian,
        out: Vec::new(),
    };
    w.out.extend_from_slice(b"\x7fELF");
    w.out.extend_from_slice(&[
        if wide { 2 } else { 1 },
        if spec.big_endian { 2 } else { 1 },
        1,
        0,
    ]);
    w.out.extend_from_slice(&[0; 8]);
    w.uint(1, 2); // ET_REL
    w.uint(if wide { 62 } else { 3 }, 2);
    w.uint(1, 4);
    let word = if wide { 8 } else { 4 };
    w.uint(0, word); // entry
    w.uint(0, word); // phoff
    w.uint(shoff, word);
    w.uint(0, 4); // flags
    w.uint(ehsize as u64, 2);
    w.uint(0, 2);
    w.uint(0, 2);
    w.uint(if wide { 64 } else { 40 }, 2);
    w.uint(shnum, 2);
    w.uint(shnum - 1, 2);
    w.out.extend_from_slice(&body);
    w.out.resize(w.out.len() + if wide { 64 } else { 40 }, 0);
    for ((s, off), name) in secs.iter().zip(&offsets).zip(&names) {
        w.uint(u64::from(*name), 4);
        w.uint(u64::from(s.1), 4);
        w.uint(s.2, word);
        w.uint(0, word);
        w.uint(*off, word);
        w.uint(s.3.len() as u64, word);
        w.uint(u64::from(s.4), 4);
        w.uint(u64::from(s.5), 4);
        w.uint(if wide { 8 } else { 4 }, word);
        w.uint(s.6, word);
    }
    w.out
}

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "depmod-it-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Write a file (creating directories).
    pub fn put(&self, rel: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

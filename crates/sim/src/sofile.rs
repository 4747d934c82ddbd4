//! What the sim kernel reads from a module file before loading it, as the
//! kernel reads a `.ko`: `.modinfo`, the exported symbols
//! (`__ksymtab_strings`, GPL-only ones also in `__ksymtab_gpl`), the
//! symbols it needs from other modules, and its size.
//!
//! A module's imports are its undefined, non-weak, *unversioned* dynamic
//! symbols: everything it takes from the C library or libgcc is bound to a
//! version (`printf@GLIBC_2.2.5`), while a symbol from another module
//! cannot be, since the module was linked without its provider.

use std::path::Path;

use object::elf;
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSection, ObjectSymbol};

use crate::error::Error;

/// Module files larger than this are refused (`EFBIG`).
const MAX_FILE: u64 = 256 << 20;
const PAGE: u64 = 4096;
/// The kernel's `MODULE_NAME_LEN` less the NUL.
const MAX_NAME: usize = 55;

/// A module file's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoFile {
    /// `name=` from `.modinfo`, else the file name without `.so`.
    pub name: String,
    /// `.modinfo` entries in file order.
    pub modinfo: Vec<(String, String)>,
    /// Exported symbols and whether each is GPL-only.
    pub exports: Vec<(String, bool)>,
    /// Symbols to resolve against other modules' exports.
    pub imports: Vec<String>,
    /// Bytes the loadable segments span, page-rounded (`/proc/modules`).
    pub size: u64,
}

fn noexec(msg: impl Into<String>) -> Error {
    Error::new(nix::libc::ENOEXEC, msg)
}

impl SoFile {
    /// Read and parse the module at `path`.
    pub fn read(path: &Path) -> Result<SoFile, Error> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(Error::new(
                nix::libc::EINVAL,
                format!("{}: not a regular file", path.display()),
            ));
        }
        if meta.len() > MAX_FILE {
            return Err(Error::new(
                nix::libc::EFBIG,
                format!("{}: file too large", path.display()),
            ));
        }
        let data = std::fs::read(path)?;
        SoFile::parse(&data, path)
    }

    /// Parse module bytes (`path` names the module in messages and gives the
    /// fallback name).
    pub fn parse(data: &[u8], path: &Path) -> Result<SoFile, Error> {
        let shown = path.display();
        let file = ElfFile64::<Endianness>::parse(data)
            .map_err(|e| noexec(format!("{shown}: not a 64-bit ELF shared object: {e}")))?;
        if file.elf_header().e_type(file.endian()) != elf::ET_DYN {
            return Err(noexec(format!("{shown}: not a shared object")));
        }
        let modinfo = file
            .section_by_name(".modinfo")
            .and_then(|s| s.data().ok())
            .map(parse_modinfo)
            .unwrap_or_default();
        let name = match modinfo.iter().find(|(k, _)| k == "name") {
            Some((_, v)) => v.clone(),
            None => fallback_name(path),
        };
        check_name(&name).map_err(|why| noexec(format!("{shown}: module name '{name}' {why}")))?;

        let strings = |sec: &str| -> Vec<String> {
            file.section_by_name(sec)
                .and_then(|s| s.data().ok())
                .map(|d| nul_separated(d).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let gpl = strings("__ksymtab_gpl");
        let defined: std::collections::HashSet<&str> = file
            .dynamic_symbols()
            .filter(|s| !s.is_undefined())
            .filter_map(|s| s.name().ok())
            .collect();
        let mut exports = Vec::new();
        for sym in strings("__ksymtab_strings") {
            if !defined.contains(sym.as_str()) {
                return Err(noexec(format!(
                    "{shown}: exports {sym}, which it does not define"
                )));
            }
            if !exports.iter().any(|(s, _)| *s == sym) {
                let is_gpl = gpl.contains(&sym);
                exports.push((sym, is_gpl));
            }
        }

        let versions = file
            .section_by_name(".gnu.version")
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        let endian = file.endian();
        let version_of = |index: usize| -> u16 {
            versions
                .get(index * 2..index * 2 + 2)
                .map(|b| {
                    let raw = [b[0], b[1]];
                    if endian == Endianness::Little {
                        u16::from_le_bytes(raw)
                    } else {
                        u16::from_be_bytes(raw)
                    }
                })
                .unwrap_or(1)
                & 0x7fff
        };
        let mut imports = Vec::new();
        for s in file.dynamic_symbols() {
            if !s.is_undefined() || s.is_weak() || version_of(s.index().0) > 1 {
                continue;
            }
            if let Ok(n) = s.name() {
                if !n.is_empty() && !imports.iter().any(|i| i == n) {
                    imports.push(n.to_string());
                }
            }
        }

        let mut lo = u64::MAX;
        let mut hi = 0u64;
        for ph in file.elf_program_headers() {
            if ph.p_type(endian) == elf::PT_LOAD {
                let start = ph.p_vaddr(endian);
                lo = lo.min(start);
                hi = hi.max(start.saturating_add(ph.p_memsz(endian)));
            }
        }
        // Saturating: segment addresses and sizes are the file's word, and
        // a span within a page of 2^64 must not overflow the rounding.
        let size = if hi > lo {
            (hi - (lo & !(PAGE - 1)))
                .div_ceil(PAGE)
                .saturating_mul(PAGE)
        } else {
            0
        };

        Ok(SoFile {
            name,
            modinfo,
            exports,
            imports,
            size,
        })
    }

    /// The first `.modinfo` value of `key`.
    pub fn info(&self, key: &str) -> Option<&str> {
        self.modinfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn nul_separated(data: &[u8]) -> impl Iterator<Item = &str> {
    data.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|s| std::str::from_utf8(s).ok())
}

fn parse_modinfo(data: &[u8]) -> Vec<(String, String)> {
    nul_separated(data)
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The module name a file gives when `.modinfo` has none: its base name
/// without `.so`, with `-` as `_` (as kmod normalises).
pub fn fallback_name(path: &Path) -> String {
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = base.strip_suffix(".so").unwrap_or(&base);
    stem.replace('-', "_")
}

/// A name must be usable as a `/sys/module` directory and fit the kernel's
/// limit.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err("is empty or longer than 55 bytes");
    }
    if name.starts_with('.')
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err("has characters a module name cannot have");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_entries_split_on_nul_and_first_equals() {
        let m = parse_modinfo(b"license=GPL\0\0parm=io:a=b\0junk\0");
        assert_eq!(
            m,
            vec![
                ("license".to_string(), "GPL".to_string()),
                ("parm".to_string(), "io:a=b".to_string())
            ]
        );
    }

    #[test]
    fn names() {
        assert_eq!(fallback_name(Path::new("/x/test-square.so")), "test_square");
        assert!(check_name("khello").is_ok());
        assert!(check_name("../etc").is_err());
        assert!(check_name("").is_err());
        assert!(check_name(&"a".repeat(56)).is_err());
    }

    /// A 64-bit little-endian ET_DYN with one PT_LOAD segment and no
    /// sections.
    fn one_segment(vaddr: u64, memsz: u64) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        d.extend_from_slice(&elf::ET_DYN.to_le_bytes());
        d.extend_from_slice(&elf::EM_X86_64.to_le_bytes());
        d.extend_from_slice(&1u32.to_le_bytes()); // e_version
        d.extend_from_slice(&0u64.to_le_bytes()); // e_entry
        d.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        d.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        d.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        for half in [64u16, 56, 1, 64, 0, 0] {
            // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
            d.extend_from_slice(&half.to_le_bytes());
        }
        d.extend_from_slice(&elf::PT_LOAD.to_le_bytes());
        d.extend_from_slice(&5u32.to_le_bytes()); // p_flags
        for word in [0u64, vaddr, vaddr, 0, memsz, 0x1000] {
            // offset, vaddr, paddr, filesz, memsz, align
            d.extend_from_slice(&word.to_le_bytes());
        }
        d
    }

    #[test]
    fn segment_size_is_page_rounded() {
        let so = SoFile::parse(&one_segment(0x1000, 0x1801), Path::new("x.so")).unwrap();
        assert_eq!(so.size, 0x2000);
    }

    #[test]
    fn segment_spanning_the_address_space_saturates() {
        // Found by fuzzing (fuzz/regressions/modfile/sofile-size-overflow):
        // rounding the span up to a page overflowed.
        let so = SoFile::parse(&one_segment(0, u64::MAX), Path::new("x.so")).unwrap();
        assert_eq!(so.size, u64::MAX);
    }

    #[test]
    fn garbage_is_enoexec() {
        let e = SoFile::parse(b"\x7fELF garbage", Path::new("x.so")).unwrap_err();
        assert_eq!(e.errno, nix::libc::ENOEXEC);
        let e = SoFile::parse(b"", Path::new("x.so")).unwrap_err();
        assert_eq!(e.errno, nix::libc::ENOEXEC);
    }
}

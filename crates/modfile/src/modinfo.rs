//! `.modinfo`: NUL-separated `key=value` strings, in file order, duplicates kept.

use crate::elf::Elf;
use crate::error::{Error, Result};

/// One `key=value` entry of `.modinfo`. A string without `=` is a key with an
/// empty value, as kmod reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModinfoEntry<'a> {
    pub key: &'a [u8],
    pub value: &'a [u8],
}

impl<'a> ModinfoEntry<'a> {
    /// Split a `key=value` string at its first `=`.
    pub fn split(s: &'a [u8]) -> ModinfoEntry<'a> {
        match s.iter().position(|&b| b == b'=') {
            Some(eq) => ModinfoEntry {
                key: &s[..eq],
                value: &s[eq + 1..],
            },
            None => ModinfoEntry { key: s, value: &[] },
        }
    }
}

/// The non-empty NUL-separated strings of a string-table section, with the
/// edge cases of kmod's reader: leading padding is skipped, and what remains
/// must be longer than one byte to yield anything.
pub fn section_strings(section: &[u8]) -> impl Iterator<Item = &[u8]> {
    let first = section
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(section.len().saturating_sub(1));
    let rest = &section[first.min(section.len())..];
    let rest = if rest.len() <= 1 { &rest[..0] } else { rest };
    rest.split(|&b| b == 0).filter(|s| !s.is_empty())
}

impl<'a> Elf<'a> {
    /// The `.modinfo` entries in file order. A module without the section
    /// (or with one outside the file) is an error, as in kmod.
    pub fn modinfo(&self) -> Result<impl Iterator<Item = ModinfoEntry<'a>>> {
        let section = self
            .section(".modinfo")
            .ok_or(Error::NoSection(".modinfo"))?;
        Ok(section_strings(section).map(ModinfoEntry::split))
    }

    /// Values of every `.modinfo` entry with this key, in order (none when
    /// there is no `.modinfo`).
    pub fn modinfo_values<'k>(&self, key: &'k str) -> impl Iterator<Item = &'a [u8]> + 'k
    where
        'a: 'k,
    {
        self.modinfo()
            .into_iter()
            .flatten()
            .filter(move |e| e.key == key.as_bytes())
            .map(|e| e.value)
    }

    /// The module's vermagic string, if it has one.
    pub fn vermagic(&self) -> Option<&'a [u8]> {
        self.modinfo_values("vermagic").next()
    }

    /// The module name the kernel will use, from `.gnu.linkonce.this_module`
    /// (`struct module`'s `name` field follows `state` and `list`).
    pub fn this_module_name(&self) -> Option<&'a [u8]> {
        let sec = self.section(".gnu.linkonce.this_module")?;
        let at = match self.class() {
            crate::Class::Elf64 => 24,
            crate::Class::Elf32 => 12,
        };
        let name = crate::elf::cstr(sec.get(at..)?.get(..56.min(sec.len() - at))?);
        (!name.is_empty()).then_some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[u8]) -> Vec<&[u8]> {
        section_strings(s).collect()
    }

    #[test]
    fn splits_like_kmod() {
        assert_eq!(strings(b"a=1\0b=2\0"), vec![&b"a=1"[..], b"b=2"]);
        assert_eq!(strings(b"\0\0a=1\0\0\0b\0"), vec![&b"a=1"[..], b"b"]);
        assert_eq!(strings(b"a=1\0tail"), vec![&b"a=1"[..], b"tail"]);
        assert!(strings(b"").is_empty());
        assert!(strings(b"\0\0\0").is_empty());
        // a lone unterminated byte after padding yields nothing in kmod
        assert!(strings(b"\0\0x").is_empty());
        assert_eq!(strings(b"xy"), vec![&b"xy"[..]]);
    }

    #[test]
    fn entry_split() {
        let e = ModinfoEntry::split(b"parm=io:int=3");
        assert_eq!((e.key, e.value), (&b"parm"[..], &b"io:int=3"[..]));
        let e = ModinfoEntry::split(b"intree");
        assert_eq!((e.key, e.value), (&b"intree"[..], &b""[..]));
    }
}

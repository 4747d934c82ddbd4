//! Symbols: `__versions` (modversions CRCs), the symbols a module exports and
//! the symbols it needs, read as kmod's depmod and modprobe read them.

use object::elf::{Sym32, Sym64};
use object::read::elf::Sym;
use object::{BigEndian, Endianness, LittleEndian};
use std::collections::HashMap;

use crate::elf::{cstr, Class, Elf};
use crate::error::{Error, Result};
use crate::modinfo::section_strings;

/// One `__versions` record is 64 bytes: a CRC (4 or 8 bytes) then the name.
const MODVERSION_SIZE: usize = 64;
const SHN_UNDEF: u16 = 0;
const SHN_ABS: u16 = 0xfff1;
const STB_LOCAL: u8 = 0;
const STB_GLOBAL: u8 = 1;
const STB_WEAK: u8 = 2;
const STT_REGISTER: u8 = 13;
const EM_SPARC: u16 = 2;
const EM_SPARCV9: u16 = 43;

/// Symbol binding as kmod reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    None,
    Local,
    Global,
    Weak,
    Undefined,
}

impl Bind {
    /// kmod's one-letter code for `--show-exports` style listings.
    pub fn letter(self) -> char {
        match self {
            Bind::None => '?',
            Bind::Local => 'L',
            Bind::Global => 'G',
            Bind::Weak => 'W',
            Bind::Undefined => 'U',
        }
    }

    fn from_elf(bind: u8) -> Bind {
        match bind {
            STB_LOCAL => Bind::Local,
            STB_GLOBAL => Bind::Global,
            STB_WEAK => Bind::Weak,
            _ => Bind::None,
        }
    }
}

/// A symbol with its modversions CRC (0 when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a [u8],
    pub crc: u64,
    pub bind: Bind,
}

/// The raw fields of one symbol-table entry.
#[derive(Clone, Copy)]
struct RawSym {
    name: u32,
    value: u64,
    info: u8,
    shndx: u16,
}

impl<'a> Elf<'a> {
    fn crc_size(&self) -> usize {
        match self.class() {
            Class::Elf32 => 4,
            Class::Elf64 => 8,
        }
    }

    /// The `__versions` records (CRC and symbol name), in file order.
    pub fn modversions(&self) -> Result<Vec<Symbol<'a>>> {
        let Some(sec) = self.section("__versions") else {
            return Err(Error::NoSection("__versions"));
        };
        if !sec.len().is_multiple_of(MODVERSION_SIZE) {
            return Err(Error::Malformed("__versions size is not a multiple of 64"));
        }
        let crc_size = self.crc_size();
        Ok(sec
            .chunks_exact(MODVERSION_SIZE)
            .map(|rec| {
                let name = cstr(&rec[crc_size..]);
                Symbol {
                    name: name.strip_prefix(b".").unwrap_or(name),
                    crc: self.uint_of(&rec[..crc_size]),
                    bind: Bind::Undefined,
                }
            })
            .collect())
    }

    fn uint_of(&self, bytes: &[u8]) -> u64 {
        let fold = |v: u64, b: &u8| (v << 8) | u64::from(*b);
        if self.is_big_endian() {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        }
    }

    /// The string and symbol tables, when both exist and are well formed.
    fn symtab(&self) -> Option<(&'a [u8], SymTable<'a>)> {
        let strtab = self.section(".strtab")?;
        let symtab = self.section(".symtab")?;
        let syms = SymTable::new(symtab, self.class(), self.endian())?;
        Some((strtab, syms))
    }

    /// The symbols this module exports. With modversions, the `__crc_*`
    /// symbols name them and carry their CRCs; otherwise `__ksymtab_strings`
    /// lists them.
    pub fn exported_symbols(&self) -> Result<Vec<Symbol<'a>>> {
        self.walk(true, false).0
    }

    /// The symbols this module needs (undefined in its symbol table), with
    /// their CRCs from `__versions`, followed by the `__versions` records no
    /// undefined symbol named (`module_layout` and the like).
    pub fn dependency_symbols(&self) -> Result<Vec<Symbol<'a>>> {
        self.walk(false, true).1
    }

    /// [`exported_symbols`](Self::exported_symbols) and
    /// [`dependency_symbols`](Self::dependency_symbols) in one pass over the
    /// symbol table: depmod wants both of every module, and the walk is
    /// most of the time either takes.
    pub fn exports_and_needs(&self) -> (Result<Vec<Symbol<'a>>>, Result<Vec<Symbol<'a>>>) {
        self.walk(true, true)
    }

    fn walk(
        &self,
        exports: bool,
        needs: bool,
    ) -> (Result<Vec<Symbol<'a>>>, Result<Vec<Symbol<'a>>>) {
        const NO_SYMTAB: Error = Error::Malformed("missing or malformed symbol table");
        let Some((strtab, syms)) = self.symtab() else {
            let exported = if exports {
                self.exports_from_strings()
            } else {
                Ok(Vec::new())
            };
            return (exported, Err(NO_SYMTAB));
        };
        // exports: the `__crc_` symbols, unless a name lies outside the
        // string table (then `__ksymtab_strings` is asked instead)
        let mut crcs = Vec::new();
        let mut crcs_ok = exports;
        // needs: undefined symbols, with their `__versions` CRCs
        let versions = if needs {
            self.modversions().unwrap_or_default()
        } else {
            Vec::new()
        };
        let register_syms = matches!(self.machine(), EM_SPARC | EM_SPARCV9);
        let mut visited = vec![false; versions.len()];
        let index = VersionIndex::new(&versions);
        // a module built with versions has one for nearly every symbol it
        // needs: room for them at once, not in doublings
        let mut needed = Vec::with_capacity(versions.len());
        let mut needs_err = (!needs).then_some(NO_SYMTAB);
        syms.each(|s| {
            let tail = strtab.get(s.name as usize..);
            if crcs_ok {
                // Most symbols are not `__crc_` ones: look at the prefix
                // (as a fixed-size compare, not a memcmp call: this runs for
                // every symbol) before finding where the name ends.
                match tail.map(|t| (t.first_chunk::<6>() == Some(b"__crc_"), t)) {
                    None => crcs_ok = false,
                    Some((false, _)) => {}
                    Some((true, t)) => crcs.push(Symbol {
                        name: cstr(&t[6..]),
                        crc: self.resolve_crc(s.value, s.shndx),
                        bind: Bind::from_elf(s.info >> 4),
                    }),
                }
            }
            let undefined =
                s.shndx == SHN_UNDEF && !(register_syms && s.info & 0xf == STT_REGISTER);
            if !undefined || needs_err.is_some() {
                return;
            }
            let Some(tail) = tail else {
                needs_err = Some(Error::Malformed("symbol name outside the string table"));
                return;
            };
            let name = cstr(tail);
            if name.is_empty() {
                return;
            }
            let crc = match index.first(&versions, name) {
                Some(i) => {
                    visited[i] = true;
                    versions[i].crc
                }
                None => 0,
            };
            let bind = if s.info >> 4 == STB_WEAK {
                Bind::Weak
            } else {
                Bind::Undefined
            };
            needed.push(Symbol { name, crc, bind });
        });
        let exported = match (exports, crcs_ok && !crcs.is_empty()) {
            (false, _) => Ok(Vec::new()),
            (true, true) => Ok(crcs),
            (true, false) => self.exports_from_strings(),
        };
        let needed = match needs_err {
            Some(e) => Err(e),
            None => {
                needed.extend(
                    versions
                        .iter()
                        .zip(&visited)
                        .filter(|(_, seen)| !**seen)
                        .map(|(v, _)| *v),
                );
                Ok(needed)
            }
        };
        (exported, needed)
    }

    /// Exports without modversions: the names `__ksymtab_strings` lists.
    fn exports_from_strings(&self) -> Result<Vec<Symbol<'a>>> {
        let Some(strings) = self.section("__ksymtab_strings") else {
            return Err(Error::NoSection("__ksymtab_strings"));
        };
        Ok(section_strings(strings)
            .map(|name| Symbol {
                name,
                crc: 0,
                bind: Bind::Global,
            })
            .collect())
    }

    /// A `__crc_` symbol's value is the CRC itself when absolute, otherwise
    /// the offset of a 32-bit CRC inside its section.
    fn resolve_crc(&self, value: u64, shndx: u16) -> u64 {
        if shndx == SHN_ABS || shndx == SHN_UNDEF {
            return value;
        }
        let Some(sec) = self.section_by_index(usize::from(shndx)) else {
            return u64::MAX;
        };
        if sec.size < 4 || value > sec.size - 4 {
            return u64::MAX;
        }
        self.read_uint(sec.offset + value, 4).unwrap_or(u64::MAX)
    }
}

/// Where each name first appears among the `__versions` records: a
/// module needs hundreds of symbols, and a scan per symbol would be
/// quadratic.
struct VersionIndex<'a>(Option<HashMap<&'a [u8], usize, foldhash::fast::RandomState>>);

impl<'a> VersionIndex<'a> {
    /// Below this many records a scan is quicker than hashing.
    const SCAN_MAX: usize = 16;

    fn new(versions: &[Symbol<'a>]) -> VersionIndex<'a> {
        if versions.len() <= Self::SCAN_MAX {
            return VersionIndex(None);
        }
        let mut map = HashMap::with_capacity_and_hasher(versions.len(), Default::default());
        for (i, v) in versions.iter().enumerate() {
            map.entry(v.name).or_insert(i);
        }
        VersionIndex(Some(map))
    }

    fn first(&self, versions: &[Symbol<'_>], name: &[u8]) -> Option<usize> {
        match &self.0 {
            Some(map) => map.get(name).copied(),
            None => versions.iter().position(|v| v.name == name),
        }
    }
}

/// A symbol table, read in place.
struct SymTable<'a> {
    table: &'a [u8],
    class: Class,
    endian: Endianness,
}

impl<'a> SymTable<'a> {
    /// `None` unless the table is whole entries.
    fn new(table: &'a [u8], class: Class, endian: Endianness) -> Option<SymTable<'a>> {
        let whole = match class {
            Class::Elf32 => entries::<Sym32<Endianness>>(table).is_some(),
            Class::Elf64 => entries::<Sym64<Endianness>>(table).is_some(),
        };
        whole.then_some(SymTable {
            table,
            class,
            endian,
        })
    }

    /// Each entry after the first (the null symbol), in order. One loop per
    /// class and byte order: the fields are then read without testing
    /// either for every symbol (a module has hundreds, a tree a million).
    fn each(&self, mut f: impl FnMut(RawSym)) {
        let t = self.table;
        match (self.class, self.endian) {
            (Class::Elf64, Endianness::Little) => {
                each_in::<Sym64<LittleEndian>>(t, LittleEndian, &mut f)
            }
            (Class::Elf64, Endianness::Big) => each_in::<Sym64<BigEndian>>(t, BigEndian, &mut f),
            (Class::Elf32, Endianness::Little) => {
                each_in::<Sym32<LittleEndian>>(t, LittleEndian, &mut f)
            }
            (Class::Elf32, Endianness::Big) => each_in::<Sym32<BigEndian>>(t, BigEndian, &mut f),
        }
    }
}

fn each_in<S: Sym>(table: &[u8], endian: S::Endian, f: &mut impl FnMut(RawSym)) {
    for s in entries::<S>(table).unwrap_or_default().iter().skip(1) {
        f(RawSym {
            name: s.st_name(endian),
            value: s.st_value(endian).into(),
            info: s.st_info(),
            shndx: s.st_shndx(endian),
        });
    }
}

fn entries<S: object::Pod>(table: &[u8]) -> Option<&[S]> {
    let size = std::mem::size_of::<S>();
    if !table.len().is_multiple_of(size) {
        return None;
    }
    object::pod::slice_from_bytes::<S>(table, table.len() / size)
        .ok()
        .map(|(syms, _)| syms)
}

#[cfg(test)]
mod tests {
    use crate::ModuleFile;

    /// Up to `max` module files of the installed kernels, plain or compressed.
    fn installed_modules(max: usize) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        let mut dirs: Vec<_> = std::fs::read_dir("/lib/modules")
            .map(|d| d.flatten().map(|e| e.path().join("kernel")).collect())
            .unwrap_or_default();
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.to_string_lossy().contains(".ko") && found.len() < max {
                    found.push(p);
                }
            }
        }
        found
    }

    /// The one-pass walk depmod uses answers as the two single ones do,
    /// module for module (each single one leaves the other half out).
    #[test]
    fn exports_and_needs_is_both_walks() {
        let modules = installed_modules(400);
        assert!(
            modules.len() >= 100,
            "needs the modules of an installed kernel (linux-image-amd64): found {}",
            modules.len()
        );
        let mut with_needs = 0;
        for path in &modules {
            let file = ModuleFile::open(path).unwrap();
            let elf = file.elf().unwrap();
            let (exports, needs) = elf.exports_and_needs();
            // (errors compare by their words)
            let same = |a: &crate::Result<Vec<crate::Symbol>>,
                        b: crate::Result<Vec<crate::Symbol>>| {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", path.display())
            };
            same(&exports, elf.exported_symbols());
            same(&needs, elf.dependency_symbols());
            with_needs += usize::from(needs.is_ok_and(|n| !n.is_empty()));
        }
        assert!(with_needs > modules.len() / 2, "{with_needs}");
    }
}

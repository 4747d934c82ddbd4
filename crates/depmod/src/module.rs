//! What depmod reads from one module file: the symbols it exports and
//! needs, and its `alias`, `softdep` and `weakdep` strings. Files are read
//! in parallel; each is read in part (plain, see [`crate::read`]) or
//! decompressed once, and only the strings depmod uses are copied out, into
//! one buffer per module.

use modfile::Bind;

/// A string inside [`ModuleInfo`]'s buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// A symbol the module needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need<'a> {
    pub name: &'a [u8],
    /// Its CRC from `__versions`, 0 without one.
    pub crc: u64,
    /// A weak reference: never reported as missing or mismatched.
    pub weak: bool,
}

/// What depmod knows about one module's contents.
#[derive(Debug, Default)]
pub struct ModuleInfo {
    strings: Vec<u8>,
    exports: Vec<(Span, u64)>,
    needs: Vec<(Span, u64, bool)>,
    aliases: Vec<Span>,
    softdeps: Vec<Span>,
    weakdeps: Vec<Span>,
    /// Why the exported symbols could not be read, when kmod reports it:
    /// a module that merely exports nothing is not an error.
    pub symbols_error: Option<modfile::Error>,
}

impl ModuleInfo {
    /// Read the module file at `path`. Never fails: what cannot be read is
    /// left empty, as kmod leaves it.
    pub fn read(path: &[u8]) -> ModuleInfo {
        ModuleInfo::read_with(path, &modfile::Limits::default())
    }

    /// [`read`](Self::read), decompressing within `limits`.
    pub fn read_with(path: &[u8], limits: &modfile::Limits) -> ModuleInfo {
        let mut info = ModuleInfo::default();
        let image = match crate::read::load(path, limits) {
            Ok(f) => f,
            Err(e) => {
                info.note_symbols_error(e);
                return info;
            }
        };
        let elf = match modfile::Elf::parse(image.bytes()) {
            Ok(elf) => elf,
            Err(e) => {
                info.note_symbols_error(e);
                return info;
            }
        };
        info.fill(&elf);
        info
    }

    /// Take what depmod needs from a parsed module.
    fn fill(&mut self, elf: &modfile::Elf<'_>) {
        match elf.exported_symbols() {
            Ok(list) => {
                for s in list {
                    let span = self.push(s.name);
                    self.exports.push((span, s.crc));
                }
            }
            Err(e) => self.note_symbols_error(e),
        }
        for entry in elf.modinfo().into_iter().flatten() {
            let list = match entry.key {
                b"alias" => &mut self.aliases,
                b"softdep" => &mut self.softdeps,
                b"weakdep" => &mut self.weakdeps,
                _ => continue,
            };
            let span = push(&mut self.strings, entry.value);
            list.push(span);
        }
        if let Ok(list) = elf.dependency_symbols() {
            for s in list {
                let span = self.push(s.name);
                self.needs.push((span, s.crc, s.bind == Bind::Weak));
            }
        }
    }

    /// Read the module file at `path` the plain way: mapped or
    /// decompressed whole by modfile. [`ModuleInfo::read`] gives the same
    /// answers faster; this one is the reference it is checked against.
    pub fn read_whole(path: &[u8]) -> ModuleInfo {
        use std::os::unix::ffi::OsStrExt;
        let mut info = ModuleInfo::default();
        let file = match modfile::ModuleFile::open(std::ffi::OsStr::from_bytes(path)) {
            Ok(f) => f,
            Err(e) => {
                info.note_symbols_error(e);
                return info;
            }
        };
        match file.elf() {
            Ok(elf) => info.fill(&elf),
            Err(e) => info.note_symbols_error(e),
        }
        info
    }

    fn note_symbols_error(&mut self, e: modfile::Error) {
        const ENOENT: i32 = 2;
        if e.errno() != ENOENT {
            self.symbols_error = Some(e);
        }
    }

    fn push(&mut self, s: &[u8]) -> Span {
        push(&mut self.strings, s)
    }

    fn get(&self, span: Span) -> &[u8] {
        let start = span.start as usize;
        self.strings
            .get(start..start + span.len as usize)
            .unwrap_or(&[])
    }

    /// Exported symbols and their CRCs, in file order.
    pub fn exports(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        self.exports.iter().map(|&(s, crc)| (self.get(s), crc))
    }

    /// Needed symbols, in file order.
    pub fn needs(&self) -> impl Iterator<Item = Need<'_>> + '_ {
        self.needs.iter().map(|&(s, crc, weak)| Need {
            name: self.get(s),
            crc,
            weak,
        })
    }

    /// `alias=` values, in file order.
    pub fn aliases(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.aliases.iter().map(|&s| self.get(s))
    }

    /// `softdep=` values, in file order.
    pub fn softdeps(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.softdeps.iter().map(|&s| self.get(s))
    }

    /// `weakdep=` values, in file order.
    pub fn weakdeps(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.weakdeps.iter().map(|&s| self.get(s))
    }

    /// Build from parts (tests and callers with their own reader).
    pub fn from_parts<'a>(
        exports: impl IntoIterator<Item = (&'a [u8], u64)>,
        needs: impl IntoIterator<Item = Need<'a>>,
        aliases: impl IntoIterator<Item = &'a [u8]>,
    ) -> ModuleInfo {
        let mut info = ModuleInfo::default();
        for (name, crc) in exports {
            let s = info.push(name);
            info.exports.push((s, crc));
        }
        for n in needs {
            let s = info.push(n.name);
            info.needs.push((s, n.crc, n.weak));
        }
        for a in aliases {
            let s = info.push(a);
            info.aliases.push(s);
        }
        info
    }
}

/// Append a C string (cut at its first NUL) to the buffer. Strings longer
/// than the buffer can index are dropped; no module comes near 4 GiB.
fn push(strings: &mut Vec<u8>, s: &[u8]) -> Span {
    let s = crate::ctext::cstr(s);
    let (Ok(start), Ok(len)) = (u32::try_from(strings.len()), u32::try_from(s.len())) else {
        return Span { start: 0, len: 0 };
    };
    if start.checked_add(len).is_none() {
        return Span { start: 0, len: 0 };
    }
    strings.extend_from_slice(s);
    Span { start, len }
}

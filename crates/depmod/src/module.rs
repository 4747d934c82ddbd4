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
        ModuleInfo::read_keyed(path, limits, None).0
    }

    /// [`read_with`](Self::read_with), and the identity of the file read
    /// when it could be opened (see [`depcache::FileKey`]): `known`, when
    /// it was just taken and the file fits it.
    pub fn read_keyed(
        path: &[u8],
        limits: &modfile::Limits,
        known: Option<depcache::FileKey>,
    ) -> (ModuleInfo, Option<depcache::FileKey>) {
        let mut info = ModuleInfo::default();
        let (image, key) = match crate::read::load(path, limits, known) {
            Ok(f) => f,
            Err(e) => {
                info.note_symbols_error(e);
                return (info, None);
            }
        };
        let elf = match modfile::Elf::parse(image.bytes()) {
            Ok(elf) => elf,
            Err(e) => {
                info.note_symbols_error(e);
                return (info, Some(key));
            }
        };
        info.fill(&elf);
        (info, Some(key))
    }

    /// The cache record of this module: its strings and where each
    /// exported and needed symbol and each `alias`, `softdep` and
    /// `weakdep` value lies in them. `None` for a module whose symbols
    /// could not be read: the reason may pass (a memory budget, an I/O
    /// error), so it is read again next time.
    ///
    /// ```text
    /// strings: len u32, bytes
    /// exports: count u32, (start u32, len u32, crc u64)*
    /// needs:   count u32, (start u32, len u32, crc u64, weak u8)*
    /// aliases, softdeps, weakdeps: count u32, (start u32, len u32)* each
    /// ```
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(&mut out).then_some(out)
    }

    /// [`encode`](Self::encode), appending to `out`; `false` (and `out`
    /// as it was) when the module is not to be cached.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        if self.symbols_error.is_some() || self.encode_parts(out).is_none() {
            out.truncate(start);
            return false;
        }
        true
    }

    /// The length of this module's cache record ([`encode`](Self::encode)).
    fn encoded_len(&self) -> usize {
        4 + self.strings.len()
            + 20
            + 16 * self.exports.len()
            + 17 * self.needs.len()
            + 8 * (self.aliases.len() + self.softdeps.len() + self.weakdeps.len())
    }

    fn encode_parts(&self, out: &mut Vec<u8>) -> Option<()> {
        out.reserve(self.encoded_len());
        let u32s = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        let len32 = |n: usize| u32::try_from(n).ok();
        u32s(out, len32(self.strings.len())?);
        out.extend_from_slice(&self.strings);
        u32s(out, len32(self.exports.len())?);
        for (s, crc) in &self.exports {
            u32s(out, s.start);
            u32s(out, s.len);
            out.extend_from_slice(&crc.to_le_bytes());
        }
        u32s(out, len32(self.needs.len())?);
        for (s, crc, weak) in &self.needs {
            u32s(out, s.start);
            u32s(out, s.len);
            out.extend_from_slice(&crc.to_le_bytes());
            out.push(u8::from(*weak));
        }
        for list in [&self.aliases, &self.softdeps, &self.weakdeps] {
            u32s(out, len32(list.len())?);
            for s in list {
                u32s(out, s.start);
                u32s(out, s.len);
            }
        }
        Some(())
    }

    /// A module from its [`encode`](Self::encode)d record; `None` unless
    /// the record is exactly well formed (every string inside the strings,
    /// no bytes left over). Allocates no more than the record's size.
    pub fn decode(record: &[u8]) -> Option<ModuleInfo> {
        let mut r = depcache::Reader::new(record);
        let n = r.u32()? as usize;
        let strings = r.bytes(n)?.to_vec();
        let total = strings.len() as u64;
        let span = |r: &mut depcache::Reader<'_>| -> Option<Span> {
            let (start, len) = (r.u32()?, r.u32()?);
            (u64::from(start) + u64::from(len) <= total).then_some(Span { start, len })
        };
        let n = r.count(16)?;
        let mut exports = Vec::with_capacity(n);
        for _ in 0..n {
            exports.push((span(&mut r)?, r.u64()?));
        }
        let n = r.count(17)?;
        let mut needs = Vec::with_capacity(n);
        for _ in 0..n {
            let s = span(&mut r)?;
            let crc = r.u64()?;
            let weak = match r.u8()? {
                0 => false,
                1 => true,
                _ => return None,
            };
            needs.push((s, crc, weak));
        }
        let mut lists: [Vec<Span>; 3] = Default::default();
        for list in &mut lists {
            let n = r.count(8)?;
            list.reserve_exact(n);
            for _ in 0..n {
                list.push(span(&mut r)?);
            }
        }
        if r.left() != 0 {
            return None;
        }
        let [aliases, softdeps, weakdeps] = lists;
        Some(ModuleInfo {
            strings,
            exports,
            needs,
            aliases,
            softdeps,
            weakdeps,
            symbols_error: None,
        })
    }

    /// Take what depmod needs from a parsed module.
    fn fill(&mut self, elf: &modfile::Elf<'_>) {
        let (exports, needs) = elf.exports_and_needs();
        match exports {
            Ok(list) => {
                self.reserve(&list);
                self.exports.reserve(list.len());
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
        if let Ok(list) = needs {
            self.reserve(&list);
            self.needs.reserve(list.len());
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

    /// Room in the strings for the names of `list` (at most their
    /// length: each is cut at its NUL).
    fn reserve(&mut self, list: &[modfile::Symbol<'_>]) {
        self.strings
            .reserve(list.iter().map(|s| s.name.len()).sum());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ModuleInfo {
        let mut info = ModuleInfo::from_parts(
            [(&b"exp_a"[..], 7u64), (&b"exp_b"[..], 0)],
            [
                Need {
                    name: b"printk",
                    crc: 0x1234,
                    weak: false,
                },
                Need {
                    name: b"maybe",
                    crc: 0,
                    weak: true,
                },
            ],
            [&b"pci:v*"[..]],
        );
        let s = info.push(b"pre: x");
        info.softdeps.push(s);
        let s = info.push(b"y");
        info.weakdeps.push(s);
        info
    }

    fn same(a: &ModuleInfo, b: &ModuleInfo) -> bool {
        a.exports().eq(b.exports())
            && a.needs().eq(b.needs())
            && a.aliases().eq(b.aliases())
            && a.softdeps().eq(b.softdeps())
            && a.weakdeps().eq(b.weakdeps())
    }

    #[test]
    fn records_round_trip() {
        let info = sample();
        let rec = info.encode().unwrap();
        assert!(same(&info, &ModuleInfo::decode(&rec).unwrap()));
        let empty = ModuleInfo::default();
        let back = ModuleInfo::decode(&empty.encode().unwrap()).unwrap();
        assert!(same(&empty, &back));
    }

    #[test]
    fn damaged_records_are_refused() {
        let rec = sample().encode().unwrap();
        for n in 0..rec.len() {
            assert!(ModuleInfo::decode(&rec[..n]).is_none(), "cut at {n}");
        }
        let mut longer = rec.clone();
        longer.push(0);
        assert!(ModuleInfo::decode(&longer).is_none());
        // Every byte changed either still decodes (within bounds) or is
        // refused; never a panic.
        for i in 0..rec.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut bad = rec.clone();
                bad[i] = v;
                let _ = ModuleInfo::decode(&bad);
            }
        }
    }

    #[test]
    fn unreadable_modules_are_not_cached() {
        let info = ModuleInfo::read(b"/nonexistent/dir/x.ko");
        // ENOENT leaves no error (kmod says nothing) but no key either.
        assert!(info.symbols_error.is_none());
        let limits = modfile::Limits::default();
        let (_, key) = ModuleInfo::read_keyed(b"/nonexistent/dir/x.ko", &limits, None);
        assert!(key.is_none());
        let path = std::env::temp_dir().join(format!("depmod-notelf-{}.ko", std::process::id()));
        std::fs::write(&path, b"not an ELF file, just text").unwrap();
        let bytes = path.as_os_str().as_encoded_bytes().to_vec();
        let (info, key) = ModuleInfo::read_keyed(&bytes, &limits, None);
        std::fs::remove_file(&path).unwrap();
        assert!(info.symbols_error.is_some() && key.is_some());
        assert!(info.encode().is_none());
    }
}

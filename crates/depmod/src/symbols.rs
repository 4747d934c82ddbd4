//! The symbol table: who provides each symbol. The kernel's own symbols
//! come from `Module.symvers` (`-E`) or `System.map` (`-F`) and have no
//! owner; modules' exports are added in module order, a later exporter
//! replacing an earlier one as in kmod.

use std::collections::HashMap;
use std::path::Path;

use crate::ctext::{fgets_pieces, strtoull};
use crate::error::{Error, Result};
use crate::report::{diag, Reporter};

/// Index of a module in depmod's sorted module list.
pub type ModIdx = u32;

/// Who provides a symbol, and the CRC it was exported with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    /// `None` for the kernel itself.
    pub owner: Option<ModIdx>,
    pub crc: u64,
}

/// Symbol name → provider, with kmod's prefix handling.
#[derive(Debug, Default)]
pub struct SymbolTable {
    /// Hashed with foldhash: every needed symbol of every module is looked
    /// up here, on one thread, and SipHash took a tenth of a whole run.
    /// foldhash is seeded per process, so crafted names cannot be made to
    /// collide in advance.
    map: HashMap<Box<[u8]>, Provider, foldhash::fast::RandomState>,
    /// Architecture symbol prefix (`-P`), stripped from names.
    prefix: Option<u8>,
    /// A digest of each kernel symbol file read (which loader, the path,
    /// the bytes): what the kernel's part of the table was made from.
    pub(crate) sources: Vec<[u8; 16]>,
}

impl SymbolTable {
    pub fn new(prefix: Option<u8>) -> SymbolTable {
        SymbolTable {
            map: HashMap::default(),
            prefix,
            sources: Vec::new(),
        }
    }

    /// Add or replace a symbol; the prefix is dropped unless the caller
    /// already did.
    pub fn add(&mut self, name: &[u8], prefix_skipped: bool, provider: Provider) {
        let name = if prefix_skipped {
            name
        } else {
            self.strip_prefix(name)
        };
        if let Some(p) = self.map.get_mut(name) {
            *p = provider;
        } else {
            self.map.insert(name.into(), provider);
        }
    }

    fn strip_prefix<'n>(&self, name: &'n [u8]) -> &'n [u8] {
        match (self.prefix, name.split_first()) {
            (Some(p), Some((&first, rest))) if first == p => rest,
            _ => name,
        }
    }

    /// Look a needed symbol up: a leading `.` (PowerPC64 function
    /// descriptors) and then the prefix are ignored.
    pub fn find(&self, name: &[u8]) -> Option<(&[u8], Provider)> {
        let name = name.strip_prefix(b".").unwrap_or(name);
        let name = self.strip_prefix(name);
        self.map.get_key_value(name).map(|(k, p)| (&**k, *p))
    }

    /// Every symbol with an owning module.
    pub fn owned(&self) -> impl Iterator<Item = (&[u8], ModIdx)> + '_ {
        self.map
            .iter()
            .filter_map(|(k, p)| p.owner.map(|o| (&**k, o)))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Symbols the module loader provides without anyone exporting them.
    fn add_fake_symbols(&mut self) {
        let kernel = Provider {
            owner: None,
            crc: 0,
        };
        self.add(b"__this_module", true, kernel);
        self.add(b"_GLOBAL_OFFSET_TABLE_", true, kernel);
        if self.find(b"TOC.").is_none() {
            self.add(b"TOC.", true, kernel);
        }
    }

    /// Read the kernel's exports from `Module.symvers`: lines of
    /// `CRC SYMBOL vmlinux ...`; other owners are skipped.
    pub fn load_symvers(&mut self, path: &Path, log: &mut dyn Reporter) -> Result<()> {
        let data = read_input(path)?;
        self.note_source(b"symvers", path, &data);
        for (n, line) in fgets_pieces(&data, 10240).enumerate() {
            let line = crate::ctext::cstr(line);
            let mut words = line
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|w| !w.is_empty());
            let (Some(ver), Some(sym), Some(owner)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            if owner != b"vmlinux" {
                continue;
            }
            let (crc, used) = strtoull(ver, 16);
            if used != ver.len() {
                diag!(
                    log,
                    Error,
                    "{}:{} Invalid symbol version {}: {}\n",
                    path.display(),
                    n + 1,
                    String::from_utf8_lossy(ver),
                    // kmod prints errno, which strtoull sets only on
                    // overflow; otherwise it still holds the ENOENT of an
                    // earlier lookup.
                    if crc == u64::MAX {
                        "Numerical result out of range"
                    } else {
                        "No such file or directory"
                    }
                );
                continue;
            }
            self.add(sym, false, Provider { owner: None, crc });
        }
        self.add_fake_symbols();
        Ok(())
    }

    /// Read the kernel's exports from `System.map`: every `__ksymtab_NAME`
    /// symbol (after the prefix) names an export.
    pub fn load_system_map(&mut self, path: &Path, log: &mut dyn Reporter) -> Result<()> {
        const KSYMTAB: &[u8] = b"__ksymtab_";
        let data = read_input(path)?;
        self.note_source(b"system.map", path, &data);
        for (n, line) in fgets_pieces(&data, 10240).enumerate() {
            let line = crate::ctext::cstr(line);
            let third = line.iter().position(|&b| b == b' ').and_then(|a| {
                let rest = &line[a + 1..];
                rest.iter().position(|&b| b == b' ').map(|b| &rest[b + 1..])
            });
            let Some(mut sym) = third else {
                diag!(
                    log,
                    Error,
                    "{}:{}: invalid line: {}\n",
                    path.display(),
                    n + 1,
                    String::from_utf8_lossy(line)
                );
                continue;
            };
            sym = self.strip_prefix(sym);
            let Some(name) = sym.strip_prefix(KSYMTAB) else {
                continue;
            };
            let name = match name.iter().position(|&b| b == b'\n') {
                Some(nl) => &name[..nl],
                None => name,
            };
            self.add(
                name,
                true,
                Provider {
                    owner: None,
                    crc: 0,
                },
            );
        }
        self.add_fake_symbols();
        Ok(())
    }
}

impl SymbolTable {
    fn note_source(&mut self, kind: &[u8], path: &Path, data: &[u8]) {
        use std::os::unix::ffi::OsStrExt;
        let mut d = crate::replay::Digest::new();
        d.put(kind);
        d.put(path.as_os_str().as_bytes());
        d.put(data);
        self.sources.push(d.finish());
    }
}

/// The file's bytes as kmod's fgets loop sees them: failing to open it
/// is an error; a read error (a directory: `EISDIR`) ends the input,
/// keeping what was read.
fn read_input(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|source| Error::KernelSymbols {
        path: path.display().to_string(),
        source,
    })?;
    let mut data = Vec::new();
    let _ = file.read_to_end(&mut data);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Collect;

    fn tmpfile(tag: &str, content: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("depmod-sym-{tag}-{}", std::process::id()));
        std::fs::write(&p, content).unwrap();
        p
    }

    #[test]
    fn a_directory_reads_as_empty() {
        let dir = std::env::temp_dir();
        let mut syms = SymbolTable::new(None);
        let mut log = Collect::default();
        syms.load_symvers(&dir, &mut log).unwrap();
        syms.load_system_map(&dir, &mut log).unwrap();
        assert!(read_input(Path::new("/no/such/Module.symvers")).is_err());
    }

    #[test]
    fn symvers() {
        let p = tmpfile(
            "symvers",
            b"0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n\
              0x1\tfoo\tdrivers/foo\tEXPORT_SYMBOL\t\n\
              zz\tbad\tvmlinux\tEXPORT_SYMBOL\n\
              0x2\tshort\tvmlinux\n",
        );
        let mut t = SymbolTable::new(None);
        let mut log = Collect::default();
        t.load_symvers(&p, &mut log).unwrap();
        assert_eq!(t.find(b"printk").unwrap().1.crc, 0x1234_5678);
        assert!(t.find(b"foo").is_none());
        assert!(t.find(b"bad").is_none());
        // "vmlinux\n" is not "vmlinux": kmod splits on blanks and tabs only
        assert!(t.find(b"short").is_none());
        assert!(t.find(b"__this_module").is_some());
        assert!(t.find(b".TOC.").is_some());
        assert_eq!(log.diags.len(), 1);
        assert!(log.diags[0]
            .text_lossy()
            .contains(":3 Invalid symbol version zz"));
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn system_map_with_prefix() {
        let p = tmpfile(
            "sysmap",
            b"ffff R ___ksymtab_printk\nffff T _other\nbroken\nffff r ___ksymtab_gpl_x\n",
        );
        let mut t = SymbolTable::new(Some(b'_'));
        let mut log = Collect::default();
        t.load_system_map(&p, &mut log).unwrap();
        assert!(t.find(b"printk").is_some());
        assert!(t.find(b"_printk").is_some());
        assert!(t.find(b"gpl_x").is_some());
        assert_eq!(log.diags.len(), 1);
        assert_eq!(
            log.diags[0].text_lossy(),
            format!("{}:3: invalid line: broken\n\n", p.display())
        );
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn later_exporter_replaces() {
        let mut t = SymbolTable::new(None);
        t.add(
            b"x",
            false,
            Provider {
                owner: Some(1),
                crc: 0,
            },
        );
        t.add(
            b"x",
            false,
            Provider {
                owner: Some(2),
                crc: 0,
            },
        );
        assert_eq!(t.find(b"x").unwrap().1.owner, Some(2));
        assert_eq!(t.owned().count(), 1);
    }
}

//! What the sim kernel reads from a `.ko` before loading it, as the
//! kernel's load_module reads it: `.modinfo`, the names it imports, the
//! names it exports (from its `__ksymtab` and `__ksymtab_gpl` entries:
//! GPL-only or not), its `__versions` CRCs, whether it carries a
//! signature, and the size its image will take.

use std::path::Path;

use modfile::ModuleFile;
use modload::SymbolPlace;

use crate::error::Error;

/// A `.ko` file's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KoFile {
    /// The name in `.gnu.linkonce.this_module` (else `name=` of `.modinfo`,
    /// else the file name).
    pub name: String,
    /// `.modinfo` entries in file order.
    pub modinfo: Vec<(String, String)>,
    /// Exported symbols and whether each is GPL-only.
    pub exports: Vec<(String, bool)>,
    /// Undefined, non-weak symbols: what other modules or the kernel must
    /// provide.
    pub imports: Vec<String>,
    /// `__versions`: the CRC each import was built against.
    pub versions: Vec<(String, u32)>,
    /// An appended module signature is present.
    pub signed: bool,
    /// The image size (`/proc/modules`).
    pub size: u64,
}

fn format(name: &str, what: impl Into<String>) -> Error {
    Error::Format {
        name: name.to_string(),
        what: what.into(),
    }
}

impl KoFile {
    /// Read the module at `path` (any compression).
    pub fn read(path: &Path) -> Result<KoFile, Error> {
        let shown = path.display().to_string();
        let file = ModuleFile::open(path).map_err(|source| Error::Module {
            path: shown.clone(),
            source,
        })?;
        KoFile::parse(&file, &shown)
    }

    /// Parse an opened module file; `shown` names it in messages.
    pub fn parse(file: &ModuleFile, shown: &str) -> Result<KoFile, Error> {
        let elf = file.elf().map_err(|source| Error::Module {
            path: shown.to_string(),
            source,
        })?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let modinfo: Vec<(String, String)> = elf
            .modinfo()
            .map(|it| it.map(|e| (text(e.key), text(e.value))).collect())
            .unwrap_or_default();
        let versions = elf
            .modversions()
            .map(|v| {
                v.iter()
                    .map(|s| (text(s.name), s.crc as u32))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let signed = file.signature().is_some();
        let obj = modload::parse(file.bytes())?;
        let name = elf
            .this_module_name()
            .map(text)
            .or_else(|| {
                modinfo
                    .iter()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| modfile_name(shown));
        let mut imports = Vec::new();
        for s in obj.symbols() {
            if s.index != 0
                && s.place == SymbolPlace::Undefined
                && !s.is_weak()
                && !s.name.is_empty()
            {
                imports.push(s.name.to_string());
            }
        }
        imports.sort();
        imports.dedup();
        let exports = exports(&obj, &name)?;
        let layout = modload::layout(&obj, &mut modload::LayoutOptions::new().percpu(|_| Some(0)))?;
        Ok(KoFile {
            name,
            modinfo,
            exports,
            imports,
            versions,
            signed,
            size: layout.size(),
        })
    }

    /// The first value of `.modinfo` key `key`.
    pub fn info(&self, key: &str) -> Option<&str> {
        self.modinfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn modfile_name(shown: &str) -> String {
    String::from_utf8_lossy(&modfile::modname_from_path(shown.as_bytes())).into_owned()
}

/// The names a module exports: each `__ksymtab[_gpl]` entry's name field
/// is a relocation against `__ksymtab_strings`.
pub(crate) fn exports(obj: &modload::Object<'_>, name: &str) -> Result<Vec<(String, bool)>, Error> {
    let Some(strings) = obj.section_by_name("__ksymtab_strings") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (section, gpl) in [("__ksymtab", false), ("__ksymtab_gpl", true)] {
        let Some(tab) = obj.section_by_name(section) else {
            continue;
        };
        // 12-byte entries of 32-bit place-relative offsets (value, name,
        // namespace), or 24-byte ones of absolute pointers.
        let Some(rs) = obj.reloc_sections().iter().find(|r| r.target == tab.index) else {
            continue;
        };
        let relocs: Vec<modload::Reloc> = obj
            .relocations(rs)
            .collect::<Result<_, _>>()
            .map_err(Error::Load)?;
        let prel = relocs
            .iter()
            .any(|r| r.r_type == modload::x86_64_reloc::PC32);
        let (entry, field) = if prel { (12, 4) } else { (24, 8) };
        for r in relocs.iter().filter(|r| r.offset % entry == field) {
            let Some(sym) = obj.symbol(r.symbol) else {
                continue;
            };
            if sym.place != SymbolPlace::Section(strings.index) {
                continue;
            }
            let at = sym
                .value
                .checked_add_signed(r.addend.unwrap_or(0))
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v < strings.data.len())
                .ok_or_else(|| {
                    format(name, format!("{section}: a name outside __ksymtab_strings"))
                })?;
            let s = &strings.data[at..];
            let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
            out.push((String::from_utf8_lossy(&s[..end]).into_owned(), gpl));
        }
    }
    Ok(out)
}

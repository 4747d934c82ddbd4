//! Parsing: check that the bytes are an ELF64 little-endian relocatable
//! object for a machine with a relocation engine, and expose its sections,
//! symbols and relocations (zero-copy over the input, through `object`).

use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, Sym};
use object::LittleEndian as LE;

use crate::arch::{self, Engine};
use crate::error::{Error, Result};

type Header = elf::FileHeader64<LE>;

/// One section header, with its bytes (empty for `SHT_NOBITS`).
#[derive(Debug, Clone)]
pub struct Section<'a> {
    /// Index in the section header table.
    pub index: usize,
    /// Name from the section header string table.
    pub name: &'a str,
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_size` (for `SHT_NOBITS`, the size in memory).
    pub size: u64,
    /// `sh_addralign` (0 and 1 mean unaligned).
    pub align: u64,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// The section's bytes in the file (empty for `SHT_NOBITS`).
    pub data: &'a [u8],
}

impl Section<'_> {
    /// `SHF_ALLOC` is set: the section is part of the module image.
    pub fn is_alloc(&self) -> bool {
        self.flags & u64::from(elf::SHF_ALLOC) != 0
    }
}

/// Where a symbol is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolPlace {
    /// `SHN_UNDEF`: to be resolved by the caller.
    Undefined,
    /// `SHN_ABS`: the value is an address already.
    Absolute,
    /// Defined in this section (index); the value is an offset into it.
    Section(usize),
}

/// One symbol of the symbol table.
#[derive(Debug, Clone)]
pub struct Symbol<'a> {
    /// Index in the symbol table (relocations refer to it).
    pub index: usize,
    /// Name; a section symbol's is usually empty.
    pub name: &'a str,
    /// `st_value`.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// `STT_*`.
    pub kind: u8,
    /// `STB_*`.
    pub bind: u8,
    /// Where it is defined.
    pub place: SymbolPlace,
}

impl Symbol<'_> {
    /// An undefined symbol.
    pub fn is_undefined(&self) -> bool {
        self.place == SymbolPlace::Undefined
    }
    /// A weak symbol (`STB_WEAK`).
    pub fn is_weak(&self) -> bool {
        self.bind == elf::STB_WEAK
    }
}

/// A relocation section (`SHT_RELA`, or `SHT_REL` on architectures using
/// implicit addends) and the section it patches.
#[derive(Debug, Clone, Copy)]
pub struct RelocSection {
    /// Index of the relocation section itself.
    pub index: usize,
    /// Index of the section it patches (`sh_info`).
    pub target: usize,
    /// `SHT_RELA` (explicit addends) rather than `SHT_REL`.
    pub rela: bool,
}

/// One relocation entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloc {
    /// Offset of the field in the patched section.
    pub offset: u64,
    /// `ELF64_R_TYPE`.
    pub r_type: u32,
    /// Symbol index (`ELF64_R_SYM`), checked against the symbol table.
    pub symbol: usize,
    /// The explicit addend (`SHT_RELA`); `None` for `SHT_REL`.
    pub addend: Option<i64>,
}

/// A parsed relocatable object: zero-copy views over the input bytes.
pub struct Object<'a> {
    data: &'a [u8],
    machine: u16,
    engine: &'static dyn Engine,
    sections: Vec<Section<'a>>,
    symbols: Vec<Symbol<'a>>,
    relocs: Vec<RelocSection>,
}

impl std::fmt::Debug for Object<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("machine", &self.machine)
            .field("sections", &self.sections.len())
            .field("symbols", &self.symbols.len())
            .field("reloc_sections", &self.relocs.len())
            .finish()
    }
}

fn bad(reason: impl Into<String>) -> Error {
    Error::malformed(reason)
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| bad(format!("{what} name is not UTF-8")))
}

/// Parse `bytes` as a module: an ELF64 little-endian `ET_REL` object whose
/// `e_machine` has a relocation engine. Rejects `SHN_COMMON` symbols, a
/// missing or second symbol table, out-of-range section and symbol indices
/// and sections extending past the end of the file.
pub fn parse(bytes: &[u8]) -> Result<Object<'_>> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(bad("not an ELF file"));
    }
    if bytes.len() < 6 || bytes[4] != elf::ELFCLASS64 || bytes[5] != elf::ELFDATA2LSB {
        return Err(bad("not a 64-bit little-endian ELF file"));
    }
    let header = Header::parse(bytes).map_err(|e| bad(e.to_string()))?;
    let e = LE;
    let e_type = header.e_type(e);
    if e_type != elf::ET_REL {
        return Err(Error::NotRelocatable { e_type });
    }
    let machine = header.e_machine(e);
    let engine = arch::engine_for(machine).ok_or(Error::WrongMachine { machine })?;
    let table = header.sections(e, bytes).map_err(|e| bad(e.to_string()))?;
    let count = table.len();
    let mut sections = Vec::with_capacity(count);
    for (i, sh) in table.iter().enumerate() {
        let name = table
            .section_name(e, sh)
            .map_err(|_| bad(format!("section {i}: bad name offset")))?;
        let name = utf8(name, "section")?;
        let sh_type = sh.sh_type(e);
        let data = if sh_type == elf::SHT_NOBITS {
            &[][..]
        } else {
            sh.data(e, bytes)
                .map_err(|_| bad(format!("section `{name}` extends past the end of the file")))?
        };
        let align = sh.sh_addralign(e);
        if align > 1 && !align.is_power_of_two() {
            return Err(bad(format!(
                "section `{name}`: alignment {align:#x} is not a power of two"
            )));
        }
        sections.push(Section {
            index: i,
            name,
            sh_type,
            flags: sh.sh_flags(e),
            size: sh.sh_size(e),
            align,
            link: sh.sh_link(e),
            info: sh.sh_info(e),
            data,
        });
    }
    let symtabs: Vec<usize> = sections
        .iter()
        .filter(|s| s.sh_type == elf::SHT_SYMTAB)
        .map(|s| s.index)
        .collect();
    let symtab_index = match symtabs.as_slice() {
        [one] => *one,
        [] => return Err(bad("no symbol table (stripped?)")),
        _ => return Err(bad("more than one symbol table")),
    };
    let symbols = read_symbols(bytes, &table, symtab_index, count)?;
    let mut relocs = Vec::new();
    for s in &sections {
        let rela = match s.sh_type {
            elf::SHT_RELA => true,
            elf::SHT_REL => false,
            _ => continue,
        };
        if s.link as usize != symtab_index {
            return Err(bad(format!(
                "relocation section `{}` does not use the symbol table",
                s.name
            )));
        }
        let target = s.info as usize;
        if target == 0 || target >= count {
            return Err(bad(format!(
                "relocation section `{}` patches section {target}, which does not exist",
                s.name
            )));
        }
        let entsize = if rela {
            std::mem::size_of::<elf::Rela64<LE>>()
        } else {
            std::mem::size_of::<elf::Rel64<LE>>()
        };
        if !s.data.len().is_multiple_of(entsize) {
            return Err(bad(format!(
                "relocation section `{}` is not a whole number of entries",
                s.name
            )));
        }
        relocs.push(RelocSection {
            index: s.index,
            target,
            rela,
        });
    }
    Ok(Object {
        data: bytes,
        machine,
        engine,
        sections,
        symbols,
        relocs,
    })
}

fn read_symbols<'a>(
    bytes: &'a [u8],
    table: &object::read::elf::SectionTable<'a, Header, &'a [u8]>,
    symtab_index: usize,
    nsections: usize,
) -> Result<Vec<Symbol<'a>>> {
    let e = LE;
    let symtab = table
        .symbol_table_by_index(e, bytes, object::SectionIndex(symtab_index))
        .map_err(|err| bad(format!("symbol table: {err}")))?;
    let mut symbols = Vec::with_capacity(symtab.len());
    for (i, sym) in symtab.iter().enumerate() {
        let name = symtab
            .symbol_name(e, sym)
            .map_err(|_| bad(format!("symbol {i}: bad name offset")))?;
        let name = utf8(name, "symbol")?;
        let shndx = sym.st_shndx(e);
        let place = match shndx {
            elf::SHN_UNDEF => SymbolPlace::Undefined,
            elf::SHN_ABS => SymbolPlace::Absolute,
            // SHN_X86_64_LCOMMON (large-model common) is common too.
            elf::SHN_COMMON | 0xff02 => {
                return Err(Error::CommonSymbol {
                    name: name.to_string(),
                })
            }
            elf::SHN_XINDEX => {
                let ext = symtab.shndx(e, object::SymbolIndex(i)).unwrap_or(0) as usize;
                if ext == 0 || ext >= nsections {
                    return Err(bad(format!("symbol `{name}`: bad extended section index")));
                }
                SymbolPlace::Section(ext)
            }
            n if n >= elf::SHN_LORESERVE => {
                return Err(bad(format!(
                    "symbol `{name}`: reserved section index {n:#x}"
                )))
            }
            n => {
                let n = usize::from(n);
                if n >= nsections {
                    return Err(bad(format!(
                        "symbol `{name}`: section index {n} out of range"
                    )));
                }
                SymbolPlace::Section(n)
            }
        };
        symbols.push(Symbol {
            index: i,
            name,
            value: sym.st_value(e),
            size: sym.st_size(e),
            kind: sym.st_type(),
            bind: sym.st_bind(),
            place,
        });
    }
    Ok(symbols)
}

impl<'a> Object<'a> {
    /// The input bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// `e_machine`.
    pub fn machine(&self) -> u16 {
        self.machine
    }
    pub(crate) fn engine(&self) -> &'static dyn Engine {
        self.engine
    }
    /// Every section header, in section-header order (index 0 included).
    pub fn sections(&self) -> &[Section<'a>] {
        &self.sections
    }
    /// The section at `index`.
    pub fn section(&self, index: usize) -> Option<&Section<'a>> {
        self.sections.get(index)
    }
    /// The first section named `name`.
    pub fn section_by_name(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }
    /// Every symbol, in symbol-table order (index 0 is the null symbol).
    pub fn symbols(&self) -> &[Symbol<'a>] {
        &self.symbols
    }
    /// The symbol at `index`.
    pub fn symbol(&self, index: usize) -> Option<&Symbol<'a>> {
        self.symbols.get(index)
    }
    /// A name for a symbol in messages: its own, or its section's for a
    /// section symbol.
    pub fn symbol_display_name(&self, index: usize) -> String {
        match self.symbols.get(index) {
            Some(s) if !s.name.is_empty() => s.name.to_string(),
            Some(Symbol {
                place: SymbolPlace::Section(sec),
                ..
            }) => self
                .sections
                .get(*sec)
                .map_or_else(String::new, |s| s.name.to_string()),
            Some(_) => String::new(),
            None => format!("#{index}"),
        }
    }
    /// The relocation sections, in section-header order.
    pub fn reloc_sections(&self) -> &[RelocSection] {
        &self.relocs
    }
    /// The entries of a relocation section. An entry whose symbol index is
    /// out of range yields an error (and ends nothing else).
    pub fn relocations(&self, rs: &RelocSection) -> impl Iterator<Item = Result<Reloc>> + '_ {
        let data = self.sections.get(rs.index).map_or(&[][..], |s| s.data);
        let nsyms = self.symbols.len();
        let e = LE;
        let (rela, rel): (&[elf::Rela64<LE>], &[elf::Rel64<LE>]) = if rs.rela {
            (object::pod::slice_from_all_bytes(data).unwrap_or(&[]), &[])
        } else {
            (&[], object::pod::slice_from_all_bytes(data).unwrap_or(&[]))
        };
        let check = move |r: Reloc| {
            if r.symbol >= nsyms {
                Err(bad(format!(
                    "relocation at offset {:#x}: symbol index {} out of range",
                    r.offset, r.symbol
                )))
            } else {
                Ok(r)
            }
        };
        rela.iter()
            .map(move |r| Reloc {
                offset: r.r_offset(e),
                r_type: r.r_type(e, false),
                symbol: r.r_sym(e, false) as usize,
                addend: Some(r.r_addend(e)),
            })
            .chain(rel.iter().map(move |r| Reloc {
                offset: r.r_offset(e),
                r_type: r.r_type(e),
                symbol: r.r_sym(e) as usize,
                addend: None,
            }))
            .map(check)
    }
}

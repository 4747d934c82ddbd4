//! The ELF view of a module: header checks and the section table, with the
//! tolerance kmod has — a section whose header points outside the file is
//! skipped, not fatal, so that every module kmod reads we read too.

use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::{FileHeader, SectionHeader};
use object::Endianness;

use crate::error::{Error, Result};

const SHF_ALLOC: u64 = 0x2;

/// ELF class of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Elf32,
    Elf64,
}

/// One entry of the section table, already bounds-checked against the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Section {
    name_off: u32,
    pub(crate) offset: u64,
    pub(crate) size: u64,
    pub(crate) flags: u64,
    /// Where the header itself sits, for in-place edits (strip for --force).
    pub(crate) header_off: u64,
    /// False when offset + size falls outside the file: kmod skips such sections.
    valid: bool,
}

/// A parsed module ELF over borrowed bytes.
pub struct Elf<'a> {
    data: &'a [u8],
    class: Class,
    endian: Endianness,
    machine: u16,
    sections: Vec<Section>,
    shstrtab: &'a [u8],
}

impl<'a> Elf<'a> {
    /// Validate the ELF header and section table as kmod's `kmod_elf_new` does.
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>> {
        const EI_NIDENT: usize = 16;
        if data.len() <= EI_NIDENT || &data[..4] != b"\x7fELF" {
            return Err(Error::NotElf);
        }
        match data[4] {
            1 => parse_as::<FileHeader32<Endianness>>(data, Class::Elf32),
            2 => parse_as::<FileHeader64<Endianness>>(data, Class::Elf64),
            _ => Err(Error::Malformed("unknown ELF class")),
        }
    }

    /// The whole (decompressed) file.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    pub fn class(&self) -> Class {
        self.class
    }

    pub fn is_big_endian(&self) -> bool {
        self.endian == Endianness::Big
    }

    pub fn endian(&self) -> Endianness {
        self.endian
    }

    /// `e_machine` of the header.
    pub fn machine(&self) -> u16 {
        self.machine
    }

    /// The first section with this name, as kmod finds it (index 0 skipped,
    /// out-of-bounds sections ignored).
    pub fn section(&self, name: &str) -> Option<&'a [u8]> {
        self.find(name).map(|s| self.slice(s))
    }

    pub(crate) fn find(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .skip(1)
            .filter(|s| s.valid)
            .find(|s| self.is_named(s, name.as_bytes()))
    }

    pub(crate) fn section_by_index(&self, index: usize) -> Option<&Section> {
        self.sections.get(index).filter(|s| s.valid && index != 0)
    }

    pub(crate) fn slice(&self, s: &Section) -> &'a [u8] {
        // Bounds were checked when the table was read.
        &self.data[s.offset as usize..(s.offset + s.size) as usize]
    }

    /// `section_name(s) == Some(name)` for a `name` without NUL, without
    /// finding where each name ends: a lookup passes most sections.
    fn is_named(&self, s: &Section, name: &[u8]) -> bool {
        let Some(rest) = self.shstrtab.get(s.name_off as usize..) else {
            return false;
        };
        rest.starts_with(name) && rest.get(name.len()).is_none_or(|&b| b == 0)
    }

    fn section_name(&self, s: &Section) -> Option<&'a [u8]> {
        let rest = self.shstrtab.get(s.name_off as usize..)?;
        Some(cstr(rest))
    }

    /// Names of all readable sections, in table order (for diagnostics and tests).
    pub fn section_names(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.sections
            .iter()
            .skip(1)
            .filter(|s| s.valid)
            .filter_map(|s| self.section_name(s))
    }

    /// Read an unsigned integer of `size` bytes at `offset` in file endianness.
    pub(crate) fn read_uint(&self, offset: u64, size: usize) -> Option<u64> {
        let start = usize::try_from(offset).ok()?;
        let bytes = self.data.get(start..start.checked_add(size)?)?;
        let mut v = 0u64;
        if self.is_big_endian() {
            for b in bytes {
                v = (v << 8) | u64::from(*b);
            }
        } else {
            for b in bytes.iter().rev() {
                v = (v << 8) | u64::from(*b);
            }
        }
        Some(v)
    }

    /// Whether a section is loaded into memory by the kernel (SHF_ALLOC).
    pub fn section_is_alloc(&self, name: &str) -> Option<bool> {
        self.find(name).map(|s| s.flags & SHF_ALLOC != 0)
    }
}

/// The bytes of a C string: up to the first NUL or the end of the slice.
pub(crate) fn cstr(bytes: &[u8]) -> &[u8] {
    match memchr::memchr(0, bytes) {
        Some(n) => &bytes[..n],
        None => bytes,
    }
}

fn parse_as<H>(data: &[u8], class: Class) -> Result<Elf<'_>>
where
    H: FileHeader<Endian = Endianness>,
{
    let header_size = std::mem::size_of::<H>();
    if data.len() <= header_size {
        return Err(Error::Malformed("file shorter than its ELF header"));
    }
    let endian = match data[5] {
        1 => Endianness::Little,
        2 => Endianness::Big,
        _ => return Err(Error::Malformed("unknown ELF data encoding")),
    };
    let header: &H = object::pod::from_bytes(&data[..header_size])
        .map(|(h, _)| h)
        .map_err(|()| Error::Malformed("unreadable ELF header"))?;
    let shoff: u64 = header.e_shoff(endian).into();
    let shnum = u64::from(header.e_shnum(endian));
    let shentsize = header.e_shentsize(endian);
    let shstrndx = usize::from(header.e_shstrndx(endian));
    let entry_size = std::mem::size_of::<H::SectionHeader>();
    if usize::from(shentsize) != entry_size {
        return Err(Error::Malformed("unexpected section header size"));
    }
    let table_end = shnum
        .checked_mul(entry_size as u64)
        .and_then(|n| n.checked_add(shoff))
        .ok_or(Error::Malformed("section table overflows"))?;
    if table_end > data.len() as u64 {
        return Err(Error::Malformed("file too short for its section table"));
    }
    let mut sections = Vec::with_capacity(shnum as usize);
    for i in 0..shnum {
        let header_off = shoff + i * entry_size as u64;
        let at = header_off as usize;
        let sh: &H::SectionHeader = object::pod::from_bytes(&data[at..at + entry_size])
            .map(|(h, _)| h)
            .map_err(|()| Error::Malformed("unreadable section header"))?;
        let offset: u64 = sh.sh_offset(endian).into();
        let size: u64 = sh.sh_size(endian).into();
        let valid = offset
            .checked_add(size)
            .is_some_and(|end| end <= data.len() as u64);
        sections.push(Section {
            name_off: sh.sh_name(endian),
            offset,
            size,
            flags: sh.sh_flags(endian).into(),
            header_off,
            valid,
        });
    }
    let strings = sections
        .get(shstrndx)
        .filter(|s| shstrndx != 0 && s.valid)
        .ok_or(Error::Malformed("no valid section name table"))?;
    let shstrtab = &data[strings.offset as usize..(strings.offset + strings.size) as usize];
    if shstrtab.last() != Some(&0) {
        return Err(Error::Malformed("section name table not NUL-terminated"));
    }
    Ok(Elf {
        data,
        class,
        endian,
        machine: header.e_machine(endian),
        sections,
        shstrtab,
    })
}

//! The architecture interface: one relocation engine per `e_machine`, each
//! in its own module. An engine first *plans* (before layout: it reads the
//! relocations and sizes the sections it needs to add — PLT and GOT on
//! x86-64, veneers elsewhere), then *applies* each relocation into the
//! image and finally fills its own sections.
//!
//! Engines: x86-64, aarch64 and riscv64, each in its own directory. Adding
//! one: a module here implementing [`Engine`] and [`Plan`], registered in
//! [`engine_for`]. An engine is plain byte arithmetic, so any engine runs on
//! any host: a module for another architecture can be laid out and
//! relocated into a buffer at any address. `Site::addend` is
//! `None` for `SHT_REL` entries ([`Cx::read`] gives the field for an
//! implicit addend); [`ExtraSpec`]s size veneers or PLT/GOT before layout
//! (their kind gives their protection); relocations that pair with another
//! one (riscv's `PCREL_LO12` naming the `PCREL_HI20` site) can look through
//! `Cx::obj` at the section's other entries.

use crate::error::{Error, RelocSite, Result};
use crate::layout::{LoaderSection, SectionKind};
use crate::parse::{Object, Symbol};
use crate::symbols::SymValue;

pub(crate) mod aarch64;
pub(crate) mod riscv64;
pub(crate) mod slots;
pub(crate) mod x86_64;

/// A relocation engine for one architecture.
pub(crate) trait Engine: Sync {
    /// The `e_machine` it handles.
    #[allow(dead_code)]
    fn machine(&self) -> u16;
    /// The name of a relocation type, for messages.
    fn reloc_name(&self, r_type: u32) -> &'static str;
    /// Read the relocations of the loaded sections (`loaded(index)`) and
    /// decide what the engine adds to the image.
    fn plan(&self, obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<Box<dyn Plan>>;
}

/// The engine for `machine`, if there is one.
pub(crate) fn engine_for(machine: u16) -> Option<&'static dyn Engine> {
    match machine {
        object::elf::EM_X86_64 => Some(&x86_64::X86_64),
        object::elf::EM_AARCH64 => Some(&aarch64::Aarch64),
        object::elf::EM_RISCV => Some(&riscv64::Riscv64),
        _ => None,
    }
}

/// The name of relocation type `r_type` of `machine` (`"unknown"` for a
/// number the engine does not name; `"unknown machine"` without an engine).
pub fn reloc_name(machine: u16, r_type: u32) -> &'static str {
    engine_for(machine).map_or("unknown machine", |e| e.reloc_name(r_type))
}

/// Whether `value` fits a two's-complement field of `bits` bits.
pub(crate) fn fits_signed(value: i64, bits: u32) -> bool {
    match bits {
        0 => value == 0,
        1..=63 => (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&value),
        _ => true,
    }
}

/// Whether `value` fits an unsigned field of `bits` bits.
pub(crate) fn fits_unsigned(value: u64, bits: u32) -> bool {
    bits >= 64 || value < (1u64 << bits)
}

/// A section an engine adds, as planned before layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExtraSpec {
    pub name: &'static str,
    pub kind: SectionKind,
    pub size: u64,
    pub align: u64,
}

/// What an engine decided for one object.
pub(crate) trait Plan: Send + Sync {
    /// The sections to add after the four groups, in order (size 0: none).
    fn extra_sections(&self) -> Vec<ExtraSpec>;
    /// A symbol the loader itself defines (`_GLOBAL_OFFSET_TABLE_`): the
    /// added section it lies in and its offset there.
    fn builtin_symbol(&self, name: &str) -> Option<(SectionKind, u64)>;
    /// Apply one relocation.
    fn apply(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()>;
    /// After every relocation: fill the added sections.
    fn finish(&self, cx: &mut Cx<'_, '_>) -> Result<()>;
}

/// One relocation to apply, with where its field is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    pub r_type: u32,
    /// The patched section's index, image offset and size.
    pub section: usize,
    pub section_offset: u64,
    pub section_size: u64,
    /// `r_offset`: the field's offset in the section.
    pub offset: u64,
    pub symbol: usize,
    /// The explicit addend (RELA); `None` for REL (read from the field).
    pub addend: Option<i64>,
}

/// What an engine works on while relocating: the image at its base, the
/// symbol values, the added sections.
pub(crate) struct Cx<'a, 'o> {
    pub obj: &'a Object<'o>,
    pub image: &'a mut [u8],
    pub base: u64,
    pub extras: &'a [LoaderSection],
    pub values: &'a [SymValue],
}

impl Cx<'_, '_> {
    /// Describe a site for an error.
    pub fn describe(&self, site: &Site) -> Box<RelocSite> {
        Box::new(RelocSite {
            r_type: site.r_type,
            type_name: self.obj.engine().reloc_name(site.r_type),
            symbol: self.obj.symbol_display_name(site.symbol),
            section: self
                .obj
                .section(site.section)
                .map_or_else(String::new, |s| s.name.to_string()),
            offset: site.offset,
        })
    }

    /// The symbol of a site.
    pub fn symbol(&self, site: &Site) -> Option<&Symbol<'_>> {
        self.obj.symbol(site.symbol)
    }

    /// The final value of the site's symbol (S).
    pub fn value(&self, site: &Site) -> Result<u64> {
        self.value_of(site.symbol, site)
    }

    /// The final value of symbol `index`, for errors about `site`.
    pub fn value_of(&self, index: usize, site: &Site) -> Result<u64> {
        match self.values.get(index) {
            Some(SymValue::Addr(a)) => Ok(*a),
            Some(SymValue::NotLoaded(sec)) => Err(Error::SymbolNotLoaded {
                site: self.describe(site),
                target: self
                    .obj
                    .section(*sec)
                    .map_or_else(String::new, |s| s.name.to_string()),
            }),
            None => Err(Error::malformed(format!(
                "symbol index {index} out of range"
            ))),
        }
    }

    /// The place (P): the field's address.
    pub fn place(&self, site: &Site) -> u64 {
        self.base
            .wrapping_add(site.section_offset)
            .wrapping_add(site.offset)
    }

    fn field_range(&self, site: &Site, width: u64) -> Result<std::ops::Range<usize>> {
        let end = site.offset.checked_add(width);
        match end {
            Some(end) if end <= site.section_size => {
                let start = site.section_offset + site.offset;
                Ok(start as usize..(start + width) as usize)
            }
            _ => Err(Error::RelocationOutOfSection {
                site: self.describe(site),
                size: site.section_size,
            }),
        }
    }

    /// Write the field (little-endian bytes) after checking it lies inside
    /// its section.
    pub fn write(&mut self, site: &Site, bytes: &[u8]) -> Result<()> {
        let range = self.field_range(site, bytes.len() as u64)?;
        match self.image.get_mut(range) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(Error::malformed("relocation field outside the image")),
        }
    }

    /// The bytes of the field, checked likewise.
    pub fn read(&self, site: &Site, width: u64) -> Result<&[u8]> {
        let range = self.field_range(site, width)?;
        self.image
            .get(range)
            .ok_or_else(|| Error::malformed("relocation field outside the image"))
    }

    /// The field as a little-endian integer of `width` bytes (1, 2, 4, 8).
    pub fn read_uint(&self, site: &Site, width: u64) -> Result<u64> {
        let bytes = self.read(site, width.min(8))?;
        let mut buf = [0u8; 8];
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(buf))
    }

    /// Write the low `width` bytes of `value` (little-endian) into the field.
    pub fn write_uint(&mut self, site: &Site, value: u64, width: u64) -> Result<()> {
        let bytes = value.to_le_bytes();
        let n = usize::try_from(width).unwrap_or(8).min(8);
        self.write(site, &bytes[..n])
    }

    /// An instruction word at the field (offset `at` bytes past it).
    pub fn read_insn(&self, site: &Site, at: u64) -> Result<u32> {
        let shifted = Site {
            offset: site.offset.wrapping_add(at),
            ..*site
        };
        Ok(self.read_uint(&shifted, 4)? as u32)
    }

    /// Write an instruction word at the field (offset `at` bytes past it).
    pub fn write_insn(&mut self, site: &Site, at: u64, insn: u32) -> Result<()> {
        let shifted = Site {
            offset: site.offset.wrapping_add(at),
            ..*site
        };
        self.write_uint(&shifted, u64::from(insn), 4)
    }

    /// The error for a value that does not fit its field.
    pub fn overflow(&self, site: &Site, value: i128, detail: &'static str) -> Error {
        Error::RelocationOverflow {
            site: self.describe(site),
            value,
            detail,
        }
    }

    /// The error for a value that is not a multiple of `align`.
    pub fn misaligned(&self, site: &Site, value: i128, align: u64) -> Error {
        Error::RelocationMisaligned {
            site: self.describe(site),
            value,
            align,
        }
    }

    /// The error for a relocation type the engine does not apply.
    pub fn unsupported(&self, site: &Site) -> Error {
        Error::UnsupportedRelocation {
            site: self.describe(site),
        }
    }

    /// The address of the added section of `kind`.
    pub fn extra_address(&self, kind: SectionKind) -> Result<u64> {
        self.extra(kind)
            .map(|x| self.base.wrapping_add(x.offset))
            .ok_or_else(|| Error::malformed("loader section missing from the layout"))
    }

    /// The added section of `kind`, if present.
    pub fn extra(&self, kind: SectionKind) -> Option<&LoaderSection> {
        self.extras.iter().find(|x| x.kind == kind)
    }

    /// Write into an added section at `offset`.
    pub fn write_extra(&mut self, kind: SectionKind, offset: u64, bytes: &[u8]) -> Result<()> {
        let x = self
            .extra(kind)
            .ok_or_else(|| Error::malformed("loader section missing"))?;
        let ok = offset
            .checked_add(bytes.len() as u64)
            .is_some_and(|end| end <= x.size);
        let start = (x.offset + offset) as usize;
        match self.image.get_mut(start..start + bytes.len()) {
            Some(dst) if ok => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            _ => Err(Error::malformed("write outside a loader section")),
        }
    }
}

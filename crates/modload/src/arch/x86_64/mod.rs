//! The x86-64 relocation engine (psABI names: S symbol value, A addend,
//! P place, G offset of the symbol's GOT entry, GOT the GOT's address,
//! L the symbol's PLT entry, Z the symbol's size).
//!
//! Handled: `NONE`, `64`, `32` (S+A must fit u32), `32S` (must fit i32),
//! `16`/`8` (must fit the field signed or unsigned), `PC64`, `PC32`,
//! `PLT32`, `PC16`, `PC8` (signed), `GOTPCREL`, `GOTPCRELX`,
//! `REX_GOTPCRELX`, `GOTPCREL64`, `GOT32`, `GOT64`, `GOTPLT64`, `GOTPC32`,
//! `GOTPC64`, `GOTOFF64`, `PLTOFF64`, `SIZE32`, `SIZE64`. Refused with
//! [`Error::UnsupportedRelocation`]: the TLS types (modules have no TLS),
//! the dynamic-linking types (`COPY`, `GLOB_DAT`, `JUMP_SLOT`, `RELATIVE`,
//! `IRELATIVE`, `RELATIVE64`), the MPX `*_BND` types and unknown numbers.
//! GOT loads are never relaxed into direct references: the loader's GOT
//! always holds the target.

mod plt;

use crate::arch::{Cx, Engine, Plan, Site};
use crate::error::{Error, Result};
use crate::parse::Object;

pub(crate) use plt::X86Plan;

/// The x86-64 engine.
pub(crate) struct X86_64;

/// Relocation type numbers (System V x86-64 psABI).
pub mod r {
    pub const NONE: u32 = 0;
    pub const R64: u32 = 1;
    pub const PC32: u32 = 2;
    pub const GOT32: u32 = 3;
    pub const PLT32: u32 = 4;
    pub const GOTPCREL: u32 = 9;
    pub const R32: u32 = 10;
    pub const R32S: u32 = 11;
    pub const R16: u32 = 12;
    pub const PC16: u32 = 13;
    pub const R8: u32 = 14;
    pub const PC8: u32 = 15;
    pub const PC64: u32 = 24;
    pub const GOTOFF64: u32 = 25;
    pub const GOTPC32: u32 = 26;
    pub const GOT64: u32 = 27;
    pub const GOTPCREL64: u32 = 28;
    pub const GOTPC64: u32 = 29;
    pub const GOTPLT64: u32 = 30;
    pub const PLTOFF64: u32 = 31;
    pub const SIZE32: u32 = 32;
    pub const SIZE64: u32 = 33;
    pub const GOTPCRELX: u32 = 41;
    pub const REX_GOTPCRELX: u32 = 42;
}

/// The psABI name of an x86-64 relocation type.
pub fn reloc_name(r_type: u32) -> &'static str {
    const NAMES: [&str; 43] = [
        "R_X86_64_NONE",
        "R_X86_64_64",
        "R_X86_64_PC32",
        "R_X86_64_GOT32",
        "R_X86_64_PLT32",
        "R_X86_64_COPY",
        "R_X86_64_GLOB_DAT",
        "R_X86_64_JUMP_SLOT",
        "R_X86_64_RELATIVE",
        "R_X86_64_GOTPCREL",
        "R_X86_64_32",
        "R_X86_64_32S",
        "R_X86_64_16",
        "R_X86_64_PC16",
        "R_X86_64_8",
        "R_X86_64_PC8",
        "R_X86_64_DTPMOD64",
        "R_X86_64_DTPOFF64",
        "R_X86_64_TPOFF64",
        "R_X86_64_TLSGD",
        "R_X86_64_TLSLD",
        "R_X86_64_DTPOFF32",
        "R_X86_64_GOTTPOFF",
        "R_X86_64_TPOFF32",
        "R_X86_64_PC64",
        "R_X86_64_GOTOFF64",
        "R_X86_64_GOTPC32",
        "R_X86_64_GOT64",
        "R_X86_64_GOTPCREL64",
        "R_X86_64_GOTPC64",
        "R_X86_64_GOTPLT64",
        "R_X86_64_PLTOFF64",
        "R_X86_64_SIZE32",
        "R_X86_64_SIZE64",
        "R_X86_64_GOTPC32_TLSDESC",
        "R_X86_64_TLSDESC_CALL",
        "R_X86_64_TLSDESC",
        "R_X86_64_IRELATIVE",
        "R_X86_64_RELATIVE64",
        "R_X86_64_PC32_BND",
        "R_X86_64_PLT32_BND",
        "R_X86_64_GOTPCRELX",
        "R_X86_64_REX_GOTPCRELX",
    ];
    NAMES.get(r_type as usize).copied().unwrap_or("unknown")
}

impl Engine for X86_64 {
    fn machine(&self) -> u16 {
        object::elf::EM_X86_64
    }
    fn reloc_name(&self, r_type: u32) -> &'static str {
        reloc_name(r_type)
    }
    fn plan(&self, obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<Box<dyn Plan>> {
        Ok(Box::new(X86Plan::new(obj, loaded)?))
    }
}

/// How a field's range is checked.
#[derive(Clone, Copy)]
enum Check {
    /// Any value (64-bit fields: arithmetic is modulo 2^64).
    None,
    /// Fits as a signed integer of the field's width.
    Signed,
    /// Fits as an unsigned integer (zero-extended).
    Unsigned,
    /// Fits as either (the field is sign- or zero-extended by its user).
    Either,
}

impl X86Plan {
    /// Write `value` into the field of `width` bytes after checking its range.
    fn put(cx: &mut Cx<'_, '_>, site: &Site, value: u64, width: u32, check: Check) -> Result<()> {
        // A field outside its section is the more basic fault: report it
        // before any overflow.
        cx.read(site, u64::from(width))?;
        let bits = width * 8;
        let signed = value as i64;
        let fits = match (check, bits) {
            (Check::None, _) | (_, 64) => true,
            (Check::Signed, b) => signed >= -(1i64 << (b - 1)) && signed < (1i64 << (b - 1)),
            (Check::Unsigned, b) => value < (1u64 << b),
            (Check::Either, b) => signed >= -(1i64 << (b - 1)) && signed < (1i64 << b),
        };
        if !fits {
            let (value, detail) = match check {
                Check::Unsigned => (i128::from(value), "must fit zero-extended"),
                Check::Signed => (i128::from(signed), "must fit sign-extended"),
                _ => (i128::from(signed), "must fit the field"),
            };
            return Err(Error::RelocationOverflow {
                site: cx.describe(site),
                value,
                detail,
            });
        }
        let bytes = value.to_le_bytes();
        cx.write(site, &bytes[..width as usize])
    }

    fn unsupported(cx: &Cx<'_, '_>, site: &Site) -> Error {
        Error::UnsupportedRelocation {
            site: cx.describe(site),
        }
    }

    pub(crate) fn apply_one(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()> {
        // x86-64 uses RELA only; a REL entry would need its addend from the
        // field, which no x86-64 toolchain emits for modules.
        let Some(a) = site.addend else {
            return Err(Self::unsupported(cx, site));
        };
        let a = a as u64;
        let p = cx.place(site);
        let t = site.r_type;
        if t == r::NONE {
            return Ok(());
        }
        let s = match t {
            // These do not use S: do not fail on a symbol that is not loaded.
            r::GOTPC32 | r::GOTPC64 | r::SIZE32 | r::SIZE64 => 0,
            _ => cx.value(site)?,
        };
        let z = cx.symbol(site).map_or(0, |sym| sym.size);
        match t {
            r::R64 => Self::put(cx, site, s.wrapping_add(a), 8, Check::None),
            r::R32 => Self::put(cx, site, s.wrapping_add(a), 4, Check::Unsigned),
            r::R32S => Self::put(cx, site, s.wrapping_add(a), 4, Check::Signed),
            r::R16 => Self::put(cx, site, s.wrapping_add(a), 2, Check::Either),
            r::R8 => Self::put(cx, site, s.wrapping_add(a), 1, Check::Either),
            r::PC64 => Self::put(cx, site, s.wrapping_add(a).wrapping_sub(p), 8, Check::None),
            r::PC16 => Self::put(
                cx,
                site,
                s.wrapping_add(a).wrapping_sub(p),
                2,
                Check::Signed,
            ),
            r::PC8 => Self::put(
                cx,
                site,
                s.wrapping_add(a).wrapping_sub(p),
                1,
                Check::Signed,
            ),
            r::PC32 | r::PLT32 => {
                let direct = s.wrapping_add(a).wrapping_sub(p);
                let slot = self.plt_slot(cx, site)?;
                let in_range = {
                    let v = direct as i64;
                    v >= i64::from(i32::MIN) && v <= i64::from(i32::MAX)
                };
                match slot {
                    Some(entry) if !in_range => {
                        // Jump to the trampoline: the field ends the branch
                        // instruction, so the displacement is from P + 4.
                        let v = entry.wrapping_sub(p).wrapping_sub(4);
                        Self::put(cx, site, v, 4, Check::Signed)
                    }
                    _ => Self::put(cx, site, direct, 4, Check::Signed),
                }
            }
            r::GOTPCREL | r::GOTPCRELX | r::REX_GOTPCRELX => {
                let g = self.got_entry(cx, site, s)?;
                Self::put(
                    cx,
                    site,
                    g.wrapping_add(a).wrapping_sub(p),
                    4,
                    Check::Signed,
                )
            }
            r::GOTPCREL64 => {
                let g = self.got_entry(cx, site, s)?;
                Self::put(cx, site, g.wrapping_add(a).wrapping_sub(p), 8, Check::None)
            }
            r::GOT32 | r::GOT64 | r::GOTPLT64 => {
                let g = self.got_entry(cx, site, s)?;
                let off = g.wrapping_sub(self.got_base(cx, site)?).wrapping_add(a);
                let width = if t == r::GOT32 { 4 } else { 8 };
                Self::put(cx, site, off, width, Check::Signed)
            }
            r::GOTPC32 => {
                let v = self.got_base(cx, site)?.wrapping_add(a).wrapping_sub(p);
                Self::put(cx, site, v, 4, Check::Signed)
            }
            r::GOTPC64 => {
                let v = self.got_base(cx, site)?.wrapping_add(a).wrapping_sub(p);
                Self::put(cx, site, v, 8, Check::None)
            }
            r::GOTOFF64 => {
                let v = s.wrapping_add(a).wrapping_sub(self.got_base(cx, site)?);
                Self::put(cx, site, v, 8, Check::None)
            }
            r::PLTOFF64 => {
                let l = self.plt_slot(cx, site)?.unwrap_or(s);
                let v = l.wrapping_add(a).wrapping_sub(self.got_base(cx, site)?);
                Self::put(cx, site, v, 8, Check::None)
            }
            r::SIZE32 => Self::put(cx, site, z.wrapping_add(a), 4, Check::Unsigned),
            r::SIZE64 => Self::put(cx, site, z.wrapping_add(a), 8, Check::None),
            _ => Err(Self::unsupported(cx, site)),
        }
    }
}

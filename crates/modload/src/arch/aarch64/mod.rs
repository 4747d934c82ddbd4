//! The aarch64 relocation engine (ELF for the Arm 64-bit Architecture:
//! S symbol value, A addend, P place, X the result, Page(x) = x & !0xfff,
//! GDAT(S + A) the GOT entry holding S + A).
//!
//! Handled (RELA only, as every aarch64 toolchain emits): `NONE` (0 and
//! 256); data `ABS64`, `ABS32`, `ABS16`, `PREL64`, `PREL32`, `PREL16`,
//! `PLT32`; move-wide `MOVW_UABS_G0..G3` (and `_NC`), `MOVW_SABS_G0..G2`,
//! `MOVW_PREL_G0..G3` (and `_NC`); `ADR_PREL_LO21`, `ADR_PREL_PG_HI21`
//! (and `_NC`), `ADD_ABS_LO12_NC`, `LDST8/16/32/64/128_ABS_LO12_NC`,
//! `LD_PREL_LO19`; branches `TSTBR14`, `CONDBR19`, `JUMP26`, `CALL26` (far
//! ones through a veneer, see [`veneer`]); GOT loads `ADR_GOT_PAGE`,
//! `LD64_GOT_LO12_NC`, `GOT_LD_PREL19`, `LD64_GOTPAGE_LO15` and
//! `LD64_GOTOFF_LO15` (`-fpic`: from `_GLOBAL_OFFSET_TABLE_`, the start of
//! the loader's GOT), `GOTREL64`, `GOTREL32`. Refused with
//! [`crate::Error::UnsupportedRelocation`]: TLS, `MOVW_GOTOFF_*`, the
//! dynamic types and unknown numbers.
//!
//! Range checks are the kernel's (`arch/arm64/kernel/module.c`): 32- and
//! 16-bit absolute data zero-extended, place-relative data sign-extended;
//! instruction fields as the psABI gives them. A scaled field
//! (`LDST16..128`, branches, `LD_PREL_LO19`) also needs its value to be a
//! multiple of the scale.

mod insn;
mod veneer;

use crate::arch::{fits_signed, fits_unsigned, Cx, Engine, ExtraSpec, Plan, Site};
use crate::error::Result;
use crate::layout::SectionKind;
use crate::parse::Object;

pub(crate) use veneer::Aarch64Plan;

/// The aarch64 engine.
pub(crate) struct Aarch64;

/// Relocation type numbers (ELF for the Arm 64-bit Architecture).
pub mod r {
    pub const NONE_ARM: u32 = 0;
    pub const NONE: u32 = 256;
    pub const ABS64: u32 = 257;
    pub const ABS32: u32 = 258;
    pub const ABS16: u32 = 259;
    pub const PREL64: u32 = 260;
    pub const PREL32: u32 = 261;
    pub const PREL16: u32 = 262;
    pub const MOVW_UABS_G0: u32 = 263;
    pub const MOVW_UABS_G0_NC: u32 = 264;
    pub const MOVW_UABS_G1: u32 = 265;
    pub const MOVW_UABS_G1_NC: u32 = 266;
    pub const MOVW_UABS_G2: u32 = 267;
    pub const MOVW_UABS_G2_NC: u32 = 268;
    pub const MOVW_UABS_G3: u32 = 269;
    pub const MOVW_SABS_G0: u32 = 270;
    pub const MOVW_SABS_G1: u32 = 271;
    pub const MOVW_SABS_G2: u32 = 272;
    pub const LD_PREL_LO19: u32 = 273;
    pub const ADR_PREL_LO21: u32 = 274;
    pub const ADR_PREL_PG_HI21: u32 = 275;
    pub const ADR_PREL_PG_HI21_NC: u32 = 276;
    pub const ADD_ABS_LO12_NC: u32 = 277;
    pub const LDST8_ABS_LO12_NC: u32 = 278;
    pub const TSTBR14: u32 = 279;
    pub const CONDBR19: u32 = 280;
    pub const JUMP26: u32 = 282;
    pub const CALL26: u32 = 283;
    pub const LDST16_ABS_LO12_NC: u32 = 284;
    pub const LDST32_ABS_LO12_NC: u32 = 285;
    pub const LDST64_ABS_LO12_NC: u32 = 286;
    pub const MOVW_PREL_G0: u32 = 287;
    pub const MOVW_PREL_G0_NC: u32 = 288;
    pub const MOVW_PREL_G1: u32 = 289;
    pub const MOVW_PREL_G1_NC: u32 = 290;
    pub const MOVW_PREL_G2: u32 = 291;
    pub const MOVW_PREL_G2_NC: u32 = 292;
    pub const MOVW_PREL_G3: u32 = 293;
    pub const LDST128_ABS_LO12_NC: u32 = 299;
    pub const GOTREL64: u32 = 307;
    pub const GOTREL32: u32 = 308;
    pub const GOT_LD_PREL19: u32 = 309;
    pub const LD64_GOTOFF_LO15: u32 = 310;
    pub const ADR_GOT_PAGE: u32 = 311;
    pub const LD64_GOT_LO12_NC: u32 = 312;
    pub const LD64_GOTPAGE_LO15: u32 = 313;
    pub const PLT32: u32 = 314;
}

/// The psABI name of an aarch64 relocation type.
pub fn reloc_name(r_type: u32) -> &'static str {
    const STATIC: [&str; 59] = [
        "R_AARCH64_NONE",
        "R_AARCH64_ABS64",
        "R_AARCH64_ABS32",
        "R_AARCH64_ABS16",
        "R_AARCH64_PREL64",
        "R_AARCH64_PREL32",
        "R_AARCH64_PREL16",
        "R_AARCH64_MOVW_UABS_G0",
        "R_AARCH64_MOVW_UABS_G0_NC",
        "R_AARCH64_MOVW_UABS_G1",
        "R_AARCH64_MOVW_UABS_G1_NC",
        "R_AARCH64_MOVW_UABS_G2",
        "R_AARCH64_MOVW_UABS_G2_NC",
        "R_AARCH64_MOVW_UABS_G3",
        "R_AARCH64_MOVW_SABS_G0",
        "R_AARCH64_MOVW_SABS_G1",
        "R_AARCH64_MOVW_SABS_G2",
        "R_AARCH64_LD_PREL_LO19",
        "R_AARCH64_ADR_PREL_LO21",
        "R_AARCH64_ADR_PREL_PG_HI21",
        "R_AARCH64_ADR_PREL_PG_HI21_NC",
        "R_AARCH64_ADD_ABS_LO12_NC",
        "R_AARCH64_LDST8_ABS_LO12_NC",
        "R_AARCH64_TSTBR14",
        "R_AARCH64_CONDBR19",
        "unknown",
        "R_AARCH64_JUMP26",
        "R_AARCH64_CALL26",
        "R_AARCH64_LDST16_ABS_LO12_NC",
        "R_AARCH64_LDST32_ABS_LO12_NC",
        "R_AARCH64_LDST64_ABS_LO12_NC",
        "R_AARCH64_MOVW_PREL_G0",
        "R_AARCH64_MOVW_PREL_G0_NC",
        "R_AARCH64_MOVW_PREL_G1",
        "R_AARCH64_MOVW_PREL_G1_NC",
        "R_AARCH64_MOVW_PREL_G2",
        "R_AARCH64_MOVW_PREL_G2_NC",
        "R_AARCH64_MOVW_PREL_G3",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "R_AARCH64_LDST128_ABS_LO12_NC",
        "R_AARCH64_MOVW_GOTOFF_G0",
        "R_AARCH64_MOVW_GOTOFF_G0_NC",
        "R_AARCH64_MOVW_GOTOFF_G1",
        "R_AARCH64_MOVW_GOTOFF_G1_NC",
        "R_AARCH64_MOVW_GOTOFF_G2",
        "R_AARCH64_MOVW_GOTOFF_G2_NC",
        "R_AARCH64_MOVW_GOTOFF_G3",
        "R_AARCH64_GOTREL64",
        "R_AARCH64_GOTREL32",
        "R_AARCH64_GOT_LD_PREL19",
        "R_AARCH64_LD64_GOTOFF_LO15",
        "R_AARCH64_ADR_GOT_PAGE",
        "R_AARCH64_LD64_GOT_LO12_NC",
        "R_AARCH64_LD64_GOTPAGE_LO15",
        "R_AARCH64_PLT32",
    ];
    match r_type {
        r::NONE_ARM => "R_AARCH64_NONE",
        256..=314 => STATIC[(r_type - 256) as usize],
        512..=573 => "R_AARCH64_TLS (thread-local storage)",
        1024 => "R_AARCH64_COPY",
        1025 => "R_AARCH64_GLOB_DAT",
        1026 => "R_AARCH64_JUMP_SLOT",
        1027 => "R_AARCH64_RELATIVE",
        1028..=1031 => "R_AARCH64_TLS (dynamic)",
        1032 => "R_AARCH64_IRELATIVE",
        _ => "unknown",
    }
}

impl Engine for Aarch64 {
    fn machine(&self) -> u16 {
        object::elf::EM_AARCH64
    }
    fn reloc_name(&self, r_type: u32) -> &'static str {
        reloc_name(r_type)
    }
    fn plan(&self, obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<Box<dyn Plan>> {
        Ok(Box::new(Aarch64Plan::new(obj, loaded)?))
    }
}

/// `x & !0xfff`.
fn page(x: u64) -> u64 {
    x & !0xfff
}

/// Rewrite the instruction at the site.
fn patch(cx: &mut Cx<'_, '_>, site: &Site, f: impl FnOnce(u32) -> u32) -> Result<()> {
    let insn = cx.read_insn(site, 0)?;
    cx.write_insn(site, 0, f(insn))
}

/// A place-relative instruction field: `value` must be a multiple of
/// `1 << scale` and, scaled, fit `bits` signed bits.
fn pc_field(
    cx: &mut Cx<'_, '_>,
    site: &Site,
    value: i64,
    scale: u32,
    bits: u32,
    detail: &'static str,
    enc: fn(u32, i64) -> u32,
) -> Result<()> {
    cx.read(site, 4)?;
    if value & ((1 << scale) - 1) != 0 {
        return Err(cx.misaligned(site, i128::from(value), 1 << scale));
    }
    if !fits_signed(value >> scale, bits) {
        return Err(cx.overflow(site, i128::from(value), detail));
    }
    patch(cx, site, |i| enc(i, value >> scale))
}

/// The low 12 bits of `x` into a load/store or add immediate, divided by
/// the access size `1 << scale` (which `x` must be a multiple of).
fn lo12(cx: &mut Cx<'_, '_>, site: &Site, x: u64, scale: u32) -> Result<()> {
    cx.read(site, 4)?;
    if x & ((1 << scale) - 1) != 0 {
        return Err(cx.misaligned(site, i128::from(x as i64), 1 << scale));
    }
    patch(cx, site, |i| insn::imm12(i, (x & 0xfff) >> scale))
}

/// A move-wide field from bits `shift..shift + 16` of `x`: unsigned
/// (`MOVW_UABS`, `MOVK` forms), checked to fit `shift + 16` bits unless
/// `checked` is false.
fn movw_unsigned(
    cx: &mut Cx<'_, '_>,
    site: &Site,
    x: u64,
    shift: u32,
    checked: bool,
) -> Result<()> {
    cx.read(site, 4)?;
    if checked && !fits_unsigned(x, shift + 16) {
        return Err(cx.overflow(site, i128::from(x), "must fit the move-wide group unsigned"));
    }
    patch(cx, site, |i| insn::imm16(i, x >> shift))
}

/// A signed move-wide field (`MOVW_SABS`, `MOVW_PREL`): `MOVZ` or `MOVN`
/// by the sign, checked to fit `shift + 17` bits signed unless `checked` is
/// false (`G3`, which holds the top bits).
fn movw_signed(cx: &mut Cx<'_, '_>, site: &Site, x: i64, shift: u32, checked: bool) -> Result<()> {
    cx.read(site, 4)?;
    if checked && !fits_signed(x, shift + 17) {
        return Err(cx.overflow(site, i128::from(x), "must fit the move-wide group signed"));
    }
    patch(cx, site, |i| insn::movnz(i, x, shift))
}

/// A data field of `width` bytes, zero-extended or sign-extended.
fn data(cx: &mut Cx<'_, '_>, site: &Site, x: u64, width: u64, signed: bool) -> Result<()> {
    cx.read(site, width)?;
    let bits = width as u32 * 8;
    let ok = if signed {
        fits_signed(x as i64, bits)
    } else {
        fits_unsigned(x, bits)
    };
    if !ok {
        return Err(if signed {
            cx.overflow(site, i128::from(x as i64), "must fit sign-extended")
        } else {
            cx.overflow(site, i128::from(x), "must fit zero-extended")
        });
    }
    cx.write_uint(site, x, width)
}

fn known(t: u32) -> bool {
    matches!(
        t,
        r::ABS64..=r::CONDBR19
            | r::JUMP26..=r::MOVW_PREL_G3
            | r::LDST128_ABS_LO12_NC
            | r::GOTREL64..=r::LD64_GOTPAGE_LO15
            | r::PLT32
    )
}

impl Aarch64Plan {
    fn apply_one(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()> {
        let t = site.r_type;
        if t == r::NONE || t == r::NONE_ARM {
            return Ok(());
        }
        // REL entries would keep the addend in the field: no aarch64
        // toolchain emits them for objects.
        let (Some(a), true) = (site.addend, known(t)) else {
            return Err(cx.unsupported(site));
        };
        let x = cx.value(site)?.wrapping_add(a as u64);
        let p = cx.place(site);
        let prel = x.wrapping_sub(p) as i64;
        match t {
            r::ABS64 => {
                cx.read(site, 8)?;
                cx.write_uint(site, x, 8)
            }
            r::ABS32 => data(cx, site, x, 4, false),
            r::ABS16 => data(cx, site, x, 2, false),
            r::PREL64 => {
                cx.read(site, 8)?;
                cx.write_uint(site, prel as u64, 8)
            }
            r::PREL32 | r::PLT32 => data(cx, site, prel as u64, 4, true),
            r::PREL16 => data(cx, site, prel as u64, 2, true),
            r::MOVW_UABS_G0 => movw_unsigned(cx, site, x, 0, true),
            r::MOVW_UABS_G0_NC => movw_unsigned(cx, site, x, 0, false),
            r::MOVW_UABS_G1 => movw_unsigned(cx, site, x, 16, true),
            r::MOVW_UABS_G1_NC => movw_unsigned(cx, site, x, 16, false),
            r::MOVW_UABS_G2 => movw_unsigned(cx, site, x, 32, true),
            r::MOVW_UABS_G2_NC => movw_unsigned(cx, site, x, 32, false),
            r::MOVW_UABS_G3 => movw_unsigned(cx, site, x, 48, false),
            r::MOVW_SABS_G0 => movw_signed(cx, site, x as i64, 0, true),
            r::MOVW_SABS_G1 => movw_signed(cx, site, x as i64, 16, true),
            r::MOVW_SABS_G2 => movw_signed(cx, site, x as i64, 32, true),
            r::MOVW_PREL_G0 => movw_signed(cx, site, prel, 0, true),
            r::MOVW_PREL_G1 => movw_signed(cx, site, prel, 16, true),
            r::MOVW_PREL_G2 => movw_signed(cx, site, prel, 32, true),
            r::MOVW_PREL_G3 => movw_signed(cx, site, prel, 48, false),
            r::MOVW_PREL_G0_NC => movw_unsigned(cx, site, prel as u64, 0, false),
            r::MOVW_PREL_G1_NC => movw_unsigned(cx, site, prel as u64, 16, false),
            r::MOVW_PREL_G2_NC => movw_unsigned(cx, site, prel as u64, 32, false),
            r::LD_PREL_LO19 => {
                pc_field(cx, site, prel, 2, 19, "out of range (±1 MiB)", insn::imm19)
            }
            r::CONDBR19 => pc_field(
                cx,
                site,
                prel,
                2,
                19,
                "branch out of range (±1 MiB)",
                insn::imm19,
            ),
            r::TSTBR14 => pc_field(
                cx,
                site,
                prel,
                2,
                14,
                "branch out of range (±32 KiB)",
                insn::imm14,
            ),
            r::ADR_PREL_LO21 => pc_field(cx, site, prel, 0, 21, "out of range (±1 MiB)", insn::adr),
            r::ADR_PREL_PG_HI21 => {
                let pages = page(x).wrapping_sub(page(p)) as i64;
                pc_field(
                    cx,
                    site,
                    pages,
                    12,
                    21,
                    "page out of range (±4 GiB)",
                    insn::adr,
                )
            }
            r::ADR_PREL_PG_HI21_NC => {
                cx.read(site, 4)?;
                let pages = page(x).wrapping_sub(page(p)) as i64 >> 12;
                patch(cx, site, |i| insn::adr(i, pages))
            }
            r::ADD_ABS_LO12_NC | r::LDST8_ABS_LO12_NC => lo12(cx, site, x, 0),
            r::LDST16_ABS_LO12_NC => lo12(cx, site, x, 1),
            r::LDST32_ABS_LO12_NC => lo12(cx, site, x, 2),
            r::LDST64_ABS_LO12_NC => lo12(cx, site, x, 3),
            r::LDST128_ABS_LO12_NC => lo12(cx, site, x, 4),
            r::CALL26 | r::JUMP26 => self.branch(cx, site, x, p),
            r::ADR_GOT_PAGE => {
                cx.read(site, 4)?;
                let g = self.got_entry(cx, site, x)?;
                let pages = page(g).wrapping_sub(page(p)) as i64;
                pc_field(
                    cx,
                    site,
                    pages,
                    12,
                    21,
                    "GOT page out of range (±4 GiB)",
                    insn::adr,
                )
            }
            r::LD64_GOT_LO12_NC => {
                cx.read(site, 4)?;
                let g = self.got_entry(cx, site, x)?;
                lo12(cx, site, g, 3)
            }
            r::GOT_LD_PREL19 => {
                cx.read(site, 4)?;
                let g = self.got_entry(cx, site, x)?;
                let v = g.wrapping_sub(p) as i64;
                pc_field(
                    cx,
                    site,
                    v,
                    2,
                    19,
                    "GOT entry out of range (±1 MiB)",
                    insn::imm19,
                )
            }
            r::LD64_GOTPAGE_LO15 | r::LD64_GOTOFF_LO15 => {
                // A load at a 15-bit offset from the GOT's page (or start),
                // which `_GLOBAL_OFFSET_TABLE_` gives the code.
                cx.read(site, 4)?;
                let g = self.got_entry(cx, site, x)?;
                let got = cx.extra_address(SectionKind::Got)?;
                let from = if t == r::LD64_GOTPAGE_LO15 {
                    page(got)
                } else {
                    got
                };
                let v = g.wrapping_sub(from);
                if !fits_unsigned(v, 15) {
                    return Err(cx.overflow(site, i128::from(v), "GOT entry beyond 32 KiB"));
                }
                lo12(cx, site, v, 3)
            }
            r::GOTREL64 | r::GOTREL32 => {
                let got = cx.extra_address(SectionKind::Got)?;
                let v = x.wrapping_sub(got);
                if t == r::GOTREL64 {
                    cx.read(site, 8)?;
                    cx.write_uint(site, v, 8)
                } else {
                    data(cx, site, v, 4, true)
                }
            }
            _ => Err(cx.unsupported(site)),
        }
    }

    /// `B`/`BL`: direct when in range (±128 MiB), else through the
    /// symbol's veneer.
    fn branch(&self, cx: &mut Cx<'_, '_>, site: &Site, x: u64, p: u64) -> Result<()> {
        cx.read(site, 4)?;
        let direct = x.wrapping_sub(p) as i64;
        let in_range = fits_signed(direct >> 2, 26);
        let target = match (in_range, self.veneer(cx, site, x)?) {
            (false, Some(v)) => {
                // The veneer branches to x itself: it must be an
                // instruction address.
                if x & 3 != 0 {
                    return Err(cx.misaligned(site, i128::from(x), 4));
                }
                v.wrapping_sub(p) as i64
            }
            _ => direct,
        };
        pc_field(
            cx,
            site,
            target,
            2,
            26,
            "branch out of range (±128 MiB)",
            insn::imm26,
        )
    }
}

impl Plan for Aarch64Plan {
    fn extra_sections(&self) -> Vec<ExtraSpec> {
        self.extras()
    }
    fn builtin_symbol(&self, name: &str) -> Option<(SectionKind, u64)> {
        self.builtin(name)
    }
    fn apply(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()> {
        self.apply_one(cx, site)
    }
    fn finish(&self, _cx: &mut Cx<'_, '_>) -> Result<()> {
        // Veneers and GOT entries are written as their relocations apply.
        Ok(())
    }
}

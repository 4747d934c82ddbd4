//! The riscv64 relocation engine (RISC-V ELF psABI: S symbol value, A
//! addend, P place, G + GOT the address of the symbol's GOT slot).
//!
//! Handled (RELA only): `NONE`; data `32` (zero-extended, as the kernel
//! checks), `64`, `32_PCREL`, `PLT32`; the label-difference families
//! `ADD8..64`, `SUB6..64`, `SET6..32`, `SET_ULEB128`, `SUB_ULEB128` (see
//! [`data`]); instructions `BRANCH`, `JAL`, `RVC_BRANCH`, `RVC_JUMP`,
//! `RVC_LUI`, `CALL`/`CALL_PLT` (far ones through the PLT, see [`plt`]),
//! `PCREL_HI20` with `PCREL_LO12_I`/`_S` (paired through the hi label, see
//! [`pcrel`]), `GOT_HI20`, `HI20`, `LO12_I`, `LO12_S`; `RELAX` is a hint
//! and ignored (never relaxing is always correct). Refused: `ALIGN` with
//! [`crate::Error::NeedsRelaxation`] (only a linker deleting bytes can
//! honour it: rebuild with `-mno-relax`, as kbuild does for modules); TLS,
//! `GPREL_*`, `TPREL_*`, the dynamic types and unknown numbers with
//! [`crate::Error::UnsupportedRelocation`].
//!
//! Every instruction field checks its range and that its offset is even
//! (instructions are 2-byte aligned with the C extension).

mod data;
mod insn;
mod pcrel;
mod plt;

use crate::arch::{fits_signed, fits_unsigned, Cx, Engine, ExtraSpec, Plan, Site};
use crate::error::{Error, Result};
use crate::layout::SectionKind;
use crate::parse::Object;

use pcrel::{Hi, HiIndex};
use plt::Tables;

/// The riscv64 engine.
pub(crate) struct Riscv64;

/// Relocation type numbers (RISC-V ELF psABI).
pub mod r {
    pub const NONE: u32 = 0;
    pub const R32: u32 = 1;
    pub const R64: u32 = 2;
    pub const BRANCH: u32 = 16;
    pub const JAL: u32 = 17;
    pub const CALL: u32 = 18;
    pub const CALL_PLT: u32 = 19;
    pub const GOT_HI20: u32 = 20;
    pub const PCREL_HI20: u32 = 23;
    pub const PCREL_LO12_I: u32 = 24;
    pub const PCREL_LO12_S: u32 = 25;
    pub const HI20: u32 = 26;
    pub const LO12_I: u32 = 27;
    pub const LO12_S: u32 = 28;
    pub const ADD8: u32 = 33;
    pub const ADD16: u32 = 34;
    pub const ADD32: u32 = 35;
    pub const ADD64: u32 = 36;
    pub const SUB8: u32 = 37;
    pub const SUB16: u32 = 38;
    pub const SUB32: u32 = 39;
    pub const SUB64: u32 = 40;
    pub const ALIGN: u32 = 43;
    pub const RVC_BRANCH: u32 = 44;
    pub const RVC_JUMP: u32 = 45;
    pub const RVC_LUI: u32 = 46;
    pub const RELAX: u32 = 51;
    pub const SUB6: u32 = 52;
    pub const SET6: u32 = 53;
    pub const SET8: u32 = 54;
    pub const SET16: u32 = 55;
    pub const SET32: u32 = 56;
    pub const PCREL32: u32 = 57;
    pub const PLT32: u32 = 59;
    pub const SET_ULEB128: u32 = 60;
    pub const SUB_ULEB128: u32 = 61;
}

/// The psABI name of a riscv relocation type.
pub fn reloc_name(r_type: u32) -> &'static str {
    const NAMES: [&str; 66] = [
        "R_RISCV_NONE",
        "R_RISCV_32",
        "R_RISCV_64",
        "R_RISCV_RELATIVE",
        "R_RISCV_COPY",
        "R_RISCV_JUMP_SLOT",
        "R_RISCV_TLS_DTPMOD32",
        "R_RISCV_TLS_DTPMOD64",
        "R_RISCV_TLS_DTPREL32",
        "R_RISCV_TLS_DTPREL64",
        "R_RISCV_TLS_TPREL32",
        "R_RISCV_TLS_TPREL64",
        "R_RISCV_TLSDESC",
        "unknown",
        "unknown",
        "unknown",
        "R_RISCV_BRANCH",
        "R_RISCV_JAL",
        "R_RISCV_CALL",
        "R_RISCV_CALL_PLT",
        "R_RISCV_GOT_HI20",
        "R_RISCV_TLS_GOT_HI20",
        "R_RISCV_TLS_GD_HI20",
        "R_RISCV_PCREL_HI20",
        "R_RISCV_PCREL_LO12_I",
        "R_RISCV_PCREL_LO12_S",
        "R_RISCV_HI20",
        "R_RISCV_LO12_I",
        "R_RISCV_LO12_S",
        "R_RISCV_TPREL_HI20",
        "R_RISCV_TPREL_LO12_I",
        "R_RISCV_TPREL_LO12_S",
        "R_RISCV_TPREL_ADD",
        "R_RISCV_ADD8",
        "R_RISCV_ADD16",
        "R_RISCV_ADD32",
        "R_RISCV_ADD64",
        "R_RISCV_SUB8",
        "R_RISCV_SUB16",
        "R_RISCV_SUB32",
        "R_RISCV_SUB64",
        "R_RISCV_GOT32_PCREL",
        "R_RISCV_GNU_VTENTRY",
        "R_RISCV_ALIGN",
        "R_RISCV_RVC_BRANCH",
        "R_RISCV_RVC_JUMP",
        "R_RISCV_RVC_LUI",
        "R_RISCV_GPREL_I",
        "R_RISCV_GPREL_S",
        "R_RISCV_TPREL_I",
        "R_RISCV_TPREL_S",
        "R_RISCV_RELAX",
        "R_RISCV_SUB6",
        "R_RISCV_SET6",
        "R_RISCV_SET8",
        "R_RISCV_SET16",
        "R_RISCV_SET32",
        "R_RISCV_32_PCREL",
        "R_RISCV_IRELATIVE",
        "R_RISCV_PLT32",
        "R_RISCV_SET_ULEB128",
        "R_RISCV_SUB_ULEB128",
        "R_RISCV_TLSDESC_HI20",
        "R_RISCV_TLSDESC_LOAD_LO12",
        "R_RISCV_TLSDESC_ADD_LO12",
        "R_RISCV_TLSDESC_CALL",
    ];
    NAMES.get(r_type as usize).copied().unwrap_or("unknown")
}

impl Engine for Riscv64 {
    fn machine(&self) -> u16 {
        object::elf::EM_RISCV
    }
    fn reloc_name(&self, r_type: u32) -> &'static str {
        reloc_name(r_type)
    }
    fn plan(&self, obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<Box<dyn Plan>> {
        Ok(Box::new(RiscvPlan::new(obj, loaded)?))
    }
}

/// What the riscv64 engine decided for one object.
pub(crate) struct RiscvPlan {
    tables: Tables,
    hi: HiIndex,
}

fn known(t: u32) -> bool {
    matches!(
        t,
        r::R32
            | r::R64
            | r::BRANCH..=r::GOT_HI20
            | r::PCREL_HI20..=r::LO12_S
            | r::ADD8..=r::SUB64
            | r::RVC_BRANCH..=r::RVC_LUI
            | r::SUB6..=r::PCREL32
            | r::PLT32..=r::SUB_ULEB128
    )
}

/// Rewrite the 32-bit instruction `at` bytes past the site.
fn patch(cx: &mut Cx<'_, '_>, site: &Site, at: u64, f: impl FnOnce(u32) -> u32) -> Result<()> {
    let insn = cx.read_insn(site, at)?;
    cx.write_insn(site, at, f(insn))
}

/// Rewrite the 16-bit (compressed) instruction at the site.
fn patch16(cx: &mut Cx<'_, '_>, site: &Site, f: impl FnOnce(u16) -> u16) -> Result<()> {
    let insn = cx.read_uint(site, 2)? as u16;
    cx.write_uint(site, u64::from(f(insn)), 2)
}

/// A PC-relative branch offset: even, within `bits` signed bits.
fn check_branch(
    cx: &Cx<'_, '_>,
    site: &Site,
    off: i64,
    bits: u32,
    detail: &'static str,
) -> Result<()> {
    if off & 1 != 0 {
        return Err(cx.misaligned(site, i128::from(off), 2));
    }
    if !fits_signed(off, bits) {
        return Err(cx.overflow(site, i128::from(off), detail));
    }
    Ok(())
}

/// An `auipc`-relative offset (hi20 + lo12): within about ±2 GiB.
fn check_hi_lo(cx: &Cx<'_, '_>, site: &Site, off: i64, detail: &'static str) -> Result<()> {
    if insn::fits_hi_lo(off) {
        Ok(())
    } else {
        Err(cx.overflow(site, i128::from(off), detail))
    }
}

const PCREL_RANGE: &str = "out of the ±2 GiB reach of auipc";

impl RiscvPlan {
    fn new(obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<Self> {
        let mut plan = RiscvPlan {
            tables: Tables::new(obj),
            hi: HiIndex::default(),
        };
        for rs in obj.reloc_sections() {
            if !loaded(rs.target) {
                continue;
            }
            for rel in obj.relocations(rs) {
                let rel = rel?;
                let a = rel.addend.unwrap_or(0);
                plan.tables.note(obj, rel.r_type, rel.symbol, a);
                plan.hi.note(
                    rs.target,
                    rel.offset,
                    Hi {
                        r_type: rel.r_type,
                        symbol: rel.symbol,
                        addend: a,
                    },
                );
            }
        }
        Ok(plan)
    }

    /// The value a lo12 relocation completes: its hi partner's offset.
    fn partner_value(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<i64> {
        let (hi, place) = self.hi.partner(cx, site)?;
        let target = match hi.r_type {
            r::GOT_HI20 => {
                let s = cx.value_of(hi.symbol, site)?;
                self.tables.got_slot(cx, hi.symbol, 0, s)?
            }
            _ => cx.value_of(hi.symbol, site)?,
        };
        Ok(target.wrapping_add(hi.addend as u64).wrapping_sub(place) as i64)
    }

    fn apply_one(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()> {
        let t = site.r_type;
        match t {
            r::NONE | r::RELAX => return Ok(()),
            r::ALIGN => {
                return Err(Error::NeedsRelaxation {
                    site: cx.describe(site),
                })
            }
            _ => {}
        }
        let (Some(a), true) = (site.addend, known(t)) else {
            return Err(cx.unsupported(site));
        };
        if matches!(t, r::PCREL_LO12_I | r::PCREL_LO12_S) {
            cx.read(site, 4)?;
            let lo = insn::lo12(self.partner_value(cx, site)?);
            return if t == r::PCREL_LO12_I {
                patch(cx, site, 0, |i| insn::i_type(i, lo))
            } else {
                patch(cx, site, 0, |i| insn::s_type(i, lo))
            };
        }
        let x = cx.value(site)?.wrapping_add(a as u64);
        let p = cx.place(site);
        let prel = x.wrapping_sub(p) as i64;
        match t {
            r::R32 => {
                cx.read(site, 4)?;
                if !fits_unsigned(x, 32) {
                    return Err(cx.overflow(site, i128::from(x), "must fit zero-extended"));
                }
                cx.write_uint(site, x, 4)
            }
            r::R64 => {
                cx.read(site, 8)?;
                cx.write_uint(site, x, 8)
            }
            r::PCREL32 => self.pcrel32(cx, site, prel),
            r::PLT32 => {
                let v = self.far_or_direct(cx, site, x, p, fits_signed(prel, 32))?;
                self.pcrel32(cx, site, v)
            }
            r::BRANCH => {
                cx.read(site, 4)?;
                check_branch(cx, site, prel, 13, "branch out of range (±4 KiB)")?;
                patch(cx, site, 0, |i| insn::b_type(i, prel))
            }
            r::JAL => {
                cx.read(site, 4)?;
                check_branch(cx, site, prel, 21, "jump out of range (±1 MiB)")?;
                patch(cx, site, 0, |i| insn::j_type(i, prel))
            }
            r::RVC_BRANCH => {
                cx.read(site, 2)?;
                check_branch(cx, site, prel, 9, "branch out of range (±256 bytes)")?;
                patch16(cx, site, |i| insn::cb_type(i, prel))
            }
            r::RVC_JUMP => {
                cx.read(site, 2)?;
                check_branch(cx, site, prel, 12, "jump out of range (±2 KiB)")?;
                patch16(cx, site, |i| insn::cj_type(i, prel))
            }
            r::RVC_LUI => {
                cx.read(site, 2)?;
                let imm = i64::from(insn::hi20(x as i64) as i32) >> 12;
                if imm == 0 || !fits_signed(imm, 6) {
                    return Err(cx.overflow(
                        site,
                        i128::from(x as i64),
                        "c.lui takes a non-zero 6-bit upper immediate",
                    ));
                }
                patch16(cx, site, |i| insn::c_lui(i, imm))
            }
            r::CALL | r::CALL_PLT => {
                cx.read(site, 8)?;
                let v = self.far_or_direct(cx, site, x, p, insn::fits_hi_lo(prel))?;
                if v & 1 != 0 {
                    return Err(cx.misaligned(site, i128::from(v), 2));
                }
                check_hi_lo(cx, site, v, "call out of the ±2 GiB reach of auipc/jalr")?;
                patch(cx, site, 0, |i| insn::u_type(i, insn::hi20(v)))?;
                patch(cx, site, 4, |i| insn::i_type(i, insn::lo12(v)))
            }
            r::PCREL_HI20 => {
                cx.read(site, 4)?;
                check_hi_lo(cx, site, prel, PCREL_RANGE)?;
                patch(cx, site, 0, |i| insn::u_type(i, insn::hi20(prel)))
            }
            r::GOT_HI20 => {
                cx.read(site, 4)?;
                let s = cx.value(site)?;
                let g = self.tables.got_slot(cx, site.symbol, 0, s)?;
                let v = g.wrapping_add(a as u64).wrapping_sub(p) as i64;
                check_hi_lo(cx, site, v, PCREL_RANGE)?;
                patch(cx, site, 0, |i| insn::u_type(i, insn::hi20(v)))
            }
            r::HI20 => {
                cx.read(site, 4)?;
                check_hi_lo(cx, site, x as i64, "absolute address beyond lui's ±2 GiB")?;
                patch(cx, site, 0, |i| insn::u_type(i, insn::hi20(x as i64)))
            }
            r::LO12_I => patch(cx, site, 0, |i| insn::i_type(i, insn::lo12(x as i64))),
            r::LO12_S => patch(cx, site, 0, |i| insn::s_type(i, insn::lo12(x as i64))),
            r::SET_ULEB128 | r::SUB_ULEB128 => data::uleb128(cx, site, x),
            _ => data::arith(cx, site, x),
        }
    }

    /// A 32-bit place-relative word.
    fn pcrel32(&self, cx: &mut Cx<'_, '_>, site: &Site, v: i64) -> Result<()> {
        cx.read(site, 4)?;
        if !fits_signed(v, 32) {
            return Err(cx.overflow(site, i128::from(v), "must fit sign-extended"));
        }
        cx.write_uint(site, v as u64, 4)
    }

    /// The offset a call or `PLT32` uses: to the target when `in_range`,
    /// else to the symbol's PLT entry when it has one.
    fn far_or_direct(
        &self,
        cx: &mut Cx<'_, '_>,
        site: &Site,
        x: u64,
        p: u64,
        in_range: bool,
    ) -> Result<i64> {
        let entry = self.tables.plt_entry(cx, site, x)?;
        Ok(match entry {
            Some(e) if !in_range => e.wrapping_sub(p) as i64,
            _ => x.wrapping_sub(p) as i64,
        })
    }
}

impl Plan for RiscvPlan {
    fn extra_sections(&self) -> Vec<ExtraSpec> {
        self.tables.extras()
    }
    fn builtin_symbol(&self, name: &str) -> Option<(SectionKind, u64)> {
        self.tables.builtin(name)
    }
    fn apply(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()> {
        self.apply_one(cx, site)
    }
    fn finish(&self, _cx: &mut Cx<'_, '_>) -> Result<()> {
        // PLT entries and GOT slots are written as their relocations apply.
        Ok(())
    }
}

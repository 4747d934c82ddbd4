//! RISC-V PLT and GOT, sized from the relocations before layout and filled
//! while relocating (the role of the kernel's `module-sections.c`).
//!
//! GOT: `.modload.got`, 8-byte slots. A `GOT_HI20` gets the slot of its
//! symbol (holding S; the psABI's G + GOT + A − P adds A to the slot's
//! address), a PLT entry the slot of its (symbol, addend) holding S + A.
//!
//! PLT: an `auipc`/`jalr` call (`CALL`, `CALL_PLT`) or a `PLT32` reaches
//! about ±2 GiB. Each distinct (symbol, addend) such reference to a symbol
//! defined outside the image (undefined or `SHN_ABS`) gets a 16-byte entry
//! in `.modload.plt`: `auipc t1, %pcrel_hi(slot); ld t1, %pcrel_lo(slot)(t1);
//! jr t1` then an illegal instruction. Every candidate gets an entry and its
//! slot (distances are only known after layout); references in range stay
//! direct.

use super::r;
use crate::arch::riscv64::insn;
use crate::arch::slots::{defined_outside, names_got, Slots, GOT_SYMBOL};
use crate::arch::{Cx, ExtraSpec, Site};
use crate::error::{Error, Result};
use crate::layout::SectionKind;
use crate::parse::Object;

/// Bytes per PLT entry.
pub(crate) const PLT_ENTRY: u64 = 16;
/// Bytes per GOT slot.
pub(crate) const GOT_ENTRY: u64 = 8;

/// PLT entries and GOT slots of one object.
pub(crate) struct Tables {
    plt: Slots<(usize, i64)>,
    got: Slots<(usize, i64)>,
    got_needed: bool,
}

/// Whether a call or `PLT32` to symbol `index` may need a PLT entry.
fn plt_candidate(obj: &Object<'_>, r_type: u32, index: usize) -> bool {
    matches!(r_type, r::CALL | r::CALL_PLT | r::PLT32) && defined_outside(obj, index)
}

impl Tables {
    pub(crate) fn new(obj: &Object<'_>) -> Self {
        Tables {
            plt: Slots::new(PLT_ENTRY),
            got: Slots::new(GOT_ENTRY),
            got_needed: names_got(obj),
        }
    }

    /// Note what one relocation of a loaded section needs.
    pub(crate) fn note(&mut self, obj: &Object<'_>, r_type: u32, symbol: usize, addend: i64) {
        if plt_candidate(obj, r_type, symbol) {
            self.plt.insert((symbol, addend));
            self.got.insert((symbol, addend));
            self.got_needed = true;
        }
        if r_type == r::GOT_HI20 {
            self.got.insert((symbol, 0));
            self.got_needed = true;
        }
    }

    /// The address of the GOT slot of (`symbol`, `held`), written with
    /// `value` now.
    pub(crate) fn got_slot(
        &self,
        cx: &mut Cx<'_, '_>,
        symbol: usize,
        held: i64,
        value: u64,
    ) -> Result<u64> {
        let offset = self
            .got
            .get(&(symbol, held))
            .ok_or_else(|| Error::malformed("GOT slot missing from the plan"))?;
        cx.write_extra(SectionKind::Got, offset, &value.to_le_bytes())?;
        Ok(cx.extra_address(SectionKind::Got)?.wrapping_add(offset))
    }

    /// The address of the PLT entry reaching `target` for the site's call
    /// (entry and slot written now), if it has one.
    pub(crate) fn plt_entry(
        &self,
        cx: &mut Cx<'_, '_>,
        site: &Site,
        target: u64,
    ) -> Result<Option<u64>> {
        let key = (site.symbol, site.addend.unwrap_or(0));
        let Some(offset) = self.plt.get(&key) else {
            return Ok(None);
        };
        let slot = self.got_slot(cx, key.0, key.1, target)?;
        let entry = cx.extra_address(SectionKind::Plt)?.wrapping_add(offset);
        let distance = slot.wrapping_sub(entry) as i64;
        if !insn::fits_hi_lo(distance) {
            return Err(Error::malformed("PLT entry cannot reach its GOT slot"));
        }
        cx.write_extra(SectionKind::Plt, offset, &insn::plt_entry(distance))?;
        Ok(Some(entry))
    }

    pub(crate) fn extras(&self) -> Vec<ExtraSpec> {
        let got = self
            .got
            .bytes()
            .max(if self.got_needed { GOT_ENTRY } else { 0 });
        vec![
            ExtraSpec {
                name: ".modload.plt",
                kind: SectionKind::Plt,
                size: self.plt.bytes(),
                align: PLT_ENTRY,
            },
            ExtraSpec {
                name: ".modload.got",
                kind: SectionKind::Got,
                size: got,
                align: GOT_ENTRY,
            },
        ]
    }

    pub(crate) fn builtin(&self, name: &str) -> Option<(SectionKind, u64)> {
        (name == GOT_SYMBOL && self.got_needed).then_some((SectionKind::Got, 0))
    }
}

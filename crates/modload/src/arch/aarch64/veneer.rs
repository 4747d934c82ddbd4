//! AArch64 veneers and GOT, sized from the relocations before layout and
//! filled while relocating (the role of the kernel's `module-plts.c`).
//!
//! Veneers: a `CALL26`/`JUMP26` reaches ±128 MiB. Each distinct (symbol,
//! addend) such branch to a symbol defined outside the image (undefined or
//! `SHN_ABS`) gets a 16-byte entry in `.modload.plt`, `ldr x16, #8; br x16`
//! then the 8-byte target, which reaches any address. Every candidate gets
//! an entry (distances are only known after layout); a branch in range
//! stays direct. Branches inside the image never need one: the image is
//! refused if its text does not reach itself.
//!
//! GOT: one 8-byte entry in `.modload.got` per (symbol, addend) loaded
//! through a GOT relocation, holding S + A (the psABI's GDAT(S + A));
//! `_GLOBAL_OFFSET_TABLE_` is the GOT's start.

use super::r;
use crate::arch::slots::{defined_outside, names_got, Slots, GOT_SYMBOL};
use crate::arch::{Cx, ExtraSpec, Site};
use crate::error::{Error, Result};
use crate::layout::SectionKind;
use crate::parse::Object;

/// Bytes per veneer.
pub(crate) const VENEER: u64 = 16;
/// Bytes per GOT entry.
pub(crate) const GOT_ENTRY: u64 = 8;

/// What the aarch64 engine adds to one object.
pub(crate) struct Aarch64Plan {
    veneers: Slots<(usize, i64)>,
    got: Slots<(usize, i64)>,
    got_needed: bool,
}

fn is_branch(r_type: u32) -> bool {
    matches!(r_type, r::CALL26 | r::JUMP26)
}

/// Relocations that load through a GOT entry.
fn uses_got(r_type: u32) -> bool {
    matches!(
        r_type,
        r::ADR_GOT_PAGE
            | r::LD64_GOT_LO12_NC
            | r::GOT_LD_PREL19
            | r::LD64_GOTPAGE_LO15
            | r::LD64_GOTOFF_LO15
    )
}

impl Aarch64Plan {
    pub(crate) fn new(obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<Self> {
        let mut plan = Aarch64Plan {
            veneers: Slots::new(VENEER),
            got: Slots::new(GOT_ENTRY),
            got_needed: names_got(obj),
        };
        for rs in obj.reloc_sections() {
            if !loaded(rs.target) {
                continue;
            }
            for rel in obj.relocations(rs) {
                let rel = rel?;
                let a = rel.addend.unwrap_or(0);
                if is_branch(rel.r_type) && defined_outside(obj, rel.symbol) {
                    plan.veneers.insert((rel.symbol, a));
                }
                if uses_got(rel.r_type) {
                    plan.got.insert((rel.symbol, a));
                }
                plan.got_needed |=
                    uses_got(rel.r_type) || matches!(rel.r_type, r::GOTREL64 | r::GOTREL32);
            }
        }
        Ok(plan)
    }

    /// The address of the veneer for the site's branch to `target`
    /// (written now), if it has one.
    pub(crate) fn veneer(
        &self,
        cx: &mut Cx<'_, '_>,
        site: &Site,
        target: u64,
    ) -> Result<Option<u64>> {
        let Some(offset) = self.veneers.get(&(site.symbol, site.addend.unwrap_or(0))) else {
            return Ok(None);
        };
        cx.write_extra(SectionKind::Plt, offset, &super::insn::veneer(target))?;
        Ok(Some(
            cx.extra_address(SectionKind::Plt)?.wrapping_add(offset),
        ))
    }

    /// The address of the GOT entry holding `value` for the site (written
    /// now).
    pub(crate) fn got_entry(&self, cx: &mut Cx<'_, '_>, site: &Site, value: u64) -> Result<u64> {
        let offset = self
            .got
            .get(&(site.symbol, site.addend.unwrap_or(0)))
            .ok_or_else(|| Error::malformed("GOT entry missing from the plan"))?;
        cx.write_extra(SectionKind::Got, offset, &value.to_le_bytes())?;
        Ok(cx.extra_address(SectionKind::Got)?.wrapping_add(offset))
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
                size: self.veneers.bytes(),
                align: VENEER,
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

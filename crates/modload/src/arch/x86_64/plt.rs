//! x86-64 PLT and GOT: sized from the relocations before layout, filled
//! while relocating.
//!
//! PLT: a call (`PLT32`, or `PC32` on a `call`/`jmp`/`jcc rel32`) to a
//! symbol defined outside the image may land beyond ±2 GiB; each distinct
//! (symbol, addend) such call gets a 16-byte entry `jmp *0(%rip)` followed
//! by the 8-byte target. It changes no register and does not touch the
//! stack, so it works whatever the stack alignment. Every candidate gets
//! an entry (the distances are only known after layout); calls in range
//! stay direct. A `PC32` that is not a branch is a data reference and is
//! never redirected: out of range it is an overflow error.
//!
//! GOT: one 8-byte entry per symbol referenced through a GOT relocation,
//! holding the symbol's value; `_GLOBAL_OFFSET_TABLE_` is its address.

use object::elf;

use super::r;
use crate::arch::slots::{defined_outside, names_got, Slots, GOT_SYMBOL};
use crate::arch::{Cx, ExtraSpec, Plan, Site};
use crate::error::{Error, Result};
use crate::layout::SectionKind;
use crate::parse::{Object, Reloc};

/// Bytes per PLT entry.
pub(crate) const PLT_ENTRY: u64 = 16;
/// Bytes per GOT entry.
pub(crate) const GOT_ENTRY: u64 = 8;

/// The x86-64 plan: PLT and GOT slots.
pub(crate) struct X86Plan {
    plt: Slots<(usize, i64)>,
    got: Slots<usize>,
    got_needed: bool,
}

/// Whether the 4-byte field at `offset` ends a `call rel32`, `jmp rel32` or
/// `jcc rel32` (by the opcode bytes before it).
fn is_branch(data: &[u8], offset: u64) -> bool {
    let Ok(off) = usize::try_from(offset) else {
        return false;
    };
    let b1 = off.checked_sub(1).and_then(|i| data.get(i)).copied();
    let b2 = off.checked_sub(2).and_then(|i| data.get(i)).copied();
    matches!(b1, Some(0xe8 | 0xe9)) || (b2 == Some(0x0f) && b1.is_some_and(|b| b & 0xf0 == 0x80))
}

/// The PLT key of a relocation, if it may need a trampoline: the symbol
/// and the adjustment from S to the branch target.
fn plt_key(obj: &Object<'_>, section: usize, rel: &Reloc) -> Option<(usize, i64)> {
    if !defined_outside(obj, rel.symbol) {
        return None;
    }
    let sym = obj.symbol(rel.symbol)?;
    let a = rel.addend?;
    match rel.r_type {
        r::PLT32 => Some((rel.symbol, a.wrapping_add(4))),
        r::PC32 => {
            let data = obj.section(section).map_or(&[][..], |s| s.data);
            let branch = a == -4 && is_branch(data, rel.offset);
            (branch || sym.kind == elf::STT_FUNC).then_some((rel.symbol, a.wrapping_add(4)))
        }
        r::PLTOFF64 => Some((rel.symbol, 0)),
        _ => None,
    }
}

fn uses_got_entry(r_type: u32) -> bool {
    matches!(
        r_type,
        r::GOTPCREL
            | r::GOTPCRELX
            | r::REX_GOTPCRELX
            | r::GOTPCREL64
            | r::GOT32
            | r::GOT64
            | r::GOTPLT64
    )
}

fn uses_got_base(r_type: u32) -> bool {
    matches!(
        r_type,
        r::GOTPC32 | r::GOTPC64 | r::GOTOFF64 | r::PLTOFF64 | r::GOT32 | r::GOT64 | r::GOTPLT64
    )
}

impl X86Plan {
    pub(crate) fn new(obj: &Object<'_>, loaded: &dyn Fn(usize) -> bool) -> Result<X86Plan> {
        let mut plan = X86Plan {
            plt: Slots::new(PLT_ENTRY),
            got: Slots::new(GOT_ENTRY),
            got_needed: names_got(obj),
        };
        for rs in obj.reloc_sections() {
            if !loaded(rs.target) {
                continue;
            }
            for rel in obj.relocations(rs) {
                let rel = rel?;
                if let Some(key) = plt_key(obj, rs.target, &rel) {
                    plan.plt.insert(key);
                }
                if uses_got_entry(rel.r_type) {
                    plan.got.insert(rel.symbol);
                }
                plan.got_needed |= uses_got_base(rel.r_type) || uses_got_entry(rel.r_type);
            }
        }
        Ok(plan)
    }

    /// The PLT entry for the site's call, written now, if it has one.
    pub(crate) fn plt_slot(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<Option<u64>> {
        let rel = Reloc {
            offset: site.offset,
            r_type: site.r_type,
            symbol: site.symbol,
            addend: site.addend,
        };
        let Some(key) = plt_key(cx.obj, site.section, &rel) else {
            return Ok(None);
        };
        let Some(offset) = self.plt.get(&key) else {
            return Ok(None);
        };
        let target = cx.value(site)?.wrapping_add(key.1 as u64);
        let mut entry = [0xccu8; PLT_ENTRY as usize];
        // jmp *0(%rip): the 8-byte target follows the 6-byte instruction.
        entry[..6].copy_from_slice(&[0xff, 0x25, 0, 0, 0, 0]);
        entry[6..14].copy_from_slice(&target.to_le_bytes());
        cx.write_extra(SectionKind::Plt, offset, &entry)?;
        Ok(cx
            .extra(SectionKind::Plt)
            .map(|x| cx.base.wrapping_add(x.offset).wrapping_add(offset)))
    }

    /// The address of the symbol's GOT entry, holding `value` (written now).
    pub(crate) fn got_entry(&self, cx: &mut Cx<'_, '_>, site: &Site, value: u64) -> Result<u64> {
        let offset = self
            .got
            .get(&site.symbol)
            .ok_or_else(|| Error::malformed("GOT entry missing from the plan"))?;
        cx.write_extra(SectionKind::Got, offset, &value.to_le_bytes())?;
        Ok(self.got_base(cx, site)?.wrapping_add(offset))
    }

    /// The GOT's address.
    pub(crate) fn got_base(&self, cx: &Cx<'_, '_>, _site: &Site) -> Result<u64> {
        cx.extra(SectionKind::Got)
            .map(|x| cx.base.wrapping_add(x.offset))
            .ok_or_else(|| Error::malformed("GOT missing from the layout"))
    }
}

impl Plan for X86Plan {
    fn extra_sections(&self) -> Vec<ExtraSpec> {
        let got_entries = (self.got.len() as u64).max(u64::from(self.got_needed));
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
                size: got_entries * GOT_ENTRY,
                align: GOT_ENTRY,
            },
        ]
    }

    fn builtin_symbol(&self, name: &str) -> Option<(SectionKind, u64)> {
        (name == GOT_SYMBOL && self.got_needed).then_some((SectionKind::Got, 0))
    }

    fn apply(&self, cx: &mut Cx<'_, '_>, site: &Site) -> Result<()> {
        self.apply_one(cx, site)
    }

    fn finish(&self, _cx: &mut Cx<'_, '_>) -> Result<()> {
        // Entries are written as their relocations are applied.
        Ok(())
    }
}

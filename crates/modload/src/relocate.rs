//! Relocation into a buffer: the image for a chosen base address, built
//! without executing anything (so any address and, later, any architecture
//! can be laid out and checked).

use crate::arch::{Cx, Site};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layout::{Layout, Placement};
use crate::parse::Object;
use crate::symbols::{self, Resolver};

/// Build `obj`'s image at `base` (aligned to [`Layout::align`]): copy the
/// sections, leave bss zero, resolve symbols through `resolver` and apply
/// every relocation of the loaded sections (those of other sections are
/// skipped, as the kernel does).
pub fn relocate(
    obj: &Object<'_>,
    layout: &Layout,
    base: u64,
    resolver: &mut dyn Resolver,
) -> Result<Image> {
    let align = layout.align();
    if !base.is_multiple_of(align) || base.checked_add(layout.size()).is_none() {
        return Err(Error::BadBase { base, align });
    }
    let values = symbols::resolve(obj, layout, base, resolver)?;
    let size = usize::try_from(layout.size()).map_err(|_| Error::TooLarge {
        what: "image".into(),
        size: layout.size(),
        limit: usize::MAX as u64,
    })?;
    let mut bytes = vec![0u8; size];
    for s in obj.sections() {
        if let Placement::Image { offset, .. } = layout.placement(s.index) {
            let start = offset as usize;
            if let Some(dst) = bytes.get_mut(start..start + s.data.len()) {
                dst.copy_from_slice(s.data);
            }
        }
    }
    {
        let mut cx = Cx {
            obj,
            image: &mut bytes,
            base,
            extras: layout.loader_sections(),
            values: &values,
        };
        for rs in obj.reloc_sections() {
            let Placement::Image { offset, .. } = layout.placement(rs.target) else {
                continue;
            };
            let section_size = obj.section(rs.target).map_or(0, |s| s.size);
            for rel in obj.relocations(rs) {
                let rel = rel?;
                let site = Site {
                    r_type: rel.r_type,
                    section: rs.target,
                    section_offset: offset,
                    section_size,
                    offset: rel.offset,
                    symbol: rel.symbol,
                    addend: rel.addend,
                };
                layout.plan.apply(&mut cx, &site)?;
            }
        }
        layout.plan.finish(&mut cx)?;
    }
    Ok(Image::new(obj, layout, base, bytes, &values))
}

//! Layout: where each `SHF_ALLOC` section goes in the module image.
//!
//! The rule (flags only, names play no part): sections with `SHF_ALLOC` and
//! a non-zero size fall into four groups — `SHT_NOBITS` is bss; otherwise
//! `SHF_EXECINSTR` is text; otherwise `SHF_WRITE` is data; otherwise rodata.
//! The groups are placed text, rodata, data, bss, each non-empty group on
//! the next 4096-byte boundary (the first at offset 0), and inside a group
//! in section-header order, each section at the next multiple of its
//! `sh_addralign`. The sections the architecture engine adds (PLT or
//! veneers, then GOT, on every architecture) follow, each on the next
//! 4096-byte boundary after the previous group, in the order the engine
//! lists them. Sections the caller asked to
//! place itself ([`LayoutOptions::place_elsewhere`], the per-CPU section)
//! are not in the image.

use object::elf;

use crate::arch::{ExtraSpec, Plan};
use crate::error::{Error, Result};
use crate::parse::Object;

/// Page size of the layout: every group starts on a multiple of it.
pub const PAGE_SIZE: u64 = 4096;
/// The section the kernel keeps out of the image and places in a per-CPU
/// area (see [`LayoutOptions::percpu`]).
pub const PERCPU_SECTION: &str = ".data..percpu";
/// Default limit of the image size (the kernel's module area is 1.5 GiB;
/// and `-mcmodel=kernel` code must reach all of the image within ±2 GiB).
pub const DEFAULT_MAX_IMAGE_SIZE: u64 = 1 << 30;
/// The largest `sh_addralign` accepted for a loaded section.
pub const MAX_ALIGN: u64 = 1 << 21;

/// The group a loaded section falls into, and the loader-added sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// `SHF_EXECINSTR`.
    Text,
    /// Neither executable nor writable.
    Rodata,
    /// `SHF_WRITE`.
    Data,
    /// `SHT_NOBITS`.
    Bss,
    /// Added by the loader: trampolines for far calls (x86-64 and riscv64
    /// PLT entries, aarch64 veneers; executable).
    Plt,
    /// Added by the loader: the global offset table.
    Got,
}

/// The protection of a group once loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protection {
    /// Read and execute (text, PLT).
    ReadExec,
    /// Read only (rodata, GOT after relocation).
    Read,
    /// Read and write (data, bss).
    ReadWrite,
}

impl SectionKind {
    /// The group of a section by its type and flags, or `None` if it is not
    /// loaded (`SHF_ALLOC` clear).
    pub fn of(sh_type: u32, flags: u64) -> Option<SectionKind> {
        if flags & u64::from(elf::SHF_ALLOC) == 0 {
            None
        } else if sh_type == elf::SHT_NOBITS {
            Some(SectionKind::Bss)
        } else if flags & u64::from(elf::SHF_EXECINSTR) != 0 {
            Some(SectionKind::Text)
        } else if flags & u64::from(elf::SHF_WRITE) != 0 {
            Some(SectionKind::Data)
        } else {
            Some(SectionKind::Rodata)
        }
    }

    /// The protection the group gets after relocation.
    pub fn protection(self) -> Protection {
        match self {
            SectionKind::Text | SectionKind::Plt => Protection::ReadExec,
            SectionKind::Rodata | SectionKind::Got => Protection::Read,
            SectionKind::Data | SectionKind::Bss => Protection::ReadWrite,
        }
    }
}

/// A section the caller places itself, as handed to its hook.
#[derive(Debug, Clone, Copy)]
pub struct ExternalSection<'s> {
    /// The section's name.
    pub name: &'s str,
    /// Its index.
    pub index: usize,
    /// Its size in memory.
    pub size: u64,
    /// Its alignment (at least 1).
    pub align: u64,
    /// Its initial bytes (empty for `SHT_NOBITS`): the kernel copies them
    /// into each CPU's copy of a per-CPU section.
    pub init: &'s [u8],
}

type Hook<'f> = Box<dyn FnMut(&ExternalSection<'_>) -> Option<u64> + 'f>;

/// Options of [`layout`].
pub struct LayoutOptions<'f> {
    max_image_size: u64,
    hooks: Vec<(String, Hook<'f>)>,
}

impl Default for LayoutOptions<'_> {
    fn default() -> Self {
        LayoutOptions {
            max_image_size: DEFAULT_MAX_IMAGE_SIZE,
            hooks: Vec::new(),
        }
    }
}

impl<'f> LayoutOptions<'f> {
    /// The defaults: no section placed elsewhere, a 1 GiB image limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuse images larger than `bytes` ([`Error::TooLarge`]).
    pub fn max_image_size(mut self, bytes: u64) -> Self {
        self.max_image_size = bytes;
        self
    }

    /// Keep the `SHF_ALLOC` sections named `name` out of the image: `hook`
    /// gets each one's size, alignment and initial bytes and returns the
    /// address its symbols are relative to (`None`: it could not place it,
    /// [`Error::ExternalRefused`]). Relocations patching such a section are
    /// skipped, as the kernel skips those of its per-CPU section.
    pub fn place_elsewhere(
        mut self,
        name: &str,
        hook: impl FnMut(&ExternalSection<'_>) -> Option<u64> + 'f,
    ) -> Self {
        self.hooks.push((name.to_string(), Box::new(hook)));
        self
    }

    /// [`place_elsewhere`](Self::place_elsewhere) for `.data..percpu`, the
    /// way the kernel treats it: its symbols' values become offsets from the
    /// base of a per-CPU area the caller allocates.
    pub fn percpu(self, hook: impl FnMut(&ExternalSection<'_>) -> Option<u64> + 'f) -> Self {
        self.place_elsewhere(PERCPU_SECTION, hook)
    }
}

/// Where one section went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Not loaded (`SHF_ALLOC` clear, or empty).
    NotLoaded,
    /// In the image at this offset from its base.
    Image { offset: u64, kind: SectionKind },
    /// Placed by the caller's hook: its symbols are relative to `address`.
    External { address: u64 },
}

/// One group of the image: pages with one protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Which group.
    pub kind: SectionKind,
    /// Offset of its first byte from the image base (a multiple of 4096).
    pub offset: u64,
    /// Bytes used (the pages up to the next segment belong to it too).
    pub size: u64,
}

/// A section the loader adds (PLT, GOT, veneers), placed after the groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoaderSection {
    /// Its name in listings (`.modload.plt`: PLT entries or veneers;
    /// `.modload.got`).
    pub name: &'static str,
    /// Which kind (its protection follows from it).
    pub kind: SectionKind,
    /// Offset from the image base.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

/// The layout of one object: offsets relative to a base chosen later.
pub struct Layout {
    placements: Vec<Placement>,
    segments: Vec<Segment>,
    extras: Vec<LoaderSection>,
    size: u64,
    align: u64,
    pub(crate) plan: Box<dyn Plan>,
}

impl std::fmt::Debug for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layout")
            .field("segments", &self.segments)
            .field("extras", &self.extras)
            .field("size", &self.size)
            .field("align", &self.align)
            .finish()
    }
}

impl Layout {
    /// Where section `index` went.
    pub fn placement(&self, index: usize) -> Placement {
        self.placements
            .get(index)
            .copied()
            .unwrap_or(Placement::NotLoaded)
    }
    /// The groups present, in image order (loader-added ones included).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
    /// The loader-added sections, in image order.
    pub fn loader_sections(&self) -> &[LoaderSection] {
        &self.extras
    }
    /// The image size: the end of its last byte.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// The alignment the base address must have: 4096, or the largest
    /// section alignment if larger.
    pub fn align(&self) -> u64 {
        self.align
    }
}

fn align_up(value: u64, align: u64, what: &str, limit: u64) -> Result<u64> {
    let align = align.max(1);
    value
        .checked_add(align - 1)
        .map(|v| v & !(align - 1))
        .ok_or_else(|| Error::TooLarge {
            what: what.to_string(),
            size: value,
            limit,
        })
}

/// Lay out `obj`'s loaded sections (see the module documentation for the
/// rule), calling the caller's hooks for the sections it places itself and
/// sizing the architecture's extra sections from the relocations.
pub fn layout(obj: &Object<'_>, opts: &mut LayoutOptions<'_>) -> Result<Layout> {
    let limit = opts.max_image_size;
    let mut placements = vec![Placement::NotLoaded; obj.sections().len()];
    let mut kinds: Vec<Option<SectionKind>> = vec![None; obj.sections().len()];
    for s in obj.sections() {
        let Some(kind) = SectionKind::of(s.sh_type, s.flags) else {
            continue;
        };
        if s.align > MAX_ALIGN {
            return Err(Error::TooLarge {
                what: format!("alignment of section `{}`", s.name),
                size: s.align,
                limit: MAX_ALIGN,
            });
        }
        if let Some((_, hook)) = opts.hooks.iter_mut().find(|(n, _)| n == s.name) {
            let ext = ExternalSection {
                name: s.name,
                index: s.index,
                size: s.size,
                align: s.align.max(1),
                init: s.data,
            };
            let address = hook(&ext).ok_or_else(|| Error::ExternalRefused {
                section: s.name.to_string(),
                size: s.size,
            })?;
            placements[s.index] = Placement::External { address };
            continue;
        }
        if s.size > limit {
            return Err(Error::TooLarge {
                what: format!("section `{}`", s.name),
                size: s.size,
                limit,
            });
        }
        kinds[s.index] = Some(kind);
    }
    let plan = obj
        .engine()
        .plan(obj, &|i| kinds.get(i).copied().flatten().is_some())?;

    let mut segments = Vec::new();
    let mut end = 0u64;
    let mut align = PAGE_SIZE;
    for group in [
        SectionKind::Text,
        SectionKind::Rodata,
        SectionKind::Data,
        SectionKind::Bss,
    ] {
        let mut start = None;
        for s in obj.sections() {
            if kinds[s.index] != Some(group) {
                continue;
            }
            let at = match start {
                // An empty section takes no space and starts no group: it
                // only needs an address for its (zero-size) symbols.
                None if s.size == 0 => {
                    let page = align_up(end, PAGE_SIZE, "image", limit)?;
                    align_up(page, s.align, "image", limit)?
                }
                None => {
                    let page = align_up(end, PAGE_SIZE, "image", limit)?;
                    start = Some(page);
                    align_up(page, s.align, "image", limit)?
                }
                Some(_) => align_up(end, s.align, "image", limit)?,
            };
            align = align.max(s.align);
            placements[s.index] = Placement::Image {
                offset: at,
                kind: group,
            };
            if s.size == 0 {
                if at > limit {
                    return Err(Error::TooLarge {
                        what: "image".into(),
                        size: at,
                        limit,
                    });
                }
                continue;
            }
            end = at.checked_add(s.size).ok_or(Error::TooLarge {
                what: "image".into(),
                size: u64::MAX,
                limit,
            })?;
            if end > limit {
                return Err(Error::TooLarge {
                    what: "image".into(),
                    size: end,
                    limit,
                });
            }
        }
        if let Some(offset) = start {
            segments.push(Segment {
                kind: group,
                offset,
                size: end - offset,
            });
        }
    }
    let mut extras = Vec::new();
    for ExtraSpec {
        name,
        kind,
        size,
        align: a,
    } in plan.extra_sections()
    {
        if size == 0 {
            continue;
        }
        let offset = align_up(end, PAGE_SIZE.max(a), "image", limit)?;
        align = align.max(a);
        end = offset.saturating_add(size);
        if end > limit {
            return Err(Error::TooLarge {
                what: "image".into(),
                size: end,
                limit,
            });
        }
        segments.push(Segment { kind, offset, size });
        extras.push(LoaderSection {
            name,
            kind,
            offset,
            size,
        });
    }
    Ok(Layout {
        placements,
        segments,
        extras,
        size: end,
        align,
        plan,
    })
}

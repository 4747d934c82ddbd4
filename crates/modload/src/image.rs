//! The relocated image and what a caller looks up in it: each placed
//! section's address (by name or index) and the module's own symbols.

use std::collections::HashMap;

use object::elf;

use crate::layout::{Layout, Placement, SectionKind, Segment};
use crate::parse::{Object, SymbolPlace};
use crate::symbols::SymValue;

/// A section with its final address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedSection {
    /// The section's name (`.modload.plt`, `.modload.got` for those the
    /// loader adds).
    pub name: String,
    /// Its index in the object; `None` for a loader-added section.
    pub index: Option<usize>,
    /// Its address.
    pub address: u64,
    /// Its size.
    pub size: u64,
    /// Its group.
    pub kind: SectionKind,
    /// False for a section the caller placed itself (per-CPU): its
    /// `address` is then what the caller's hook returned.
    pub in_image: bool,
}

/// A symbol defined by the module, with its final address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSymbol {
    /// Its name.
    pub name: String,
    /// Its final address (for `SHN_ABS`, its value).
    pub address: u64,
    /// `st_size`.
    pub size: u64,
    /// `STT_*`.
    pub kind: u8,
    /// `STB_*`.
    pub bind: u8,
    /// The defining section's index; `None` for `SHN_ABS`.
    pub section: Option<usize>,
}

/// A module relocated for a base address: its bytes and its map.
#[derive(Debug, Clone)]
pub struct Image {
    base: u64,
    /// The image size; kept when an executable load moves `bytes` out.
    size: u64,
    bytes: Vec<u8>,
    sections: Vec<PlacedSection>,
    segments: Vec<Segment>,
    symbols: Vec<ModuleSymbol>,
    by_name: HashMap<String, usize>,
}

impl Image {
    pub(crate) fn new(
        obj: &Object<'_>,
        layout: &Layout,
        base: u64,
        bytes: Vec<u8>,
        values: &[SymValue],
    ) -> Image {
        let mut sections = Vec::new();
        let mut external = Vec::new();
        for s in obj.sections() {
            let Some(kind) = SectionKind::of(s.sh_type, s.flags) else {
                continue;
            };
            match layout.placement(s.index) {
                Placement::Image { offset, .. } => sections.push(PlacedSection {
                    name: s.name.to_string(),
                    index: Some(s.index),
                    address: base.wrapping_add(offset),
                    size: s.size,
                    kind,
                    in_image: true,
                }),
                Placement::External { address } => external.push(PlacedSection {
                    name: s.name.to_string(),
                    index: Some(s.index),
                    address,
                    size: s.size,
                    kind,
                    in_image: false,
                }),
                Placement::NotLoaded => {}
            }
        }
        for x in layout.loader_sections() {
            sections.push(PlacedSection {
                name: x.name.to_string(),
                index: None,
                address: base.wrapping_add(x.offset),
                size: x.size,
                kind: x.kind,
                in_image: true,
            });
        }
        // Image order; the sort is stable, so equal addresses keep header order.
        sections.sort_by_key(|s| s.address);
        sections.extend(external);

        let mut symbols = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for sym in obj.symbols() {
            if sym.name.is_empty() || matches!(sym.kind, elf::STT_SECTION | elf::STT_FILE) {
                continue;
            }
            let section = match sym.place {
                SymbolPlace::Undefined => continue,
                SymbolPlace::Absolute => None,
                SymbolPlace::Section(i) => Some(i),
            };
            let Some(SymValue::Addr(address)) = values.get(sym.index).copied() else {
                continue;
            };
            let i = symbols.len();
            symbols.push(ModuleSymbol {
                name: sym.name.to_string(),
                address,
                size: sym.size,
                kind: sym.kind,
                bind: sym.bind,
                section,
            });
            // A global or weak definition wins over a local one of the same
            // name; otherwise the first one stays.
            let global = sym.bind != elf::STB_LOCAL;
            match by_name.get(sym.name) {
                Some(&j) if !(global && symbols[j].bind == elf::STB_LOCAL) => {}
                _ => {
                    by_name.insert(sym.name.to_string(), i);
                }
            }
        }
        Image {
            base,
            size: bytes.len() as u64,
            bytes,
            sections,
            segments: layout.segments().to_vec(),
            symbols,
            by_name,
        }
    }

    /// The base address.
    pub fn base(&self) -> u64 {
        self.base
    }
    /// The image size in bytes (also after an executable load).
    pub fn size(&self) -> u64 {
        self.size
    }
    /// The relocated bytes, from the base address on.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    pub(crate) fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
    /// The placed sections: those in the image by address (loader-added
    /// ones included), then those the caller placed.
    pub fn sections(&self) -> &[PlacedSection] {
        &self.sections
    }
    /// The first placed section named `name`.
    pub fn section(&self, name: &str) -> Option<&PlacedSection> {
        self.sections.iter().find(|s| s.name == name)
    }
    /// The placed section with object index `index`.
    pub fn section_by_index(&self, index: usize) -> Option<&PlacedSection> {
        self.sections.iter().find(|s| s.index == Some(index))
    }
    /// A section's relocated bytes (zeros for bss); `None` for a section
    /// outside the image, or once the image is mapped.
    pub fn section_bytes(&self, s: &PlacedSection) -> Option<&[u8]> {
        if !s.in_image {
            return None;
        }
        let start = usize::try_from(s.address.wrapping_sub(self.base)).ok()?;
        self.bytes
            .get(start..start.checked_add(usize::try_from(s.size).ok()?)?)
    }
    /// The groups of the image, offsets from the base.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
    /// Every symbol the module defines (named, not section or file symbols).
    pub fn symbols(&self) -> &[ModuleSymbol] {
        &self.symbols
    }
    /// A symbol the module defines, by name (a global definition is
    /// preferred to a local one of the same name).
    pub fn symbol(&self, name: &str) -> Option<&ModuleSymbol> {
        self.by_name.get(name).and_then(|&i| self.symbols.get(i))
    }
}

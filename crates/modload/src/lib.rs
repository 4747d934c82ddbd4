//! `modload`: the ELF relocatable module loader, shaped like the Linux
//! kernel's `kernel/module/` and `arch/*/kernel/module.c`: one file per
//! concern ([`parse()`], [`layout()`], symbols and the [`Resolver`],
//! [`relocate()`], mapping and protection in [`load_executable`], PLT/GOT),
//! one relocation engine per architecture behind one interface, chosen by
//! `e_machine` (x86-64, aarch64, riscv64; any of them runs on any host, so
//! a module of another architecture can be relocated into a buffer for any
//! address). It knows nothing of
//! processes or daemons: callers supply the symbol resolver and, for the
//! per-CPU section, the placement.
//!
//! ```no_run
//! let bytes = std::fs::read("square.ko")?;
//! let obj = modload::parse(&bytes)?;
//! let layout = modload::layout(&obj, &mut modload::LayoutOptions::new())?;
//! let image = modload::relocate(&obj, &layout, 0xffff_ffff_c000_0000, &mut |name: &str| {
//!     (name == "_printk").then_some(0xffff_ffff_8100_0000)
//! })?;
//! let this_module = image.section(".gnu.linkonce.this_module");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![doc = include_str!("../README.md")]

mod arch;
mod error;
mod fuzz;
mod image;
mod layout;
mod map;
mod parse;
mod relocate;
mod symbols;

pub use arch::aarch64::{r as aarch64_reloc, reloc_name as aarch64_reloc_name};
pub use arch::reloc_name;
pub use arch::riscv64::{r as riscv64_reloc, reloc_name as riscv64_reloc_name};
pub use arch::x86_64::{r as x86_64_reloc, reloc_name as x86_64_reloc_name};
pub use error::{Error, RelocSite, Result};
pub use fuzz::fuzz_load;
pub use image::{Image, ModuleSymbol, PlacedSection};
pub use layout::{
    layout, ExternalSection, Layout, LayoutOptions, LoaderSection, Placement, Protection,
    SectionKind, Segment, DEFAULT_MAX_IMAGE_SIZE, MAX_ALIGN, PAGE_SIZE, PERCPU_SECTION,
};
pub use map::{load_executable, LoadedModule};
pub use parse::{parse, Object, Reloc, RelocSection, Section, Symbol, SymbolPlace};
pub use relocate::relocate;
pub use symbols::Resolver;

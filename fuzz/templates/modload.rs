//! TEMPLATE — not built. The fuzz target for the ELF relocatable loader
//! (crates/modload), to be completed when that crate is merged; the steps
//! are in fuzz/README.md ("Adding the modload target").
//!
//! What it should do, in the loader's order, on the bytes of a `.ko`
//! (use the module seeds: `cp -r seeds/modfile seeds/modload`):
//!   1. parse the relocatable object (ELF32/64, LE/BE) — errors are fine,
//!      panics are not;
//!   2. lay out the SHF_ALLOC sections (sizes and alignments come from the
//!      file: the layout must stay bounded — refuse, don't allocate, what
//!      does not fit a sane module size);
//!   3. resolve symbols through a resolver that answers every name with a
//!      fixed fake address (and `None` for some, derived from the name, so
//!      that the unresolved path runs too) — deterministic, no process or
//!      daemon knowledge;
//!   4. apply every relocation for each architecture the crate supports
//!      (x86-64, aarch64, riscv64) into a buffer it owns: out-of-range
//!      offsets, bad types and overflowing values must be errors;
//!   5. never execute anything.
#![no_main]

use libfuzzer_sys::fuzz_target;

rkmod_fuzz::capped_heap!();

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    // let Ok(object) = modload::Object::parse(data) else { return };
    // let resolver = |name: &[u8]| (name.len() % 7 != 0).then_some(0xffff_ffff_c000_0000 + name.len() as u64);
    // for arch in modload::Arch::ALL {
    //     if let Ok(layout) = modload::layout(&object, arch) {
    //         let _ = modload::relocate(&object, &layout, arch, &resolver);
    //     }
    // }
    let _ = data;
});

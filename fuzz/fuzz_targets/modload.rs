//! The ELF relocatable loader (crates/modload), in its order on the bytes
//! of a `.ko`: parse, lay out (the per-CPU section handed to a hook, a
//! bounded image), resolve (every import bound, near and far; then again
//! with some names unknown, so the unresolved path runs), relocate into a
//! buffer it owns. Never executes anything. Errors are fine; panics,
//! overflows and unbounded allocation are findings.
#![no_main]

use libfuzzer_sys::fuzz_target;

rkmod_fuzz::capped_heap!();

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    if let Ok(image) = modload::fuzz_load(data) {
        // what a caller reads back lies inside the image
        for s in image.sections() {
            if s.in_image {
                let _ = image.section_bytes(s);
            }
        }
        for sym in image.symbols() {
            let _ = image.symbol(&sym.name);
        }
    }
    let Ok(obj) = modload::parse(data) else {
        return;
    };
    let mut opts = modload::LayoutOptions::new()
        .max_image_size(16 << 20)
        .percpu(|_| None);
    let Ok(layout) = modload::layout(&obj, &mut opts) else {
        return;
    };
    let mut some_unknown = |name: &str| (name.len() % 3 != 0).then_some(0xffff_ffff_8100_0000);
    if let Err(e) = modload::relocate(&obj, &layout, 0xffff_ffff_c000_0000, &mut some_unknown) {
        let _ = (e.errno(), e.to_string());
    }
});

//! An entry for fuzz targets: the whole buffer path on arbitrary bytes.

use crate::error::Result;
use crate::image::Image;
use crate::layout::{layout, LayoutOptions};
use crate::parse::parse;
use crate::relocate::relocate;

/// Image limit under fuzzing: small, so a huge bss costs nothing.
const FUZZ_MAX_IMAGE: u64 = 16 << 20;

/// Parse, lay out (per-CPU section handed to a hook, 16 MiB image limit)
/// and relocate `bytes` at a kernel-like base, binding every import: names
/// of even length near the image, odd ones far (through the PLT). Never
/// panics; memory is bounded by the input size and the image limit.
pub fn fuzz_load(bytes: &[u8]) -> Result<Image> {
    let obj = parse(bytes)?;
    let mut opts = LayoutOptions::new()
        .max_image_size(FUZZ_MAX_IMAGE)
        .percpu(|s| (s.size <= FUZZ_MAX_IMAGE).then_some(0x2_0000));
    let layout = layout(&obj, &mut opts)?;
    let base = 0xffff_ffff_c000_0000u64;
    let mut resolve = |name: &str| {
        Some(if name.len().is_multiple_of(2) {
            0xffff_ffff_8100_0000 + name.len() as u64 * 16
        } else {
            0x0000_7f00_0000_0000 + name.len() as u64 * 16
        })
    };
    relocate(&obj, &layout, base, &mut resolve)
}

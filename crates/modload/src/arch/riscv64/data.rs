//! The data relocations RISC-V assemblers emit for label differences they
//! cannot fold (relaxable code in between): `ADD*`/`SUB*` pairs on 8- to
//! 64-bit words, `SUB6`/`SET6` on the low 6 bits of a byte (DWARF
//! `DW_CFA_advance_loc`), `SET8..32`, and `SET_ULEB128`/`SUB_ULEB128` on an
//! existing ULEB128 (its length kept). All wrap modulo the field, as the
//! psABI says, except a ULEB128 whose value needs more bytes than it has.

use super::r;
use crate::arch::{Cx, Site};
use crate::error::{Error, Result};

/// The most bytes a 64-bit ULEB128 takes.
const ULEB_MAX: u64 = 10;

/// `ADD8..64`, `SUB6..64`, `SET6..32` with value `v` (S + A).
pub(crate) fn arith(cx: &mut Cx<'_, '_>, site: &Site, v: u64) -> Result<()> {
    let (width, op): (u64, fn(u64, u64) -> u64) = match site.r_type {
        r::ADD8 => (1, u64::wrapping_add),
        r::ADD16 => (2, u64::wrapping_add),
        r::ADD32 => (4, u64::wrapping_add),
        r::ADD64 => (8, u64::wrapping_add),
        r::SUB8 => (1, u64::wrapping_sub),
        r::SUB16 => (2, u64::wrapping_sub),
        r::SUB32 => (4, u64::wrapping_sub),
        r::SUB64 => (8, u64::wrapping_sub),
        r::SET8 => (1, |_, v| v),
        r::SET16 => (2, |_, v| v),
        r::SET32 => (4, |_, v| v),
        r::SUB6 => (1, |old, v| (old & 0xc0) | (old.wrapping_sub(v) & 0x3f)),
        r::SET6 => (1, |old, v| (old & 0xc0) | (v & 0x3f)),
        _ => return Err(cx.unsupported(site)),
    };
    let old = cx.read_uint(site, width)?;
    cx.write_uint(site, op(old, v), width)
}

/// `SET_ULEB128` (the field becomes `v`) and `SUB_ULEB128` (it loses `v`):
/// the field is the ULEB128 already there, rewritten in as many bytes.
pub(crate) fn uleb128(cx: &mut Cx<'_, '_>, site: &Site, v: u64) -> Result<()> {
    let room = site.section_size.saturating_sub(site.offset).min(ULEB_MAX);
    let bytes = cx.read(site, room.max(1))?;
    let Some(len) = bytes.iter().position(|b| b & 0x80 == 0).map(|i| i + 1) else {
        return Err(Error::malformed(format!(
            "{}: no ULEB128 ends within {room} bytes",
            cx.describe(site)
        )));
    };
    let old = bytes[..len].iter().enumerate().fold(0u64, |acc, (i, b)| {
        acc | u64::from(b & 0x7f).checked_shl(7 * i as u32).unwrap_or(0)
    });
    let new = if site.r_type == r::SUB_ULEB128 {
        old.wrapping_sub(v)
    } else {
        v
    };
    if len < ULEB_MAX as usize && new >> (7 * len) != 0 {
        return Err(cx.overflow(site, i128::from(new), "does not fit the ULEB128's bytes"));
    }
    let mut out = [0u8; ULEB_MAX as usize];
    for (i, b) in out.iter_mut().enumerate().take(len) {
        let more = if i + 1 < len { 0x80 } else { 0 };
        *b = ((new.checked_shr(7 * i as u32).unwrap_or(0)) & 0x7f) as u8 | more;
    }
    cx.write(site, &out[..len])
}

//! RISC-V instruction immediates: each encoder puts an offset's bits into
//! the scattered immediate of one instruction format and keeps the rest.

/// Whether an `auipc`-based pair (hi20 + lo12) reaches `offset`: the hi
/// part is sign-extended from 32 bits and the lo part adds −2048..2047.
pub(crate) fn fits_hi_lo(offset: i64) -> bool {
    (-(1i64 << 31) - (1 << 11)..(1i64 << 31) - (1 << 11)).contains(&offset)
}

/// The hi20 part of `value` (rounded so the sign-extended lo12 completes
/// it), as the U-type immediate bits 12..32.
pub(crate) fn hi20(value: i64) -> u32 {
    (value.wrapping_add(0x800) as u32) & 0xffff_f000
}

/// The lo12 part of `value`: what remains after [`hi20`], −2048..2047.
pub(crate) fn lo12(value: i64) -> i32 {
    ((value as i32) << 20) >> 20
}

/// U-type (`lui`, `auipc`): bits 12..32.
pub(crate) fn u_type(insn: u32, hi: u32) -> u32 {
    (insn & 0xfff) | (hi & 0xffff_f000)
}

/// I-type (`addi`, loads, `jalr`): imm[11:0] at bits 20..32.
pub(crate) fn i_type(insn: u32, lo: i32) -> u32 {
    (insn & 0x000f_ffff) | ((lo as u32 & 0xfff) << 20)
}

/// S-type (stores): imm[11:5] at 25..32, imm[4:0] at 7..12.
pub(crate) fn s_type(insn: u32, lo: i32) -> u32 {
    let v = lo as u32;
    (insn & 0x01ff_f07f) | ((v & 0xfe0) << 20) | ((v & 0x1f) << 7)
}

/// B-type (conditional branches): a 13-bit even offset.
pub(crate) fn b_type(insn: u32, off: i64) -> u32 {
    let v = off as u32;
    (insn & 0x01ff_f07f)
        | (((v >> 12) & 1) << 31)
        | (((v >> 5) & 0x3f) << 25)
        | (((v >> 1) & 0xf) << 8)
        | (((v >> 11) & 1) << 7)
}

/// J-type (`jal`): a 21-bit even offset.
pub(crate) fn j_type(insn: u32, off: i64) -> u32 {
    let v = off as u32;
    (insn & 0xfff)
        | (((v >> 20) & 1) << 31)
        | (((v >> 1) & 0x3ff) << 21)
        | (((v >> 11) & 1) << 20)
        | (((v >> 12) & 0xff) << 12)
}

/// CB format (`c.beqz`, `c.bnez`): a 9-bit even offset.
pub(crate) fn cb_type(insn: u16, off: i64) -> u16 {
    let v = off as u16;
    (insn & 0xe383)
        | (((v >> 8) & 1) << 12)
        | (((v >> 3) & 3) << 10)
        | (((v >> 6) & 3) << 5)
        | (((v >> 1) & 3) << 3)
        | (((v >> 5) & 1) << 2)
}

/// CJ format (`c.j`, `c.jal`): a 12-bit even offset.
pub(crate) fn cj_type(insn: u16, off: i64) -> u16 {
    let v = off as u16;
    (insn & 0xe003)
        | (((v >> 11) & 1) << 12)
        | (((v >> 4) & 1) << 11)
        | (((v >> 8) & 3) << 9)
        | (((v >> 10) & 1) << 8)
        | (((v >> 6) & 1) << 7)
        | (((v >> 7) & 1) << 6)
        | (((v >> 1) & 7) << 3)
        | (((v >> 5) & 1) << 2)
}

/// CI format of `c.lui`: nzimm[17] at bit 12, nzimm[16:12] at bits 2..7
/// (`imm` is the 6-bit value of bits 12..18).
pub(crate) fn c_lui(insn: u16, imm: i64) -> u16 {
    let v = imm as u16;
    (insn & 0xef83) | (((v >> 5) & 1) << 12) | ((v & 0x1f) << 2)
}

/// A PLT entry's code, 16 bytes: load the target from its GOT slot at
/// `slot_offset` from the entry and jump; t1 is a temporary the calling
/// convention lets a call clobber. The last word is an illegal
/// instruction (never reached).
pub(crate) fn plt_entry(slot_offset: i64) -> [u8; 16] {
    const AUIPC_T1: u32 = 0x0000_0317;
    const LD_T1_T1: u32 = 0x0003_3303;
    const JR_T1: u32 = 0x0003_0067;
    let words = [
        u_type(AUIPC_T1, hi20(slot_offset)),
        i_type(LD_T1_T1, lo12(slot_offset)),
        JR_T1,
        0,
    ];
    let mut e = [0u8; 16];
    for (i, w) in words.iter().enumerate() {
        e[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hi_lo_split_recombines() {
        for v in [
            0i64,
            1,
            0x7ff,
            0x800,
            -0x800,
            -0x801,
            0x1234_5fff,
            -(1 << 31),
        ] {
            assert_eq!(i64::from(hi20(v) as i32) + i64::from(lo12(v)), v, "{v:#x}");
        }
    }

    #[test]
    fn formats() {
        // beq a0, a1, +0x10 / jal ra, +0x800 / c.j -2 / c.beqz a0, +4
        assert_eq!(b_type(0x00b5_0063, 0x10), 0x00b5_0863);
        assert_eq!(j_type(0x0000_00ef, 0x800), 0x0010_00ef);
        assert_eq!(cj_type(0xa001, -2), 0xbffd);
        assert_eq!(cb_type(0xc101, 4), 0xc111);
    }
}

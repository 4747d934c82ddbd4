//! AArch64 instruction immediates: each encoder puts a value's bits into
//! the field of one instruction class and leaves the other bits alone.

/// `B`/`BL`: imm26 at bits 0..26 (the offset divided by 4).
pub(crate) fn imm26(insn: u32, imm: i64) -> u32 {
    (insn & !0x03ff_ffff) | (imm as u32 & 0x03ff_ffff)
}

/// `B.cond`, `CBZ`/`CBNZ`, `LDR (literal)`: imm19 at bits 5..24.
pub(crate) fn imm19(insn: u32, imm: i64) -> u32 {
    (insn & !(0x7_ffff << 5)) | ((imm as u32 & 0x7_ffff) << 5)
}

/// `TBZ`/`TBNZ`: imm14 at bits 5..19.
pub(crate) fn imm14(insn: u32, imm: i64) -> u32 {
    (insn & !(0x3fff << 5)) | ((imm as u32 & 0x3fff) << 5)
}

/// `ADR`/`ADRP`: a 21-bit immediate split into immlo (bits 29..31) and
/// immhi (bits 5..24).
pub(crate) fn adr(insn: u32, imm: i64) -> u32 {
    let imm = imm as u32;
    (insn & !((3 << 29) | (0x7_ffff << 5))) | ((imm & 3) << 29) | (((imm >> 2) & 0x7_ffff) << 5)
}

/// `ADD (immediate)`, `LDR`/`STR (unsigned offset)`: imm12 at bits 10..22.
pub(crate) fn imm12(insn: u32, imm: u64) -> u32 {
    (insn & !(0xfff << 10)) | ((imm as u32 & 0xfff) << 10)
}

/// `MOVZ`/`MOVN`/`MOVK`: imm16 at bits 5..21.
pub(crate) fn imm16(insn: u32, imm: u64) -> u32 {
    (insn & !(0xffff << 5)) | ((imm as u32 & 0xffff) << 5)
}

/// The opc field (bits 29..31) of a move-wide instruction.
const MOVW_OPC: u32 = 3 << 29;
/// `MOVN`: the inverted immediate.
const MOVN: u32 = 0;
/// `MOVZ`: the immediate, other bits zero.
const MOVZ: u32 = 2 << 29;

/// A signed move-wide relocation: `MOVZ` with the value's bits when it is
/// not negative, else `MOVN` with the inverted bits (the psABI's MOV[NZ]).
pub(crate) fn movnz(insn: u32, value: i64, shift: u32) -> u32 {
    let (opc, bits) = if value >= 0 {
        (MOVZ, value as u64)
    } else {
        (MOVN, !value as u64)
    };
    imm16((insn & !MOVW_OPC) | opc, bits >> shift)
}

/// The 16-byte veneer reaching any address from the 8 bytes after it:
/// `ldr x16, #8; br x16` then the target. x16 (IP0) is the register the
/// procedure-call standard gives veneers, so no caller state is touched.
pub(crate) fn veneer(target: u64) -> [u8; 16] {
    const LDR_X16_PC8: u32 = 0x5800_0050;
    const BR_X16: u32 = 0xd61f_0200;
    let mut v = [0u8; 16];
    v[..4].copy_from_slice(&LDR_X16_PC8.to_le_bytes());
    v[4..8].copy_from_slice(&BR_X16.to_le_bytes());
    v[8..].copy_from_slice(&target.to_le_bytes());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders_keep_other_bits() {
        // bl #0 -> bl #-4 (imm26 all ones)
        assert_eq!(imm26(0x9400_0000, -1), 0x97ff_ffff);
        // adrp x0, #0 with page offset 0x12345 (immlo 1, immhi 0x48d1)
        assert_eq!(adr(0x9000_0000, 0x12345), 0xb009_1a20);
        // add x0, x0, #0 -> #0xabc
        assert_eq!(imm12(0x9100_0000, 0xabc), 0x912a_f000);
        // movk x0, #0, lsl #16 keeps its opc; movz turned into movn for -1
        assert_eq!(imm16(0xf2a0_0000, 0x1234), 0xf2a2_4680);
        assert_eq!(movnz(0xd280_0000, -1, 0), 0x9280_0000);
        assert_eq!(movnz(0x9280_0000, 5, 0), 0xd280_00a0);
    }
}

//! The aarch64 engine on crafted objects: data field ranges, instruction
//! fields and their range and alignment checks, far calls through veneers
//! (and a veneer out of reach), the GOT, refused types, and the errors'
//! naming of type, symbol, section and offset.

mod common;

use common::elf::*;
use modload::{aarch64_reloc as r, load_executable, parse, Error, Image, LayoutOptions};

const EM_AARCH64: u16 = 183;
const BASE: u64 = 0xffff_8000_0800_0000;
const NEAR: u64 = 0xffff_8000_0700_0000;
const FAR: u64 = 0xffff_8000_4800_0000;

fn builder() -> Builder {
    Builder {
        machine: EM_AARCH64,
        ..Builder::default()
    }
}

fn run(b: &Builder, imports: &[(&str, u64)]) -> Result<Image, Error> {
    relocate_at(b, BASE, imports)
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// One relocation of `r_type` at offset 0 of `.text` (holding `insn`)
/// against import `x` = `value`; the patched instruction.
fn insn(r_type: u32, insn: u32, value: u64, addend: i64) -> Result<u32, Error> {
    let mut b = builder();
    let text = b.section(".text", TEXT, &insn.to_le_bytes(), 4);
    let x = b.undefined("x");
    b.reloc(text, 0, x, r_type, addend);
    run(&b, &[("x", value)]).map(|i| word(bytes_of(&i, ".text"), 0))
}

/// One data relocation at offset 0 of `.data`: the field's bytes.
fn data(r_type: u32, width: usize, value: u64, addend: i64) -> Result<Vec<u8>, Error> {
    let mut b = builder();
    let d = b.section(".data", DATA, &[0; 16], 8);
    let x = b.undefined("x");
    b.reloc(d, 0, x, r_type, addend);
    run(&b, &[("x", value)]).map(|i| bytes_of(&i, ".data")[..width].to_vec())
}

fn overflow<T: std::fmt::Debug>(res: Result<T, Error>, type_name: &str) {
    match res {
        Err(Error::RelocationOverflow { site, .. }) => {
            assert_eq!(site.type_name, type_name);
            assert_eq!(site.symbol, "x");
            assert_eq!(site.offset, 0);
        }
        other => panic!("{type_name}: expected an overflow, got {other:?}"),
    }
}

fn misaligned<T: std::fmt::Debug>(res: Result<T, Error>, type_name: &str, align: u64) {
    match res {
        Err(e @ Error::RelocationMisaligned { .. }) => {
            let Error::RelocationMisaligned { site, align: a, .. } = &e else {
                unreachable!()
            };
            assert_eq!(site.type_name, type_name);
            assert_eq!(*a, align);
            assert!(e.to_string().contains(type_name), "{e}");
            assert!(e.to_string().contains("`x`"), "{e}");
        }
        other => panic!("{type_name}: expected misalignment, got {other:?}"),
    }
}

#[test]
fn data_fields_check_as_the_kernel_does() {
    assert_eq!(
        data(r::ABS64, 8, NEAR, 3).unwrap(),
        (NEAR + 3).to_le_bytes()
    );
    // ABS32/ABS16: zero-extended.
    assert_eq!(data(r::ABS32, 4, 0xffff_ffff, 0).unwrap(), [0xff; 4]);
    overflow(data(r::ABS32, 4, 0x1_0000_0000, 0), "R_AARCH64_ABS32");
    overflow(data(r::ABS32, 4, 0, -1), "R_AARCH64_ABS32");
    assert_eq!(data(r::ABS16, 2, 0xffff, 0).unwrap(), [0xff; 2]);
    overflow(data(r::ABS16, 2, 0x1_0000, 0), "R_AARCH64_ABS16");
    // PREL: sign-extended, from the field (.data is at the base).
    assert_eq!(
        data(r::PREL64, 8, NEAR, 0).unwrap(),
        NEAR.wrapping_sub(BASE).to_le_bytes()
    );
    assert_eq!(
        data(r::PREL32, 4, NEAR, 0).unwrap(),
        (NEAR.wrapping_sub(BASE) as u32).to_le_bytes()
    );
    overflow(data(r::PREL32, 4, BASE + (1 << 31), 0), "R_AARCH64_PREL32");
    overflow(
        data(r::PREL32, 4, BASE - (1 << 31) - 1, 0),
        "R_AARCH64_PREL32",
    );
    assert_eq!(data(r::PREL16, 2, BASE - 0x8000, 0).unwrap(), [0x00, 0x80]);
    overflow(data(r::PREL16, 2, BASE + 0x8000, 0), "R_AARCH64_PREL16");
}

#[test]
fn branches_direct_veneered_and_checked() {
    const BL: u32 = 0x9400_0000;
    // In range: direct.
    assert_eq!(insn(r::CALL26, BL, BASE + 0x100, 0).unwrap(), BL | 0x40);
    assert_eq!(insn(r::CALL26, BL, BASE - 4, 0).unwrap(), BL | 0x03ff_ffff);
    // A misaligned target is refused, not rounded.
    misaligned(insn(r::CALL26, BL, BASE + 0x102, 0), "R_AARCH64_CALL26", 4);
    // Out of range: through a veneer in .modload.plt that reaches FAR.
    let mut b = builder();
    let text = b.section(".text", TEXT, &[0; 12], 4);
    let x = b.undefined("x");
    b.reloc(text, 0, x, r::CALL26, 0);
    b.reloc(text, 4, x, r::JUMP26, 0);
    b.reloc(text, 8, x, r::CALL26, 8);
    let image = run(&b, &[("x", FAR)]).unwrap();
    let plt = image.section(".modload.plt").unwrap().clone();
    assert_eq!(plt.size, 32, "one veneer per (symbol, addend)");
    let t = bytes_of(&image, ".text");
    for (at, want) in [(0usize, 0u64), (4, 0), (8, 16)] {
        let imm = ((word(t, at) & 0x03ff_ffff) << 6) as i32 >> 6;
        let target = (BASE + at as u64).wrapping_add((i64::from(imm) * 4) as u64);
        assert_eq!(target, plt.address + want, "branch at {at}");
    }
    let v = image.section_bytes(&plt).unwrap();
    assert_eq!(word(v, 0), 0x5800_0050); // ldr x16, #8
    assert_eq!(word(v, 4), 0xd61f_0200); // br x16
    assert_eq!(u64::from_le_bytes(v[8..16].try_into().unwrap()), FAR);
    assert_eq!(u64::from_le_bytes(v[24..32].try_into().unwrap()), FAR + 8);
    // The veneer of a far target that is not an instruction address.
    misaligned(insn(r::CALL26, BL, FAR + 2, 0), "R_AARCH64_CALL26", 4);
    // A branch inside the image never gets a veneer: out of range is an
    // error naming the type and the symbol.
    let mut b = builder();
    let text = b.section(".text", TEXT, &BL.to_le_bytes(), 4);
    let here = b.symbol("here", text, 0, GLOBAL_FUNC);
    b.reloc(text, 0, here, r::CALL26, 1 << 27);
    match run(&b, &[]) {
        Err(e @ Error::RelocationOverflow { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("R_AARCH64_CALL26") && m.contains("`here`") && m.contains(".text+0x0"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_veneer_beyond_branch_reach_is_an_error() {
    // 130 MiB of bss between the text and the veneers (which follow the
    // four groups): the call cannot reach its veneer.
    let mut b = builder();
    let text = b.section(".text", TEXT, &0x9400_0000u32.to_le_bytes(), 4);
    b.bss(".bss", 130 << 20, 16);
    let x = b.undefined("x");
    b.reloc(text, 0, x, r::CALL26, 0);
    overflow(run(&b, &[("x", FAR)]), "R_AARCH64_CALL26");
}

#[test]
fn short_branches_and_literals() {
    const BEQ: u32 = 0x5400_0000;
    const TBZ: u32 = 0x3618_0001; // tbz x1, #3
    const LDR_LIT: u32 = 0x5800_0004; // ldr x4, #0
    const ADR: u32 = 0x1000_0003; // adr x3, #0
    assert_eq!(insn(r::CONDBR19, BEQ, BASE + 8, 0).unwrap(), BEQ | (2 << 5));
    overflow(
        insn(r::CONDBR19, BEQ, BASE + (1 << 20), 0),
        "R_AARCH64_CONDBR19",
    );
    misaligned(insn(r::CONDBR19, BEQ, BASE + 6, 0), "R_AARCH64_CONDBR19", 4);
    assert_eq!(
        insn(r::TSTBR14, TBZ, BASE - 4, 0).unwrap(),
        TBZ | (0x3fff << 5)
    );
    overflow(
        insn(r::TSTBR14, TBZ, BASE + (1 << 15), 0),
        "R_AARCH64_TSTBR14",
    );
    assert_eq!(
        insn(r::LD_PREL_LO19, LDR_LIT, BASE + 16, 0).unwrap(),
        LDR_LIT | (4 << 5)
    );
    misaligned(
        insn(r::LD_PREL_LO19, LDR_LIT, BASE + 2, 0),
        "R_AARCH64_LD_PREL_LO19",
        4,
    );
    // adr x3, #5: immlo = 1, immhi = 1
    assert_eq!(
        insn(r::ADR_PREL_LO21, ADR, BASE + 5, 0).unwrap(),
        ADR | (1 << 29) | (1 << 5)
    );
    overflow(
        insn(r::ADR_PREL_LO21, ADR, BASE + (1 << 20), 0),
        "R_AARCH64_ADR_PREL_LO21",
    );
}

#[test]
fn pages_and_low_twelve_bits() {
    const ADRP: u32 = 0x9000_0000;
    const ADD: u32 = 0x9100_0000;
    const LDR64: u32 = 0xf940_0000;
    const LDRB: u32 = 0x3940_0000;
    const LDR128: u32 = 0x3dc0_0000;
    // Page of NEAR is 0x1000 pages below: imm = -0x1000.
    let imm = (NEAR >> 12).wrapping_sub(BASE >> 12) as i64;
    let want = ADRP | ((imm as u32 & 3) << 29) | ((((imm >> 2) as u32) & 0x7_ffff) << 5);
    assert_eq!(
        insn(r::ADR_PREL_PG_HI21, ADRP, NEAR + 0x123, 0).unwrap(),
        want
    );
    overflow(
        insn(r::ADR_PREL_PG_HI21, ADRP, BASE + (4 << 30), 0),
        "R_AARCH64_ADR_PREL_PG_HI21",
    );
    // The _NC form does not check.
    assert!(insn(r::ADR_PREL_PG_HI21_NC, ADRP, BASE + (4 << 30), 0).is_ok());
    assert_eq!(
        insn(r::ADD_ABS_LO12_NC, ADD, NEAR + 0xabc, 0).unwrap(),
        ADD | (0xabc << 10)
    );
    assert_eq!(
        insn(r::LDST8_ABS_LO12_NC, LDRB, NEAR + 0xabd, 0).unwrap(),
        LDRB | (0xabd << 10)
    );
    assert_eq!(
        insn(r::LDST64_ABS_LO12_NC, LDR64, NEAR + 0xab8, 0).unwrap(),
        LDR64 | ((0xab8 >> 3) << 10)
    );
    misaligned(
        insn(r::LDST64_ABS_LO12_NC, LDR64, NEAR + 0xabc, 0),
        "R_AARCH64_LDST64_ABS_LO12_NC",
        8,
    );
    misaligned(
        insn(r::LDST16_ABS_LO12_NC, LDR64, NEAR + 1, 0),
        "R_AARCH64_LDST16_ABS_LO12_NC",
        2,
    );
    misaligned(
        insn(r::LDST32_ABS_LO12_NC, LDR64, NEAR + 2, 0),
        "R_AARCH64_LDST32_ABS_LO12_NC",
        4,
    );
    assert_eq!(
        insn(r::LDST128_ABS_LO12_NC, LDR128, NEAR + 0x10, 0).unwrap(),
        LDR128 | (1 << 10)
    );
    misaligned(
        insn(r::LDST128_ABS_LO12_NC, LDR128, NEAR + 8, 0),
        "R_AARCH64_LDST128_ABS_LO12_NC",
        16,
    );
}

#[test]
fn move_wide_groups() {
    const MOVZ: u32 = 0xd280_0000;
    const MOVK: u32 = 0xf280_0000;
    const MOVN: u32 = 0x9280_0000;
    let imm = |v: u64| (v as u32 & 0xffff) << 5;
    assert_eq!(
        insn(r::MOVW_UABS_G0, MOVZ, 0xffff, 0).unwrap(),
        MOVZ | imm(0xffff)
    );
    overflow(
        insn(r::MOVW_UABS_G0, MOVZ, 0x1_0000, 0),
        "R_AARCH64_MOVW_UABS_G0",
    );
    assert_eq!(
        insn(r::MOVW_UABS_G0_NC, MOVK, 0x1_2345, 0).unwrap(),
        MOVK | imm(0x2345)
    );
    assert_eq!(
        insn(r::MOVW_UABS_G1, MOVZ, 0x1234_0000, 0).unwrap(),
        MOVZ | imm(0x1234)
    );
    overflow(
        insn(r::MOVW_UABS_G1, MOVZ, 0x1_0000_0000, 0),
        "R_AARCH64_MOVW_UABS_G1",
    );
    overflow(
        insn(r::MOVW_UABS_G2, MOVZ, 1 << 48, 0),
        "R_AARCH64_MOVW_UABS_G2",
    );
    assert_eq!(
        insn(r::MOVW_UABS_G3, MOVZ, NEAR, 0).unwrap(),
        MOVZ | imm(0xffff)
    );
    // Signed: MOVZ for >= 0, MOVN with the inverted bits for < 0.
    assert_eq!(
        insn(r::MOVW_SABS_G0, MOVZ, (-16i64) as u64, 0).unwrap(),
        MOVN | imm(15)
    );
    assert_eq!(insn(r::MOVW_SABS_G0, MOVN, 16, 0).unwrap(), MOVZ | imm(16));
    overflow(
        insn(r::MOVW_SABS_G0, MOVZ, 0x1_0000, 0),
        "R_AARCH64_MOVW_SABS_G0",
    );
    // PC-relative: from the instruction (at the base).
    assert_eq!(
        insn(r::MOVW_PREL_G0, MOVZ, BASE + 0x40, 0).unwrap(),
        MOVZ | imm(0x40)
    );
    assert_eq!(
        insn(r::MOVW_PREL_G0, MOVZ, BASE - 0x40, 0).unwrap(),
        MOVN | imm(0x3f)
    );
    assert_eq!(
        insn(r::MOVW_PREL_G3, MOVZ, BASE - (1 << 50), 0).unwrap(),
        MOVN | imm(!(-(1i64 << 50)) as u64 >> 48)
    );
    assert_eq!(
        insn(r::MOVW_PREL_G1_NC, MOVK, BASE + 0x1234_5678, 0).unwrap(),
        MOVK | imm(0x1234)
    );
}

#[test]
fn got_entries_hold_the_target() {
    const ADRP: u32 = 0x9000_0000;
    const LDR64: u32 = 0xf940_0000;
    let mut b = builder();
    let mut code = Vec::new();
    for w in [ADRP, LDR64, 0x5800_0000] {
        code.extend_from_slice(&w.to_le_bytes());
    }
    let text = b.section(".text", TEXT, &code, 4);
    let x = b.undefined("x");
    b.reloc(text, 0, x, r::ADR_GOT_PAGE, 0);
    b.reloc(text, 4, x, r::LD64_GOT_LO12_NC, 0);
    b.reloc(text, 8, x, r::GOT_LD_PREL19, 0);
    let image = run(&b, &[("x", FAR)]).unwrap();
    let got = image.section(".modload.got").unwrap().clone();
    assert_eq!(got.size, 8);
    assert_eq!(
        u64::from_le_bytes(image.section_bytes(&got).unwrap().try_into().unwrap()),
        FAR
    );
    let t = bytes_of(&image, ".text");
    let w0 = word(t, 0);
    let imm = (((w0 >> 5) & 0x7_ffff) << 2 | ((w0 >> 29) & 3)) as u64;
    assert_eq!((BASE & !0xfff) + (imm << 12), got.address & !0xfff);
    assert_eq!(
        (word(t, 4) >> 10) & 0xfff,
        ((got.address & 0xfff) >> 3) as u32
    );
    assert_eq!(
        BASE + 8 + u64::from((word(t, 8) >> 5) & 0x7_ffff) * 4,
        got.address
    );
}

#[test]
fn refused_types_name_themselves() {
    let mut b = builder();
    let text = b.section(".text", TEXT, &[0; 8], 4);
    let x = b.undefined("x");
    b.reloc(text, 0, x, 549, 0); // TLSLE_ADD_TPREL_HI12
    match run(&b, &[("x", NEAR)]) {
        Err(e @ Error::UnsupportedRelocation { .. }) => {
            assert!(e.to_string().contains("R_AARCH64_TLS"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    for t in [1024, 1027, 4000, 281] {
        let mut b = builder();
        let text = b.section(".text", TEXT, &[0; 8], 4);
        let x = b.undefined("x");
        b.reloc(text, 0, x, t, 0);
        assert!(
            matches!(
                run(&b, &[("x", NEAR)]),
                Err(Error::UnsupportedRelocation { .. })
            ),
            "{t}"
        );
    }
    assert_eq!(modload::reloc_name(EM_AARCH64, 283), "R_AARCH64_CALL26");
    assert_eq!(modload::reloc_name(EM_AARCH64, 1026), "R_AARCH64_JUMP_SLOT");
    // NONE (both numbers) is fine.
    for t in [0, 256] {
        let mut b = builder();
        let text = b.section(".text", TEXT, &[0; 4], 4);
        let x = b.undefined("x");
        b.reloc(text, 0, x, t, 0);
        assert!(run(&b, &[("x", NEAR)]).is_ok());
    }
}

#[test]
fn fields_outside_their_section() {
    let mut b = builder();
    let text = b.section(".text", TEXT, &[0; 4], 4);
    let x = b.undefined("x");
    b.reloc(text, 2, x, r::CALL26, 0);
    match run(&b, &[("x", FAR)]) {
        Err(Error::RelocationOutOfSection { site, size: 4 }) => {
            assert_eq!(site.type_name, "R_AARCH64_CALL26")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn relocated_into_a_buffer_but_not_executed_on_another_host() {
    let mut b = builder();
    let text = b.section(".text", TEXT, &0x9400_0000u32.to_le_bytes(), 4);
    let x = b.undefined("x");
    b.reloc(text, 0, x, r::CALL26, 0);
    assert!(run(&b, &[("x", NEAR)]).is_ok());
    let bytes = b.build();
    let obj = parse(&bytes).unwrap();
    if cfg!(target_arch = "aarch64") {
        return;
    }
    match load_executable(&obj, &mut LayoutOptions::new(), &mut |_: &str| Some(NEAR)) {
        Err(Error::HostMismatch {
            machine: EM_AARCH64,
        }) => {}
        other => panic!("{other:?}"),
    }
}

//! The riscv64 engine on crafted objects: data words and the ADD/SUB/SET
//! and ULEB128 families, branch and jump fields (range, evenness), calls
//! direct and through the PLT, PCREL_HI20/LO12 pairing through the label
//! (in either order, and unpaired), the GOT, absolute HI20/LO12, RELAX
//! ignored, ALIGN and TLS refused.

mod common;

use common::elf::*;
use modload::{riscv64_reloc as r, Error, Image};

const EM_RISCV: u16 = 243;
const BASE: u64 = 0xffff_ffff_4000_0000;
const NEAR: u64 = 0xffff_ffff_8000_0000;
const FAR: u64 = 0xffff_fffd_0000_0000;

fn builder() -> Builder {
    Builder {
        machine: EM_RISCV,
        ..Builder::default()
    }
}

fn run(b: &Builder, imports: &[(&str, u64)]) -> Result<Image, Error> {
    relocate_at(b, BASE, imports)
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// One relocation at offset 0 of `.text` (holding `code`) against import
/// `x` = `value`; the section's bytes.
fn text(r_type: u32, code: &[u8], value: u64, addend: i64) -> Result<Vec<u8>, Error> {
    let mut b = builder();
    let t = b.section(".text", TEXT, code, 4);
    let x = b.undefined("x");
    b.reloc(t, 0, x, r_type, addend);
    run(&b, &[("x", value)]).map(|i| bytes_of(&i, ".text").to_vec())
}

fn insn(r_type: u32, insn: u32, value: u64, addend: i64) -> Result<u32, Error> {
    text(r_type, &insn.to_le_bytes(), value, addend).map(|b| word(&b, 0))
}

fn insn16(r_type: u32, insn: u16, value: u64, addend: i64) -> Result<u16, Error> {
    text(r_type, &insn.to_le_bytes(), value, addend).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// A data relocation at offset 0 of `.data` (initially `init`).
fn data(r_type: u32, init: &[u8], value: u64, addend: i64) -> Result<Vec<u8>, Error> {
    let mut b = builder();
    let d = b.section(".data", DATA, init, 8);
    let x = b.undefined("x");
    b.reloc(d, 0, x, r_type, addend);
    run(&b, &[("x", value)]).map(|i| bytes_of(&i, ".data").to_vec())
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

fn misaligned<T: std::fmt::Debug>(res: Result<T, Error>, type_name: &str) {
    match res {
        Err(Error::RelocationMisaligned { site, align: 2, .. }) => {
            assert_eq!(site.type_name, type_name)
        }
        other => panic!("{type_name}: expected misalignment, got {other:?}"),
    }
}

#[test]
fn data_words() {
    assert_eq!(
        data(r::R64, &[0; 8], NEAR, 5).unwrap(),
        (NEAR + 5).to_le_bytes()
    );
    assert_eq!(data(r::R32, &[0; 4], 0xffff_ffff, 0).unwrap(), [0xff; 4]);
    overflow(data(r::R32, &[0; 4], NEAR, 0), "R_RISCV_32");
    assert_eq!(
        data(r::PCREL32, &[0; 4], BASE - 8, 0).unwrap(),
        (-8i32).to_le_bytes()
    );
    overflow(
        data(r::PCREL32, &[0; 4], BASE + (1 << 31), 0),
        "R_RISCV_32_PCREL",
    );
}

#[test]
fn label_difference_families_wrap() {
    assert_eq!(data(r::ADD8, &[0xf0], 0x20, 0).unwrap(), [0x10]);
    assert_eq!(data(r::SUB8, &[0x10], 0x20, 0).unwrap(), [0xf0]);
    assert_eq!(data(r::ADD16, &[1, 0], 0xffff, 0).unwrap(), [0, 0]);
    assert_eq!(data(r::SUB16, &[0, 0], 1, 0).unwrap(), [0xff, 0xff]);
    assert_eq!(data(r::ADD32, &[1, 0, 0, 0], 2, 3).unwrap(), [6, 0, 0, 0]);
    assert_eq!(data(r::SUB32, &[6, 0, 0, 0], 2, 0).unwrap(), [4, 0, 0, 0]);
    assert_eq!(
        data(r::ADD64, &[0; 8], NEAR, 0).unwrap(),
        NEAR.to_le_bytes()
    );
    assert_eq!(data(r::SUB64, &[0; 8], 1, 0).unwrap(), [0xff; 8]);
    // 6-bit forms keep the two high bits (DW_CFA_advance_loc's opcode).
    assert_eq!(data(r::SET6, &[0x40], 0x7f, 0).unwrap(), [0x7f]);
    assert_eq!(data(r::SUB6, &[0x45], 6, 0).unwrap(), [0x7f]);
    assert_eq!(data(r::SET8, &[0x99], 0x1234, 0).unwrap(), [0x34]);
    assert_eq!(data(r::SET16, &[0; 2], 0x1234, 0).unwrap(), [0x34, 0x12]);
    assert_eq!(
        data(r::SET32, &[0; 4], 0x1234_5678, 0).unwrap(),
        0x1234_5678u32.to_le_bytes()
    );
}

#[test]
fn uleb128_fields_keep_their_length() {
    // A 2-byte ULEB128 (padded zero) set to 200, then reduced by 72.
    let mut b = builder();
    let d = b.section(".data", DATA, &[0x80, 0x00, 0x55], 8);
    let x = b.undefined("x");
    let y = b.undefined("y");
    b.reloc(d, 0, x, r::SET_ULEB128, 0);
    b.reloc(d, 0, y, r::SUB_ULEB128, 0);
    let image = run(&b, &[("x", 200), ("y", 72)]).unwrap();
    assert_eq!(bytes_of(&image, ".data"), [0x80, 0x01, 0x55]);
    // 1 byte holds 7 bits: 200 does not fit.
    overflow(
        data(r::SET_ULEB128, &[0x00, 0x55], 200, 0),
        "R_RISCV_SET_ULEB128",
    );
    // A ULEB128 that does not end inside the section.
    assert!(matches!(
        data(r::SET_ULEB128, &[0x80, 0x80], 1, 0),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn branches_and_jumps() {
    const BEQ: u32 = 0x00b5_0063; // beq a0, a1
    const JAL: u32 = 0x0000_00ef; // jal ra
    assert_eq!(insn(r::BRANCH, BEQ, BASE + 0x10, 0).unwrap(), 0x00b5_0863);
    overflow(insn(r::BRANCH, BEQ, BASE + 0x1000, 0), "R_RISCV_BRANCH");
    misaligned(insn(r::BRANCH, BEQ, BASE + 3, 0), "R_RISCV_BRANCH");
    assert_eq!(insn(r::JAL, JAL, BASE + 0x800, 0).unwrap(), 0x0010_00ef);
    overflow(insn(r::JAL, JAL, BASE + (1 << 20), 0), "R_RISCV_JAL");
    misaligned(insn(r::JAL, JAL, BASE + 1, 0), "R_RISCV_JAL");
    assert_eq!(insn16(r::RVC_JUMP, 0xa001, BASE - 2, 0).unwrap(), 0xbffd);
    overflow(
        insn16(r::RVC_JUMP, 0xa001, BASE + 2048, 0),
        "R_RISCV_RVC_JUMP",
    );
    assert_eq!(insn16(r::RVC_BRANCH, 0xc101, BASE + 4, 0).unwrap(), 0xc111);
    overflow(
        insn16(r::RVC_BRANCH, 0xc101, BASE + 256, 0),
        "R_RISCV_RVC_BRANCH",
    );
    misaligned(
        insn16(r::RVC_BRANCH, 0xc101, BASE + 5, 0),
        "R_RISCV_RVC_BRANCH",
    );
    // c.lui a0: the upper 6-bit immediate, never 0.
    assert_eq!(insn16(r::RVC_LUI, 0x6501, 0x1f000, 0).unwrap(), 0x657d);
    overflow(insn16(r::RVC_LUI, 0x6501, 0x100, 0), "R_RISCV_RVC_LUI");
    overflow(insn16(r::RVC_LUI, 0x6501, 0x40000, 0), "R_RISCV_RVC_LUI");
}

/// The target of an auipc/jalr (or auipc/ld) pair at `p`.
fn pair_target(code: &[u8], at: usize, p: u64) -> u64 {
    let hi = i64::from((word(code, at) & 0xffff_f000) as i32);
    let lo = i64::from(word(code, at + 4) as i32 >> 20);
    p.wrapping_add((hi + lo) as u64)
}

#[test]
fn calls_direct_and_through_the_plt() {
    const CALL: [u32; 2] = [0x0000_0097, 0x0000_80e7]; // auipc ra; jalr ra
    let code: Vec<u8> = CALL.iter().flat_map(|w| w.to_le_bytes()).collect();
    // Near: direct, split so the lo part's sign is compensated.
    let t = text(r::CALL_PLT, &code, NEAR + 0x800, 0).unwrap();
    assert_eq!(pair_target(&t, 0, BASE), NEAR + 0x800);
    let t = text(r::CALL, &code, BASE - 0x7fe, 0).unwrap();
    assert_eq!(pair_target(&t, 0, BASE), BASE - 0x7fe);
    misaligned(text(r::CALL, &code, BASE + 1, 0), "R_RISCV_CALL");
    // Far: through a PLT entry loading its GOT slot.
    let mut b = builder();
    let mut two = code.clone();
    two.extend_from_slice(&code);
    let tx = b.section(".text", TEXT, &two, 4);
    let x = b.undefined("x");
    b.reloc(tx, 0, x, r::CALL_PLT, 0);
    b.reloc(tx, 8, x, r::CALL, 0);
    let image = run(&b, &[("x", FAR)]).unwrap();
    let plt = image.section(".modload.plt").unwrap().clone();
    let got = image.section(".modload.got").unwrap().clone();
    assert_eq!(plt.size, 16, "one entry per (symbol, addend)");
    let t = bytes_of(&image, ".text");
    assert_eq!(pair_target(t, 0, BASE), plt.address);
    assert_eq!(pair_target(t, 8, BASE + 8), plt.address);
    let e = image.section_bytes(&plt).unwrap();
    assert_eq!(word(e, 0) & 0xfff, 0x317, "auipc t1");
    assert_eq!(word(e, 4) & 0x000f_ffff, 0x3_3303, "ld t1, (t1)");
    assert_eq!(word(e, 8), 0x0003_0067, "jr t1");
    let slot = pair_target(e, 0, plt.address);
    assert!(slot >= got.address && slot < got.address + got.size);
    let at = (slot - got.address) as usize;
    let g = image.section_bytes(&got).unwrap();
    assert_eq!(u64::from_le_bytes(g[at..at + 8].try_into().unwrap()), FAR);
    // A call to the image's own code never gets an entry.
    let mut b = builder();
    let tx = b.section(".text", TEXT, &code, 4);
    let here = b.symbol("here", tx, 0, GLOBAL_FUNC);
    b.reloc(tx, 0, here, r::CALL_PLT, 1 << 32);
    match run(&b, &[]) {
        Err(Error::RelocationOverflow { site, .. }) => assert_eq!(site.symbol, "here"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pcrel_pairs_through_the_label() {
    // auipc a2, 0 / addi a2, a2, 0 / sd a2, 0(a2), the lo ones naming a
    // local label at the auipc; the lo relocations come first once, to
    // show order does not matter.
    const AUIPC: u32 = 0x0000_0617;
    const ADDI: u32 = 0x0006_0613;
    const SD: u32 = 0x00c6_3023;
    for lo_first in [false, true] {
        let mut b = builder();
        let code: Vec<u8> = [AUIPC, ADDI, SD]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let tx = b.section(".text", TEXT, &code, 4);
        let label = b.symbol(".Lpcrel_hi0", tx, 0, 0x00);
        let x = b.undefined("x");
        if lo_first {
            b.reloc(tx, 4, label, r::PCREL_LO12_I, 0);
            b.reloc(tx, 8, label, r::PCREL_LO12_S, 0);
            b.reloc(tx, 0, x, r::PCREL_HI20, 0x7ff);
        } else {
            b.reloc(tx, 0, x, r::PCREL_HI20, 0x7ff);
            b.reloc(tx, 4, label, r::PCREL_LO12_I, 0);
            b.reloc(tx, 8, label, r::PCREL_LO12_S, 0);
        }
        let image = run(&b, &[("x", NEAR)]).unwrap();
        let t = bytes_of(&image, ".text");
        assert_eq!(pair_target(t, 0, BASE), NEAR + 0x7ff);
        let hi = i64::from((word(t, 0) & 0xffff_f000) as i32);
        let s = word(t, 8);
        let s_lo = ((((s >> 25) << 5) | ((s >> 7) & 0x1f)) as i32) << 20 >> 20;
        assert_eq!(
            BASE.wrapping_add((hi + i64::from(s_lo)) as u64),
            NEAR + 0x7ff
        );
    }
    // A lo without its hi: refused, naming the relocation.
    let mut b = builder();
    let tx = b.section(".text", TEXT, &[0; 8], 4);
    let label = b.symbol(".L1", tx, 0, 0x00);
    b.reloc(tx, 4, label, r::PCREL_LO12_I, 0);
    match run(&b, &[]) {
        Err(e @ Error::UnpairedRelocation { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("R_RISCV_PCREL_LO12_I") && m.contains("R_RISCV_PCREL_HI20"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    // PCREL_HI20 beyond ±2 GiB: an overflow (data cannot go through a PLT).
    overflow(insn(r::PCREL_HI20, AUIPC, FAR, 0), "R_RISCV_PCREL_HI20");
}

#[test]
fn got_and_absolute_pairs() {
    const AUIPC: u32 = 0x0000_0697; // auipc a3
    const LD: u32 = 0x0006_b683; // ld a3, 0(a3)
    let mut b = builder();
    let code: Vec<u8> = [AUIPC, LD].iter().flat_map(|w| w.to_le_bytes()).collect();
    let tx = b.section(".text", TEXT, &code, 4);
    let label = b.symbol(".Lgot", tx, 0, 0x00);
    let x = b.undefined("x");
    b.reloc(tx, 0, x, r::GOT_HI20, 0);
    b.reloc(tx, 4, label, r::PCREL_LO12_I, 0);
    let image = run(&b, &[("x", FAR)]).unwrap();
    let got = image.section(".modload.got").unwrap().clone();
    let t = bytes_of(&image, ".text");
    assert_eq!(pair_target(t, 0, BASE), got.address);
    assert_eq!(
        u64::from_le_bytes(image.section_bytes(&got).unwrap().try_into().unwrap()),
        FAR
    );
    // lui/addi/sw with absolute hi20/lo12 (medlow): within ±2 GiB of 0.
    const LUI: u32 = 0x0000_0537;
    const ADDI: u32 = 0x0005_0513;
    assert_eq!(
        insn(r::HI20, LUI, 0x1234_5800, 0).unwrap(),
        LUI | 0x1234_6000
    );
    assert_eq!(
        insn(r::LO12_I, ADDI, 0x1234_5800, 0).unwrap(),
        ADDI | 0x8000_0000
    );
    // lui sign-extends: 0xffff_ffff_8000_0000 is reachable, 0x8000_0000 not.
    assert_eq!(insn(r::HI20, LUI, NEAR, 0).unwrap(), LUI | 0x8000_0000);
    overflow(insn(r::HI20, LUI, 0x8000_0000, 0), "R_RISCV_HI20");
    overflow(insn(r::HI20, LUI, BASE, 0), "R_RISCV_HI20");
}

#[test]
fn relax_ignored_align_and_tls_refused() {
    assert_eq!(insn(r::RELAX, 0x1234_5678, NEAR, 0).unwrap(), 0x1234_5678);
    // As the assembler emits it: against no symbol, the addend the padding.
    let mut b = builder();
    let t = b.section(".text", TEXT, &[0x13, 0, 0, 0, 0x01, 0], 4);
    b.reloc(t, 2, 0, r::ALIGN, 2);
    match run(&b, &[]) {
        Err(e @ Error::NeedsRelaxation { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("R_RISCV_ALIGN at .text+0x2") && m.contains("-mno-relax"),
                "{m}"
            );
            assert_eq!(e.errno(), libc::ENOEXEC);
        }
        other => panic!("{other:?}"),
    }
    for (t, name) in [
        (21, "R_RISCV_TLS_GOT_HI20"),
        (29, "R_RISCV_TPREL_HI20"),
        (3, "R_RISCV_RELATIVE"),
        (47, "R_RISCV_GPREL_I"),
        (99, "unknown"),
    ] {
        match insn(t, 0, NEAR, 0) {
            Err(Error::UnsupportedRelocation { site }) => assert_eq!(site.type_name, name),
            other => panic!("{t}: {other:?}"),
        }
    }
    assert_eq!(modload::reloc_name(EM_RISCV, 19), "R_RISCV_CALL_PLT");
}

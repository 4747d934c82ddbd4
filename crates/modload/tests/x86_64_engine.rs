//! The x86-64 engine on crafted objects: each field width's range check,
//! far calls through the PLT (and what is never redirected), the GOT, weak
//! imports, relocations of unloaded sections, refused types.

mod common;

use common::elf::*;
use modload::{layout, parse, relocate, Error, Image, LayoutOptions};

const BASE: u64 = 0xffff_ffff_c000_0000;
const NEAR: u64 = 0xffff_ffff_8100_0000;
const FAR: u64 = 0x0000_7f12_3456_7000;

fn run(b: &Builder, imports: &[(&str, u64)]) -> Result<Image, Error> {
    relocate_at(b, BASE, imports)
}

/// One data field of `r_type` against import `x` bound to `value`.
fn field(r_type: u32, width: usize, value: u64, addend: i64) -> Result<Vec<u8>, Error> {
    let mut b = Builder::default();
    let data = b.section(".data", DATA, &[0; 16], 8);
    let x = b.undefined("x");
    b.reloc(data, 0, x, r_type, addend);
    run(&b, &[("x", value)]).map(|i| bytes_of(&i, ".data")[..width].to_vec())
}

fn overflow(r: Result<Vec<u8>, Error>, type_name: &str) {
    match r {
        Err(Error::RelocationOverflow { site, .. }) => {
            assert_eq!(site.type_name, type_name);
            assert_eq!(site.symbol, "x");
            assert_eq!(site.section, ".data");
            assert_eq!(site.offset, 0);
        }
        other => panic!("{type_name}: expected an overflow, got {other:?}"),
    }
}

#[test]
fn absolute_fields_and_their_ranges() {
    assert_eq!(field(1, 8, NEAR, 5).unwrap(), (NEAR + 5).to_le_bytes());
    // R_X86_64_32: zero-extended.
    assert_eq!(field(10, 4, 0xffff_fff0, 0xf).unwrap(), [0xff; 4]);
    overflow(field(10, 4, 0xffff_fff0, 0x10), "R_X86_64_32");
    overflow(field(10, 4, NEAR, 0), "R_X86_64_32");
    // R_X86_64_32S: sign-extended.
    assert_eq!(field(11, 4, NEAR, 0).unwrap(), 0x8100_0000u32.to_le_bytes());
    assert_eq!(
        field(11, 4, 0x7fff_ffff, 0).unwrap(),
        0x7fff_ffffu32.to_le_bytes()
    );
    overflow(field(11, 4, 0x8000_0000, 0), "R_X86_64_32S");
    overflow(field(11, 4, 0xffff_ffff_7fff_ffff, 0), "R_X86_64_32S");
    // R_X86_64_16 and _8: signed or unsigned.
    assert_eq!(field(12, 2, 0xffff, 0).unwrap(), [0xff, 0xff]);
    assert_eq!(field(12, 2, (-0x8000i64) as u64, 0).unwrap(), [0x00, 0x80]);
    overflow(field(12, 2, 0x1_0000, 0), "R_X86_64_16");
    overflow(field(12, 2, (-0x8001i64) as u64, 0), "R_X86_64_16");
    assert_eq!(field(14, 1, 0xff, 0).unwrap(), [0xff]);
    overflow(field(14, 1, 0x100, 0), "R_X86_64_8");
    overflow(field(14, 1, (-129i64) as u64, 0), "R_X86_64_8");
}

#[test]
fn pc_relative_fields_and_their_ranges() {
    // .data is the only group: at the base.
    let p = BASE;
    assert_eq!(
        field(24, 8, FAR, 0).unwrap(),
        FAR.wrapping_sub(p).to_le_bytes()
    );
    assert_eq!(
        field(2, 4, p.wrapping_add(0x7fff_ffff), 0).unwrap(),
        0x7fff_ffffu32.to_le_bytes()
    );
    overflow(field(2, 4, p.wrapping_add(0x8000_0000), 0), "R_X86_64_PC32");
    overflow(field(2, 4, p.wrapping_sub(0x8000_0001), 0), "R_X86_64_PC32");
    assert_eq!(field(13, 2, p - 0x8000, 0).unwrap(), [0x00, 0x80]);
    overflow(field(13, 2, p + 0x8000, 0), "R_X86_64_PC16");
    assert_eq!(field(15, 1, p + 0x7f, 0).unwrap(), [0x7f]);
    overflow(field(15, 1, p + 0x80, 0), "R_X86_64_PC8");
}

#[test]
fn size_relocations() {
    let mut b = Builder::default();
    let data = b.section(".data", DATA, &[0; 16], 8);
    let obj = b.symbol("obj", data, 0, GLOBAL_OBJECT);
    b.symbols[obj as usize - 1].size = 0x30;
    b.reloc(data, 0, obj, 32, 2);
    b.reloc(data, 8, obj, 33, -1);
    let image = run(&b, &[]).unwrap();
    let d = bytes_of(&image, ".data");
    assert_eq!(d[..4], 0x32u32.to_le_bytes());
    assert_eq!(d[8..16], 0x2fu64.to_le_bytes());
}

/// Text: `call x` at 0, `jmp x` at 5, `mov x(%rip),%eax` at 10, `call y`
/// (PC32 on a call) at 16; x, y imports.
fn calls(x_type: u32) -> Builder {
    let mut b = Builder::default();
    let code = [
        0xe8, 0, 0, 0, 0, // call x
        0xe9, 0, 0, 0, 0, // jmp x
        0x8b, 0x05, 0, 0, 0, 0, // mov x(%rip),%eax
        0xe8, 0, 0, 0, 0, // call y (PC32)
        0xc3,
    ];
    let text = b.section(".text", TEXT, &code, 16);
    let x = b.undefined("x");
    let y = b.undefined("y");
    b.reloc(text, 1, x, x_type, -4);
    b.reloc(text, 6, x, x_type, -4);
    b.reloc(text, 17, y, 2, -4);
    b
}

fn rel32(code: &[u8], at: usize) -> u64 {
    i64::from(i32::from_le_bytes(code[at..at + 4].try_into().unwrap())) as u64
}

#[test]
fn near_calls_stay_direct() {
    let image = run(&calls(4), &[("x", NEAR), ("y", NEAR + 64)]).unwrap();
    let text = bytes_of(&image, ".text");
    assert_eq!(BASE.wrapping_add(5).wrapping_add(rel32(text, 1)), NEAR);
    assert_eq!(BASE.wrapping_add(10).wrapping_add(rel32(text, 6)), NEAR);
    assert_eq!(
        BASE.wrapping_add(21).wrapping_add(rel32(text, 17)),
        NEAR + 64
    );
    // One PLT entry per distinct call target, even when unused: x, y.
    assert_eq!(image.section(".modload.plt").unwrap().size, 32);
}

#[test]
fn far_calls_go_through_the_plt() {
    let image = run(&calls(4), &[("x", FAR), ("y", FAR + 0x100)]).unwrap();
    let text = bytes_of(&image, ".text");
    let plt = image.section(".modload.plt").unwrap().clone();
    assert!(plt.address.is_multiple_of(4096));
    let pltb = bytes_of(&image, ".modload.plt");
    let target_of = |entry: u64| -> u64 {
        let at = (entry - plt.address) as usize;
        // jmp *0(%rip) and the 8-byte target right after it.
        assert_eq!(pltb[at..at + 6], [0xff, 0x25, 0, 0, 0, 0]);
        u64::from_le_bytes(pltb[at + 6..at + 14].try_into().unwrap())
    };
    let call_x = BASE.wrapping_add(5).wrapping_add(rel32(text, 1));
    let jmp_x = BASE.wrapping_add(10).wrapping_add(rel32(text, 6));
    let call_y = BASE.wrapping_add(21).wrapping_add(rel32(text, 17));
    assert_eq!(call_x, jmp_x, "one entry per target");
    assert_eq!(target_of(call_x), FAR);
    assert_eq!(target_of(call_y), FAR + 0x100);
    assert_ne!(call_x, call_y);
}

#[test]
fn far_data_is_never_redirected() {
    let mut b = calls(4);
    b.reloc(1, 12, 1, 2, -4); // mov x(%rip): PC32, not a branch
    match run(&b, &[("x", FAR), ("y", NEAR)]) {
        Err(e @ Error::RelocationOverflow { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("R_X86_64_PC32") && msg.contains("`x`") && msg.contains(".text+0xc"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn got_entries_hold_their_targets() {
    // mov x@GOTPCREL(%rip), %rax (REX_GOTPCRELX), twice; GOTPC32 at the end.
    let code = [
        0x48, 0x8b, 0x05, 0, 0, 0, 0, 0x48, 0x8b, 0x05, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut b = Builder::default();
    let text = b.section(".text", TEXT, &code, 16);
    let x = b.undefined("x");
    let got = b.undefined("_GLOBAL_OFFSET_TABLE_");
    b.reloc(text, 3, x, 42, -4);
    b.reloc(text, 10, x, 9, -4);
    b.reloc(text, 14, got, 26, 0);
    let image = run(&b, &[("x", FAR)]).unwrap();
    let t = bytes_of(&image, ".text");
    let g = image.section(".modload.got").unwrap().clone();
    assert_eq!(g.size, 8, "one entry for x");
    let gb = bytes_of(&image, ".modload.got");
    assert_eq!(gb[..8], FAR.to_le_bytes());
    assert_eq!(BASE.wrapping_add(7).wrapping_add(rel32(t, 3)), g.address);
    assert_eq!(BASE.wrapping_add(14).wrapping_add(rel32(t, 10)), g.address);
    assert_eq!(BASE.wrapping_add(14).wrapping_add(rel32(t, 14)), g.address);
}

#[test]
fn weak_imports_are_zero_and_strong_ones_are_all_named() {
    let mut b = Builder::default();
    let data = b.section(".data", DATA, &[0; 24], 8);
    let w = b.symbol("maybe", 0, 0, WEAK_NOTYPE);
    b.reloc(data, 0, w, 1, 7);
    let image = run(&b, &[]).unwrap();
    assert_eq!(bytes_of(&image, ".data")[..8], 7u64.to_le_bytes());
    // Every unresolved strong import is named, used or not (as the kernel
    // checks every undefined symbol).
    b.undefined("missing_a");
    b.undefined("missing_b");
    match run(&b, &[]) {
        Err(Error::UnknownSymbols(names)) => assert_eq!(names, ["missing_a", "missing_b"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unloaded_sections_are_not_relocated() {
    let mut b = Builder::default();
    b.section(".text", TEXT, &[0xc3], 1);
    let debug = b.section(".debug_info", 0, &[0; 8], 1);
    let x = b.undefined("x");
    // A type the engine refuses, and an offset past the section: skipped.
    b.reloc(debug, 100, x, 23, 0);
    run(&b, &[("x", NEAR)]).unwrap();
}

#[test]
fn refused_types_are_named() {
    for (t, name) in [
        (23u32, "R_X86_64_TPOFF32"),
        (7, "R_X86_64_JUMP_SLOT"),
        (250, "unknown"),
    ] {
        let mut b = Builder::default();
        let data = b.section(".data", DATA, &[0; 8], 8);
        let x = b.undefined("x");
        b.reloc(data, 0, x, t, 0);
        match run(&b, &[("x", NEAR)]) {
            Err(e @ Error::UnsupportedRelocation { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(name) && msg.contains("`x`") && msg.contains(".data+0x0"),
                    "{msg}"
                );
                assert_eq!(e.errno(), libc::ENOEXEC);
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn symbols_of_unloaded_sections_fail_only_when_used() {
    let mut b = Builder::default();
    let data = b.section(".data", DATA, &[0; 8], 8);
    let note = b.section(".comment", 0, b"gcc\0", 1);
    let s = b.symbol("in_comment", note, 0, GLOBAL_OBJECT);
    run(&b, &[]).unwrap();
    b.reloc(data, 0, s, 1, 0);
    match run(&b, &[]) {
        Err(Error::SymbolNotLoaded { target, .. }) => assert_eq!(target, ".comment"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rel_entries_are_refused_on_x86_64() {
    // Two RELA entries (48 bytes) reread as three REL entries (16 bytes).
    let mut b = Builder::default();
    let data = b.section(".data", DATA, &[0; 16], 8);
    let x = b.undefined("x");
    b.reloc(data, 0, x, 1, 0);
    b.reloc(data, 8, x, 1, 0);
    let mut bytes = b.build();
    let rela = shdr(&bytes, 2);
    bytes[rela + 4..rela + 8].copy_from_slice(&9u32.to_le_bytes()); // SHT_REL
    let obj = parse(&bytes).unwrap();
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    match relocate(&obj, &lay, BASE, &mut |_: &str| Some(NEAR)) {
        Err(Error::UnsupportedRelocation { site }) => assert_eq!(site.section, ".data"),
        other => panic!("{other:?}"),
    }
}

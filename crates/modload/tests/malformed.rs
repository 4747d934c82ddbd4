//! Malformed inputs give typed errors, never a panic: truncation, wrong
//! class/endianness/type/machine, bad indices, relocations outside their
//! section, huge sizes and alignments, common symbols; and random damage
//! to real modules through `fuzz_load`.

mod common;

use common::elf::*;
use modload::{fuzz_load, layout, parse, relocate, Error, LayoutOptions};

const BASE: u64 = 0xffff_ffff_c000_0000;

/// A small valid object: text calling an import, data pointing at text.
fn valid() -> Builder {
    let mut b = Builder::default();
    let text = b.section(".text", TEXT, &[0xe8, 0, 0, 0, 0, 0xc3], 16);
    let data = b.section(".data", DATA, &[0; 16], 8);
    let f = b.symbol("f", text, 0, GLOBAL_FUNC);
    let ext = b.undefined("ext");
    b.reloc(text, 1, ext, 4, -4);
    b.reloc(data, 0, f, 1, 0);
    b
}

fn load(bytes: &[u8]) -> Result<modload::Image, Error> {
    let obj = parse(bytes)?;
    let lay = layout(&obj, &mut LayoutOptions::new())?;
    relocate(&obj, &lay, BASE, &mut |_: &str| Some(0xffff_ffff_8100_0000))
}

fn malformed(r: Result<modload::Image, Error>) -> String {
    match r {
        Err(e @ Error::Malformed { .. }) => {
            assert_eq!(e.errno(), libc::ENOEXEC);
            e.to_string()
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn the_valid_object_loads() {
    let image = load(&valid().build()).unwrap();
    let data = image.section(".data").unwrap();
    let bytes = image.section_bytes(data).unwrap();
    assert_eq!(bytes[..8], BASE.to_le_bytes());
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = valid().build();
    for len in 0..bytes.len() {
        assert!(load(&bytes[..len]).is_err(), "prefix of {len} bytes loaded");
        assert!(fuzz_load(&bytes[..len]).is_err());
    }
}

#[test]
fn not_elf_class_endianness() {
    assert!(malformed(load(b"")).contains("not an ELF"));
    assert!(malformed(load(b"MZ\x90\x00")).contains("not an ELF"));
    let mut b = valid().build();
    b[4] = 1; // ELFCLASS32
    assert!(malformed(load(&b)).contains("64-bit little-endian"));
    let mut b = valid().build();
    b[5] = 2; // big-endian
    assert!(malformed(load(&b)).contains("64-bit little-endian"));
}

#[test]
fn wrong_type_and_machine() {
    let mut b = valid();
    b.e_type = 3; // ET_DYN
    match load(&b.build()) {
        Err(e @ Error::NotRelocatable { e_type: 3 }) => assert_eq!(e.errno(), libc::ENOEXEC),
        other => panic!("{other:?}"),
    }
    let mut b = valid();
    b.machine = 40; // EM_ARM: no engine (a 32-bit machine in an ELF64 file)
    match load(&b.build()) {
        Err(e @ Error::WrongMachine { machine: 40 }) => assert_eq!(e.errno(), libc::ENOEXEC),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_section_indices() {
    // A symbol in a section that does not exist.
    let mut b = valid();
    b.symbol("lost", 200, 0, GLOBAL_OBJECT);
    assert!(malformed(load(&b.build())).contains("out of range"));
    // A reserved section index other than ABS/COMMON/XINDEX.
    let mut b = valid();
    b.symbol("odd", 0xff10, 0, GLOBAL_OBJECT);
    assert!(malformed(load(&b.build())).contains("reserved"));
    // A relocation section patching a section that does not exist.
    let bytes = valid().build();
    let mut b = bytes.clone();
    let rela = shdr(&b, 3); // .rela.text
    b[rela + 44..rela + 48].copy_from_slice(&99u32.to_le_bytes());
    assert!(malformed(load(&b)).contains("does not exist"));
    // e_shstrndx out of range.
    let mut b = bytes.clone();
    b[62..64].copy_from_slice(&77u16.to_le_bytes());
    malformed(load(&b));
    // Section headers past the end of the file.
    let mut b = bytes;
    b[40..48].copy_from_slice(&(1u64 << 40).to_le_bytes());
    malformed(load(&b));
}

#[test]
fn relocation_symbol_out_of_range() {
    let mut b = valid();
    b.reloc(1, 0, 1000, 1, 0);
    assert!(malformed(load(&b.build())).contains("symbol index 1000"));
}

#[test]
fn relocation_outside_its_section() {
    for (offset, r_type) in [(6u64, 1u32), (3, 2), (u64::MAX - 2, 10), (1 << 40, 1)] {
        let mut b = valid();
        b.reloc(1, offset, 1, r_type, 0);
        match load(&b.build()) {
            Err(e @ Error::RelocationOutOfSection { .. }) => {
                assert_eq!(e.errno(), libc::ENOEXEC);
                assert!(e.to_string().contains(".text"), "{e}");
            }
            other => panic!("offset {offset:#x}: {other:?}"),
        }
    }
}

#[test]
fn section_data_past_the_end() {
    let mut b = valid().build();
    let text = shdr(&b, 1);
    b[text + 32..text + 40].copy_from_slice(&(1u64 << 20).to_le_bytes());
    assert!(malformed(load(&b)).contains("past the end"));
}

#[test]
fn huge_sizes_and_alignments() {
    let mut b = valid();
    b.bss(".bss", 1 << 40, 8);
    match load(&b.build()) {
        Err(e @ Error::TooLarge { .. }) => assert_eq!(e.errno(), libc::ENOMEM),
        other => panic!("{other:?}"),
    }
    // Many sections each under the limit, together over it.
    let mut b = valid();
    for i in 0..3 {
        b.bss(&format!(".bss.{i}"), 400 << 20, 8);
    }
    assert!(matches!(load(&b.build()), Err(Error::TooLarge { .. })));
    let mut b = valid();
    b.bss(".bss", 16, 1 << 40);
    assert!(matches!(load(&b.build()), Err(Error::TooLarge { .. })));
    let mut b = valid();
    b.bss(".bss", 16, 24);
    assert!(malformed(load(&b.build())).contains("power of two"));
    // Fuzzing caps the image much lower.
    let mut b = valid();
    b.bss(".bss", 64 << 20, 8);
    assert!(matches!(fuzz_load(&b.build()), Err(Error::TooLarge { .. })));
}

#[test]
fn common_symbols_are_refused() {
    let mut b = valid();
    b.symbol("shared", 0xfff2, 8, GLOBAL_OBJECT);
    match load(&b.build()) {
        Err(e @ Error::CommonSymbol { .. }) => {
            assert!(e.to_string().contains("shared") && e.to_string().contains("-fno-common"));
            assert_eq!(e.errno(), libc::ENOEXEC);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stripped_objects_are_refused() {
    // No symbol table: the symtab's type becomes PROGBITS.
    let mut b = Builder::default();
    b.section(".text", TEXT, &[0xc3], 1);
    let mut bytes = b.build();
    let symtab = shdr(&bytes, 2);
    bytes[symtab + 4..symtab + 8].copy_from_slice(&1u32.to_le_bytes());
    assert!(malformed(load(&bytes)).contains("no symbol table"));
}

#[test]
fn misaligned_base() {
    let bytes = valid().build();
    let obj = parse(&bytes).unwrap();
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    match relocate(&obj, &lay, BASE + 0x10, &mut |_: &str| Some(0)) {
        Err(e @ Error::BadBase { .. }) => assert_eq!(e.errno(), libc::EINVAL),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        relocate(&obj, &lay, !0xfffu64, &mut |_: &str| Some(0)),
        Err(Error::BadBase { .. })
    ));
}

/// Deterministic damage to real modules: byte flips, 64-bit field smashes
/// and truncations; `fuzz_load` must return, whatever it returns.
#[test]
fn damaged_modules_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/kernel/6.1.0-56-amd64");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut loaded = 0;
    let mut tried = 0;
    for name in ["khello.ko", "square.ko", "test_square.ko"] {
        let orig = std::fs::read(dir.join(name)).unwrap();
        assert!(fuzz_load(&orig).is_ok(), "{name} itself fails");
        for _ in 0..700 {
            let mut b = orig.clone();
            match next() % 3 {
                0 => {
                    for _ in 0..(1 + next() % 4) {
                        let i = (next() % b.len() as u64) as usize;
                        b[i] ^= 1 << (next() % 8);
                    }
                }
                1 => {
                    let i = (next() % (b.len() as u64 - 8)) as usize;
                    let v = [0, u64::MAX, 1 << 63, 0x7fff_ffff, 1 << 40][(next() % 5) as usize];
                    b[i..i + 8].copy_from_slice(&v.to_le_bytes());
                }
                _ => b.truncate((next() % b.len() as u64) as usize),
            }
            tried += 1;
            if fuzz_load(&b).is_ok() {
                loaded += 1;
            }
        }
    }
    // Most damage is harmless (padding, strings, code bytes); some is not.
    assert!(loaded > 0 && loaded < tried, "{loaded} of {tried} loaded");
}

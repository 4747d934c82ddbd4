//! The layout rule, checked on crafted objects: groups by flags alone
//! (text, rodata, data, bss), each on the next 4096-byte boundary, sections
//! in header order at multiples of their alignment, loader sections after;
//! the per-CPU hook.

mod common;

use common::elf::*;
use modload::{layout, parse, relocate, LayoutOptions, Placement, SectionKind};

fn offset(lay: &modload::Layout, index: u16) -> u64 {
    match lay.placement(index as usize) {
        Placement::Image { offset, .. } => offset,
        other => panic!("section {index}: {other:?}"),
    }
}

#[test]
fn groups_by_flags_in_header_order() {
    let mut b = Builder::default();
    // Interleaved groups and misleading names: names play no part.
    let d1 = b.section(".text.not", DATA, &[1; 3], 1);
    let t1 = b.section(".data.not", TEXT, &[2; 5], 4);
    let r1 = b.section(".rodata", RODATA, &[3; 4097], 8);
    let z = b.bss(".bss", 10, 64);
    let t2 = b.section(".init.text", TEXT, &[4; 7], 16);
    let d2 = b.section(".gnu.linkonce.this_module", DATA, &[5; 9], 64);
    let empty = b.section(".empty", TEXT, &[], 1);
    let r2 = b.section("__ksymtab_strings", RODATA, &[6; 2], 1);
    let wx = b.section(".wx", TEXT | SHF_WRITE, &[7; 1], 1);
    let nobits_x = b.bss(".tbss.like", 3, 4);
    b.sections[nobits_x as usize - 1].flags |= SHF_EXECINSTR;
    let nonalloc = b.section(".comment", 0, b"x", 1);
    let bytes = b.build();
    let obj = parse(&bytes).unwrap();
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();

    // text: .data.not (0), .init.text (16), .wx (23)
    assert_eq!(offset(&lay, t1), 0);
    assert_eq!(offset(&lay, t2), 16);
    assert_eq!(offset(&lay, wx), 23);
    // rodata on the next page: .rodata (0x1000, 4097 bytes), then ksymtab strings.
    assert_eq!(offset(&lay, r1), 0x1000);
    assert_eq!(offset(&lay, r2), 0x1000 + 4097);
    // data on the next page after rodata's end (0x2003): 0x3000.
    assert_eq!(offset(&lay, d1), 0x3000);
    assert_eq!(offset(&lay, d2), 0x3040);
    // bss: .bss (align 64) then the executable NOBITS one (NOBITS wins).
    assert_eq!(offset(&lay, z), 0x4000);
    assert_eq!(offset(&lay, nobits_x), 0x400c);
    assert_eq!(lay.placement(nonalloc as usize), Placement::NotLoaded);
    // An empty section takes no space but has an address in its group.
    assert!(matches!(
        lay.placement(empty as usize),
        Placement::Image {
            kind: SectionKind::Text,
            ..
        }
    ));
    let kinds: Vec<_> = lay.segments().iter().map(|s| (s.kind, s.offset)).collect();
    assert_eq!(
        kinds,
        [
            (SectionKind::Text, 0),
            (SectionKind::Rodata, 0x1000),
            (SectionKind::Data, 0x3000),
            (SectionKind::Bss, 0x4000)
        ]
    );
    assert_eq!(lay.size(), 0x400f);
    assert_eq!(lay.align(), 4096);
}

#[test]
fn loader_sections_follow_on_their_own_pages() {
    let mut b = Builder::default();
    let text = b.section(
        ".text",
        TEXT,
        &[0xe8, 0, 0, 0, 0, 0x48, 0x8b, 0x05, 0, 0, 0, 0],
        16,
    );
    b.bss(".bss", 0x10, 8);
    let f = b.undefined("f");
    let g = b.undefined("g");
    b.reloc(text, 1, f, 4, -4);
    b.reloc(text, 8, g, 42, -4);
    let bytes = b.build();
    let obj = parse(&bytes).unwrap();
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    let extras: Vec<_> = lay
        .loader_sections()
        .iter()
        .map(|x| (x.name, x.kind, x.offset, x.size))
        .collect();
    assert_eq!(
        extras,
        [
            (".modload.plt", SectionKind::Plt, 0x2000, 16),
            (".modload.got", SectionKind::Got, 0x3000, 8)
        ]
    );
    assert_eq!(SectionKind::Plt.protection(), modload::Protection::ReadExec);
    assert_eq!(SectionKind::Got.protection(), modload::Protection::Read);
}

#[test]
fn alignment_above_a_page_raises_the_base_alignment() {
    let mut b = Builder::default();
    b.section(".text", TEXT, &[0xc3], 1);
    let big = b.section(".data", DATA, &[0; 8], 0x10000);
    let bytes = b.build();
    let obj = parse(&bytes).unwrap();
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    assert_eq!(lay.align(), 0x10000);
    assert_eq!(offset(&lay, big), 0x10000);
}

#[test]
fn percpu_section_goes_through_the_hook() {
    let mut b = Builder::default();
    let text = b.section(".text", TEXT, &[0; 8], 16);
    let pcpu = b.section(".data..percpu", DATA, &[1, 2, 3, 4, 0, 0, 0, 0], 8);
    let var = b.symbol("pcpu_var", pcpu, 4, GLOBAL_OBJECT);
    b.reloc(text, 0, var, 1, 0);
    // A relocation patching the per-CPU section is skipped, as the kernel does.
    b.reloc(pcpu, 100, var, 250, 0);
    let bytes = b.build();
    let obj = parse(&bytes).unwrap();
    let mut seen = Vec::new();
    let mut opts = LayoutOptions::new().percpu(|s| {
        seen.push((s.name.to_string(), s.size, s.align, s.init.to_vec()));
        Some(0x5000)
    });
    let lay = layout(&obj, &mut opts).unwrap();
    drop(opts);
    assert_eq!(
        seen,
        [(
            ".data..percpu".to_string(),
            8,
            8,
            vec![1, 2, 3, 4, 0, 0, 0, 0]
        )]
    );
    assert_eq!(
        lay.placement(pcpu as usize),
        Placement::External { address: 0x5000 }
    );
    let image = relocate(&obj, &lay, 0x10_0000, &mut |_: &str| None).unwrap();
    let t = image
        .section_bytes(image.section(".text").unwrap())
        .unwrap();
    assert_eq!(t, 0x5004u64.to_le_bytes());
    assert_eq!(image.symbol("pcpu_var").unwrap().address, 0x5004);
    let p = image.section(".data..percpu").unwrap();
    assert!(!p.in_image && p.address == 0x5000);
    assert_eq!(image.size(), 8, "the per-CPU section is not in the image");

    // Without the hook it is ordinary data (the rule is by flags).
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    assert!(matches!(
        lay.placement(pcpu as usize),
        Placement::Image {
            kind: SectionKind::Data,
            ..
        }
    ));
    // A hook that cannot place it fails the load.
    let mut refuse = LayoutOptions::new().percpu(|_| None);
    assert!(matches!(
        layout(&obj, &mut refuse),
        Err(modload::Error::ExternalRefused { .. })
    ));
}

#[test]
fn own_symbols_and_sections_are_looked_up() {
    let mut b = Builder::default();
    let text = b.section(".text", TEXT, &[0xc3; 32], 16);
    let this = b.section(".gnu.linkonce.this_module", DATA, &[0; 64], 64);
    b.symbol("helper", text, 16, 0x02); // local function
    b.symbol("helper", text, 8, GLOBAL_FUNC); // global of the same name wins
    b.symbol("__this_module", this, 0, GLOBAL_OBJECT);
    let bytes = b.build();
    let obj = parse(&bytes).unwrap();
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    let image = relocate(&obj, &lay, 0x4000_0000, &mut |_: &str| None).unwrap();
    assert_eq!(image.symbol("helper").unwrap().address, 0x4000_0008);
    assert_eq!(image.symbol("__this_module").unwrap().address, 0x4000_1000);
    assert_eq!(
        image.section(".gnu.linkonce.this_module").unwrap().address,
        0x4000_1000
    );
    assert_eq!(
        image.section_by_index(this as usize).unwrap().name,
        ".gnu.linkonce.this_module"
    );
}

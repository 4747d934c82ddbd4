//! Byte-for-byte comparison with GNU ld. Each object of the corpus (C and
//! assembler under tests/corpus, compiled here by gcc with kbuild's module
//! flags at -O0 and -O2, with and without -ffunction-sections, and -fpic for
//! GOT relocations) and each sample module of testdata/kernel is relocated
//! by modload at a base address with chosen addresses for its imports; ld
//! links the same object with a generated script placing every section at
//! the address modload gave it (the imports assigned in it), and each
//! section's bytes are compared.
//!
//! What is not compared byte for byte, and how it is checked instead:
//! * fields of GOT relocations (`GOTPCREL`, `GOTPCRELX`, `REX_GOTPCRELX`):
//!   the GOTs lie at different addresses, so each field is followed into
//!   its GOT (ours, ld's) and the two entries must hold the same target;
//! * the loader's own PLT and GOT sections (ld has its own, elsewhere).
//!
//! ld runs with `--no-relax` so it keeps GOT loads as modload does, and
//! links a copy of the object whose `SHF_MERGE` flags are cleared: ld would
//! merge duplicate strings (and suffixes), which the kernel's loader and
//! modload never do; and `.note.gnu.build-id` is renamed in that copy
//! (same length) since ld drops the input one to make its own.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use object::read::elf::ElfFile64;
use object::{LittleEndian, Object as _, ObjectSection as _};

use common::{cc, corpus, run, tmpdir, KERNEL_FLAGS};
use modload::{layout, parse, relocate, x86_64_reloc as r, Image, LayoutOptions};

#[derive(Clone, Copy, Debug)]
enum Model {
    /// `-mcmodel=kernel`: image in the top 2 GiB, imports near the kernel.
    Kernel,
    /// `-fpic`: image and imports low.
    Pic,
}

impl Model {
    fn base(self) -> u64 {
        match self {
            Model::Kernel => 0xffff_ffff_c000_0000,
            Model::Pic => 0x1000_0000,
        }
    }
    fn imports(self) -> u64 {
        match self {
            Model::Kernel => 0xffff_ffff_8100_0000,
            Model::Pic => 0x2000_0000,
        }
    }
}

/// The address an import is bound to: `small_<hex>` to that value, the
/// others one after the other near the image.
fn import_addresses(names: &[String], model: Model) -> BTreeMap<String, u64> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let a = n
                .strip_prefix("small_")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .unwrap_or(model.imports() + 0x40 * i as u64);
            (n.clone(), a)
        })
        .collect()
}

#[derive(Default, Debug)]
struct Stats {
    sections: usize,
    bytes: usize,
    got_fields: usize,
}

fn read_i32(bytes: &[u8], at: usize) -> i64 {
    i64::from(i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()))
}

/// The 8 bytes at `addr` in ld's output.
fn ld_u64(elf: &ElfFile64<'_, LittleEndian>, addr: u64) -> u64 {
    for s in elf.sections() {
        if s.address() <= addr && addr + 8 <= s.address() + s.size() {
            let data = s.data().unwrap();
            let at = (addr - s.address()) as usize;
            return u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
        }
    }
    panic!("ld output has nothing at {addr:#x}");
}

fn our_u64(image: &Image, addr: u64) -> u64 {
    let at = (addr - image.base()) as usize;
    u64::from_le_bytes(image.bytes()[at..at + 8].try_into().unwrap())
}

/// What `.note.gnu.build-id` is called in the copy ld links.
const LD_BUILD_ID: &[u8] = b".note.gnu.build-iX\0";

fn ld_name(name: &str) -> &str {
    if name == ".note.gnu.build-id" {
        ".note.gnu.build-iX"
    } else {
        name
    }
}

/// A copy of an ELF64 object with `SHF_MERGE` and `SHF_STRINGS` cleared in
/// every section header.
fn without_merge(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let shoff = u64_at(bytes, 0x28) as usize;
    let shentsize = u16::from_le_bytes([bytes[0x3a], bytes[0x3b]]) as usize;
    let shnum = u16::from_le_bytes([bytes[0x3c], bytes[0x3d]]) as usize;
    let rename = b".note.gnu.build-id\0";
    if let Some(at) = out.windows(rename.len()).position(|w| w == rename) {
        out[at..at + rename.len()].copy_from_slice(LD_BUILD_ID);
    }
    for i in 0..shnum {
        let at = shoff + i * shentsize + 8;
        let flags =
            u64_at(&out, at) & !u64::from(object::elf::SHF_MERGE | object::elf::SHF_STRINGS);
        out[at..at + 8].copy_from_slice(&flags.to_le_bytes());
    }
    out
}

fn compare(obj_path: &Path, model: Model, work: &Path) -> Stats {
    let label = obj_path.display().to_string();
    let bytes = std::fs::read(obj_path).unwrap();
    let obj = parse(&bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    let mut names: Vec<String> = obj
        .symbols()
        .iter()
        .filter(|s| s.index != 0 && s.is_undefined() && s.name != "_GLOBAL_OFFSET_TABLE_")
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names.dedup();
    let imports = import_addresses(&names, model);
    let image = relocate(&obj, &lay, model.base(), &mut |n: &str| {
        imports.get(n).copied()
    })
    .unwrap_or_else(|e| panic!("{label}: {e}"));

    // Section names must be unique for the script to place each one.
    let placed: Vec<_> = image
        .sections()
        .iter()
        .filter(|s| s.index.is_some() && s.in_image)
        .collect();
    for s in &placed {
        let same = obj.sections().iter().filter(|o| o.name == s.name).count();
        assert_eq!(same, 1, "{label}: section name {} is not unique", s.name);
    }
    let end = image.base() + image.size();
    // Imports are assigned in the script, names quoted (some, such as
    // `edd`, are not accepted by --defsym).
    let mut script = String::new();
    for (n, a) in &imports {
        script.push_str(&format!("\"{n}\" = {a:#x};\n"));
    }
    script.push_str("SECTIONS\n{\n");
    for s in &placed {
        let n = ld_name(&s.name);
        script.push_str(&format!("  {n} {:#x} : {{ *({n}) }}\n", s.address));
    }
    script.push_str(&format!(
        "  .got {:#x} : {{ *(.got) *(.igot) }}\n  .got.plt : {{ *(.got.plt) *(.igot.plt) }}\n  \
         .plt : {{ *(.plt) *(.iplt) *(.plt.got) }}\n  /DISCARD/ : {{ *(.note.GNU-stack) *(.comment) }}\n}}\n",
        (end + 0x10_0000) & !0xfff
    ));
    let stem = obj_path.file_name().unwrap().to_string_lossy().into_owned();
    let script_path = work.join(format!("{stem}.lds"));
    std::fs::write(&script_path, &script).unwrap();
    let out = work.join(format!("{stem}.ld-out"));
    let mut ld = Command::new("ld");
    ld.args([
        "--no-relax",
        "-static",
        "-nostdlib",
        "-z",
        "noexecstack",
        "-z",
        "norelro",
    ])
    .args(["--build-id=none", "-e", "0", "--no-warn-rwx-segments", "-T"])
    .arg(&script_path)
    .arg("-o")
    .arg(&out);
    let unmerged = work.join(format!("{stem}.nomerge.o"));
    std::fs::write(&unmerged, without_merge(&bytes)).unwrap();
    ld.arg(&unmerged);
    run(&mut ld);
    let ld_bytes = std::fs::read(&out).unwrap();
    let elf = ElfFile64::<LittleEndian>::parse(&*ld_bytes).unwrap();

    // The GOT fields of each section: offset -> addend.
    let mut got_fields: BTreeMap<usize, Vec<(usize, i64)>> = BTreeMap::new();
    for rs in obj.reloc_sections() {
        for rel in obj.relocations(rs) {
            let rel = rel.unwrap();
            if matches!(rel.r_type, r::GOTPCREL | r::GOTPCRELX | r::REX_GOTPCRELX) {
                got_fields
                    .entry(rs.target)
                    .or_default()
                    .push((rel.offset as usize, rel.addend.unwrap_or(0)));
            }
        }
    }

    let mut stats = Stats::default();
    for s in &placed {
        if s.size == 0 {
            continue;
        }
        let theirs = elf
            .section_by_name(ld_name(&s.name))
            .unwrap_or_else(|| panic!("{label}: ld output lacks {}", s.name));
        assert_eq!(theirs.address(), s.address, "{label}: {} address", s.name);
        assert_eq!(theirs.size(), s.size, "{label}: {} size", s.name);
        let ours = image.section_bytes(s).unwrap();
        let index = s.index.unwrap();
        if obj.section(index).unwrap().sh_type == object::elf::SHT_NOBITS {
            assert!(ours.iter().all(|&b| b == 0), "{label}: {} not zero", s.name);
            stats.sections += 1;
            continue;
        }
        let mut theirs = theirs.data().unwrap().to_vec();
        let mut ours = ours.to_vec();
        for &(off, addend) in got_fields.get(&index).map_or(&[][..], |v| v) {
            let place = s.address + off as u64;
            let our_entry = place
                .wrapping_add(read_i32(&ours, off) as u64)
                .wrapping_sub(addend as u64);
            let ld_entry = place
                .wrapping_add(read_i32(&theirs, off) as u64)
                .wrapping_sub(addend as u64);
            assert_eq!(
                our_u64(&image, our_entry),
                ld_u64(&elf, ld_entry),
                "{label}: GOT field at {}+{off:#x} leads to different targets",
                s.name
            );
            ours[off..off + 4].fill(0);
            theirs[off..off + 4].fill(0);
            stats.got_fields += 1;
        }
        if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
            panic!(
                "{label}: {} differs from ld at offset {i:#x}: ours {:02x?}, ld {:02x?}",
                s.name,
                &ours[i..(i + 8).min(ours.len())],
                &theirs[i..(i + 8).min(theirs.len())]
            );
        }
        stats.sections += 1;
        stats.bytes += ours.len();
    }
    stats
}

fn corpus_objects(dir: &Path) -> Vec<(PathBuf, Model)> {
    let mut objects = Vec::new();
    let kernel_variants: [&[&str]; 3] = [
        &["-O0"],
        &["-O2"],
        &["-O2", "-ffunction-sections", "-fdata-sections"],
    ];
    for src in ["calls.c", "data.c", "switch.c"] {
        for (i, extra) in kernel_variants.iter().enumerate() {
            let out = dir.join(format!("{src}.kernel{i}.o"));
            let flags: Vec<&str> = KERNEL_FLAGS.iter().chain(extra.iter()).copied().collect();
            cc(&corpus(src), &flags, &out);
            objects.push((out, Model::Kernel));
        }
        for (i, opt) in ["-O0", "-O2"].iter().enumerate() {
            let out = dir.join(format!("{src}.pic{i}.o"));
            cc(
                &corpus(src),
                &[
                    opt,
                    "-fpic",
                    "-fno-common",
                    "-fno-asynchronous-unwind-tables",
                ],
                &out,
            );
            objects.push((out, Model::Pic));
        }
    }
    let out = dir.join("relocs.o");
    cc(&corpus("relocs.S"), KERNEL_FLAGS, &out);
    objects.push((out, Model::Kernel));
    objects
}

#[test]
fn same_bytes_as_ld() {
    let work = tmpdir("ld-compare");
    let mut objects = corpus_objects(&work);
    let samples =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kernel/6.1.0-56-amd64");
    let mut kos: Vec<PathBuf> = std::fs::read_dir(&samples)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ko"))
        .collect();
    kos.sort();
    assert!(kos.len() >= 5, "sample modules missing");
    objects.extend(kos.into_iter().map(|k| (k, Model::Kernel)));
    let mut total = Stats::default();
    for (path, model) in &objects {
        let s = compare(path, *model, &work);
        println!("{}: {s:?}", path.file_name().unwrap().to_string_lossy());
        total.sections += s.sections;
        total.bytes += s.bytes;
        total.got_fields += s.got_fields;
    }
    println!("{} objects compared with ld: {total:?}", objects.len());
    assert!(total.got_fields > 0, "no GOT relocation was compared");
}

/// Debian's own modules of the installed kernel, every 10th in path order
/// (MODLOAD_LD_STEP=1: all of them, about 25 s): the same comparison with ld.
#[test]
fn debian_modules_same_bytes_as_ld() {
    let files = common::debian_modules("MODLOAD_LD_STEP", 10);
    let work = tmpdir("ld-compare-debian");
    let mut total = Stats::default();
    let mut n = 0;
    for f in &files {
        let s = compare(f, Model::Kernel, &work);
        total.sections += s.sections;
        total.bytes += s.bytes;
        n += 1;
    }
    println!("{n} Debian modules compared with ld: {total:?}");
}

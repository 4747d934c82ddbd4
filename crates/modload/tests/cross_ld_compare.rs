//! aarch64 and riscv64 against GNU ld, byte for byte. The corpus — the C
//! and assembler sources of tests/corpus (the assembler ones write out
//! every relocation type the compilers do not emit), the generated modules
//! of `common::gen` and the project's sample modules (with the shim
//! headers) — is compiled by Debian's cross gcc in each variant of
//! `Arch::variants` (-O0/-O2, sections, aarch64 large/tiny/pic/unwind
//! tables, riscv64 medany/medlow, relax/no-relax, pic, unwind tables).
//! modload relocates each object at a base address with chosen addresses
//! for its imports; the cross ld links the same object with a script
//! placing every section at the address modload gave it (`common::ld`),
//! and each section's bytes are compared. A sample of Debian's own modules
//! of each architecture is compared the same way.
//!
//! What is not compared byte for byte, and how it is checked instead:
//! * GOT loads (aarch64 `ADR_GOT_PAGE` + `LD64_GOT_LO12_NC`, riscv64
//!   `GOT_HI20` + its `PCREL_LO12_I`): the GOTs lie at different addresses,
//!   so each pair is decoded into the GOT entry it reaches (ours, ld's) and
//!   the two entries must hold the same value; only the immediate bits of
//!   the two instructions are then masked.
//! * aarch64 far calls (imports 1 GiB away, beyond `BL`'s ±128 MiB): ours
//!   go through `.modload.plt`, ld's through the stubs it appends to the
//!   calling section (so its section is longer: the part of our size is
//!   compared, ld runs with --no-check-sections). Each call is followed
//!   through its veneer or stub (both of ld's stub forms decoded) and must
//!   reach the same target, S + A; only the imm26 field is then masked.
//! * riscv64 far calls are not linked with ld at all: GNU ld has no
//!   long-branch stubs for RISC-V (a call beyond ±2 GiB is a link error).
//!   The PLT is checked by decoding here and by running (cross_exec.rs).
//! * riscv64 objects assembled for relaxation that carry `R_RISCV_ALIGN`:
//!   ld deletes bytes for them even with --no-relax; modload refuses them
//!   (`Error::NeedsRelaxation`, "rebuild with -mno-relax"), which is
//!   checked instead. Those without `ALIGN` are compared (`RELAX` is only
//!   a hint, and ld --no-relax ignores it as modload does).
//! * the loader's own PLT and GOT sections (ld has its own, elsewhere).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use object::read::elf::ElfFile64;
use object::{LittleEndian, Object as _, ObjectSection as _};

use common::cross::{self, Arch, Model, ARCHES};
use common::{corpus, gen, ld, tmpdir};
use modload::{
    aarch64_reloc as ar, layout, parse, relocate, riscv64_reloc as rr, Error, Image, LayoutOptions,
    SymbolPlace,
};

/// The image base and the first import address of a model.
fn addresses(arch: Arch, model: Model) -> (u64, u64) {
    match (arch, model) {
        // arm64's module area, imports 16 MiB below (within BL's reach).
        (Arch::Aarch64, Model::Near) => (0xffff_8000_0800_0000, 0xffff_8000_0700_0000),
        (Arch::Aarch64, Model::Tiny) => (0xffff_8000_0800_0000, 0xffff_8000_07f8_0000),
        // 1 GiB below: calls need veneers, ADRP still reaches.
        (Arch::Aarch64, Model::Far) => (0xffff_8000_4800_0000, 0xffff_8000_0800_0000),
        // riscv64's module area below the kernel, imports 1 GiB above.
        (Arch::Riscv64, Model::Near | Model::Tiny | Model::Far) => {
            (0xffff_ffff_4000_0000, 0xffff_ffff_8000_0000)
        }
        (_, Model::Low) => (0x4000_0000, 0x2000_0000),
    }
}

/// Imports: `small_<hex>` to that value, the others 0x40 apart from `start`.
fn import_addresses(names: &[String], start: u64) -> BTreeMap<String, u64> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let a = n
                .strip_prefix("small_")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .unwrap_or(start + 0x40 * i as u64);
            (n.clone(), a)
        })
        .collect()
}

#[derive(Default, Debug, Clone)]
struct Stats {
    objects: usize,
    sections: usize,
    bytes: usize,
    got_fields: usize,
    far_branches: usize,
    refused_align: usize,
    skipped: Vec<String>,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.objects += o.objects;
        self.sections += o.sections;
        self.bytes += o.bytes;
        self.got_fields += o.got_fields;
        self.far_branches += o.far_branches;
        self.refused_align += o.refused_align;
        self.skipped.extend(o.skipped.iter().cloned());
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn sext(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// The target of an ADR/ADRP at `p`.
fn adr_target(insn: u32, p: u64) -> u64 {
    let imm = sext(
        u64::from(((insn >> 5) & 0x7_ffff) << 2 | ((insn >> 29) & 3)),
        21,
    );
    if insn & 0x8000_0000 != 0 {
        (p & !0xfff).wrapping_add((imm << 12) as u64)
    } else {
        p.wrapping_add(imm as u64)
    }
}

/// The target of a B/BL at `p`.
fn b_target(insn: u32, p: u64) -> u64 {
    p.wrapping_add((sext(u64::from(insn & 0x03ff_ffff), 26) * 4) as u64)
}

/// Immediate bits of the instruction forms whose fields may differ.
const ADR_IMM: u32 = (3 << 29) | (0x7_ffff << 5);
const IMM12: u32 = 0xfff << 10;
const IMM26: u32 = 0x03ff_ffff;
const U_IMM: u32 = 0xffff_f000;
const I_IMM: u32 = 0xfff0_0000;

/// ld's output, read by address.
struct LdOut<'a> {
    elf: ElfFile64<'a, LittleEndian>,
}

impl LdOut<'_> {
    /// `len` bytes at `addr`, from the section named `prefer` when it holds
    /// them (with --no-check-sections, sections may overlap), else any.
    fn at(&self, addr: u64, len: u64, prefer: &str) -> Vec<u8> {
        let holds = |s: &object::read::elf::ElfSection64<'_, '_, LittleEndian>| {
            s.address() <= addr && addr + len <= s.address() + s.size()
        };
        let s = self
            .elf
            .sections()
            .find(|s| s.name() == Ok(prefer) && holds(s))
            .or_else(|| self.elf.sections().find(|s| holds(s) && s.address() != 0))
            .unwrap_or_else(|| panic!("ld output has nothing at {addr:#x}"));
        let at = (addr - s.address()) as usize;
        s.data().unwrap()[at..at + len as usize].to_vec()
    }
    fn u64_at(&self, addr: u64, prefer: &str) -> u64 {
        u64::from_le_bytes(self.at(addr, 8, prefer).try_into().unwrap())
    }
}

fn our_bytes(image: &Image, addr: u64, len: usize) -> &[u8] {
    let at = (addr - image.base()) as usize;
    &image.bytes()[at..at + len]
}

fn our_u64(image: &Image, addr: u64) -> u64 {
    u64::from_le_bytes(our_bytes(image, addr, 8).try_into().unwrap())
}

/// Where a far aarch64 call ends up: through our veneer (`ldr x16, #8; br
/// x16; .quad T`), ld's adrp stub (`adrp x16; add x16, x16, #lo; br x16`)
/// or ld's long stub (`ldr x16, 1f; adr x17, #0; add x16, x16, x17; br
/// x16; 1: .xword T - (stub + 4)`), or directly.
fn follow_ours(image: &Image, t: u64) -> u64 {
    let plt = image.section(".modload.plt");
    match plt {
        Some(p) if t >= p.address && t < p.address + p.size => {
            let b = our_bytes(image, t, 16);
            assert_eq!(u32_at(b, 0), 0x5800_0050, "not a veneer at {t:#x}");
            assert_eq!(u32_at(b, 4), 0xd61f_0200, "not a veneer at {t:#x}");
            u64::from_le_bytes(b[8..16].try_into().unwrap())
        }
        _ => t,
    }
}

fn follow_ld(out: &LdOut<'_>, t: u64, prefer: &str) -> u64 {
    let b = out.at(t, 16, prefer);
    let (w0, w1, w2, w3) = (u32_at(&b, 0), u32_at(&b, 4), u32_at(&b, 8), u32_at(&b, 12));
    if w0 == 0x5800_0090 && w1 == 0x1000_0011 && w2 == 0x8b11_0210 && w3 == 0xd61f_0200 {
        let lit = out.u64_at(t + 16, prefer) as i64;
        t.wrapping_add(4).wrapping_add(lit as u64)
    } else if w0 & 0x9f00_001f == 0x9000_0010
        && w1 & 0xffc0_03ff == 0x9100_0210
        && w2 == 0xd61f_0200
    {
        adr_target(w0, t).wrapping_add(u64::from((w1 >> 10) & 0xfff))
    } else {
        t
    }
}

fn has_reloc(obj: &modload::Object<'_>, r_type: u32) -> bool {
    obj.reloc_sections()
        .iter()
        .flat_map(|rs| obj.relocations(rs))
        .any(|r| r.is_ok_and(|r| r.r_type == r_type))
}

/// Relocate one object with modload, link it with ld, compare.
/// `strict`: duplicate section names fail (corpus) rather than skip (Debian).
fn compare(arch: Arch, path: &Path, model: Model, work: &Path, strict: bool) -> Stats {
    let label = path.display().to_string();
    let bytes = cross::module_bytes(path);
    let obj = parse(&bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(obj.machine(), arch.machine(), "{label}");
    let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
    let mut names: Vec<String> = obj
        .symbols()
        .iter()
        .filter(|s| s.index != 0 && s.is_undefined() && s.name != "_GLOBAL_OFFSET_TABLE_")
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names.dedup();
    let (base, start) = addresses(arch, model);
    let imports = import_addresses(&names, start);
    let mut stats = Stats {
        objects: 1,
        ..Stats::default()
    };
    let image = match relocate(&obj, &lay, base, &mut |n: &str| imports.get(n).copied()) {
        Ok(i) => i,
        Err(e @ Error::NeedsRelaxation { .. }) if arch == Arch::Riscv64 => {
            assert!(has_reloc(&obj, rr::ALIGN), "{label}: {e}");
            assert!(e.to_string().contains("-mno-relax"), "{label}: {e}");
            stats.refused_align = 1;
            return stats;
        }
        Err(e) => panic!("{label}: {e}"),
    };
    let placed: Vec<_> = image
        .sections()
        .iter()
        .filter(|s| s.index.is_some() && s.in_image)
        .collect();
    for s in &placed {
        let same = obj.sections().iter().filter(|o| o.name == s.name).count();
        if same != 1 {
            assert!(!strict, "{label}: section name {} is not unique", s.name);
            stats
                .skipped
                .push(format!("{label}: section name {} repeated", s.name));
            stats.objects = 0;
            return stats;
        }
    }
    let sections: Vec<(String, u64)> = placed.iter().map(|s| (s.name.clone(), s.address)).collect();
    let stem = format!(
        "{}.{:?}",
        path.file_name().unwrap().to_string_lossy(),
        model
    );
    let far = model == Model::Far;
    let extra: &[&str] = if far { &["--no-check-sections"] } else { &[] };
    let ld_tool = arch.tool("ld");
    let job = ld::Job {
        ld: &ld_tool,
        placed: &sections,
        imports: &imports,
        end: image.base() + image.size(),
        extra,
    };
    let ld_bytes = ld::link(&job, &bytes, work, &stem);
    let out = LdOut {
        elf: ElfFile64::<LittleEndian>::parse(&*ld_bytes).unwrap(),
    };

    // The fields to follow and mask, by section index: (offset, mask).
    let mut masks: HashMap<usize, Vec<(usize, u32)>> = HashMap::new();
    let addr_of = |sec: usize| image.section_by_index(sec).map(|s| s.address);
    let ld_name_of = |sec: usize| ld::ld_name(obj.section(sec).unwrap().name).to_string();
    match arch {
        Arch::Aarch64 => {
            // GOT pages by (section, symbol, addend), then each lo12 load.
            let mut pages: HashMap<(usize, usize, i64), usize> = HashMap::new();
            let mut los = Vec::new();
            // -fpic: `adrp _GLOBAL_OFFSET_TABLE_` then `:gotpage_lo15:`.
            let mut got_pages: HashMap<usize, usize> = HashMap::new();
            let mut lo15s = Vec::new();
            for rs in obj.reloc_sections() {
                if addr_of(rs.target).is_none() {
                    continue;
                }
                for rel in obj.relocations(rs) {
                    let rel = rel.unwrap();
                    let key = (rs.target, rel.symbol, rel.addend.unwrap_or(0));
                    match rel.r_type {
                        ar::ADR_GOT_PAGE => {
                            pages.entry(key).or_insert(rel.offset as usize);
                            masks
                                .entry(rs.target)
                                .or_default()
                                .push((rel.offset as usize, ADR_IMM));
                        }
                        ar::LD64_GOT_LO12_NC => los.push((key, rel.offset as usize)),
                        ar::LD64_GOTPAGE_LO15 => lo15s.push((rs.target, rel.offset as usize)),
                        ar::ADR_PREL_PG_HI21
                            if obj.symbol(rel.symbol).unwrap().name == "_GLOBAL_OFFSET_TABLE_" =>
                        {
                            got_pages.entry(rs.target).or_insert(rel.offset as usize);
                            masks
                                .entry(rs.target)
                                .or_default()
                                .push((rel.offset as usize, ADR_IMM));
                        }
                        ar::CALL26 | ar::JUMP26 if far => {
                            let sym = obj.symbol(rel.symbol).unwrap();
                            if !matches!(sym.place, SymbolPlace::Undefined | SymbolPlace::Absolute)
                            {
                                continue;
                            }
                            let a = addr_of(rs.target).unwrap();
                            let p = a + rel.offset;
                            let ours = u32_at(our_bytes(&image, p, 4), 0);
                            let name = ld_name_of(rs.target);
                            let theirs = u32_at(&out.at(p, 4, &name), 0);
                            let want = imports[sym.name].wrapping_add(rel.addend.unwrap() as u64);
                            let o = follow_ours(&image, b_target(ours, p));
                            let t = follow_ld(&out, b_target(theirs, p), &name);
                            assert_eq!(o, want, "{label}: our far call at {p:#x}");
                            assert_eq!(t, want, "{label}: ld's far call at {p:#x}");
                            masks
                                .entry(rs.target)
                                .or_default()
                                .push((rel.offset as usize, IMM26));
                            stats.far_branches += 1;
                        }
                        _ => {}
                    }
                }
            }
            let lo15s = lo15s.into_iter().map(|(sec, off)| {
                let page = *got_pages.get(&sec).unwrap_or_else(|| {
                    panic!("{label}: gotpage_lo15 without adrp _GLOBAL_OFFSET_TABLE_")
                });
                (sec, page, off)
            });
            let los = los.into_iter().map(|(key, off)| {
                let page = *pages
                    .get(&key)
                    .unwrap_or_else(|| panic!("{label}: GOT lo12 without its page"));
                (key.0, page, off)
            });
            for (sec, page_off, lo_off) in los.chain(lo15s) {
                let a = addr_of(sec).unwrap();
                let name = ld_name_of(sec);
                let entry = |page: u32, lo: u32| {
                    adr_target(page, a + page_off as u64) + u64::from((lo >> 10) & 0xfff) * 8
                };
                let ours = entry(
                    u32_at(our_bytes(&image, a + page_off as u64, 4), 0),
                    u32_at(our_bytes(&image, a + lo_off as u64, 4), 0),
                );
                let theirs = entry(
                    u32_at(&out.at(a + page_off as u64, 4, &name), 0),
                    u32_at(&out.at(a + lo_off as u64, 4, &name), 0),
                );
                assert_eq!(
                    our_u64(&image, ours),
                    out.u64_at(theirs, ".got"),
                    "{label}: GOT load at {name}+{lo_off:#x} reaches different values"
                );
                masks.entry(sec).or_default().push((lo_off, IMM12));
                stats.got_fields += 1;
            }
        }
        Arch::Riscv64 => {
            // GOT_HI20 sites, then the PCREL_LO12_I naming each one's label.
            let mut his: HashMap<(usize, u64), ()> = HashMap::new();
            for rs in obj.reloc_sections() {
                for rel in obj.relocations(rs) {
                    let rel = rel.unwrap();
                    if rel.r_type == rr::GOT_HI20 && addr_of(rs.target).is_some() {
                        his.insert((rs.target, rel.offset), ());
                        masks
                            .entry(rs.target)
                            .or_default()
                            .push((rel.offset as usize, U_IMM));
                    }
                }
            }
            for rs in obj.reloc_sections() {
                let Some(a) = addr_of(rs.target) else {
                    continue;
                };
                for rel in obj.relocations(rs) {
                    let rel = rel.unwrap();
                    if rel.r_type != rr::PCREL_LO12_I {
                        continue;
                    }
                    let sym = obj.symbol(rel.symbol).unwrap();
                    let SymbolPlace::Section(hs) = sym.place else {
                        continue;
                    };
                    let hoff = sym.value.wrapping_add(rel.addend.unwrap() as u64);
                    if !his.contains_key(&(hs, hoff)) {
                        continue;
                    }
                    let ha = addr_of(hs).unwrap() + hoff;
                    let name = ld_name_of(rs.target);
                    let hname = ld_name_of(hs);
                    let entry = |hi: u32, lo: u32| {
                        ha.wrapping_add(i64::from((hi & U_IMM) as i32) as u64)
                            .wrapping_add(i64::from((lo as i32) >> 20) as u64)
                    };
                    let p = a + rel.offset;
                    let ours = entry(
                        u32_at(our_bytes(&image, ha, 4), 0),
                        u32_at(our_bytes(&image, p, 4), 0),
                    );
                    let theirs = entry(
                        u32_at(&out.at(ha, 4, &hname), 0),
                        u32_at(&out.at(p, 4, &name), 0),
                    );
                    assert_eq!(
                        our_u64(&image, ours),
                        out.u64_at(theirs, ".got"),
                        "{label}: GOT load at {name}+{:#x} reaches different values",
                        rel.offset
                    );
                    masks
                        .entry(rs.target)
                        .or_default()
                        .push((rel.offset as usize, I_IMM));
                    stats.got_fields += 1;
                }
            }
        }
    }

    for s in &placed {
        if s.size == 0 {
            continue;
        }
        let name = ld::ld_name(&s.name);
        let theirs = out
            .elf
            .section_by_name(name)
            .unwrap_or_else(|| panic!("{label}: ld output lacks {}", s.name));
        assert_eq!(theirs.address(), s.address, "{label}: {} address", s.name);
        if far {
            assert!(theirs.size() >= s.size, "{label}: {} size", s.name);
        } else {
            assert_eq!(theirs.size(), s.size, "{label}: {} size", s.name);
        }
        let ours = image.section_bytes(s).unwrap();
        let index = s.index.unwrap();
        if obj.section(index).unwrap().sh_type == object::elf::SHT_NOBITS {
            assert!(ours.iter().all(|&b| b == 0), "{label}: {} not zero", s.name);
            stats.sections += 1;
            continue;
        }
        let mut theirs = theirs.data().unwrap()[..s.size as usize].to_vec();
        let mut ours = ours.to_vec();
        for &(off, mask) in masks.get(&index).map_or(&[][..], |v| v) {
            for b in [&mut ours, &mut theirs] {
                let w = u32_at(b, off) & !mask;
                b[off..off + 4].copy_from_slice(&w.to_le_bytes());
            }
        }
        if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
            let at = i & !3;
            panic!(
                "{label}: {} differs from ld at offset {i:#x}: ours {:02x?}, ld {:02x?}",
                s.name,
                &ours[at..(at + 8).min(ours.len())],
                &theirs[at..(at + 8).min(theirs.len())]
            );
        }
        stats.sections += 1;
        stats.bytes += ours.len();
    }
    stats
}

/// Run `jobs` on a few threads (the machine is shared), in order of results.
fn parallel<T: Send, R: Send>(jobs: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let n = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| loop {
                let job = queue.lock().unwrap().pop();
                let Some((i, job)) = job else { break };
                let r = f(job);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The corpus of one architecture: (source, variant label, flags, model).
fn corpus_jobs(arch: Arch, work: &Path) -> Vec<(PathBuf, String, Vec<&'static str>, Model)> {
    let mut sources: Vec<(PathBuf, bool)> = ["calls.c", "data.c", "switch.c"]
        .iter()
        .map(|f| (corpus(f), true))
        .collect();
    for shape in &gen::SHAPES {
        let src = work.join(format!("{}.c", gen::name(shape)));
        std::fs::write(&src, gen::source(shape)).unwrap();
        // The tiny model reaches ±1 MiB: no multi-MiB pads there.
        sources.push((src, shape.pad <= 1 << 16));
    }
    sources.extend(cross::kmod_samples().into_iter().map(|p| (p, true)));
    let mut jobs = Vec::new();
    for v in arch.variants() {
        for (src, small) in &sources {
            if v.model == Model::Tiny && !small {
                continue;
            }
            let mut flags: Vec<&'static str> = arch.base_flags().to_vec();
            if v.flags.contains(&"-fpic") {
                flags.retain(|f| *f != "-fno-pic");
            }
            flags.extend(v.flags);
            jobs.push((src.clone(), v.label.to_string(), flags, v.model));
        }
    }
    let asm = corpus(&format!("relocs-{}.S", arch.name()));
    let mut flags: Vec<&'static str> = arch.base_flags().to_vec();
    flags.push("-O2");
    jobs.push((asm, "asm".into(), flags, Model::Near));
    jobs
}

fn object_path(work: &Path, src: &Path, label: &str) -> PathBuf {
    work.join(format!(
        "{}.{label}.o",
        src.file_name().unwrap().to_string_lossy()
    ))
}

fn corpus_same_as_ld(arch: Arch) {
    let work = tmpdir(&format!("cross-ld-{}", arch.name()));
    cross::require(&arch.tool("gcc"));
    cross::require(&arch.tool("ld"));
    let jobs = corpus_jobs(arch, &work);
    let results = parallel(jobs, |(src, label, flags, model)| {
        let obj = object_path(&work, &src, &label);
        cross::cc(arch, &src, &flags, &obj);
        let mut s = compare(arch, &obj, model, &work, true);
        // aarch64: the same object with its imports far (veneers vs stubs).
        if arch == Arch::Aarch64 && model == Model::Near && label != "pic-O2" {
            s.add(&compare(arch, &obj, Model::Far, &work, true));
        }
        (
            format!("{}.{label}", src.file_name().unwrap().to_string_lossy()),
            s,
        )
    });
    let mut total = Stats::default();
    for (name, s) in &results {
        println!(
            "{name}: {} sections, {} bytes, {} GOT fields, {} far calls{}",
            s.sections,
            s.bytes,
            s.got_fields,
            s.far_branches,
            if s.refused_align > 0 {
                ", refused (R_RISCV_ALIGN)"
            } else {
                ""
            }
        );
        total.add(s);
    }
    println!(
        "{}: {} objects compared with {} ({} links): {} sections, {} bytes equal; {} GOT loads and {} far \
         calls followed; {} objects refused for R_RISCV_ALIGN",
        arch.name(),
        results.len(),
        arch.tool("ld"),
        total.objects,
        total.sections,
        total.bytes,
        total.got_fields,
        total.far_branches,
        total.refused_align
    );
    assert!(total.got_fields > 0, "no GOT load was compared");
    if arch == Arch::Aarch64 {
        assert!(total.far_branches > 0, "no far call was compared");
    } else {
        assert!(total.refused_align > 0, "no R_RISCV_ALIGN object met");
        assert!(
            total.refused_align < results.len() / 4,
            "too many ALIGN refusals"
        );
    }
}

#[test]
fn aarch64_corpus_same_bytes_as_ld() {
    corpus_same_as_ld(Arch::Aarch64);
}

#[test]
fn riscv64_corpus_same_bytes_as_ld() {
    corpus_same_as_ld(Arch::Riscv64);
}

/// Debian's modules of each architecture, every 40th in path order
/// (MODLOAD_FOREIGN_LD_STEP=1: all of them): the same comparison with ld,
/// arm64 ones also with their imports far (veneers against ld's stubs).
#[test]
fn debian_foreign_modules_same_bytes_as_ld() {
    for arch in ARCHES {
        cross::require(&arch.tool("ld"));
        let files = cross::sample(&cross::foreign_modules(arch), "MODLOAD_FOREIGN_LD_STEP", 40);
        let work = tmpdir(&format!("cross-ld-debian-{}", arch.name()));
        // arm64 also with the kernel 1 GiB away: our veneers against ld's
        // stubs.
        let models: &[Model] = match arch {
            Arch::Aarch64 => &[Model::Near, Model::Far],
            Arch::Riscv64 => &[Model::Near],
        };
        let jobs: Vec<(PathBuf, Model)> = files
            .iter()
            .flat_map(|f| models.iter().map(move |m| (f.clone(), *m)))
            .collect();
        let results = parallel(jobs, |(f, m)| compare(arch, &f, m, &work, false));
        let mut total = Stats::default();
        for s in &results {
            total.add(s);
        }
        println!(
            "{}: {} Debian modules compared with ld ({} links): {} sections, {} bytes equal, {} GOT \
             loads, {} far calls followed; {} skipped",
            arch.debian(),
            files.len(),
            total.objects,
            total.sections,
            total.bytes,
            total.got_fields,
            total.far_branches,
            total.skipped.len()
        );
        for s in &total.skipped {
            println!("  skipped: {s}");
        }
        assert!(total.objects > 0);
        assert!(total.skipped.len() * 10 < results.len(), "too many skipped");
    }
}

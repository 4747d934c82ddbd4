//! Debian's own modules of other architectures, laid out and relocated into
//! a buffer (not executed): arm64 from bookworm's linux-image-*-arm64 and
//! riscv64 from trixie's linux-image-*-riscv64 (bookworm has none), both
//! unpacked under /var/tmp by scripts/fetch-foreign-kernels.sh (`make
//! deps`). Imports are bound to synthetic addresses; the per-CPU section
//! goes through the hook as the kernel does. Every relocation must apply:
//! none unsupported, none out of range. Prints the relocation types met and
//! their counts, and the veneers/PLT entries the loader added.
//!
//! By default every 4th module (MODLOAD_FOREIGN_STEP=1: all of them).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use common::cross::{self, Arch};
use modload::{layout, parse, relocate, Error, LayoutOptions, Placement};

#[derive(Default)]
struct Tally {
    modules: usize,
    relocations: u64,
    types: BTreeMap<&'static str, u64>,
    plt_bytes: u64,
    got_bytes: u64,
    modules_with_veneers: usize,
    calls_via_veneers: usize,
}

/// Where the image goes and where its imports start.
fn addresses(arch: Arch, far: bool) -> (u64, u64) {
    match (arch, far) {
        // arm64's module area; the kernel 16 MiB below (direct calls) or
        // 1 GiB below (every call through a veneer; ADRP still reaches).
        (Arch::Aarch64, false) => (0xffff_8000_0800_0000, 0xffff_8000_0700_0000),
        (Arch::Aarch64, true) => (0xffff_8000_4800_0000, 0xffff_8000_0800_0000),
        // riscv64's module area, the kernel 1 GiB above (within auipc's
        // reach), or 8 GiB away (calls through the PLT).
        (Arch::Riscv64, false) => (0xffff_ffff_4000_0000, 0xffff_ffff_8000_0000),
        (Arch::Riscv64, true) => (0xffff_fffd_4000_0000, 0xffff_ffff_8000_0000),
    }
}

/// Relocate one module; count its relocations by type.
fn relocate_module(arch: Arch, path: &Path, far: bool, t: &mut Tally) -> Result<(), Error> {
    let bytes = cross::module_bytes(path);
    let obj = parse(&bytes)?;
    assert_eq!(obj.machine(), arch.machine(), "{}", path.display());
    let (base, start) = addresses(arch, far);
    // The per-CPU area lies in the kernel's data, near its text: modules
    // reach it PC-relatively (ADRP, AUIPC) like any kernel symbol.
    let mut percpu = 0u64;
    let mut opts = LayoutOptions::new().percpu(|s| {
        percpu += s.size;
        Some(start + 0x100_0000)
    });
    let lay = layout(&obj, &mut opts)?;
    drop(opts);
    let mut next = start;
    let mut bind = |_: &str| {
        next += 0x40;
        Some(next)
    };
    let image = relocate(&obj, &lay, base, &mut bind)?;
    let this = image
        .section(".gnu.linkonce.this_module")
        .unwrap_or_else(|| panic!("{}: no .gnu.linkonce.this_module", path.display()));
    assert!(this.in_image && this.address >= base);
    if obj
        .section_by_name(".data..percpu")
        .is_some_and(|s| s.size > 0)
    {
        assert!(percpu > 0, "{}: per-CPU hook not called", path.display());
    }
    for rs in obj.reloc_sections() {
        if !matches!(lay.placement(rs.target), Placement::Image { .. }) {
            continue;
        }
        for rel in obj.relocations(rs) {
            let rel = rel?;
            *t.types
                .entry(modload::reloc_name(arch.machine(), rel.r_type))
                .or_default() += 1;
            t.relocations += 1;
        }
    }
    t.calls_via_veneers += cross::calls_through_plt(&obj, &image);
    for x in lay.loader_sections() {
        match x.kind {
            modload::SectionKind::Plt => {
                t.plt_bytes += x.size;
                t.modules_with_veneers += 1;
            }
            _ => t.got_bytes += x.size,
        }
    }
    t.modules += 1;
    Ok(())
}

fn report(arch: Arch, what: &str, t: &Tally) {
    let package =
        std::fs::read_to_string(cross::foreign_kernel_dir(arch).join(".done")).unwrap_or_default();
    println!(
        "{} ({}), {what}: {} modules relocated, {} relocations; {} modules given veneer/PLT \
         entries ({} bytes), {} calls going through them, {} GOT bytes; types met:",
        arch.debian(),
        package.trim(),
        t.modules,
        t.relocations,
        t.modules_with_veneers,
        t.plt_bytes,
        t.calls_via_veneers,
        t.got_bytes
    );
    for (ty, n) in &t.types {
        println!("  {ty:<32} {n}");
    }
}

fn run_all(arch: Arch, far: bool) -> (Tally, Vec<(String, Error)>) {
    let files = cross::sample(&cross::foreign_modules(arch), "MODLOAD_FOREIGN_STEP", 4);
    let tally = Mutex::new(Tally::default());
    let failures = Mutex::new(Vec::new());
    let queue = Mutex::new(files);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let Some(f) = queue.lock().unwrap().pop() else {
                    break;
                };
                let mut local = Tally::default();
                match relocate_module(arch, &f, far, &mut local) {
                    Ok(()) => {
                        let mut t = tally.lock().unwrap();
                        t.modules += local.modules;
                        t.relocations += local.relocations;
                        t.plt_bytes += local.plt_bytes;
                        t.got_bytes += local.got_bytes;
                        t.modules_with_veneers += local.modules_with_veneers;
                        t.calls_via_veneers += local.calls_via_veneers;
                        for (k, v) in local.types {
                            *t.types.entry(k).or_default() += v;
                        }
                    }
                    Err(e) => failures.lock().unwrap().push((f.display().to_string(), e)),
                }
            });
        }
    });
    (tally.into_inner().unwrap(), failures.into_inner().unwrap())
}

/// arm64: every module relocates with the kernel near (direct calls) and
/// far (every call through a veneer).
#[test]
fn debian_arm64_modules_relocate() {
    for far in [false, true] {
        let (t, failures) = run_all(Arch::Aarch64, far);
        report(
            Arch::Aarch64,
            if far {
                "imports 1 GiB away"
            } else {
                "imports near"
            },
            &t,
        );
        let list: Vec<String> = failures.iter().map(|(f, e)| format!("{f}: {e}")).collect();
        assert!(
            list.is_empty(),
            "{} failed:\n{}",
            list.len(),
            list.join("\n")
        );
        assert!(t.modules > 100);
        if far {
            assert!(
                t.modules_with_veneers * 10 > t.modules * 9,
                "veneers expected"
            );
        }
    }
}

/// riscv64: every module relocates with the kernel within auipc's reach.
/// With the kernel 8 GiB away, calls go through the PLT; what may fail is
/// only a PC-relative data reference to an import (no loader can fix that:
/// those imports must be near), never a call. Prints how many need that.
#[test]
fn debian_riscv64_modules_relocate() {
    let (t, failures) = run_all(Arch::Riscv64, false);
    report(Arch::Riscv64, "imports near", &t);
    let list: Vec<String> = failures.iter().map(|(f, e)| format!("{f}: {e}")).collect();
    assert!(
        list.is_empty(),
        "{} failed:\n{}",
        list.len(),
        list.join("\n")
    );
    assert!(t.modules > 100);
    assert_eq!(t.calls_via_veneers, 0, "calls in reach stay direct");

    let (t, failures) = run_all(Arch::Riscv64, true);
    let mut refused: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (f, e) in &failures {
        match e {
            Error::RelocationOverflow { site, .. } => {
                assert!(
                    !matches!(site.type_name, "R_RISCV_CALL" | "R_RISCV_CALL_PLT"),
                    "{f}: {e}"
                );
                *refused.entry(site.type_name).or_default() += 1;
            }
            _ => panic!("{f}: {e}"),
        }
    }
    println!(
        "riscv64, imports 8 GiB away: {} modules link, {} calls through the PLT ({} bytes of \
         entries); {} need data imports near (first refusal by type: {refused:?})",
        t.modules,
        t.calls_via_veneers,
        t.plt_bytes,
        failures.len()
    );
    assert!(t.modules > 0 && t.calls_via_veneers > 0);
}

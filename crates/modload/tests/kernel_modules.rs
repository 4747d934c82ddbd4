//! Real kernel modules lay out and relocate into a buffer (not executed):
//! the project's samples built for Debian's 6.1 kernel and a sample of
//! Debian's own modules when installed. Imports are bound to synthetic
//! addresses in the kernel's text range; the per-CPU section goes through
//! the hook as the kernel does. Prints the relocation types met.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modload::{layout, parse, relocate, LayoutOptions, Placement};

const BASE: u64 = 0xffff_ffff_c000_0000;

/// Relocate one module; return the relocation types applied, by name.
fn relocate_module(path: &Path, types: &mut BTreeMap<&'static str, u64>) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let obj = parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut percpu_seen = 0u64;
    let mut opts = LayoutOptions::new().percpu(|s| {
        percpu_seen += s.size;
        Some(0x3_0000)
    });
    let lay = layout(&obj, &mut opts).map_err(|e| format!("{}: {e}", path.display()))?;
    drop(opts);
    let mut next = 0xffff_ffff_8100_0000u64;
    let mut bind = |_: &str| {
        next += 0x40;
        Some(next)
    };
    let image =
        relocate(&obj, &lay, BASE, &mut bind).map_err(|e| format!("{}: {e}", path.display()))?;
    // The pieces the sim kernel needs are there and in the image.
    let this = image
        .section(".gnu.linkonce.this_module")
        .ok_or_else(|| format!("{}: no .gnu.linkonce.this_module", path.display()))?;
    assert!(this.in_image && this.address >= BASE);
    if obj
        .section_by_name(".data..percpu")
        .is_some_and(|s| s.size > 0)
    {
        assert!(
            percpu_seen > 0,
            "{}: per-CPU hook not called",
            path.display()
        );
    }
    for rs in obj.reloc_sections() {
        if !matches!(lay.placement(rs.target), Placement::Image { .. }) {
            continue;
        }
        for rel in obj.relocations(rs) {
            let rel = rel.map_err(|e| e.to_string())?;
            *types
                .entry(modload::x86_64_reloc_name(rel.r_type))
                .or_default() += 1;
        }
    }
    Ok(())
}

fn report(what: &str, n: usize, types: &BTreeMap<&'static str, u64>) {
    println!("{what}: {n} modules relocated; relocation types met:");
    for (t, c) in types {
        println!("  {t:<24} {c}");
    }
}

#[test]
fn project_samples_relocate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kernel/6.1.0-56-amd64");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/kernel")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ko"))
        .collect();
    files.sort();
    // khello-badmagic.ko has a wrong vermagic, not a wrong ELF: it relocates.
    assert!(files.len() >= 5, "samples missing in {}", dir.display());
    let mut types = BTreeMap::new();
    for f in &files {
        relocate_module(f, &mut types).unwrap();
    }
    report("testdata", files.len(), &types);
    for t in [
        "R_X86_64_PLT32",
        "R_X86_64_64",
        "R_X86_64_32S",
        "R_X86_64_PC32",
    ] {
        assert!(types.contains_key(t), "{t} not met in the samples");
    }
}

/// Debian's modules of the installed kernel.
#[test]
fn debian_modules_relocate() {
    // All of them (about 4000, a few seconds); MODLOAD_MODULE_STEP=N takes
    // every Nth only.
    let files = common::debian_modules("MODLOAD_MODULE_STEP", 1);
    let sample: Vec<_> = files.iter().collect();
    let mut types = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &sample {
        if let Err(e) = relocate_module(f, &mut types) {
            failures.push(e);
        }
    }
    report("/lib/modules", sample.len(), &types);
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The sim kernel's situation: the image in the low 2 GiB, the imports far
/// (in a host process's text and data). Every call must still link through
/// the PLT; what may fail is only a data reference or an address taken in
/// 32 bits (`PC32` off a branch, `32S`, `32`), which no loader can fix:
/// those imports have to live near the image. Prints how many modules
/// need that.
#[test]
fn far_imports_fail_only_on_data_references() {
    let files = common::debian_modules("MODLOAD_FAR_STEP", 4);
    let mut ok = 0;
    let mut refused: BTreeMap<&'static str, usize> = BTreeMap::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let obj = parse(&bytes).unwrap();
        let mut opts = LayoutOptions::new().percpu(|_| Some(0x1000));
        let lay = layout(&obj, &mut opts).unwrap();
        drop(opts);
        let mut next = 0x7f00_0000_0000u64;
        let mut far = |_: &str| {
            next += 0x40;
            Some(next)
        };
        match relocate(&obj, &lay, 0x4000_0000, &mut far) {
            Ok(_) => ok += 1,
            Err(modload::Error::RelocationOverflow { site, .. }) => {
                assert_ne!(site.type_name, "R_X86_64_PLT32", "{}: {site}", f.display());
                *refused.entry(site.type_name).or_default() += 1;
            }
            Err(e) => panic!("{}: {e}", f.display()),
        }
    }
    println!(
        "far imports: {ok} modules link, {} need data imports near the image (first refusal by type: {refused:?})",
        refused.values().sum::<usize>()
    );
    assert!(ok > 0);
}

//! Execute for real: objects compiled here by gcc (kbuild's module flags,
//! and -fpic / -mcmodel=large -fpic for the GOT-relative relocations) are
//! mapped below 2 GiB in this test process, their imports bound to another
//! loaded module (near) and to functions and data of this process (far:
//! through the loader's PLT), and their functions are called.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use common::{cc, corpus, tmpdir, KERNEL_FLAGS};
use modload::{load_executable, parse, Error, LayoutOptions, LoadedModule};

static RECORDED: AtomicI64 = AtomicI64::new(0);
static HOST_VALUE: i64 = 5000;
// The modules share RECORDED; run the executing tests one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

extern "C" fn host_record(v: i64) {
    RECORDED.store(v, Ordering::SeqCst);
}

/// Weighs each argument differently, so a clobbered or swapped register or
/// stack slot changes the result.
#[allow(clippy::too_many_arguments)]
extern "C" fn host_sum8(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64, g: i64, h: i64) -> i64 {
    a + 10 * b + 100 * c + 1000 * d + 10_000 * e + 100_000 * f + 1_000_000 * g + 10_000_000 * h
}
const SUM8: i64 = 87_654_321;

fn host_symbol(name: &str) -> Option<u64> {
    match name {
        "host_record" => Some(host_record as *const () as u64),
        "host_sum8" => Some(host_sum8 as *const () as u64),
        "host_value" => Some(&HOST_VALUE as *const i64 as u64),
        _ => None,
    }
}

fn load(path: &Path, lib: Option<&LoadedModule>) -> Result<LoadedModule, Error> {
    let bytes = std::fs::read(path).unwrap();
    let obj = parse(&bytes)?;
    let mut resolve = |name: &str| host_symbol(name).or_else(|| lib.and_then(|l| l.symbol(name)));
    load_executable(&obj, &mut LayoutOptions::new(), &mut resolve)
}

unsafe fn func<T: Copy>(m: &LoadedModule, name: &str) -> T {
    let addr = m.symbol(name).unwrap_or_else(|| panic!("no symbol {name}"));
    assert_eq!(std::mem::size_of::<T>(), std::mem::size_of::<usize>());
    // SAFETY: the caller names a function of the module with that signature.
    unsafe { std::mem::transmute_copy(&(addr as usize)) }
}

/// The relocation types of an object, by name.
fn reloc_types(path: &Path) -> std::collections::BTreeSet<&'static str> {
    let bytes = std::fs::read(path).unwrap();
    let obj = parse(&bytes).unwrap();
    let mut types = std::collections::BTreeSet::new();
    for rs in obj.reloc_sections() {
        for rel in obj.relocations(rs) {
            types.insert(modload::x86_64_reloc_name(rel.unwrap().r_type));
        }
    }
    types
}

fn run_module(label: &str, flags: &[&str], pic: bool, types: &[&str]) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tmpdir(&format!("exec-{label}"));
    let lib_o = dir.join("exec_lib.o");
    let mod_o = dir.join("exec_mod.o");
    cc(&corpus("exec_lib.c"), flags, &lib_o);
    cc(&corpus("exec_mod.c"), flags, &mod_o);
    let met = reloc_types(&mod_o);
    for t in types {
        assert!(met.contains(t), "{label}: {t} not among {met:?}");
    }
    let lib = load(&lib_o, None).unwrap();
    let m = load(&mod_o, Some(&lib)).unwrap();
    for l in [&lib, &m] {
        assert!(
            l.base() + l.image().size() <= 1 << 31,
            "{label}: not below 2 GiB"
        );
    }
    // The host is far from the image: calls to it must go through the PLT.
    assert!(
        host_sum8 as *const () as u64 > 1 << 32,
        "the test process is not far"
    );
    let plt = m.section(".modload.plt").expect("no PLT");
    assert!(plt.size >= 32, "{label}: PLT of {} bytes", plt.size);

    unsafe {
        let calls: extern "C" fn(i64) -> i64 = func(&m, "mod_calls");
        let data: extern "C" fn() -> i64 = func(&m, "mod_data");
        let switch: extern "C" fn(i32, i64) -> i64 = func(&m, "mod_switch");
        let bss: extern "C" fn() -> i64 = func(&m, "mod_bss");
        let lib_counter: extern "C" fn() -> i64 = func(&m, "mod_lib_counter");
        let fnptr: extern "C" fn(i64) -> i64 = func(&m, "mod_fnptr");

        assert_eq!(bss(), 0, "{label}: bss not zero");
        assert_eq!(calls(5), 15 + SUM8, "{label}: mod_calls");
        assert_eq!(RECORDED.load(Ordering::SeqCst), 15, "{label}: host_record");
        assert_eq!(calls(2), 6 + SUM8, "{label}: mod_calls again");
        assert_eq!(bss(), 15 + SUM8 + 6 + SUM8, "{label}: bss counter");
        assert_eq!(lib_counter(), 102, "{label}: the other module's data");
        assert_eq!(
            data(),
            30 + 10 + 5000 + i64::from(b'e'),
            "{label}: mod_data"
        );
        let expect = [8, 49, -2, 28, -7, 2, 7 ^ 0x55, 0];
        for (op, want) in expect.iter().enumerate() {
            assert_eq!(switch(op as i32, 7), *want, "{label}: switch case {op}");
        }
        assert_eq!(fnptr(9), 81, "{label}: call through a pointer to an import");
        if pic {
            let direct: extern "C" fn() -> i64 = func(&m, "mod_host_value");
            assert_eq!(direct(), 5000, "{label}: far data through the GOT");
        }
    }
    // Text is not writable, rodata not writable, data writable: checked by
    // the protections the loader reports for each group.
    for s in m.image().sections() {
        if s.name == ".text" {
            assert_eq!(s.kind.protection(), modload::Protection::ReadExec);
        }
    }
}

#[test]
fn kernel_model_o2() {
    let flags: Vec<&str> = KERNEL_FLAGS.iter().copied().chain(["-O2"]).collect();
    run_module(
        "kernel-o2",
        &flags,
        false,
        &[
            "R_X86_64_PLT32",
            "R_X86_64_PC32",
            "R_X86_64_64",
            "R_X86_64_32S",
        ],
    );
}

#[test]
fn kernel_model_o0() {
    let flags: Vec<&str> = KERNEL_FLAGS.iter().copied().chain(["-O0"]).collect();
    run_module(
        "kernel-o0",
        &flags,
        false,
        &[
            "R_X86_64_PLT32",
            "R_X86_64_PC32",
            "R_X86_64_64",
            "R_X86_64_32S",
        ],
    );
}

#[test]
fn small_pic() {
    run_module(
        "pic",
        &["-O2", "-fpic", "-mno-red-zone", "-fno-common"],
        true,
        &["R_X86_64_PLT32", "R_X86_64_REX_GOTPCRELX"],
    );
}

#[test]
fn large_model_pic() {
    // GOTPC64, GOTOFF64, GOT64 and PLTOFF64.
    run_module(
        "large-pic",
        &[
            "-O2",
            "-mcmodel=large",
            "-fpic",
            "-mno-red-zone",
            "-fno-common",
        ],
        true,
        &[
            "R_X86_64_GOTPC64",
            "R_X86_64_GOTOFF64",
            "R_X86_64_GOT64",
            "R_X86_64_PLTOFF64",
            "R_X86_64_PC64",
        ],
    );
}

#[test]
fn far_data_reference_is_refused() {
    let dir = tmpdir("exec-far-data");
    let o = dir.join("far_data.o");
    cc(&corpus("far_data.c"), KERNEL_FLAGS, &o);
    match load(&o, None) {
        Err(e @ Error::RelocationOverflow { .. }) => {
            let Error::RelocationOverflow { site, .. } = &e else {
                unreachable!()
            };
            assert_eq!(site.symbol, "host_value");
            assert_eq!(site.type_name, "R_X86_64_PC32");
            assert_eq!(site.section, ".text");
            assert_eq!(e.errno(), libc::ENOEXEC);
            let msg = e.to_string();
            assert!(
                msg.contains("host_value") && msg.contains("R_X86_64_PC32"),
                "{msg}"
            );
        }
        other => panic!("expected a relocation overflow, got {other:?}"),
    }
}

#[test]
fn unknown_symbols_are_all_named() {
    let dir = tmpdir("exec-unknown");
    let o = dir.join("exec_mod.o");
    let flags: Vec<&str> = KERNEL_FLAGS.iter().copied().chain(["-O2"]).collect();
    cc(&corpus("exec_mod.c"), &flags, &o);
    // Neither lib_mul nor lib_counter can be resolved without the library.
    match load(&o, None) {
        Err(e @ Error::UnknownSymbols(_)) => {
            let Error::UnknownSymbols(names) = &e else {
                unreachable!()
            };
            let mut names = names.clone();
            names.sort();
            assert_eq!(names, ["lib_counter", "lib_mul"]);
            assert_eq!(e.errno(), libc::ENOENT);
        }
        other => panic!("expected unknown symbols, got {other:?}"),
    }
}

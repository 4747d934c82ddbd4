//! aarch64 and riscv64 modules executed for real under qemu-user. The
//! project's sample modules (square, test_square, khello, test_cube, with
//! the shim headers) and the generated modules of `common::gen` are
//! compiled by Debian's cross gcc, laid out and relocated by modload at
//! chosen bases, and run by a static harness (tests/cross/harness.c) that
//! maps each image at its base, calls every module's init, shows the /proc
//! files they created and calls their exits in reverse order. The modules'
//! imports are bound to the harness's own functions (tests/cross/host.c),
//! found by name in its symbol table, and to the modules loaded before
//! (test_square calls square's `square`). What the harness prints must be
//! what the same sources print when built as one ordinary program (module
//! init and exit reached through `MODLOAD_NATIVE` wrappers) and run by the
//! same qemu.
//!
//! Placements: near (direct calls reach the harness), far (every image
//! 64 GiB up: calls through aarch64 veneers or the riscv64 PLT, including
//! the calls between modules) and split (modules alternately near and far).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::cross::{self, Arch};
use common::{gen, run, tmpdir};
use modload::{layout, parse, relocate, Image, LayoutOptions, Protection};

/// Where images go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    Near,
    Far,
    Split,
}

const NEAR_BASE: u64 = 0x0400_0000;
const FAR_BASE: u64 = 0x10_0000_0000;

/// The harness's symbols: name -> (nm type letter, address).
type Symbols = BTreeMap<String, (char, u64)>;

fn build_harness(arch: Arch, work: &Path) -> (PathBuf, Symbols) {
    let exe = work.join("harness");
    run(Command::new(arch.tool("gcc"))
        .args(["-O2", "-static", "-no-pie", "-o"])
        .arg(&exe)
        .arg(cross::cross_file("harness.c"))
        .arg(cross::cross_file("host.c")));
    (exe.clone(), nm(arch, &exe))
}

fn nm(arch: Arch, exe: &Path) -> Symbols {
    let out = Command::new(arch.tool("nm"))
        .arg(exe)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}: {}", arch.tool("nm"), cross::DEPS_HINT));
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let addr = u64::from_str_radix(w.next()?, 16).ok()?;
            let kind = w.next()?.chars().next()?;
            Some((w.next()?.to_string(), (kind, addr)))
        })
        .collect()
}

/// The harness's address for an import: its `modload_host_<name>` wrapper
/// if it has one (static glibc's string functions are IFUNCs), else its
/// own function or data of that name.
fn host_address(syms: &Symbols, name: &str) -> Option<u64> {
    if let Some((_, a)) = syms.get(&format!("modload_host_{name}")) {
        return Some(*a);
    }
    match syms.get(name) {
        Some((k, a)) if "TtDdRrBb".contains(*k) => Some(*a),
        _ => None,
    }
}

/// One module of a scenario: its name and source.
struct Module {
    name: String,
    src: PathBuf,
}

fn scenarios(work: &Path) -> Vec<(&'static str, Vec<Module>)> {
    let samples = cross::kmod_samples();
    let sample = |n: &str| Module {
        name: n.to_string(),
        src: samples
            .iter()
            .find(|p| p.file_stem().is_some_and(|s| s == n))
            .unwrap()
            .clone(),
    };
    let generated = gen::SHAPES
        .iter()
        .map(|shape| {
            let src = work.join(format!("{}.c", gen::name(shape)));
            std::fs::write(&src, gen::source(shape)).unwrap();
            Module {
                name: gen::name(shape),
                src,
            }
        })
        .collect();
    vec![
        (
            "samples",
            vec![
                sample("square"),
                sample("test_square"),
                sample("khello"),
                sample("test_cube"),
            ],
        ),
        ("generated", generated),
    ]
}

/// The compilation variants run (a subset of the ld comparison's: the
/// tiny and medlow models cannot reach a harness they were not linked with
/// from everywhere, so they run near only).
fn exec_variants(arch: Arch) -> Vec<(&'static str, Vec<&'static str>, bool)> {
    let mut out = Vec::new();
    for v in arch.variants() {
        if v.label.starts_with("tiny")
            || v.label.contains("align")
            || v.label.contains("O2-sections")
        {
            continue;
        }
        let mut flags: Vec<&'static str> = arch.base_flags().to_vec();
        if v.flags.contains(&"-fpic") {
            flags.retain(|f| *f != "-fno-pic");
        }
        flags.extend(v.flags);
        out.push((v.label, flags, !v.label.starts_with("medlow")));
    }
    out
}

fn protection(p: Protection) -> &'static str {
    match p {
        Protection::ReadExec => "rx",
        Protection::Read => "r",
        Protection::ReadWrite => "rw",
    }
}

/// Relocate the modules of a scenario and write the harness's plan.
fn plan(
    syms: &Symbols,
    objects: &[(String, PathBuf)],
    placement: Placement,
    dir: &Path,
) -> (PathBuf, usize) {
    let mut text = String::new();
    let mut loaded: Vec<(String, Image)> = Vec::new();
    let (mut near, mut far) = (NEAR_BASE, FAR_BASE);
    let mut plt_calls = 0;
    for (i, (name, obj_path)) in objects.iter().enumerate() {
        let bytes = std::fs::read(obj_path).unwrap();
        let obj = parse(&bytes).unwrap();
        let lay = layout(&obj, &mut LayoutOptions::new()).unwrap();
        let use_far = match placement {
            Placement::Near => false,
            Placement::Far => true,
            Placement::Split => i % 2 == 1,
        };
        let slot = if use_far { &mut far } else { &mut near };
        let base = *slot;
        *slot = (base + lay.size() + (1 << 20)) & !((1 << 20) - 1);
        let mut missing = Vec::new();
        let image = relocate(&obj, &lay, base, &mut |n: &str| {
            let a = host_address(syms, n).or_else(|| {
                loaded
                    .iter()
                    .find_map(|(_, m)| m.symbol(n))
                    .map(|s| s.address)
            });
            if a.is_none() {
                missing.push(n.to_string());
            }
            a
        })
        .unwrap_or_else(|e| panic!("{}: {e}", obj_path.display()));
        text.push_str(&format!("map {base:#x} {:#x}\n", image.size()));
        for (k, seg) in image.segments().iter().enumerate() {
            let addr = base + seg.offset;
            if seg.kind != modload::SectionKind::Bss {
                let file = dir.join(format!("{name}.seg{k}"));
                let at = seg.offset as usize;
                std::fs::write(&file, &image.bytes()[at..at + seg.size as usize]).unwrap();
                text.push_str(&format!("copy {} {addr:#x}\n", file.display()));
            }
        }
        for seg in image.segments() {
            text.push_str(&format!(
                "prot {:#x} {:#x} {}\n",
                base + seg.offset,
                seg.size,
                protection(seg.kind.protection())
            ));
        }
        assert!(
            missing.is_empty(),
            "{name}: no host function for {missing:?}"
        );
        plt_calls += cross::calls_through_plt(&obj, &image);
        loaded.push((name.clone(), image));
    }
    for (name, image) in &loaded {
        let init = image
            .symbol("init_module")
            .unwrap_or_else(|| panic!("{name}: no init_module"));
        text.push_str(&format!("init {name} {:#x}\n", init.address));
    }
    text.push_str("procs\n");
    for (name, image) in loaded.iter().rev() {
        if let Some(exit) = image.symbol("cleanup_module") {
            text.push_str(&format!("exit {name} {:#x}\n", exit.address));
        }
    }
    let path = dir.join(format!("plan-{placement:?}.txt"));
    std::fs::write(&path, text).unwrap();
    (path, plt_calls)
}

/// The same sources as one ordinary program: output to compare with.
fn native(arch: Arch, modules: &[Module], dir: &Path) -> String {
    let mut main = String::from("#include \"host.h\"\n");
    for m in modules {
        main.push_str(&format!(
            "int modload_init_{0}(void);\nvoid modload_exit_{0}(void);\n",
            m.name
        ));
    }
    main.push_str("int main(void)\n{\n");
    for m in modules {
        main.push_str(&format!(
            "\thost_report_init(\"{0}\", modload_init_{0}());\n",
            m.name
        ));
    }
    main.push_str("\thost_show_procs();\n");
    for m in modules.iter().rev() {
        main.push_str(&format!(
            "\thost_report_exit(\"{0}\");\n\tmodload_exit_{0}();\n",
            m.name
        ));
    }
    main.push_str("\treturn 0;\n}\n");
    let main_c = dir.join("native_main.c");
    std::fs::write(&main_c, main).unwrap();
    let mut objects = Vec::new();
    for m in modules {
        let o = dir.join(format!("{}.native.o", m.name));
        cross::cc(
            arch,
            &m.src,
            &[
                "-O2",
                "-DMODLOAD_NATIVE",
                &format!("-DKBUILD_MODNAME={}", m.name),
            ],
            &o,
        );
        objects.push(o);
    }
    let exe = dir.join("native");
    run(Command::new(arch.tool("gcc"))
        .args(["-O2", "-static", "-no-pie", "-I"])
        .arg(cross::cross_file(""))
        .arg("-o")
        .arg(&exe)
        .args(&objects)
        .arg(&main_c)
        .arg(cross::cross_file("host.c")));
    qemu(arch, &exe, &[])
}

fn qemu(arch: Arch, exe: &Path, args: &[&Path]) -> String {
    let out = Command::new(arch.qemu())
        .arg(exe)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}: {}", arch.qemu(), cross::DEPS_HINT));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} {} failed ({}):\n{stdout}{}",
        arch.qemu(),
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn exec_matches_native(arch: Arch) {
    let work = tmpdir(&format!("cross-exec-{}", arch.name()));
    cross::require(&arch.tool("gcc"));
    cross::require(&arch.qemu());
    let (harness, syms) = build_harness(arch, &work);
    let scenarios = scenarios(&work);
    let mut jobs = Vec::new();
    for (si, (sname, modules)) in scenarios.iter().enumerate() {
        for (label, flags, may_be_far) in exec_variants(arch) {
            jobs.push((si, *sname, modules, label, flags, may_be_far));
        }
    }
    let expected: Vec<String> = scenarios
        .iter()
        .map(|(sname, modules)| {
            let dir = work.join(format!("native-{sname}"));
            std::fs::create_dir_all(&dir).unwrap();
            native(arch, modules, &dir)
        })
        .collect();
    let runs = Mutex::new(Vec::new());
    let queue = Mutex::new(jobs);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let Some((si, sname, modules, label, flags, may_be_far)) =
                    queue.lock().unwrap().pop()
                else {
                    break;
                };
                let dir = work.join(format!("{sname}-{label}"));
                std::fs::create_dir_all(&dir).unwrap();
                let objects: Vec<(String, PathBuf)> = modules
                    .iter()
                    .map(|m| {
                        let o = dir.join(format!("{}.o", m.name));
                        cross::cc(arch, &m.src, &flags, &o);
                        (m.name.clone(), o)
                    })
                    .collect();
                let placements: &[Placement] = if may_be_far {
                    &[Placement::Near, Placement::Far, Placement::Split]
                } else {
                    &[Placement::Near]
                };
                for &placement in placements {
                    let (plan, plts) = plan(&syms, &objects, placement, &dir);
                    let got = qemu(arch, &harness, &[&plan]);
                    assert_eq!(
                        got,
                        expected[si],
                        "{} {sname} {label} {placement:?}: the harness's output differs from the \
                         native program's",
                        arch.name()
                    );
                    // Far calls really went through veneers/PLT; near ones
                    // stayed direct.
                    match placement {
                        Placement::Near => {
                            assert_eq!(plts, 0, "{sname} {label}: near calls via PLT")
                        }
                        _ => assert!(plts > 0, "{sname} {label}: far, yet no call via veneer/PLT"),
                    }
                    runs.lock().unwrap().push(format!(
                        "{sname} {label} {placement:?} ({plts} calls via veneer/PLT)"
                    ));
                }
            });
        }
    });
    let mut runs = runs.into_inner().unwrap();
    runs.sort();
    for r in &runs {
        println!("{}: {r}: output equal", arch.name());
    }
    println!(
        "{}: {} harness runs under {} printed what the native programs print:\n{}",
        arch.name(),
        runs.len(),
        arch.qemu(),
        expected.join("---\n")
    );
    // The samples really ran: their messages are there.
    for line in [
        "test_square: square(7) = 49",
        "khello: hello (io=1)",
        "helloworld| hello (io=1)",
        "test_cube: cube(4) = 64",
        "host: exit square",
    ] {
        assert!(
            expected[0].contains(line),
            "{line:?} missing from:\n{}",
            expected[0]
        );
    }
    assert!(expected[1].contains("gen3: acc="));
}

#[test]
fn aarch64_modules_run_as_native() {
    exec_matches_native(Arch::Aarch64);
}

#[test]
fn riscv64_modules_run_as_native() {
    exec_matches_native(Arch::Riscv64);
}

//! kmod_module_new_from_loaded, get_initstate, initstate_str, get_refcnt,
//! get_size, get_holders and get_sections (with the section accessors) on
//! our library against Debian's libkmod: first on this machine's own
//! /sys/module and /proc/modules, then on a made-up kernel state that
//! both libraries are shown through the LD_PRELOAD shim tests/c/fakesys.c
//! (loaded modules with holders and sections, coming and going ones, and
//! files libkmod cannot parse).

mod common;

use std::path::{Path, PathBuf};

fn golden_dir() -> String {
    std::fs::canonicalize(
        common::workspace_dir().join("testdata/golden/root/lib/modules/6.1.0-56-amd64"),
    )
    .unwrap()
    .display()
    .to_string()
}

#[test]
fn this_machines_state() {
    let prog = common::compile("state");
    let mut names: Vec<String> = std::fs::read_dir("/sys/module")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.extend(["kbuiltin", "khello", "no_such_module"].map(String::from));
    // A live kernel's state may change between the two runs (a module
    // loaded, a reference taken): up to three attempts.
    let input = names.join("\n") + "\n";
    let mut attempt = 0;
    let out = loop {
        attempt += 1;
        let theirs = common::run_traced(&prog, &[&golden_dir()], &input, &[], common::Lib::System);
        let ours = common::run_traced(&prog, &[&golden_dir()], &input, &[], common::Lib::Ours);
        assert_eq!(ours.code, Some(0), "{}", ours.stderr);
        assert_eq!(theirs.code, Some(0), "{}", theirs.stderr);
        if ours.stdout == theirs.stdout {
            break ours.stdout;
        }
        assert!(
            attempt < 3,
            "outputs differ: {}",
            common::first_difference(&ours.stdout, &theirs.stdout)
        );
    };
    eprintln!(
        "host state: {} names, {} lines",
        names.len(),
        out.lines().count()
    );
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A kernel's state as /proc/modules and /sys/module show it.
fn fake_state() -> PathBuf {
    let root = common::work_dir().join("fakestate");
    let _ = std::fs::remove_dir_all(&root);
    write(
        &root.join("proc/modules"),
        "square 16384 1 test_square, Live 0xffffffffc0a00000\n\
         test_square 12288 0 - Live 0xffffffffc0a10000\n\
         khello 12288 0 - Live 0x0000000000000000 (OE)\n\
         going_mod 4096 0 - Unloading 0x0000000000000000\n\
         weird 4096 0 - Live 0x0\n\
         badsize x 0 - Live 0x0\n\
         \n\
         nosize\n\
         plus +77 0 - Live 0x0\n",
    );
    let m = root.join("sys/module");
    let files: &[(&str, &str)] = &[
        ("square/initstate", "live\n"),
        ("square/refcnt", "1\n"),
        ("square/coresize", "16384\n"),
        ("square/sections/.text", "0xffffffffc0a00000\n"),
        ("square/sections/.data", "0xffffffffc0a02000\n"),
        ("square/sections/__versions", "0xffffffffc0a03000\n"),
        ("square/sections/.bss", "ffffffffc0a04000\n"),
        ("test_square/initstate", "live\n"),
        ("test_square/refcnt", "0\n"),
        ("test_square/sections/.text", "0xffffffffc0a10000\n"),
        ("khello/initstate", "coming\n"),
        ("khello/coresize", "abc\n"),
        ("khello/sections/.text", "zz\n"),
        ("going_mod/initstate", "going\n"),
        ("going_mod/refcnt", "-1\n"),
        ("going_mod/coresize", "4096"),
        ("weird/initstate", "bogus\n"),
        ("weird/refcnt", "7x\n"),
        ("badsize/initstate", "live"),
        ("badsize/refcnt", "  42\n"),
        ("plus/initstate", "live\n\n"),
        ("plus/refcnt", "99999999999\n"),
    ];
    for (rel, text) in files {
        write(&m.join(rel), text);
    }
    std::fs::create_dir_all(m.join("square/holders/test_square")).unwrap();
    std::fs::create_dir_all(m.join("test_square/holders")).unwrap();
    std::fs::create_dir_all(m.join("nodir_only")).unwrap();
    std::fs::create_dir_all(m.join("plus/sections/.init_dir")).unwrap();
    root
}

#[test]
fn made_up_state() {
    let prog = common::compile("state");
    let shim = common::fakesys().display().to_string();
    let root = fake_state().display().to_string();
    let names = "kbuiltin\nnodir_only\nnope\nsquare\n";
    let out = common::compare_traced(
        &prog,
        &[&golden_dir()],
        names,
        &[("LD_PRELOAD", &shim), ("FAKE_SYSROOT", &root)],
    );
    // the made-up state was what both read
    for want in [
        "== square\n  initstate 1 live\n  refcnt 1\n  size 16384\n  holders\n    test_square\n",
        "    .text 0xffffffffc0a00000\n",
        "initstate 3 going",
        "unknown /sys/module/weird/initstate",
    ] {
        assert!(out.contains(want), "{want:?} missing from:\n{out}");
    }
}

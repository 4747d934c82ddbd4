//! kmod_module_probe_insert_module (every flag, both callbacks),
//! kmod_module_insert_module and kmod_module_remove_module on our library
//! against Debian's libkmod, over the repository's test tree and a
//! configuration written here (install commands, options, softdeps,
//! blacklists, aliases). Dry runs show the whole plan through
//! print_action; real runs use install commands (through run_install, or
//! run by the library), files the kernel refuses and modules no kernel
//! has, so nothing is ever loaded into or removed from the host. The same
//! commands run again under a made-up /sys/module where some modules are
//! loaded (the LD_PRELOAD shim tests/c/fakesys.c, for both libraries).
//! Real loading is the QEMU suite's (tests/vm).

mod common;

use std::path::PathBuf;

fn testdata() -> PathBuf {
    std::fs::canonicalize(common::workspace_dir().join("testdata")).unwrap()
}

fn golden_dir() -> String {
    testdata()
        .join("golden/root/lib/modules/6.1.0-56-amd64")
        .display()
        .to_string()
}

const CONFIG: &str = "\
install khello /bin/echo khello-install $CMDLINE_OPTS; /bin/echo twice $CMDLINE_OPTS
options khello greeting=hi
options square sq=2
options rkmod-hello viaalias=1
softdep test_cube pre: khello post: square
softdep test_square pre: nonexistent_soft
softdep square_xz pre: test_square
blacklist square_xz
blacklist rust_cube
alias myalias square
alias blk square_xz
alias twomods square
alias twomods khello
install fakecmd /bin/true
options fakecmd a=b
install failcmd /bin/false
install exit3 exit 3
install killed kill -9 $$
install opts test \"$CMDLINE_OPTS\" = \"o=1 x=2\"
options opts o=1
";

fn commands() -> String {
    let t = testdata().display().to_string();
    let m = format!("{t}/malformed");
    let mut c = String::new();
    for flags in ["10", "14", "18", "30", "38", "1c"] {
        for target in [
            "name khello",
            "name khello extra=1 more=2",
            "name test_cube",
            "name test_square",
            "name square_xz",
            "name rust_cube",
            "lookup myalias",
            "lookup twomods",
            "lookup rkmod-hello x=y",
            "lookup blk",
            "name kbuiltin",
            "lookup fake-builtin",
            "name nonexistent",
            "name fakecmd o=2",
        ] {
            c += &format!("probe {flags} {target}\n");
        }
    }
    for flags in ["10010", "20010", "40010", "70010", "10014", "60010"] {
        for target in [
            "name test_cube",
            "name square_xz",
            "name rust_cube",
            "lookup blk",
            "lookup myalias",
        ] {
            c += &format!("probe {flags} {target}\n");
        }
    }
    c += &format!(
        "probe 10 path {t}/golden/root/lib/modules/6.1.0-56-amd64/extra/khello.ko\n\
         probe 10 path {t}/kernel/6.1.0-56-amd64/square.ko\n\
         probe 0 name fakecmd\n\
         probe 0 name fakecmd opt=1\n\
         probe 0 name failcmd\n\
         probe 4 name fakecmd\n\
         probe-system 0 name fakecmd\n\
         probe-system 0 name failcmd\n\
         probe-system 0 name exit3\n\
         probe-system 0 name killed\n\
         probe-system 0 name opts x=2\n\
         probe-system 0 name opts x=3\n\
         probe 0 path {m}/not-elf.ko\n\
         probe 4 path {m}/not-elf.ko a=1\n\
         probe 3 path {m}/not-elf.ko\n\
         probe 0 path {m}/empty.ko\n\
         probe 0 path {m}/corrupt.ko.xz\n\
         probe 20 name kbuiltin\n\
         insert 0 name nonexistent\n\
         insert 0 name kbuiltin\n\
         insert 0 path {m}/not-elf.ko\n\
         insert 0 path {m}/not-elf.ko a=1 b=2\n\
         insert 3 path {m}/not-elf.ko\n\
         insert 1 path {m}/not-elf.ko\n\
         insert 0 path {m}/corrupt.ko.xz\n\
         insert 0 path {m}/corrupt.ko.zst\n\
         insert 0 path {m}/empty.ko\n\
         insert 0 path {m}/tiny.ko\n\
         remove 0 nonexistent_xyz\n\
         remove 1 nonexistent_xyz\n\
         remove 200 nonexistent_xyz\n\
         remove 801 nonexistent_xyz\n\
         remove 0 kbuiltin\n"
    );
    c
}

fn write_config() -> String {
    let path = common::work_dir().join("probe.conf");
    std::fs::write(&path, CONFIG).unwrap();
    path.display().to_string()
}

#[test]
fn probe_insert_remove_as_libkmod() {
    let prog = common::compile("probe");
    let out = common::compare_traced(&prog, &[&golden_dir(), &write_config()], &commands(), &[]);
    // the comparison covered what it should
    for want in [
        "install=1 options='greeting=hi extra=1 more=2'",
        "run_install fakecmd cmd='/bin/true' data=cookie",
        "\n  probe 65536\n",
        "\n  probe 131072\n",
        "\n  probe 262144\n",
        "\n  probe -17\n",
        "retcode 3",
        "Failed to insert module",
        "could not find module by name='nonexistent'",
    ] {
        assert!(out.contains(want), "{want:?} missing from:\n{out}");
    }
    eprintln!("probe: {} lines compared", out.lines().count());
}

/// A made-up /sys/module: some modules live, one coming, one going.
fn fake_sysfs() -> String {
    let root = common::work_dir().join("fakesys");
    let m = root.join("sys/module");
    for (name, state) in [
        ("square", Some("live\n")),
        ("khello", Some("live\n")),
        ("rust_cube", Some("coming\n")),
        ("test_square", Some("going\n")),
        ("square_xz", None),
        ("fakecmd", Some("live\n")),
    ] {
        let dir = m.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(s) = state {
            std::fs::write(dir.join("initstate"), s).unwrap();
        }
    }
    std::fs::create_dir_all(root.join("proc")).unwrap();
    std::fs::write(root.join("proc/modules"), "square 16384 0 - Live 0x0\n").unwrap();
    root.display().to_string()
}

#[test]
fn probe_with_modules_loaded() {
    let prog = common::compile("probe");
    let shim = common::fakesys().display().to_string();
    let root = fake_sysfs();
    let out = common::compare_traced(
        &prog,
        &[&golden_dir(), &write_config()],
        &commands(),
        &[("LD_PRELOAD", &shim), ("FAKE_SYSROOT", &root)],
    );
    // loaded modules were seen as loaded (-EEXIST with FAIL_ON_LOADED)
    assert!(
        out.contains("> probe 30 name khello\n  new 0\n  module khello\n  probe -17\n"),
        "{out}"
    );
}

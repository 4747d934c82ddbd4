//! `modinfo` of many arguments in one call, byte for byte with kmod: with
//! enough of them rmodinfo reads module files on several threads, and what
//! it prints must still come out as kmod prints it — stdout, the messages
//! in between (missing files, files that are not modules, names that are
//! nothing, bad parameters), and the exit status.

mod kmodref;

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kmodref::{describe, kmod, root, run, sample, with_modinfo, Scratch};

/// Ours under kmod's name, which its messages carry.
fn rmodinfo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rmodinfo"));
    c.arg0("modinfo");
    c
}

/// Arguments of every kind, many times over, in an order that puts
/// failures between modules and modules between failures.
fn arguments(dir: &Scratch) -> Vec<PathBuf> {
    let bad_parm = with_modinfo(
        &sample("test_cube.ko"),
        b"license=GPL\0parm=nocolon\0parmtype=side:int\0description=bad parm\0",
    );
    let mut kinds = vec![
        dir.write("square.ko", &sample("square.ko")),
        PathBuf::from("/nonexistent/missing.ko"),
        dir.write("test_cube.ko", &sample("test_cube.ko")),
        dir.write("garbage.ko", &[0x55; 300]),
        dir.write("khello.ko", &sample("khello.ko")),
        PathBuf::from("no-such-module-or-alias"),
        dir.write("bad-parm.ko", &bad_parm),
        dir.write("notes.txt", b"not a module file name\n"),
        dir.0.join("a-directory.ko"),
    ];
    std::fs::create_dir_all(dir.0.join("a-directory.ko")).expect("scratch dir");
    let malformed = root().join("testdata/malformed");
    // (not bad-shstrndx.ko: kmod 30 aborts on it)
    for name in [
        "empty.ko",
        "not-elf.ko",
        "truncated.ko",
        "modinfo-size-huge.ko",
        "section-offsets-past-end.ko",
        "bad-signature.ko",
        "modinfo-no-nul.ko",
        "corrupt.ko.xz",
    ] {
        kinds.push(malformed.join(name));
    }
    (0..300)
        .map(|i| kinds[(i * 7 + i / 3) % kinds.len()].clone())
        .collect()
}

/// Stdout and stderr into one file, as they interleave there.
fn merged(cmd: &mut Command, file: &Path) -> (Vec<u8>, Option<i32>) {
    let out = File::create(file).expect("output file");
    let err = out.try_clone().expect("output file");
    let status = cmd
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .status()
        .expect("run command");
    (std::fs::read(file).expect("output"), status.code())
}

#[test]
fn many_arguments_print_as_kmod_prints_them() {
    let dir = Scratch::new("modinfo-many");
    let args = arguments(&dir);
    let tree = dir.0.join("tree");
    std::fs::create_dir_all(&tree).expect("scratch tree");
    for opts in [&[][..], &["-F", "description"], &["-0"]] {
        let cmd = |c: &mut Command| {
            c.arg("-b").arg(&tree).args(opts).args(&args);
        };
        let what = format!("modinfo {opts:?} of {} arguments", args.len());
        let mut k = Command::new(kmod("modinfo"));
        let mut o = rmodinfo();
        cmd(&mut k);
        cmd(&mut o);
        let (k, o): (Output, Output) = (run(&mut k), run(&mut o));
        assert!(
            k.stdout == o.stdout && k.stderr == o.stderr && k.status.code() == o.status.code(),
            "{}",
            describe(&what, &k, &o)
        );
        assert_eq!(k.status.code(), Some(1), "{what}: some arguments must fail");
        assert!(!k.stderr.is_empty() && !k.stdout.is_empty(), "{what}");

        let mut k = Command::new(kmod("modinfo"));
        let mut o = rmodinfo();
        cmd(&mut k);
        cmd(&mut o);
        let kmod_merged = merged(&mut k, &dir.0.join("kmod.out"));
        let ours_merged = merged(&mut o, &dir.0.join("ours.out"));
        assert!(
            kmod_merged == ours_merged,
            "{what}, stdout and stderr in one file:\n--- kmod ({:?}):\n{}\n--- rkmod ({:?}):\n{}",
            kmod_merged.1,
            String::from_utf8_lossy(&kmod_merged.0),
            ours_merged.1,
            String::from_utf8_lossy(&ours_merged.0),
        );
    }
}

//! Usage errors and the `kmod` command, byte for byte with kmod.
//!
//! Every tool runs under kmod's name (argv[0] set to `insmod`, `kmod`, …)
//! from the multicall binary and from the installed kmod, and stdout,
//! stderr and the exit status must be equal. Where kmod 34 changed what
//! kmod 30 (Debian 12's) prints, the expected bytes are kmod 34's, written
//! here from its behaviour. `kmod static-nodes` reads
//! `/lib/modules/$(uname -r)/modules.devname` and has no root option: it
//! runs in a private mount namespace (`unshare -m`, as root) with a scratch
//! directory bound on `/lib/modules`.

mod kmodref;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use kmodref::{kmod, run, Scratch};

/// `name ARGS` through the multicall binary (`ours`) or kmod.
fn tool(ours: bool, name: &str, args: &[&str]) -> Output {
    let exe = if ours {
        env!("CARGO_BIN_EXE_rkmod").into()
    } else {
        kmod("kmod")
    };
    run(Command::new(exe).arg0(name).args(args))
}

fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_same_all(what: &str, k: &Output, o: &Output) {
    assert!(
        k.stdout == o.stdout && k.stderr == o.stderr && k.status.code() == o.status.code(),
        "{what}\n=== kmod: {}\n=== rkmod: {}",
        show(k),
        show(o)
    );
}

#[test]
fn usage_errors_in_getopt_words() {
    let cases: &[&[&str]] = &[
        &["insmod"],
        &["insmod", "--bogus"],
        &["insmod", "--bogus=x"],
        &["insmod", "-Y"],
        &["insmod", "-fY"],
        &["insmod", "/no/such/file.ko"],
        &["insmod", "/no/such/file.ko", "a=1"],
        &["insmod", "-"],
        &["rmmod"],
        &["rmmod", "--bogus"],
        &["rmmod", "-Z", "x"],
        &["modinfo"],
        &["modinfo", "--bogus"],
        &["modinfo", "-F"],
        &["modinfo", "--field"],
        &["modinfo", "-k"],
        &["modinfo", "--set-version"],
        &["modinfo", "-b"],
        &["modinfo", "/no/such/file.ko"],
        &["modinfo", "--field=x", "--author=1", "y"],
        &["modprobe"],
        &["modprobe", "--bogus"],
        &["modprobe", "-S"],
        &["modprobe", "--set-version"],
        &["modprobe", "-C"],
        &["modprobe", "-d"],
        &["modprobe", "-w"],
        &["modprobe", "--wait"],
        &["modprobe", "--show"],
        &["modprobe", "-Z"],
        &["modprobe", "--dump-modversions"],
        &["modprobe", "--dump-modversions", "/no/such/file.ko"],
        &["modprobe", "--show-exports", "/no/such/file.ko"],
        &["depmod", "-z"],
        &["depmod", "-az"],
        &["depmod", "--bogus=1"],
        &["depmod", "-b"],
        &["depmod", "--basedir"],
        &["depmod", "-P"],
        &["depmod", "-E"],
        // an option's argument is the next word, whatever it looks like
        &["depmod", "-b", "-A", "1.2.3"],
        &["depmod", "--basedir", "-r", "-A"],
        &["modinfo", "-F", "-a", "/no/such/file.ko"],
        // checked in getopt's order: before later options are looked at
        &["depmod", "-P", "-v", "-Px"],
        &["depmod", "--symbol-prefix", "-Px", "--bogus"],
        &["modprobe", "-n", "-w", "-i", "-", "-C"],
        &["modprobe", "--wait", "--resolve", "-n", "--wait"],
        &["modprobe", "-w", "abc", "-V"],
        // options may come again
        &["modprobe", "-n", "-n", "-q", "-q", "/no/such/file.ko"],
        &[
            "modinfo",
            "-F",
            "a",
            "-F",
            "b",
            "-0",
            "-0",
            "/no/such/file.ko",
        ],
        // an abbreviation kmod reads as its option is that option, though
        // rkmod has more options starting so
        &["rmmod", "--f"],
    ];
    for case in cases {
        let (name, args) = case.split_first().unwrap();
        let k = tool(false, name, args);
        let o = tool(true, name, args);
        assert_same_all(&format!("{case:?}"), &k, &o);
        assert_ne!(o.status.code(), Some(0), "{case:?}");
    }
}

/// rmmod: libkmod's line for a refused removal, then rmmod's.
#[test]
fn rmmod_refused_removal_in_kmods_two_lines() {
    let o = tool(true, "rmmod", &["-f", "no-such-mod"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    let reason = lines[1]
        .strip_prefix("rmmod: ERROR: could not remove module no-such-mod: ")
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(
        lines[0],
        format!("rmmod: ERROR: could not remove 'no_such_mod': {reason}")
    );
}

#[test]
fn insmod_open_errors_are_not_kernel_errors() {
    let o = tool(true, "insmod", &["/no/such/file.ko"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "insmod: ERROR: could not load module /no/such/file.ko: No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(1));
}

/// kmod 34's words where kmod 30 had others.
#[test]
fn kmod_34_usage_errors() {
    for (args, err) in [
        (
            &["insmod", "--verbose=3"][..],
            "insmod: option '--verbose' doesn't allow an argument\n",
        ),
        (&["rmmod", "-w"], "rmmod: invalid option -- 'w'\n"),
        (
            &["lsmod", "x"],
            "lsmod: ERROR: too many arguments provided.\n",
        ),
        (
            &["lsmod", "--bogus"],
            "lsmod: unrecognized option '--bogus'\n",
        ),
        (
            &["/sbin/lsmod", "-Y"],
            "/sbin/lsmod: invalid option -- 'Y'\n",
        ),
        // --f is --force in kmod 34's insmod, though rkmod also has --sim
        (
            &["insmod", "--f", "/no/such/file.ko"],
            "insmod: ERROR: could not load module /no/such/file.ko: No such file or directory\n",
        ),
        // the argument of -o is the next word
        (
            &["depmod", "-o", "-m", "--bogus"],
            "depmod: unrecognized option '--bogus'\n",
        ),
        // --m is --moduledir and --q --quick (kmod 30's --map and --quiet
        // are accepted still, but kmod 34's table has them no more)
        (
            &["depmod", "--m", "--q", "--bogus"],
            "depmod: unrecognized option '--bogus'\n",
        ),
    ] {
        let (name, rest) = args.split_first().unwrap();
        let o = tool(true, name, rest);
        assert_eq!(String::from_utf8_lossy(&o.stderr), err, "{args:?}");
        assert!(o.stdout.is_empty());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
    }
}

/// rkmod's own options used wrongly: a kmod error line, not clap's text.
#[test]
fn rkmod_option_errors_in_kmods_form() {
    for (args, err) in [
        (
            &["modprobe", "--json", "x"][..],
            "modprobe: ERROR: the following required arguments were not provided: --show-depends\n",
        ),
        (
            &["modprobe", "-D", "--graph", "--json", "x"],
            "modprobe: ERROR: the argument '--graph' cannot be used with '--json'\n",
        ),
    ] {
        let (name, rest) = args.split_first().unwrap();
        let o = tool(true, name, rest);
        assert_eq!(String::from_utf8_lossy(&o.stderr), err, "{args:?}");
        assert_eq!(o.status.code(), Some(1));
    }
}

/// `-h`: kmod's text first (kmod 34's), then rkmod's options, and a help
/// before a bad option wins as it does in getopt's order.
#[test]
fn help_is_kmods_then_rkmods() {
    let o = tool(true, "lsmod", &["-h", "--bogus"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with(
            "Usage:\n\tlsmod [options]\nOptions:\n\t-s, --syslog      print to syslog, not stderr\n\t-v, --verbose     enables more messages\n\t-V, --version     show version\n\t-h, --help        show this help\n\nrkmod options:\n"
        ),
        "{text}"
    );
    for (name, own) in [
        ("insmod", &["--sim"][..]),
        ("rmmod", &["--sim"]),
        ("lsmod", &["--json", "--sim"]),
        ("modinfo", &["--json", "--sim"]),
        ("modprobe", &["--json", "--graph", "--sim"]),
        ("depmod", &["--json", "--graph", "--sim"]),
    ] {
        let o = tool(true, name, &["--help"]);
        assert_eq!(o.status.code(), Some(0), "{name}");
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let (kmods, ours) = text
            .split_once("\nrkmod options:\n")
            .unwrap_or_else(|| panic!("{name}: no rkmod options\n{text}"));
        assert!(
            kmods.starts_with(&format!("Usage:\n\t{name} ")),
            "{name}: {kmods}"
        );
        assert!(kmods.contains("-h, --help"), "{name}");
        for opt in own {
            assert!(
                ours.contains(&format!("\t    {opt}")),
                "{name}: {opt} in {ours}"
            );
            assert!(!kmods.contains(opt), "{name}: {opt} among kmod's options");
        }
    }
    let o = tool(true, "modprobe", &["--bogus", "-h"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

const KMOD_HELP: &str = "kmod - Manage kernel modules: list, load, unload, etc\n\
Usage:\n\
\tkmod [options] command [command_options]\n\n\
Options:\n\
\t-V, --version     show version\n\
\t-h, --help        show this help\n\n\
Commands:\n\
\x20 help         show help message\n\
\x20 list         list currently loaded modules\n\
\x20 static-nodes output the static-node information installed with the currently running kernel\n\
\n\
kmod also handles gracefully if called from following symlinks:\n\
\x20 lsmod        compat lsmod command\n\
\x20 rmmod        compat rmmod command\n\
\x20 insmod       compat insmod command\n\
\x20 modinfo      compat modinfo command\n\
\x20 modprobe     compat modprobe command\n\
\x20 depmod       compat depmod command\n";

/// The `kmod` command as kmod 34 answers.
#[test]
fn kmod_command() {
    let expect = |args: &[&str], status: i32, stdout: &str, stderr: &str| {
        let o = tool(true, "kmod", args);
        assert_eq!(
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).as_ref(),
                String::from_utf8_lossy(&o.stderr).as_ref()
            ),
            (Some(status), stdout, stderr),
            "kmod {args:?}"
        );
    };
    expect(&["-h"], 0, KMOD_HELP, "");
    expect(&["--he"], 0, KMOD_HELP, "");
    expect(&["help"], 0, KMOD_HELP, "");
    expect(&["help", "-x"], 0, KMOD_HELP, "");
    expect(&[], 1, KMOD_HELP, "missing command\n");
    expect(&["lsmod"], 1, KMOD_HELP, "invalid command 'lsmod'\n");
    expect(&["-", "x"], 1, KMOD_HELP, "invalid command '-'\n");
    expect(&["-x", "list"], 1, "", "kmod: invalid option -- 'x'\n");
    expect(&["--bogus"], 1, "", "kmod: unrecognized option '--bogus'\n");
    expect(
        &["--help=1"],
        1,
        "",
        "kmod: option '--help' doesn't allow an argument\n",
    );
    expect(&["list", "-x"], 1, "", "list: invalid option -- 'x'\n");
    expect(
        &["list", "x"],
        1,
        "",
        "kmod: ERROR: too many arguments provided.\n",
    );
    expect(
        &["static-nodes", "--bogus"],
        1,
        "",
        "static-nodes: unrecognized option '--bogus'\n",
    );
    expect(
        &["static-nodes", "-f"],
        1,
        "",
        "static-nodes: option requires an argument -- 'f'\n",
    );
    let v = tool(true, "kmod", &["-V", "bogus"]);
    assert_eq!(v.status.code(), Some(0));
    assert_eq!(v.stdout, tool(true, "insmod", &["-V"]).stdout);

    let sn_help = tool(true, "kmod", &["static-nodes", "-h", "-f", "bogus"]);
    assert_eq!(sn_help.status.code(), Some(0));
    let help = String::from_utf8_lossy(&sn_help.stdout).into_owned();
    assert!(
        help.starts_with("Usage:\n\tkmod static-nodes [options]\n"),
        "{help}"
    );
    assert!(help.ends_with("Formats:\n\thuman        (default) a human readable format. Do not parse.\n\ttmpfiles     the tmpfiles.d(5) format used by systemd-tmpfiles.\n\tdevname      the modules.devname format.\n"), "{help}");
    expect(
        &["static-nodes", "-f", "bogus", "-h"],
        1,
        &help,
        "Unknown format: 'bogus'.\n",
    );
}

/// The modules.devname files at hand: the installed Debian kernel's and
/// those of the differential tests' trees when they are prepared.
fn devname_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for top in [
        "/lib/modules",
        "/var/tmp/rkmod-trees/deb61/lib/modules",
        "/var/tmp/rkmod-trees/deb612/lib/modules",
    ] {
        for e in std::fs::read_dir(top).into_iter().flatten().flatten() {
            let f = e.path().join("modules.devname");
            if f.is_file() {
                files.push(f);
            }
        }
    }
    assert!(
        !files.is_empty(),
        "no modules.devname: install a Debian kernel (make deps)"
    );
    files
}

/// `kmod static-nodes ARGS` in a mount namespace where /lib/modules is
/// `fake`, from the working directory `cwd`.
fn static_nodes(ours: bool, fake: &Path, cwd: &Path, args: &[&str]) -> Output {
    static_nodes_to(ours, fake, cwd, args, false)
}

/// [`static_nodes`], with standard error on standard output when `merged`
/// (where kmod's buffered stdout puts error lines in between).
fn static_nodes_to(ours: bool, fake: &Path, cwd: &Path, args: &[&str], merged: bool) -> Output {
    let exe = if ours {
        std::path::PathBuf::from(env!("CARGO_BIN_EXE_rkmod"))
    } else {
        kmod("kmod")
    };
    let out = run(Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            if merged {
                "mount --bind \"$1\" /lib/modules || exit 99; shift; cd \"$1\" && shift && exec \"$@\" 2>&1"
            } else {
                "mount --bind \"$1\" /lib/modules || exit 99; shift; cd \"$1\" && shift && exec \"$@\""
            },
            "sh",
        ])
        .arg(fake)
        .arg(cwd)
        .arg(&exe)
        .args(args));
    assert_ne!(
        out.status.code(),
        Some(99),
        "cannot bind a scratch /lib/modules (this test needs root and unshare): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The files under `dir`, with their contents and modes, for comparing.
fn tree(dir: &Path) -> Vec<(String, u32, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let mode = e.metadata().unwrap().permissions().mode();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                stack.push(p);
                v.push((rel, mode, Vec::new()));
            } else {
                v.push((rel, mode, std::fs::read(&p).unwrap()));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn static_nodes_as_kmod() {
    let release = String::from_utf8(run(Command::new("uname").arg("-r")).stdout).unwrap();
    let release = release.trim();
    let scratch = Scratch::new("static-nodes");
    let fake = scratch.0.join("lib-modules");
    let devname = fake.join(release).join("modules.devname");
    std::fs::create_dir_all(fake.join(release)).unwrap();
    let mut inputs: Vec<Vec<u8>> = devname_files()
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    // what kmod's reading makes of odd lines: comments, blanks, junk after
    // an entry, signs, a bad type, a blank before the colon, no newline
    inputs.push(
        b"# c\nfuse fuse c10:229\n\nbad line\na b x1:2\nsnd-timer snd/timer c116:33\n  a\tb   b 1: 2 junk\nz y c+1:-1\nq w c1 :2\nlast noeol b7:8"
            .to_vec(),
    );
    let arg_sets: &[&[&str]] = &[
        &[],
        &["-f", "tmpfiles"],
        &["--format=devname"],
        &["--format", "human"],
        &["--f=tmpfiles", "-o", "run/tmpfiles.d/static-nodes.conf"],
        &["--output=out.conf", "-fdevname"],
    ];
    for (n, input) in inputs.iter().enumerate() {
        std::fs::write(&devname, input).unwrap();
        for args in arg_sets {
            let mut outs = Vec::new();
            for ours in [false, true] {
                let cwd = scratch.0.join(format!("cwd-{ours}"));
                let _ = std::fs::remove_dir_all(&cwd);
                std::fs::create_dir_all(&cwd).unwrap();
                let mut full = vec!["static-nodes"];
                full.extend_from_slice(args);
                let o = static_nodes(ours, &fake, &cwd, &full);
                outs.push((o, tree(&cwd)));
            }
            let what = format!("input {n}, static-nodes {args:?}");
            assert_same_all(&what, &outs[0].0, &outs[1].0);
            assert_eq!(outs[0].1, outs[1].1, "{what}: files written");
        }
    }
    // errors and entries in one stream: in the order kmod's buffering
    // gives them
    let cwd = scratch.0.join("cwd-merged");
    std::fs::create_dir_all(&cwd).unwrap();
    for args in [&["static-nodes"][..], &["static-nodes", "-f", "devname"]] {
        let k = static_nodes_to(false, &fake, &cwd, args, true);
        let o = static_nodes_to(true, &fake, &cwd, args, true);
        assert_same_all(&format!("merged: {args:?}"), &k, &o);
        assert!(String::from_utf8_lossy(&o.stdout).contains("Error: invalid devname entry"));
    }
    // no modules.devname: kmod's warning and success; a directory instead
    // reads as nothing; no output file is made when there is no input
    for make in ["none", "dir"] {
        let _ = std::fs::remove_file(&devname);
        if make == "dir" {
            std::fs::create_dir(&devname).unwrap();
        }
        for args in [&["static-nodes"][..], &["static-nodes", "-o", "a/b.conf"]] {
            let cwd = scratch.0.join(format!("cwd-{make}"));
            let _ = std::fs::remove_dir_all(&cwd);
            std::fs::create_dir_all(&cwd).unwrap();
            let k = static_nodes(false, &fake, &cwd, args);
            let kt = tree(&cwd);
            std::fs::remove_dir_all(&cwd).unwrap();
            std::fs::create_dir_all(&cwd).unwrap();
            let o = static_nodes(true, &fake, &cwd, args);
            assert_same_all(&format!("{make}: {args:?}"), &k, &o);
            assert_eq!(kt, tree(&cwd), "{make}: {args:?}");
        }
        if make == "none" {
            let o = static_nodes(true, &fake, &scratch.0, &["static-nodes"]);
            assert_eq!(
                String::from_utf8_lossy(&o.stderr),
                format!("Warning: /lib/modules/{release}/modules.devname not found - ignoring\n")
            );
            assert_eq!(o.status.code(), Some(0));
        }
        let _ = std::fs::remove_dir_all(&devname);
    }
}

/// Files kmod reads with fgets: a directory opens and reads as nothing
/// (depmod -E/-F DIR go on, with no kernel symbols), a missing file fails.
#[test]
fn depmod_symbol_files_that_are_directories() {
    let scratch = Scratch::new("depmod-symdir");
    let rel = "6.1.0-56-amd64";
    let tree = scratch.0.join("lib/modules").join(rel);
    std::fs::create_dir_all(tree.join("kernel")).unwrap();
    for m in ["square.ko", "test_square.ko"] {
        std::fs::write(tree.join("kernel").join(m), kmodref::sample(m)).unwrap();
    }
    let base = scratch.0.to_str().unwrap();
    let dir = scratch.0.join("lib").display().to_string();
    for opt in ["-E", "-F"] {
        for file in [dir.as_str(), "/no/such/file"] {
            let args = ["-n", "-b", base, opt, file, rel];
            let k = tool(false, "depmod", &args);
            let mut o = tool(true, "depmod", &args);
            // kmod 34's weakdep section, which kmod 30 does not write
            let text = String::from_utf8(o.stdout).unwrap();
            o.stdout = text
                .replace(
                    "# Weak dependencies extracted from modules themselves.\n",
                    "",
                )
                .into_bytes();
            assert_same_all(&format!("depmod {args:?}"), &k, &o);
        }
    }
}

/// kmod 34: a modprobe argument starting with `/` or `./` is a module
/// file (made absolute from the working directory as typed, `./` kept);
/// its dependencies still come from modules.dep. Other relative paths are
/// names. Written from kmod 34's answers on this tree.
#[test]
fn modprobe_module_given_by_path() {
    let scratch = Scratch::new("modprobe-path");
    let rel = "6.1.0-56-amd64";
    let tree = scratch.0.join("lib/modules").join(rel);
    std::fs::create_dir_all(tree.join("kernel")).unwrap();
    for m in ["square.ko", "test_square.ko"] {
        std::fs::write(tree.join("kernel").join(m), kmodref::sample(m)).unwrap();
    }
    std::fs::write(scratch.0.join("outside.ko"), kmodref::sample("square.ko")).unwrap();
    let base = scratch.0.to_str().unwrap();
    let t = tree.display().to_string();
    let dep = run(Command::new(env!("CARGO_BIN_EXE_rkmod"))
        .arg0("depmod")
        .args(["-b", base, rel]));
    assert!(dep.status.success());
    let outside = format!("{base}/outside.ko");
    let abs = format!("{t}/kernel/test_square.ko");
    let cases: Vec<(Vec<&str>, i32, String, String)> = vec![
        (
            vec!["-n", "-v", "./kernel/test_square.ko", "a=1"],
            0,
            format!("insmod {t}/kernel/square.ko \ninsmod {t}/./kernel/test_square.ko a=1\n"),
            String::new(),
        ),
        (
            vec!["-D", &abs],
            0,
            format!("insmod {t}/kernel/square.ko \ninsmod {t}/kernel/test_square.ko \n"),
            String::new(),
        ),
        (vec!["-D", &outside], 0, format!("insmod {outside} \n"), String::new()),
        (
            vec!["-a", "-D", "./kernel/square.ko", "./kernel/test_square.ko"],
            0,
            format!(
                "insmod {t}/./kernel/square.ko \ninsmod {t}/kernel/square.ko \ninsmod {t}/./kernel/test_square.ko \n"
            ),
            String::new(),
        ),
        (
            vec!["-n", "-v", "./nosuch.ko"],
            1,
            String::new(),
            "modprobe: FATAL: Failed to get module from path ./nosuch.ko: No such file or directory\n".into(),
        ),
        (
            vec!["-r", "-n", "-v", "./kernel/test_square.ko"],
            1,
            String::new(),
            "modprobe: FATAL: Module ./kernel/test_square.ko not found.\n".into(),
        ),
        (
            vec!["-D", "kernel/test_square.ko"],
            1,
            String::new(),
            format!("modprobe: FATAL: Module kernel/test_square.ko not found in directory {t}\n"),
        ),
    ];
    for (args, status, stdout, stderr) in cases {
        let o = run(Command::new(env!("CARGO_BIN_EXE_rkmod"))
            .arg0("modprobe")
            .current_dir(&tree)
            .args(["-d", base, "-S", rel])
            .args(&args));
        assert_eq!(
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned()
            ),
            (Some(status), stdout, stderr),
            "modprobe {args:?}"
        );
    }
}

/// Standard output is buffered as kmod's C stdio buffers it, messages are
/// not: with both streams on one pipe, or on a terminal (`script` gives
/// one), the bytes come in kmod's order. An install command's own output
/// comes after the action line on a terminal, before it in a pipe.
/// (Written against kmod 30, which agrees with 34 on these.)
#[test]
fn output_order_of_shared_streams_as_kmod() {
    let scratch = Scratch::new("stream-order");
    let conf = scratch.write(
        "conf/a.conf",
        b"install fakemod echo child-says-hi\nremove other echo rm-other; exit 3\n",
    );
    let confdir = conf.parent().unwrap().to_str().unwrap().to_string();
    let sample = kmodref::root().join("testdata/kernel/6.1.0-56-amd64/square.ko");
    let sample = sample.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["modprobe", "-v", "-C", &confdir, "fakemod"],
        vec!["modprobe", "-a", "-v", "-C", &confdir, "fakemod", "nosuch"],
        // remove lines are written out at once (kmod's SHOW)
        vec!["modprobe", "-r", "-v", "-C", &confdir, "other"],
        vec!["modinfo", "-F", "license", sample, "/no/such.ko", sample],
    ];
    let rkmod = env!("CARGO_BIN_EXE_rkmod").to_string();
    let kmod_bin = kmod("kmod").display().to_string();
    for case in &cases {
        let (name, args) = case.split_first().unwrap();
        for terminal in [false, true] {
            let mut outs = Vec::new();
            for exe in [&kmod_bin, &rkmod] {
                // argv[0] is the tool's name: exec -a
                let line = format!(
                    "exec -a {name} {exe} {} 2>&1",
                    args.iter()
                        .map(|a| format!("'{a}'"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let o = if terminal {
                    run(Command::new("script").args([
                        "-qec",
                        &format!("bash -c \"{line}\""),
                        "/dev/null",
                    ]))
                } else {
                    run(Command::new("bash").args(["-c", &line]))
                };
                outs.push(o);
            }
            assert!(
                outs[0].stdout == outs[1].stdout && outs[0].status.code() == outs[1].status.code(),
                "{case:?} (terminal: {terminal})\n=== kmod:\n{}\n=== rkmod:\n{}",
                String::from_utf8_lossy(&outs[0].stdout),
                String::from_utf8_lossy(&outs[1].stdout)
            );
            assert!(!outs[1].stdout.is_empty(), "{case:?}");
        }
    }
}

/// kmod 34: an install command that fails is reported by libkmod (its
/// command line and exit status), then by modprobe.
#[test]
fn failing_install_command_as_kmod_34() {
    let scratch = Scratch::new("install-fails");
    let conf = scratch.write(
        "conf/a.conf",
        b"install other echo hi $CMDLINE_OPTS; exit 3\n",
    );
    let confdir = conf.parent().unwrap().to_str().unwrap().to_string();
    let o = tool(true, "modprobe", &["-C", &confdir, "other", "x=1"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hi x=1\n");
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "modprobe: ERROR: Error running install command 'echo hi x=1; exit 3' for module other: retcode 3\n\
         modprobe: ERROR: could not insert 'other': Invalid argument\n"
    );
}

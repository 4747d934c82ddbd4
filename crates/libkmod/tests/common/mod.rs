//! Shared by the C-program tests: find the freshly built `libkmod.so`,
//! compile C programs against `include/libkmod.h`, and run them against
//! our library and against the system's libkmod.so.2 (Debian's kmod).
//! [`compare`] masks pointers and requires the same exit; the state
//! tests' [`compare_traced`] also checks, through the loader's trace, that
//! our library was the one loaded, and reports kmod 34's agreement. A
//! comparison that cannot run fails with its reason.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace's directory.
pub fn workspace_dir() -> PathBuf {
    crate_dir().join("../..")
}

/// A directory of this test run, under the target directory.
pub fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let profile = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let test = exe.file_name().unwrap().to_string_lossy().into_owned();
        let dir = profile
            .join("libkmod-tests")
            .join(format!("{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("work dir");
        // Our library under its SONAME, for the linker and the loader.
        let so = profile.join("libkmod.so");
        build_cdylib(profile);
        assert!(
            so.exists(),
            "FAIL: {} was not built (cargo builds the cdylib with the tests)",
            so.display()
        );
        for name in ["libkmod.so.2", "libkmod.so"] {
            std::os::unix::fs::symlink(&so, dir.join(name)).expect("symlink");
        }
        dir
    })
}

/// Build the cdylib of this profile: `cargo test` builds the library only
/// as the tests link it (an rlib), which would leave `libkmod.so` as old as
/// the last `cargo build`.
fn build_cdylib(profile: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "libkmod", "--lib"])
        .current_dir(workspace_dir());
    if profile.file_name() == Some("release".as_ref()) {
        cmd.arg("--release");
    }
    if let Some(target) = profile.parent() {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run cargo to build libkmod.so: {e}"));
    assert!(status.success(), "FAIL: cargo build -p libkmod failed");
}

/// The system's libkmod (Debian's kmod), which every comparison needs.
pub fn system_libkmod() -> PathBuf {
    for p in [
        "/lib/x86_64-linux-gnu/libkmod.so.2",
        "/usr/lib/x86_64-linux-gnu/libkmod.so.2",
        "/lib/aarch64-linux-gnu/libkmod.so.2",
        "/usr/lib/aarch64-linux-gnu/libkmod.so.2",
    ] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("FAIL: no system libkmod.so.2 to compare with (install Debian's libkmod2)");
}

static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());

/// `make()`'s output, made once per test binary under `key` (tests run in
/// parallel).
fn built_once(key: &str, make: impl FnOnce() -> PathBuf) -> PathBuf {
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == key) {
        return p.clone();
    }
    let p = make();
    built.push((key.to_string(), p.clone()));
    p
}

fn cc(args: &[&str], what: &str) {
    let status = Command::new("cc")
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run cc for {what}: {e}"));
    assert!(status.success(), "FAIL: cc failed on {what}");
}

/// `tests/c/<name>.c` compiled against our header and linked to
/// `libkmod.so.2` (once per test binary).
pub fn compile(name: &str) -> PathBuf {
    built_once(name, || {
        let dir = work_dir();
        let src = crate_dir().join("tests/c").join(format!("{name}.c"));
        let out = dir.join(name);
        cc(
            &[
                "-O1",
                "-g",
                "-Wall",
                "-Werror",
                "-pthread",
                "-o",
                &out.to_string_lossy(),
                &src.to_string_lossy(),
                &format!("-I{}", crate_dir().join("include").display()),
                &format!("-L{}", dir.display()),
                "-l:libkmod.so.2",
                "-ldl",
            ],
            &src.display().to_string(),
        );
        out
    })
}

/// The LD_PRELOAD shim (`tests/c/fakesys.c`) that shows both libraries
/// `/sys/module` and `/proc/modules` from `$FAKE_SYSROOT`.
pub fn fakesys() -> PathBuf {
    built_once("fakesys.so", || {
        let src = crate_dir().join("tests/c/fakesys.c");
        let out = work_dir().join("fakesys.so");
        cc(
            &[
                "-shared",
                "-fPIC",
                "-Wall",
                "-Werror",
                "-o",
                &out.to_string_lossy(),
                &src.to_string_lossy(),
                "-ldl",
            ],
            "fakesys.c",
        );
        out
    })
}

/// Which library a program runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lib {
    Ours,
    System,
    /// The libkmod.so.2 of a directory (kmod 34's build).
    Dir(PathBuf),
}

/// kmod 34's library, when a build of it is at hand.
pub fn kmod34_dir() -> Option<PathBuf> {
    let d = PathBuf::from("/work/kmod34/build");
    d.join("libkmod.so.2").exists().then_some(d)
}

/// One run's outcome.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Run `prog` with one library; `env` is added (e.g. `LD_PRELOAD`). With
/// `trace`, our library's runs have the loader say which libkmod.so.2 it
/// mapped (`LD_DEBUG=libs`, on stderr) and must have mapped ours.
fn spawn(
    prog: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
    lib: Lib,
    trace: bool,
) -> Run {
    let ours = lib == Lib::Ours;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KMOD_LOG")
        .env_remove("LD_PRELOAD")
        .envs(env.iter().copied());
    match lib {
        Lib::Ours => cmd.env("LD_LIBRARY_PATH", work_dir()),
        Lib::System => cmd.env_remove("LD_LIBRARY_PATH"),
        Lib::Dir(d) => cmd.env("LD_LIBRARY_PATH", d),
    };
    if ours && trace {
        cmd.env("LD_DEBUG", "libs");
    }
    let mut child = cmd.spawn().expect("spawn test program");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(data.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    if ours && trace {
        let ours = work_dir().join("libkmod.so.2").display().to_string();
        assert!(
            run.stderr.contains(&format!("calling init: {ours}")),
            "the program did not load our library {ours}:\n{}",
            run.stderr
        );
    }
    run
}

/// Run a program with one library; returns (exit code, stdout, stderr).
pub fn run(prog: &Path, args: &[&str], stdin: &str, lib: Lib) -> (i32, String, String) {
    run_env(prog, args, stdin, lib, &[])
}

/// [`run`] with environment variables set.
pub fn run_env(
    prog: &Path,
    args: &[&str],
    stdin: &str,
    lib: Lib,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let r = spawn(prog, args, stdin, env, lib, false);
    (r.code.unwrap_or(-1), r.stdout, r.stderr)
}

/// Run `prog` with one library and `env` added; a run with ours checks,
/// through the loader's trace, that our library was the one loaded (its
/// stderr then holds the trace too).
pub fn run_traced(prog: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)], lib: Lib) -> Run {
    spawn(prog, args, stdin, env, lib, true)
}

/// Which library answered: the loader's map of the running program says.
pub fn check_libraries_differ(prog: &Path) {
    let _ = system_libkmod();
    let out = Command::new("ldd")
        .arg(prog)
        .env("LD_LIBRARY_PATH", work_dir())
        .output()
        .expect("ldd");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&work_dir().display().to_string()),
        "with LD_LIBRARY_PATH the program must load our library:\n{text}"
    );
}

/// Pointers in log messages (`0x55d6a159e7a0`) as `0xPTR`: they differ
/// from run to run.
pub fn mask_pointers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let n = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if n >= 8 {
            out.push_str("0xPTR");
        } else {
            out.push_str(&rest[i..i + 2 + n]);
        }
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

/// Run with both libraries and require byte-identical stdout (pointers
/// masked, see [`mask_pointers`]); returns it.
pub fn compare(prog: &Path, args: &[&str], stdin: &str) -> String {
    let mut ours = run(prog, args, stdin, Lib::Ours);
    let mut theirs = run(prog, args, stdin, Lib::System);
    ours.1 = mask_pointers(&ours.1);
    theirs.1 = mask_pointers(&theirs.1);
    if ours.1 != theirs.1 || ours.0 != theirs.0 {
        let a: Vec<&str> = ours.1.lines().collect();
        let b: Vec<&str> = theirs.1.lines().collect();
        let first = first_differing_line(&a, &b);
        let lo = first.saturating_sub(3);
        panic!(
            "outputs differ (args {args:?}) at line {}:\n--- ours (exit {}):\n{}\n--- kmod (exit {}):\n{}\n--- our stderr:\n{}",
            first + 1,
            ours.0,
            a[lo..(first + 4).min(a.len())].join("\n"),
            theirs.0,
            b[lo..(first + 4).min(b.len())].join("\n"),
            ours.2.chars().take(2000).collect::<String>()
        );
    }
    ours.1
}

/// A fresh directory under the work directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = work_dir().join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The small module tree of the repository's testdata.
pub fn golden_tree() -> PathBuf {
    workspace_dir().join("testdata/golden/root/lib/modules/6.1.0-56-amd64")
}

/// Real module trees with binary indexes: those installed on this
/// machine, and Debian's 6.1 and 6.12 trees when the differential tests
/// have unpacked them (`$RKMOD_TREES`, default /var/tmp/rkmod-trees).
pub fn system_trees() -> Vec<PathBuf> {
    let cache = std::env::var_os("RKMOD_TREES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/rkmod-trees"));
    let mut out = Vec::new();
    let mut roots = vec![PathBuf::from("/lib/modules")];
    roots.push(cache.join("deb61/lib/modules"));
    roots.push(cache.join("deb612/lib/modules"));
    for root in roots {
        let mut found = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&root) {
            for e in rd.flatten() {
                let p = e.path();
                if p.join("modules.dep.bin").exists() && p.join("modules.alias.bin").exists() {
                    found.push(p);
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    out
}

/// A concrete name matching an alias pattern: `*` as `00`, `?` as `0`,
/// `[…]` as its first member.
pub fn instance_of(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str("00"),
            '?' => out.push('0'),
            '[' => {
                let mut first = None;
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    if first.is_none() && d != '!' && d != '^' {
                        first = Some(d);
                    }
                }
                out.push(first.unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out
}

/// The index of the first line where `a` and `b` differ (where the shorter
/// ends, when one is the other's start).
fn first_differing_line(a: &[&str], b: &[&str]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// The first differing line of two outputs, with context, for a failure.
pub fn first_difference(ours: &str, theirs: &str) -> String {
    let a: Vec<&str> = ours.lines().collect();
    let b: Vec<&str> = theirs.lines().collect();
    let at = first_differing_line(&a, &b);
    let from = at.saturating_sub(8);
    let show = |v: &[&str]| v[from.min(v.len())..(at + 4).min(v.len())].join("\n");
    format!(
        "first difference at line {} (ours {} lines, kmod {} lines): ours {:?}, kmod {:?}\n\
         --- ours:\n{}\n--- kmod:\n{}",
        at + 1,
        a.len(),
        b.len(),
        a.get(at).copied().unwrap_or("<end>"),
        b.get(at).copied().unwrap_or("<end>"),
        show(&a),
        show(&b)
    )
}

/// Run `prog` with both libraries (see [`run_traced`]) and require exit 0
/// from both and the same stdout, unmasked; also run kmod 34's library from
/// `$RKMOD_KMOD34_LIBDIR` when set, and report (not require) its agreement.
/// Returns our stdout.
pub fn compare_traced(prog: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> String {
    let _ = system_libkmod();
    let theirs = run_traced(prog, args, stdin, env, Lib::System);
    let ours = run_traced(prog, args, stdin, env, Lib::Ours);
    assert_eq!(
        theirs.code,
        Some(0),
        "kmod's run failed ({:?}): {}",
        theirs.code,
        theirs.stderr
    );
    assert_eq!(
        ours.code,
        Some(0),
        "our run failed ({:?}): {}",
        ours.code,
        ours.stderr
    );
    assert!(
        ours.stdout == theirs.stdout,
        "{} {:?}: outputs differ\n{}",
        prog.display(),
        args,
        first_difference(&ours.stdout, &theirs.stdout)
    );
    if std::env::var_os("RKMOD_KMOD34_LIBDIR").is_some() {
        let k34 = run_traced(
            prog,
            args,
            stdin,
            env,
            Lib::Dir(
                std::env::var_os("RKMOD_KMOD34_LIBDIR")
                    .unwrap_or_default()
                    .into(),
            ),
        );
        if k34.stdout == ours.stdout {
            eprintln!(
                "kmod 34: same output ({} lines)",
                ours.stdout.lines().count()
            );
        } else {
            eprintln!(
                "kmod 34 DIFFERS: {}",
                first_difference(&ours.stdout, &k34.stdout)
            );
        }
    }
    ours.stdout
}

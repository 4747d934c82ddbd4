//! Shared by the C-program tests: find the freshly built `libkmod.so`,
//! compile C programs against `include/libkmod.h`, and run them against
//! our library and against the system's libkmod.so.2 (Debian's kmod).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

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

/// Compile `tests/c/<name>.c` against our header and library (once per
/// test binary; tests run in parallel).
pub fn compile(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == name) {
        return p.clone();
    }
    let p = compile_now(name);
    built.push((name.to_string(), p.clone()));
    p
}

fn compile_now(name: &str) -> PathBuf {
    let dir = work_dir();
    let src = crate_dir().join("tests/c").join(format!("{name}.c"));
    let out = dir.join(name);
    let status = Command::new("cc")
        .args(["-O1", "-g", "-Wall", "-Werror", "-pthread", "-o"])
        .arg(&out)
        .arg(&src)
        .arg(format!("-I{}", crate_dir().join("include").display()))
        .arg(format!("-L{}", dir.display()))
        .args(["-lkmod", "-ldl"])
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run cc to build {name}.c: {e}"));
    assert!(status.success(), "FAIL: cc failed on {}", src.display());
    out
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
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KMOD_LOG")
        .env_remove("LD_PRELOAD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    match lib {
        Lib::Ours => cmd.env("LD_LIBRARY_PATH", work_dir()),
        Lib::System => cmd.env_remove("LD_LIBRARY_PATH"),
        Lib::Dir(d) => cmd.env("LD_LIBRARY_PATH", d),
    };
    let mut child = cmd.spawn().expect("spawn test program");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(data.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
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

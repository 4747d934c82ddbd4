//! The state helper's C-program comparisons: compile a program of
//! `tests/c` against our header, run it with our `libkmod.so` and with the
//! system's libkmod.so.2 (Debian's kmod), and compare stdout byte for byte.
//! A comparison that cannot run fails with its reason.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn workspace_dir() -> PathBuf {
    crate_dir().join("../..")
}

/// This test binary's directory under `target/<profile>/libkmod-tests`,
/// with our library as `libkmod.so.2` (and `libkmod.so` for the linker).
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

/// Build the cdylib of this profile: `cargo test` builds the library as
/// the tests link it (an rlib), which leaves `libkmod.so` as old as the
/// last `cargo build`.
fn build_cdylib(profile: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "libkmod", "--lib"])
        .current_dir(workspace_dir());
    if profile.file_name() == Some("release".as_ref()) {
        cmd.arg("--release");
    }
    // the same target directory the tests run from
    if let Some(target) = profile.parent() {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run cargo to build libkmod.so: {e}"));
    assert!(status.success(), "FAIL: cargo build -p libkmod failed");
}

/// The system's libkmod.so.2, which every comparison needs.
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
    panic!("FAIL: no system libkmod.so.2 to compare with (Debian's package libkmod2)");
}

fn cc(args: &[&str], what: &str) {
    let status = Command::new("cc")
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run cc for {what}: {e}"));
    assert!(status.success(), "FAIL: cc failed on {what}");
}

static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());

/// `tests/c/<name>.c` compiled against our header and linked to
/// `libkmod.so.2` (once per test binary).
pub fn program(name: &str) -> PathBuf {
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == name) {
        return p.clone();
    }
    let dir = work_dir();
    let src = crate_dir().join("tests/c").join(format!("{name}.c"));
    let out = dir.join(name);
    cc(
        &[
            "-O1",
            "-Wall",
            "-Werror",
            "-Wno-unused-function",
            "-o",
            &out.to_string_lossy(),
            &src.to_string_lossy(),
            &format!("-I{}", crate_dir().join("include").display()),
            &format!("-L{}", dir.display()),
            "-l:libkmod.so.2",
        ],
        &src.display().to_string(),
    );
    built.push((name.to_string(), out.clone()));
    out
}

/// The LD_PRELOAD shim (`tests/c/fakesys.c`) that shows both libraries
/// `/sys/module` and `/proc/modules` from `$FAKE_SYSROOT`.
pub fn fakesys() -> PathBuf {
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == "fakesys.so") {
        return p.clone();
    }
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
    built.push(("fakesys.so".to_string(), out.clone()));
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    Ours,
    System,
    /// kmod 34's library from the directory `$RKMOD_KMOD34_LIBDIR`, when
    /// set (a build of kmod 34.2: compared and reported, not required).
    Kmod34,
}

/// One run's outcome.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Run `prog` with one library; `env` is added (e.g. `LD_PRELOAD`).
pub fn run(prog: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)], lib: Lib) -> Run {
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KMOD_LOG")
        .env_remove("LD_PRELOAD")
        .envs(env.iter().copied());
    match lib {
        Lib::Ours => cmd
            .env("LD_LIBRARY_PATH", work_dir())
            .env("LD_DEBUG", "libs"),
        Lib::System => cmd.env_remove("LD_LIBRARY_PATH"),
        Lib::Kmod34 => cmd.env(
            "LD_LIBRARY_PATH",
            std::env::var_os("RKMOD_KMOD34_LIBDIR").unwrap_or_default(),
        ),
    };
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
    if lib == Lib::Ours {
        // the loader says which libkmod.so.2 it mapped
        let ours = work_dir().join("libkmod.so.2").display().to_string();
        assert!(
            run.stderr.contains(&format!("calling init: {ours}")),
            "the program did not load our library {ours}:\n{}",
            run.stderr
        );
    }
    run
}

/// The first differing line of two outputs, with context, for a failure.
pub fn first_difference(ours: &str, theirs: &str) -> String {
    let a: Vec<&str> = ours.lines().collect();
    let b: Vec<&str> = theirs.lines().collect();
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
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

/// Run `prog` with both libraries and require the same exit and stdout.
/// Returns our stdout.
pub fn compare(prog: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> String {
    let _ = system_libkmod();
    let theirs = run(prog, args, stdin, env, Lib::System);
    let ours = run(prog, args, stdin, env, Lib::Ours);
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
        let k34 = run(prog, args, stdin, env, Lib::Kmod34);
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

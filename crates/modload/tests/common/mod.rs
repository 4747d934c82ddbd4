//! Helpers of the integration tests: compiling the C corpus with the host's
//! gcc into the test's temporary directory (`cross`: with Debian's cross
//! compilers for aarch64 and riscv64; `gen`: generated C modules; `ld`:
//! linking with GNU ld at modload's addresses; `elf`: crafted objects).

#![allow(dead_code)]

pub mod cross;
pub mod elf;
pub mod gen;
pub mod ld;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags of kbuild's x86-64 module builds that matter to the loader.
pub const KERNEL_FLAGS: &[&str] = &[
    "-mcmodel=kernel",
    "-fno-pic",
    "-mno-red-zone",
    "-fno-common",
    "-fno-asynchronous-unwind-tables",
    "-fno-stack-protector",
    "-ffreestanding",
];

/// A fresh directory for one test.
pub fn tmpdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("modload-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// A source of the corpus.
pub fn corpus(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(file)
}

/// Run a tool; panic with its output when it fails or is missing (a check
/// that cannot run fails).
pub fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (install gcc and binutils)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `gcc -c SRC FLAGS -o OUT`.
pub fn cc(src: &Path, flags: &[&str], out: &Path) {
    run(Command::new("gcc")
        .arg("-c")
        .args(flags)
        .arg(src)
        .arg("-o")
        .arg(out));
}

/// The uncompressed `.ko` files of Debian's installed kernels
/// (`/lib/modules/*/kernel`), sorted, every `step`th (the environment
/// variable `step_var` overrides `default_step`). None installed is a
/// failure: `make deps` installs linux-image-amd64.
pub fn debian_modules(step_var: &str, default_step: usize) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "ko") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/lib/modules") {
        for e in entries.flatten() {
            walk(&e.path().join("kernel"), &mut files);
        }
    }
    assert!(
        !files.is_empty(),
        "no uncompressed .ko under /lib/modules/*/kernel: install linux-image-amd64 (make deps)"
    );
    files.sort();
    let step = std::env::var(step_var)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default_step)
        .max(1);
    files.into_iter().step_by(step).collect()
}

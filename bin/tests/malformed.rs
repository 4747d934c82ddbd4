//! The malformed-input corpus (testdata/malformed/): rmodinfo must never
//! panic, and must answer with kmod's exit status — an error naming the file
//! or module wherever kmod fails, the same output wherever kmod copes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/malformed")
}

fn rmodinfo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rmodinfo"))
        .args(args)
        .current_dir(corpus())
        .output()
        .expect("run rmodinfo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Files kmod refuses: non-zero exit and a message naming the module.
const REFUSED: &[&str] = &[
    "empty.ko",
    "tiny.ko",
    "not-elf.ko",
    "truncated-header.ko",
    "truncated.ko",
    "shoff-past-end.ko",
    "section-offsets-past-end.ko",
    "bad-string-table.ko",
    "bad-shstrndx.ko",
    "bad-shentsize.ko",
    "modinfo-size-huge.ko",
    "corrupt.ko.xz",
    "corrupt.ko.zst",
    "corrupt.ko.gz",
    "xz-not-elf.ko.xz",
];

/// Files kmod reads despite the defect (it ignores what it does not need).
const TOLERATED: &[&str] = &[
    "modinfo-no-nul.ko",
    "versions-bad-size.ko",
    "bad-signature.ko",
];

#[test]
fn refused_files_fail_with_a_named_error() {
    for name in REFUSED {
        let (code, _out, err) = rmodinfo(&[&format!("./{name}")]);
        assert_eq!(code, 1, "{name}: exit status {code}, stderr: {err}");
        let modname = name.split('.').next().unwrap().replace('-', "_");
        assert!(
            err.starts_with("rmodinfo: ERROR: ") && err.contains(&modname),
            "{name}: message does not name the module: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn tolerated_files_print_their_info() {
    for name in TOLERATED {
        let (code, out, err) = rmodinfo(&[&format!("./{name}")]);
        assert_eq!(code, 0, "{name}: exit status {code}, stderr: {err}");
        assert!(out.contains("license:"), "{name}: no license line in {out}");
    }
    // the unterminated last string is still read, up to the section's end
    let (_, out, _) = rmodinfo(&["-F", "vermagic", "./modinfo-no-nul.ko"]);
    assert!(!out.is_empty());
}

#[test]
fn no_signature_from_a_trailer_that_does_not_fit() {
    let (_, out, _) = rmodinfo(&["./bad-signature.ko"]);
    assert!(!out.contains("sig_id:"), "{out}");
}

#[test]
fn directories_and_missing_files_are_not_modules() {
    let dir = std::env::temp_dir().join(format!("rkmod-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a-directory.ko")).unwrap();
    let dir_arg = format!("{}/a-directory.ko", dir.display());
    for arg in [dir_arg.as_str(), "./missing.ko"] {
        let (code, out, err) = rmodinfo(&["-k", "0-none", arg]);
        assert_eq!(code, 1, "{arg}");
        assert!(out.is_empty(), "{arg}: {out}");
        assert!(
            err.contains(&format!("Module {arg} not found.")),
            "{arg}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("rkmod-unreadable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("locked.ko");
    std::fs::copy(corpus().join("versions-bad-size.ko"), &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // root reads anything: drop to nobody when we are root
    let is_root = effective_uid() == 0;
    let mut cmd = if is_root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        c.arg(env!("CARGO_BIN_EXE_rmodinfo"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_rmodinfo"))
    };
    let out = cmd.arg(&target).output().expect("run rmodinfo");
    let err = String::from_utf8_lossy(&out.stderr);
    std::fs::remove_dir_all(&dir).ok();
    if is_root && err.contains("Permission denied") && err.contains("setpriv") {
        panic!("could not drop privileges: {err}");
    }
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("could not get modinfo from 'locked': Permission denied"),
        "{err}"
    );
}

fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(u32::MAX)
}

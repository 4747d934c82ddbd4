//! Golden files for rmodinfo on the sample modules: every case in
//! testdata/golden/modinfo/cases.txt was answered by kmod's own modinfo
//! (scripts/make-golden.sh); rmodinfo must print the same bytes and exit
//! with the same status.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// `@ROOT@` in cases and golden files stands for the repository root, so
/// they hold in any checkout; `@REL@` for the sample modules' release.
fn expand(s: &str, root: &Path) -> String {
    s.replace("@ROOT@", &root.to_string_lossy())
        .replace("@REL@", &sample_release(root))
}

fn sample_release(root: &Path) -> String {
    std::fs::read_dir(root.join("testdata/kernel"))
        .expect("testdata/kernel")
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .expect("a release directory under testdata/kernel")
}

#[test]
fn rmodinfo_matches_kmod_goldens() {
    let root = root();
    let dir = root.join("testdata/golden/modinfo");
    let cases = std::fs::read_to_string(dir.join("cases.txt")).expect("cases.txt");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in cases
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (name, args) = line.split_once('|').expect("case: name|args");
        let args: Vec<String> = expand(args.trim(), &root)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let want_out = std::fs::read(dir.join(format!("{}.out", name.trim()))).expect("golden out");
        let want_out = expand(&String::from_utf8_lossy(&want_out), &root);
        let want_code: i32 = std::fs::read_to_string(dir.join(format!("{}.rc", name.trim())))
            .expect("golden rc")
            .trim()
            .parse()
            .expect("rc number");
        let got = Command::new(env!("CARGO_BIN_EXE_rmodinfo"))
            .args(&args)
            .current_dir(&root)
            .output()
            .expect("run rmodinfo");
        let got_out = String::from_utf8_lossy(&got.stdout);
        if got_out != want_out || got.status.code() != Some(want_code) {
            failures.push(format!(
                "case {name}: rmodinfo {args:?}\n--- kmod (rc {want_code})\n{want_out}\n--- rmodinfo (rc {:?})\n{got_out}\n{}",
                got.status.code(),
                String::from_utf8_lossy(&got.stderr)
            ));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} golden cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// rdepmod on the golden tree (the samples, the Rust chain among them, a
/// compressed square, a builtin) writes the very files kmod's depmod wrote
/// there (scripts/make-golden.sh): `test_cube` depends on `rust_cube`,
/// which depends on a `square`.
#[test]
fn rdepmod_matches_kmod_goldens() {
    let root = root();
    let rel = sample_release(&root);
    let golden = root.join("testdata/golden/root/lib/modules").join(&rel);
    let base = std::env::temp_dir().join(format!("rkmod-golden-depmod-{}", std::process::id()));
    let moddir = base.join("lib/modules").join(&rel);
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&moddir).expect("temp tree");
    let inputs = [
        "modules.order",
        "modules.builtin",
        "modules.builtin.modinfo",
    ];
    let status = Command::new("cp")
        .arg("-r")
        .args([golden.join("extra"), golden.join("kernel")])
        .args(inputs.iter().map(|f| golden.join(f)))
        .arg(&moddir)
        .status()
        .expect("cp");
    assert!(status.success());

    let got = Command::new(env!("CARGO_BIN_EXE_rdepmod"))
        .arg("-b")
        .arg(&base)
        .arg(&rel)
        .output()
        .expect("run rdepmod");
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );

    let mut compared = Vec::new();
    for entry in std::fs::read_dir(&golden).expect("golden tree") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.starts_with("modules.") || inputs.contains(&name.as_str()) {
            continue;
        }
        let want = std::fs::read(golden.join(&name)).expect("golden file");
        let ours = std::fs::read(moddir.join(&name)).unwrap_or_default();
        assert!(want == ours, "{name} differs from kmod's");
        compared.push(name);
    }
    let dep = std::fs::read_to_string(moddir.join("modules.dep")).expect("modules.dep");
    assert!(dep.contains("extra/test_cube.ko: extra/rust_cube.ko kernel/fake/square_xz.ko.xz\n"));
    assert!(dep.contains("extra/rust_cube.ko: kernel/fake/square_xz.ko.xz\n"));
    let _ = std::fs::remove_dir_all(&base);
    assert!(compared.len() >= 9, "compared only {compared:?}");
}

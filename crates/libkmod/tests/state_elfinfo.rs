//! kmod_module_get_info, get_versions, get_symbols and
//! get_dependency_symbols (and their accessors) on our library against
//! Debian's libkmod: the same entries, order, values and errors for the
//! repository's test modules, malformed files and builtin modules, and
//! for every module of Debian's 6.1 kernel (signed: the signature fields).

mod common;

use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    common::workspace_dir().join("testdata")
}

fn golden_dir() -> PathBuf {
    testdata().join("golden/root/lib/modules/6.1.0-56-amd64")
}

fn module_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            module_files(&p, out);
        } else if rkmod::has_module_extension(p.to_string_lossy().as_bytes()) {
            out.push(p);
        }
    }
}

fn abs(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

#[test]
fn repository_modules_and_builtins() {
    let prog = common::compile("elfinfo");
    let mut files = Vec::new();
    module_files(&golden_dir(), &mut files);
    module_files(&testdata().join("kernel"), &mut files);
    assert!(files.len() >= 10, "test modules missing: {files:?}");
    let mut specs: Vec<String> = files.iter().map(|p| abs(p)).collect();
    // by name: a builtin module, one from modules.dep, an unknown one
    specs.extend(["kbuiltin", "khello", "test-cube", "nonexistent"].map(String::from));
    let out = common::compare_traced(
        &prog,
        &[&abs(&golden_dir())],
        &(specs.join("\n") + "\n"),
        &[],
    );
    assert!(out.contains("sig_key=") || !out.is_empty());
    assert!(out.contains("== kbuiltin: 0\ninfo 5\n"), "{out}");
}

/// Malformed files one per process: kmod 30 dies of an assertion on some
/// (a corrupt section index); those are not compared, ours must answer.
#[test]
fn malformed_files() {
    let prog = common::compile("elfinfo");
    let mut files = Vec::new();
    module_files(&testdata().join("malformed"), &mut files);
    assert!(files.len() >= 10);
    let dir = abs(&golden_dir());
    let (mut compared, mut kmod_died, mut differ) = (0, Vec::new(), Vec::new());
    let ldd = std::process::Command::new("ldd")
        .arg(common::system_libkmod())
        .output()
        .expect("FAIL: ldd");
    let system_reads_gzip = String::from_utf8_lossy(&ldd.stdout).contains("libz.so");
    let mut gz_checked = 0;
    for f in &files {
        let spec = abs(f) + "\n";
        let theirs = common::run_traced(&prog, &[&dir], &spec, &[], common::Lib::System);
        let ours = common::run_traced(&prog, &[&dir], &spec, &[], common::Lib::Ours);
        assert_eq!(ours.code, Some(0), "{}: {}", f.display(), ours.stderr);
        if spec.ends_with(".gz\n") && !system_reads_gzip {
            // Debian's kmod 30 is built without zlib: it reads the file
            // as it is (not ELF). kmod with zlib (and kmod 34) reads what
            // decompresses, a truncated ELF: -EINVAL.
            assert!(ours.stdout.contains("\ninfo -22\n"), "{}", ours.stdout);
            gz_checked += 1;
            continue;
        }
        if theirs.code != Some(0) {
            kmod_died.push(f.file_name().unwrap().to_string_lossy().into_owned());
            continue;
        }
        if ours.stdout != theirs.stdout {
            differ.push(format!(
                "{}: {}",
                f.display(),
                common::first_difference(&ours.stdout, &theirs.stdout)
            ));
        }
        compared += 1;
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
    eprintln!(
        "malformed: {compared} compared, {gz_checked} gzip checked alone, kmod died on {}: {kmod_died:?}",
        kmod_died.len()
    );
    assert!(
        compared >= files.len() / 2,
        "too few compared: {kmod_died:?}"
    );
}

/// A Debian tree as tests/diff/trees.py provides it (cached under
/// $RKMOD_TREES or /var/tmp/rkmod-trees; deb61 made from the installed
/// kernel's modules, deb612 from Debian's package, when missing, as the
/// differential tests make them).
fn debian_tree(tree: &str) -> PathBuf {
    let diff = common::workspace_dir().join("tests/diff");
    let script = format!(
        "import sys; sys.path.insert(0, {:?}); import trees; \
         print(trees.prepare(trees=({tree:?},))[{tree:?}]['moddir'])",
        diff.display().to_string()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("FAIL: cannot run python3 for tests/diff/trees.py: {e}"));
    assert!(
        out.status.success(),
        "FAIL: tests/diff/trees.py cannot prepare {tree}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(text.lines().last().expect("FAIL: no tree path").trim())
}

#[test]
fn debian_61_tree() {
    let prog = common::compile("elfinfo");
    let dir = debian_tree("deb61");
    let mut files = Vec::new();
    module_files(&dir, &mut files);
    assert!(
        files.len() > 1000,
        "{}: {} modules",
        dir.display(),
        files.len()
    );
    let mut specs: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    // builtin modules by name
    let builtin = std::fs::read_to_string(dir.join("modules.builtin")).unwrap_or_default();
    specs.extend(
        builtin
            .lines()
            .filter_map(|l| Path::new(l).file_name())
            .map(|n| n.to_string_lossy().trim_end_matches(".ko").to_string()),
    );
    let out = common::compare_traced(
        &prog,
        &[&dir.display().to_string()],
        &(specs.join("\n") + "\n"),
        &[],
    );
    let signed = out.matches("\n  sig_key=").count();
    eprintln!(
        "deb61: {} specs compared ({} files, {signed} signed)",
        specs.len(),
        files.len()
    );
    assert!(signed > 1000, "the tree's modules should be signed");
}

/// Debian's 6.12 kernel (`.ko.xz`, signed): every eighth module.
#[test]
fn debian_612_tree_sample() {
    let prog = common::compile("elfinfo");
    let dir = debian_tree("deb612");
    let mut files = Vec::new();
    module_files(&dir, &mut files);
    assert!(
        files.len() > 1000,
        "{}: {} modules",
        dir.display(),
        files.len()
    );
    let specs: Vec<String> = files
        .iter()
        .step_by(8)
        .map(|p| p.display().to_string())
        .collect();
    let out = common::compare_traced(
        &prog,
        &[&dir.display().to_string()],
        &(specs.join("\n") + "\n"),
        &[],
    );
    eprintln!(
        "deb612: {} modules compared ({} with versions)",
        specs.len(),
        out.matches("\nversions ").count() - out.matches("\nversions -").count()
    );
}

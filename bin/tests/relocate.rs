//! `rkmod __relocate`: a sample module relocated at a base with its imports
//! bound; the files written agree with the library; an unbound import is
//! an error naming it.

use std::path::Path;
use std::process::Command;

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/kernel/6.1.0-56-amd64/test_square.ko")
}

fn relocate(extra: &[&str], out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rkmod"))
        .arg("__relocate")
        .arg(sample())
        .args(["--base", "ffffffffc0000000", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn imports() -> Vec<String> {
    let bytes = std::fs::read(sample()).unwrap();
    let obj = modload::parse(&bytes).unwrap();
    let mut names: Vec<String> = obj
        .symbols()
        .iter()
        .filter(|s| s.index != 0 && s.is_undefined())
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn writes_sections_and_layout() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("relocate-ok");
    let _ = std::fs::remove_dir_all(&out);
    let names = imports();
    assert!(names.len() >= 3, "{names:?}");
    let mut args = Vec::new();
    for (i, n) in names.iter().enumerate() {
        args.push("--sym".to_string());
        args.push(format!(
            "{n}=0x{:x}",
            0xffff_ffff_8100_0000u64 + 0x40 * i as u64
        ));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = relocate(&refs, &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    // The same through the library.
    let bytes = std::fs::read(sample()).unwrap();
    let obj = modload::parse(&bytes).unwrap();
    let lay = modload::layout(&obj, &mut modload::LayoutOptions::new()).unwrap();
    let image = modload::relocate(&obj, &lay, 0xffff_ffff_c000_0000, &mut |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .map(|i| 0xffff_ffff_8100_0000 + 0x40 * i as u64)
    })
    .unwrap();
    let listing = std::fs::read_to_string(out.join("layout.txt")).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), image.sections().len());
    assert!(
        lines[0].starts_with(".text 0xffffffffc0000000 "),
        "{}",
        lines[0]
    );
    assert!(listing.contains(".modload.plt 0x"), "{listing}");
    for (line, s) in lines.iter().zip(image.sections()) {
        assert_eq!(*line, format!("{} {:#x} {}", s.name, s.address, s.size));
        let file = std::fs::read(out.join(&s.name)).unwrap();
        assert_eq!(file, image.section_bytes(s).unwrap(), "{}", s.name);
    }
}

#[test]
fn an_unbound_import_is_named() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("relocate-unbound");
    let names = imports();
    let mut args = Vec::new();
    for n in &names[1..] {
        args.push("--sym".to_string());
        args.push(format!("{n}=ffffffff81000000"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = relocate(&refs, &out);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("unknown symbol") && err.contains(&names[0]),
        "{err}"
    );
}

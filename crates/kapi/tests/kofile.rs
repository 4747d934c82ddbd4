//! What the sim kernel reads from a `.ko` before loading it, on the
//! project's sample modules built for Debian's 6.1 kernel (the golden
//! fixtures): exports with their GPL flag from the __ksymtab entries,
//! imports, __versions, vermagic; and the kernel's export table.

use std::path::PathBuf;

use kapi::{KoFile, Symvers};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/kernel/6.1.0-56-amd64")
        .join(format!("{name}.ko"))
}

#[test]
fn exports_carry_their_gpl_flag() {
    let square = KoFile::read(&sample("square")).unwrap();
    assert_eq!(square.name, "square");
    let mut exports = square.exports.clone();
    exports.sort();
    assert_eq!(
        exports,
        [
            ("square".to_string(), false),
            ("square_gpl".to_string(), true)
        ]
    );
    assert!(square.imports.iter().any(|s| s == "_printk"));
    assert!(!square.signed);
    assert!(square.size > 0);
    assert_eq!(
        square.info("vermagic"),
        Some("6.1.0-56-amd64 SMP preempt mod_unload modversions ")
    );
}

#[test]
fn imports_and_their_versions() {
    let user = KoFile::read(&sample("test_square")).unwrap();
    assert!(user.exports.is_empty());
    assert!(
        user.imports.iter().any(|s| s == "square"),
        "{:?}",
        user.imports
    );
    // every import of a modversions build has its CRC in __versions
    for sym in &user.imports {
        assert!(
            user.versions.iter().any(|(n, _)| n == sym),
            "no version for {sym}"
        );
    }
}

#[test]
fn a_file_that_is_no_module_is_an_exec_format_error() {
    let dir = std::env::temp_dir().join(format!("kapi-kofile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.ko");
    std::fs::write(&junk, b"not an ELF file at all, just some text\n").unwrap();
    let e = KoFile::read(&junk).unwrap_err();
    assert_eq!(e.errno(), libc::ENOEXEC, "{e}");
    let missing = KoFile::read(&dir.join("missing.ko")).unwrap_err();
    assert_eq!(missing.errno(), libc::ENOENT, "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn symvers_of_the_fixture_tree_parse() {
    // Module.symvers written by kbuild for the samples: module exports only
    let dir = sample("square").parent().unwrap().to_path_buf();
    let s = Symvers::read(&dir).unwrap();
    // the fixture's symvers names the sample modules, not vmlinux
    assert!(s.is_empty(), "only vmlinux lines count");
}

//! The module tools read sim modules with the code they use for `.ko`
//! files (the `modfile` crate): `.modinfo`, exported symbols from
//! `__ksymtab_strings`, and the symbols needed from other modules among the
//! undefined ones. Checked on the C and the Rust builds.

mod common;

use common::modules;

fn strings(v: Vec<modfile::Symbol<'_>>) -> Vec<String> {
    v.iter()
        .map(|s| String::from_utf8_lossy(s.name).into_owned())
        .collect()
}

#[test]
fn modfile_reads_sim_modules() {
    for lang in ["c", "rust"] {
        let dir = modules(lang).join("extra");
        let f = modfile::ModuleFile::open(dir.join("khello.so")).unwrap();
        let elf = f.elf().unwrap();
        let info: Vec<String> = elf
            .modinfo()
            .unwrap()
            .map(|e| {
                format!(
                    "{}={}",
                    String::from_utf8_lossy(e.key),
                    String::from_utf8_lossy(e.value)
                )
            })
            .collect();
        for want in [
            "license=GPL",
            "name=khello",
            "vermagic=6.1.0-sim SMP mod_unload sim",
            "parmtype=io:int",
            "parmtype=msg:charp",
            "parmtype=tag:string",
            "alias=sim:khello",
        ] {
            assert!(
                info.iter().any(|i| i == want),
                "{lang}: {want} missing from {info:?}"
            );
        }
        assert_eq!(elf.vermagic(), Some(&b"6.1.0-sim SMP mod_unload sim"[..]));

        let f = modfile::ModuleFile::open(dir.join("square.so")).unwrap();
        assert_eq!(
            strings(f.elf().unwrap().exported_symbols().unwrap()),
            ["square"],
            "{lang}"
        );

        let f = modfile::ModuleFile::open(dir.join("test_square.so")).unwrap();
        let deps = strings(f.elf().unwrap().dependency_symbols().unwrap());
        assert!(deps.iter().any(|d| d == "square"), "{lang}: {deps:?}");
    }
}

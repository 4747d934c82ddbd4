//! Module files: what the tools do with a `.ko` (plain, xz, zstd or gzip,
//! told apart by magic bytes), in their order — open (from memory and from
//! a file, which must agree), ELF sections, `.modinfo`, vermagic, the
//! `this_module` name, `__versions`, exported and needed symbols, the
//! appended signature, the strips of `--force` (and the accessors again on
//! the stripped bytes, as the kernel would get them), and the sim kernel's
//! `.so` reader, which `rmodinfo` uses on sim modules.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use modfile::{Compression, Elf, ModuleFile};

rkmod_fuzz::capped_heap!();

/// `.modinfo` keys the tools look up one by one.
const KEYS: &[&str] = &[
    "alias",
    "author",
    "depends",
    "description",
    "firmware",
    "import_ns",
    "intree",
    "license",
    "name",
    "parm",
    "parmtype",
    "retpoline",
    "scmversion",
    "softdep",
    "srcversion",
    "staging",
    "vermagic",
    "version",
    "weakdep",
];

/// Sections the tools and the loader ask for by name.
const SECTIONS: &[&str] = &[
    ".modinfo",
    "__versions",
    "__ksymtab_strings",
    ".gnu.linkonce.this_module",
    ".symtab",
    ".strtab",
    "__ksymtab",
    "__ksymtab_gpl",
    "__kcrctab",
    "__kcrctab_gpl",
    ".init.text",
    ".exit.text",
];

/// modfile's own bound on decompression, lowered from its 1 GiB: a few KB
/// of zstd or xz that expand past it must be refused with an error, not
/// read to the end. 1 MiB is far above the seeds (under 10 KB expanded)
/// and keeps the fuzzer's favourite high-ratio inputs cheap.
fn limits() -> &'static modfile::Limits {
    static LIMITS: OnceLock<modfile::Limits> = OnceLock::new();
    LIMITS.get_or_init(|| modfile::Limits {
        max_decompressed: 1 << 20,
        budget: None,
    })
}

/// A file of this process's own for the path-based open: on tmpfs when
/// there is one, written over in place (creating and deleting a file per
/// input costs more than the rest of the target).
fn scratch() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::var_os("RKMOD_FUZZ_TMP")
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
            .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|d| d.is_dir()))
            .unwrap_or_else(std::env::temp_dir);
        // SAFETY: registers a plain function; libFuzzer ends with exit().
        unsafe { atexit(remove_scratch) };
        dir.join(format!("rkmod-fuzz-modfile.{}.ko", std::process::id()))
    })
}

extern "C" {
    fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn remove_scratch() {
    let _ = std::fs::remove_file(scratch());
}

fn exercise(elf: &Elf<'_>) {
    let _ = (
        elf.class(),
        elf.is_big_endian(),
        elf.endian(),
        elf.machine(),
    );
    for name in elf.section_names() {
        if let Ok(name) = std::str::from_utf8(name) {
            let found = elf.section(name);
            assert_eq!(found.is_some(), elf.section_is_alloc(name).is_some());
        }
    }
    for name in SECTIONS {
        if let Some(bytes) = elf.section(name) {
            let _ = modfile::section_strings(bytes).count();
        }
        let _ = elf.section_is_alloc(name);
    }
    if let Ok(entries) = elf.modinfo() {
        for e in entries {
            assert!(!e.key.contains(&b'=') && !e.key.contains(&0));
            let _ = modfile::ModinfoEntry::split(e.value);
        }
    }
    for key in KEYS {
        let _ = elf.modinfo_values(key).count();
    }
    let _ = elf.vermagic();
    if let Some(name) = elf.this_module_name() {
        let _ = modfile::normalize_name(name);
        let _ = modfile::modname_from_path(name);
    }
    if let Ok(versions) = elf.modversions() {
        for v in &versions {
            let _ = v.bind.letter();
        }
    }
    if let Ok(syms) = elf.exported_symbols() {
        for s in &syms {
            let _ = s.bind.letter();
        }
    }
    if let Ok(syms) = elf.dependency_symbols() {
        for s in &syms {
            let _ = s.bind.letter();
        }
    }
}

fn strips(elf: &Elf<'_>) {
    let len = elf.data().len();
    if let Ok(out) = elf.strip_section("__versions") {
        assert_eq!(out.len(), len);
    }
    if let Ok(out) = elf.strip_vermagic() {
        assert_eq!(out.len(), len);
    }
    let forced = elf.strip_for_force();
    assert_eq!(forced.len(), len);
    if let Ok(stripped) = Elf::parse(&forced) {
        exercise(&stripped);
    }
}

fn signature(file: &ModuleFile) {
    if let Some(sig) = file.signature() {
        let _ = modfile::hex_colon(&sig.key_id);
        let _ = modfile::hex_colon(&sig.signature);
        let _ = String::from_utf8_lossy(&sig.signer);
        let _ = (sig.id_type, sig.hash_algo);
    }
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    let compression = Compression::from_magic(data);
    let _ = compression.name();
    let from_memory = ModuleFile::from_bytes_with(data.to_vec(), limits());

    // The tools open files by path: plain ones are mapped, others read.
    let path = scratch();
    let from_file = std::fs::write(path, data)
        .ok()
        .map(|()| ModuleFile::open_with(path, limits()));
    if let Some(from_file) = &from_file {
        match (&from_memory, from_file) {
            (Ok(m), Ok(f)) => {
                assert_eq!(m.compression(), f.compression());
                assert!(m.bytes() == f.bytes(), "open and from_bytes disagree");
            }
            (Err(_), Err(_)) => {}
            (m, f) => panic!(
                "open and from_bytes disagree: {:?} / {:?}",
                m.as_ref().err(),
                f.as_ref().err()
            ),
        }
    }

    let Ok(file) = from_memory else {
        return;
    };
    assert_eq!(file.compression(), compression);
    signature(&file);
    if let Ok(elf) = file.elf() {
        exercise(&elf);
        strips(&elf);
    }
    let _ = sim::sofile::SoFile::parse(file.bytes(), Path::new("/fuzz/input.so"));
});

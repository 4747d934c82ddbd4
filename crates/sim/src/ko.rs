//! What the sim kernel does for `.ko` modules before a host runs them, in
//! the kernel's load_module order: the kernel API for the release (kapi.ko,
//! built once from the release's headers), signature and vermagic checks
//! with the kernel's words, the taint lines printed once per boot, and the
//! kernel's export table with its GPL and CRC rules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kapi::{Export, KoFile, Symvers};
use nix::libc;

use crate::error::Error;
use crate::protocol::InsertFlags;
pub(crate) use crate::taint::Taints;

/// kapi.ko for the sim kernel's release and what it serves.
#[derive(Debug)]
pub(crate) struct KernelApi {
    pub kapi: PathBuf,
    pub headers: PathBuf,
    /// The release's vermagic (kapi.ko's own, built from the same headers).
    pub vermagic: String,
    /// (major, minor) of the release, for what differs between kernels.
    pub version: (u32, u32),
    /// The kernel checks symbol versions (its exports carry CRCs).
    pub modversions: bool,
    exports: HashMap<String, Export>,
}

impl KernelApi {
    /// Build (or find cached in `cache`) kapi.ko for `release` from the
    /// headers in `headers`.
    pub fn prepare(release: &str, headers: &Path, cache: &Path) -> Result<KernelApi, Error> {
        let fail = |e: kapi::Error| Error::new(e.errno(), e.to_string());
        let kapi = kapi::kbuild::ensure_kapi(headers, release, cache).map_err(fail)?;
        let symvers = Symvers::read(headers).map_err(fail)?;
        let bytes = std::fs::read(&kapi)?;
        let obj = modload::parse(&bytes).map_err(|e| Error::new(e.errno(), e.to_string()))?;
        let exports = kapi::served(&obj, &symvers);
        let modversions = exports.values().any(|e| e.crc != 0);
        let file = KoFile::read(&kapi).map_err(fail)?;
        let vermagic = file.info("vermagic").unwrap_or_default().to_string();
        let mut numbers = vermagic
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
        Ok(KernelApi {
            kapi,
            headers: headers.to_path_buf(),
            vermagic,
            version,
            modversions,
            exports,
        })
    }

    /// The kernel's export `name`, if the sim kernel serves it.
    pub fn export(&self, name: &str) -> Option<Export> {
        self.exports.get(name).copied()
    }
}

/// Whether `path` holds an ELF relocatable object (a `.ko`, any
/// compression), as opposed to a shared-object sim module.
pub(crate) fn is_relocatable(path: &Path) -> bool {
    modfile::ModuleFile::open(path)
        .map(|f| {
            let b = f.bytes();
            b.len() > 18 && b.starts_with(b"\x7fELF") && u16::from_le_bytes([b[16], b[17]]) == 1
        })
        .unwrap_or(false)
}

/// The kernel's `same_magic`: with modversions the release part (the first
/// word) may differ, the rest must not.
pub(crate) fn same_magic(module: &str, kernel: &str, has_crcs: bool) -> bool {
    if has_crcs {
        let skip = |s: &str| s.find(' ').map_or(String::new(), |i| s[i..].to_string());
        skip(module) == skip(kernel)
    } else {
        module == kernel
    }
}

/// The line newer kernels (6.12; not 6.1) add once when a module's
/// license taints, after set_license's own.
pub(crate) fn check_license_taint(
    file: &KoFile,
    api: &KernelApi,
    gpl_ok: bool,
    taints: &mut Taints,
    log: &mut dyn FnMut(i32, String),
) {
    if !gpl_ok && api.version >= (6, 12) {
        taints.proprietary_module(&file.name, log);
    }
}

/// A `.ko`'s modinfo checks, as load_module words them: vermagic, then
/// in-tree. Log lines go through `log`.
pub(crate) fn check_modinfo(
    file: &KoFile,
    api: &KernelApi,
    flags: InsertFlags,
    taints: &mut Taints,
    log: &mut dyn FnMut(i32, String),
) -> Result<(), Error> {
    let name = &file.name;
    // Modversions: without __versions (or told to ignore them) the kernel
    // cannot check the module's struct layout and forces past it.
    if api.modversions && (flags.ignore_modversions || file.versions.is_empty()) {
        taints.forced(name, "module_layout", log);
    }
    let has_crcs = !file.versions.is_empty() && !flags.ignore_modversions;
    match file.info("vermagic") {
        Some(v) if !flags.ignore_vermagic => {
            if !same_magic(v, &api.vermagic, has_crcs) {
                let msg = format!("{name}: version magic '{v}' should be '{}'", api.vermagic);
                log(3, msg.clone());
                return Err(Error::new(libc::ENOEXEC, msg));
            }
        }
        // none, or ignored (MODULE_INIT_IGNORE_VERMAGIC): a forced load
        _ => taints.forced(name, "bad vermagic", log),
    }
    if file.info("intree").is_none() {
        taints.out_of_tree(name, log);
    }
    Ok(())
}

/// The signature taint, which load_module reports after the modinfo
/// checks and the license (once per boot).
pub(crate) fn check_signature(
    file: &KoFile,
    taints: &mut Taints,
    log: &mut dyn FnMut(i32, String),
) {
    if !file.signed {
        taints.unsigned(&file.name, log);
    }
}

/// A kernel symbol for a `.ko`: the export's GPL rule and its CRC against
/// the module's `__versions`. `Ok(false)`: not a kernel symbol.
pub(crate) fn check_kernel_symbol(
    file: &KoFile,
    api: &KernelApi,
    sym: &str,
    (gpl_ok, ignore_crcs): (bool, bool),
    log: &mut dyn FnMut(i32, String),
) -> Result<bool, i32> {
    let Some(e) = api.export(sym) else {
        return Ok(false);
    };
    if e.gpl_only && !gpl_ok {
        return Err(libc::ENOENT);
    }
    if e.crc != 0 && !file.versions.is_empty() && !ignore_crcs {
        match file.versions.iter().find(|(n, _)| n == sym) {
            Some((_, crc)) if *crc == e.crc => {}
            Some(_) => {
                log(
                    4,
                    format!("{}: disagrees about version of symbol {sym}", file.name),
                );
                return Err(libc::EINVAL);
            }
            // the kernel warns and lets it go
            None => log(4, format!("{}: no symbol version for {sym}", file.name)),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_ignores_the_release_with_crcs() {
        let k = "6.1.0-57-amd64 SMP preempt mod_unload modversions ";
        assert!(same_magic(k, k, false));
        assert!(same_magic(
            "6.1.0-56-amd64 SMP preempt mod_unload modversions ",
            k,
            true
        ));
        assert!(!same_magic(
            "6.1.0-56-amd64 SMP preempt mod_unload modversions ",
            k,
            false
        ));
        assert!(!same_magic("6.1.0-57-amd64 SMP mod_unload ", k, true));
    }
}

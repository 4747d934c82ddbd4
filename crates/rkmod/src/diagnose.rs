//! Going beyond kmod's one-line errors: when the kernel refuses a module,
//! find the likely cause from what userspace can see.

use std::collections::HashSet;
use std::path::Path;

use modfile::ModuleFile;

use crate::kernel::KernelState;

const ENOENT: i32 = nix::libc::ENOENT;
const EINVAL: i32 = nix::libc::EINVAL;
const ENOEXEC: i32 = nix::libc::ENOEXEC;
const EPERM: i32 = nix::libc::EPERM;
const ENOKEY: i32 = nix::libc::ENOKEY;
const EKEYREJECTED: i32 = nix::libc::EKEYREJECTED;

/// A one-line explanation (without the `hint: ` prefix) of why the kernel
/// answered `errno` to inserting `path` with `params`, when one is found.
pub fn insert_failure(
    state: &KernelState,
    path: &Path,
    params: &str,
    errno: i32,
) -> Option<String> {
    let file = ModuleFile::open(path).ok()?;
    let elf = file.elf().ok()?;
    match errno {
        ENOENT | EINVAL => unknown_params(&elf, params).or_else(|| unresolved_symbols(state, &elf)),
        ENOEXEC => vermagic_mismatch(&elf),
        ENOKEY | EKEYREJECTED | EPERM => Some(signature(&file, errno)),
        _ => None,
    }
}

fn unknown_params(elf: &modfile::Elf<'_>, params: &str) -> Option<String> {
    let known: HashSet<Vec<u8>> = elf
        .modinfo()
        .ok()?
        .filter(|e| e.key == b"parm" || e.key == b"parmtype")
        .filter_map(|e| e.value.split(|&b| b == b':').next().map(<[u8]>::to_vec))
        .collect();
    let unknown: Vec<String> = crate::params::split_params(params)
        .into_iter()
        .map(|(name, _)| name)
        // `dyndbg` and friends are accepted by the kernel for every module
        .filter(|n| !matches!(n.as_str(), "dyndbg" | "async_probe"))
        .filter(|n| !known.contains(n.replace('-', "_").as_bytes()))
        .collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "unknown parameter{} {} (the module has: {})",
            if unknown.len() > 1 { "s" } else { "" },
            unknown.join(", "),
            if known.is_empty() {
                "none".to_string()
            } else {
                let mut k: Vec<_> = known
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect();
                k.sort();
                k.join(", ")
            }
        )
    })
}

fn unresolved_symbols(state: &KernelState, elf: &modfile::Elf<'_>) -> Option<String> {
    let kallsyms = state.proc_modules().with_file_name("kallsyms");
    let table = std::fs::read(kallsyms).ok()?;
    let known: HashSet<&[u8]> = table
        .split(|&b| b == b'\n')
        .filter_map(|l| l.split(|&b| b == b' ' || b == b'\t').nth(2))
        .collect();
    let missing: Vec<String> = elf
        .dependency_symbols()
        .ok()?
        .into_iter()
        .filter(|s| s.bind != modfile::Bind::Weak && !known.contains(s.name))
        .map(|s| String::from_utf8_lossy(s.name).into_owned())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "unresolved symbol{}: {} (not exported by the kernel or any loaded module)",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        )
    })
}

fn vermagic_mismatch(elf: &modfile::Elf<'_>) -> Option<String> {
    let module = String::from_utf8_lossy(elf.vermagic()?).into_owned();
    let kernel = running_vermagic()?;
    // Like the kernel: with modversions the release is not compared.
    let has_crcs = elf.section("__versions").is_some();
    let tail = |s: &str| {
        s.split_once(' ')
            .map(|(_, t)| t.to_string())
            .unwrap_or_default()
    };
    let differs = if has_crcs {
        tail(&module) != tail(&kernel)
    } else {
        module != kernel
    };
    differs.then(|| {
        format!("vermagic mismatch: module has '{module}', the running kernel has '{kernel}'")
    })
}

/// The running kernel's vermagic, as its own modules carry it: read from
/// the first module of `/lib/modules/$(uname -r)/modules.dep`.
fn running_vermagic() -> Option<String> {
    let ctx = crate::Context::new(None, None).ok()?;
    let dep = std::fs::read(ctx.file("modules.dep")).ok()?;
    let first = dep.split(|&b| b == b'\n').next()?;
    let colon = first.iter().position(|&b| b == b':')?;
    let path = crate::module::path_in(ctx.dirname(), &first[..colon]);
    let file = ModuleFile::open(path).ok()?;
    let elf = file.elf().ok()?;
    let magic = elf.vermagic()?;
    Some(String::from_utf8_lossy(magic).into_owned())
}

fn signature(file: &ModuleFile, errno: i32) -> String {
    let what = match errno {
        ENOKEY => "the kernel does not know the key the module was signed with",
        EKEYREJECTED => "the kernel rejected the module's signature",
        _ => "the kernel refuses unsigned or untrusted modules (signature enforcement or lockdown)",
    };
    match file.signature() {
        Some(sig) => format!(
            "{what}; module signed by '{}' (key {})",
            String::from_utf8_lossy(&sig.signer),
            modfile::hex_colon(&sig.key_id).replace("\n\t\t", "")
        ),
        None => format!("{what}; the module is not signed"),
    }
}

//! Linking an object with GNU ld at the addresses modload chose, for the
//! byte-for-byte comparisons (x86-64 with the host's ld, aarch64 and
//! riscv64 with Debian's cross binutils).
//!
//! ld links a copy of the object in which `SHF_MERGE`/`SHF_STRINGS` are
//! cleared (ld would merge duplicate strings, which the kernel's loader and
//! modload never do) and a few sections ld treats specially are renamed
//! (same length, so the file layout stays): `.note.gnu.build-id` (ld drops
//! it to make its own), `.eh_frame` (ld parses and may rewrite it) and
//! `.note.gnu.property` (ld merges the properties of its inputs).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::run;

/// Sections renamed in the copy ld links: (name, name in the copy).
const RENAMES: &[(&str, &str)] = &[
    (".note.gnu.build-id", ".note.gnu.build-iX"),
    (".eh_frame", ".eh_framX"),
    (".note.gnu.property", ".note.gnu.propertX"),
];

/// The name a section has in the copy ld links (and in ld's output).
pub fn ld_name(name: &str) -> &str {
    RENAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, x)| x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// A copy of an ELF64 object with `SHF_MERGE` and `SHF_STRINGS` cleared in
/// every section header and the sections of [`RENAMES`] renamed.
pub fn prepare(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let shoff = u64_at(bytes, 0x28) as usize;
    let shentsize = u16::from_le_bytes([bytes[0x3a], bytes[0x3b]]) as usize;
    let shnum = u16::from_le_bytes([bytes[0x3c], bytes[0x3d]]) as usize;
    let shstrndx = u16::from_le_bytes([bytes[0x3e], bytes[0x3f]]) as usize;
    let strtab = shoff + shstrndx * shentsize;
    let str_off = u64_at(bytes, strtab + 0x18) as usize;
    for i in 0..shnum {
        let hdr = shoff + i * shentsize;
        let name_at =
            str_off + u32::from_le_bytes(bytes[hdr..hdr + 4].try_into().unwrap()) as usize;
        let end = bytes[name_at..].iter().position(|&b| b == 0).unwrap() + name_at;
        let name = std::str::from_utf8(&bytes[name_at..end]).unwrap_or("");
        let new = ld_name(name);
        if new != name {
            out[name_at..end].copy_from_slice(new.as_bytes());
        }
        let at = hdr + 8;
        let flags =
            u64_at(&out, at) & !u64::from(object::elf::SHF_MERGE | object::elf::SHF_STRINGS);
        out[at..at + 8].copy_from_slice(&flags.to_le_bytes());
    }
    out
}

/// What to link: which ld, the section addresses, the imports, where the
/// image ends (ld's own GOT and PLT go past it) and extra options.
pub struct Job<'a> {
    pub ld: &'a str,
    pub placed: &'a [(String, u64)],
    pub imports: &'a BTreeMap<String, u64>,
    pub end: u64,
    pub extra: &'a [&'a str],
}

/// Link `bytes` (an object) as `job` says, the imports assigned in the
/// script (names quoted: some, such as `edd`, are not accepted by
/// --defsym). Returns ld's output.
pub fn link(job: &Job<'_>, bytes: &[u8], work: &Path, stem: &str) -> Vec<u8> {
    let Job {
        ld,
        placed,
        imports,
        end,
        extra,
    } = *job;
    let mut script = String::new();
    for (n, a) in imports {
        script.push_str(&format!("\"{n}\" = {a:#x};\n"));
    }
    script.push_str("SECTIONS\n{\n");
    for (name, address) in placed.iter() {
        let n = ld_name(name);
        script.push_str(&format!("  {n} {address:#x} : {{ *({n}) }}\n"));
    }
    script.push_str(&format!(
        "  .got {:#x} : {{ *(.got) *(.igot) }}\n  .got.plt : {{ *(.got.plt) *(.igot.plt) }}\n  \
         .plt : {{ *(.plt) *(.iplt) *(.plt.got) }}\n  /DISCARD/ : {{ *(.note.GNU-stack) *(.comment) }}\n}}\n",
        (end.wrapping_add(0x10_0000)) & !0xfff
    ));
    let script_path = work.join(format!("{stem}.lds"));
    std::fs::write(&script_path, &script).unwrap();
    let out = work.join(format!("{stem}.ld-out"));
    let copy = work.join(format!("{stem}.ld-in.o"));
    std::fs::write(&copy, prepare(bytes)).unwrap();
    let mut cmd = Command::new(ld);
    cmd.args([
        "--no-relax",
        "-static",
        "-nostdlib",
        "-z",
        "noexecstack",
        "-z",
        "norelro",
        "--build-id=none",
        "-e",
        "0",
        "--no-warn-rwx-segments",
    ])
    .args(extra)
    .arg("-T")
    .arg(&script_path)
    .arg("-o")
    .arg(&out)
    .arg(&copy);
    run(&mut cmd);
    std::fs::read(&out).unwrap()
}

//! What the tests comparing with kmod share: kmod's tools (a test that
//! cannot find them fails, saying so), the sample modules, scratch
//! directories, and small ELF edits for crafting modules.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// kmod's tool `name` (modinfo, modprobe, depmod). Panics with the reason
/// when it is missing: these tests compare with kmod and never skip.
pub fn kmod(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "kmod's {name} is not installed (apt-get install kmod): this test compares rkmod with it"
    );
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// An unsigned sample module (built for testdata/kernel).
pub fn sample(name: &str) -> Vec<u8> {
    let dir = root().join("testdata/kernel");
    let release = std::fs::read_dir(&dir)
        .expect("testdata/kernel")
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .expect("a release under testdata/kernel")
        .path();
    std::fs::read(release.join(name)).expect("sample module")
}

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("rkmod-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("scratch subdir");
        }
        std::fs::write(&p, data).expect("scratch file");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run a command; its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run command")
}

/// Stdout, stderr and status of kmod and of ours, for the message of a
/// failed comparison.
pub fn describe(what: &str, kmod: &Output, ours: &Output) -> String {
    format!(
        "{what}\n--- kmod (status {:?}):\n{}{}\n--- rkmod (status {:?}):\n{}{}",
        kmod.status.code(),
        String::from_utf8_lossy(&kmod.stdout),
        String::from_utf8_lossy(&kmod.stderr),
        ours.status.code(),
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&ours.stderr),
    )
}

/// Same stdout bytes and exit status.
pub fn assert_same(what: &str, kmod: &Output, ours: &Output) {
    assert!(
        kmod.stdout == ours.stdout && kmod.status.code() == ours.status.code(),
        "{}",
        describe(what, kmod, ours)
    );
}

/// The (offset, size, header offset) of a named section of an ELF64 LE file.
pub fn section(elf: &[u8], want: &str) -> Option<(usize, usize, usize)> {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    let (shoff, shnum, shstrndx) = (u64_at(0x28), u16_at(0x3c), u16_at(0x3e));
    let hdr = |i: usize| shoff + i * 64;
    let names = u64_at(hdr(shstrndx) + 24);
    (0..shnum).find_map(|i| {
        let name_at = names + u32_at(hdr(i));
        let end = elf[name_at..].iter().position(|&b| b == 0)?;
        (&elf[name_at..name_at + end] == want.as_bytes())
            .then(|| (u64_at(hdr(i) + 24), u64_at(hdr(i) + 32), hdr(i)))
    })
}

/// The module with its `.modinfo` replaced by `contents` (appended at
/// the end of the file, the section header pointed there).
pub fn with_modinfo(elf: &[u8], contents: &[u8]) -> Vec<u8> {
    let (_, _, hdr) = section(elf, ".modinfo").expect(".modinfo");
    let mut out = elf.to_vec();
    let at = out.len() as u64;
    out.extend_from_slice(contents);
    out[hdr + 24..hdr + 32].copy_from_slice(&at.to_le_bytes());
    out[hdr + 32..hdr + 40].copy_from_slice(&(contents.len() as u64).to_le_bytes());
    out
}

/// Replace the first occurrence of `from` by `to` (same length).
pub fn patch(data: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = data
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not in the module", String::from_utf8_lossy(from)));
    data[at..at + to.len()].copy_from_slice(to);
}

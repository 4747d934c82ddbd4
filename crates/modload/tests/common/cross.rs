//! Cross-architecture helpers: Debian's cross compilers and binutils
//! (`gcc-aarch64-linux-gnu`, `gcc-riscv64-linux-gnu`), `qemu-user`, the
//! flags the corpus is compiled with, and Debian's foreign kernel packages
//! unpacked under /var/tmp by `scripts/fetch-foreign-kernels.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::run;

/// What installs the cross tools.
pub const DEPS_HINT: &str =
    "run `make deps` (installs gcc-aarch64-linux-gnu, gcc-riscv64-linux-gnu and qemu-user)";

/// A foreign architecture of the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    Aarch64,
    Riscv64,
}

/// Both, in the order the tests run them.
pub const ARCHES: [Arch; 2] = [Arch::Aarch64, Arch::Riscv64];

impl Arch {
    /// The GNU name (`aarch64`, `riscv64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Aarch64 => "aarch64",
            Arch::Riscv64 => "riscv64",
        }
    }
    /// Debian's name (`arm64`, `riscv64`).
    pub fn debian(self) -> &'static str {
        match self {
            Arch::Aarch64 => "arm64",
            Arch::Riscv64 => "riscv64",
        }
    }
    /// A cross tool: `aarch64-linux-gnu-gcc`, ...
    pub fn tool(self, t: &str) -> String {
        format!("{}-linux-gnu-{t}", self.name())
    }
    /// The qemu-user binary.
    pub fn qemu(self) -> String {
        format!("qemu-{}", self.name())
    }
    /// `e_machine`.
    pub fn machine(self) -> u16 {
        match self {
            Arch::Aarch64 => object::elf::EM_AARCH64,
            Arch::Riscv64 => object::elf::EM_RISCV,
        }
    }
    /// Flags every module build of the corpus has (kbuild's that matter to
    /// the loader: no PIC, no common symbols, freestanding, no unwind
    /// tables unless a variant asks for them).
    pub fn base_flags(self) -> &'static [&'static str] {
        match self {
            Arch::Aarch64 => &[
                "-ffreestanding",
                "-fno-pic",
                "-fno-common",
                "-fno-stack-protector",
                "-mgeneral-regs-only",
                "-mno-outline-atomics",
            ],
            Arch::Riscv64 => &[
                "-ffreestanding",
                "-fno-pic",
                "-fno-common",
                "-fno-stack-protector",
            ],
        }
    }
    /// The compilation variants of the corpus.
    pub fn variants(self) -> &'static [Variant] {
        match self {
            Arch::Aarch64 => AARCH64_VARIANTS,
            Arch::Riscv64 => RISCV64_VARIANTS,
        }
    }
}

const NOUNWIND: &str = "-fno-asynchronous-unwind-tables";

const AARCH64_VARIANTS: &[Variant] = &[
    Variant::new("O0", &["-O0", NOUNWIND], Model::Near),
    Variant::new("O2", &["-O2", NOUNWIND], Model::Near),
    Variant::new(
        "O2-sections",
        &["-O2", NOUNWIND, "-ffunction-sections", "-fdata-sections"],
        Model::Near,
    ),
    Variant::new(
        "large-O0",
        &["-O0", NOUNWIND, "-mcmodel=large"],
        Model::Near,
    ),
    Variant::new(
        "large-O2",
        &["-O2", NOUNWIND, "-mcmodel=large"],
        Model::Near,
    ),
    Variant::new("tiny-O2", &["-O2", NOUNWIND, "-mcmodel=tiny"], Model::Tiny),
    Variant::new("pic-O2", &["-O2", NOUNWIND, "-fpic"], Model::Near),
    Variant::new(
        "unwind-O2",
        &["-O2", "-fasynchronous-unwind-tables"],
        Model::Near,
    ),
];

const RISCV64_VARIANTS: &[Variant] = &[
    Variant::new(
        "medany-O0",
        &["-O0", NOUNWIND, "-mcmodel=medany", "-mno-relax"],
        Model::Near,
    ),
    Variant::new(
        "medany-O2",
        &["-O2", NOUNWIND, "-mcmodel=medany", "-mno-relax"],
        Model::Near,
    ),
    Variant::new(
        "medany-O2-sections",
        &[
            "-O2",
            NOUNWIND,
            "-mcmodel=medany",
            "-mno-relax",
            "-ffunction-sections",
            "-fdata-sections",
        ],
        Model::Near,
    ),
    Variant::new(
        "medlow-O2",
        &["-O2", NOUNWIND, "-mcmodel=medlow", "-mno-relax"],
        Model::Low,
    ),
    Variant::new(
        "medany-relax-O2",
        &["-O2", NOUNWIND, "-mcmodel=medany", "-mrelax"],
        Model::Near,
    ),
    Variant::new(
        "medlow-relax-O0",
        &["-O0", NOUNWIND, "-mcmodel=medlow", "-mrelax"],
        Model::Low,
    ),
    // Aligned functions under relaxation: the assembler pads with nops and
    // emits R_RISCV_ALIGN, which only a linker deleting bytes honours.
    Variant::new(
        "relax-align-O2",
        &[
            "-O2",
            NOUNWIND,
            "-mcmodel=medany",
            "-mrelax",
            "-falign-functions=16",
        ],
        Model::Near,
    ),
    Variant::new(
        "pic-O2",
        &["-O2", NOUNWIND, "-fpic", "-mno-relax"],
        Model::Near,
    ),
    Variant::new(
        "unwind-relax-O2",
        &[
            "-O2",
            "-fasynchronous-unwind-tables",
            "-mcmodel=medany",
            "-mrelax",
        ],
        Model::Near,
    ),
];

/// Where an object's image and its imports go for a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// The kernel's situation: a high image, imports within direct reach.
    Near,
    /// aarch64 `-mcmodel=tiny`: imports within ±1 MiB of the image.
    Tiny,
    /// riscv `-mcmodel=medlow`: image and imports in the low 2 GiB.
    Low,
    /// Imports beyond direct calls (veneers, PLT), still within data reach.
    Far,
}

/// One way of compiling the corpus.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    pub label: &'static str,
    pub flags: &'static [&'static str],
    pub model: Model,
}

impl Variant {
    const fn new(label: &'static str, flags: &'static [&'static str], model: Model) -> Self {
        Variant {
            label,
            flags,
            model,
        }
    }
}

/// Fail (not skip) when a tool is missing, saying how to get it.
pub fn require(program: &str) {
    match Command::new(program).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{program} --version failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("{program} cannot run ({e}): {DEPS_HINT}"),
    }
}

/// The directory of the freestanding stand-ins for kernel headers.
pub fn shim_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cross/shim")
}

/// A file under tests/cross.
pub fn cross_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cross")
        .join(name)
}

/// `<arch>-linux-gnu-gcc -c SRC FLAGS -I shim -o OUT`.
pub fn cc(arch: Arch, src: &Path, flags: &[&str], out: &Path) {
    let gcc = arch.tool("gcc");
    require(&gcc);
    run(Command::new(gcc)
        .arg("-c")
        .args(flags)
        .arg("-I")
        .arg(shim_dir())
        .arg(src)
        .arg("-o")
        .arg(out));
}

/// The project's sample modules that compile freestanding (with the shim
/// headers): rust_cube is Rust, for which there is no cross toolchain.
pub fn kmod_samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kmod-src");
    ["khello.c", "square.c", "test_square.c", "test_cube.c"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

/// Where `scripts/fetch-foreign-kernels.sh` unpacks Debian's kernel
/// package of `arch`.
pub fn foreign_kernel_dir(arch: Arch) -> PathBuf {
    PathBuf::from(format!("/var/tmp/rkmod-foreign-kernels/{}", arch.debian()))
}

/// The module files (`.ko`, `.ko.xz`) of Debian's kernel package of
/// `arch`, sorted. Missing is a failure naming the fix.
pub fn foreign_modules(arch: Arch) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                let n = p.to_string_lossy();
                if n.ends_with(".ko") || n.ends_with(".ko.xz") {
                    out.push(p);
                }
            }
        }
    }
    let dir = foreign_kernel_dir(arch);
    let mut files = Vec::new();
    walk(&dir, &mut files);
    assert!(
        !files.is_empty(),
        "no {} kernel modules under {}: run `make deps` (scripts/fetch-foreign-kernels.sh fetches \
         Debian's linux-image package with apt-get download and unpacks it there)",
        arch.debian(),
        dir.display()
    );
    files.sort();
    files
}

/// The bytes of a module file, decompressed when it is `.ko.xz`.
pub fn module_bytes(path: &Path) -> Vec<u8> {
    let file =
        modfile::ModuleFile::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.bytes().to_vec()
}

/// Every `step`th of `files` (the environment variable `var` overrides
/// `default`).
pub fn sample<T: Clone>(files: &[T], var: &str, default: usize) -> Vec<T> {
    let step = std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default)
        .max(1);
    files.iter().step_by(step).cloned().collect()
}

/// How many call sites of `image` branch into its veneers/PLT (decoded
/// from the relocated instructions).
pub fn calls_through_plt(obj: &modload::Object<'_>, image: &modload::Image) -> usize {
    let Some(plt) = image.section(".modload.plt") else {
        return 0;
    };
    let word = |a: u64| {
        let at = (a - image.base()) as usize;
        u32::from_le_bytes(image.bytes()[at..at + 4].try_into().unwrap())
    };
    let mut n = 0;
    for rs in obj.reloc_sections() {
        let Some(sec) = image.section_by_index(rs.target) else {
            continue;
        };
        for rel in obj.relocations(rs) {
            let rel = rel.unwrap();
            let p = sec.address + rel.offset;
            let target = match (obj.machine(), rel.r_type) {
                (
                    object::elf::EM_AARCH64,
                    modload::aarch64_reloc::CALL26 | modload::aarch64_reloc::JUMP26,
                ) => {
                    let imm = ((word(p) & 0x03ff_ffff) << 6) as i32 >> 6;
                    p.wrapping_add((i64::from(imm) * 4) as u64)
                }
                (
                    object::elf::EM_RISCV,
                    modload::riscv64_reloc::CALL | modload::riscv64_reloc::CALL_PLT,
                ) => {
                    let hi = i64::from((word(p) & 0xffff_f000) as i32);
                    let lo = i64::from(word(p + 4) as i32 >> 20);
                    p.wrapping_add((hi + lo) as u64)
                }
                _ => continue,
            };
            n += usize::from(target >= plt.address && target < plt.address + plt.size);
        }
    }
    n
}

//! The running Linux kernel: `finit_module(2)` (handing compressed files to
//! the kernel where it decompresses that format itself), `init_module(2)`
//! as the fallback, `delete_module(2)` without waiting.

use std::ffi::CString;
use std::fs::File;
use std::path::Path;

use modfile::{Compression, ModuleFile};
use nix::errno::Errno;
use nix::kmod::{DeleteModuleFlags, ModuleInitFlags};

use super::{InsertFlags, Kernel, KernelError, KernelState, RemoveFlags};

/// `MODULE_INIT_COMPRESSED_FILE` (Linux 6.6): the file given to
/// `finit_module` is compressed; the kernel decompresses it.
pub const KERNEL_COMPRESSION_FILE: u32 = 4;

/// Where an insertion through [`Linux::insert_reporting`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertFailure {
    /// The file could not be read or prepared on this side (opened,
    /// decompressed, parsed for stripping): libkmod returns this errno
    /// without a message.
    File(i32),
    /// The kernel refused the module (libkmod logs "Failed to insert").
    Kernel(i32),
}

impl InsertFailure {
    /// The errno, wherever it came from.
    pub fn errno(self) -> i32 {
        match self {
            InsertFailure::File(e) | InsertFailure::Kernel(e) => e,
        }
    }
}

/// The running kernel.
#[derive(Debug, Clone)]
pub struct Linux {
    state: KernelState,
    kernel_decompress: bool,
}

impl Default for Linux {
    fn default() -> Self {
        Linux {
            state: KernelState::new("/proc/modules", "/sys/module"),
            kernel_decompress: true,
        }
    }
}

impl Linux {
    pub fn new() -> Linux {
        Linux::default()
    }

    /// Never hand a compressed file to the kernel: decompress it here and
    /// use `init_module` (the path older kernels need; tests force it).
    pub fn decompress_in_userspace(mut self) -> Linux {
        self.kernel_decompress = false;
        self
    }

    /// The compression the kernel decompresses in `finit_module`, from
    /// `/sys/module/compression` (absent: none).
    pub fn kernel_compression(&self) -> Compression {
        let text = std::fs::read_to_string(self.state.sys_module().join("compression"))
            .unwrap_or_default();
        match text.trim() {
            "xz" => Compression::Xz,
            "zstd" => Compression::Zstd,
            "gzip" => Compression::Gzip,
            _ => Compression::None,
        }
    }

    /// `finit_module`, or `ENOSYS` when the file must be decompressed here.
    fn finit(&self, path: &Path, params: &CString, flags: InsertFlags) -> Result<(), KernelError> {
        let file = File::open(path)?;
        let compression = sniff(&file)?;
        let mut kflags = ModuleInitFlags::empty();
        if compression != Compression::None {
            if !self.kernel_decompress || compression != self.kernel_compression() {
                return Err(KernelError(nix::libc::ENOSYS));
            }
            kflags |= ModuleInitFlags::from_bits_retain(KERNEL_COMPRESSION_FILE);
        }
        if flags.ignore_vermagic {
            kflags |= ModuleInitFlags::MODULE_INIT_IGNORE_VERMAGIC;
        }
        if flags.ignore_modversions {
            kflags |= ModuleInitFlags::MODULE_INIT_IGNORE_MODVERSIONS;
        }
        nix::kmod::finit_module(&file, params, kflags).map_err(KernelError::from)
    }

    /// `init_module` with the image read (and decompressed) here; forcing
    /// strips vermagic and `__versions` first, since the call has no flags.
    fn init(&self, path: &Path, params: &CString, flags: InsertFlags) -> Result<(), KernelError> {
        let file = ModuleFile::open(path).map_err(|e| KernelError(e.errno()))?;
        if flags.ignore_vermagic || flags.ignore_modversions {
            let elf = file.elf().map_err(|e| KernelError(e.errno()))?;
            let image = elf.strip_for_force();
            return init_module(&image, params);
        }
        init_module(file.bytes(), params)
    }
}

impl Linux {
    /// Insert as libkmod's `kmod_module_insert_module` does, telling
    /// where a failure happened: the file must open and hold the longest
    /// compression magic (else `EINVAL`); then `finit_module` (the kernel
    /// reads the file, decompressing it when it can); then, where that is
    /// not possible, `init_module` with the image read (and decompressed)
    /// here, stripped of vermagic and `__versions` when forcing.
    pub fn insert_reporting(
        &self,
        path: &Path,
        params: &[u8],
        flags: InsertFlags,
    ) -> Result<(), InsertFailure> {
        use std::os::unix::fs::FileExt;
        let errno =
            |e: std::io::Error| InsertFailure::File(e.raw_os_error().unwrap_or(nix::libc::EIO));
        let head = File::open(path).map_err(errno)?;
        let mut magic = [0u8; Compression::MAGIC_LEN];
        if head.read_at(&mut magic, 0).map_err(errno)? < magic.len() {
            return Err(InsertFailure::File(nix::libc::EINVAL));
        }
        drop(head);
        let params = CString::new(params).map_err(|_| InsertFailure::File(nix::libc::EINVAL))?;
        match self.finit(path, &params, flags) {
            Err(KernelError(e)) if e == Errno::ENOSYS as i32 => {}
            Err(KernelError(e)) => return Err(InsertFailure::Kernel(e)),
            Ok(()) => return Ok(()),
        }
        let file = ModuleFile::open(path).map_err(|e| InsertFailure::File(e.errno()))?;
        let result = if flags.ignore_vermagic || flags.ignore_modversions {
            let elf = file.elf().map_err(|e| InsertFailure::File(e.errno()))?;
            init_module(&elf.strip_for_force(), &params)
        } else {
            init_module(file.bytes(), &params)
        };
        result.map_err(|KernelError(e)| InsertFailure::Kernel(e))
    }
}

// The C library's own entry points, as kmod calls them: one that wraps
// them (kmod's testsuite does, with `LD_PRELOAD`) sees these calls, which
// it could not through `syscall(2)`. `finit_module` has no such entry
// point: it goes through `syscall(2)`, as in kmod.
extern "C" {
    #[link_name = "init_module"]
    fn libc_init_module(
        image: *const nix::libc::c_void,
        len: nix::libc::c_ulong,
        params: *const nix::libc::c_char,
    ) -> nix::libc::c_int;
    #[link_name = "delete_module"]
    fn libc_delete_module(
        name: *const nix::libc::c_char,
        flags: nix::libc::c_uint,
    ) -> nix::libc::c_int;
}

/// `init_module(2)` through the C library.
fn init_module(image: &[u8], params: &CString) -> Result<(), KernelError> {
    // SAFETY: the image and the parameter string outlive the call, which
    // only reads them.
    let r = unsafe {
        libc_init_module(
            image.as_ptr().cast(),
            image.len() as nix::libc::c_ulong,
            params.as_ptr(),
        )
    };
    Errno::result(r).map(drop).map_err(KernelError::from)
}

/// `delete_module(2)` through the C library.
fn delete_module(name: &CString, flags: DeleteModuleFlags) -> Result<(), KernelError> {
    // SAFETY: the name outlives the call, which only reads it.
    let r = unsafe { libc_delete_module(name.as_ptr(), flags.bits() as nix::libc::c_uint) };
    Errno::result(r).map(drop).map_err(KernelError::from)
}

fn sniff(file: &File) -> Result<Compression, KernelError> {
    use std::os::unix::fs::FileExt;
    let mut head = [0u8; Compression::MAGIC_LEN];
    let n = file.read_at(&mut head, 0)?;
    Ok(Compression::from_magic(&head[..n]))
}

impl Kernel for Linux {
    fn insert(&self, path: &Path, params: &[u8], flags: InsertFlags) -> Result<(), KernelError> {
        let params = CString::new(params).map_err(|_| KernelError(nix::libc::EINVAL))?;
        match self.finit(path, &params, flags) {
            Err(KernelError(e)) if e == Errno::ENOSYS as i32 => self.init(path, &params, flags),
            other => other,
        }
    }

    fn remove(&self, name: &str, flags: RemoveFlags) -> Result<(), KernelError> {
        let name = CString::new(name).map_err(|_| KernelError(nix::libc::EINVAL))?;
        let mut kflags = DeleteModuleFlags::O_NONBLOCK;
        if flags.force {
            kflags |= DeleteModuleFlags::O_TRUNC;
        }
        delete_module(&name, kflags)
    }

    fn state(&self) -> &KernelState {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(rel)
    }

    /// Files this side cannot read fail before any system call, with the
    /// errno libkmod returns for them; only files that reach the kernel
    /// are the kernel's failures. (No test here hands the kernel a real
    /// module: the host's kernel is not ours to change.)
    #[test]
    fn insert_reporting_tells_file_from_kernel() {
        let linux = Linux::new();
        let none = InsertFlags::default();
        let force = InsertFlags {
            ignore_vermagic: true,
            ignore_modversions: true,
        };
        let missing = testdata("malformed/no-such-file.ko");
        assert_eq!(
            linux.insert_reporting(&missing, b"", none),
            Err(InsertFailure::File(nix::libc::ENOENT))
        );
        let empty = testdata("malformed/empty.ko");
        assert_eq!(
            linux.insert_reporting(&empty, b"", none),
            Err(InsertFailure::File(nix::libc::EINVAL))
        );
        let corrupt = testdata("malformed/corrupt.ko.xz");
        assert_eq!(
            linux.insert_reporting(&corrupt, b"", none),
            Err(InsertFailure::File(nix::libc::EINVAL))
        );
        // not ELF: the kernel says so (or has no modules at all) ...
        let not_elf = testdata("malformed/not-elf.ko");
        assert!(matches!(
            linux.insert_reporting(&not_elf, b"a=1", none),
            Err(InsertFailure::Kernel(_))
        ));
        // ... unless forcing sends it through init_module, where this side
        // parses it to strip it. finit_module may refuse it first.
        match linux.insert_reporting(&not_elf, b"", force) {
            Err(InsertFailure::File(e)) => assert_eq!(e, nix::libc::ENOEXEC),
            Err(InsertFailure::Kernel(e)) => assert_ne!(e, nix::libc::ENOSYS),
            Ok(()) => panic!("a text file was inserted"),
        }
    }
}

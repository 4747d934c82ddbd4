//! The kernel a module is loaded into. Two backends answer the same trait:
//! the running Linux kernel (system calls, `/proc` and `/sys`) and, in test
//! mode, the sim kernel ([`Sim`]). A [`KernelState`] reads what either shows.

mod linux;
mod sim;
mod state;

use std::path::Path;

pub use linux::{InsertFailure, Linux, KERNEL_COMPRESSION_FILE};
pub use sim::Sim;
pub use state::{Initstate, KernelState, LoadedModule};

/// How to insert a module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertFlags {
    /// Load despite a vermagic mismatch (`--force-vermagic`, `-f`).
    pub ignore_vermagic: bool,
    /// Load despite modversions CRC mismatches (`--force-modversion`, `-f`).
    pub ignore_modversions: bool,
}

/// How to remove a module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveFlags {
    /// Remove even when in use or marked permanent (`rmmod -f`).
    pub force: bool,
}

/// A failed kernel operation: the errno the kernel answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::strerror(*.0))]
pub struct KernelError(pub i32);

impl KernelError {
    pub fn errno(self) -> i32 {
        self.0
    }
}

impl From<std::io::Error> for KernelError {
    fn from(e: std::io::Error) -> KernelError {
        KernelError(e.raw_os_error().unwrap_or(nix::libc::EIO))
    }
}

impl From<nix::Error> for KernelError {
    fn from(e: nix::Error) -> KernelError {
        KernelError(e as i32)
    }
}

/// What a kernel does with modules. `Send + Sync`: a service may load
/// modules from several threads through one backend.
pub trait Kernel: Send + Sync {
    /// Insert the module file at `path` with the parameter string `params`.
    /// Insert the module at `path` with `params` (bytes, as the kernel
    /// takes them: configuration may hold any).
    fn insert(&self, path: &Path, params: &[u8], flags: InsertFlags) -> Result<(), KernelError>;
    /// Remove the loaded module `name`.
    fn remove(&self, name: &str, flags: RemoveFlags) -> Result<(), KernelError>;
    /// Where this kernel shows its loaded modules.
    fn state(&self) -> &KernelState;
    /// The kernel's own words on the last refused operation, when it gives
    /// them to the caller (the sim kernel does; Linux logs to dmesg).
    fn last_error_detail(&self) -> Option<String> {
        None
    }
}

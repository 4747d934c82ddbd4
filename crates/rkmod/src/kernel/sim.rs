//! The sim kernel (test mode): the daemon of the `sim` crate, reached over
//! its socket. It answers with the errno the real kernel gives for the same
//! failure, so the tools word its refusals exactly as for Linux; its state
//! files (`proc/modules`, `sys/module/…`) have the kernel's formats and are
//! read by the same [`KernelState`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sim::{Client, Status};

use super::{InsertFlags, Kernel, KernelError, KernelState, RemoveFlags};

/// A sim kernel.
#[derive(Debug)]
pub struct Sim {
    client: Client,
    status: Status,
    state: KernelState,
    /// The daemon's explanation of the last refusal (what dmesg would say).
    detail: Mutex<Option<String>>,
}

impl Sim {
    /// Connect to the sim kernel serving `socket` and learn its release,
    /// module tree and state directory.
    pub fn connect(socket: &Path) -> Result<Sim, sim::Error> {
        let client = Client::connect(socket)?;
        let status = client.status()?;
        let state_dir = PathBuf::from(&status.state_dir);
        Ok(Sim {
            state: KernelState::new(
                state_dir.join("proc").join("modules"),
                state_dir.join("sys").join("module"),
            ),
            client,
            status,
            detail: Mutex::new(None),
        })
    }

    /// The daemon's state when connected.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The sim kernel's release.
    pub fn release(&self) -> &str {
        &self.status.release
    }

    /// The sim kernel's module tree (`…/lib/modules/<release>`).
    pub fn module_root(&self) -> &Path {
        Path::new(&self.status.module_root)
    }

    /// The connection, for what the [`Kernel`] trait does not cover
    /// (log, parameters).
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn answer(&self, r: Result<(), sim::Error>) -> Result<(), KernelError> {
        let mut detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        match r {
            Ok(()) => {
                *detail = None;
                Ok(())
            }
            Err(e) => {
                *detail = Some(e.message.clone());
                Err(to_kernel_error(&e))
            }
        }
    }
}

/// The daemon's errno is the kernel's; one that is no errno at all becomes
/// `EIO` rather than a nonsense message.
fn to_kernel_error(e: &sim::Error) -> KernelError {
    match e.errno {
        n if n > 0 && n < 4096 => KernelError(n),
        _ => KernelError(nix::libc::EIO),
    }
}

impl Kernel for Sim {
    fn insert(&self, path: &Path, params: &[u8], flags: InsertFlags) -> Result<(), KernelError> {
        let flags = sim::InsertFlags {
            ignore_vermagic: flags.ignore_vermagic,
            ignore_modversions: flags.ignore_modversions,
        };
        // The sim protocol carries text; its modules take text parameters.
        let params = String::from_utf8_lossy(params);
        let r = self.client.insert(path, &params, flags).map(|_| ());
        self.answer(r)
    }

    fn remove(&self, name: &str, flags: RemoveFlags) -> Result<(), KernelError> {
        let r = self.client.remove(name, flags.force);
        self.answer(r)
    }

    fn state(&self) -> &KernelState {
        &self.state
    }

    fn last_error_detail(&self) -> Option<String> {
        self.detail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_pass_through_and_nonsense_becomes_eio() {
        let e = |n| to_kernel_error(&sim::Error::new(n, "x")).errno();
        assert_eq!(e(nix::libc::EEXIST), nix::libc::EEXIST);
        assert_eq!(e(nix::libc::EWOULDBLOCK), nix::libc::EWOULDBLOCK);
        assert_eq!(e(0), nix::libc::EIO);
        assert_eq!(e(-3), nix::libc::EIO);
        assert_eq!(e(100_000), nix::libc::EIO);
    }
}

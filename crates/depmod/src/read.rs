//! Getting a module's bytes into memory for depmod, as cheaply as possible:
//! of a plain file only the sections depmod reads — `.modinfo`, `.symtab`,
//! `.strtab`, `__versions`, `__ksymtab_strings` and the sections the
//! `__crc_*` symbols point into, about an eighth of a typical module —
//! packed into a compact image ([`modfile::Image`] says why and how).

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use modfile::{Image, Limits, Wanted};

/// What depmod reads of a module.
const WANTED: Wanted = Wanted {
    sections: &[
        b".symtab",
        b".strtab",
        b".modinfo",
        b"__versions",
        b"__ksymtab_strings",
    ],
    crcs: true,
    signature: false,
};

/// Load what depmod needs of the module at `path`, with the identity of
/// the file: taken before its bytes are read, so a file changed while it
/// is read never gets a newer key than its contents. That is `known` when
/// the caller has just taken it (the scan did, a `stat` of every module
/// that reading need not repeat); a file whose bytes do not fit it (it
/// changed since) is read again by the identity of the file opened.
pub(crate) fn load(
    path: &[u8],
    limits: &Limits,
    known: Option<depcache::FileKey>,
) -> modfile::Result<(Image, depcache::FileKey)> {
    let file = open(path)?;
    let path = Path::new(OsStr::from_bytes(path));
    if let Some(key) = known {
        if let Ok(image) = Image::read(&file, key.size, path, &WANTED, limits) {
            return Ok((image, key));
        }
    }
    let meta = file.metadata()?;
    let key = depcache::FileKey::of(&meta);
    let image = Image::read(&file, meta.len(), path, &WANTED, limits)?;
    Ok((image, key))
}

thread_local! {
    /// The directory of the last module this thread opened (modules come
    /// in `modules.order`, about five to a directory in a row).
    static LAST_DIR: RefCell<Option<(Vec<u8>, OwnedFd)>> = const { RefCell::new(None) };
}

/// Open the module at `path` by its name in its directory, the directory
/// kept from the module before when it is the same: the whole path walked
/// for every module (its symbolic links followed again) was a tenth of a
/// first run's time. Any failure is the one opening the whole path gives.
fn open(path: &[u8]) -> std::io::Result<File> {
    use nix::fcntl::{open, openat, OFlag};
    use nix::sys::stat::Mode;
    let whole = || File::open(Path::new(OsStr::from_bytes(path)));
    let Some(slash) = path.iter().rposition(|&b| b == b'/') else {
        return whole();
    };
    let (dir, name) = (&path[..slash.max(1)], &path[slash + 1..]);
    if name.is_empty() {
        return whole();
    }
    let opened = LAST_DIR.with(|last| {
        let mut last = last.borrow_mut();
        if last.as_ref().is_none_or(|(d, _)| d != dir) {
            *last = None;
            // Search permission is all a walk of the path needs: O_PATH.
            let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
            let fd = open(OsStr::from_bytes(dir), flags, Mode::empty()).ok()?;
            // SAFETY: `fd` was just opened and is owned by nothing else.
            *last = Some((dir.to_vec(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let (_, dirfd) = last.as_ref()?;
        let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC;
        let fd = openat(
            Some(dirfd.as_raw_fd()),
            OsStr::from_bytes(name),
            flags,
            Mode::empty(),
        )
        .ok()?;
        // SAFETY: as above.
        Some(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    });
    match opened {
        Some(file) => Ok(file),
        None => whole(),
    }
}

//! Getting a module's bytes into memory for depmod, as cheaply as possible:
//! of a plain file only the sections depmod reads — `.modinfo`, `.symtab`,
//! `.strtab`, `__versions`, `__ksymtab_strings` and the sections the
//! `__crc_*` symbols point into, about an eighth of a typical module —
//! packed into a compact image ([`modfile::Image`] says why and how).

use std::ffi::OsStr;
use std::fs::File;
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
/// the file opened (taken before its bytes are read, so a file changed
/// while it is read never gets a newer key than its contents).
pub(crate) fn load(path: &[u8], limits: &Limits) -> modfile::Result<(Image, depcache::FileKey)> {
    let path = Path::new(OsStr::from_bytes(path));
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let key = depcache::FileKey::of(&meta);
    let image = Image::read(&file, meta.len(), path, &WANTED, limits)?;
    Ok((image, key))
}

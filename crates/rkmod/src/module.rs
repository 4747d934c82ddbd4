//! A module as the library knows it: a name, and where its code lives.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// How a module was found; it decides whether a missing file means builtin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Given as a file path.
    Path,
    /// Named in modules.dep.
    ModulesDep,
    /// Reached through an alias or symbol index; its path comes from modules.dep.
    Alias,
    /// Listed in modules.builtin or modules.builtin.alias.
    Builtin,
    /// Named by an `install`/`remove` command of the configuration.
    Command,
}

/// A kernel module: its normalised name and, when it has one, its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub(crate) name: Vec<u8>,
    pub(crate) path: Option<PathBuf>,
    pub(crate) origin: Origin,
    /// The alias this module was reached through, when it was.
    pub(crate) alias: Option<Vec<u8>>,
}

impl Module {
    /// A module given by a file path (made absolute against the working
    /// directory as kmod does, without resolving links or `..`).
    pub fn from_path(path: &Path) -> std::io::Result<Module> {
        let abs = absolute(path)?;
        Ok(Module {
            name: modfile::modname_from_path(abs.as_os_str().as_bytes()),
            path: Some(abs),
            origin: Origin::Path,
            alias: None,
        })
    }

    /// A module given by a file path that must exist (kmod's
    /// `kmod_module_new_from_path`): made absolute as
    /// [`from_path`](Self::from_path), then `stat`ed; the error is the
    /// one `stat` gave.
    pub fn from_existing_path(path: &Path) -> std::io::Result<Module> {
        let m = Module::from_path(path)?;
        if let Some(p) = &m.path {
            pathfs::stat(p)?;
        }
        if m.name.is_empty() {
            return Err(std::io::Error::from_raw_os_error(nix::libc::ENOENT));
        }
        Ok(m)
    }

    /// A module from its parts, for a library that keeps its own module
    /// objects and hands them back here (libkmod's C API): `name` as
    /// normalised, `path` the file when known.
    pub fn from_parts(
        name: Vec<u8>,
        path: Option<PathBuf>,
        origin: Origin,
        alias: Option<Vec<u8>>,
    ) -> Module {
        Module {
            name,
            path,
            origin,
            alias,
        }
    }

    /// Whether modprobe takes `arg` as a module file rather than a name or
    /// alias: kmod 34 does so when it starts with `/` or `./`.
    pub fn names_a_file(arg: &[u8]) -> bool {
        arg.starts_with(b"/") || arg.starts_with(b"./")
    }

    /// The module's name (`-` normalised to `_`).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The module's name as text, for messages.
    pub fn name_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The module file, when it has one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The alias the module was found through (`alias` lines, modules.alias).
    pub fn alias(&self) -> Option<&[u8]> {
        self.alias.as_deref()
    }

    /// How the module was found.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Whether the module was found in the builtin indexes.
    pub fn is_builtin(&self) -> bool {
        self.origin == Origin::Builtin
    }
}

/// kmod's `path_make_absolute_cwd`: prefix the working directory, nothing more.
pub(crate) fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let mut joined = std::env::current_dir()?.into_os_string();
    joined.push("/");
    joined.push(path.as_os_str());
    Ok(PathBuf::from(joined))
}

/// A path from the bytes of an index line, relative ones under `dir`.
pub(crate) fn path_in(dir: &Path, bytes: &[u8]) -> PathBuf {
    let p = Path::new(OsStr::from_bytes(bytes));
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let mut joined = dir.as_os_str().to_os_string();
    joined.push("/");
    joined.push(p.as_os_str());
    PathBuf::from(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module kept outside rkmod (libkmod's C API) comes back whole.
    #[test]
    fn from_parts_keeps_every_part() {
        let m = Module::from_parts(
            b"snd_hda_intel".to_vec(),
            Some(PathBuf::from("/lib/modules/x/snd-hda-intel.ko")),
            Origin::Alias,
            Some(b"pci:v*".to_vec()),
        );
        assert_eq!(m.name(), b"snd_hda_intel");
        assert_eq!(m.path(), Some(Path::new("/lib/modules/x/snd-hda-intel.ko")));
        assert_eq!(m.origin(), Origin::Alias);
        assert_eq!(m.alias(), Some(&b"pci:v*"[..]));
        assert!(!m.is_builtin());
        let b = Module::from_parts(b"ext4".to_vec(), None, Origin::Builtin, None);
        assert!(b.is_builtin() && b.path().is_none());
    }
}

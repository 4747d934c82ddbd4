//! Finding the modules: walk the module directory (and the `external`
//! ones) in directory order, keep one file per module name — the one
//! `depmod.d` ranks highest, the first found among equals — or take the
//! files named on the command line.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;

use modconf::{strerror, DepmodConfig, Diagnostic, Level, Search};
use pathfs::{Dir, DirEntry};
use rayon::prelude::*;

use crate::ctext::basename;
use crate::error::{Error, Result};
use crate::report::Reporter;

/// File name endings of module files: plain and each compression.
pub const MODULE_EXTENSIONS: [&[u8]; 4] = [b".ko", b".ko.gz", b".ko.xz", b".ko.zst"];

/// Whether a file name ends like a module file (and has more than the
/// ending).
pub fn has_module_extension(name: &[u8]) -> bool {
    MODULE_EXTENSIONS
        .iter()
        .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// The file name ending of sim-kernel modules (shared objects), scanned
/// only when asked: kmod's depmod knows `.ko` files alone.
pub const SIM_MODULE_EXTENSION: &[u8] = b".so";

/// Whether a file name ends like a sim-kernel module.
pub fn has_sim_module_extension(name: &[u8]) -> bool {
    name.len() > SIM_MODULE_EXTENSION.len() && name.ends_with(SIM_MODULE_EXTENSION)
}

/// One module file depmod will use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEntry {
    /// Module name: the file name up to its first `.`, `-` made `_`.
    pub name: Vec<u8>,
    /// Absolute path, spelled as kmod builds it (`<dir>/<relative path>`).
    pub path: Vec<u8>,
    /// Where the last `/` of `path` is.
    slash: usize,
    /// Where the path relative to the module directory starts, when the
    /// file lies under it.
    rel_start: Option<usize>,
    /// The file's identity as the scan met it (`fstatat` of the name in
    /// the directory being read: no walk of the whole path); not for
    /// symbolic links or files named on the command line.
    pub(crate) key: ScanKey,
}

/// A file identity carried along with an entry but no part of what the
/// entry is: entries compare equal whatever their keys.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScanKey(pub(crate) Option<depcache::FileKey>);

impl PartialEq for ScanKey {
    fn eq(&self, _: &ScanKey) -> bool {
        true
    }
}

impl Eq for ScanKey {}

impl ModuleEntry {
    /// Describe the file at `path`; `dirname` is the module directory.
    pub fn new(path: Vec<u8>, dirname: &[u8]) -> ModuleEntry {
        let name = modfile::normalize_name(basename(&path));
        let slash = path.iter().rposition(|&b| b == b'/').unwrap_or(0);
        let rel_start = (path.starts_with(dirname) && path.get(dirname.len()) == Some(&b'/'))
            .then_some(dirname.len() + 1);
        ModuleEntry {
            name,
            path,
            slash,
            rel_start,
            key: ScanKey::default(),
        }
    }

    /// The path relative to the module directory, if the file is under it.
    pub fn relpath(&self) -> Option<&[u8]> {
        self.rel_start.and_then(|s| self.path.get(s..))
    }

    /// How `modules.dep` names the file: relative when possible.
    pub fn dep_path(&self) -> &[u8] {
        self.relpath().unwrap_or(&self.path)
    }

    /// The relative path with the compression suffix dropped, as
    /// `modules.order` lists modules: the directory, then as many bytes of
    /// the file name as the module name has, plus three (`.ko`).
    pub fn order_path(&self) -> Option<&[u8]> {
        let start = self.rel_start?;
        let end = self.slash + 1 + self.name.len() + 3;
        self.path.get(start..end.min(self.path.len()))
    }

    /// `path` up to the end of the module name (`<dir>/<name>`): what
    /// overrides and searches compare.
    fn ranked_len(&self) -> usize {
        self.slash + 1 + self.name.len()
    }
}

/// The modules found so far, one per name.
#[derive(Debug, Default)]
pub struct Found {
    modules: Vec<ModuleEntry>,
    /// (foldhash: std's SipHash was a few ms of a first run's serial part)
    by_name: HashMap<Vec<u8>, usize, foldhash::fast::RandomState>,
}

impl Found {
    /// The modules, in no particular order.
    pub fn into_modules(self) -> Vec<ModuleEntry> {
        self.modules
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    fn get(&self, name: &[u8]) -> Option<&ModuleEntry> {
        self.by_name.get(name).map(|&i| &self.modules[i])
    }

    fn put(&mut self, entry: ModuleEntry) {
        match self.by_name.get(&entry.name) {
            Some(&i) => self.modules[i] = entry,
            None => {
                self.by_name.insert(entry.name.clone(), self.modules.len());
                self.modules.push(entry);
            }
        }
    }

    /// Add a module named on the command line (`path` must be absolute).
    pub fn add_path(&mut self, path: &[u8], dirname: &[u8], log: &mut dyn Reporter) -> Result<()> {
        let shown = String::from_utf8_lossy(path).into_owned();
        if path.first() != Some(&b'/') {
            return Err(Error::NotAbsolute(shown));
        }
        let create_err = |source| Error::CreateModule {
            path: shown.clone(),
            source,
        };
        pathfs::stat(OsStr::from_bytes(path)).map_err(create_err)?;
        if basename(path).is_empty() {
            return Err(create_err(io::Error::from_raw_os_error(2)));
        }
        let entry = ModuleEntry::new(path.to_vec(), dirname);
        if let Some(old) = self.get(&entry.name) {
            let exists = io::Error::from_raw_os_error(17);
            if old.path != entry.path {
                log.diag(Diagnostic::new(
                    Level::Error,
                    format!(
                        // libkmod's message, with the source location that
                        // debug-enabled builds (Debian's) print.
                        "../libkmod/libkmod-module.c:428 kmod_module_new_from_path() \
                         kmod_module '{}' already exists with different path: new-path='{}' old-path='{}'\n",
                        String::from_utf8_lossy(&entry.name),
                        shown,
                        String::from_utf8_lossy(&old.path)
                    ),
                ));
                return Err(create_err(exists));
            }
            log.diag(Diagnostic::new(
                Level::Error,
                format!(
                    "hash_add_unique {}: {}\n",
                    String::from_utf8_lossy(&entry.name),
                    strerror(&exists)
                ),
            ));
            return Err(Error::AddModule {
                path: shown,
                source: io::Error::from_raw_os_error(17),
            });
        }
        self.put(entry);
        Ok(())
    }
}

/// What the walk met, in the order a walk on one thread meets it.
enum Event {
    File(Vec<u8>, Option<depcache::FileKey>),
    Diag(Diagnostic),
}

/// Directories with fewer entries are walked on the calling thread.
const PARALLEL_MIN: usize = 8;

/// Walks the module tree with the configuration's rules.
pub struct Scanner<'a> {
    cfg: &'a DepmodConfig,
    dirname: &'a [u8],
    found: Found,
    shared_objects: bool,
}

impl<'a> Scanner<'a> {
    pub fn new(cfg: &'a DepmodConfig, dirname: &'a [u8]) -> Scanner<'a> {
        Scanner {
            cfg,
            dirname,
            found: Found::default(),
            shared_objects: false,
        }
    }

    /// Also take `.so` files (sim-kernel modules) as modules.
    pub fn with_shared_objects(mut self, yes: bool) -> Scanner<'a> {
        self.shared_objects = yes;
        self
    }

    /// Search the module directory, then each `external` directory (the
    /// last configured first, as kmod does). Only an unreadable module
    /// directory is an error.
    pub fn search(mut self, log: &mut dyn Reporter) -> Result<Found> {
        self.search_path(self.dirname, log)
            .map_err(|source| Error::Search { source })?;
        for ext in self.cfg.externals.iter().rev() {
            // A missing external directory is reported, then ignored.
            let _ = self.search_path(ext, log);
        }
        Ok(self.found)
    }

    fn search_path(&mut self, dir: &[u8], log: &mut dyn Reporter) -> io::Result<()> {
        let handle = Dir::open(OsStr::from_bytes(dir)).inspect_err(|e| {
            log.diag(Diagnostic::new(
                Level::Error,
                format!(
                    "could not open directory {}: {}\n",
                    String::from_utf8_lossy(dir),
                    strerror(e)
                ),
            ));
        })?;
        let mut path = dir.to_vec();
        path.push(b'/');
        // The walk runs on every core; what it met is then taken in
        // directory order, exactly as a walk on one thread meets it.
        for event in self.walk(&handle, &path, 0) {
            match event {
                Event::File(path, key) => self.consider(path, key),
                Event::Diag(d) => log.diag(d),
            }
        }
        Ok(())
    }

    /// What the directory `path` (with its trailing `/`), open as `dir`,
    /// holds, depth first, in directory order; `depth` only serves to name
    /// the descriptor in messages as kmod does (its descriptors are
    /// numbered from 3 by nesting). Every file is reached by name inside
    /// its open directory, never by its whole path.
    fn walk(&self, dir: &Dir, path: &[u8], depth: usize) -> Vec<Event> {
        // (a directory that cannot be listed lists nothing, as readdir)
        let mut buf = Vec::new();
        let entries = dir.entries(&mut buf).unwrap_or_default();
        let one = |entry: &DirEntry| self.entry(dir, entry, path, depth);
        if entries.len() < PARALLEL_MIN {
            return entries.iter().flat_map(one).collect();
        }
        let parts: Vec<Vec<Event>> = entries.par_iter().map(one).collect();
        parts.into_iter().flatten().collect()
    }

    fn entry(&self, dir: &Dir, entry: &DirEntry, path: &[u8], depth: usize) -> Vec<Event> {
        let dfd = 3 + depth;
        let name = entry.name;
        if self.excluded(name) {
            return Vec::new();
        }
        let name_os = OsStr::from_bytes(name);
        let path = [path, name].concat();
        let diag = |text: String| vec![Event::Diag(Diagnostic::new(Level::Error, text))];
        let is_dir = match entry.kind {
            DirEntry::REGULAR => false,
            DirEntry::DIRECTORY => true,
            _ => match dir.stat(name_os) {
                Err(e) => {
                    return diag(format!(
                        "fstatat({dfd}, {}): {}\n",
                        String::from_utf8_lossy(name),
                        strerror(&e)
                    ))
                }
                Ok(m) if m.is_file() => false,
                Ok(m) if m.is_dir() => true,
                Ok(m) => {
                    return diag(format!(
                        "unsupported file type {}: {:o}\n",
                        String::from_utf8_lossy(&path),
                        m.file_type_bits()
                    ))
                }
            },
        };
        if is_dir {
            return match dir.open_dir(name_os) {
                Ok(sub) => {
                    let mut path = path;
                    path.push(b'/');
                    self.walk(&sub, &path, depth + 1)
                }
                Err(e) => diag(format!(
                    "openat({dfd}, {}, O_RDONLY): {}\n",
                    String::from_utf8_lossy(name),
                    strerror(&e)
                )),
            };
        }
        if has_module_extension(name) || (self.shared_objects && has_sim_module_extension(name)) {
            // A regular file's identity, while its directory is at hand
            // (`fstatat` of the name alone, cheaper than a walk of the
            // whole path later).
            let key = match entry.kind {
                DirEntry::REGULAR => dir.lstat(name_os).ok().map(|m| crate::replay::key_of(&m)),
                _ => None,
            };
            return vec![Event::File(path, key)];
        }
        Vec::new()
    }

    /// `.`, `..`, `build`, `source` and configured names are not entered.
    fn excluded(&self, name: &[u8]) -> bool {
        matches!(name, b"." | b".." | b"build" | b"source")
            || self.cfg.excludes.iter().any(|e| e == name)
    }

    /// Keep the file unless a module of that name found earlier ranks at
    /// least as high.
    fn consider(&mut self, path: Vec<u8>, key: Option<depcache::FileKey>) {
        let mut entry = ModuleEntry::new(path, self.dirname);
        if let Some(old) = self.found.get(&entry.name) {
            if existing_wins(self.cfg, self.dirname, old, &entry) {
                return;
            }
        }
        entry.key = ScanKey(key);
        self.found.put(entry);
    }
}

/// Whether the module already found ranks at least as high as the new
/// copy, by kmod 30's rules:
///
/// 1. overrides, the last configured first: the first naming either copy
///    decides;
/// 2. otherwise each copy ranks by the `search` entry its directory falls
///    under — counted from the last configured, so earlier entries count
///    higher, `external` taking one rank per external directory — and a
///    copy under no entry ranks as `built-in`; ties keep the existing copy.
fn existing_wins(cfg: &DepmodConfig, dirname: &[u8], old: &ModuleEntry, new: &ModuleEntry) -> bool {
    fn rel<'m>(m: &'m ModuleEntry, dirname: &[u8]) -> &'m [u8] {
        if !m.path.starts_with(dirname) {
            return &[];
        }
        m.path.get(dirname.len() + 1..m.ranked_len()).unwrap_or(&[])
    }
    let (new_rel, old_rel) = (rel(new, dirname), rel(old, dirname));
    let new_full = &new.path[..new.ranked_len().min(new.path.len())];
    let old_full = &old.path[..old.ranked_len().min(old.path.len())];

    for ov in cfg.overrides.iter().rev() {
        let ov_path = ov.path();
        if new_rel == ov_path.as_slice() {
            return false;
        }
        if old_rel == ov_path.as_slice() {
            return true;
        }
    }

    let under = |path: &[u8], prefix: &[u8]| {
        path.len() > prefix.len() && path[prefix.len()] == b'/' && path.starts_with(prefix)
    };
    let (mut builtin, mut old_prio, mut new_prio) = (-1i64, -1i64, -1i64);
    let mut i = 0i64;
    for search in cfg.searches.iter().rev() {
        match search {
            Search::BuiltIn => builtin = i,
            Search::External => {
                for ext in cfg.externals.iter().rev() {
                    if under(new_full, ext) {
                        new_prio = i;
                    }
                    if under(old_full, ext) {
                        old_prio = i;
                    }
                    i += 1;
                }
            }
            Search::Path(dir) => {
                if under(new_rel, dir) {
                    new_prio = i;
                } else if under(old_rel, dir) {
                    old_prio = i;
                }
            }
        }
        i += 1;
    }
    if new_prio < 0 {
        new_prio = builtin;
    }
    if old_prio < 0 {
        old_prio = builtin;
    }
    new_prio <= old_prio
}

#[cfg(test)]
mod tests {
    use super::*;
    use modconf::Override;

    const DIR: &[u8] = b"/lib/modules/6.1";

    fn entry(rel: &str) -> ModuleEntry {
        let mut p = DIR.to_vec();
        p.push(b'/');
        p.extend_from_slice(rel.as_bytes());
        ModuleEntry::new(p, DIR)
    }

    fn cfg(searches: &[&str]) -> DepmodConfig {
        DepmodConfig {
            searches: searches
                .iter()
                .map(|s| match *s {
                    "built-in" => Search::BuiltIn,
                    "external" => Search::External,
                    p => Search::Path(p.as_bytes().to_vec()),
                })
                .collect(),
            ..DepmodConfig::default()
        }
    }

    #[test]
    fn entry_paths() {
        let e = entry("kernel/sound/snd-hda-intel.ko.xz");
        assert_eq!(e.name, b"snd_hda_intel");
        assert_eq!(e.relpath().unwrap(), b"kernel/sound/snd-hda-intel.ko.xz");
        assert_eq!(e.order_path().unwrap(), b"kernel/sound/snd-hda-intel.ko");
        let ext = ModuleEntry::new(b"/opt/x/foo.ko".to_vec(), DIR);
        assert_eq!(ext.relpath(), None);
        assert_eq!(ext.dep_path(), b"/opt/x/foo.ko");
        assert_eq!(ext.order_path(), None);
    }

    #[test]
    fn default_search_prefers_updates() {
        let c = cfg(&["updates"]);
        let kernel = entry("kernel/foo.ko");
        let updates = entry("updates/foo.ko");
        assert!(!existing_wins(&c, DIR, &kernel, &updates));
        assert!(existing_wins(&c, DIR, &updates, &kernel));
        // equal rank: the first found stays
        assert!(existing_wins(&c, DIR, &kernel, &entry("extra/foo.ko")));
    }

    #[test]
    fn earlier_search_entries_rank_higher() {
        let c = cfg(&["extra", "built-in", "updates"]);
        let kernel = entry("kernel/foo.ko");
        let extra = entry("extra/foo.ko");
        let updates = entry("updates/foo.ko");
        assert!(!existing_wins(&c, DIR, &kernel, &extra));
        assert!(existing_wins(&c, DIR, &kernel, &updates));
        assert!(existing_wins(&c, DIR, &extra, &updates));
    }

    #[test]
    fn overrides_decide_first() {
        let mut c = cfg(&["updates"]);
        c.overrides.push(Override {
            modname: b"foo".to_vec(),
            subdir: b"kernel/drivers".to_vec(),
        });
        let updates = entry("updates/foo.ko");
        let drivers = entry("kernel/drivers/foo.ko");
        assert!(!existing_wins(&c, DIR, &updates, &drivers));
        assert!(existing_wins(&c, DIR, &drivers, &updates));
    }

    #[test]
    fn externals_rank_where_search_says() {
        let mut c = cfg(&["updates", "external", "built-in"]);
        c.externals.push(b"/opt/ext".to_vec());
        let kernel = entry("kernel/foo.ko");
        let ext = ModuleEntry::new(b"/opt/ext/foo.ko".to_vec(), DIR);
        assert!(!existing_wins(&c, DIR, &kernel, &ext));
        assert!(existing_wins(&c, DIR, &entry("updates/foo.ko"), &ext));
    }

    #[test]
    fn extensions() {
        assert!(has_module_extension(b"a.ko"));
        assert!(has_module_extension(b"a.ko.zst"));
        assert!(!has_module_extension(b".ko"));
        assert!(!has_module_extension(b"a.ko.bz2"));
        assert!(!has_module_extension(b"a.so"));
        assert!(has_sim_module_extension(b"a.so"));
        assert!(!has_sim_module_extension(b".so"));
    }
}

//! Incremental runs: what was read from each module file is kept in
//! `modules.rkmod-cache` ([`depcache`]), so a run reads only the files that
//! are new or changed, and its outputs are byte for byte those of a run
//! that reads everything.
//!
//! What a record holds is exactly a [`ModuleInfo`] (exported symbols and
//! CRCs, needed symbols, CRCs and weakness, `alias`/`softdep`/`weakdep`
//! strings), which depends on nothing but the file's bytes. Everything
//! else a run depends on is recomputed every time from its inputs, so no
//! option needs to be part of a record's key:
//!
//! * which files are modules (`depmod.d` `search`, `override`,
//!   `external`, `exclude`, `-C`, `-b`, `-m`, explicit module lists,
//!   `--sim`): the tree is scanned afresh; a record is looked up by the
//!   file's path and used only when the file's identity (device, inode,
//!   size, mtime, ctime to the nanosecond) is unchanged;
//! * the kernel's symbols and CRCs (`-E`, `-F`), the symbol prefix (`-P`),
//!   `-e` and `-w` act after reading, on the symbol table and the
//!   diagnostics; `modules.order` and `modules.builtin*` are read every run.
//!
//! The limit on decompressed images is part of the cache's stamp ([`stamp`]):
//! a module refused as too large under one limit may be read under another.
//!
//! A module whose symbols could not be read is never cached (its error may
//! pass, and kmod reports it every run), nor is a file changed too
//! recently to be told apart from a later change ([`depcache::Threshold`]).
//! The cache is read from, and written to, the directory the outputs go to
//! (`-o`); `-n` and explicit module lists read it but do not write it.
//! `-A` keeps kmod's meaning (nothing to do when no module file is newer
//! than `modules.dep`; otherwise a whole run, through the cache).
//! `RKMOD_DEPMOD_CACHE=0` turns it off.
//!
//! A run whose inputs are all exactly those of the run that last wrote the
//! outputs goes further and does not rebuild anything: see [`crate::replay`]
//! (its record, `modules.rkmod-replay`, is a separate file beside the cache,
//! so that a replay never reads the cache).

use std::path::Path;

use depcache::{Cache, FileKey, Rejected, Threshold};

use crate::scan::ModuleEntry;
use crate::ModuleInfo;

/// What names a cache's writer and record layout: another rkmod release
/// or a change of [`ModuleInfo::encode`]'s layout (bump the number) makes
/// old caches unusable.
pub const STAMP: &[u8] =
    concat!("rkmod ", env!("CARGO_PKG_VERSION"), " depmod-record 1").as_bytes();

/// Whether the environment allows the cache: anything but
/// `RKMOD_DEPMOD_CACHE=0`, `off`, `no` or `false`.
pub fn enabled_by_env() -> bool {
    !matches!(
        std::env::var("RKMOD_DEPMOD_CACHE").as_deref(),
        Ok("0" | "off" | "no" | "false")
    )
}

/// The stamp of a run that expands modules within `limits`: a module too
/// large under one limit may not be under another, so caches written with
/// another limit are not used.
pub fn stamp(limits: &modfile::Limits) -> Vec<u8> {
    let mut s = STAMP.to_vec();
    s.extend_from_slice(format!(" max-decompressed {}", limits.max_decompressed).as_bytes());
    s
}

/// The previous run's cache and this run's clock.
pub(crate) struct CacheUse {
    pub(crate) old: Cache,
    threshold: Threshold,
    pub(crate) stamp: Vec<u8>,
}

/// How one module was obtained.
pub(crate) struct Got {
    pub info: ModuleInfo,
    /// The key to store the module under, when it may be cached.
    pub key: Option<FileKey>,
    pub hit: bool,
}

impl CacheUse {
    /// Load the cache in `dir` and probe its clock: before any module is
    /// examined.
    pub(crate) fn load(dir: &Path, limits: &modfile::Limits) -> (CacheUse, Option<Rejected>) {
        let threshold = Threshold::probe(dir);
        let stamp = stamp(limits);
        let (old, why) = Cache::load(dir, &stamp);
        (
            CacheUse {
                old,
                threshold,
                stamp,
            },
            why,
        )
    }

    pub(crate) fn old_len(&self) -> usize {
        self.old.len()
    }

    /// The module at `path`, from the cache when its record is current.
    /// `known` is the file's identity when it was just taken
    /// ([`crate::Depmod::prepare`]); otherwise it is `stat`ed here.
    pub(crate) fn read(
        &self,
        path: &[u8],
        known: Option<FileKey>,
        limits: &modfile::Limits,
    ) -> Got {
        if self.old.key(path).is_some() {
            if let Some(key) = known.or_else(|| FileKey::stat(path).ok()) {
                if let Some(info) = self.old.get(path, &key).and_then(ModuleInfo::decode) {
                    return Got {
                        info,
                        key: Some(key),
                        hit: true,
                    };
                }
            }
        }
        let (info, key) = ModuleInfo::read_keyed(path, limits, known);
        let key = key.filter(|k| self.threshold.settled(k));
        Got {
            info,
            key,
            hit: false,
        }
    }
}

/// How a run used the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Modules taken from the cache.
    pub hits: usize,
    /// Modules read from their files.
    pub reads: usize,
    /// Records in the cache found at the start.
    pub old_records: usize,
}

/// The cache a run leaves ([`crate::Resolved::cache_file`]): records of
/// unchanged modules copied from the old cache, the others encoded from
/// what was read, one after the other as the file is written.
pub struct CacheFile<'a> {
    pub(crate) modules: &'a [ModuleEntry],
    pub(crate) infos: &'a [ModuleInfo],
    /// The key of each module that may be cached, and whether it came
    /// from the cache.
    pub(crate) keys: &'a [(Option<FileKey>, bool)],
    pub(crate) old: &'a Cache,
    pub(crate) stamp: &'a [u8],
}

impl crate::write::Streamed for CacheFile<'_> {
    fn name(&self) -> &'static str {
        depcache::FILE_NAME
    }

    fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut b = depcache::Builder::writing_to(w, self.stamp);
        for ((module, info), key) in self.modules.iter().zip(self.infos).zip(self.keys) {
            let (Some(key), hit) = key else { continue };
            b.add_with(&module.path, key, |out| {
                match self.old.get(&module.path, key) {
                    Some(record) if *hit => {
                        out.extend_from_slice(record);
                        true
                    }
                    _ => info.encode_into(out),
                }
            });
        }
        b.finish_writing().map(drop)
    }
}

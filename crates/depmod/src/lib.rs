//! depmod as a library: find the modules of a kernel, work out which
//! module needs which, and produce every `modules.*` file kmod's depmod
//! writes — byte for byte the same.
//!
//! ```no_run
//! use depmod::{Depmod, Options, report::Collect};
//!
//! let dir = b"/lib/modules/6.1.0-28-amd64".to_vec();
//! let mut log = Collect::default();
//! let (cfg, _msgs) = modconf::DepmodConfig::load::<&str>(&[], "6.1.0-28-amd64");
//! let mut depmod = Depmod::new(Options::new(dir.clone()));
//! depmod.search(&cfg, &mut log)?;
//! let resolved = depmod.resolve(&mut log)?;
//! let files = resolved.outputs(false, &mut log)?;
//! depmod::write::write_outputs(std::path::Path::new("/lib/modules/6.1.0-28-amd64"), &files)?;
//! # Ok::<(), depmod::Error>(())
//! ```
//!
//! The steps, each its own module:
//! [`scan`] finds one file per module name (configuration decides between
//! copies), [`order`] sorts them as `modules.order` says, [`module`] reads
//! them in parallel (only the sections depmod needs, or decompressed once),
//! [`symbols`] maps symbols to providers, [`graph`] holds the dependencies
//! (petgraph) and ranks them, [`output`] renders the files (in parallel)
//! and [`write`] replaces them atomically.
//!
//! Where kmod's output depends on its C internals — the iteration order of
//! its hash tables ([`khash`]), `fgets` buffer sizes and `strtoull`/`sscanf`
//! parsing ([`ctext`]), its cycle-reporting walk — those are reproduced, so
//! the files and messages are kmod's byte for byte.

pub mod cache;
pub mod ctext;
mod error;
pub mod graph;
pub mod json;
pub mod khash;
pub mod module;
pub mod order;
pub mod output;
mod read;
pub mod replay;
pub mod report;
pub mod run;
pub mod scan;
pub mod symbols;
pub mod uptodate;
pub mod write;

use rayon::prelude::*;

pub use error::{Error, Result};
pub use graph::DepGraph;
pub use module::ModuleInfo;
pub use output::OutputFile;
pub use scan::{has_module_extension, ModuleEntry};

use modconf::DepmodConfig;
use report::{Level, Reporter};
use scan::{Found, Scanner};
use symbols::{ModIdx, Provider, SymbolTable};

/// What to do, as depmod's options say it.
#[derive(Debug, Clone)]
pub struct Options {
    /// The module directory, `<basedir>/lib/modules/<version>`, spelled as
    /// it is to appear in messages.
    pub dirname: Vec<u8>,
    /// `-P`: the architecture's symbol prefix.
    pub symbol_prefix: Option<u8>,
    /// `-E`: compare CRCs with the kernel's.
    pub check_symvers: bool,
    /// `-e`: report unresolved symbols (and CRC mismatches with `-E`).
    pub print_unknown: bool,
    /// `-w`: warn about duplicate index entries.
    pub warn_dups: bool,
    /// Also scan `.so` files: a sim-kernel module tree (not kmod's
    /// behaviour, so off by default).
    pub shared_objects: bool,
    /// How compressed modules are expanded. The default shares one
    /// [`modfile::MemoryBudget`] of [`modfile::Limits::max_decompressed`]
    /// (1 GiB) between all reading threads: see [`Depmod::resolve`].
    pub decompress: modfile::Limits,
}

impl Options {
    /// Defaults for the module directory `dirname`.
    pub fn new(dirname: Vec<u8>) -> Options {
        Options {
            dirname,
            symbol_prefix: None,
            check_symvers: false,
            print_unknown: false,
            warn_dups: false,
            shared_objects: false,
            decompress: default_decompress_limits(),
        }
    }
}

/// One budget as large as the largest image allowed: any single module
/// that may be expanded at all can be, and all of them together never hold
/// more than that.
fn default_decompress_limits() -> modfile::Limits {
    let max = modfile::Limits::default().max_decompressed;
    modfile::Limits {
        max_decompressed: max,
        budget: Some(modfile::MemoryBudget::new(max)),
    }
}

/// depmod before the modules are read: options, kernel symbols and the
/// module files found.
pub struct Depmod {
    opts: Options,
    symbols: SymbolTable,
    found: Found,
    cache: Option<cache::CacheUse>,
    prepared: Option<Prepared>,
}

/// A release's module directory, `<root>/<moduledir>/<version>`, spelled
/// as kmod 34 spells it (a leading `/` of the module directory dropped).
pub fn module_dir(root: &[u8], moduledir: &[u8], version: &str) -> Vec<u8> {
    let start = moduledir
        .iter()
        .position(|&b| b != b'/')
        .unwrap_or(moduledir.len());
    let mut d = root.to_vec();
    d.push(b'/');
    d.extend_from_slice(&moduledir[start..]);
    d.push(b'/');
    d.extend_from_slice(version.as_bytes());
    d
}

/// The modules sorted, with each file's identity ([`Depmod::prepare`]).
struct Prepared {
    modules: Vec<ModuleEntry>,
    /// `None` where the file could not be `stat`ed.
    keys: Vec<Option<depcache::FileKey>>,
}

impl Depmod {
    pub fn new(opts: Options) -> Depmod {
        Depmod {
            symbols: SymbolTable::new(opts.symbol_prefix),
            opts,
            found: Found::default(),
            cache: None,
            prepared: None,
        }
    }

    /// Read the modules through the cache in `dir` (where the outputs go):
    /// modules whose files are unchanged since the cache was written are
    /// not read again (see [`cache`]). A missing or unusable cache is no
    /// error: everything is read, and the reason is returned.
    /// [`Resolved::cache_file`] gives the cache to write after the run.
    pub fn use_cache(&mut self, dir: &std::path::Path) -> Option<depcache::Rejected> {
        let (c, why) = cache::CacheUse::load(dir, &self.opts.decompress);
        self.cache = Some(c);
        why
    }

    /// `-E`: the kernel's symbols and CRCs from `Module.symvers`.
    pub fn load_symvers(&mut self, path: &std::path::Path, log: &mut dyn Reporter) -> Result<()> {
        self.symbols.load_symvers(path, log)
    }

    /// `-F`: the kernel's symbols from `System.map`.
    pub fn load_system_map(
        &mut self,
        path: &std::path::Path,
        log: &mut dyn Reporter,
    ) -> Result<()> {
        self.symbols.load_system_map(path, log)
    }

    /// Find every module under the module directory and the configured
    /// external directories.
    pub fn search(&mut self, cfg: &DepmodConfig, log: &mut dyn Reporter) -> Result<()> {
        self.found = Scanner::new(cfg, &self.opts.dirname)
            .with_shared_objects(self.opts.shared_objects)
            .search(log)?;
        Ok(())
    }

    /// Use the module file at `path` (absolute), as named on the command
    /// line.
    pub fn add_module(&mut self, path: &[u8], log: &mut dyn Reporter) -> Result<()> {
        self.found.add_path(path, &self.opts.dirname, log)
    }

    /// Number of modules found so far.
    pub fn module_count(&self) -> usize {
        match &self.prepared {
            Some(p) => p.modules.len(),
            None => self.found.len(),
        }
    }

    /// Sort the modules found (`modules.order`, reporting what kmod
    /// reports of it) and take each file's identity, as the module cache
    /// keys it: after the last module is found, before
    /// [`replay_digest`](Self::replay_digest) and [`resolve`](Self::resolve)
    /// (which does this itself when it was not done).
    pub fn prepare(&mut self, log: &mut dyn Reporter) {
        let mut modules = std::mem::take(&mut self.found).into_modules();
        order::sort_modules(&mut modules, &self.opts.dirname, log);
        // Taken by the scan where it could; others (symbolic links,
        // modules named on the command line) by path.
        let keys = modules
            .par_iter()
            .map(|m| match m.key.0 {
                Some(k) => Some(k),
                None => depcache::FileKey::stat(&m.path).ok(),
            })
            .collect();
        self.prepared = Some(Prepared { modules, keys });
    }

    /// The digest of everything the rest of the run (its outputs and its
    /// messages) depends on, once [`prepare`](Self::prepare)d, for
    /// [`replay`]: `caller` adds what only the caller knows (where the
    /// outputs go, how messages are filtered). `None` when not prepared or
    /// a module could not be `stat`ed.
    pub fn replay_digest(&self, caller: &[u8]) -> Option<[u8; 16]> {
        use std::os::unix::ffi::OsStrExt;
        let p = self.prepared.as_ref()?;
        let mut d = replay::Digest::new();
        d.put(b"rkmod depmod replay");
        d.put_u64(u64::from(replay::FORMAT));
        d.put(cache::STAMP);
        d.put(caller);
        let o = &self.opts;
        d.put(&o.dirname);
        d.put(o.symbol_prefix.as_slice());
        d.put(&[
            u8::from(o.check_symvers),
            u8::from(o.print_unknown),
            u8::from(o.warn_dups),
            u8::from(o.shared_objects),
        ]);
        d.put_u64(o.decompress.max_decompressed);
        d.put_u64(self.symbols.sources.len() as u64);
        for s in &self.symbols.sources {
            d.put(s);
        }
        d.put_u64(p.modules.len() as u64);
        for (m, key) in p.modules.iter().zip(&p.keys) {
            d.put(&m.name);
            d.put(&m.path);
            d.put_key(key.as_ref()?);
        }
        // What the outputs are built from besides the modules.
        let errno = |e: &std::io::Error| e.raw_os_error().unwrap_or(-1) as u64;
        let dir = std::path::Path::new(std::ffi::OsStr::from_bytes(&o.dirname));
        match pathfs::stat(dir) {
            Ok(_) => d.put(b"dir"),
            Err(e) => {
                d.put(b"no dir");
                d.put_u64(errno(&e));
            }
        }
        for name in ["modules.builtin", "modules.builtin.modinfo"] {
            match std::fs::read(dir.join(name)) {
                Ok(data) => {
                    d.put(b"read");
                    d.put(&data);
                }
                Err(e) => {
                    d.put(b"unread");
                    d.put_u64(errno(&e));
                }
            }
        }
        Some(d.finish())
    }

    /// Sort the modules, read them, resolve their symbols and rank the
    /// dependencies. Fails with [`Error::Cycles`] (after reporting them)
    /// when modules need each other in a circle.
    ///
    /// Modules are read in parallel (rayon), and memory stays bounded
    /// whatever the number of threads: expanded images of compressed
    /// modules are accounted against [`Options::decompress`]'s budget, so
    /// together they never exceed it (1 GiB by default, the largest single
    /// image allowed; their decoders' windows never touch more memory than
    /// the image they fill, so decompression holds at most twice that);
    /// plain modules are read as compact images of at most 16 MiB each,
    /// one per thread, or mapped. A module over the limit is reported like
    /// any unreadable one (`File too large`) and the run goes on. (That
    /// bounds what is live; for freed images not to stay resident in
    /// malloc's per-thread arenas, `rdepmod` fixes glibc's thresholds.)
    pub fn resolve(self, log: &mut dyn Reporter) -> Result<Resolved> {
        self.resolve_with_progress(log, &|_, _| {})
    }

    /// [`Depmod::resolve`], calling `progress(read, total)` (from any
    /// thread) as each module has been read: reading is the long part.
    pub fn resolve_with_progress(
        self,
        log: &mut dyn Reporter,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Resolved> {
        let Depmod {
            opts,
            mut symbols,
            found,
            cache,
            prepared,
        } = self;
        let (modules, prepared_keys) = match prepared {
            Some(p) => (p.modules, Some(p.keys)),
            None => {
                let mut modules = found.into_modules();
                order::sort_modules(&mut modules, &opts.dirname, log);
                (modules, None)
            }
        };
        let (read, total) = (std::sync::atomic::AtomicUsize::new(0), modules.len());
        let known = |i: usize| prepared_keys.as_ref().and_then(|k| k[i]);
        let got: Vec<cache::Got> = modules
            .par_iter()
            .enumerate()
            .map(|(i, m)| {
                let got = match &cache {
                    Some(c) => c.read(&m.path, known(i), &opts.decompress),
                    None => cache::Got {
                        info: ModuleInfo::read_with(&m.path, &opts.decompress),
                        key: None,
                        hit: false,
                    },
                };
                let n = read.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, total);
                got
            })
            .collect();
        let mut cache_stats = cache.as_ref().map(|c| cache::CacheStats {
            old_records: c.old_len(),
            ..Default::default()
        });
        // A replay record may be made when every module's identity stands
        // for its contents (as for the cache: settled) and is the one
        // digested, and every failure came from a file's bytes, not from
        // reading it (see `replay`).
        let replay_ok = cache.is_some()
            && prepared_keys.as_ref().is_some_and(|pk| {
                got.iter()
                    .zip(pk)
                    .all(|(g, k)| g.key.is_some() && g.key == *k)
            });
        let mut keys = Vec::with_capacity(if cache.is_some() { got.len() } else { 0 });
        let mut infos = Vec::with_capacity(got.len());
        for g in got {
            if let Some(st) = &mut cache_stats {
                if g.hit {
                    st.hits += 1;
                } else {
                    st.reads += 1;
                }
                keys.push((g.key, g.hit));
            }
            infos.push(g.info);
        }

        for (i, (module, info)) in modules.iter().zip(&infos).enumerate() {
            if let Some(e) = &info.symbols_error {
                let why = format!(": {}\n", modconf::errno_text(e.errno()));
                log.diag(report::bytes_diag(
                    Level::Error,
                    &[
                        b"failed to load symbols from ",
                        &module.path,
                        why.as_bytes(),
                    ],
                ));
            }
            for (name, crc) in info.exports() {
                let owner = Some(i as ModIdx);
                symbols.add(name, false, Provider { owner, crc });
            }
        }

        let mut graph = link(&opts, &modules, &infos, &symbols, log);
        let names: Vec<&[u8]> = modules.iter().map(|m| m.name.as_slice()).collect();
        if !graph.sort(&names, log) {
            return Err(Error::Cycles);
        }
        let deps = graph.dependency_lists();
        let mut seen = vec![0u32; modules.len()];
        let closures = (0..modules.len() as ModIdx)
            .map(|m| graph.all_dependencies(m, &deps, &mut seen))
            .collect();
        Ok(Resolved {
            dirname: opts.dirname,
            warn_dups: opts.warn_dups,
            modules,
            infos,
            symbols,
            graph,
            closures,
            cache_stats,
            cache_keys: keys,
            cache_old: cache.map(|c| (c.old, c.stamp)),
            replay_ok,
        })
    }
}

/// Add an edge for every needed symbol some module provides, reporting
/// what `-e` asks about, in module and symbol order. Modules look up their
/// symbols in parallel (160,000 lookups on a distribution's tree); the
/// edges and messages are then taken in order.
fn link(
    opts: &Options,
    modules: &[ModuleEntry],
    infos: &[ModuleInfo],
    symbols: &SymbolTable,
    log: &mut dyn Reporter,
) -> DepGraph {
    let verbose = log.wants_verbose();
    let linked: Vec<Linked> = modules
        .par_iter()
        .zip(infos)
        .map(|(module, info)| link_one(opts, modules, module, info, symbols, verbose))
        .collect();
    let mut graph = DepGraph::new(modules.len());
    for (i, one) in linked.into_iter().enumerate() {
        for owner in one.owners {
            graph.add_dependency(i as ModIdx, owner);
        }
        for said in one.said {
            match said {
                Said::Diag(d) => log.diag(d),
                Said::Verbose(line) => log.verbose(&line),
            }
        }
    }
    graph
}

/// What one module's symbols link it to.
struct Linked {
    /// The modules it needs, each once, in the order first found.
    owners: Vec<ModIdx>,
    /// The messages, in order.
    said: Vec<Said>,
}

enum Said {
    Diag(report::Diagnostic),
    Verbose(Vec<u8>),
}

fn link_one(
    opts: &Options,
    modules: &[ModuleEntry],
    module: &ModuleEntry,
    info: &ModuleInfo,
    symbols: &SymbolTable,
    verbose: bool,
) -> Linked {
    let mut owners: Vec<ModIdx> = Vec::new();
    let mut said = Vec::new();
    // kmod prints the path and the symbol name as they are (a corrupted
    // module's invalid UTF-8 included).
    let warn = |what: &[u8], name: &[u8]| {
        Said::Diag(report::bytes_diag(
            Level::Warning,
            &[&module.path, what, name, b"\n"],
        ))
    };
    for need in info.needs() {
        let Some((name, provider)) = symbols.find(need.name) else {
            if opts.print_unknown && !need.weak {
                said.push(warn(b" needs unknown symbol ", need.name));
            }
            continue;
        };
        if opts.check_symvers && opts.print_unknown && provider.crc != need.crc && !need.weak {
            said.push(warn(b" disagrees about version of symbol ", need.name));
        }
        // (a module needs a handful of others: a scan beats a set)
        let Some(owner) = provider.owner.filter(|o| !owners.contains(o)) else {
            continue;
        };
        owners.push(owner);
        if verbose && (owner as usize) < modules.len() {
            let mut line = Vec::new();
            line.extend_from_slice(&module.path);
            line.extend_from_slice(b" needs \"");
            line.extend_from_slice(name);
            line.extend_from_slice(b"\": ");
            line.extend_from_slice(&modules[owner as usize].path);
            line.push(b'\n');
            said.push(Said::Verbose(line));
        }
    }
    Linked { owners, said }
}

/// Everything known once the modules are read and ranked: what the
/// output files are made from.
pub struct Resolved {
    /// The module directory (inputs `modules.builtin*` are read from it).
    pub dirname: Vec<u8>,
    warn_dups: bool,
    /// The modules, in output order.
    pub modules: Vec<ModuleEntry>,
    /// What each module holds (same indexes).
    pub infos: Vec<ModuleInfo>,
    /// Every symbol and its provider.
    pub symbols: SymbolTable,
    /// Who needs whom.
    pub graph: DepGraph,
    /// Every module each module needs, directly or not, in load order.
    pub closures: Vec<Vec<ModIdx>>,
    /// How the cache served this run, when one was used.
    pub cache_stats: Option<cache::CacheStats>,
    /// The key of each module that may be cached, and whether it came from
    /// the cache (same indexes), when a cache was used.
    cache_keys: Vec<(Option<depcache::FileKey>, bool)>,
    /// The cache read (records of unchanged modules are copied from it)
    /// and its stamp.
    cache_old: Option<(depcache::Cache, Vec<u8>)>,
    /// Whether a [`replay`] record may describe this run.
    replay_ok: bool,
}

impl Resolved {
    /// Whether this run may leave a [`replay`] record: it was
    /// [`prepare`](Depmod::prepare)d, read through the cache, and every
    /// module's identity was settled and the one digested.
    pub fn replayable(&self) -> bool {
        self.replay_ok
    }

    /// The cache file to write after this run ([`depcache::FILE_NAME`]),
    /// holding every module read or taken from the cache that may be
    /// cached; `None` when no cache was used, or when the one read is
    /// already exactly right (every module came from it and it holds no
    /// other). It is written as it is encoded
    /// ([`write::write_streamed`]), never whole in memory, after or beside
    /// the outputs: it is always valid on its own, so a run killed before
    /// or while it is written loses time, never correctness.
    pub fn cache_file(&self) -> Option<cache::CacheFile<'_>> {
        let st = self.cache_stats?;
        if st.reads == 0 && st.hits == st.old_records {
            return None;
        }
        let (old, stamp) = self.cache_old.as_ref()?;
        Some(cache::CacheFile {
            modules: &self.modules,
            infos: &self.infos,
            keys: &self.cache_keys,
            old,
            stamp,
        })
    }
}

//! depmod end to end through the library, on small synthetic trees:
//! dependency order, indexes readable by modindex, search priorities,
//! cycles, broken files. (The byte-for-byte comparison with kmod is
//! `tests/diff/depmod_diff.py`.)

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use common::{module, plain_module, Scratch, Spec};
use depmod::report::{Collect, Level};
use depmod::{Depmod, Error, ModuleInfo, Options, OutputFile};
use modconf::{DepmodConfig, Search};

fn moddir(s: &Scratch) -> Vec<u8> {
    s.path().as_os_str().as_bytes().to_vec()
}

fn build(
    dir: &[u8],
    cfg: &DepmodConfig,
    opts: impl FnOnce(&mut Options),
) -> (depmod::Result<Vec<OutputFile>>, Collect) {
    let mut o = Options::new(dir.to_vec());
    opts(&mut o);
    let mut log = Collect::default();
    let mut d = Depmod::new(o);
    let files = d
        .search(cfg, &mut log)
        .and_then(|()| d.resolve(&mut log))
        .and_then(|r| r.outputs(false, &mut log));
    (files, log)
}

fn file<'a>(files: &'a [OutputFile], name: &str) -> &'a [u8] {
    &files.iter().find(|f| f.name == name).unwrap().data
}

fn text(files: &[OutputFile], name: &str) -> String {
    String::from_utf8(file(files, name).to_vec()).unwrap()
}

fn default_cfg() -> DepmodConfig {
    DepmodConfig {
        searches: vec![Search::Path(b"updates".to_vec())],
        ..DepmodConfig::default()
    }
}

#[test]
fn dependency_chain_in_load_order() {
    let s = Scratch::new("chain");
    let m = plain_module;
    s.put(
        "kernel/a/top.ko",
        &m(&["alias=top-alias"], &["t"], &["m1", "m2", "printk"]),
    );
    s.put("kernel/b/mid-one.ko", &m(&[], &["m1"], &["b"]));
    s.put(
        "kernel/b/mid_two.ko",
        &m(&["softdep=pre: top"], &["m2"], &["b"]),
    );
    s.put(
        "kernel/base.ko",
        &m(
            &["alias=char-major-10-1", "alias=devname:base"],
            &["b"],
            &[],
        ),
    );
    s.put("modules.order", b"kernel/base.ko\nkernel/a/top.ko\n");
    let (files, log) = build(&moddir(&s), &default_cfg(), |_| {});
    let files = files.unwrap();
    let dep = text(&files, "modules.dep");
    let lines: Vec<&str> = dep.lines().collect();
    assert_eq!(lines[0], "kernel/base.ko:");
    assert_eq!(
        lines[1],
        "kernel/a/top.ko: kernel/b/mid_two.ko kernel/b/mid-one.ko kernel/base.ko"
    );
    assert!(lines.contains(&"kernel/b/mid-one.ko: kernel/base.ko"));
    assert_eq!(
        text(&files, "modules.devname"),
        "# Device nodes to trigger on-demand module loading.\nbase base c10:1\n"
    );
    assert!(text(&files, "modules.softdep").ends_with("softdep mid_two pre: top\n"));
    assert!(text(&files, "modules.symbols").contains("alias symbol:m1 mid_one\n"));
    // no modules.builtin*: kmod warns and writes empty indexes
    assert!(file(&files, "modules.builtin.bin").is_empty());
    assert!(log
        .diags
        .iter()
        .any(|d| d.text.starts_with(b"could not open modules.builtin at")));

    let dep_bin = modindex::Index::from_bytes(file(&files, "modules.dep.bin").to_vec()).unwrap();
    assert_eq!(
        dep_bin.search(b"mid_one"),
        Some(&b"kernel/b/mid-one.ko: kernel/base.ko"[..])
    );
    let alias_bin =
        modindex::Index::from_bytes(file(&files, "modules.alias.bin").to_vec()).unwrap();
    assert_eq!(alias_bin.search(b"top_alias"), Some(&b"top"[..]));
    let sym_bin =
        modindex::Index::from_bytes(file(&files, "modules.symbols.bin").to_vec()).unwrap();
    assert_eq!(sym_bin.search(b"symbol:b"), Some(&b"base"[..]));
}

#[test]
fn search_priority_and_override() {
    let s = Scratch::new("prio");
    for (dir, alias) in [("kernel", "k"), ("updates", "u"), ("extra", "e")] {
        s.put(
            &format!("{dir}/foo.ko"),
            &module(&Spec {
                modinfo: &[&format!("alias={alias}")],
                ..Spec::default()
            }),
        );
    }
    let which = |cfg: &DepmodConfig| {
        let (files, _) = build(&moddir(&s), cfg, |_| {});
        text(&files.unwrap(), "modules.dep")
    };
    assert_eq!(which(&default_cfg()), "updates/foo.ko:\n");
    let mut cfg = DepmodConfig::default();
    let mut diags = Vec::new();
    cfg.parse(
        Path::new("t.conf"),
        b"search extra built-in updates\n",
        "6.1.0",
        &mut diags,
    );
    assert_eq!(which(&cfg), "extra/foo.ko:\n");
    cfg.parse(
        Path::new("t.conf"),
        b"override foo * kernel\n",
        "6.1.0",
        &mut diags,
    );
    assert_eq!(which(&cfg), "kernel/foo.ko:\n");
    let mut cfg = default_cfg();
    cfg.excludes.push(b"updates".to_vec());
    let dep = which(&cfg);
    assert!(
        dep == "kernel/foo.ko:\n" || dep == "extra/foo.ko:\n",
        "{dep}"
    );
}

#[test]
fn cycles_are_reported_and_nothing_is_produced() {
    let s = Scratch::new("cycle");
    let m = |exports, needs| {
        module(&Spec {
            exports,
            needs,
            ..Spec::default()
        })
    };
    s.put("kernel/a.ko", &m(&["sa"], &["sb"]));
    s.put("kernel/b.ko", &m(&["sb"], &["sa"]));
    s.put("kernel/c.ko", &m(&[], &["sa"]));
    s.put("modules.order", b"kernel/a.ko\nkernel/b.ko\n");
    let (files, log) = build(&moddir(&s), &default_cfg(), |_| {});
    assert!(matches!(files, Err(Error::Cycles)));
    let errors: Vec<String> = log
        .diags
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| d.text_lossy())
        .collect();
    assert_eq!(
        errors,
        vec![
            "Cycle detected: a -> b -> a\n",
            "Found 2 modules in dependency cycles!\n"
        ]
    );
}

#[test]
fn broken_files_are_reported_and_kept_without_dependencies() {
    let s = Scratch::new("broken");
    s.put("kernel/empty.ko", b"");
    s.put("kernel/garbage.ko", b"this is not an ELF file at all");
    s.put("kernel/trunc.ko.xz", b"\xfd7zXZ\0\0\0garbage");
    s.put("kernel/ok.ko", &module(&Spec::default()));
    s.put("kernel/notes.txt", b"ignored");
    let (files, log) = build(&moddir(&s), &default_cfg(), |_| {});
    let dep = text(&files.unwrap(), "modules.dep");
    assert_eq!(dep.lines().count(), 4);
    let failed: Vec<String> = log
        .diags
        .iter()
        .filter(|d| d.text.starts_with(b"failed to load symbols"))
        .map(|d| d.text_lossy().rsplit(": ").next().unwrap().to_string())
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().any(|f| f == "Exec format error\n"));
    assert!(failed.iter().any(|f| f == "Invalid argument\n"));
}

#[test]
fn unresolved_symbols_and_crcs_with_symvers() {
    let s = Scratch::new("symvers");
    s.put(
        "kernel/user.ko",
        &module(&Spec {
            needs: &["kfunc", "missing", "weakone", "provided"],
            weak: &["weakone"],
            need_crcs: &[("kfunc", 0x1111), ("provided", 0x22)],
            ..Spec::default()
        }),
    );
    s.put(
        "kernel/prov.ko",
        &module(&Spec {
            crcs: &[("provided", 0x33)],
            elf32: true,
            big_endian: true,
            ..Spec::default()
        }),
    );
    let symvers = s.put(
        "Module.symvers",
        b"0x00002222\tkfunc\tvmlinux\tEXPORT_SYMBOL\t\n",
    );
    let mut o = Options::new(moddir(&s));
    o.check_symvers = true;
    o.print_unknown = true;
    let mut log = Collect::default();
    let mut d = Depmod::new(o);
    d.load_symvers(&symvers, &mut log).unwrap();
    d.search(&default_cfg(), &mut log).unwrap();
    let r = d.resolve(&mut log).unwrap();
    let warnings: Vec<String> = log
        .diags
        .iter()
        .map(|d| (d.level, d.text_lossy()))
        .filter(|(level, text)| *level == Level::Warning && text.contains("user.ko"))
        .map(|(_, text)| text.rsplit_once(".ko ").unwrap().1.to_string())
        .collect();
    assert_eq!(
        warnings,
        vec![
            "disagrees about version of symbol kfunc\n",
            "needs unknown symbol missing\n",
            "disagrees about version of symbol provided\n",
        ]
    );
    let dep = String::from_utf8(r.outputs(true, &mut log).unwrap()[0].data.clone()).unwrap();
    assert!(dep.contains("kernel/user.ko: kernel/prov.ko\n"), "{dep}");
}

#[test]
fn module_directory_missing_is_fatal() {
    let s = Scratch::new("nodir");
    let dir = s.path().join("nope");
    let (files, _) = build(dir.as_os_str().as_bytes(), &default_cfg(), |_| {});
    let e = files.unwrap_err();
    assert_eq!(
        e.to_string(),
        "could not search modules: No such file or directory"
    );
}

#[test]
fn compact_reading_matches_whole_file_reading() {
    // Every layout the compact reader handles, and real modules when the
    // machine has some.
    let s = Scratch::new("compact");
    let mut paths = Vec::new();
    for (elf32, big_endian) in [(false, false), (true, false), (false, true), (true, true)] {
        let spec = Spec {
            modinfo: &["alias=x", "softdep=pre: y", "weakdep=z"],
            needs: &["n1", "n2", "w"],
            weak: &["w"],
            crcs: &[("e1", 7), ("e2", 0xdead_beef)],
            need_crcs: &[("n1", 5), ("module_layout", 9)],
            elf32,
            big_endian,
            ..Spec::default()
        };
        paths.push(s.put(
            &format!("m{}{}.ko", elf32 as u8, big_endian as u8),
            &module(&spec),
        ));
    }
    if let Ok(entries) = std::fs::read_dir("/lib/modules") {
        for rel in entries.flatten() {
            let kernel = rel.path().join("kernel/fs");
            let mut todo = vec![kernel];
            while let Some(d) = todo.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        todo.push(p);
                    } else if depmod::has_module_extension(p.as_os_str().as_bytes())
                        && paths.len() < 120
                    {
                        paths.push(p);
                    }
                }
            }
        }
    }
    for p in &paths {
        let compact = depmod::ModuleInfo::read(p.as_os_str().as_bytes());
        let whole = depmod::ModuleInfo::read_whole(p.as_os_str().as_bytes());
        let summary = |i: &depmod::ModuleInfo| {
            (
                i.exports()
                    .map(|(n, c)| (n.to_vec(), c))
                    .collect::<Vec<_>>(),
                i.needs()
                    .map(|n| (n.name.to_vec(), n.crc, n.weak))
                    .collect::<Vec<_>>(),
                i.aliases().map(<[u8]>::to_vec).collect::<Vec<_>>(),
                i.softdeps().map(<[u8]>::to_vec).collect::<Vec<_>>(),
                i.weakdeps().map(<[u8]>::to_vec).collect::<Vec<_>>(),
                i.symbols_error.as_ref().map(|e| e.errno()),
            )
        };
        assert_eq!(summary(&compact), summary(&whole), "{}", p.display());
    }
}

/// One run through the cache in the module directory: its outputs, how
/// the cache served it, and the cache written (as rdepmod writes it).
fn cached_run(dir: &[u8]) -> (Vec<OutputFile>, depmod::cache::CacheStats) {
    cached_run_with(dir, |_| {})
}

fn cached_run_with(
    dir: &[u8],
    opts: impl FnOnce(&mut Options),
) -> (Vec<OutputFile>, depmod::cache::CacheStats) {
    let path = Path::new(std::ffi::OsStr::from_bytes(dir));
    let mut log = Collect::default();
    let mut o = Options::new(dir.to_vec());
    opts(&mut o);
    let mut d = Depmod::new(o);
    d.search(&default_cfg(), &mut log).unwrap();
    d.use_cache(path);
    let r = d.resolve(&mut log).unwrap();
    let files = r.outputs(false, &mut log).unwrap();
    if let Some(c) = r.cache_file() {
        depmod::write::write_streamed(path, &c).unwrap();
    }
    (files, r.cache_stats.unwrap())
}

#[test]
fn cached_runs_give_the_outputs_of_full_runs() {
    let s = Scratch::new("cached");
    let dir = moddir(&s);
    let m = plain_module;
    s.put("kernel/a.ko", &m(&["alias=a-1"], &["sa"], &["sb"]));
    s.put("kernel/b.ko", &m(&["alias=b-1"], &["sb"], &[]));
    s.put("kernel/c.ko", &m(&["softdep=pre: a"], &["sc"], &["sa"]));
    s.put("kernel/bad.ko", b"not a module at all");
    // Files are cached once their timestamps are past the file system's
    // clock at the start of a run.
    let settle = || std::thread::sleep(std::time::Duration::from_millis(30));
    let full = || build(&dir, &default_cfg(), |_| {}).0.unwrap();
    settle();

    let (first, st) = cached_run(&dir);
    assert_eq!((st.hits, st.reads, st.old_records), (0, 4, 0));
    assert_eq!(first, full());
    let (again, st) = cached_run(&dir);
    assert_eq!(
        (st.hits, st.reads),
        (3, 1),
        "the unreadable file is read again"
    );
    assert_eq!(again, first);

    // Rewritten in place, same size: ctime and mtime tell.
    let new_a = m(&["alias=a-2"], &["sa"], &["sd"]);
    s.put("kernel/a.ko", &new_a);
    s.put("kernel/d.ko", &m(&[], &["sd"], &["sb"]));
    std::fs::remove_file(s.path().join("kernel/b.ko")).unwrap();
    settle();
    let (changed, st) = cached_run(&dir);
    assert_eq!((st.hits, st.reads, st.old_records), (1, 3, 3));
    assert_eq!(changed, full());
    assert_ne!(changed, first);

    // A damaged cache is ignored and replaced.
    let cache = s.path().join(depcache::FILE_NAME);
    let mut bytes = std::fs::read(&cache).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&cache, &bytes).unwrap();
    let (after, st) = cached_run(&dir);
    assert_eq!((st.hits, st.old_records), (0, 0));
    assert_eq!(after, changed);
    let (_, st) = cached_run(&dir);
    assert_eq!(st.hits, 3);

    // Another limit on decompressed images: another cache.
    let (other, st) = cached_run_with(&dir, |o| o.decompress.max_decompressed = 1 << 20);
    assert_eq!((st.hits, st.old_records), (0, 0));
    assert_eq!(other, changed);
}

#[test]
fn a_known_identity_spares_a_stat() {
    // A module read with the identity the scan took: the same contents,
    // that identity kept; with one its bytes do not fit (the file changed
    // since), the identity of the file opened.
    let s = Scratch::new("known-key");
    let spec = Spec {
        modinfo: &["alias=pci:v*"],
        exports: &["known_a"],
        needs: &["printk"],
        ..Spec::default()
    };
    let path = s.put("m.ko", &module(&spec));
    let path = path.as_os_str().as_encoded_bytes();
    let limits = modfile::Limits::default();
    let (info, key) = ModuleInfo::read_keyed(path, &limits, None);
    let key = key.unwrap();
    let taken = depcache::FileKey {
        ino: key.ino ^ 1,
        ..key
    };
    let (same, kept) = ModuleInfo::read_keyed(path, &limits, Some(taken));
    assert_eq!(kept, Some(taken));
    assert!(info.encode().is_some());
    assert_eq!(same.encode(), info.encode());
    let stale = depcache::FileKey {
        size: key.size + 4096,
        ..taken
    };
    let (again, fresh) = ModuleInfo::read_keyed(path, &limits, Some(stale));
    assert_eq!(fresh, Some(key));
    assert_eq!(again.encode(), info.encode());
}

#[test]
fn a_run_writes_outputs_and_cache_and_the_next_replays() {
    use depmod::run::{finish, Deliver, Done};
    let s = Scratch::new("run");
    let dir = moddir(&s);
    let m = plain_module;
    s.put("kernel/a.ko", &m(&["alias=a-1"], &["sa"], &["sb"]));
    s.put("kernel/b.ko", &m(&["alias=b-1"], &["sb"], &[]));
    // Module files are trusted by identity once the clock has moved on.
    std::thread::sleep(std::time::Duration::from_millis(30));
    // (the cache's clock is probed in the directory it lives in: it must
    // exist for a first run to fill the cache)
    let out = s.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let run = |log: &mut Collect| {
        let mut d = Depmod::new(Options::new(dir.clone()));
        d.search(&default_cfg(), log).unwrap();
        let deliver = Deliver::Write {
            outdir: &out,
            cache: true,
            record: Some(b"test".to_vec()),
        };
        finish(d, deliver, Some(&out), log, &|_, _| {})
    };
    let mut log = Collect::default();
    let Ok(Done::Built(r, files)) = run(&mut log) else {
        panic!("the first run builds");
    };
    assert_eq!(r.cache_stats.unwrap().reads, 2);
    // Its files, the cache and the record are in place.
    for f in &files {
        assert_eq!(
            std::fs::read(out.join(f.name)).unwrap(),
            f.data,
            "{}",
            f.name
        );
    }
    let (cache, why) = depcache::Cache::load(&out, &depmod::cache::stamp(&Default::default()));
    assert_eq!((cache.len(), why), (2, None));
    assert!(matches!(run(&mut log), Ok(Done::Replayed(_))));

    // An output that cannot be replaced is the run's error; the cache,
    // written beside the outputs, is still there and whole.
    std::fs::remove_file(out.join(depcache::FILE_NAME)).unwrap();
    std::fs::remove_file(out.join("modules.alias")).unwrap();
    std::fs::create_dir(out.join("modules.alias")).unwrap();
    s.put("kernel/c.ko", &m(&["alias=c-1"], &["sc"], &["sa"]));
    std::thread::sleep(std::time::Duration::from_millis(30));
    let err = run(&mut log).err().expect("modules.alias is a directory");
    assert!(err.to_string().contains("modules.alias"), "{err}");
    let (cache, why) = depcache::Cache::load(&out, &depmod::cache::stamp(&Default::default()));
    assert_eq!((cache.len(), why), (3, None));
}

//! Where a run's time goes: `cargo run --release -p depmod --example
//! phases -- MODULE_DIR [cache|nocache] [OUT_DIR]` runs rdepmod's pipeline
//! on MODULE_DIR (default configuration) and prints the time of each phase
//! on stderr: searching the tree, loading the cache, reading the modules
//! (from their files or the cache), resolving symbols and ranking,
//! rendering the outputs, writing them (into OUT_DIR, default a scratch
//! directory, so the tree is left alone) and writing the cache.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use depmod::report::Collect;
use depmod::{Depmod, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: phases MODULE_DIR [cache|nocache] [OUT_DIR]");
        std::process::exit(2);
    };
    let use_cache = args.get(2).map(String::as_str) != Some("nocache");
    let out = args
        .get(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("depmod-phases-out"));
    std::fs::create_dir_all(&out).expect("output directory");
    let release = dir.rsplit('/').next().unwrap_or_default().to_string();
    let mut log = Collect::default();
    let t0 = Instant::now();
    let mut lap = {
        let mut last = t0;
        move |what: &str| {
            let now = Instant::now();
            eprintln!("{what:>14}: {:8.1} ms", (now - last).as_secs_f64() * 1e3);
            last = now;
        }
    };
    let (cfg, _) = modconf::DepmodConfig::load::<&str>(&[], &release);
    let mut d = Depmod::new(Options::new(dir.as_bytes().to_vec()));
    d.search(&cfg, &mut log).expect("search");
    lap("search");
    if use_cache {
        d.use_cache(&out);
        lap("cache load");
    }
    let read_done = Mutex::new(None);
    let total = d.module_count();
    let start = Instant::now();
    let r = d
        .resolve_with_progress(&mut log, &|n, _| {
            if n == total {
                *read_done.lock().unwrap() = Some(Instant::now());
            }
        })
        .expect("resolve");
    let done = read_done.lock().unwrap().unwrap_or(start);
    eprintln!(
        "{:>14}: {:8.1} ms (sort, read or take from the cache)",
        "read",
        (done - start).as_secs_f64() * 1e3
    );
    eprintln!(
        "{:>14}: {:8.1} ms (symbols, graph, closures)",
        "resolve",
        done.elapsed().as_secs_f64() * 1e3
    );
    lap("read+resolve");
    let files = r.outputs(false, &mut log).expect("outputs");
    lap("render");
    depmod::write::write_outputs(&out, &files).expect("write");
    lap("write");
    if let Some(c) = r.cache_file() {
        depmod::write::write_streamed(&out, &c).expect("write cache");
    }
    lap("cache write");
    if let Some(st) = r.cache_stats {
        eprintln!("cache: {} hits, {} read", st.hits, st.reads);
    }
    eprintln!(
        "{:>14}: {:8.1} ms ({} modules, {})",
        "total",
        t0.elapsed().as_secs_f64() * 1e3,
        total,
        std::path::Path::new(std::ffi::OsStr::from_bytes(dir.as_bytes())).display()
    );
}

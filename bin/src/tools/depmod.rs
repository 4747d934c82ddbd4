//! `rdepmod`: generate `modules.dep` and the other module indexes, as
//! kmod's depmod (kmod 30's behaviour, with kmod 34's `-m`/`-o` and
//! `modules.weakdep`).

mod args;
mod print;

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use depmod::module_dir;
use depmod::report::{Level, Reporter};
use depmod::run::{Deliver, Done};
use depmod::{Depmod, Error, Options};

use args::{command, deprecated_warnings};
pub(crate) use args::{documented_command, help_text};
use print::{progress_bar, replay, tree_graph, Printer};

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    return_large_buffers_to_the_system();
    let mut cmd = command(prog);
    cmd.build();
    // kmod refuses a -P of more than one character as getopt returns it
    let check_prefix = |id: &str, value: &[u8]| {
        (id == "symbol-prefix" && value.len() != 1)
            .then(|| format!("{prog}: FATAL: -P only takes a single char\n").into_bytes())
    };
    let argv = match crate::getopt::scan_checked(
        &cmd,
        &argv,
        &["help", "version"],
        // rkmod's options and kmod 30's deprecated ones: kmod 34's table
        // has neither, an abbreviation of its own options stays theirs
        &[
            "json",
            "graph",
            "sim",
            "dep-unresolved-error",
            "dep-quiet",
            "dep-root",
            "dep-map",
        ],
        &check_prefix,
    ) {
        crate::getopt::Scan::Error(msg) => {
            let _ = std::io::stderr().write_all(&msg);
            return 1;
        }
        crate::getopt::Scan::Acts(a) | crate::getopt::Scan::Clean(a) => a,
    };
    let m = match command(prog).try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => return crate::tools::usage_exit(prog, e),
    };
    let verbosity = m.get_count("verbose");
    let mut p = Printer {
        prog: prog.to_string(),
        out: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
        threshold: 4,
        verbose: verbosity > 0,
        transcript: None,
    };
    let status = main(&m, &mut p, verbosity);
    // A closed stdout must not turn into a panic or a different status.
    let _ = p.out.flush();
    status
}

fn main(m: &ArgMatches, p: &mut Printer, verbosity: u8) -> i32 {
    for w in deprecated_warnings(m) {
        p.say(Level::Warning, &w);
    }
    if m.get_flag("help") {
        let text = crate::help::text(
            crate::Tool::Depmod,
            p.prog.as_str(),
            &documented_command(p.prog.as_str()),
            &["json", "graph", "sim"],
        );
        let _ = p.out.write_all(text.as_bytes());
        return 0;
    }
    if m.get_flag("version") {
        let _ = p.out.write_all(crate::tools::version_text().as_bytes());
        return 0;
    }
    let os = |id: &str| m.get_one::<OsString>(id);
    let symbol_prefix = match os("symbol-prefix").map(|s| s.as_bytes()) {
        None => None,
        Some([c]) => Some(*c),
        Some(_) => {
            p.say(Level::Fatal, "-P only takes a single char\n");
            return 1;
        }
    };
    let mut args: Vec<&OsString> = m
        .get_many::<OsString>("args")
        .map(|v| v.collect())
        .unwrap_or_default();
    // The tree named on the command line (-b, -m, a release) wins over
    // the environment: $RKMOD_SIM alone does not replace it.
    let explicit_tree = os("basedir").is_some() || os("moduledir").is_some() || !args.is_empty();
    let sim_arg = os("sim").map(|s| s.as_os_str());
    let sim_socket = match sim_arg {
        None if explicit_tree => None,
        _ => crate::sim_mode::socket(sim_arg),
    };
    // Test mode: the sim kernel's release and module tree, `.so` modules;
    // with --sim and an explicit tree, that tree's `.so` modules (the sim
    // kernel asked only for a release the command line does not give).
    let shared_objects = sim_socket.is_some();
    let sim = match sim_socket.filter(|_| args.is_empty()) {
        Some(socket) => match rkmod::Sim::connect(&socket) {
            Ok(s) => Some(s),
            Err(e) => {
                p.say(Level::Fatal, &format!("{}\n", e.message));
                return 1;
            }
        },
        None => None,
    };
    let root = os("basedir")
        .map(|b| pathfs::absolute(b.as_bytes()))
        .unwrap_or_default();
    let out_root = os("outdir").map(|o| pathfs::absolute(o.as_bytes()));
    let moduledir = os("moduledir")
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_else(|| b"/lib/modules".to_vec());

    let version = if let (true, Some(s)) = (args.is_empty(), &sim) {
        s.release().to_string()
    } else if args.is_empty() {
        match rkmod::context::running_release() {
            Ok(r) => r,
            Err(e) => {
                p.say(Level::Fatal, &format!("uname() failed: {e}\n"));
                return 1;
            }
        }
    } else {
        let v = args.remove(0);
        if !depmod::ctext::is_version_number(v.as_bytes()) {
            p.say(
                Level::Error,
                &format!("Bad version passed {}\n", v.to_string_lossy()),
            );
            return 1;
        }
        v.to_string_lossy().into_owned()
    };
    let (dirname, outdir) = match &sim {
        Some(s) if !explicit_tree => {
            let tree = s.module_root().as_os_str().as_bytes().to_vec();
            let out = match &out_root {
                Some(o) => module_dir(o, &moduledir, &version),
                None => tree.clone(),
            };
            (tree, out)
        }
        _ => (
            module_dir(&root, &moduledir, &version),
            module_dir(out_root.as_deref().unwrap_or(&root), &moduledir, &version),
        ),
    };
    let dry_run = m.get_flag("show");
    let mut all = m.get_flag("all") || args.is_empty();

    // -A compares `.ko` files only; a sim tree is small, so it is redone.
    if m.get_flag("quick") && !shared_objects {
        if dry_run || depmod::uptodate::is_up_to_date(&dirname, p) {
            return 0;
        }
        all = true;
    }
    // kmod hands its verbosity to the log only from here on.
    p.threshold = 4u8.saturating_add(verbosity);

    let mut opts = Options::new(dirname.clone());
    opts.symbol_prefix = symbol_prefix;
    opts.check_symvers = os("symvers").is_some();
    opts.print_unknown = m.get_flag("errsyms");
    opts.warn_dups = m.get_flag("warn");
    opts.shared_objects = shared_objects;
    if opts.print_unknown && os("symvers").is_none() && os("filesyms").is_none() {
        p.say(Level::Warning, "-e needs -E or -F\n");
        opts.print_unknown = false;
    }
    let mut depmod = Depmod::new(opts);
    let loaded = if let Some(f) = os("symvers") {
        depmod.load_symvers(Path::new(f), p)
    } else if let Some(f) = os("filesyms") {
        depmod.load_system_map(Path::new(f), p)
    } else {
        Ok(())
    };
    if let Err(e) = loaded {
        return fatal(p, &e);
    }

    if all {
        let paths: Vec<PathBuf> = m
            .get_many::<OsString>("config")
            .map(|v| v.map(PathBuf::from).collect())
            .unwrap_or_default();
        let (cfg, diags) = modconf::DepmodConfig::load(&paths, &version);
        for d in diags {
            p.diag(d);
        }
        if let Err(e) = depmod.search(&cfg, p) {
            return fatal(p, &e);
        }
    } else {
        for path in &args {
            if let Err(e) = depmod.add_module(path.as_bytes(), p) {
                return fatal(p, &e);
            }
        }
    }

    let json = m.get_flag("json");
    let graph = m.get_flag("graph");
    let use_cache = depmod::cache::enabled_by_env();
    let outdir = PathBuf::from(OsString::from_vec(outdir));
    let deliver = if dry_run || json || graph {
        Deliver::Keep { text_only: dry_run }
    } else {
        Deliver::Write {
            outdir: &outdir,
            // Explicit module lists leave the cache as it is.
            cache: all,
            record: (use_cache && all).then(|| replay_inputs(&outdir, p, &version)),
        }
    };
    // Made on the first module read (a replayed run reads none), gone
    // with the last: (made yet, the bar).
    let (bar, verbose) = (std::sync::Mutex::new((false, None)), p.verbose);
    let tick = |read: usize, total: usize| {
        if !verbose {
            return;
        }
        let Ok(mut bar) = bar.lock() else { return };
        if !bar.0 {
            *bar = (true, progress_bar(verbose, total));
        }
        if let Some(b) = &bar.1 {
            b.set_position(b.position().max(read as u64));
            if read == total {
                b.finish_and_clear();
                bar.1 = None;
            }
        }
    };
    let cache_dir = use_cache.then_some(outdir.as_path());
    let (resolved, files) = match depmod::run::finish(depmod, deliver, cache_dir, p, &tick) {
        Ok(Done::Built(resolved, files)) => (resolved, files),
        Ok(Done::Replayed(record)) => return replay(p, &record),
        Err(Error::Cycles) => return 1,
        Err(e) => return fatal(p, &e),
    };
    if json {
        let doc = rkmod::json::Document::new("rdepmod", resolved.records());
        let _ = p.out.write_all(super::json_text(&doc).as_bytes());
    } else if graph {
        let _ = p.out.write_all(tree_graph(&resolved).as_bytes());
    } else if dry_run {
        for f in &files {
            let _ = p.out.write_all(&f.data);
        }
    }
    // The process ends with this call: freeing the tree's records and the
    // outputs one by one took 4 ms of a 110 ms first run (issue 14).
    std::mem::forget(resolved);
    std::mem::forget(files);
    0
}

/// What the replay digest needs from the command line beyond what the
/// library knows: the output directory, the release, and which messages
/// are printed (the log threshold, `-v`'s lines).
fn replay_inputs(outdir: &Path, p: &Printer, version: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for field in [
        outdir.as_os_str().as_bytes(),
        version.as_bytes(),
        p.prog.as_bytes(),
        &[p.threshold, u8::from(p.verbose)],
    ] {
        v.extend_from_slice(&(field.len() as u64).to_le_bytes());
        v.extend_from_slice(field);
    }
    v
}

fn fatal(p: &mut Printer, e: &Error) -> i32 {
    p.say(Level::Fatal, &format!("{e}\n"));
    1
}

/// Serve allocations of 4 MiB and more with their own mappings, given back
/// to the system when freed, and give the top of the heap back beyond
/// 8 MiB. depmod's threads expand compressed modules within a shared
/// budget (see `depmod::Depmod::resolve`), but glibc raises its mmap
/// threshold as large blocks are freed and then keeps such blocks in
/// per-thread arenas: memory no longer used would still count, once per
/// thread. Fixed thresholds turn that adjustment off; the trim threshold
/// is set too, since glibc would otherwise trim at 128 KiB and fault the
/// same pages in again for every module (most expand to less than 4 MiB).
fn return_large_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: nix::libc::c_int = 4 << 20;
        const TRIM_THRESHOLD: nix::libc::c_int = 8 << 20;
        // SAFETY: mallopt only changes malloc's tuning; called before
        // the threads start.
        unsafe {
            nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            nix::libc::mallopt(nix::libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}

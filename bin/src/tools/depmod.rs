//! `rdepmod`: generate `modules.dep` and the other module indexes, as
//! kmod's depmod (kmod 30's behaviour, with kmod 34's `-m`/`-o` and
//! `modules.weakdep`).

use std::ffi::OsString;
use std::io::{BufWriter, Stdout, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};
use depmod::replay::Stream;
use depmod::report::{Diagnostic, Level, Reporter};
use depmod::{Depmod, Error, Options};

/// kmod's depmod usage text (kmod 34's, which documents `-m` and `-o`).
pub(crate) fn help_text(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} -[aA] [options] [forced_version]\n\
         \n\
         If no arguments (except options) are given, \"depmod -a\" is assumed\n\
         \n\
         depmod will output a dependency list suitable for the modprobe utility.\n\
         \n\
         Options:\n\
         \t-a, --all            Probe all modules\n\
         \t-A, --quick          Only does the work if there's a new module\n\
         \t-e, --errsyms        Report not supplied symbols\n\
         \t-n, --show           Write the dependency file on stdout only\n\
         \t-P, --symbol-prefix  Architecture symbol prefix\n\
         \t-C, --config=PATH    Read configuration from PATH\n\
         \t-v, --verbose        Enable verbose mode\n\
         \t-w, --warn           Warn on duplicates\n\
         \t-V, --version        show version\n\
         \t-h, --help           show this help\n\
         \n\
         The following options are useful for people managing distributions:\n\
         \t-b, --basedir=DIR    Root path (default: /).\n\
         \t-m, --moduledir=DIR  Module directory (default: /lib/modules).\n\
         \t-o, --outdir=DIR     Output root path (default: same as <basedir>).\n\
         \t-F, --filesyms=FILE  Use the file instead of the\n\
         \t                     current kernel symbols.\n\
         \t-E, --symvers=FILE   Use Module.symvers file to check\n\
         \t                     symbol versions.\n"
    )
}

/// The command line as documentation sees it: kmod's own `-h` text is
/// printed by hand (`help_text`), so the arguments carry their help here.
pub(crate) fn documented_command(prog: &str) -> Command {
    let help = [
        ("all", "Probe all modules"),
        ("quick", "Only do the work if there is a new module"),
        ("basedir", "Root path (default: /)"),
        ("moduledir", "Module directory (default: /lib/modules)"),
        (
            "outdir",
            "Output root path (default: same as the base directory)",
        ),
        (
            "config",
            "Read configuration from PATH (a file or a directory)",
        ),
        (
            "symvers",
            "Use a Module.symvers file to check symbol versions",
        ),
        (
            "filesyms",
            "Use this System.map instead of the current kernel's symbols",
        ),
        ("errsyms", "Report symbols no module or kernel supplies"),
        ("verbose", "Enable verbose mode"),
        ("show", "Write the dependency files on stdout only"),
        ("symbol-prefix", "Architecture symbol prefix"),
        ("warn", "Warn on duplicates"),
        ("version", "Show version"),
        ("help", "Show this help"),
    ];
    help.iter().fold(command(prog), |c, (id, text)| {
        c.mut_arg(*id, |a| a.help(*text))
    })
}

fn command(prog: &str) -> Command {
    let flag = |id: &'static str, short: char, long: &'static str| {
        Arg::new(id)
            .short(short)
            .long(long)
            .action(ArgAction::SetTrue)
    };
    let value = |id: &'static str, short: char, long: &'static str, name: &'static str| {
        Arg::new(id)
            .short(short)
            .long(long)
            .value_name(name)
            .value_parser(clap::value_parser!(OsString))
            .action(ArgAction::Set)
    };
    let deprecated_short = |id: &'static str, short: char| {
        Arg::new(id)
            .short(short)
            .action(ArgAction::Count)
            .hide(true)
    };
    let deprecated_long = |id: &'static str, long: &'static str| {
        Arg::new(id).long(long).action(ArgAction::Count).hide(true)
    };
    Command::new(prog.to_string())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args_override_self(true)
        .arg(flag("all", 'a', "all"))
        .arg(flag("quick", 'A', "quick"))
        .arg(value("basedir", 'b', "basedir", "DIR"))
        .arg(value("moduledir", 'm', "moduledir", "DIR"))
        .arg(value("outdir", 'o', "outdir", "DIR"))
        .arg(value("config", 'C', "config", "PATH").action(ArgAction::Append))
        .arg(value("symvers", 'E', "symvers", "FILE"))
        .arg(value("filesyms", 'F', "filesyms", "FILE"))
        .arg(flag("errsyms", 'e', "errsyms"))
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::Count),
        )
        .arg(flag("show", 'n', "show").visible_alias("dry-run"))
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .requires("show")
                .help("With -n: print the modules as one JSON document (schema rkmod/1, see docs/json.md)"),
        )
        .arg(
            Arg::new("graph")
                .long("graph")
                .action(ArgAction::SetTrue)
                .help("Print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT; write nothing"),
        )
        .arg(value("symbol-prefix", 'P', "symbol-prefix", "CHAR"))
        .arg(flag("warn", 'w', "warn"))
        .arg(flag("version", 'V', "version"))
        .arg(flag("help", 'h', "help"))
        .arg(
            Arg::new("sim")
                .long("sim")
                .value_name("SOCKET")
                .value_parser(clap::value_parser!(OsString))
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("")
                .help("Index the module tree of the sim kernel at SOCKET (test mode; .so modules)"),
        )
        .arg(deprecated_short("dep-u", 'u'))
        .arg(deprecated_short("dep-q", 'q'))
        .arg(deprecated_short("dep-r", 'r'))
        .arg(deprecated_long("dep-unresolved-error", "unresolved-error"))
        .arg(deprecated_long("dep-quiet", "quiet"))
        .arg(deprecated_long("dep-root", "root"))
        .arg(deprecated_long("dep-map", "map"))
        .arg(
            Arg::new("args")
                .value_name("VERSION [MODULE...]")
                .value_parser(clap::value_parser!(OsString))
                .action(ArgAction::Append),
        )
}

/// Prints depmod's messages as kmod does: log lines on stderr when the
/// verbosity allows, `-v` progress and `-n` output on stdout.
struct Printer {
    prog: String,
    out: BufWriter<Stdout>,
    /// Highest syslog priority shown (4 = warnings, each -v adds one).
    threshold: u8,
    verbose: bool,
    /// What is printed from the replay point on, when it is kept for the
    /// next run to replay (`depmod::replay`).
    transcript: Option<Vec<(Stream, Vec<u8>)>>,
}

impl Printer {
    fn say(&mut self, level: Level, text: &str) {
        self.diag(Diagnostic::new(level, text));
    }
}

impl Reporter for Printer {
    fn diag(&mut self, d: Diagnostic) {
        if d.level.priority() > self.threshold {
            return;
        }
        let _ = self.out.flush();
        let mut line = format!("{}: {}: ", self.prog, d.level.label()).into_bytes();
        line.extend_from_slice(&d.text);
        let _ = std::io::stderr().write_all(&line);
        if let Some(t) = &mut self.transcript {
            t.push((Stream::Stderr, line));
        }
    }

    fn verbose(&mut self, text: &[u8]) {
        let _ = self.out.write_all(text);
        if let Some(t) = &mut self.transcript {
            t.push((Stream::Stdout, text.to_vec()));
        }
    }

    fn wants_verbose(&self) -> bool {
        self.verbose
    }
}

/// `path_make_absolute_cwd`: an absolute path as is, else appended to the
/// current directory (no normalisation).
fn absolute(p: &OsString) -> Vec<u8> {
    let bytes = p.as_bytes();
    if bytes.first() == Some(&b'/') {
        return bytes.to_vec();
    }
    let mut cwd = std::env::current_dir()
        .map(|c| c.into_os_string().into_vec())
        .unwrap_or_default();
    cwd.push(b'/');
    cwd.extend_from_slice(bytes);
    cwd
}

/// `<root>/<moduledir>/<version>`, kmod 34's spelling (a leading `/` of
/// the module directory dropped).
fn module_dir(root: &[u8], moduledir: &[u8], version: &str) -> Vec<u8> {
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

/// Deprecated options used, in command-line order, as kmod warns of them.
fn deprecated_warnings(m: &ArgMatches) -> Vec<String> {
    let ids = [
        ("dep-u", "-u"),
        ("dep-q", "-q"),
        ("dep-r", "-r"),
        ("dep-unresolved-error", "--unresolved-error"),
        ("dep-quiet", "--quiet"),
        ("dep-root", "--root"),
        ("dep-map", "--map"),
    ];
    let mut used: Vec<(usize, &str)> = Vec::new();
    for (id, spelled) in ids {
        if m.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            continue;
        }
        if let Some(idx) = m.indices_of(id) {
            used.extend(idx.map(|i| (i, spelled)));
        }
    }
    used.sort();
    used.into_iter()
        .map(|(_, s)| format!("Ignored deprecated option {s}\n"))
        .collect()
}

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
    let root = os("basedir").map(absolute).unwrap_or_default();
    let out_root = os("outdir").map(absolute);
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

    // The replay point: what a run prints from here on, and the files it
    // writes, depend only on what the digest covers (depmod::replay).
    depmod.prepare(p);
    let use_cache = depmod::cache::enabled_by_env();
    let outdir_path = PathBuf::from(OsString::from_vec(outdir.clone()));
    let replayable_run = use_cache && all && !dry_run && !m.get_flag("graph");
    let digest = if replayable_run {
        depmod.replay_digest(&replay_inputs(&outdir, p, &version))
    } else {
        None
    };
    if let Some(d) = &digest {
        if let Some(record) = depmod::replay::replayable(&outdir_path, d) {
            return replay(p, &record);
        }
        p.transcript = Some(Vec::new());
    }
    // What was read from unchanged modules comes from the cache (see
    // depmod::cache); it lives where the outputs go.
    if use_cache {
        depmod.use_cache(&outdir_path);
    }
    let bar = progress_bar(p.verbose, depmod.module_count());
    let tick = |read: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(read as u64);
        }
    };
    let resolved = depmod.resolve_with_progress(p, &tick);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let resolved = match resolved {
        Ok(r) => r,
        Err(Error::Cycles) => return 1,
        Err(e) => return fatal(p, &e),
    };
    // Explicit module lists leave the cache as it is.
    let writes_files = !dry_run && !m.get_flag("json") && !m.get_flag("graph");
    let files = match resolved.outputs(dry_run, p) {
        Ok(f) => f,
        Err(e) => return fatal(p, &e),
    };
    let cache = (all && writes_files)
        .then(|| resolved.cache_file())
        .flatten();
    if m.get_flag("json") {
        let doc = rkmod::json::Document::new("rdepmod", resolved.records());
        let _ = p.out.write_all(super::json_text(&doc).as_bytes());
        return 0;
    }
    if m.get_flag("graph") {
        let _ = p.out.write_all(tree_graph(&resolved).as_bytes());
        return 0;
    }
    if dry_run {
        for f in &files {
            let _ = p.out.write_all(&f.data);
        }
        return 0;
    }
    let outdir = outdir_path;
    if let Err(e) = pathfs::create_dir_all(&outdir, 0o755) {
        p.say(
            Level::Fatal,
            &format!(
                "could not create directory {}: {}\n",
                outdir.display(),
                modconf::strerror(&e)
            ),
        );
        return 1;
    }
    let cache = cache.as_ref().map(|c| c as &dyn depmod::write::Streamed);
    let written = depmod::write::write_outputs_and_cache(&outdir, &files, cache);
    if let Err(e) = written {
        return fatal(p, &e);
    }
    // Last, once the outputs are in place and known to be this run's.
    let status = 0;
    if let Some(digest) = digest {
        let transcript = p.transcript.take().unwrap_or_default();
        depmod::replay::record_run(
            &outdir,
            &files,
            resolved.replayable(),
            digest,
            status,
            transcript,
        );
    }
    // The process ends with this call: freeing the tree's records and the
    // outputs one by one took 4 ms of a 110 ms first run (issue 14).
    std::mem::forget(resolved);
    std::mem::forget(files);
    status
}

/// What the replay digest needs from the command line beyond what the
/// library knows: the output directory, the release, and which messages
/// are printed (the log threshold, `-v`'s lines).
fn replay_inputs(outdir: &[u8], p: &Printer, version: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for field in [
        outdir,
        version.as_bytes(),
        p.prog.as_bytes(),
        &[p.threshold, u8::from(p.verbose)],
    ] {
        v.extend_from_slice(&(field.len() as u64).to_le_bytes());
        v.extend_from_slice(field);
    }
    v
}

/// Print what the recorded run printed from the replay point on, in the
/// same order, and exit as it did.
fn replay(p: &mut Printer, record: &depmod::replay::Record) -> i32 {
    for (stream, bytes) in &record.transcript {
        match stream {
            Stream::Stdout => {
                let _ = p.out.write_all(bytes);
            }
            Stream::Stderr => {
                let _ = p.out.flush();
                let _ = std::io::stderr().write_all(bytes);
            }
        }
    }
    record.status
}

/// The whole tree as DOT: direct hard dependencies, the modules' own
/// softdeps and weakdeps.
fn tree_graph(resolved: &depmod::Resolved) -> String {
    use rkmod::graph::{EdgeKind, ModGraph};
    let mut g = ModGraph::new();
    for r in resolved.records() {
        g.node(&r.name);
        let edges = [
            (&r.direct_depends, EdgeKind::Hard),
            (&r.softdep_pre, EdgeKind::SoftPre),
            (&r.softdep_post, EdgeKind::SoftPost),
            (&r.weakdeps, EdgeKind::Weak),
        ];
        for (targets, kind) in edges {
            for t in targets {
                g.edge(&r.name, t, kind);
            }
        }
    }
    g.to_dot("modules", &[])
}

/// With -v on a terminal, a progress bar on stderr while modules are read
/// (the long part of a run); never when stderr is not a terminal, so
/// logs and pipes get exactly kmod's output.
fn progress_bar(verbose: bool, total: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !verbose || total == 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("reading modules {bar:40} {pos}/{len} {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
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

//! `rmodinfo`: show information about kernel modules, as kmod's modinfo.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use rkmod::Context;

use crate::Output;

mod ahead;
mod show;

use show::{Show, Shown};

/// From this many arguments on, module files are read on several threads:
/// fewer would not pay for starting them.
const PARALLEL_FROM: usize = 16;

#[derive(Parser, Debug)]
#[command(
    about = "Show information about Linux kernel modules",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Args {
    /// Print only 'author'
    #[arg(short = 'a', long)]
    author: bool,
    /// Print only 'description'
    #[arg(short = 'd', long)]
    description: bool,
    /// Print only 'license'
    #[arg(short = 'l', long)]
    license: bool,
    /// Print only 'parm'
    #[arg(short = 'p', long)]
    parameters: bool,
    /// Print only 'filename'
    #[arg(short = 'n', long)]
    filename: bool,
    /// Use \0 instead of \n
    #[arg(short = '0', long)]
    null: bool,
    /// Handle argument as module name instead of alias or filename
    #[arg(short = 'm', long)]
    modname: bool,
    /// Print only provided FIELD
    #[arg(short = 'F', long, value_name = "FIELD")]
    field: Option<String>,
    /// Use VERSION instead of `uname -r`
    #[arg(short = 'k', long = "set-version", value_name = "VERSION")]
    set_version: Option<String>,
    /// Use DIR as filesystem root for /lib/modules
    #[arg(short = 'b', long, value_name = "DIR")]
    basedir: Option<PathBuf>,
    /// Show version
    #[arg(short = 'V', long)]
    version: bool,
    /// Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    sim: Option<OsString>,
    /// Print one JSON document (schema rkmod/1, see docs/json.md) instead of text; -F, -0 and the field options are ignored
    #[arg(long)]
    json: bool,
    /// Modules: file names, module names or aliases
    #[arg(value_name = "MODULE")]
    modules: Vec<OsString>,
}

/// The field the options select: the last of -a -d -l -p -n -F wins, as
/// with getopt.
fn selected_field(args: &Args, m: &ArgMatches) -> Option<String> {
    let fixed = [
        ("author", "author"),
        ("description", "description"),
        ("license", "license"),
        ("parameters", "parm"),
        ("filename", "filename"),
    ];
    let mut best: Option<(usize, String)> = None;
    let mut consider = |idx: Option<usize>, value: String| {
        if let Some(i) = idx {
            if best.as_ref().is_none_or(|(b, _)| i > *b) {
                best = Some((i, value));
            }
        }
    };
    for (id, field) in fixed {
        if m.get_flag(id) {
            consider(m.index_of(id), field.to_string());
        }
    }
    if let Some(f) = &args.field {
        consider(m.index_of("field"), f.clone());
    }
    best.map(|(_, f)| f)
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let mut matches = match super::parse(
        crate::Tool::Modinfo,
        Args::command().name(prog.to_string()),
        argv,
        &["json", "sim"],
    ) {
        Ok(m) => m,
        Err(code) => return code,
    };
    // The module list is taken out of clap's matches, not copied: with
    // thousands of paths, two copies at once were the run's peak memory.
    let modules: Vec<OsString> = match matches.try_remove_many::<OsString>("modules") {
        Ok(Some(values)) => values.collect(),
        _ => Vec::new(),
    };
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => Args { modules, ..a },
        Err(e) => return crate::tools::usage_exit(prog, e),
    };
    let mut out = Output::new(prog);
    if args.version {
        out.text(&crate::tools::version_text());
        out.finish();
        return 0;
    }
    if args.modules.is_empty() {
        out.error("missing module or filename.");
        return 1;
    }
    // In test mode a `.so` path is a module file too; the sim kernel is
    // asked for its tree only when a name has to be looked up.
    // A tree named on the command line (-b, -k) wins over $RKMOD_SIM
    // alone: the environment then does not make this test mode.
    let explicit_tree = args.basedir.is_some() || args.set_version.is_some();
    let sim_socket = match args.sim.as_deref() {
        None if explicit_tree => None,
        arg => crate::sim_mode::socket(arg),
    };
    let sim_files = sim_socket.is_some();
    let ctx = if explicit_tree {
        Context::new(args.basedir.as_deref(), args.set_version.as_deref())
    } else if sim_files && needs_lookup(&args) {
        let Ok(Some(sim)) = crate::sim_mode::open(&mut out, args.sim.as_deref(), &[]) else {
            return 1;
        };
        crate::sim_mode::context(&sim)
    } else {
        Context::new(None, None)
    };
    let ctx = match ctx {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("uname() failed: {e}"));
            return 1;
        }
    };
    let show = Show {
        ctx: &ctx,
        field: selected_field(&args, &matches),
        sep: if args.null { 0 } else { b'\n' },
        json: args.json,
    };
    // clap's copy of the arguments, freed for what comes next to reuse
    // (with thousands of paths it is a good part of the peak memory).
    drop(matches);
    let mut records = Vec::new();
    let mut failed = false;
    let mut print = |shown: Shown| {
        failed |= !shown.ok;
        shown.replay(&mut out, &mut records);
    };
    // One argument at a time, in order: names and aliases go through the
    // context's lookups and the messages they leave.
    let in_turn = |name: &OsString| {
        if args.modname {
            show.by_name(name)
        } else {
            show.by_alias(name)
        }
    };
    // A module file may be worked out ahead, on any thread.
    let file = |name: &OsString| {
        (!args.modname && is_module_filename(Path::new(name), sim_files))
            .then(|| show.by_path(Path::new(name)))
    };
    // (asked only here: finding the CPUs reads cgroup files)
    let helpers = match args.modules.len() >= PARALLEL_FROM && !args.modname {
        true => ahead::helpers(),
        false => 0,
    };
    if helpers > 0 {
        ahead::in_order(
            args.modules.len(),
            helpers,
            |i| file(&args.modules[i]),
            |i, shown| print(shown.unwrap_or_else(|| in_turn(&args.modules[i]))),
        );
    } else {
        for name in &args.modules {
            print(file(name).unwrap_or_else(|| in_turn(name)));
        }
    }
    if args.json {
        let doc = rkmod::json::Document::new("rmodinfo", records);
        out.text(&crate::tools::json_text(&doc));
    }
    out.finish();
    i32::from(failed)
}

/// A regular file whose name ends like a module file (or, in test mode,
/// like a sim module).
fn is_module_filename(path: &Path, sim: bool) -> bool {
    let name = path.as_os_str().as_bytes();
    pathfs::is_file(path)
        && (rkmod::has_module_extension(name)
            || (sim && depmod::scan::has_sim_module_extension(name)))
}

/// Whether some argument is a name or alias to look up, not a file.
fn needs_lookup(args: &Args) -> bool {
    args.modname
        || args
            .modules
            .iter()
            .any(|m| !is_module_filename(Path::new(m), true))
}

//! rdepmod's command line: kmod's options (and its deprecated ones), its
//! `-h` text, and the same options documented for the man page.

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, Command};

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

pub(super) fn command(prog: &str) -> Command {
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

/// Deprecated options used, in command-line order, as kmod warns of them.
pub(super) fn deprecated_warnings(m: &ArgMatches) -> Vec<String> {
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

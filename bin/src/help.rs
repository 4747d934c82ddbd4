//! `-h` as kmod prints it (program name as invoked, short form), then
//! rkmod's own options, taken from the clap definition, in kmod's layout.

use clap::Command;

/// kmod's usage text of `tool` for program name `prog`.
pub(crate) fn kmod_text(tool: crate::Tool, prog: &str) -> String {
    use crate::Tool;
    match tool {
        Tool::Insmod => format!(
            "Usage:\n\
             \t{prog} [options] filename [module options]\n\
             Options:\n\
             \t-f, --force       DANGEROUS: forces a module load, may cause\n\
             \t                  data corruption and crash your machine\n\
             \t-s, --syslog      print to syslog, not stderr\n\
             \t-v, --verbose     enables more messages\n\
             \t-V, --version     show version\n\
             \t-h, --help        show this help\n"
        ),
        Tool::Rmmod => format!(
            "Usage:\n\
             \t{prog} [options] [list of modulenames]\n\
             Options:\n\
             \t-f, --force       DANGEROUS: forces a module unload and may\n\
             \t                  crash your machine\n\
             \t-s, --syslog      print to syslog, not stderr\n\
             \t-v, --verbose     enables more messages\n\
             \t-V, --version     show version\n\
             \t-h, --help        show this help\n"
        ),
        Tool::Lsmod => format!(
            "Usage:\n\
             \t{prog} [options]\n\
             Options:\n\
             \t-s, --syslog      print to syslog, not stderr\n\
             \t-v, --verbose     enables more messages\n\
             \t-V, --version     show version\n\
             \t-h, --help        show this help\n"
        ),
        Tool::Modinfo => format!(
            "Usage:\n\
             \t{prog} [options] <modulename|filename> [args]\n\
             Options:\n\
             \t-a, --author                Print only 'author'\n\
             \t-d, --description           Print only 'description'\n\
             \t-l, --license               Print only 'license'\n\
             \t-p, --parameters            Print only 'parm'\n\
             \t-n, --filename              Print only 'filename'\n\
             \t-0, --null                  Use \\0 instead of \\n\n\
             \t-m, --modname               Handle argument as module name instead of alias or filename\n\
             \t-F, --field=FIELD           Print only provided FIELD\n\
             \t-k, --set-version=VERSION   Use VERSION instead of `uname -r`\n\
             \t-b, --basedir=DIR           Use DIR as filesystem root for /lib/modules\n\
             \t-V, --version               Show version\n\
             \t-h, --help                  Show this help\n"
        ),
        Tool::Modprobe => format!(
            "Usage:\n\
             \t{prog} [options] [-i] [-b] modulename\n\
             \t{prog} [options] -a [-i] [-b] modulename [modulename...]\n\
             \t{prog} [options] -r [-i] modulename\n\
             \t{prog} [options] -r -a [-i] modulename [modulename...]\n\
             \t{prog} [options] -c\n\
             \t{prog} [options] --dump-modversions filename\n\
             Management Options:\n\
             \t-a, --all                   Consider every non-argument to\n\
             \t                            be a module name to be inserted\n\
             \t                            or removed (-r)\n\
             \t-r, --remove                Remove modules instead of inserting\n\
             \t    --remove-dependencies   Deprecated: use --remove-holders\n\
             \t    --remove-holders        Also remove module holders (use together with -r)\n\
             \t-w, --wait=<MSEC>           When removing a module, wait up to MSEC for\n\
             \t                            module's refcount to become 0 so it can be\n\
             \t                            removed (use together with -r)\n\
             \t    --first-time            Fail if module already inserted or removed\n\
             \t-i, --ignore-install        Ignore install commands\n\
             \t-i, --ignore-remove         Ignore remove commands\n\
             \t-b, --use-blacklist         Apply blacklist to resolved alias.\n\
             \t-f, --force                 Force module insertion or removal.\n\
             \t                            implies --force-modversions and\n\
             \t                            --force-vermagic\n\
             \t    --force-modversion      Ignore module's version\n\
             \t    --force-vermagic        Ignore module's version magic\n\
             \n\
             Query Options:\n\
             \t-R, --resolve-alias         Only lookup and print alias and exit\n\
             \t-D, --show-depends          Only print module dependencies and exit\n\
             \t-c, --showconfig            Print out known configuration and exit\n\
             \t-c, --show-config           Same as --showconfig\n\
             \t    --show-modversions      Dump module symbol version and exit\n\
             \t    --dump-modversions      Same as --show-modversions\n\
             \t    --show-exports          Only print module exported symbol versions and exit\n\
             \n\
             General Options:\n\
             \t-n, --dry-run               Do not execute operations, just print out\n\
             \t-n, --show                  Same as --dry-run\n\
             \t-C, --config=FILE           Use FILE instead of default search paths\n\
             \t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n\
             \t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n\
             \t-s, --syslog                print to syslog, not stderr\n\
             \t-q, --quiet                 disable messages\n\
             \t-v, --verbose               enables more messages\n\
             \t-V, --version               show version\n\
             \t-h, --help                  show this help\n"
        ),
        Tool::Depmod => crate::tools::depmod::help_text(prog),
    }
}

/// rkmod's options of `cmd` (those named in `ids`, in that order), after a blank line, in
/// kmod's layout: `\t    --json[=X]   help`.
pub(crate) fn rkmod_options(cmd: &Command, ids: &[&str]) -> String {
    let mut lines = Vec::new();
    // in the order of `ids`
    for arg in ids
        .iter()
        .filter_map(|id| cmd.get_arguments().find(|a| a.get_id() == *id))
    {
        let Some(long) = arg.get_long() else { continue };
        let mut left = format!("--{long}");
        if arg.get_action().takes_values() {
            let name = arg
                .get_value_names()
                .and_then(|v| v.first().map(|s| s.to_string()))
                .unwrap_or_else(|| "VALUE".into());
            if arg.get_num_args().is_some_and(|r| r.min_values() == 0) {
                left.push_str(&format!("[={name}]"));
            } else {
                left.push_str(&format!("={name}"));
            }
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        lines.push(format!("\t    {left:<23} {help}\n"));
    }
    if lines.is_empty() {
        return String::new();
    }
    format!("\nrkmod options:\n{}", lines.concat())
}

/// The whole `-h` text.
pub(crate) fn text(tool: crate::Tool, prog: &str, cmd: &Command, rkmod_ids: &[&str]) -> String {
    kmod_text(tool, prog) + &rkmod_options(cmd, rkmod_ids)
}

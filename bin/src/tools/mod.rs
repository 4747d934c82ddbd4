//! One module per tool.

pub mod depmod;
pub mod insmod;
pub mod kmod;
pub mod lsmod;
pub mod modinfo;
pub mod modprobe;
pub mod relocate;
pub mod rmmod;
pub mod sim;

use std::ffi::OsString;

/// Report a clap outcome as getopt-based kmod tools do: help and version
/// exit 0, usage errors exit 1.
pub(crate) fn clap_exit(e: clap::Error) -> i32 {
    let _ = e.print();
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
        _ => 1,
    }
}

/// A clap outcome for a kmod tool: help and version as clap prints them
/// (exit 0); an error that getopt would not have seen (rkmod's own
/// options used together wrongly) as a kmod error line, `prog: ERROR:
/// reason` (exit 1), not clap's text.
pub(crate) fn usage_exit(prog: &str, e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return 0;
    }
    let text = e.render().to_string();
    let reason = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let reason = reason.strip_prefix("error: ").unwrap_or(&reason);
    eprintln!("{prog}: ERROR: {reason}");
    1
}

/// Parse a tool's arguments as kmod's tool would: getopt's usage errors
/// first (in its words, with `argv[0]` as typed), kmod's `-h` text plus
/// rkmod's options (`rkmod_ids`) for help, then clap. `Err` is the exit
/// status when the tool has nothing more to do.
pub(crate) fn parse(
    tool: crate::Tool,
    cmd: clap::Command,
    argv: Vec<OsString>,
    rkmod_ids: &[&str],
) -> Result<clap::ArgMatches, i32> {
    parse_checked(tool, cmd, argv, rkmod_ids, &|_, _| None)
}

/// [`parse`], with the option arguments kmod checks inside its getopt
/// loop checked in the same order ([`crate::getopt::Check`]).
pub(crate) fn parse_checked(
    tool: crate::Tool,
    cmd: clap::Command,
    argv: Vec<OsString>,
    rkmod_ids: &[&str],
    check: crate::getopt::Check,
) -> Result<clap::ArgMatches, i32> {
    let cmd = built(cmd);
    let opts = crate::getopt::table(&cmd);
    let scan = crate::getopt::scan_taking(&opts, &argv, &ACTING, rkmod_ids, check, &mut |_| false);
    drop(opts); // (it borrows the command)
    let scanned = scanned(scan.0)?;
    clap_parse(tool, cmd, argv, scanned, rkmod_ids)
}

/// A tool's arguments filled straight from the getopt scan, without
/// clap: on a plain call clap's parse and its defaults were a fifth of a
/// `modprobe` call, and building its command a tenth (issue 14).
pub(crate) trait DirectArgs: Default + clap::FromArgMatches {
    /// The option table of the tool's clap command as
    /// [`crate::getopt::table`] gives it (a test compares the two).
    const OPTS: &'static [crate::getopt::Opt<'static>];

    /// Take one finding of the scan. `false`: not one this path takes
    /// (an option with relations clap checks, a value clap refuses); the
    /// whole command line then goes to clap.
    fn take(&mut self, got: &crate::getopt::Got<'_>) -> bool;
}

/// [`parse_checked`] into the tool's arguments: filled by
/// [`DirectArgs::take`] when it takes every finding of a clean scan
/// (the clap command, `cmd`, is then never built), else by clap.
pub(crate) fn parse_direct<A: DirectArgs>(
    tool: crate::Tool,
    cmd: impl FnOnce() -> clap::Command,
    argv: Vec<OsString>,
    rkmod_ids: &[&str],
    check: crate::getopt::Check,
) -> Result<A, i32> {
    let mut direct = A::default();
    let mut take = |got: &crate::getopt::Got<'_>| direct.take(got);
    let (scan, taken) =
        crate::getopt::scan_taking(A::OPTS, &argv, &ACTING, rkmod_ids, check, &mut take);
    if taken && matches!(scan, crate::getopt::Scan::Clean(_)) {
        return Ok(direct);
    }
    let scanned = scanned(scan)?;
    let cmd = built(cmd());
    let prog = cmd.get_name().to_string();
    let mut m = clap_parse(tool, cmd, argv, scanned, rkmod_ids)?;
    A::from_arg_matches_mut(&mut m).map_err(|e| usage_exit(&prog, e))
}

/// The options kmod's tools act on at once when getopt returns them.
const ACTING: [&str; 2] = ["help", "version"];

/// A tool's clap command as the scan and the parse take it: built, each
/// option free to come again (getopt lets it; the last value wins).
fn built(cmd: clap::Command) -> clap::Command {
    let mut cmd = cmd.args_override_self(true);
    cmd.build();
    cmd
}

/// What clap is to parse after a scan: `Err` is the exit status of a
/// usage error, reported in getopt's words.
fn scanned(scan: crate::getopt::Scan) -> Result<(Vec<OsString>, bool), i32> {
    use crate::getopt::Scan;
    match scan {
        Scan::Error(msg) => {
            use std::io::Write;
            let _ = std::io::stderr().write_all(&msg);
            Err(1)
        }
        Scan::Acts(a) => Ok((a, true)),
        Scan::Clean(a) => Ok((a, false)),
    }
}

/// clap's parse of the scanned arguments (`acts`: with the help text, only
/// built when it may be shown: it is a fifth of a plain call's
/// allocations).
fn clap_parse(
    tool: crate::Tool,
    mut cmd: clap::Command,
    argv: Vec<OsString>,
    (scanned, acts): (Vec<OsString>, bool),
    rkmod_ids: &[&str],
) -> Result<clap::ArgMatches, i32> {
    let prog = cmd.get_name().to_string();
    if acts {
        let help = crate::help::text(tool, &prog, &cmd, rkmod_ids);
        cmd = cmd.override_help(help);
    }
    // The scan made its own copy: with thousands of arguments (modinfo of
    // a whole tree) keeping both while clap makes two more is the peak of
    // the run's memory.
    drop(argv);
    cmd.try_get_matches_from(scanned)
        .map_err(|e| usage_exit(&prog, e))
}

/// `-V` text: the version, then the features as kmod lists them.
pub(crate) fn version_text() -> String {
    format!(
        "rkmod version {}\n+ZSTD +XZ +ZLIB +LIBCRYPTO\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The kernel the tools act on: the running Linux kernel.
/// `RKMOD_USERSPACE_DECOMPRESS=1` never hands compressed files to the
/// kernel (the fallback path older kernels take; tests force it).
pub(crate) fn kernel() -> Box<dyn rkmod::Kernel> {
    let linux = rkmod::Linux::new();
    if std::env::var_os("RKMOD_USERSPACE_DECOMPRESS").is_some_and(|v| v == "1") {
        return Box::new(linux.decompress_in_userspace());
    }
    Box::new(linux)
}

/// The kernel a tool acts on: the sim kernel in test mode (`--sim`,
/// `$RKMOD_SIM`), else the running one. `None`: the sim kernel cannot be
/// reached (reported).
pub(crate) fn kernel_for(
    out: &mut crate::Output,
    sim: Option<&std::ffi::OsStr>,
    failing: &[String],
) -> Option<Box<dyn rkmod::Kernel>> {
    match crate::sim_mode::open(out, sim, failing) {
        Ok(Some(s)) => Some(Box::new(s)),
        Ok(None) => Some(kernel()),
        Err(()) => None,
    }
}

/// A `--json` document as printed: pretty, with a final newline.
pub(crate) fn json_text<T: serde::Serialize>(doc: &T) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

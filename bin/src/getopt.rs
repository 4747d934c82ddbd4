//! Usage errors as kmod's tools show them. kmod parses with glibc's
//! `getopt_long`; rkmod parses with clap. Before clap sees the arguments,
//! they are scanned here the way `getopt_long` scans them (options
//! anywhere, `--` ends them, clusters of short options, unambiguous
//! prefixes of long ones, `--opt=value`), with the option table taken from
//! the clap definition, so that a usage error is reported in getopt's
//! words, naming the program as it was invoked (`argv[0]`), and so that a
//! `-h` or `-V` before a bad option wins as it does in kmod.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use clap::Command;

/// Whether an option takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HasArg {
    No,
    Required,
    /// Only as `--opt=value` (or `-ovalue`).
    Optional,
}

/// One entry of an option table, as `struct option` and the short
/// option string give it to getopt_long. The names are borrowed: from the
/// clap definition (the table is built on every call), or from a fixed
/// table a tool keeps beside it (see [`table`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Opt<'a> {
    pub id: &'a str,
    pub shorts: Names<'a, char>,
    pub longs: Names<'a, &'a str>,
    pub has_arg: HasArg,
}

/// An option's short or long names: a fixed table's, or a built table's
/// own. (A `Cow` would make `Opt` invariant in its lifetime, and a fixed
/// table could not stand in for a borrowed one.)
#[derive(Debug, Clone)]
pub(crate) enum Names<'a, T> {
    Fixed(&'a [T]),
    Built(Vec<T>),
}

impl<T: PartialEq> PartialEq for Names<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for Names<'_, T> {}

impl<T> std::ops::Deref for Names<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Names::Fixed(s) => s,
            Names::Built(v) => v,
        }
    }
}

impl<'a> Opt<'a> {
    pub fn new(id: &'a str, short: char, long: &'a str, has_arg: HasArg) -> Opt<'a> {
        Opt {
            id,
            shorts: Names::Built(vec![short]),
            longs: Names::Built(vec![long]),
            has_arg,
        }
    }

    /// An entry of a fixed table.
    pub const fn fixed(
        id: &'a str,
        shorts: &'a [char],
        longs: &'a [&'a str],
        has_arg: HasArg,
    ) -> Opt<'a> {
        Opt {
            id,
            shorts: Names::Fixed(shorts),
            longs: Names::Fixed(longs),
            has_arg,
        }
    }
}

fn dedup<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    items.into_iter().fold(Vec::new(), |mut v, x| {
        if !v.contains(&x) {
            v.push(x);
        }
        v
    })
}

/// The option table of a clap command, built (clap adds `help` when it
/// builds). A tool whose plain calls skip clap keeps a fixed copy, which
/// its tests compare with this.
pub(crate) fn table(cmd: &Command) -> Vec<Opt<'_>> {
    cmd.get_arguments()
        .filter(|a| !a.is_positional())
        .map(|a| {
            let takes = a.get_action().takes_values();
            let optional = a.get_num_args().is_some_and(|r| r.min_values() == 0);
            Opt {
                id: a.get_id().as_str(),
                shorts: Names::Built(dedup(
                    a.get_short_and_visible_aliases()
                        .unwrap_or_default()
                        .into_iter()
                        .chain(a.get_all_short_aliases().unwrap_or_default()),
                )),
                longs: Names::Built(dedup(
                    a.get_long_and_visible_aliases()
                        .unwrap_or_default()
                        .into_iter()
                        .chain(a.get_all_aliases().unwrap_or_default()),
                )),
                has_arg: match (takes, optional) {
                    (false, _) => HasArg::No,
                    (true, true) => HasArg::Optional,
                    (true, false) => HasArg::Required,
                },
            }
        })
        .collect()
}

/// What getopt_long hands back, one at a time.
pub(crate) enum Got<'a> {
    /// An option and its argument.
    Opt(&'a Opt<'a>, Option<OsString>),
    /// An argument that is no option (getopt moves them behind).
    Operand(&'a OsString),
    /// `--` and what follows it.
    Rest(&'a [OsString]),
}

/// Whether to go on after an option.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Go,
    Stop,
}

/// getopt_long over `argv` (argv[0] first) with the option table `opts`,
/// each finding handed to `on` in order until it says stop. `own` are
/// the ids of options kmod's table does not have (rkmod's): an
/// abbreviation that kmod reads as one of its options stays that option.
/// With `stop_at_operand` (a `+` in kmod's option string) the first
/// operand ends the options. `Ok`: the index where the scan stopped;
/// `Err`: getopt's message, naming argv[0], with its newline.
pub(crate) fn getopt<'a>(
    argv: &'a [OsString],
    opts: &'a [Opt<'a>],
    own: &[&str],
    stop_at_operand: bool,
    on: &mut dyn FnMut(Got<'a>) -> Flow,
) -> Result<usize, Vec<u8>> {
    let prog = argv
        .first()
        .map(|a| a.as_bytes().to_vec())
        .unwrap_or_default();
    let err = |text: String| {
        let mut m = prog.clone();
        m.extend_from_slice(b": ");
        m.extend_from_slice(text.as_bytes());
        m.push(b'\n');
        m
    };
    let mut i = 1;
    while i < argv.len() {
        let arg = argv[i].as_bytes();
        if arg == b"--" {
            on(Got::Rest(&argv[i..]));
            return Ok(i + 1);
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            let (name, value) = match body.iter().position(|&b| b == b'=') {
                Some(at) => (&body[..at], Some(&body[at + 1..])),
                None => (body, None),
            };
            let name = String::from_utf8_lossy(name);
            let exact = opts
                .iter()
                .find_map(|o| o.longs.iter().find(|l| **l == name).map(|l| (o, l)));
            let (opt, full) = match exact {
                Some(found) => found,
                None => {
                    let mut cands: Vec<(&Opt, &&str)> = opts
                        .iter()
                        .flat_map(|o| o.longs.iter().map(move |l| (o, l)))
                        .filter(|(_, l)| l.starts_with(&*name))
                        .collect();
                    // kmod's own options first: rkmod's are not in its table.
                    if cands.iter().any(|(o, _)| !own.contains(&o.id)) {
                        cands.retain(|(o, _)| !own.contains(&o.id));
                    }
                    let shown = String::from_utf8_lossy(arg);
                    match cands.first() {
                        None => return Err(err(format!("unrecognized option '{shown}'"))),
                        // names of one option are no ambiguity
                        Some(&(o, l)) if cands.iter().all(|(c, _)| c.id == o.id) => (o, l),
                        Some(_) => {
                            let mut m = format!("option '{shown}' is ambiguous; possibilities:");
                            for (_, l) in &cands {
                                m.push_str(&format!(" '--{l}'"));
                            }
                            return Err(err(m));
                        }
                    }
                }
            };
            let value = match (opt.has_arg, value) {
                (HasArg::No, Some(_)) => {
                    return Err(err(format!("option '--{full}' doesn't allow an argument")))
                }
                (HasArg::Required, None) => {
                    if i + 1 >= argv.len() {
                        return Err(err(format!("option '--{full}' requires an argument")));
                    }
                    i += 1;
                    Some(argv[i].clone())
                }
                (_, v) => v.map(|v| OsString::from_vec(v.to_vec())),
            };
            if on(Got::Opt(opt, value)) == Flow::Stop {
                return Ok(i + 1);
            }
        } else if arg.len() > 1 && arg[0] == b'-' {
            let text = String::from_utf8_lossy(&arg[1..]).into_owned();
            let chars: Vec<char> = text.chars().collect();
            for (k, &c) in chars.iter().enumerate() {
                let Some(opt) = opts.iter().find(|o| o.shorts.contains(&c)) else {
                    return Err(err(format!("invalid option -- '{c}'")));
                };
                let attached: String = chars[k + 1..].iter().collect();
                let value = match opt.has_arg {
                    HasArg::No => None,
                    HasArg::Optional => (!attached.is_empty()).then(|| attached.into()),
                    HasArg::Required if !attached.is_empty() => Some(attached.into()),
                    HasArg::Required => {
                        if i + 1 >= argv.len() {
                            return Err(err(format!("option requires an argument -- '{c}'")));
                        }
                        i += 1;
                        Some(argv[i].clone())
                    }
                };
                let last = opt.has_arg != HasArg::No;
                if on(Got::Opt(opt, value)) == Flow::Stop {
                    return Ok(i + 1);
                }
                if last {
                    break;
                }
            }
        } else if stop_at_operand {
            return Ok(i);
        } else {
            on(Got::Operand(&argv[i]));
        }
        i += 1;
    }
    Ok(i)
}

/// What the scan found first.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// No usage error: the arguments in the form clap is to parse.
    Clean(Vec<OsString>),
    /// An option among `acting` (help, version: kmod acts on them at
    /// once) before any error: the arguments up to it, in clap's form.
    Acts(Vec<OsString>),
    /// getopt's message (with its newline): the tool exits with 1.
    Error(Vec<u8>),
}

/// Scan `argv` (argv[0] first) as `getopt_long` would with the options of
/// `cmd`. `acting` are the ids of options kmod acts on when it meets them;
/// `own` the ids of rkmod's own options (see [`getopt`]).
///
/// The arguments come back in a form clap reads as getopt did: each
/// option by itself, by its long name, its argument joined to it
/// (`--outdir=-m`: getopt takes the next argument whatever it looks like).
#[cfg(test)]
fn scan(cmd: &Command, argv: &[OsString], acting: &[&str], own: &[&str]) -> Scan {
    scan_checked(cmd, argv, acting, own, &|_, _| None)
}

/// A check of an option's argument made when getopt returns the option,
/// before the options after it are looked at: the tool's whole error
/// message (with its newline) when the value is refused.
pub(crate) type Check<'a> = &'a dyn Fn(&str, &[u8]) -> Option<Vec<u8>>;

/// The getopt scan, with `check` run on each option's argument in order,
/// as kmod checks some (`-w`, `-P`) inside its getopt loop.
pub(crate) fn scan_checked(
    cmd: &Command,
    argv: &[OsString],
    acting: &[&str],
    own: &[&str],
    check: Check,
) -> Scan {
    scan_taking(&table(cmd), argv, acting, own, check, &mut |_| false).0
}

/// [`scan_checked`] with the option table `opts`, each finding also shown
/// to `take` as it is made (after `check`). The flag: `take` accepted
/// every one.
pub(crate) fn scan_taking<'a>(
    opts: &'a [Opt<'a>],
    argv: &'a [OsString],
    acting: &[&str],
    own: &[&str],
    check: Check,
    take: &mut dyn FnMut(&Got<'_>) -> bool,
) -> (Scan, bool) {
    let mut out: Vec<OsString> = argv.iter().take(1).cloned().collect();
    let mut refused: Option<Vec<u8>> = None;
    let mut acts = false;
    let mut taken = true;
    let scanned = getopt(argv, opts, own, false, &mut |got| {
        if let Got::Opt(opt, Some(v)) = &got {
            if let Some(m) = check(opt.id, v.as_bytes()) {
                refused = Some(m);
                return Flow::Stop;
            }
        }
        taken = taken && take(&got);
        match got {
            Got::Opt(opt, value) => {
                let name = match (opt.longs.first(), opt.shorts.first()) {
                    (Some(l), _) => format!("--{l}"),
                    (None, Some(c)) => format!("-{c}"),
                    (None, None) => return Flow::Go,
                };
                match value {
                    Some(v) => {
                        if opt.longs.is_empty() {
                            out.push(name.into());
                            out.push(v);
                        } else {
                            let mut t = format!("{name}=").into_bytes();
                            t.extend_from_slice(v.as_bytes());
                            out.push(OsString::from_vec(t));
                        }
                    }
                    None => out.push(name.into()),
                }
                if acting.contains(&opt.id) {
                    acts = true;
                    return Flow::Stop;
                }
            }
            Got::Operand(a) => out.push(a.clone()),
            Got::Rest(rest) => out.extend_from_slice(rest),
        }
        Flow::Go
    });
    let scan = match (scanned, refused) {
        (Err(m), _) | (_, Some(m)) => Scan::Error(m),
        _ if acts => Scan::Acts(out),
        _ => Scan::Clean(out),
    };
    (scan, taken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn cmd() -> Command {
        Command::new("t")
            .disable_help_flag(true)
            .arg(
                Arg::new("verbose")
                    .short('v')
                    .long("verbose")
                    .action(ArgAction::Count),
            )
            .arg(
                Arg::new("help")
                    .short('h')
                    .long("help")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("syslog")
                    .short('s')
                    .long("syslog")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("set_version")
                    .short('S')
                    .long("set-version")
                    .action(ArgAction::Set),
            )
            .arg(
                Arg::new("show")
                    .long("show-depends")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("showconfig")
                    .long("showconfig")
                    .visible_alias("show-config")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("sim")
                    .long("sim")
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value(""),
            )
            .arg(Arg::new("rest").num_args(0..))
    }

    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("/sbin/t")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn run(args: &[&str]) -> Scan {
        scan(&cmd(), &argv(args), &["help"], &["sim"])
    }

    fn msg(s: &str) -> Scan {
        Scan::Error(format!("/sbin/t: {s}\n").into_bytes())
    }

    fn clean(args: &[&str]) -> Scan {
        Scan::Clean(argv(args))
    }

    #[test]
    fn getopt_words() {
        assert_eq!(run(&["--bogus"]), msg("unrecognized option '--bogus'"));
        assert_eq!(
            run(&["x", "--bogus=1"]),
            msg("unrecognized option '--bogus=1'")
        );
        assert_eq!(run(&["-vY"]), msg("invalid option -- 'Y'"));
        assert_eq!(
            run(&["--verbose=1"]),
            msg("option '--verbose' doesn't allow an argument")
        );
        assert_eq!(
            run(&["--verb=1"]),
            msg("option '--verbose' doesn't allow an argument")
        );
        assert_eq!(run(&["-S"]), msg("option requires an argument -- 'S'"));
        assert_eq!(
            run(&["--set-version"]),
            msg("option '--set-version' requires an argument")
        );
        assert_eq!(
            run(&["--show"]),
            msg("option '--show' is ambiguous; possibilities: '--show-depends' '--showconfig' '--show-config'")
        );
    }

    #[test]
    fn accepted_forms_in_claps_words() {
        assert_eq!(
            run(&["-S", "--bogus", "x"]),
            clean(&["--set-version=--bogus", "x"])
        );
        assert_eq!(
            run(&["-vS1", "--set-v", "2", "--show-d", "--sim", "--sim=/s"]),
            clean(&[
                "--verbose",
                "--set-version=1",
                "--set-version=2",
                "--show-depends",
                "--sim",
                "--sim=/s"
            ])
        );
        assert_eq!(run(&["-S", "-v"]), clean(&["--set-version=-v"]));
        assert_eq!(run(&["--", "--bogus"]), clean(&["--", "--bogus"]));
        assert_eq!(run(&["-", "mod", "a=1"]), clean(&["-", "mod", "a=1"]));
        assert_eq!(run(&["--show-c"]), clean(&["--showconfig"]));
        assert_eq!(run(&["-vv", "x"]), clean(&["--verbose", "--verbose", "x"]));
    }

    #[test]
    fn kmods_options_win_abbreviations_over_rkmods() {
        // kmod's insmod has --syslog only among --s…: --s is --syslog there
        let small = Command::new("t")
            .arg(
                Arg::new("syslog")
                    .short('s')
                    .long("syslog")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("sim")
                    .long("sim")
                    .num_args(0..=1)
                    .require_equals(true),
            );
        assert_eq!(
            scan(&small, &argv(&["--s"]), &[], &["sim"]),
            clean(&["--syslog"])
        );
        assert_eq!(
            scan(&small, &argv(&["--si"]), &[], &["sim"]),
            clean(&["--sim"])
        );
        // an ambiguity among kmod's options names kmod's only
        assert_eq!(
            run(&["--s"]),
            msg("option '--s' is ambiguous; possibilities: '--syslog' '--set-version' '--show-depends' '--showconfig' '--show-config'")
        );
    }

    #[test]
    fn help_before_an_error_wins() {
        assert_eq!(
            run(&["-vh", "--bogus"]),
            Scan::Acts(argv(&["--verbose", "--help"]))
        );
        assert_eq!(
            run(&["-S", "1", "--he", "--bogus"]),
            Scan::Acts(argv(&["--set-version=1", "--help"]))
        );
        assert_eq!(
            run(&["--bogus", "-h"]),
            msg("unrecognized option '--bogus'")
        );
    }
}

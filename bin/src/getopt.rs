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
enum HasArg {
    No,
    Required,
    /// Only as `--opt=value` (or `-ovalue`).
    Optional,
}

#[derive(Debug, Clone)]
struct Opt {
    id: String,
    shorts: Vec<char>,
    longs: Vec<String>,
    has_arg: HasArg,
}

fn table(cmd: &Command) -> Vec<Opt> {
    cmd.get_arguments()
        .filter(|a| !a.is_positional())
        .map(|a| {
            let takes = a.get_action().takes_values();
            let optional = a.get_num_args().is_some_and(|r| r.min_values() == 0);
            Opt {
                id: a.get_id().to_string(),
                shorts: a
                    .get_short_and_visible_aliases()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(a.get_all_short_aliases().unwrap_or_default())
                    .fold(Vec::new(), |mut v, c| {
                        if !v.contains(&c) {
                            v.push(c);
                        }
                        v
                    }),
                longs: a
                    .get_long_and_visible_aliases()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(a.get_all_aliases().unwrap_or_default())
                    .map(str::to_string)
                    .fold(Vec::new(), |mut v, l| {
                        if !v.contains(&l) {
                            v.push(l);
                        }
                        v
                    }),
                has_arg: match (takes, optional) {
                    (false, _) => HasArg::No,
                    (true, true) => HasArg::Optional,
                    (true, false) => HasArg::Required,
                },
            }
        })
        .collect()
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
/// `own` the ids of rkmod's own options, which kmod's table does not have:
/// an abbreviation kmod reads as one of its options stays that option.
///
/// The arguments come back in a form clap reads as getopt did: a long
/// option by its full name, and an option's argument joined to it
/// (`--outdir=-m`: getopt takes the next argument whatever it looks like).
#[cfg(test)]
fn scan(cmd: &Command, argv: &[OsString], acting: &[&str], own: &[&str]) -> Scan {
    scan_checked(cmd, argv, acting, own, &|_, _| None)
}

/// A check of an option's argument made when getopt returns the option,
/// before the options after it are looked at: the tool's whole error
/// message (with its newline) when the value is refused.
pub(crate) type Check<'a> = &'a dyn Fn(&str, &[u8]) -> Option<Vec<u8>>;

/// The getopt scan, with `check` run on each option's argument in order, as kmod
/// checks some (`-w`, `-P`) inside its getopt loop.
pub(crate) fn scan_checked(
    cmd: &Command,
    argv: &[OsString],
    acting: &[&str],
    own: &[&str],
    check: Check,
) -> Scan {
    let opts = table(cmd);
    let prog = argv
        .first()
        .map(|a| a.as_bytes().to_vec())
        .unwrap_or_default();
    let err = |text: String| {
        let mut m = prog.clone();
        m.extend_from_slice(b": ");
        m.extend_from_slice(text.as_bytes());
        m.push(b'\n');
        Scan::Error(m)
    };
    let joined = |long: &str, value: &[u8]| {
        let mut t = format!("--{long}=").into_bytes();
        t.extend_from_slice(value);
        OsString::from_vec(t)
    };
    let mut out: Vec<OsString> = argv.iter().take(1).cloned().collect();
    let mut i = 1;
    while i < argv.len() {
        let arg = argv[i].as_bytes();
        if arg == b"--" {
            out.extend_from_slice(&argv[i..]);
            break;
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            let (name, value) = match body.iter().position(|&b| b == b'=') {
                Some(at) => (&body[..at], Some(&body[at + 1..])),
                None => (body, None),
            };
            let name = String::from_utf8_lossy(name).into_owned();
            let exact = opts.iter().find(|o| o.longs.contains(&name));
            let found = if let Some(o) = exact {
                (o, name.clone())
            } else {
                let mut cands: Vec<(&Opt, &String)> = Vec::new();
                for o in &opts {
                    for l in &o.longs {
                        if l.starts_with(&name) {
                            cands.push((o, l));
                        }
                    }
                }
                // kmod's own options first: rkmod's are not in its table.
                if cands.iter().any(|(o, _)| !own.contains(&o.id.as_str())) {
                    cands.retain(|(o, _)| !own.contains(&o.id.as_str()));
                }
                // Candidates that all mean the same option are no ambiguity.
                let first = cands.first().map(|(o, _)| o.id.clone());
                match cands.first() {
                    None => {
                        return err(format!(
                            "unrecognized option '{}'",
                            String::from_utf8_lossy(arg)
                        ))
                    }
                    Some(_) if cands.iter().all(|(o, _)| Some(&o.id) == first.as_ref()) => {
                        (cands[0].0, cands[0].1.clone())
                    }
                    Some(_) => {
                        let mut m = format!(
                            "option '{}' is ambiguous; possibilities:",
                            String::from_utf8_lossy(arg)
                        );
                        for (_, l) in &cands {
                            m.push_str(&format!(" '--{l}'"));
                        }
                        return err(m);
                    }
                }
            };
            let (opt, full) = found;
            match (opt.has_arg, value) {
                (HasArg::No, Some(_)) => {
                    return err(format!("option '--{full}' doesn't allow an argument"))
                }
                (HasArg::Required, None) => {
                    if i + 1 >= argv.len() {
                        return err(format!("option '--{full}' requires an argument"));
                    }
                    i += 1;
                    if let Some(m) = check(&opt.id, argv[i].as_bytes()) {
                        return Scan::Error(m);
                    }
                    out.push(joined(&full, argv[i].as_bytes()));
                }
                (_, Some(v)) => {
                    if let Some(m) = check(&opt.id, v) {
                        return Scan::Error(m);
                    }
                    out.push(joined(&full, v))
                }
                (_, None) => out.push(OsString::from(format!("--{full}"))),
            }
            if acting.contains(&opt.id.as_str()) {
                return Scan::Acts(out);
            }
        } else if arg.len() > 1 && arg[0] == b'-' {
            let text = String::from_utf8_lossy(&arg[1..]).into_owned();
            let chars: Vec<char> = text.chars().collect();
            let mut k = 0;
            let mut token = arg.to_vec();
            while k < chars.len() {
                let c = chars[k];
                let Some(opt) = opts.iter().find(|o| o.shorts.contains(&c)) else {
                    return err(format!("invalid option -- '{c}'"));
                };
                if acting.contains(&opt.id.as_str()) {
                    out.push(OsString::from_vec(token));
                    return Scan::Acts(out);
                }
                match opt.has_arg {
                    HasArg::No => k += 1,
                    HasArg::Optional => break,
                    HasArg::Required => {
                        let attached: String = chars[k + 1..].iter().collect();
                        let value = if !attached.is_empty() {
                            attached.into_bytes()
                        } else if i + 1 < argv.len() {
                            i += 1;
                            argv[i].as_bytes().to_vec()
                        } else {
                            return err(format!("option requires an argument -- '{c}'"));
                        };
                        if let Some(m) = check(&opt.id, &value) {
                            return Scan::Error(m);
                        }
                        let before: String = chars[..k].iter().collect();
                        match opt.longs.first() {
                            Some(long) => {
                                if !before.is_empty() {
                                    out.push(OsString::from(format!("-{before}")));
                                }
                                token = joined(long, &value).into_vec();
                            }
                            None => {
                                out.push(OsString::from(format!("-{before}{c}")));
                                token = value;
                            }
                        }
                        break;
                    }
                }
            }
            out.push(OsString::from_vec(token));
        } else {
            out.push(argv[i].clone());
        }
        i += 1;
    }
    Scan::Clean(out)
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
                "-v",
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
        assert_eq!(run(&["--show-c"]), clean(&["--show-config"]));
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
        assert_eq!(run(&["-vh", "--bogus"]), Scan::Acts(argv(&["-vh"])));
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

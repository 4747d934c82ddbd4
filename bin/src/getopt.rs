//! Usage errors as kmod's tools show them. kmod parses with glibc's
//! `getopt_long`; rkmod parses with clap. Before clap sees the arguments,
//! they are scanned here the way `getopt_long` scans them (options
//! anywhere, `--` ends them, clusters of short options, unambiguous
//! prefixes of long ones, `--opt=value`), with the option table taken from
//! the clap definition, so that a usage error is reported in getopt's
//! words, naming the program as it was invoked (`argv[0]`), and so that a
//! `-h` or `-V` before a bad option wins as it does in kmod.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

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
    /// No usage error.
    Clean,
    /// An option among `acting` (help, version: kmod acts on them at
    /// once) at this index of argv, before any error: parse only up to it.
    ActsAt(usize),
    /// getopt's message (with its newline): the tool exits with 1.
    Error(Vec<u8>),
}

/// Scan `argv` (argv[0] first) as `getopt_long` would with the options of
/// `cmd`. `acting` are the ids of options kmod acts on when it meets them.
pub(crate) fn scan(cmd: &Command, argv: &[OsString], acting: &[&str]) -> Scan {
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
    let mut i = 1;
    while i < argv.len() {
        let arg = argv[i].as_bytes();
        if arg == b"--" {
            break;
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            let (name, value) = match body.iter().position(|&b| b == b'=') {
                Some(at) => (&body[..at], Some(&body[at + 1..])),
                None => (body, None),
            };
            let name = String::from_utf8_lossy(name).into_owned();
            let exact: Vec<&Opt> = opts.iter().filter(|o| o.longs.contains(&name)).collect();
            let found = if let Some(o) = exact.first() {
                (*o, name.clone())
            } else {
                let mut cands: Vec<(&Opt, &String)> = Vec::new();
                for o in &opts {
                    for l in &o.longs {
                        if l.starts_with(&name) {
                            cands.push((o, l));
                        }
                    }
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
                }
                _ => {}
            }
            if acting.contains(&opt.id.as_str()) {
                return Scan::ActsAt(i);
            }
        } else if arg.len() > 1 && arg[0] == b'-' {
            let text = String::from_utf8_lossy(&arg[1..]).into_owned();
            let chars: Vec<char> = text.chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                let Some(opt) = opts.iter().find(|o| o.shorts.contains(&c)) else {
                    return err(format!("invalid option -- '{c}'"));
                };
                if acting.contains(&opt.id.as_str()) {
                    return Scan::ActsAt(i);
                }
                match opt.has_arg {
                    HasArg::No => k += 1,
                    HasArg::Optional => break,
                    HasArg::Required => {
                        if k + 1 == chars.len() {
                            if i + 1 >= argv.len() {
                                return err(format!("option requires an argument -- '{c}'"));
                            }
                            i += 1;
                        }
                        break;
                    }
                }
            }
        }
        i += 1;
    }
    Scan::Clean
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

    fn run(args: &[&str]) -> Scan {
        let argv: Vec<OsString> = std::iter::once("/sbin/t")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        scan(&cmd(), &argv, &["help"])
    }

    fn msg(s: &str) -> Scan {
        Scan::Error(format!("/sbin/t: {s}\n").into_bytes())
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
    fn accepted_forms() {
        assert_eq!(run(&["-S", "--bogus", "x"]), Scan::Clean);
        assert_eq!(
            run(&["-vS1", "--set-v", "2", "--show-d", "--sim", "--sim=/s"]),
            Scan::Clean
        );
        assert_eq!(run(&["--", "--bogus"]), Scan::Clean);
        assert_eq!(run(&["-", "mod", "a=1"]), Scan::Clean);
        assert_eq!(run(&["--show-c"]), Scan::Clean);
    }

    #[test]
    fn help_before_an_error_wins() {
        assert_eq!(run(&["-vh", "--bogus"]), Scan::ActsAt(1));
        assert_eq!(
            run(&["--bogus", "-h"]),
            msg("unrecognized option '--bogus'")
        );
    }
}

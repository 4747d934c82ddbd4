//! modprobe's options: the clap definition (help, man page,
//! completions, clap's checks) and the direct fill from the getopt scan
//! that a plain call takes instead of clap's parse.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser};

use crate::getopt::{Got, HasArg::*, Opt};

#[derive(Parser, Debug, Default, PartialEq)]
#[command(
    about = "Add and remove modules from the Linux kernel",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Args {
    /// Consider every non-argument to be a module name to be inserted or removed (-r)
    #[arg(short = 'a', long)]
    pub(super) all: bool,
    /// Remove modules instead of inserting
    #[arg(short = 'r', long)]
    pub(super) remove: bool,
    /// Also remove module holders (use together with -r)
    #[arg(long, visible_alias = "remove-dependencies")]
    pub(super) remove_holders: bool,
    /// When removing a module, wait up to MSEC for its refcount to become 0
    #[arg(short = 'w', long, value_name = "MSEC", allow_hyphen_values = true)]
    pub(super) wait: Option<String>,
    /// Only lookup and print alias and exit
    #[arg(short = 'R', long)]
    pub(super) resolve_alias: bool,
    /// Fail if module already inserted or removed
    #[arg(long)]
    pub(super) first_time: bool,
    /// Ignore install and remove commands
    #[arg(short = 'i', long, visible_alias = "ignore-remove")]
    pub(super) ignore_install: bool,
    /// Apply blacklist to resolved alias
    #[arg(short = 'b', long)]
    pub(super) use_blacklist: bool,
    /// Force module insertion or removal
    #[arg(short = 'f', long)]
    pub(super) force: bool,
    /// Ignore module's version
    #[arg(long)]
    pub(super) force_modversion: bool,
    /// Ignore module's version magic
    #[arg(long)]
    pub(super) force_vermagic: bool,
    /// Only print module dependencies and exit
    #[arg(short = 'D', long)]
    pub(super) show_depends: bool,
    /// With -D: print the load plans as one JSON document (schema rkmod/1, see docs/json.md)
    #[arg(long, requires = "show_depends", conflicts_with = "graph")]
    pub(super) json: bool,
    /// With -D: print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT
    #[arg(long, requires = "show_depends")]
    pub(super) graph: bool,
    /// Print out known configuration and exit
    #[arg(short = 'c', long, visible_alias = "show-config")]
    pub(super) showconfig: bool,
    /// Dump module symbol version and exit
    #[arg(long, visible_alias = "dump-modversions")]
    pub(super) show_modversions: bool,
    /// Only print module exported symbol versions and exit
    #[arg(long)]
    pub(super) show_exports: bool,
    /// Do not execute operations, just print out
    #[arg(short = 'n', long, visible_alias = "show")]
    pub(super) dry_run: bool,
    /// Use FILE instead of default search paths
    #[arg(short = 'C', long, value_name = "FILE", action = ArgAction::Append, allow_hyphen_values = true)]
    pub(super) config: Vec<PathBuf>,
    /// Use DIR as filesystem root for /lib/modules
    #[arg(short = 'd', long, value_name = "DIR", allow_hyphen_values = true)]
    pub(super) dirname: Option<PathBuf>,
    /// Use VERSION instead of `uname -r`
    #[arg(short = 'S', long, value_name = "VERSION", allow_hyphen_values = true)]
    pub(super) set_version: Option<String>,
    /// print to syslog, not stderr
    #[arg(short = 's', long)]
    pub(super) syslog: bool,
    /// disable messages
    #[arg(short = 'q', long)]
    pub(super) quiet: bool,
    /// enables more messages
    #[arg(short = 'v', long, action = ArgAction::Count)]
    pub(super) verbose: u8,
    /// show version
    #[arg(short = 'V', long)]
    pub(super) version: bool,
    /// Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub(super) sim: Option<OsString>,
    /// Module name or alias, then parameters (name=value)
    #[arg(value_name = "MODULE", allow_hyphen_values = false)]
    pub(super) args: Vec<String>,
}

/// rkmod's own options, which kmod's option table does not have (an
/// abbreviation kmod reads as one of its options stays that option).
pub(super) const OWN: [&str; 3] = ["json", "graph", "sim"];

impl crate::tools::DirectArgs for Args {
    const OPTS: &'static [Opt<'static>] = &[
        Opt::fixed("all", &['a'], &["all"], No),
        Opt::fixed("remove", &['r'], &["remove"], No),
        Opt::fixed(
            "remove_holders",
            &[],
            &["remove-holders", "remove-dependencies"],
            No,
        ),
        Opt::fixed("wait", &['w'], &["wait"], Required),
        Opt::fixed("resolve_alias", &['R'], &["resolve-alias"], No),
        Opt::fixed("first_time", &[], &["first-time"], No),
        Opt::fixed(
            "ignore_install",
            &['i'],
            &["ignore-install", "ignore-remove"],
            No,
        ),
        Opt::fixed("use_blacklist", &['b'], &["use-blacklist"], No),
        Opt::fixed("force", &['f'], &["force"], No),
        Opt::fixed("force_modversion", &[], &["force-modversion"], No),
        Opt::fixed("force_vermagic", &[], &["force-vermagic"], No),
        Opt::fixed("show_depends", &['D'], &["show-depends"], No),
        Opt::fixed("json", &[], &["json"], No),
        Opt::fixed("graph", &[], &["graph"], No),
        Opt::fixed("showconfig", &['c'], &["showconfig", "show-config"], No),
        Opt::fixed(
            "show_modversions",
            &[],
            &["show-modversions", "dump-modversions"],
            No,
        ),
        Opt::fixed("show_exports", &[], &["show-exports"], No),
        Opt::fixed("dry_run", &['n'], &["dry-run", "show"], No),
        Opt::fixed("config", &['C'], &["config"], Required),
        Opt::fixed("dirname", &['d'], &["dirname"], Required),
        Opt::fixed("set_version", &['S'], &["set-version"], Required),
        Opt::fixed("syslog", &['s'], &["syslog"], No),
        Opt::fixed("quiet", &['q'], &["quiet"], No),
        Opt::fixed("verbose", &['v'], &["verbose"], No),
        Opt::fixed("version", &['V'], &["version"], No),
        Opt::fixed("sim", &[], &["sim"], Optional),
        Opt::fixed("help", &['h'], &["help"], No),
    ];

    fn take(&mut self, got: &Got<'_>) -> bool {
        let utf8 = |v: &OsString| v.to_str().map(str::to_string);
        let (id, value) = match got {
            Got::Opt(opt, value) => (opt.id, value.as_ref()),
            Got::Operand(a) => return utf8(a).map(|a| self.args.push(a)).is_some(),
            // `--` itself, then operands
            Got::Rest(rest) => {
                return rest[1..]
                    .iter()
                    .all(|a| utf8(a).map(|a| self.args.push(a)).is_some())
            }
        };
        let flag = match (id, value) {
            // clap refuses an empty path, and a string that is not UTF-8:
            // its words for them
            (_, Some(v)) if v.is_empty() => return false,
            (_, Some(v)) => {
                match id {
                    "config" => self.config.push(PathBuf::from(v)),
                    "dirname" => self.dirname = Some(PathBuf::from(v)),
                    "wait" | "set_version" => {
                        let Some(text) = utf8(v) else {
                            return false;
                        };
                        match id {
                            "wait" => self.wait = Some(text),
                            _ => self.set_version = Some(text),
                        }
                    }
                    _ => return false,
                }
                return true;
            }
            ("all", None) => &mut self.all,
            ("remove", None) => &mut self.remove,
            ("remove_holders", None) => &mut self.remove_holders,
            ("resolve_alias", None) => &mut self.resolve_alias,
            ("first_time", None) => &mut self.first_time,
            ("ignore_install", None) => &mut self.ignore_install,
            ("use_blacklist", None) => &mut self.use_blacklist,
            ("force", None) => &mut self.force,
            ("force_modversion", None) => &mut self.force_modversion,
            ("force_vermagic", None) => &mut self.force_vermagic,
            ("show_depends", None) => &mut self.show_depends,
            ("showconfig", None) => &mut self.showconfig,
            ("show_modversions", None) => &mut self.show_modversions,
            ("show_exports", None) => &mut self.show_exports,
            ("dry_run", None) => &mut self.dry_run,
            ("syslog", None) => &mut self.syslog,
            ("quiet", None) => &mut self.quiet,
            ("verbose", None) => {
                self.verbose = self.verbose.saturating_add(1);
                return true;
            }
            // --json and --graph (clap checks their relations), --sim (its
            // optional value), -V and -h: clap
            _ => return false,
        };
        *flag = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    /// The direct parse and clap's parse of `words`; `None` for the direct
    /// one when it hands the line to clap.
    fn both(words: &[&str]) -> (Option<Args>, Result<Args, i32>) {
        use crate::tools::DirectArgs;
        let argv: Vec<OsString> = std::iter::once("modprobe")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        let mut direct = Args::default();
        let mut take = |got: &Got<'_>| direct.take(got);
        let acting = ["help", "version"];
        let (scan, taken) =
            crate::getopt::scan_taking(Args::OPTS, &argv, &acting, &OWN, &|_, _| None, &mut take);
        let direct = (taken && matches!(scan, crate::getopt::Scan::Clean(_))).then_some(direct);
        let cmd = Args::command().name("modprobe");
        let clap =
            crate::tools::parse_checked(crate::Tool::Modprobe, cmd, argv, &OWN, &|_, _| None)
                .and_then(|mut m| Args::from_arg_matches_mut(&mut m).map_err(|_| 1));
        (direct, clap)
    }

    /// The fixed option table is the clap definition's.
    #[test]
    fn fixed_table_is_claps() {
        use crate::tools::DirectArgs;
        let mut cmd = Args::command().args_override_self(true);
        cmd.build();
        assert_eq!(Args::OPTS, &crate::getopt::table(&cmd)[..]);
    }

    /// Random command lines of modprobe's options, operands and `--`: where
    /// the direct parse takes one, clap reads it the same.
    #[test]
    fn direct_parse_is_clap_parse() {
        let pool = [
            "-a",
            "-r",
            "--remove-holders",
            "--remove-dependencies",
            "-w",
            "100",
            "--wait=5",
            "-R",
            "--first-time",
            "-i",
            "--ignore-remove",
            "-b",
            "-f",
            "--force-modversion",
            "--force-vermagic",
            "-D",
            "--show-depends",
            "-c",
            "--show-config",
            "--show-modversions",
            "--show-exports",
            "-n",
            "--show",
            "-C",
            "/etc/x",
            "--config=/y",
            "-d",
            "/tmp/t",
            "--dirname=/z",
            "-S",
            "6.1",
            "--set-version=6.2",
            "-s",
            "-q",
            "-v",
            "-vv",
            "--verbose",
            "ext4",
            "foo=bar",
            "--",
            "-x",
            "-",
            "--sh",
            "--rem",
            "-aD",
            "-Sx",
            "-qv",
            "--json",
            "--graph",
            "--sim",
            "--sim=/s",
            "",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut direct_taken = 0;
        for _ in 0..4000 {
            let len = next(7);
            let words: Vec<&str> = (0..len).map(|_| pool[next(pool.len())]).collect();
            // getopt's refusals are the scan's, the same for both paths
            // (and would fill the test log with their messages)
            let argv: Vec<OsString> = std::iter::once("modprobe")
                .chain(words.iter().copied())
                .map(OsString::from)
                .collect();
            let cmd = Args::command().args_override_self(true);
            let acting = ["help", "version"];
            let scan = crate::getopt::scan_checked(&cmd, &argv, &acting, &OWN, &|_, _| None);
            if matches!(scan, crate::getopt::Scan::Error(_)) {
                continue;
            }
            let (direct, clap) = both(&words);
            if let Some(direct) = direct {
                direct_taken += 1;
                assert_eq!(Ok(direct), clap, "{words:?}");
            }
        }
        // the direct path is the common one, not a corner
        assert!(direct_taken > 1000, "{direct_taken}");
    }

    #[test]
    fn relations_and_optional_values_go_to_clap() {
        for words in [
            &["--json", "-D", "x"][..],
            &["--graph", "x"],
            &["--sim", "x"],
            &["-V"],
        ] {
            assert_eq!(both(words).0, None, "{words:?}");
        }
        assert_eq!(
            both(&["-D", "-S", "6.1", "-d", "/t", "ext4", "a=b"]).0,
            Some(Args {
                show_depends: true,
                set_version: Some("6.1".into()),
                dirname: Some("/t".into()),
                args: vec!["ext4".into(), "a=b".into()],
                ..Args::default()
            })
        );
    }
}

//! `modprobe.d`: aliases, module options, install/remove commands,
//! blacklists and soft/weak dependencies, read as libkmod (kmod 30) reads
//! them, plus kmod 34's `weakdep`.
//!
//! ```text
//! alias usb:v05ACp*  apple_hid     # pattern (fnmatch) → module name
//! options snd-hda-intel model=auto # rest of the line, tabs become blanks
//! install foo /sbin/modprobe bar; /sbin/modprobe --ignore-install foo
//! remove foo /bin/true
//! blacklist pcspkr
//! softdep snd_hda_intel pre: snd_hda_codec post: snd_pcm
//! weakdep i915 intel_gsc          # kmod 34
//! ```
//!
//! Where the configuration comes from, in kmod's order (see
//! [`ModprobeConfig::load`]): every `*.conf` and `*.alias` file of the
//! configuration directories, merged and sorted by file name (a name in an
//! earlier directory hides the same name in a later one), with the module
//! directory's `modules.softdep` (and, with weakdep support,
//! `modules.weakdep`) sorted in among them under those names; then the
//! kernel command line (see [`crate::kcmdline`]).
//!
//! Module names (and alias patterns) are normalised by [`underscores`];
//! a name it refuses makes the line bad.

use std::path::{Path, PathBuf};

use crate::files::{join_bytes, libkmod_config_files};
use crate::kcmdline::{self, CmdlineSource};
use crate::line::{logical_lines, Tokens};
use crate::{ConfigFile, Diagnostic, Level};

mod query;
mod show;
mod words;

pub use show::dump_indexes;

/// kmod 30's configuration directories, most important first. (kmod 34
/// adds `/usr/lib/modprobe.d` before `/lib/modprobe.d`; kmod 30 does not
/// read it, so neither do we.) The directories are not prefixed by any
/// root: kmod reads them as they are, whatever `-d` says.
pub const DEFAULT_DIRS: [&str; 4] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// Which kmod additions to honour. The default is kmod 30 plus kmod 34's
/// `weakdep`; [`Features::KMOD30`] is kmod 30 exactly (a `weakdep` line is
/// then a bad line and `modules.weakdep` is not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `weakdep` lines and the module directory's `modules.weakdep`.
    pub weakdep: bool,
}

impl Features {
    /// kmod 30 as Debian 12 ships it.
    pub const KMOD30: Features = Features { weakdep: false };
}

impl Default for Features {
    fn default() -> Features {
        Features { weakdep: true }
    }
}

/// `alias NAME MODULE`: `name` is an fnmatch pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub name: Vec<u8>,
    pub modname: Vec<u8>,
}

/// `options MODULE OPTIONS…`: `options` is the rest of the line (from
/// just after the blank that ends the module name), tabs turned to blanks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub modname: Vec<u8>,
    pub options: Vec<u8>,
}

/// `install MODULE COMMAND…` or `remove MODULE COMMAND…`: `modname` is an
/// fnmatch pattern, `command` the rest of the line as written (tabs kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub modname: Vec<u8>,
    pub command: Vec<u8>,
}

/// Which list of a `softdep` line a dependency is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// After `pre:`: loaded before the module.
    Pre,
    /// After `post:`: loaded after the module.
    Post,
}

/// One dependency of a `softdep` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftDepEntry {
    pub when: When,
    pub name: Vec<u8>,
}

/// `softdep MODULE pre: A B post: C`. The entries keep their line order,
/// `pre:` and `post:` ones interleaved as written, because `modprobe -c`
/// prints them from that order (see [`SoftDep::show_value`]). Words before
/// the first `pre:`/`post:` are dropped, as kmod drops them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftDep {
    /// An fnmatch pattern.
    pub modname: Vec<u8>,
    /// The rest of the line, split when asked: a call asks for the lines
    /// of a few modules, and splitting them all was a tenth of a
    /// `modprobe` call's instructions (issue 14).
    list: Vec<u8>,
}

impl SoftDep {
    /// The line `softdep MODNAME LIST`.
    pub fn new(modname: Vec<u8>, list: &[u8]) -> SoftDep {
        SoftDep {
            modname,
            list: list.to_vec(),
        }
    }

    /// The dependencies, in line order.
    pub fn entries(&self) -> Vec<SoftDepEntry> {
        words::softdep_entries(&self.list)
            .map(|(when, name)| SoftDepEntry {
                when,
                name: name.to_vec(),
            })
            .collect()
    }

    /// The `pre:` dependencies, in order.
    pub fn pre(&self) -> impl Iterator<Item = &[u8]> {
        self.of(When::Pre)
    }

    /// The `post:` dependencies, in order.
    pub fn post(&self) -> impl Iterator<Item = &[u8]> {
        self.of(When::Post)
    }

    fn of(&self, when: When) -> impl Iterator<Item = &[u8]> {
        words::softdep_entries(&self.list)
            .filter(move |&(w, _)| w == when)
            .map(|(_, name)| name)
    }
}

/// `weakdep MODULE A B…` (kmod 34): modules that may be used and are
/// loaded if available, never required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeakDep {
    /// An fnmatch pattern.
    pub modname: Vec<u8>,
    pub deps: Vec<Vec<u8>>,
}

/// Everything `modprobe.d` and the kernel command line say, each list in
/// the order kmod keeps it (files in sorted order, lines in file order,
/// then the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModprobeConfig {
    pub aliases: Vec<Alias>,
    pub options: Vec<Options>,
    pub install: Vec<Command>,
    pub remove: Vec<Command>,
    /// Module names, as written (`modprobe.blacklist=` entries are not
    /// normalised, as in kmod).
    pub blacklist: Vec<Vec<u8>>,
    pub softdeps: Vec<SoftDep>,
    pub weakdeps: Vec<WeakDep>,
    /// What [`parse`](Self::parse) accepts.
    pub features: Features,
}

impl ModprobeConfig {
    /// An empty configuration that will parse with `features`.
    pub fn new(features: Features) -> ModprobeConfig {
        ModprobeConfig {
            features,
            ..ModprobeConfig::default()
        }
    }

    /// Read the configuration as `modprobe` does: `paths` are what `-C`
    /// names (directories or single files; kmod reads nothing else when
    /// any is given, so pass [`DEFAULT_DIRS`] otherwise), `modules_dir`
    /// is `/lib/modules/<release>` (under the `-d` root) whose
    /// `modules.softdep` is read too, and `cmdline` says where the kernel
    /// command line comes from: kmod always reads `/proc/cmdline`, even with
    /// `-C`. Returns the messages kmod would print, in order.
    pub fn load<P: AsRef<Path>>(
        paths: &[P],
        modules_dir: Option<&Path>,
        cmdline: CmdlineSource<'_>,
    ) -> (ModprobeConfig, Vec<Diagnostic>) {
        Self::load_with(paths, modules_dir, cmdline, Features::default())
    }

    /// [`load`](Self::load) with the given kmod additions.
    pub fn load_with<P: AsRef<Path>>(
        paths: &[P],
        modules_dir: Option<&Path>,
        cmdline: CmdlineSource<'_>,
        features: Features,
    ) -> (ModprobeConfig, Vec<Diagnostic>) {
        let mut seeds = Vec::new();
        if let Some(dir) = modules_dir {
            let mut names: Vec<&[u8]> = vec![b"modules.softdep"];
            if features.weakdep {
                names.push(b"modules.weakdep");
            }
            for name in names {
                seeds.push(ConfigFile {
                    name: name.to_vec(),
                    path: join_bytes(dir, name),
                });
            }
        }
        let (files, mut diags) = libkmod_config_files(paths, &seeds);
        let mut cfg = ModprobeConfig::new(features);
        for file in &files {
            // kmod skips a file it cannot open without a word (the
            // module directory's modules.softdep is usually missing).
            if let Ok(data) = crate::files::read_config(&file.path) {
                cfg.parse(&file.path, &data, &mut diags);
            }
        }
        let text = match cmdline {
            CmdlineSource::Skip => None,
            CmdlineSource::Text(text) => Some(text.to_vec()),
            CmdlineSource::Proc => {
                let (text, diag) = kcmdline::read_proc_cmdline();
                diags.extend(diag);
                text
            }
        };
        if let Some(text) = text {
            cfg.add_cmdline(&text, &mut diags);
        }
        (cfg, diags)
    }

    /// What `modprobe` without `-C` reads: [`DEFAULT_DIRS`], the
    /// `modules.softdep` of `modules_dir` and `/proc/cmdline`.
    pub fn load_default(modules_dir: &Path) -> (ModprobeConfig, Vec<Diagnostic>) {
        let dirs: Vec<PathBuf> = DEFAULT_DIRS.iter().map(PathBuf::from).collect();
        Self::load(&dirs, Some(modules_dir), CmdlineSource::Proc)
    }

    /// Add what one file says. `file` only names it in messages.
    pub fn parse(&mut self, file: &Path, data: &[u8], diags: &mut Vec<Diagnostic>) {
        for line in logical_lines(data) {
            // `#` starts a comment only as the very first character; an
            // indented `#` is a bad line, as in kmod.
            if line.text.is_empty() || line.text[0] == b'#' {
                continue;
            }
            let mut tokens = Tokens::new(&line.text);
            let Some(cmd) = tokens.word() else {
                continue;
            };
            match self.directive(cmd, &mut tokens) {
                Parsed::Ok => {}
                Parsed::Deprecated => diags.push(Diagnostic::new(
                    Level::Error,
                    format!(
                        "{}: command {} is deprecated and not parsed anymore\n",
                        file.display(),
                        String::from_utf8_lossy(cmd)
                    ),
                )),
                Parsed::Bad => diags.push(Diagnostic::new(
                    Level::Error,
                    format!(
                        "{} line {}: ignoring bad line starting with '{}'\n",
                        file.display(),
                        line.number,
                        String::from_utf8_lossy(cmd)
                    ),
                )),
            }
        }
    }

    fn directive(&mut self, cmd: &[u8], t: &mut Tokens<'_>) -> Parsed {
        match cmd {
            b"alias" => {
                let (name, modname) = (module_name(t.word()), module_name(t.word()));
                let (Some(name), Some(modname)) = (name, modname) else {
                    return Parsed::Bad;
                };
                self.aliases.push(Alias { name, modname });
            }
            b"blacklist" => {
                let Some(modname) = module_name(t.word()) else {
                    return Parsed::Bad;
                };
                self.blacklist.push(modname);
            }
            b"options" | b"install" | b"remove" | b"softdep" => {
                let (modname, rest) = (module_name(t.word()), t.rest());
                let (Some(modname), Some(rest)) = (modname, rest) else {
                    return Parsed::Bad;
                };
                self.add_rest_of_line(cmd, modname, rest);
            }
            b"weakdep" if self.features.weakdep => {
                let (modname, rest) = (module_name(t.word()), t.rest());
                let (Some(modname), Some(rest)) = (modname, rest) else {
                    return Parsed::Bad;
                };
                let deps = words::dep_words(rest).map(<[u8]>::to_vec).collect();
                self.weakdeps.push(WeakDep { modname, deps });
            }
            b"include" | b"config" => return Parsed::Deprecated,
            _ => return Parsed::Bad,
        }
        Parsed::Ok
    }

    fn add_rest_of_line(&mut self, cmd: &[u8], modname: Vec<u8>, rest: &[u8]) {
        match cmd {
            b"options" => self.add_options(modname, rest),
            b"install" => self.install.push(Command {
                modname,
                command: rest.to_vec(),
            }),
            b"remove" => self.remove.push(Command {
                modname,
                command: rest.to_vec(),
            }),
            _ => self.softdeps.push(SoftDep::new(modname, rest)),
        }
    }

    /// Options are stored with tabs turned into blanks, as kmod does, so
    /// they can be passed on as one parameter string.
    pub(crate) fn add_options(&mut self, modname: Vec<u8>, options: &[u8]) {
        let options = options
            .iter()
            .map(|&b| if b == b'\t' { b' ' } else { b })
            .collect();
        self.options.push(Options { modname, options });
    }

    /// Add the options and blacklist entries of a kernel command line
    /// (`/proc/cmdline` contents), after everything read so far.
    pub fn add_cmdline(&mut self, cmdline: &[u8], diags: &mut Vec<Diagnostic>) {
        let (parsed, more) = kcmdline::parse(cmdline);
        diags.extend(more);
        self.blacklist.extend(parsed.blacklist);
        for opt in parsed.options {
            self.add_options(opt.modname, &opt.options);
        }
    }
}

enum Parsed {
    Ok,
    Deprecated,
    Bad,
}

/// A word of a directive as a module name: missing or refused by
/// [`underscores`] makes the line bad.
fn module_name(word: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut name = word?.to_vec();
    underscores(&mut name).then_some(name)
}

/// kmod's `underscores()`: turn `-` into `_` except inside `[...]` (so
/// alias patterns keep their ranges). Returns `false` when a `]` has no
/// `[` or a `[` no `]`; like kmod, the name is then left converted up to
/// where it stopped (the command-line message shows it that way).
pub fn underscores(name: &mut [u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'-' => name[i] = b'_',
            b']' => return false,
            b'[' => match name[i..].iter().position(|&b| b == b']') {
                Some(close) => i += close,
                None => return false,
            },
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests;

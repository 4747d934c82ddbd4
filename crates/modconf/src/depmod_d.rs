//! `depmod.d`: where depmod looks for modules and which copy of a module
//! wins when several files carry the same module name.
//!
//! ```text
//! search updates extra built-in      # directories under /lib/modules/<ver>, best first
//! override snd_foo 6.1.* extra/alsa  # this copy wins for kernels matching the pattern
//! external 6.1.* /opt/modules        # another tree, ranked where `search` says `external`
//! exclude debug                      # directory names never entered
//! ```
//!
//! Lines are read as kmod 30 reads them: `\`-newline continues a line,
//! words are separated by blanks and tabs, `#` starts a comment only as the
//! first character. Kernel patterns are POSIX extended regular expressions
//! matched anywhere in the version (`*` alone matches every version).

use std::path::{Path, PathBuf};

use crate::files::config_files;
use crate::line::{logical_lines, words};
use crate::{strerror, Diagnostic, Level};

/// The configuration directories, most important first: a file in an
/// earlier directory hides a file of the same name in a later one.
pub const DEFAULT_DIRS: [&str; 5] = [
    "/etc/depmod.d",
    "/run/depmod.d",
    "/usr/local/lib/depmod.d",
    "/usr/lib/depmod.d",
    "/lib/depmod.d",
];

/// One word of a `search` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A directory relative to the module directory (`updates`).
    Path(Vec<u8>),
    /// `built-in`: where every module not under a listed directory ranks.
    BuiltIn,
    /// `external`: where the `external` directories rank.
    External,
}

/// `override MODULE KERNEL SUBDIR`: the copy of MODULE under SUBDIR wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub modname: Vec<u8>,
    pub subdir: Vec<u8>,
}

impl Override {
    /// `SUBDIR/MODULE`, the prefix of a relative module path this override
    /// names (no extension, so any compression matches).
    pub fn path(&self) -> Vec<u8> {
        let mut p = self.subdir.clone();
        p.push(b'/');
        p.extend_from_slice(&self.modname);
        p
    }
}

/// Everything `depmod.d` says, each list in the order of the files and
/// lines it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepmodConfig {
    /// `search` words. When no file has a `search` line this is
    /// `[Path("updates")]`, kmod's built-in default.
    pub searches: Vec<Search>,
    /// `override` lines whose kernel pattern matched.
    pub overrides: Vec<Override>,
    /// `external` directories whose kernel pattern matched.
    pub externals: Vec<Vec<u8>>,
    /// `exclude` words: directory (and file) names never entered.
    pub excludes: Vec<Vec<u8>>,
}

impl DepmodConfig {
    /// Read the configuration for kernel `kversion` from `paths`
    /// (directories or single files; [`DEFAULT_DIRS`] when empty), with
    /// the messages kmod prints while reading, in order.
    pub fn load<P: AsRef<Path>>(paths: &[P], kversion: &str) -> (DepmodConfig, Vec<Diagnostic>) {
        let defaults: Vec<PathBuf> = DEFAULT_DIRS.iter().map(PathBuf::from).collect();
        let (files, mut diags) = if paths.is_empty() {
            config_files(&defaults)
        } else {
            config_files(paths)
        };
        let mut cfg = DepmodConfig::default();
        for file in &files {
            match std::fs::read(&file.path) {
                Ok(data) => cfg.parse(&file.path, &data, kversion, &mut diags),
                Err(e) => diags.push(Diagnostic::new(
                    Level::Error,
                    format!("file parse {}: {}\n", file.path.display(), strerror(&e)),
                )),
            }
        }
        if cfg.searches.is_empty() {
            cfg.searches.push(Search::Path(b"updates".to_vec()));
        }
        (cfg, diags)
    }

    /// Add what one file says. `file` only names it in messages.
    pub fn parse(&mut self, file: &Path, data: &[u8], kversion: &str, diags: &mut Vec<Diagnostic>) {
        let shown = file.display();
        for line in logical_lines(data) {
            if line.text.is_empty() || line.text[0] == b'#' {
                continue;
            }
            let mut w = words(&line.text);
            let Some(cmd) = w.next() else {
                continue;
            };
            let n = line.number;
            let cmd_text = String::from_utf8_lossy(cmd);
            let bad = |diags: &mut Vec<Diagnostic>| {
                diags.push(Diagnostic::new(
                    Level::Error,
                    format!("{shown}:{n}: ignoring bad line starting with '{cmd_text}'\n"),
                ));
            };
            match cmd {
                b"search" => self.searches.extend(w.map(|word| match word {
                    b"built-in" => Search::BuiltIn,
                    b"external" => Search::External,
                    other => Search::Path(other.to_vec()),
                })),
                b"override" => {
                    let (Some(modname), Some(version), Some(subdir)) =
                        (w.next(), w.next(), w.next())
                    else {
                        bad(diags);
                        continue;
                    };
                    if !kernel_matches(version, kversion) {
                        diags.push(Diagnostic::new(
                            Level::Info,
                            format!(
                                "{shown}:{n}: override kernel did not match {}\n",
                                String::from_utf8_lossy(version)
                            ),
                        ));
                        continue;
                    }
                    self.overrides.push(Override {
                        modname: modname.to_vec(),
                        subdir: subdir.to_vec(),
                    });
                }
                b"external" => {
                    let (Some(version), Some(dir)) = (w.next(), w.next()) else {
                        bad(diags);
                        continue;
                    };
                    if !kernel_matches(version, kversion) {
                        diags.push(Diagnostic::new(
                            Level::Info,
                            format!(
                                "{shown}:{n}: external directory did not match {}\n",
                                String::from_utf8_lossy(version)
                            ),
                        ));
                        continue;
                    }
                    self.externals.push(dir.to_vec());
                }
                b"exclude" => self.excludes.extend(w.map(<[u8]>::to_vec)),
                b"include" | b"make_map_files" => diags.push(Diagnostic::new(
                    Level::Info,
                    format!("{shown}:{n}: command {cmd_text} not implemented yet\n"),
                )),
                _ => bad(diags),
            }
        }
    }
}

/// Whether a kernel pattern of `override`/`external` matches `kversion`:
/// `*` matches everything, anything else is an extended regular expression
/// searched in the version; a pattern that does not compile matches nothing.
pub fn kernel_matches(pattern: &[u8], kversion: &str) -> bool {
    if pattern == b"*" {
        return true;
    }
    let Ok(pattern) = std::str::from_utf8(pattern) else {
        return false;
    };
    regex::Regex::new(pattern).is_ok_and(|re| re.is_match(kversion))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, kver: &str) -> (DepmodConfig, Vec<Diagnostic>) {
        let mut cfg = DepmodConfig::default();
        let mut diags = Vec::new();
        cfg.parse(Path::new("/x/a.conf"), text.as_bytes(), kver, &mut diags);
        (cfg, diags)
    }

    #[test]
    fn all_commands() {
        let (cfg, diags) = parse(
            "# comment\n\nsearch updates built-in\tfoo external\n\
             override snd_x 6.1.* extra\noverride y 5.* extra\n\
             external 6.1 /opt/mods\nexclude debug \\\n  dkms\ninclude x\n  #bad\nbogus 1\n\
             override onlyname\n",
            "6.1.0-28-amd64",
        );
        assert_eq!(
            cfg.searches,
            vec![
                Search::Path(b"updates".to_vec()),
                Search::BuiltIn,
                Search::Path(b"foo".to_vec()),
                Search::External
            ]
        );
        assert_eq!(
            cfg.overrides,
            vec![Override {
                modname: b"snd_x".to_vec(),
                subdir: b"extra".to_vec()
            }]
        );
        assert_eq!(cfg.overrides[0].path(), b"extra/snd_x");
        assert_eq!(cfg.externals, vec![b"/opt/mods".to_vec()]);
        assert_eq!(cfg.excludes, vec![b"debug".to_vec(), b"dkms".to_vec()]);
        let texts: Vec<_> = diags.iter().map(|d| (d.level, d.text_lossy())).collect();
        let texts: Vec<_> = texts.iter().map(|(l, t)| (*l, t.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                (
                    Level::Info,
                    "/x/a.conf:5: override kernel did not match 5.*\n"
                ),
                (
                    Level::Info,
                    "/x/a.conf:9: command include not implemented yet\n"
                ),
                (
                    Level::Error,
                    "/x/a.conf:10: ignoring bad line starting with '#bad'\n"
                ),
                (
                    Level::Error,
                    "/x/a.conf:11: ignoring bad line starting with 'bogus'\n"
                ),
                (
                    Level::Error,
                    "/x/a.conf:12: ignoring bad line starting with 'override'\n"
                ),
            ]
        );
    }

    #[test]
    fn kernel_patterns() {
        assert!(kernel_matches(b"*", "6.1.0"));
        assert!(kernel_matches(b"^6\\.1", "6.1.0"));
        assert!(kernel_matches(b"1\\.0", "6.1.0"));
        assert!(!kernel_matches(b"^5", "6.1.0"));
        assert!(!kernel_matches(b"(", "6.1.0"));
    }

    #[test]
    fn default_search_is_updates() {
        let tmp = crate::files::tests::tempdir("default-search");
        let (cfg, diags) = DepmodConfig::load(&[&tmp], "6.1.0");
        assert_eq!(cfg.searches, vec![Search::Path(b"updates".to_vec())]);
        assert!(diags.is_empty());
    }
}

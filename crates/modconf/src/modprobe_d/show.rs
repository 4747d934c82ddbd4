//! `modprobe -c` / `--showconfig` output.
//!
//! kmod prints, in this order: every `blacklist`, `install`, `remove`,
//! `alias`, `options`, `softdep` and (kmod 34) `weakdep` entry as
//! `<kind> <key> <value>\n` (a blacklist line has no value), then
//! `\n# End of configuration files. Dumping indexes now:\n\n`, then every
//! entry of the module directory's `modules.alias.bin` and
//! `modules.symbols.bin` indexes as `alias <key> <value>\n`, in trie order.
//! The text-only part is [`ModprobeConfig::show`]; the index part is
//! [`dump_indexes`].

use std::path::Path;

use super::{ModprobeConfig, SoftDep, When};
use crate::files::join_bytes;

/// The line kmod prints after the configuration, before the indexes.
const END_OF_CONFIG: &[u8] = b"\n# End of configuration files. Dumping indexes now:\n\n";

impl ModprobeConfig {
    /// What `modprobe -c` prints before dumping the indexes: the whole
    /// configuration and the "End of configuration files" line.
    pub fn show(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for name in &self.blacklist {
            entry(&mut out, "blacklist", name, None);
        }
        for cmd in &self.install {
            entry(&mut out, "install", &cmd.modname, Some(&cmd.command));
        }
        for cmd in &self.remove {
            entry(&mut out, "remove", &cmd.modname, Some(&cmd.command));
        }
        for alias in &self.aliases {
            entry(&mut out, "alias", &alias.name, Some(&alias.modname));
        }
        for opt in &self.options {
            entry(&mut out, "options", &opt.modname, Some(&opt.options));
        }
        for dep in &self.softdeps {
            entry(&mut out, "softdep", &dep.modname, Some(&dep.show_value()));
        }
        for dep in &self.weakdeps {
            entry(
                &mut out,
                "weakdep",
                &dep.modname,
                Some(&dep.deps.join(&b' ')),
            );
        }
        out.extend_from_slice(END_OF_CONFIG);
        out
    }

    /// All of `modprobe -c`: [`show`](Self::show) followed by
    /// [`dump_indexes`] of `modules_dir` (`<root>/lib/modules/<release>`).
    pub fn show_with_indexes(&self, modules_dir: &Path) -> Vec<u8> {
        let mut out = self.show();
        out.extend(dump_indexes(modules_dir));
        out
    }
}

fn entry(out: &mut Vec<u8>, kind: &str, key: &[u8], value: Option<&[u8]>) {
    out.extend_from_slice(kind.as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    if let Some(value) = value {
        out.push(b' ');
        out.extend_from_slice(value);
    }
    out.push(b'\n');
}

impl SoftDep {
    /// The value `modprobe -c` prints for this line. kmod prints each list
    /// as the stretch of the line's dependencies from the list's first to
    /// its last entry (entries of the other list in between included) and
    /// puts no blank between the two lists: `pre: a bpost: c`. Kept so the
    /// output is byte-identical; use [`pre`](Self::pre) and
    /// [`post`](Self::post) for the real lists.
    pub fn show_value(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let entries = self.entries();
        for (when, label) in [(When::Pre, &b"pre: "[..]), (When::Post, b"post: ")] {
            let first = entries.iter().position(|e| e.when == when);
            let last = entries.iter().rposition(|e| e.when == when);
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            out.extend_from_slice(label);
            let span = entries.get(first..=last).unwrap_or_default();
            let names: Vec<&[u8]> = span.iter().map(|e| e.name.as_slice()).collect();
            out.extend_from_slice(&names.join(&b' '));
        }
        out
    }
}

/// The index part of `modprobe -c`: every entry of `modules.alias.bin`
/// then of `modules.symbols.bin` in `modules_dir`, as `alias KEY VALUE\n`
/// in the indexes' key order. An index that is missing or not an index
/// adds nothing, as in kmod.
pub fn dump_indexes(modules_dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for name in [&b"modules.alias.bin"[..], b"modules.symbols.bin"] {
        let Ok(index) = modindex::Index::open(join_bytes(modules_dir, name)) else {
            continue;
        };
        for (key, value) in index.iter() {
            out.extend_from_slice(b"alias ");
            out.extend_from_slice(&key);
            out.push(b' ');
            out.extend_from_slice(value.value);
            out.push(b'\n');
        }
    }
    out
}

//! Questions modprobe asks of the configuration, answered as libkmod
//! answers them: exact names for options and blacklists, fnmatch patterns
//! for commands, aliases and soft/weak dependencies, first match wins
//! where kmod stops at the first.

use super::{Alias, ModprobeConfig, SoftDep, WeakDep};

impl ModprobeConfig {
    /// All options for `module` (a normalised name) joined with single
    /// blanks in configuration order, command-line ones last, as
    /// libkmod's `kmod_module_get_options`; lines with empty options are
    /// left out. `None` when no line applies.
    pub fn options_for(&self, module: &[u8]) -> Option<Vec<u8>> {
        self.options_for_alias(module, None)
    }

    /// [`options_for`](Self::options_for) for a module reached through
    /// `alias` (an `alias` line's pattern, as libkmod keeps it): lines for
    /// either name apply.
    pub fn options_for_alias(&self, module: &[u8], alias: Option<&[u8]>) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for opt in &self.options {
            let applies = opt.modname == module || alias.is_some_and(|a| opt.modname == a);
            if !applies || opt.options.is_empty() {
                continue;
            }
            match out.as_mut() {
                Some(joined) => {
                    joined.push(b' ');
                    joined.extend_from_slice(&opt.options);
                }
                None => out = Some(opt.options.clone()),
            }
        }
        out
    }

    /// The first `install` command whose pattern matches `module`.
    pub fn install_command(&self, module: &[u8]) -> Option<&[u8]> {
        first_match(&self.install, module, |c| &c.modname).map(|c| c.command.as_slice())
    }

    /// The first `remove` command whose pattern matches `module`.
    pub fn remove_command(&self, module: &[u8]) -> Option<&[u8]> {
        first_match(&self.remove, module, |c| &c.modname).map(|c| c.command.as_slice())
    }

    /// The first `install` command written for exactly `name` (no pattern
    /// matching): how libkmod resolves a name that is neither a module nor
    /// an alias but has a command (`kmod_lookup_alias_from_commands`,
    /// which tries `install` first, then [`remove_command_named`]).
    ///
    /// [`remove_command_named`]: Self::remove_command_named
    pub fn install_command_named(&self, name: &[u8]) -> Option<&[u8]> {
        let found = self.install.iter().find(|c| c.modname == name);
        found.map(|c| c.command.as_slice())
    }

    /// The first `remove` command written for exactly `name`.
    pub fn remove_command_named(&self, name: &[u8]) -> Option<&[u8]> {
        let found = self.remove.iter().find(|c| c.modname == name);
        found.map(|c| c.command.as_slice())
    }

    /// Whether `module` is blacklisted (exact name, no patterns).
    pub fn is_blacklisted(&self, module: &[u8]) -> bool {
        self.blacklist.iter().any(|b| b == module)
    }

    /// The first `softdep` line whose pattern matches `module`; kmod
    /// ignores any later one.
    pub fn softdep(&self, module: &[u8]) -> Option<&SoftDep> {
        first_match(&self.softdeps, module, |d| &d.modname)
    }

    /// The first `weakdep` line whose pattern matches `module`.
    pub fn weakdep(&self, module: &[u8]) -> Option<&WeakDep> {
        first_match(&self.weakdeps, module, |d| &d.modname)
    }

    /// Every alias whose pattern matches `name`, in configuration order.
    pub fn aliases_matching(&self, name: &[u8]) -> Vec<&Alias> {
        let hits = self
            .aliases
            .iter()
            .filter(|a| modindex::fnmatch(&a.name, name));
        hits.collect()
    }
}

fn first_match<'a, T>(items: &'a [T], module: &[u8], key: impl Fn(&T) -> &[u8]) -> Option<&'a T> {
    items
        .iter()
        .find(|item| modindex::fnmatch(key(item), module))
}

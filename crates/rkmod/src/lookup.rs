//! Finding modules by name or alias, in libkmod's order: modules.dep, then
//! (for `symbol:` names) modules.symbols, modules.alias, modules.builtin and
//! modules.builtin.alias — the first source that knows the name answers.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::module::{path_in, Module, Origin};

/// The binary indexes a lookup reads.
#[derive(Debug, Clone, Copy)]
enum IndexFile {
    Dep,
    Alias,
    Symbols,
    Builtin,
    BuiltinAlias,
}

impl IndexFile {
    fn file_name(self) -> &'static str {
        match self {
            IndexFile::Dep => "modules.dep.bin",
            IndexFile::Alias => "modules.alias.bin",
            IndexFile::Symbols => "modules.symbols.bin",
            IndexFile::Builtin => "modules.builtin.bin",
            IndexFile::BuiltinAlias => "modules.builtin.alias.bin",
        }
    }
}

impl Context {
    /// Exact lookup in a binary index; a missing or unreadable index knows nothing.
    fn index_search(&self, which: IndexFile, key: &[u8]) -> Option<Vec<u8>> {
        let index = modindex::Index::open(self.file(which.file_name())).ok()?;
        index.search_as(key, self.reader()).map(|v| v.to_vec())
    }

    /// Wildcard lookup: every value whose stored pattern matches `key`.
    fn index_search_wild(&self, which: IndexFile, key: &[u8]) -> Vec<Vec<u8>> {
        let Ok(index) = modindex::Index::open(self.file(which.file_name())) else {
            return Vec::new();
        };
        index
            .search_wild_as(key, self.reader())
            .into_iter()
            .map(|v| v.value.to_vec())
            .collect()
    }

    /// The modules.dep line of a module: `path: dep dep …`.
    pub fn moddep_line(&self, name: &[u8]) -> Option<Vec<u8>> {
        self.index_search(IndexFile::Dep, name)
    }

    /// The file of a module named in modules.dep.
    pub fn moddep_path(&self, name: &[u8]) -> Option<std::path::PathBuf> {
        let line = self.moddep_line(name)?;
        let colon = line.iter().position(|&b| b == b':')?;
        Some(path_in(self.dirname(), &line[..colon]))
    }

    /// Whether modules.builtin lists the module.
    pub fn is_builtin_name(&self, name: &[u8]) -> bool {
        self.index_search(IndexFile::Builtin, name).is_some()
    }

    /// Lookup by module name only (modules.dep, then the builtin indexes):
    /// kmod's `kmod_module_new_from_name_lookup`.
    pub fn lookup_name(&self, name: &str) -> Result<Option<Module>> {
        let name = modfile::normalize_name(name.as_bytes());
        let found = self
            .via_moddep(&name)
            .or_else(|| self.via_builtin(&name))
            .or_else(|| self.via_builtin_alias(&name).into_iter().next());
        Ok(found)
    }

    /// Lookup of a name or alias through the configuration and every
    /// index: kmod's `kmod_module_new_from_lookup`.
    pub fn lookup(&self, alias: &str) -> Result<Vec<Module>> {
        let alias = normalize_alias(alias.as_bytes()).ok_or(Error::InvalidAlias)?;
        let found = self.via_config_aliases(&alias);
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(m) = self.via_moddep(&alias) {
            return Ok(vec![m]);
        }
        if alias.starts_with(b"symbol:") {
            let found = self.via_alias_index(IndexFile::Symbols, &alias);
            if !found.is_empty() {
                return Ok(found);
            }
        }
        if let Some(m) = self.via_commands(&alias) {
            return Ok(vec![m]);
        }
        let found = self.via_alias_index(IndexFile::Alias, &alias);
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(m) = self.via_builtin(&alias) {
            return Ok(vec![m]);
        }
        Ok(self.via_builtin_alias(&alias))
    }

    /// `alias` lines whose pattern matches: the module keeps the pattern
    /// as its alias (options for either name apply).
    fn via_config_aliases(&self, alias: &[u8]) -> Vec<Module> {
        let Some(config) = self.config() else {
            return Vec::new();
        };
        config
            .aliases_matching(alias)
            .into_iter()
            .map(|a| Module {
                path: self.moddep_path(&a.modname),
                name: a.modname.clone(),
                origin: Origin::Alias,
                alias: Some(a.name.clone()),
            })
            .collect()
    }

    /// A name that only an `install` or `remove` command knows.
    fn via_commands(&self, name: &[u8]) -> Option<Module> {
        let config = self.config()?;
        if config.install_command_named(name).is_none()
            && config.remove_command_named(name).is_none()
        {
            return None;
        }
        Some(Module {
            name: name.to_vec(),
            path: self.moddep_path(name),
            origin: Origin::Command,
            alias: None,
        })
    }

    /// The modules a module needs, from its modules.dep line, in load order
    /// (the line lists them last-loaded first).
    pub fn dependencies(&self, module: &Module) -> Vec<Module> {
        let Some(line) = self.moddep_line(module.name()) else {
            return Vec::new();
        };
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Vec::new();
        };
        let mut deps: Vec<Module> = line[colon + 1..]
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|w| !w.is_empty())
            .map(|p| Module {
                name: modfile::modname_from_path(p),
                path: Some(path_in(self.dirname(), p)),
                origin: Origin::ModulesDep,
                alias: None,
            })
            .collect();
        deps.reverse();
        deps
    }

    fn via_moddep(&self, name: &[u8]) -> Option<Module> {
        // Module names never contain ':'; such a key cannot be in modules.dep.
        if name.contains(&b':') {
            return None;
        }
        let line = self.moddep_line(name)?;
        let colon = line.iter().position(|&b| b == b':')?;
        Some(Module {
            name: name.to_vec(),
            path: Some(path_in(self.dirname(), &line[..colon])),
            origin: Origin::ModulesDep,
            alias: None,
        })
    }

    fn via_alias_index(&self, which: IndexFile, alias: &[u8]) -> Vec<Module> {
        self.index_search_wild(which, alias)
            .into_iter()
            .map(|name| Module {
                path: self.moddep_path(&name),
                name,
                origin: Origin::Alias,
                alias: Some(alias.to_vec()),
            })
            .collect()
    }

    fn via_builtin(&self, name: &[u8]) -> Option<Module> {
        self.index_search(IndexFile::Builtin, name)?;
        Some(Module {
            name: name.to_vec(),
            path: None,
            origin: Origin::Builtin,
            alias: None,
        })
    }

    fn via_builtin_alias(&self, alias: &[u8]) -> Vec<Module> {
        self.index_search_wild(IndexFile::BuiltinAlias, alias)
            .into_iter()
            .map(|name| Module {
                name,
                path: None,
                origin: Origin::Builtin,
                alias: Some(alias.to_vec()),
            })
            .collect()
    }
}

/// kmod's alias normalisation: `-` becomes `_` outside `[...]` classes; an
/// unbalanced bracket makes the alias invalid.
pub fn normalize_alias(alias: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(alias.len());
    let mut i = 0;
    while i < alias.len() {
        match alias[i] {
            b'-' => out.push(b'_'),
            b']' => return None,
            b'[' => {
                let close = alias[i..].iter().position(|&b| b == b']')? + i;
                out.extend_from_slice(&alias[i..=close]);
                i = close;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::normalize_alias;

    #[test]
    fn alias_normalisation() {
        assert_eq!(normalize_alias(b"snd-hda").unwrap(), b"snd_hda");
        assert_eq!(normalize_alias(b"a[-x]-b").unwrap(), b"a[-x]_b");
        assert!(normalize_alias(b"a]b").is_none());
        assert!(normalize_alias(b"a[b").is_none());
    }
}

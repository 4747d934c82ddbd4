//! Finding modules by name or alias, in libkmod's order: modules.dep, then
//! (for `symbol:` names) modules.symbols, modules.alias, modules.builtin and
//! modules.builtin.alias — the first source that knows the name answers.
//!
//! libkmod copies names into `PATH_MAX` buffers on the way, and the tools
//! answer as it does: a name is looked up by its first 4095 bytes, and a
//! module whose name and alias do not fit one buffer together cannot be
//! made, which fails the whole lookup (with a message). A lookup's answer
//! depends only on the name, so each is worked out once per [`Context`]
//! (softdeps of a long plan look the same names up again and again).

use std::sync::{Arc, OnceLock};

use crate::context::{Context, Memo};
use crate::error::{Error, Result};
use crate::module::{path_in, Module, Origin};

/// libkmod's buffer size for names and keys (`PATH_MAX`).
pub(crate) const PATH_MAX: usize = 4096;

/// The binary indexes of a context, each opened on first use.
pub(crate) type IndexFileSlots =
    [OnceLock<Option<Arc<modindex::Index<memmap2::Mmap>>>>; IndexFile::COUNT];

/// The binary indexes a lookup reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IndexFile {
    Dep,
    Alias,
    Symbols,
    Builtin,
    BuiltinAlias,
}

impl IndexFile {
    pub(crate) const COUNT: usize = 5;

    fn slot(self) -> usize {
        self as usize
    }

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
    /// An index, opened (mapped) on first use and kept for the context's
    /// life; a missing or unreadable one stays `None`.
    fn index(&self, which: IndexFile) -> Option<Arc<modindex::Index<memmap2::Mmap>>> {
        self.memo().indexes[which.slot()]
            .get_or_init(|| {
                modindex::Index::open(self.file(which.file_name()))
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }

    /// Exact lookup in a binary index; a missing or unreadable index knows nothing.
    fn index_search(&self, which: IndexFile, key: &[u8]) -> Option<Vec<u8>> {
        let index = self.index(which)?;
        index.search_as(key, self.reader()).map(|v| v.to_vec())
    }

    /// Wildcard lookup: every value whose stored pattern matches `key`.
    fn index_search_wild(&self, which: IndexFile, key: &[u8]) -> Vec<Vec<u8>> {
        let Some(index) = self.index(which) else {
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
        self.lookup_name_bytes(name.as_bytes())
    }

    /// [`lookup_name`](Self::lookup_name) of a name that need not be UTF-8.
    pub fn lookup_name_bytes(&self, name: &[u8]) -> Result<Option<Module>> {
        let mut name = modfile::normalize_name(name);
        name.truncate(PATH_MAX - 1);
        let found = match self.via_moddep(&name) {
            Some(m) => Some(m),
            None => match self.via_builtin(&name) {
                Some(m) => Some(m),
                None => self.via_builtin_alias(&name)?.into_iter().next(),
            },
        };
        Ok(found)
    }

    /// Lookup of a name or alias through the configuration and every
    /// index: kmod's `kmod_module_new_from_lookup`.
    pub fn lookup(&self, alias: &str) -> Result<Vec<Module>> {
        self.lookup_bytes(alias.as_bytes())
    }

    /// [`lookup`](Self::lookup) of a name that need not be UTF-8 (names
    /// from configuration files are bytes). Messages kmod would log on the
    /// way (a module that cannot be made) are kept for
    /// [`take_messages`](Context::take_messages), again on every call.
    pub fn lookup_bytes(&self, alias: &[u8]) -> Result<Vec<Module>> {
        let memo = self.memo();
        let cached = memo.lookup(alias);
        let answer = match cached {
            Some(a) => a,
            None => {
                let mut messages = Vec::new();
                let found = normalize_alias(alias)
                    .ok_or(LookupFailure::Invalid)
                    .and_then(|key| self.lookup_uncached(&key, &mut messages));
                memo.remember(alias, found, messages)
            }
        };
        memo.note_all(&answer.messages);
        match &answer.found {
            Ok(found) => Ok(found.clone()),
            Err(LookupFailure::Invalid) => Err(Error::InvalidAlias),
            Err(LookupFailure::NameTooLong) => Err(Error::NameTooLong),
        }
    }

    fn lookup_uncached(
        &self,
        alias: &[u8],
        messages: &mut Vec<String>,
    ) -> std::result::Result<Vec<Module>, LookupFailure> {
        let found = self.via_config_aliases(alias, messages)?;
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(m) = self.via_moddep(alias) {
            return Ok(vec![m]);
        }
        if alias.starts_with(b"symbol:") {
            let found = self.via_alias_index(IndexFile::Symbols, alias, messages)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        if let Some(m) = self.via_commands(alias) {
            return Ok(vec![m]);
        }
        let found = self.via_alias_index(IndexFile::Alias, alias, messages)?;
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(m) = self.via_builtin(alias) {
            return Ok(vec![m]);
        }
        self.via_alias_index(IndexFile::BuiltinAlias, alias, messages)
    }

    /// `alias` lines whose pattern matches: the module keeps the pattern
    /// as its alias (options for either name apply). libkmod keys such a
    /// module by `modname\\pattern` in a `PATH_MAX` buffer: one that does
    /// not fit fails the lookup.
    fn via_config_aliases(
        &self,
        alias: &[u8],
        messages: &mut Vec<String>,
    ) -> std::result::Result<Vec<Module>, LookupFailure> {
        let Some(config) = self.config() else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for a in config.aliases_matching(alias) {
            if !fits_module_key(&a.modname, &a.name) {
                messages.push(format!(
                    "Could not create module for alias={} modname={}: {}",
                    String::from_utf8_lossy(alias),
                    String::from_utf8_lossy(&a.modname),
                    crate::strerror(nix::libc::ENAMETOOLONG)
                ));
                return Err(LookupFailure::NameTooLong);
            }
            found.push(Module {
                path: self.moddep_path(&a.modname),
                name: a.modname.clone(),
                origin: Origin::Alias,
                alias: Some(a.name.clone()),
            });
        }
        Ok(found)
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

    /// Modules whose index alias patterns match `alias` (modules.symbols,
    /// modules.alias, modules.builtin.alias); each keeps `alias` as the
    /// alias it was found through, which must fit libkmod's key buffer
    /// with its name.
    fn via_alias_index(
        &self,
        which: IndexFile,
        alias: &[u8],
        messages: &mut Vec<String>,
    ) -> std::result::Result<Vec<Module>, LookupFailure> {
        let builtin = matches!(which, IndexFile::BuiltinAlias);
        let mut found = Vec::new();
        for name in self.index_search_wild(which, alias) {
            if !fits_module_key(&name, alias) {
                messages.push(format!(
                    "Could not create module for alias={} realname={}: {}",
                    String::from_utf8_lossy(alias),
                    String::from_utf8_lossy(&name),
                    crate::strerror(nix::libc::ENAMETOOLONG)
                ));
                return Err(LookupFailure::NameTooLong);
            }
            found.push(Module {
                path: if builtin {
                    None
                } else {
                    self.moddep_path(&name)
                },
                name,
                origin: if builtin {
                    Origin::Builtin
                } else {
                    Origin::Alias
                },
                alias: Some(alias.to_vec()),
            });
        }
        Ok(found)
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

    fn via_builtin_alias(&self, alias: &[u8]) -> Result<Vec<Module>> {
        let mut messages = Vec::new();
        let found = self.via_alias_index(IndexFile::BuiltinAlias, alias, &mut messages);
        self.memo().note_all(&messages);
        found.map_err(|_| Error::NameTooLong)
    }
}

/// Why a lookup failed (kept in the memo, so it is `Clone`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum LookupFailure {
    /// Unbalanced brackets.
    Invalid,
    /// A module's name and alias do not fit libkmod's key buffer.
    NameTooLong,
}

/// What a lookup answered, and what kmod logged on the way.
#[derive(Debug)]
pub(crate) struct Answer {
    pub found: std::result::Result<Vec<Module>, LookupFailure>,
    pub messages: Vec<String>,
}

impl Memo {
    fn lookup(&self, alias: &[u8]) -> Option<Arc<Answer>> {
        self.lookups().get(alias).cloned()
    }

    fn remember(
        &self,
        alias: &[u8],
        found: std::result::Result<Vec<Module>, LookupFailure>,
        messages: Vec<String>,
    ) -> Arc<Answer> {
        let answer = Arc::new(Answer { found, messages });
        self.lookups().insert(alias.to_vec(), answer.clone());
        answer
    }
}

/// Whether libkmod can make the module `name` found through `alias`: it
/// keys it by `name\\alias` in a `PATH_MAX` buffer.
fn fits_module_key(name: &[u8], alias: &[u8]) -> bool {
    name.len() + alias.len() + 2 <= PATH_MAX
}

/// kmod's alias normalisation: `-` becomes `_` outside `[...]` classes; an
/// unbalanced bracket makes the alias invalid. Like kmod's, it reads at
/// most 4095 bytes (`PATH_MAX` - 1) into its buffer, except that a bracket
/// class begun before that limit is copied to its end.
pub fn normalize_alias(alias: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(alias.len().min(PATH_MAX));
    let mut i = 0;
    while i < alias.len() && i < PATH_MAX - 1 {
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

    #[test]
    fn alias_normalisation_stops_at_kmods_buffer_size() {
        let long = vec![b'x'; 5000];
        assert_eq!(normalize_alias(&long).unwrap().len(), 4095);
        // an unbalanced bracket past the limit is never seen
        let mut late = vec![b'y'; 4095];
        late.extend_from_slice(b"]");
        assert_eq!(normalize_alias(&late).unwrap(), vec![b'y'; 4095]);
        // a class begun before the limit is copied whole
        let mut class = vec![b'z'; 4094];
        class.extend_from_slice(b"[a-b]c");
        let out = normalize_alias(&class).unwrap();
        assert!(out.ends_with(b"[a-b]"), "{}", out.len());
    }
}

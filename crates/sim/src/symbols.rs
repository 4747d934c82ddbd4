//! The sim kernel's symbol table: which loaded module exports which symbol,
//! and whether a module may use it (GPL-only symbols need a GPL-compatible
//! license, as in the kernel).

use std::collections::HashMap;

/// One exported symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub owner: String,
    pub gpl_only: bool,
}

/// Why a symbol cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// Nobody exports it.
    Missing,
    /// Only for GPL-compatible modules.
    GplOnly { owner: String },
}

/// Exported symbols of the live modules.
#[derive(Debug, Default)]
pub struct SymbolTable {
    by_name: HashMap<String, Export>,
}

impl SymbolTable {
    /// Who exports `sym`.
    pub fn owner(&self, sym: &str) -> Option<&Export> {
        self.by_name.get(sym)
    }

    /// Resolve `sym` for a module whose license is `gpl_ok`-compatible.
    pub fn resolve(&self, sym: &str, gpl_ok: bool) -> Result<&str, Unresolved> {
        match self.by_name.get(sym) {
            None => Err(Unresolved::Missing),
            Some(e) if e.gpl_only && !gpl_ok => Err(Unresolved::GplOnly {
                owner: e.owner.clone(),
            }),
            Some(e) => Ok(&e.owner),
        }
    }

    /// Add `module`'s exports (the caller has checked for duplicates).
    pub fn add(&mut self, module: &str, exports: &[(String, bool)]) {
        for (sym, gpl_only) in exports {
            self.by_name.insert(
                sym.clone(),
                Export {
                    owner: module.to_string(),
                    gpl_only: *gpl_only,
                },
            );
        }
    }

    /// Drop everything `module` exports.
    pub fn remove_module(&mut self, module: &str) {
        self.by_name.retain(|_, e| e.owner != module);
    }

    /// How many symbols are exported.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// No symbol is exported.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// The kernel's `license_is_gpl_compatible()`.
pub fn license_is_gpl_compatible(license: &str) -> bool {
    matches!(
        license,
        "GPL"
            | "GPL v2"
            | "GPL and additional rights"
            | "Dual BSD/GPL"
            | "Dual MIT/GPL"
            | "Dual MPL/GPL"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpl_only_symbols_need_a_gpl_license() {
        let mut t = SymbolTable::default();
        t.add(
            "crasher",
            &[("crasher_ping".into(), true), ("open".into(), false)],
        );
        assert_eq!(t.resolve("crasher_ping", true), Ok("crasher"));
        assert_eq!(
            t.resolve("crasher_ping", false),
            Err(Unresolved::GplOnly {
                owner: "crasher".into()
            })
        );
        assert_eq!(t.resolve("open", false), Ok("crasher"));
        assert_eq!(t.resolve("nope", true), Err(Unresolved::Missing));
        t.remove_module("crasher");
        assert!(t.is_empty());
        assert!(license_is_gpl_compatible("Dual BSD/GPL"));
        assert!(!license_is_gpl_compatible("Proprietary"));
    }
}

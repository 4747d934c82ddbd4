//! Symbols: undefined ones resolved through the caller's [`Resolver`] (all
//! unknown names collected before failing, as the kernel logs each), weak
//! undefined ones to 0, `SHN_ABS` ones as they are, defined ones to their
//! final addresses.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::layout::{Layout, Placement};
use crate::parse::{Object, SymbolPlace};

/// Resolves the names a module imports to addresses.
pub trait Resolver {
    /// The address of `name`, or `None` if unknown.
    fn resolve(&mut self, name: &str) -> Option<u64>;
}

impl<F: FnMut(&str) -> Option<u64>> Resolver for F {
    fn resolve(&mut self, name: &str) -> Option<u64> {
        self(name)
    }
}

/// A symbol's final value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SymValue {
    Addr(u64),
    /// Defined in a section that is not loaded (index): an error only if a
    /// relocation of a loaded section uses it.
    NotLoaded(usize),
}

/// The address of a symbol defined in section `sec` at `value`, given the
/// image base.
pub(crate) fn defined_value(layout: &Layout, base: u64, sec: usize, value: u64) -> SymValue {
    match layout.placement(sec) {
        Placement::Image { offset, .. } => {
            SymValue::Addr(base.wrapping_add(offset).wrapping_add(value))
        }
        Placement::External { address } => SymValue::Addr(address.wrapping_add(value)),
        Placement::NotLoaded => SymValue::NotLoaded(sec),
    }
}

/// Every symbol's final value, by symbol index.
pub(crate) fn resolve(
    obj: &Object<'_>,
    layout: &Layout,
    base: u64,
    resolver: &mut dyn Resolver,
) -> Result<Vec<SymValue>> {
    let mut values = Vec::with_capacity(obj.symbols().len());
    let mut unknown: Vec<String> = Vec::new();
    // Names seen missing: a set, so a file with many imports stays linear.
    let mut missing: HashSet<&str> = HashSet::new();
    for sym in obj.symbols() {
        let v = match sym.place {
            SymbolPlace::Undefined if sym.index == 0 => SymValue::Addr(0),
            SymbolPlace::Undefined => {
                let builtin = layout
                    .plan
                    .builtin_symbol(sym.name)
                    .and_then(|(kind, off)| {
                        layout
                            .loader_sections()
                            .iter()
                            .find(|x| x.kind == kind)
                            .map(|x| base.wrapping_add(x.offset).wrapping_add(off))
                    });
                match builtin.or_else(|| resolver.resolve(sym.name)) {
                    Some(a) => SymValue::Addr(a),
                    None if sym.is_weak() => SymValue::Addr(0),
                    None => {
                        if missing.insert(sym.name) {
                            unknown.push(sym.name.to_string());
                        }
                        SymValue::Addr(0)
                    }
                }
            }
            SymbolPlace::Absolute => SymValue::Addr(sym.value),
            SymbolPlace::Section(sec) => defined_value(layout, base, sec, sym.value),
        };
        values.push(v);
    }
    if unknown.is_empty() {
        Ok(values)
    } else {
        Err(Error::UnknownSymbols(unknown))
    }
}

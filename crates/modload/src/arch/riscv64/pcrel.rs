//! `PCREL_LO12_I`/`_S` complete a `PCREL_HI20` or `GOT_HI20`: their symbol
//! is the label of the `auipc` carrying the hi part (S + A is its address),
//! and their value is the low 12 bits of *that* relocation's offset. The hi
//! relocations are indexed by (section, offset) before layout, so a lo one
//! finds its partner in constant time whichever comes first.

use std::collections::HashMap;

use super::r;
use crate::arch::{Cx, Site};
use crate::error::{Error, Result};
use crate::parse::SymbolPlace;

/// A hi relocation a lo one can refer to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hi {
    pub r_type: u32,
    pub symbol: usize,
    pub addend: i64,
}

/// The hi relocations of the loaded sections, by (section, offset).
#[derive(Default)]
pub(crate) struct HiIndex(HashMap<(usize, u64), Hi>);

impl HiIndex {
    pub(crate) fn note(&mut self, section: usize, offset: u64, hi: Hi) {
        if matches!(hi.r_type, r::PCREL_HI20 | r::GOT_HI20) {
            self.0.entry((section, offset)).or_insert(hi);
        }
    }

    /// The partner of the lo relocation at `site` and its place (the
    /// label's address).
    pub(crate) fn partner(&self, cx: &Cx<'_, '_>, site: &Site) -> Result<(Hi, u64)> {
        let a = site.addend.unwrap_or(0);
        let found = cx.symbol(site).and_then(|sym| match sym.place {
            SymbolPlace::Section(sec) => {
                let at = sym.value.wrapping_add(a as u64);
                self.0.get(&(sec, at)).copied()
            }
            _ => None,
        });
        match found {
            Some(hi) => {
                let place = cx.value(site)?.wrapping_add(a as u64);
                Ok((hi, place))
            }
            None => Err(Error::UnpairedRelocation {
                site: cx.describe(site),
                detail: "its symbol must label an R_RISCV_PCREL_HI20 or R_RISCV_GOT_HI20 of a \
                         loaded section, and none is there"
                    .into(),
            }),
        }
    }
}

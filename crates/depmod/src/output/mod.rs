//! Every `modules.*` file depmod writes, built in memory, in kmod's order.
//!
//! The files are independent of one another, so they are built in
//! parallel; the messages each produces are replayed afterwards in kmod's
//! file order, so the log reads as kmod's does.

mod alias;
mod builtin;
mod dep;
mod devname;
mod softdep;
mod symbols;

pub use alias::alias_normalize;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::report::{Collect, Reporter};
use crate::Resolved;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name inside the module directory (`modules.dep`).
    pub name: &'static str,
    /// Full contents.
    pub data: Vec<u8>,
    /// A binary index (not printed by `-n`).
    pub binary: bool,
}

type Builder = fn(&Resolved, &mut Collect) -> Result<Vec<u8>>;

/// The files in the order kmod writes them: name, binary, builder.
const FILES: [(&str, bool, Builder); 11] = [
    ("modules.dep", false, dep::text),
    ("modules.dep.bin", true, dep::index),
    ("modules.alias", false, alias::text),
    ("modules.alias.bin", true, alias::index),
    ("modules.softdep", false, softdep::softdeps),
    ("modules.weakdep", false, softdep::weakdeps),
    ("modules.symbols", false, symbols::text),
    ("modules.symbols.bin", true, symbols::index),
    ("modules.builtin.bin", true, builtin::index),
    ("modules.builtin.alias.bin", true, builtin::alias_index),
    ("modules.devname", false, devname::text),
];

/// Names of every file depmod writes, in order.
pub fn file_names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|f| f.0)
}

impl Resolved {
    /// Build the output files. `text_only` leaves out the binary indexes
    /// (and what reading their inputs would report), as `-n` does.
    pub fn outputs(&self, text_only: bool, log: &mut dyn Reporter) -> Result<Vec<OutputFile>> {
        let wanted: Vec<&(&str, bool, Builder)> =
            FILES.iter().filter(|f| !(text_only && f.1)).collect();
        let built: Vec<(Result<Vec<u8>>, Collect)> = wanted
            .par_iter()
            .map(|(_, _, build)| {
                let mut local = Collect::default();
                (build(self, &mut local), local)
            })
            .collect();
        let mut files = Vec::with_capacity(built.len());
        let mut failed: Option<Error> = None;
        for ((name, binary, _), (data, local)) in wanted.iter().zip(built) {
            for d in local.diags {
                log.diag(d);
            }
            match data {
                Ok(data) if failed.is_none() => files.push(OutputFile {
                    name,
                    data,
                    binary: *binary,
                }),
                Ok(_) => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(files),
        }
    }
}

/// Finish an index, turning a format limit into an error.
fn finish_index(name: &str, b: &modindex::IndexBuilder) -> Result<Vec<u8>> {
    b.try_to_bytes()
        .map_err(|e| Error::Index(format!("{name}: {e}")))
}

/// Insert into an index; true when the value was already there.
fn insert(
    name: &str,
    b: &mut modindex::IndexBuilder,
    key: &[u8],
    value: &[u8],
    priority: u32,
) -> Result<bool> {
    b.try_insert(key, value, priority)
        .map(|i| i == modindex::Insertion::Duplicate)
        .map_err(|e| Error::Index(format!("{name}: {e}")))
}

//! Every `modules.*` file depmod writes, built in memory, in kmod's order.
//!
//! The files are independent of one another, so they are built in
//! parallel (two lanes of similar work); the messages each produces are
//! replayed afterwards in kmod's file order, so the log reads as kmod's.

mod alias;
mod builtin;
mod dep;
mod devname;
mod softdep;
mod symbols;

pub use alias::alias_normalize;

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

/// One output: file name, binary index or not, which of the two parallel
/// lanes builds it, and its builder.
struct Spec {
    name: &'static str,
    binary: bool,
    lane: Lane,
    build: Builder,
}

/// The files are built on two lanes of about equal work: the alias index
/// (the largest job) with what reads only the modules' strings, against
/// the dependency and symbol files.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
    Aliases,
    Symbols,
}

/// The files in the order kmod writes them.
const FILES: [Spec; 11] = [
    spec("modules.dep", false, Lane::Symbols, dep::text),
    spec("modules.dep.bin", true, Lane::Symbols, dep::index),
    spec("modules.alias", false, Lane::Aliases, alias::text),
    spec("modules.alias.bin", true, Lane::Aliases, alias::index),
    spec("modules.softdep", false, Lane::Aliases, softdep::softdeps),
    spec("modules.weakdep", false, Lane::Aliases, softdep::weakdeps),
    spec("modules.symbols", false, Lane::Symbols, symbols::text),
    spec("modules.symbols.bin", true, Lane::Symbols, symbols::index),
    spec("modules.builtin.bin", true, Lane::Symbols, builtin::index),
    spec(
        "modules.builtin.alias.bin",
        true,
        Lane::Aliases,
        builtin::alias_index,
    ),
    spec("modules.devname", false, Lane::Aliases, devname::text),
];

const fn spec(name: &'static str, binary: bool, lane: Lane, build: Builder) -> Spec {
    Spec {
        name,
        binary,
        lane,
        build,
    }
}

/// Names of every file depmod writes, in order.
pub fn file_names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|f| f.name)
}

impl Resolved {
    /// Build the output files. `text_only` leaves out the binary indexes
    /// (and what reading their inputs would report), as `-n` does.
    pub fn outputs(&self, text_only: bool, log: &mut dyn Reporter) -> Result<Vec<OutputFile>> {
        let wanted: Vec<&Spec> = FILES.iter().filter(|f| !(text_only && f.binary)).collect();
        let lane = |which: Lane| -> Vec<(usize, Result<Vec<u8>>, Collect)> {
            wanted
                .iter()
                .enumerate()
                .filter(|(_, f)| f.lane == which)
                .map(|(i, f)| {
                    let mut local = Collect::default();
                    (i, (f.build)(self, &mut local), local)
                })
                .collect()
        };
        let (a, b) = rayon::join(|| lane(Lane::Aliases), || lane(Lane::Symbols));
        let mut built: Vec<(usize, Result<Vec<u8>>, Collect)> = a.into_iter().chain(b).collect();
        built.sort_by_key(|(i, _, _)| *i);
        let mut files = Vec::with_capacity(built.len());
        let mut failed: Option<Error> = None;
        for (spec, (_, data, local)) in wanted.iter().zip(built) {
            for d in local.diags {
                log.diag(d);
            }
            match data {
                Ok(data) if failed.is_none() => files.push(OutputFile {
                    name: spec.name,
                    data,
                    binary: spec.binary,
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

/// Insert into an index.
fn insert(
    name: &str,
    b: &mut modindex::IndexBuilder,
    key: &[u8],
    value: &[u8],
    priority: u32,
) -> Result<()> {
    b.try_insert(key, value, priority)
        .map_err(|e| Error::Index(format!("{name}: {e}")))
}

/// With `-w`, kmod's warning for each value inserted into `b` that its key
/// already held, in insertion order: `what` and the key and value of the
/// entry, as `message` puts them.
fn warn_duplicates(
    r: &Resolved,
    b: &modindex::IndexBuilder,
    log: &mut Collect,
    message: impl Fn(&[u8], &[u8]) -> String,
) {
    if !r.warn_dups {
        return;
    }
    for n in b.duplicates() {
        if let Some((key, value, _)) = b.get(n) {
            log.diag(crate::report::Diagnostic::new(
                crate::report::Level::Warning,
                message(key, value),
            ));
        }
    }
}

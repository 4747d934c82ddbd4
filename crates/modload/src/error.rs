//! Typed errors, each mapping to the errno the kernel's loader returns for
//! the same fault (so the tools print kmod's message for it).

use std::fmt;

/// Where a relocation applies, for error messages: the type, the symbol,
/// the section it patches and the offset in that section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelocSite {
    /// The relocation's type number (`ELF64_R_TYPE`).
    pub r_type: u32,
    /// Its name (`R_X86_64_PC32`), or `"unknown"`.
    pub type_name: &'static str,
    /// The symbol's name; for a section symbol, the section's name.
    pub symbol: String,
    /// The section patched.
    pub section: String,
    /// The offset of the patched field in that section.
    pub offset: u64,
}

impl fmt::Display for RelocSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Marker relocations (riscv's ALIGN, RELAX) name no symbol.
        if self.symbol.is_empty() {
            write!(
                f,
                "{} at {}+{:#x}",
                self.type_name, self.section, self.offset
            )
        } else {
            write!(
                f,
                "{} against `{}` at {}+{:#x}",
                self.type_name, self.symbol, self.section, self.offset
            )
        }
    }
}

/// Everything that can go wrong while loading a module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ELF type is not `ET_REL` (a module is a relocatable object).
    #[error("not a relocatable object (ELF type {e_type}); a module is ET_REL")]
    NotRelocatable { e_type: u16 },
    /// No relocation engine for this `e_machine`.
    #[error("ELF machine {machine} is not supported by the module loader")]
    WrongMachine { machine: u16 },
    /// The file is not a well-formed ELF64 little-endian object.
    #[error("malformed module: {reason}")]
    Malformed { reason: String },
    /// A `SHN_COMMON` symbol: the kernel refuses them too.
    #[error("common symbol `{name}`: please compile with -fno-common")]
    CommonSymbol { name: String },
    /// A size beyond the loader's limits (image, alignment).
    #[error("{what} of {size:#x} bytes exceeds the limit of {limit:#x}")]
    TooLarge { what: String, size: u64, limit: u64 },
    /// Undefined symbols the resolver did not know, every one of them.
    #[error("unknown symbol{}: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    UnknownSymbols(Vec<String>),
    /// A relocation type this engine does not implement.
    #[error("unsupported relocation {site}")]
    UnsupportedRelocation { site: Box<RelocSite> },
    /// A relocated value does not fit its field.
    #[error("relocation overflow: {site}: value {value:#x} does not fit ({detail})")]
    RelocationOverflow {
        site: Box<RelocSite>,
        value: i128,
        detail: &'static str,
    },
    /// A relocated value is not a multiple of what its instruction encodes
    /// (a branch to an odd address, a 64-bit load from a misaligned one).
    #[error("relocation {site}: value {value:#x} is not a multiple of {align}")]
    RelocationMisaligned {
        site: Box<RelocSite>,
        value: i128,
        align: u64,
    },
    /// A relocation that completes another one finds no partner (riscv's
    /// `PCREL_LO12_*` names the label of a `PCREL_HI20`/`GOT_HI20`).
    #[error("relocation {site}: {detail}")]
    UnpairedRelocation {
        site: Box<RelocSite>,
        detail: String,
    },
    /// The object was assembled for linker relaxation (riscv
    /// `R_RISCV_ALIGN`): only a linker that deletes bytes can honour it.
    #[error(
        "relocation {site}: the object was assembled for linker relaxation, which a module \
         loader does not do; rebuild it with -mno-relax"
    )]
    NeedsRelaxation { site: Box<RelocSite> },
    /// A relocation's field lies (partly) outside its section.
    #[error("relocation {site} is outside the section ({size:#x} bytes)")]
    RelocationOutOfSection { site: Box<RelocSite>, size: u64 },
    /// A relocation refers to a symbol of a section that is not loaded.
    #[error("relocation {site}: the symbol's section `{target}` is not loaded")]
    SymbolNotLoaded {
        site: Box<RelocSite>,
        target: String,
    },
    /// The caller's hook refused a section it asked to place (per-CPU area).
    #[error("section `{section}` ({size:#x} bytes) could not be placed by the caller")]
    ExternalRefused { section: String, size: u64 },
    /// The base address does not suit the layout.
    #[error(
        "base address {base:#x} is not aligned to {align:#x} or the image does not fit above it"
    )]
    BadBase { base: u64, align: u64 },
    /// No memory for the image below 2 GiB (mmap) or mprotect failed.
    #[error("cannot map the module image ({size:#x} bytes) below 2 GiB: {source}")]
    Map {
        size: u64,
        #[source]
        source: std::io::Error,
    },
    /// Executing an object needs a host of the object's architecture.
    #[error("cannot execute a module for ELF machine {machine} on this host")]
    HostMismatch { machine: u16 },
}

impl Error {
    /// The errno the kernel's loader returns for this fault: `ENOEXEC`
    /// ("Exec format error", kmod: "Invalid module format") for format and
    /// relocation problems, `ENOENT` for unknown symbols ("Unknown symbol in
    /// module"), `ENOMEM` where memory or the caller's allocation failed.
    pub fn errno(&self) -> i32 {
        match self {
            Error::UnknownSymbols(_) => libc::ENOENT,
            Error::TooLarge { .. } | Error::ExternalRefused { .. } | Error::Map { .. } => {
                libc::ENOMEM
            }
            Error::BadBase { .. } => libc::EINVAL,
            _ => libc::ENOEXEC,
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Error {
        Error::Malformed {
            reason: reason.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

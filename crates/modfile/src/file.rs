//! Opening a module file: compression is detected by magic bytes, never by
//! name. Plain files are memory-mapped; compressed ones are decompressed once
//! into memory.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use memmap2::Mmap;

use crate::elf::Elf;
use crate::error::{Error, Result};
use crate::signature::Signature;

/// The compression a module file was stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Xz,
    Zstd,
    Gzip,
}

impl Compression {
    const XZ_MAGIC: &'static [u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
    const ZSTD_MAGIC: &'static [u8] = &[0x28, 0xb5, 0x2f, 0xfd];
    const GZIP_MAGIC: &'static [u8] = &[0x1f, 0x8b];
    /// kmod reads this many bytes to identify a file and refuses shorter ones.
    pub const MAGIC_LEN: usize = 6;

    /// Identify the compression from the first bytes of a file.
    pub fn from_magic(head: &[u8]) -> Compression {
        if head.starts_with(Self::ZSTD_MAGIC) {
            Compression::Zstd
        } else if head.starts_with(Self::XZ_MAGIC) {
            Compression::Xz
        } else if head.starts_with(Self::GZIP_MAGIC) {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    /// Short lowercase name ("xz", "zstd", "gzip", "none").
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Gzip => "gzip",
        }
    }
}

enum Contents {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// A module file's contents, decompressed if need be.
pub struct ModuleFile {
    contents: Contents,
    compression: Compression,
}

impl ModuleFile {
    /// Open `path`, detect its compression and load its contents.
    pub fn open(path: impl AsRef<Path>) -> Result<ModuleFile> {
        let mut file = File::open(path.as_ref())?;
        let mut head = [0u8; Compression::MAGIC_LEN];
        let got = read_up_to(&mut file, &mut head)?;
        if got < head.len() {
            return Err(Error::TooShort);
        }
        let compression = Compression::from_magic(&head);
        let contents = match compression {
            Compression::None => {
                // SAFETY: the map is private and read-only; a module file
                // truncated underneath us is the same hazard kmod accepts.
                let map = unsafe { Mmap::map(&file)? };
                Contents::Mapped(map)
            }
            _ => {
                let mut compressed = Vec::new();
                compressed.extend_from_slice(&head);
                file.read_to_end(&mut compressed)?;
                Contents::Owned(decompress(compression, &compressed)?)
            }
        };
        Ok(ModuleFile {
            contents,
            compression,
        })
    }

    /// Wrap bytes already in memory (still compressed or not: detected by magic).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<ModuleFile> {
        if bytes.len() < Compression::MAGIC_LEN {
            return Err(Error::TooShort);
        }
        let compression = Compression::from_magic(&bytes);
        let contents = match compression {
            Compression::None => bytes,
            _ => decompress(compression, &bytes)?,
        };
        Ok(ModuleFile {
            contents: Contents::Owned(contents),
            compression,
        })
    }

    /// The decompressed contents.
    pub fn bytes(&self) -> &[u8] {
        match &self.contents {
            Contents::Mapped(m) => m,
            Contents::Owned(v) => v,
        }
    }

    /// The compression the file was stored with.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Parse the contents as ELF.
    pub fn elf(&self) -> Result<Elf<'_>> {
        Elf::parse(self.bytes())
    }

    /// The appended module signature, if there is one kmod would report.
    pub fn signature(&self) -> Option<Signature<'_>> {
        Signature::parse(self.bytes())
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Decompress a whole buffer in the given format.
pub fn decompress(compression: Compression, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(3));
    let fail = |e: std::io::Error| Error::Decompress {
        format: compression.name(),
        reason: e.to_string(),
    };
    match compression {
        Compression::None => out.extend_from_slice(data),
        Compression::Xz => {
            xz2::read::XzDecoder::new_multi_decoder(data)
                .read_to_end(&mut out)
                .map_err(fail)?;
        }
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(data).map_err(fail)?;
            // kmod stops at the end of the input without complaint when a
            // frame is cut short, and reads what did decompress.
            match decoder.read_to_end(&mut out) {
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
                other => {
                    other.map_err(fail)?;
                }
            }
        }
        Compression::Gzip => {
            flate2::read::MultiGzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(fail)?;
        }
    }
    Ok(out)
}

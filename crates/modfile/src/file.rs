//! Opening a module file: compression is detected by magic bytes, never by
//! name. Plain files are memory-mapped; compressed ones are decompressed once
//! into memory, read from the file as a stream and within [`Limits`].

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use memmap2::Mmap;

use crate::elf::Elf;
use crate::error::{Error, Result};
use crate::limits::{Limits, Reservation};
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
    /// The room an expanded image holds in a shared budget, while it lives.
    _reserved: Option<Reservation>,
}

impl ModuleFile {
    /// Open `path`, detect its compression and load its contents, within
    /// the default [`Limits`].
    pub fn open(path: impl AsRef<Path>) -> Result<ModuleFile> {
        ModuleFile::open_with(path, &Limits::default())
    }

    /// [`open`](Self::open) within `limits`.
    pub fn open_with(path: impl AsRef<Path>, limits: &Limits) -> Result<ModuleFile> {
        let mut file = File::open(path.as_ref())?;
        let mut head = [0u8; Compression::MAGIC_LEN];
        let got = read_up_to(&mut file, &mut head)?;
        if got < head.len() {
            return Err(Error::TooShort);
        }
        let compression = Compression::from_magic(&head);
        if compression == Compression::None {
            // SAFETY: the map is private and read-only; a module file
            // truncated underneath us is the same hazard kmod accepts.
            let map = unsafe { Mmap::map(&file)? };
            return Ok(ModuleFile {
                contents: Contents::Mapped(map),
                compression,
                _reserved: None,
            });
        }
        let size = file.metadata()?.len();
        let (data, reserved) = expand(compression, size, limits, |_attempt| {
            // from the start: past the magic read above, or again after an
            // attempt that outgrew its reservation
            (&file).seek(SeekFrom::Start(0))?;
            Ok(BufReader::with_capacity(64 * 1024, &file))
        })?;
        Ok(ModuleFile {
            contents: Contents::Owned(data),
            compression,
            _reserved: reserved,
        })
    }

    /// Wrap bytes already in memory (still compressed or not: detected by
    /// magic), within the default [`Limits`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<ModuleFile> {
        ModuleFile::from_bytes_with(bytes, &Limits::default())
    }

    /// [`from_bytes`](Self::from_bytes) within `limits`.
    pub fn from_bytes_with(bytes: Vec<u8>, limits: &Limits) -> Result<ModuleFile> {
        if bytes.len() < Compression::MAGIC_LEN {
            return Err(Error::TooShort);
        }
        let compression = Compression::from_magic(&bytes);
        if compression == Compression::None {
            return Ok(ModuleFile {
                contents: Contents::Owned(bytes),
                compression,
                _reserved: None,
            });
        }
        let size = bytes.len() as u64;
        let (data, reserved) = expand(compression, size, limits, |_| Ok(&bytes[..]))?;
        Ok(ModuleFile {
            contents: Contents::Owned(data),
            compression,
            _reserved: reserved,
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

/// Decompress a whole buffer in the given format, within the default
/// [`Limits`].
pub fn decompress(compression: Compression, data: &[u8]) -> Result<Vec<u8>> {
    if compression == Compression::None {
        return Ok(data.to_vec());
    }
    let limits = Limits::default();
    let (out, _) = expand(compression, data.len() as u64, &limits, |_| Ok(data))?;
    Ok(out)
}

/// The first reservation for an image: real modules expand 3 to 5 times,
/// so eight times the compressed size rarely needs a second attempt.
const FIRST_GUESS_FACTOR: u64 = 8;
const MIN_RESERVATION: u64 = 1 << 20;

/// Expand a compressed stream, read from what `input(attempt)` gives,
/// within `limits`. With a budget, room is reserved first and the stream
/// decoded up to it; a stream that outgrows its reservation gives it back
/// and starts over with four times as much (at worst a third more work),
/// so that nobody waits for room while holding some.
fn expand<R: BufRead>(
    compression: Compression,
    compressed_len: u64,
    limits: &Limits,
    mut input: impl FnMut(u32) -> std::io::Result<R>,
) -> Result<(Vec<u8>, Option<Reservation>)> {
    let Some(budget) = &limits.budget else {
        let max = limits.max_decompressed;
        return match decode_capped(compression, input(0)?, max, compressed_len) {
            Ok(out) => Ok((out, None)),
            Err(Stop::Full) => Err(Error::TooLarge { limit: max }),
            Err(Stop::Failed(e)) => Err(e),
        };
    };
    let max = limits.max_decompressed.min(budget.total());
    let mut room = compressed_len
        .saturating_mul(FIRST_GUESS_FACTOR)
        .max(MIN_RESERVATION)
        .min(max);
    for attempt in 0.. {
        let mut reserved = budget.reserve(room);
        match decode_capped(compression, input(attempt)?, room, compressed_len) {
            Ok(out) => {
                reserved.shrink_to(out.capacity() as u64);
                return Ok((out, Some(reserved)));
            }
            Err(Stop::Full) if room < max => room = room.saturating_mul(4).min(max),
            Err(Stop::Full) => return Err(Error::TooLarge { limit: max }),
            Err(Stop::Failed(e)) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

/// Why decoding stopped early.
enum Stop {
    /// More than the cap would come out.
    Full,
    Failed(Error),
}

/// Bytes pulled from the decoder at a time; the output grows only by what
/// actually arrives (never by a size the stream claims).
const CHUNK: usize = 256 * 1024;

/// Decode a whole stream, keeping at most `cap` bytes of output;
/// `compressed_len` only guides the first allocation.
fn decode_capped(
    compression: Compression,
    input: impl BufRead,
    cap: u64,
    compressed_len: u64,
) -> std::result::Result<Vec<u8>, Stop> {
    let fail = |e: std::io::Error| {
        Stop::Failed(Error::Decompress {
            format: compression.name(),
            reason: e.to_string(),
        })
    };
    let mut decoder: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(input),
        Compression::Xz => {
            return decode_xz(input, cap, compressed_len).map_err(|e| match e {
                XzStop::Full => Stop::Full,
                XzStop::OutOfMemory => Stop::Failed(Error::OutOfMemory),
                XzStop::Io(e) => fail(e),
            })
        }
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(input).map_err(fail)?)
        }
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
    };
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // kmod stops at the end of the input without complaint when a
            // zstd frame or a gzip stream is cut short (zlib's gzread
            // tolerates a missing end), and reads what did decompress.
            Err(e)
                if matches!(compression, Compression::Zstd | Compression::Gzip)
                    && e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                break
            }
            Err(e) => return Err(fail(e)),
        };
        if n == 0 {
            break;
        }
        if n > cap - out.len() {
            return Err(Stop::Full);
        }
        if out.capacity() - out.len() < n {
            // Double, within the cap; fail like an allocation failure
            // rather than abort when the system has no memory left.
            let want = (out.capacity().max(CHUNK) * 2).clamp(out.len() + n, cap);
            out.try_reserve_exact(want - out.len())
                .map_err(|_| Stop::Failed(Error::OutOfMemory))?;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    out.shrink_to_fit();
    Ok(out)
}

/// Why [`decode_xz`] stopped early.
enum XzStop {
    Full,
    OutOfMemory,
    Io(std::io::Error),
}

/// Decode an xz (or lzma) stream, concatenated streams included, straight
/// into the output vector: most of a `.ko.xz` tree's run is spent here,
/// and going through a zeroed bounce buffer cost a copy of every byte.
/// Errors are those `liblzma::bufread::XzDecoder::new_multi_decoder` reports,
/// in its words.
fn decode_xz(
    mut input: impl BufRead,
    cap: u64,
    compressed_len: u64,
) -> std::result::Result<Vec<u8>, XzStop> {
    use liblzma::stream::{Action, Status, Stream};
    use std::io::{Error as IoError, ErrorKind};
    let io = |e: liblzma::stream::Error| XzStop::Io(IoError::from(e));
    let mut stream =
        Stream::new_auto_decoder(u64::MAX, liblzma::stream::CONCATENATED).map_err(io)?;
    // One byte past the cap shows that more would come out.
    let limit = usize::try_from(cap).unwrap_or(usize::MAX).saturating_add(1);
    let mut out: Vec<u8> = Vec::new();
    // Modules expand three to five times: most need no second allocation.
    let first = usize::try_from(compressed_len.saturating_mul(5))
        .unwrap_or(usize::MAX)
        .max(CHUNK)
        .min(limit);
    out.try_reserve_exact(first)
        .map_err(|_| XzStop::OutOfMemory)?;
    loop {
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return Err(XzStop::Full);
            }
            let want = (out.capacity() * 2).clamp(out.len() + 1, limit);
            out.try_reserve_exact(want - out.len())
                .map_err(|_| XzStop::OutOfMemory)?;
        }
        let (status, produced, consumed, eof) = {
            let data = input.fill_buf().map_err(XzStop::Io)?;
            let eof = data.is_empty();
            let action = if eof { Action::Finish } else { Action::Run };
            let (before_out, before_in) = (stream.total_out(), stream.total_in());
            let status = stream.process_vec(data, &mut out, action);
            let produced = stream.total_out() - before_out;
            let consumed = (stream.total_in() - before_in) as usize;
            (status, produced, consumed, eof)
        };
        input.consume(consumed);
        if out.len() >= limit {
            return Err(XzStop::Full);
        }
        match status.map_err(io)? {
            Status::StreamEnd => break,
            _ if eof && produced == 0 => {
                return Err(XzStop::Io(IoError::new(
                    ErrorKind::UnexpectedEof,
                    "premature eof",
                )))
            }
            _ if !eof && produced == 0 && consumed == 0 => {
                return Err(XzStop::Io(IoError::new(
                    ErrorKind::InvalidData,
                    "corrupt xz stream",
                )))
            }
            _ => {}
        }
    }
    out.shrink_to_fit();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MemoryBudget;
    use std::io::Write;

    fn compress(compression: Compression, data: &[u8]) -> Vec<u8> {
        match compression {
            Compression::None => data.to_vec(),
            Compression::Zstd => zstd::stream::encode_all(data, 3).unwrap(),
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }

    const FORMATS: [Compression; 3] = [Compression::Zstd, Compression::Xz, Compression::Gzip];

    fn limited(max: u64) -> Limits {
        Limits {
            max_decompressed: max,
            budget: None,
        }
    }

    #[test]
    fn up_to_the_limit_is_accepted_one_byte_more_is_not() {
        for c in FORMATS {
            let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            let packed = compress(c, &data);
            let f = ModuleFile::from_bytes_with(packed.clone(), &limited(300_000)).unwrap();
            assert_eq!(f.bytes(), &data[..], "{c:?}");
            let err = ModuleFile::from_bytes_with(packed, &limited(299_999))
                .err()
                .unwrap();
            assert!(
                matches!(err, Error::TooLarge { limit: 299_999 }),
                "{c:?}: {err}"
            );
            assert_eq!(err.errno(), 27);
        }
    }

    #[test]
    fn limits_below_one_read_chunk_hold_too() {
        for c in FORMATS {
            let data: Vec<u8> = (0..1_000u32).map(|i| (i % 7) as u8).collect();
            let packed = compress(c, &data);
            let f = ModuleFile::from_bytes_with(packed.clone(), &limited(1_000)).unwrap();
            assert_eq!(f.bytes(), &data[..], "{c:?}");
            let err = ModuleFile::from_bytes_with(packed, &limited(999))
                .err()
                .unwrap();
            assert!(
                matches!(err, Error::TooLarge { limit: 999 }),
                "{c:?}: {err}"
            );
        }
    }

    #[test]
    fn a_bomb_is_refused_at_the_limit() {
        for c in FORMATS {
            let packed = compress(c, &vec![0u8; 64 << 20]);
            assert!(packed.len() < 1 << 20, "{c:?}: {} bytes", packed.len());
            let err = ModuleFile::from_bytes_with(packed, &limited(4 << 20))
                .err()
                .unwrap();
            assert!(matches!(err, Error::TooLarge { .. }), "{c:?}: {err}");
        }
    }

    #[test]
    fn files_stream_from_disk_within_the_limit() {
        let dir = std::env::temp_dir().join(format!("modfile-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bomb.ko.zst");
        std::fs::write(&path, compress(Compression::Zstd, &vec![0u8; 32 << 20])).unwrap();
        let err = ModuleFile::open_with(&path, &limited(1 << 20))
            .err()
            .unwrap();
        assert!(matches!(err, Error::TooLarge { .. }), "{err}");
        let ok = ModuleFile::open_with(&path, &limited(32 << 20)).unwrap();
        assert_eq!(ok.bytes().len(), 32 << 20);
        assert_eq!(ok.compression(), Compression::Zstd);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_budget_grows_the_reservation_and_gives_it_back() {
        let budget = MemoryBudget::new(16 << 20);
        let limits = Limits {
            max_decompressed: 64 << 20,
            budget: Some(budget.clone()),
        };
        // 10 MiB from ~1 KB: the first guess (1 MiB) is too small, the
        // second attempt (4 MiB) too, the third (16 MiB) fits.
        let data = vec![7u8; 10 << 20];
        let f = ModuleFile::from_bytes_with(compress(Compression::Zstd, &data), &limits).unwrap();
        assert_eq!(f.bytes().len(), data.len());
        assert!(budget.in_use() >= data.len() as u64 && budget.in_use() <= 16 << 20);
        drop(f);
        assert_eq!(budget.in_use(), 0);
        // beyond the budget itself: refused, nothing kept
        let big = compress(Compression::Zstd, &vec![0u8; 20 << 20]);
        let err = ModuleFile::from_bytes_with(big, &limits).err().unwrap();
        assert!(
            matches!(err, Error::TooLarge { limit } if limit == 16 << 20),
            "{err}"
        );
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn truncated_zstd_keeps_what_decompressed() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let packed = compress(Compression::Zstd, &data);
        let cut = &packed[..packed.len() - 10];
        let out = decompress(Compression::Zstd, cut).unwrap();
        assert!(!out.is_empty() && data.starts_with(&out));
    }

    /// zlib's gzread, which kmod reads gzip with, ends a stream cut short
    /// without an error: what decompressed is the module.
    #[test]
    fn truncated_gzip_keeps_what_decompressed() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let packed = compress(Compression::Gzip, &data);
        let cut = &packed[..packed.len() / 2];
        let out = decompress(Compression::Gzip, cut).unwrap();
        assert!(!out.is_empty() && data.starts_with(&out));
    }

    #[test]
    fn corrupt_streams_fail_as_before() {
        for c in FORMATS {
            let mut packed = compress(c, b"some module contents, long enough to matter");
            let mid = packed.len() / 2;
            packed[mid] ^= 0xff;
            packed.truncate(packed.len() - 2);
            match ModuleFile::from_bytes(packed) {
                Err(Error::Decompress { .. }) => {}
                Ok(f) if matches!(c, Compression::Zstd | Compression::Gzip) => {
                    assert!(f.elf().is_err())
                }
                Err(e) => panic!("{c:?}: {e}"),
                Ok(_) => panic!("{c:?}: corrupt stream accepted"),
            }
        }
    }
}

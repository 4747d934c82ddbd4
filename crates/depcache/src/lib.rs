//! rdepmod's cache of what it read from each module file, so that a run
//! re-reads only the files that are new or changed.
//!
//! This crate knows the file format and the identity of module files; what
//! a record holds is its caller's business (depmod stores each module's
//! symbols and `.modinfo` strings as an opaque byte string, and says which
//! record layout it wrote in the [stamp](Cache::parse)).
//!
//! # Keys
//!
//! A record is found by the module's path, spelled as the run spells it
//! (absolute, with the base directory), and is used only when the file's
//! [`FileKey`] — device, inode, size, mtime and ctime to the nanosecond, as
//! `stat(2)` follows symlinks — is the one stored: replacing, rewriting,
//! touching, truncating or renaming a file changes at least one of them.
//! A file changed twice within one tick of a coarse file-system clock could
//! keep its ctime; [`Threshold`] keeps such "racy" files out of the cache
//! (git's rule for its index), so they are re-read until their timestamps
//! are safely in the past.
//!
//! # Format (all integers little-endian)
//!
//! ```text
//! header   magic "RKMODDC\n" (8) | format u32 (= FORMAT) | stamp length u32
//!          | reserved u32 (0) | stamp bytes
//! entry*   path length u32 | path | dev u64 | ino u64 | size u64
//!          | mtime s i64 | mtime ns u32 | ctime s i64 | ctime ns u32
//!          | record length u32 | record
//! trailer  entry count u32 | CRC-32 (IEEE) of everything before it, u32
//!          | magic "END\n" (4)
//! ```
//!
//! The count comes last so that a cache is written in one pass, entry by
//! entry, without the whole file in memory ([`Builder::writing_to`]).
//!
//! # Trust
//!
//! A cache is a hint, never an input to trust: a file that is missing,
//! larger than [`MAX_FILE`], truncated, fails its checksum, has another
//! format, another stamp (another rkmod release or record layout), a
//! duplicate path or any field out of bounds is ignored as a whole
//! ([`Cache::load`] returns an empty cache and the reason). Parsing never
//! panics and allocates at most a small multiple of the file's size, which
//! is itself bounded. The checksum catches accidents, not attacks: whoever
//! may write the module directory may write `modules.dep` as well.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The cache's file name in the module directory: a `modules.` name, so
/// that whatever removes a kernel's module files removes it too.
pub const FILE_NAME: &str = "modules.rkmod-cache";

/// The container format this crate reads and writes (2: the entry count
/// moved to the trailer).
pub const FORMAT: u32 = 2;

/// The largest cache file read (a cache of Debian's 4,000 modules takes
/// about 7 MB): anything larger is ignored unread.
pub const MAX_FILE: u64 = 256 << 20;

const MAGIC: &[u8; 8] = b"RKMODDC\n";
const END: &[u8; 4] = b"END\n";
const HEADER: usize = 8 + 3 * 4;
/// Entry count, CRC, end magic.
const TRAILER: usize = 4 + 4 + 4;
/// The length of a [`FileKey`] as [`FileKey::encode`] writes it.
pub const KEY_LEN: usize = 3 * 8 + 8 + 4 + 8 + 4;
/// What an entry takes beside its path and its record: the smallest
/// possible entry, with an empty path and record.
pub const RECORD_OVERHEAD: usize = 4 + KEY_LEN + 4;

/// The identity of a file's contents as `stat(2)` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

impl FileKey {
    /// The key of a file from its metadata (of an open file or a path).
    pub fn of(meta: &Metadata) -> FileKey {
        FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec() as u32),
            ctime: (meta.ctime(), meta.ctime_nsec() as u32),
        }
    }

    /// `stat(2)` of `path` (symlinks followed).
    pub fn stat(path: &[u8]) -> std::io::Result<FileKey> {
        std::fs::metadata(std::ffi::OsStr::from_bytes(path)).map(|m| FileKey::of(&m))
    }

    /// Append the key's [`KEY_LEN`] bytes, little-endian: dev, ino, size,
    /// mtime (seconds as 8 bytes, nanoseconds as 4), ctime (likewise). The
    /// cache and depmod's replay record both frame keys so.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dev.to_le_bytes());
        out.extend_from_slice(&self.ino.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.mtime.0.to_le_bytes());
        out.extend_from_slice(&self.mtime.1.to_le_bytes());
        out.extend_from_slice(&self.ctime.0.to_le_bytes());
        out.extend_from_slice(&self.ctime.1.to_le_bytes());
    }

    /// Read a key as [`FileKey::encode`] wrote it; `None` when `r` ends
    /// first.
    pub fn decode(r: &mut Reader<'_>) -> Option<FileKey> {
        Some(FileKey {
            dev: r.u64()?,
            ino: r.u64()?,
            size: r.u64()?,
            mtime: (r.u64()? as i64, r.u32()?),
            ctime: (r.u64()? as i64, r.u32()?),
        })
    }
}

/// Which files are too recently changed to be cached: those whose ctime
/// (or mtime) is not strictly older than the file system's clock when the
/// run began, measured by creating a file in the cache's directory. A file
/// on another device than that probe must be two seconds older (the
/// coarsest timestamps Linux file systems keep). Take the threshold before
/// the first module is examined.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// The probe's device and ctime, when one could be made.
    probe: Option<(u64, (i64, u32))>,
    /// The system clock at the start, less the two seconds.
    coarse: (i64, u32),
}

impl Threshold {
    /// Measure the clock of the file system holding `dir`.
    pub fn probe(dir: &Path) -> Threshold {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() as i64, d.subsec_nanos()))
            .unwrap_or((0, 0));
        let probe = tmpfile_ctime(dir);
        Threshold {
            probe,
            coarse: (now.0.saturating_sub(2), now.1),
        }
    }

    /// A threshold under which nothing is ever old enough (tests).
    pub fn never() -> Threshold {
        Threshold {
            probe: None,
            coarse: (i64::MIN, 0),
        }
    }

    /// Whether a file with this key may be cached.
    pub fn settled(&self, key: &FileKey) -> bool {
        let limit = match self.probe {
            Some((dev, t)) if dev == key.dev => t,
            _ => self.coarse,
        };
        key.ctime < limit && key.mtime < limit
    }
}

/// The file system's clock for `dir`: the device and ctime of a new
/// unnamed file made there (`O_TMPFILE`), or `None` where none can be made.
/// A file whose mtime and ctime are both older than this instant, on this
/// device, can no longer be changed without one of them changing.
pub fn fs_clock(dir: &Path) -> Option<(u64, (i64, u32))> {
    tmpfile_ctime(dir)
}

/// The device and ctime of a new unnamed file in `dir`.
fn tmpfile_ctime(dir: &Path) -> Option<(u64, (i64, u32))> {
    use std::os::unix::fs::OpenOptionsExt;
    const O_TMPFILE: i32 = 0o20000000 | 0o200000;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .mode(0o600)
        .custom_flags(O_TMPFILE)
        .open(dir)
        .ok()?;
    let m = f.metadata().ok()?;
    Some((m.dev(), (m.ctime(), m.ctime_nsec() as u32)))
}

/// Why a cache file was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// There is none (or it cannot be opened).
    Missing,
    /// Larger than [`MAX_FILE`].
    TooLarge,
    /// Not a cache file, or cut short.
    Truncated,
    /// Its checksum does not match.
    Checksum,
    /// Another container format.
    Format(u32),
    /// Written by another rkmod release or record layout.
    Stamp,
    /// A field out of bounds, a duplicate path, trailing bytes.
    Malformed,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejected::Missing => write!(f, "no cache"),
            Rejected::TooLarge => write!(f, "cache larger than {MAX_FILE} bytes"),
            Rejected::Truncated => write!(f, "cache truncated"),
            Rejected::Checksum => write!(f, "cache checksum mismatch"),
            Rejected::Format(v) => write!(f, "cache format {v}, not {FORMAT}"),
            Rejected::Stamp => write!(f, "cache written by another version"),
            Rejected::Malformed => write!(f, "cache malformed"),
        }
    }
}

/// One record's place in the file.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: FileKey,
    start: usize,
    len: usize,
}

/// A cache read from a file: records by path.
#[derive(Debug, Default)]
pub struct Cache {
    data: Vec<u8>,
    index: HashMap<Box<[u8]>, Slot>,
}

impl Cache {
    /// Read `dir`/[`FILE_NAME`]; `stamp` names the writer and its record
    /// layout. Never fails: an unusable file gives an empty cache and the
    /// reason.
    pub fn load(dir: &Path, stamp: &[u8]) -> (Cache, Option<Rejected>) {
        match read_bounded(&dir.join(FILE_NAME)).and_then(|d| Cache::parse(d, stamp)) {
            Ok(c) => (c, None),
            Err(e) => (Cache::default(), Some(e)),
        }
    }

    /// Check and index a cache file's bytes.
    pub fn parse(data: Vec<u8>, stamp: &[u8]) -> Result<Cache, Rejected> {
        if data.len() < HEADER + TRAILER || &data[..8] != MAGIC {
            return Err(Rejected::Truncated);
        }
        let body_end = data.len() - TRAILER;
        let word = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap_or([0; 4]));
        if &data[body_end + 8..] != END {
            return Err(Rejected::Truncated);
        }
        let mut r = Reader {
            data: &data[..body_end],
            at: 8,
        };
        let format = r.u32().ok_or(Rejected::Truncated)?;
        if format != FORMAT {
            return Err(Rejected::Format(format));
        }
        if crc32fast::hash(&data[..body_end + 4]) != word(body_end + 4) {
            return Err(Rejected::Checksum);
        }
        let bad = Rejected::Malformed;
        let count = word(body_end) as usize;
        let stamp_len = r.u32().ok_or(bad.clone())? as usize;
        let _reserved = r.u32().ok_or(bad.clone())?;
        if r.bytes(stamp_len).ok_or(bad.clone())? != stamp {
            return Err(Rejected::Stamp);
        }
        if count > r.left() / RECORD_OVERHEAD {
            return Err(bad);
        }
        let mut index = HashMap::with_capacity(count);
        for _ in 0..count {
            let plen = r.u32().ok_or(bad.clone())? as usize;
            let path = r.bytes(plen).ok_or(bad.clone())?;
            let key = FileKey::decode(&mut r).ok_or(bad.clone())?;
            let len = r.u32().ok_or(bad.clone())? as usize;
            let start = r.at;
            r.bytes(len).ok_or(bad.clone())?;
            if index
                .insert(Box::from(path), Slot { key, start, len })
                .is_some()
            {
                return Err(bad);
            }
        }
        if r.left() != 0 {
            return Err(bad);
        }
        Ok(Cache { data, index })
    }

    /// The record stored for `path`, if its key is `key`.
    pub fn get(&self, path: &[u8], key: &FileKey) -> Option<&[u8]> {
        let slot = self.index.get(path)?;
        if slot.key != *key {
            return None;
        }
        self.data.get(slot.start..slot.start + slot.len)
    }

    /// The key stored for `path`, if any.
    pub fn key(&self, path: &[u8]) -> Option<FileKey> {
        self.index.get(path).map(|s| s.key)
    }

    /// Every record: path, key and bytes (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], FileKey, &[u8])> + '_ {
        self.index.iter().map(|(path, slot)| {
            let record = self
                .data
                .get(slot.start..slot.start + slot.len)
                .unwrap_or(&[]);
            (&path[..], slot.key, record)
        })
    }

    /// The size of the file it was read from.
    pub fn file_size(&self) -> usize {
        self.data.len()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// The file's bytes, unless it is missing, not a regular file, or larger
/// than [`MAX_FILE`]. Never more than its size at opening is read (a file
/// growing meanwhile reads as truncated).
fn read_bounded(path: &Path) -> Result<Vec<u8>, Rejected> {
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking: a FIFO in its place must not stall the run.
    const O_NONBLOCK: i32 = 0o4000;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(|_| Rejected::Missing)?;
    let meta = f.metadata().map_err(|_| Rejected::Missing)?;
    if !meta.is_file() {
        return Err(Rejected::Missing);
    }
    if meta.len() > MAX_FILE {
        return Err(Rejected::TooLarge);
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    f.take(meta.len())
        .read_to_end(&mut data)
        .map_err(|_| Rejected::Missing)?;
    Ok(data)
}

/// Builds a cache file, entry by entry, into a `W`: a vector of its bytes
/// ([`new`](Self::new)) or any writer ([`writing_to`](Self::writing_to)),
/// to which it passes the file in pieces of about [`Builder::PIECE`] bytes.
#[derive(Debug)]
pub struct Builder<W: Write = Vec<u8>> {
    sink: W,
    /// What is not passed to `sink` yet.
    out: Vec<u8>,
    /// The checksum of what was passed.
    crc: crc32fast::Hasher,
    count: u32,
    /// The first error of `sink`, after which nothing more is passed.
    failed: Option<io::Error>,
}

impl Builder<Vec<u8>> {
    /// A cache for the writer and record layout `stamp`, built in memory.
    pub fn new(stamp: &[u8]) -> Builder<Vec<u8>> {
        Builder::writing_to(Vec::new(), stamp)
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        // Writing to a vector cannot fail.
        self.finish_writing().unwrap_or_default()
    }
}

impl<W: Write> Builder<W> {
    /// How much is gathered before it is passed to the writer.
    pub const PIECE: usize = 64 << 10;

    /// A cache for `stamp`, written to `sink` as it is built.
    pub fn writing_to(sink: W, stamp: &[u8]) -> Builder<W> {
        let mut out = Vec::with_capacity(Self::PIECE + 4096);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&(stamp.len() as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(stamp);
        Builder {
            sink,
            out,
            crc: crc32fast::Hasher::new(),
            count: 0,
            failed: None,
        }
    }

    /// Add the record of the file at `path` with `key`. Paths and records
    /// of 4 GiB or more are not stored (no module comes near); a path must
    /// not be added twice.
    pub fn add(&mut self, path: &[u8], key: &FileKey, record: &[u8]) {
        self.add_with(path, key, |out| {
            out.extend_from_slice(record);
            true
        });
    }

    /// [`add`](Self::add) a record that `write` appends to the buffer it is
    /// given (no copy); when `write` returns `false`, nothing is added.
    pub fn add_with(
        &mut self,
        path: &[u8],
        key: &FileKey,
        write: impl FnOnce(&mut Vec<u8>) -> bool,
    ) {
        let Ok(plen) = u32::try_from(path.len()) else {
            return;
        };
        let start = self.out.len();
        self.out.extend_from_slice(&plen.to_le_bytes());
        self.out.extend_from_slice(path);
        key.encode(&mut self.out);
        let len_at = self.out.len();
        self.out.extend_from_slice(&0u32.to_le_bytes());
        let written = write(&mut self.out);
        let len = u32::try_from(self.out.len() - len_at - 4);
        match (written, len) {
            (true, Ok(len)) => {
                self.out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
                self.count += 1;
            }
            _ => self.out.truncate(start),
        }
        if self.out.len() >= Self::PIECE {
            self.pass();
        }
    }

    /// Pass what was gathered to the writer.
    fn pass(&mut self) {
        self.crc.update(&self.out);
        if self.failed.is_none() {
            if let Err(e) = self.sink.write_all(&self.out) {
                self.failed = Some(e);
            }
        }
        self.out.clear();
    }

    /// Number of records added.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Write the trailer and flush; the writer back, or the first error
    /// writing to it.
    pub fn finish_writing(mut self) -> io::Result<W> {
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.crc.update(&self.out);
        let crc = std::mem::take(&mut self.crc).finalize();
        self.out.extend_from_slice(&crc.to_le_bytes());
        self.out.extend_from_slice(END);
        if self.failed.is_none() {
            if let Err(e) = self.sink.write_all(&self.out) {
                self.failed = Some(e);
            }
        }
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.sink.flush().map(|()| self.sink),
        }
    }
}

/// A bounds-checked little-endian reader (also for callers' records).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, at: 0 }
    }

    /// Bytes not read yet.
    pub fn left(&self) -> usize {
        self.data.len() - self.at
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let b = self.data.get(self.at..end)?;
        self.at = end;
        Some(b)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.bytes(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    }

    /// A count of items of at least `item` bytes each, refused when the
    /// bytes left could not hold that many: no allocation sized from a
    /// count can exceed the input.
    pub fn count(&mut self, item: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n <= self.left() / item.max(1)).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> FileKey {
        FileKey {
            dev: 1,
            ino: n,
            size: 100 + n,
            mtime: (1000, 5),
            ctime: (1000, 7),
        }
    }

    fn sample() -> Vec<u8> {
        let mut b = Builder::new(b"test 1");
        b.add(b"/a.ko", &key(1), b"record a");
        b.add(b"/b.ko", &key(2), b"");
        b.finish()
    }

    #[test]
    fn round_trip() {
        let c = Cache::parse(sample(), b"test 1").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(b"/a.ko", &key(1)), Some(&b"record a"[..]));
        assert_eq!(c.get(b"/b.ko", &key(2)), Some(&b""[..]));
        assert_eq!(c.get(b"/a.ko", &key(2)), None);
        assert_eq!(c.get(b"/c.ko", &key(1)), None);
        let mut k = key(1);
        k.ctime.1 += 1;
        assert_eq!(c.get(b"/a.ko", &k), None);
    }

    #[test]
    fn add_with_writes_in_place_or_nothing() {
        let mut b = Builder::new(b"s");
        b.add_with(b"/a.ko", &key(1), |out| {
            out.extend_from_slice(b"in place");
            true
        });
        b.add_with(b"/b.ko", &key(2), |out| {
            out.extend_from_slice(b"dropped");
            false
        });
        assert_eq!(b.len(), 1);
        let c = Cache::parse(b.finish(), b"s").unwrap();
        assert_eq!(c.get(b"/a.ko", &key(1)), Some(&b"in place"[..]));
        assert_eq!(c.key(b"/b.ko"), None);
    }

    #[test]
    fn streamed_in_pieces_as_built_in_memory() {
        /// A writer that keeps what it is given and how many calls it took.
        struct Pieces(Vec<u8>, usize);
        impl Write for Pieces {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.extend_from_slice(b);
                self.1 += 1;
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let record = vec![7u8; 1000];
        let (mut mem, mut streamed) = (
            Builder::new(b"s"),
            Builder::writing_to(Pieces(Vec::new(), 0), b"s"),
        );
        for n in 0..300 {
            let path = format!("/m{n}.ko");
            mem.add(path.as_bytes(), &key(n), &record);
            streamed.add(path.as_bytes(), &key(n), &record);
        }
        let bytes = mem.finish();
        let pieces = streamed.finish_writing().unwrap();
        assert_eq!(pieces.0, bytes);
        // 300 KB in pieces of 64 KB: never the whole file at once.
        assert!(pieces.1 >= 5, "{} writes", pieces.1);
        assert_eq!(Cache::parse(bytes, b"s").unwrap().len(), 300);
    }

    #[test]
    fn a_failing_writer_is_an_error() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(28))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut b = Builder::writing_to(Full, b"s");
        b.add(b"/a.ko", &key(1), &[1; 100_000]);
        b.add(b"/b.ko", &key(2), b"x");
        let err = b.finish_writing().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28));
    }

    #[test]
    fn every_truncation_and_flip_is_rejected() {
        let good = sample();
        for n in 0..good.len() {
            assert!(
                Cache::parse(good[..n].to_vec(), b"test 1").is_err(),
                "cut at {n}"
            );
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            assert!(Cache::parse(bad, b"test 1").is_err(), "flip at {i}");
        }
    }

    #[test]
    fn other_stamp_or_format_is_rejected() {
        assert_eq!(
            Cache::parse(sample(), b"test 2").unwrap_err(),
            Rejected::Stamp
        );
        let mut other = sample();
        other[8] = 1;
        let n = other.len() - TRAILER + 4;
        let crc = crc32fast::hash(&other[..n]);
        other[n..n + 4].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            Cache::parse(other, b"test 1").unwrap_err(),
            Rejected::Format(1)
        );
    }

    #[test]
    fn duplicate_paths_and_huge_counts_are_rejected() {
        let mut b = Builder::new(b"s");
        b.add(b"/a.ko", &key(1), b"x");
        b.add(b"/a.ko", &key(2), b"y");
        assert_eq!(
            Cache::parse(b.finish(), b"s").unwrap_err(),
            Rejected::Malformed
        );
        // A count far beyond the bytes: refused before any allocation.
        let mut d = Builder::new(b"s").finish();
        let n = d.len() - TRAILER;
        d[n..n + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let crc = crc32fast::hash(&d[..n + 4]);
        d[n + 4..n + 8].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(Cache::parse(d, b"s").unwrap_err(), Rejected::Malformed);
    }

    #[test]
    fn load_missing_is_empty() {
        let (c, why) = Cache::load(Path::new("/nonexistent-dir-rkmod"), b"s");
        assert!(c.is_empty());
        assert_eq!(why, Some(Rejected::Missing));
    }

    extern "C" {
        #[link_name = "mkfifo"]
        fn libc_mkfifo(path: *const std::os::raw::c_char, mode: u32) -> i32;
    }

    #[test]
    fn load_reads_only_regular_files() {
        let dir = std::env::temp_dir().join(format!("depcache-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        // An endless device in its place reads nothing.
        std::os::unix::fs::symlink("/dev/zero", dir.join(FILE_NAME)).unwrap();
        assert_eq!(Cache::load(&dir, b"s").1, Some(Rejected::Missing));
        std::fs::remove_file(dir.join(FILE_NAME)).unwrap();
        // A FIFO does not block the reader.
        let fifo = std::ffi::CString::new(dir.join(FILE_NAME).as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc_mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert_eq!(Cache::load(&dir, b"s").1, Some(Rejected::Missing));
        std::fs::remove_file(dir.join(FILE_NAME)).unwrap();
        std::fs::write(dir.join(FILE_NAME), sample()).unwrap();
        let (c, why) = Cache::load(&dir, b"test 1");
        assert_eq!((c.len(), why), (2, None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn threshold() {
        let dir = std::env::temp_dir();
        let t = Threshold::probe(&dir);
        let path = dir.join(format!("depcache-threshold-{}", std::process::id()));
        std::fs::write(&path, b"x").unwrap();
        let fresh = FileKey::stat(path.as_os_str().as_bytes()).unwrap();
        // Written after the probe: not settled.
        assert!(!t.settled(&fresh));
        let mut old = fresh;
        old.ctime.0 -= 10;
        old.mtime.0 -= 10;
        assert!(t.settled(&old));
        assert!(!Threshold::never().settled(&old));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn reader_counts_are_bounded() {
        let mut r = Reader::new(&[5, 0, 0, 0, 1, 2, 3]);
        assert_eq!(r.count(1), None);
        let mut r = Reader::new(&[3, 0, 0, 0, 1, 2, 3]);
        assert_eq!(r.count(1), Some(3));
    }
}

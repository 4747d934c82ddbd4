//! A module's bytes in memory, as cheaply as possible: for a plain ELF
//! file only the sections a tool reads (`pread`), packed into a compact
//! ELF image — the original header and section table, every other section
//! emptied. Parsing that image gives exactly what parsing the whole file
//! gives for those sections.
//!
//! This beats mapping the files: with several threads, every `munmap`
//! flushes the other CPUs' TLBs and every map and fault contends for the
//! process's address-space lock, which cost more than the reads (and the
//! compact image keeps memory use low even for 20 MB modules).
//!
//! Compressed files, and anything unusual about a plain one, go through
//! [`ModuleFile`] whole, so every error is the one it reports: plain files
//! are then mapped, compressed ones expanded within the caller's
//! [`Limits`]. A compact image (and the signature read with it) is never
//! larger than [`COMPACT_MAX`], nor than the file; a plain file that would
//! need more is mapped instead, so a crafted file with a huge symbol table
//! costs no heap either.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::elf::Elf;
use crate::error::Result;
use crate::file::ModuleFile;
use crate::limits::Limits;
use crate::signature::Signature;

const SHN_UNDEF: u16 = 0;
const SHN_LORESERVE: u16 = 0xff00;
/// Read neighbouring sections with one call when the gap is this small.
const MERGE_GAP: u64 = 16 * 1024;
/// The largest compact image: the sections depmod reads of the largest
/// real module (amdgpu) take 1.2 MB.
pub const COMPACT_MAX: u64 = 16 << 20;

/// What a tool reads of a module.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// Sections by name.
    pub sections: &'static [&'static [u8]],
    /// Also the sections `__crc_*` symbols point into (their CRCs); needs
    /// `.symtab` and `.strtab` among `sections`.
    pub crcs: bool,
    /// Also the appended signature.
    pub signature: bool,
}

impl Wanted {
    /// What `modinfo` shows: `.modinfo` and the signature.
    pub const MODINFO: Wanted = Wanted {
        sections: &[b".modinfo"],
        crcs: false,
        signature: true,
    };
}

/// A module's bytes: a compact image or the whole (decompressed) file.
pub enum Image {
    Compact {
        elf: Vec<u8>,
        /// The end of the file, holding the whole signature, when wanted
        /// and there is one that fits the file.
        tail: Vec<u8>,
    },
    Whole(ModuleFile),
}

impl Image {
    /// Open the module at `path` and read what is `wanted` of it.
    pub fn open(path: &Path, wanted: &Wanted, limits: &Limits) -> Result<Image> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        Image::read(&file, size, path, wanted, limits)
    }

    /// [`open`](Self::open) with the file already open (`size` its length):
    /// a file that cannot be read in part is opened again by `path` whole.
    pub fn read(
        file: &File,
        size: u64,
        path: &Path,
        wanted: &Wanted,
        limits: &Limits,
    ) -> Result<Image> {
        let mut src = Source::new(file, size);
        if let Some(elf) = compact(&mut src, wanted)? {
            let tail = match wanted.signature {
                true => signature_tail(&src)?,
                false => Some(Vec::new()),
            };
            if let Some(tail) = tail {
                return Ok(Image::Compact { elf, tail });
            }
        }
        Ok(Image::Whole(ModuleFile::open_with(path, limits)?))
    }

    /// The ELF bytes: the compact image or the whole file.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Image::Compact { elf, .. } => elf,
            Image::Whole(f) => f.bytes(),
        }
    }

    /// Parse the bytes as ELF.
    pub fn elf(&self) -> Result<Elf<'_>> {
        Elf::parse(self.bytes())
    }

    /// The appended signature, as [`ModuleFile::signature`] gives it
    /// (for a compact image: only if it was wanted).
    pub fn signature(&self) -> Option<Signature<'_>> {
        match self {
            Image::Compact { tail, .. } => Signature::parse(tail),
            Image::Whole(f) => f.signature(),
        }
    }
}

/// The end of a file that [`Signature::parse`] reads, all of it: empty
/// when the file has no signature trailer, or one claiming more bytes
/// than the file has (which parsing the whole file refuses too); `None`
/// when it would pass [`COMPACT_MAX`] (the file is then mapped).
fn signature_tail(src: &Source) -> io::Result<Option<Vec<u8>>> {
    let size = src.size;
    let mut end = [0u8; Signature::TRAILER_END];
    let Some(at) = size.checked_sub(end.len() as u64) else {
        return Ok(Some(Vec::new()));
    };
    src.read_exact_at(&mut end, at)?;
    let needed = Signature::needed(&end).filter(|&n| n <= size);
    let Some(needed) = needed else {
        return Ok(Some(Vec::new()));
    };
    if needed > COMPACT_MAX {
        return Ok(None);
    }
    let mut tail = Vec::new();
    src.append_at(&mut tail, needed as usize, size - needed)?;
    Ok(Some(tail))
}

/// Read the end of a plain file at once: the section table, the section
/// names and the signature lie there in modules as built, so this one read
/// spares three or four (and for a small module it is the only one).
const END_WINDOW: u64 = 8 * 1024;
/// How much of the end read comes before the section table, for the
/// section names (`.shstrtab`, which the linker puts right before it; a
/// module's are about 400 bytes). Names that lie elsewhere are read on
/// their own.
const NAMES_SLACK: u64 = 1024;

/// A file, with its end (at most [`END_WINDOW`] bytes) once it is read.
struct Source<'a> {
    file: &'a File,
    size: u64,
    end: Vec<u8>,
}

impl<'a> Source<'a> {
    fn new(file: &'a File, size: u64) -> Source<'a> {
        Source {
            file,
            size,
            end: Vec::new(),
        }
    }

    /// Read the last `len` bytes (at most [`END_WINDOW`]).
    fn read_end(&mut self, len: u64) -> io::Result<()> {
        let len = self.size.min(len).min(END_WINDOW);
        let mut end = Vec::new();
        self.append_at(&mut end, len as usize, self.size - len)?;
        self.end = end;
        Ok(())
    }

    /// Append `len` bytes from `at` to `image`, read straight into the
    /// vector's spare room: zeroing the room first (as a slice for
    /// `read_exact_at` needs) took a tenth of a first run's instructions.
    fn append_at(&self, image: &mut Vec<u8>, len: usize, at: u64) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        if let Some(bytes) = self.cached(at, len) {
            image.extend_from_slice(bytes);
            return Ok(());
        }
        let mut at = i64::try_from(at).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        image.reserve_exact(len);
        let stop = image.len() + len;
        while image.len() < stop {
            let want = stop - image.len();
            let room = &mut image.spare_capacity_mut()[..want];
            // SAFETY: pread writes at most `room.len()` bytes, into memory
            // the vector owns and has not counted yet.
            let n = unsafe {
                nix::libc::pread(
                    self.file.as_raw_fd(),
                    room.as_mut_ptr().cast(),
                    room.len(),
                    at,
                )
            };
            match n {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n if n < 0 => {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
                n => {
                    // SAFETY: the `n` bytes after the length were just written.
                    unsafe { image.set_len(image.len() + n as usize) };
                    at += n as i64;
                }
            }
        }
        Ok(())
    }

    /// The `len` bytes at `at`, when they lie in the end window read.
    fn cached(&self, at: u64, len: usize) -> Option<&[u8]> {
        let end_at = self.size - self.end.len() as u64;
        let from = usize::try_from(at.checked_sub(end_at)?).ok()?;
        self.end.get(from..)?.get(..len)
    }

    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        match self.cached(at, buf.len()) {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                Ok(())
            }
            None => self.file.read_exact_at(buf, at),
        }
    }
}

/// The field layout of one ELF class.
struct Layout {
    big_endian: bool,
    wide: bool,
}

impl Layout {
    fn uint(&self, b: &[u8], at: usize, len: usize) -> Option<u64> {
        let bytes = b.get(at..at.checked_add(len)?)?;
        let fold = |v: u64, x: &u8| (v << 8) | u64::from(*x);
        Some(if self.big_endian {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        })
    }

    fn put(&self, b: &mut [u8], at: usize, len: usize, v: u64) {
        let Some(dst) = b.get_mut(at..at + len) else {
            return;
        };
        for (i, d) in dst.iter_mut().enumerate() {
            let shift = if self.big_endian {
                8 * (len - 1 - i)
            } else {
                8 * i
            };
            *d = (v >> shift) as u8;
        }
    }

    fn header_len(&self) -> usize {
        if self.wide {
            64
        } else {
            52
        }
    }

    fn shentsize(&self) -> usize {
        if self.wide {
            64
        } else {
            40
        }
    }

    /// (offset, size) field positions in a section header.
    fn sh_offset_size(&self) -> ((usize, usize), (usize, usize)) {
        if self.wide {
            ((24, 8), (32, 8))
        } else {
            ((16, 4), (20, 4))
        }
    }
}

/// One section header, as read.
#[derive(Clone, Copy)]
struct Sec {
    name: u32,
    offset: u64,
    size: u64,
}

/// Build the compact image of a plain ELF module, or `None` when the file
/// is not one that can be taken this way (compressed, not ELF, or odd).
fn compact(src: &mut Source, wanted: &Wanted) -> io::Result<Option<Vec<u8>>> {
    let size = src.size;
    let mut head = [0u8; 64];
    if size < head.len() as u64 {
        return Ok(None);
    }
    if size <= END_WINDOW {
        src.read_end(END_WINDOW)?;
    }
    src.read_exact_at(&mut head, 0)?;
    if &head[..4] != b"\x7fELF" {
        return Ok(None);
    }
    let lay = match (head[4], head[5]) {
        (1 | 2, 1 | 2) => Layout {
            wide: head[4] == 2,
            big_endian: head[5] == 2,
        },
        _ => return Ok(None),
    };
    let field = |at32: usize, at64: usize, len32: usize, len64: usize| {
        if lay.wide {
            lay.uint(&head, at64, len64)
        } else {
            lay.uint(&head, at32, len32)
        }
    };
    let (Some(shoff), Some(shentsize), Some(shnum), Some(shstrndx)) = (
        field(0x20, 0x28, 4, 8),
        field(0x2e, 0x3a, 2, 2),
        field(0x30, 0x3c, 2, 2),
        field(0x32, 0x3e, 2, 2),
    ) else {
        return Ok(None);
    };
    // The end of the file holds the section table and, just before it,
    // the section names: read from a little before the table (half of
    // what a fixed 8 KB window read, on a distribution's modules).
    if src.end.is_empty() {
        let from_table = size.saturating_sub(shoff).saturating_add(NAMES_SLACK);
        src.read_end(if shoff < size { from_table } else { END_WINDOW })?;
    }
    let entsize = lay.shentsize();
    let table_len = shnum.saturating_mul(entsize as u64);
    if shentsize != entsize as u64
        || shnum == 0
        || shoff.checked_add(table_len).is_none_or(|end| end > size)
    {
        return Ok(None);
    }
    let mut table = Vec::new();
    src.append_at(&mut table, table_len as usize, shoff)?;
    let ((off_at, off_len), (size_at, size_len)) = lay.sh_offset_size();
    let secs: Vec<Sec> = table
        .chunks_exact(entsize)
        .map(|h| Sec {
            name: lay.uint(h, 0, 4).unwrap_or(0) as u32,
            offset: lay.uint(h, off_at, off_len).unwrap_or(u64::MAX),
            size: lay.uint(h, size_at, size_len).unwrap_or(u64::MAX),
        })
        .collect();
    let in_file = |s: &Sec| s.offset.checked_add(s.size).is_some_and(|end| end <= size);
    let Some(strsec) = secs
        .get(shstrndx as usize)
        .filter(|s| shstrndx != 0 && in_file(s))
    else {
        return Ok(None);
    };
    if table_len.saturating_add(strsec.size) > COMPACT_MAX {
        return Ok(None);
    }
    let mut names = Vec::new();
    src.append_at(&mut names, strsec.size as usize, strsec.offset)?;
    let name_of = |s: &Sec| -> &[u8] {
        let rest = names.get(s.name as usize..).unwrap_or(&[]);
        &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())]
    };

    let n = secs.len();
    let mut keep = vec![false; n];
    keep[shstrndx as usize] = true;
    for (i, s) in secs.iter().enumerate().skip(1) {
        if in_file(s) && wanted.sections.contains(&name_of(s)) {
            keep[i] = true;
        }
    }

    // Image: header, section table, then the file ranges that hold the kept
    // sections, read straight into place.
    let hlen = lay.header_len();
    let mut image = Vec::with_capacity(hlen + table.len());
    image.extend_from_slice(&head[..hlen]);
    let table_at = image.len();
    image.extend_from_slice(&table);
    let mut placed: Vec<Option<usize>> = vec![None; n];
    if !append_runs(src, &secs, &keep, &mut image, &mut placed)? {
        return Ok(None);
    }

    // The sections `__crc_` symbols point into hold their CRCs.
    let first = |want: &[u8], placed: &[Option<usize>]| {
        (1..n).find(|&i| placed[i].is_some() && name_of(&secs[i]) == want)
    };
    let (sym, strs) = (first(b".symtab", &placed), first(b".strtab", &placed));
    if let (true, Some(sym), Some(strs)) = (wanted.crcs, sym, strs) {
        let slice = |i: usize| {
            let at = placed[i].unwrap_or(0);
            image.get(at..at + secs[i].size as usize).unwrap_or(&[])
        };
        let extra = crc_sections(&lay, slice(sym), slice(strs), n);
        let mut more = vec![false; n];
        for i in extra {
            more[i] = placed[i].is_none() && in_file(&secs[i]);
        }
        if more.contains(&true) && !append_runs(src, &secs, &more, &mut image, &mut placed)? {
            return Ok(None);
        }
    }

    let (shoff_at, shoff_len) = if lay.wide { (0x28, 8) } else { (0x20, 4) };
    lay.put(&mut image, shoff_at, shoff_len, table_at as u64);
    for (i, sec) in secs.iter().enumerate() {
        let at = table_at + i * entsize;
        let (offset, len) = match placed[i] {
            Some(pos) => (pos as u64, sec.size),
            None if in_file(sec) => (0, 0),
            // Out of bounds stays out of bounds: modfile skips such sections.
            None => (sec.offset, sec.size),
        };
        lay.put(&mut image, at + off_at, off_len, offset);
        lay.put(&mut image, at + size_at, size_len, len);
    }
    // A section outside the file must stay outside the image: a larger
    // image (sections overlapping the header or table) could let one in.
    if image.len() as u64 > size {
        return Ok(None);
    }
    Ok(Some(image))
}

/// Append the marked sections to `image`, reading sections close together
/// with one call (the gap comes along), and note where each landed.
/// `false` (nothing read) when the image would pass [`COMPACT_MAX`].
fn append_runs(
    src: &Source,
    secs: &[Sec],
    marked: &[bool],
    image: &mut Vec<u8>,
    placed: &mut [Option<usize>],
) -> io::Result<bool> {
    let mut order: Vec<usize> = (0..secs.len()).filter(|&i| marked[i]).collect();
    order.sort_by_key(|&i| secs[i].offset);
    let mut runs = Vec::new();
    let mut total = image.len() as u64;
    let mut start = 0;
    while start < order.len() {
        let begin = secs[order[start]].offset;
        let mut end = begin + secs[order[start]].size;
        let mut stop = start + 1;
        while stop < order.len() && secs[order[stop]].offset <= end + MERGE_GAP {
            end = end.max(secs[order[stop]].offset + secs[order[stop]].size);
            stop += 1;
        }
        total = total.saturating_add(end - begin);
        runs.push((start, stop, begin, end));
        start = stop;
    }
    if total > COMPACT_MAX {
        return Ok(false);
    }
    // Exactly what is read: room to spare would be touched memory (and
    // with threads, each keeps its own).
    image.reserve_exact(total as usize - image.len());
    for (start, stop, begin, end) in runs {
        let pos = image.len();
        src.append_at(image, (end - begin) as usize, begin)?;
        for &i in &order[start..stop] {
            placed[i] = Some(pos + (secs[i].offset - begin) as usize);
        }
    }
    Ok(true)
}

/// Indexes of the sections `__crc_` symbols live in.
fn crc_sections(lay: &Layout, symtab: &[u8], strtab: &[u8], nsecs: usize) -> Vec<usize> {
    let (entsize, shndx_at) = if lay.wide { (24, 6) } else { (16, 14) };
    let mut found = Vec::new();
    for sym in symtab.chunks_exact(entsize).skip(1) {
        let name = lay.uint(sym, 0, 4).unwrap_or(u64::MAX) as usize;
        if strtab.get(name..).is_some_and(|n| n.starts_with(b"__crc_")) {
            let shndx = lay.uint(sym, shndx_at, 2).unwrap_or(0) as u16;
            if shndx != SHN_UNDEF && shndx < SHN_LORESERVE && (shndx as usize) < nsecs {
                found.push(shndx as usize);
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

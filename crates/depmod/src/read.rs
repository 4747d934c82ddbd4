//! Getting a module's bytes into memory for depmod, as cheaply as possible.
//!
//! depmod reads a handful of sections of each module: `.modinfo`,
//! `.symtab`, `.strtab`, `__versions`, `__ksymtab_strings` and the
//! sections the `__crc_*` symbols point into — about an eighth of a
//! typical module. For a plain ELF file only those are read (`pread`) and
//! packed into a compact ELF image: the original header and section table,
//! every other section emptied. Parsing that image gives exactly what
//! parsing the whole file gives for those sections.
//!
//! This beats mapping the files: with several threads, every `munmap`
//! flushes the other CPUs' TLBs and every map and fault contends for the
//! process's address-space lock, which cost more than the reads (and the
//! compact image keeps memory use low even for 20 MB modules).
//!
//! Compressed files, and anything unusual about a plain one, go through
//! [`ModuleFile`] whole, so every error is the one modfile reports: plain
//! files are then mapped, compressed ones expanded within the run's
//! [`Limits`] (its memory budget). A compact image is never larger than
//! [`COMPACT_MAX`]; a plain file that would need more is mapped instead,
//! so a crafted file with a huge symbol table costs no heap either.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;

use modfile::{Limits, ModuleFile};

/// Sections depmod reads by name.
const WANTED: [&[u8]; 5] = [
    b".symtab",
    b".strtab",
    b".modinfo",
    b"__versions",
    b"__ksymtab_strings",
];
const SHN_UNDEF: u16 = 0;
const SHN_LORESERVE: u16 = 0xff00;
/// Read neighbouring sections with one call when the gap is this small.
const MERGE_GAP: u64 = 16 * 1024;
/// The largest compact image: the sections depmod reads of the largest
/// real module (amdgpu) take 1.2 MB.
pub(crate) const COMPACT_MAX: u64 = 16 << 20;

/// A module's bytes: a compact image or the whole (decompressed) file.
pub(crate) enum Image {
    Compact(Vec<u8>),
    Whole(ModuleFile),
}

impl Image {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Image::Compact(v) => v,
            Image::Whole(f) => f.bytes(),
        }
    }
}

/// Load what depmod needs of the module at `path`, with the identity of
/// the file opened (taken before its bytes are read, so a file changed
/// while it is read never gets a newer key than its contents).
pub(crate) fn load(path: &[u8], limits: &Limits) -> modfile::Result<(Image, depcache::FileKey)> {
    let path = OsStr::from_bytes(path);
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let key = depcache::FileKey::of(&meta);
    if let Some(image) = compact(&file, meta.len())? {
        return Ok((Image::Compact(image), key));
    }
    Ok((Image::Whole(ModuleFile::open_with(path, limits)?), key))
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
/// is not one depmod can take this way (compressed, not ELF, or odd).
fn compact(file: &File, size: u64) -> io::Result<Option<Vec<u8>>> {
    let mut head = [0u8; 64];
    if size < head.len() as u64 {
        return Ok(None);
    }
    file.read_exact_at(&mut head, 0)?;
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
    let entsize = lay.shentsize();
    let table_len = shnum.saturating_mul(entsize as u64);
    if shentsize != entsize as u64
        || shnum == 0
        || shoff.checked_add(table_len).is_none_or(|end| end > size)
    {
        return Ok(None);
    }
    let mut table = vec![0u8; table_len as usize];
    file.read_exact_at(&mut table, shoff)?;
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
    let mut names = vec![0u8; strsec.size as usize];
    file.read_exact_at(&mut names, strsec.offset)?;
    let name_of = |s: &Sec| -> &[u8] {
        let rest = names.get(s.name as usize..).unwrap_or(&[]);
        &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())]
    };

    let n = secs.len();
    let mut keep = vec![false; n];
    keep[shstrndx as usize] = true;
    for (i, s) in secs.iter().enumerate().skip(1) {
        if in_file(s) && WANTED.contains(&name_of(s)) {
            keep[i] = true;
        }
    }

    // Image: header, section table, then the file ranges that hold the kept
    // sections, read straight into place.
    let hlen = lay.header_len();
    let mut image = Vec::with_capacity(hlen + table.len() + 64 * 1024);
    image.extend_from_slice(&head[..hlen]);
    let table_at = image.len();
    image.extend_from_slice(&table);
    let mut placed: Vec<Option<usize>> = vec![None; n];
    if !append_runs(file, &secs, &keep, &mut image, &mut placed)? {
        return Ok(None);
    }

    // The sections `__crc_` symbols point into hold their CRCs.
    let first = |want: &[u8], placed: &[Option<usize>]| {
        (1..n).find(|&i| placed[i].is_some() && name_of(&secs[i]) == want)
    };
    let (sym, strs) = (first(b".symtab", &placed), first(b".strtab", &placed));
    if let (Some(sym), Some(strs)) = (sym, strs) {
        let slice = |i: usize| {
            let at = placed[i].unwrap_or(0);
            image.get(at..at + secs[i].size as usize).unwrap_or(&[])
        };
        let extra = crc_sections(&lay, slice(sym), slice(strs), n);
        let mut more = vec![false; n];
        for i in extra {
            more[i] = placed[i].is_none() && in_file(&secs[i]);
        }
        if more.contains(&true) && !append_runs(file, &secs, &more, &mut image, &mut placed)? {
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
    Ok(Some(image))
}

/// Append the marked sections to `image`, reading sections close together
/// with one call (the gap comes along), and note where each landed.
/// `false` (nothing read) when the image would pass [`COMPACT_MAX`].
fn append_runs(
    file: &File,
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
    for (start, stop, begin, end) in runs {
        let pos = image.len();
        append_at(file, image, (end - begin) as usize, begin)?;
        for &i in &order[start..stop] {
            placed[i] = Some(pos + (secs[i].offset - begin) as usize);
        }
    }
    Ok(true)
}

/// Append `len` bytes of `file` from `offset` to `image`, read straight
/// into the vector's spare room: zeroing the room first (as a slice for
/// `read_exact_at` needs) took a tenth of a first run's instructions.
fn append_at(file: &File, image: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut at = i64::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    image.reserve_exact(len);
    let end = image.len() + len;
    while image.len() < end {
        let want = end - image.len();
        let room = &mut image.spare_capacity_mut()[..want];
        // SAFETY: pread writes at most `room.len()` bytes, into memory the
        // vector owns and has not counted yet.
        let n =
            unsafe { nix::libc::pread(file.as_raw_fd(), room.as_mut_ptr().cast(), room.len(), at) };
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

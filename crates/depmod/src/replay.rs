//! Replaying a run whose inputs have not changed: when everything a run's
//! outputs and messages depend on is exactly what it was for the run that
//! last wrote the outputs, and the outputs are still the files that run
//! left, rdepmod writes nothing: it prints what that run printed after the
//! same point, exits with its status, and is done.
//!
//! # The record
//!
//! `modules.rkmod-replay` ([`FILE_NAME`], in the output directory, beside
//! the module cache) holds one [`Record`]:
//!
//! * the **digest of the inputs** ([`Digest`], 128 bits) of the run that
//!   wrote it;
//! * the **transcript**: every piece of standard output and standard error
//!   that run printed after the point where a replay is decided, in order,
//!   and its exit status;
//! * the **identity of every output file** as that run left it: device,
//!   inode, size, mtime and ctime to the nanosecond.
//!
//! # What is digested
//!
//! A run reads its configuration (`depmod.d`, `-C`), scans the tree and
//! sorts the modules by `modules.order` *before* the decision, in every
//! run, printing what it prints there as always. What comes after depends
//! only on the state those steps produce and on the files read after them,
//! so that state is what is digested ([`crate::Depmod::replay_digest`]):
//!
//! * the rkmod release and record layout ([`crate::cache::STAMP`]);
//! * every option that reaches the outputs or the messages: the module
//!   directory (`-b`, `-m`, the release), the output directory (`-o`),
//!   `-P`, `-E`/`-F` (whether, and the bytes of the file read), `-e`, `-w`,
//!   the verbosity (`-v`), sim-kernel `.so` trees, the decompression limit;
//! * the modules found, in their sorted order (which is what the
//!   configuration files, the directory listings and `modules.order` were
//!   read for): each one's name, path and file identity (device, inode,
//!   size, mtime, ctime — the module cache's key); a module that cannot be
//!   `stat`ed means no replay;
//! * the bytes of `modules.builtin` and `modules.builtin.modinfo` (or why
//!   they could not be read), which the outputs are built from.
//!
//! A record is written only by a run in which every module's identity was
//! one the module cache may keep (no file changed too recently to tell a
//! later change apart, [`depcache::Threshold`]), was the identity taken
//! for the digest, and whose symbols could be read: a module's identity
//! then stands for its contents, as it does for the cache.
//!
//! The digest is two SipHash-2-4 (the standard library's, so no new
//! dependency) under two fixed, independent random keys: a 128-bit keyed
//! PRF, so two different inputs collide by accident with a probability of
//! about 2⁻¹²⁸. The inputs are encoded unambiguously (every field has its
//! length). It guards against accidents, not attacks: whoever may write
//! the module directory may write `modules.dep` as well. A Rust release
//! that changed the algorithm would only make old records miss.
//!
//! # Outputs still there
//!
//! A replay also needs each output file to be the one the recording run
//! left: any difference in identity (deleted, replaced by a package,
//! edited, touched, `chmod`ed) means a full run. For an identity to stand
//! for contents, no change may be possible without changing it: before
//! the record is made ([`seal`]), the outputs are `stat`ed, the file
//! system's clock is awaited until it is past every output's mtime and
//! ctime (a few milliseconds; on a file system with coarse timestamps no
//! record is made), and then each file is read back and compared with what
//! was meant to be there, and `stat`ed again: a change before that read is
//! seen in the bytes, a change after it gets a later timestamp.
//!
//! # Crash safety
//!
//! The record is written last, after the outputs and the module cache,
//! atomically like them; a run that may replay but cannot make a record
//! removes the old one ([`forget`]). It needs no invalidation before outputs change: a
//! record only ever replays while every output file it names is the very
//! file it describes, whose contents were checked to be that record's.
//! Whatever point a run is killed at, outputs replaced since then no longer
//! match, so the next run with those inputs does the full work.
//!
//! # Which runs replay
//!
//! `rdepmod [-a|-A] [options] [version]` writing into a directory
//! (the whole tree, through the module cache). Never: `-n` (and `--json`),
//! `--graph`, explicit module lists, `RKMOD_DEPMOD_CACHE=0`, or a run whose
//! record could not be made. `-A` keeps its own test (is any module newer
//! than `modules.dep`?) before anything else; when it finds work to do,
//! the run is an `-a` run and may replay.
//!
//! # Timestamps
//!
//! A replay leaves the outputs' mtimes as they are, where kmod rewrites
//! every file on every run. rdepmod already left a file whose contents were
//! right untouched, so nothing changes in kind: `depmod -A` compares the
//! modules' mtimes with `modules.dep`'s, and after a module is touched
//! without being changed it keeps finding "work", which is then a replay
//! (or a full run that finds every file right): the files and what is
//! printed are kmod's either way, only the cost differs.

use std::io::Read;
use std::path::Path;

use depcache::{FileKey, Reader, KEY_LEN};
use pathfs::Dir;

use crate::output::OutputFile;

/// The record's file name in the output directory.
pub const FILE_NAME: &str = "modules.rkmod-replay";

/// The record layout this module reads and writes.
pub const FORMAT: u32 = 1;

const MAGIC: &[u8; 8] = b"RKMODRP\n";
const END: &[u8; 4] = b"END\n";
/// The largest record read: a transcript is a run's messages.
const MAX_FILE: u64 = 64 << 20;
/// How long [`seal`] waits for the file system's clock to move past the
/// outputs' timestamps.
const CLOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(60);

/// A 128-bit digest of a run's inputs (see the [module docs](self)).
#[allow(deprecated)]
#[derive(Debug, Clone)]
pub struct Digest {
    a: std::hash::SipHasher,
    b: std::hash::SipHasher,
}

impl Default for Digest {
    fn default() -> Self {
        Digest::new()
    }
}

impl Digest {
    #[allow(deprecated)]
    pub fn new() -> Digest {
        Digest {
            a: std::hash::SipHasher::new_with_keys(0x8f3c_29d1_b64e_a705, 0x1d7e_c0a4_5b92_f368),
            b: std::hash::SipHasher::new_with_keys(0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b),
        }
    }

    /// Add a field: its length, then its bytes.
    pub fn put(&mut self, bytes: &[u8]) {
        use std::hash::Hasher;
        let len = (bytes.len() as u64).to_le_bytes();
        self.a.write(&len);
        self.b.write(&len);
        self.a.write(bytes);
        self.b.write(bytes);
    }

    /// Add a number.
    pub fn put_u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }

    /// Add a file's identity.
    pub fn put_key(&mut self, key: &FileKey) {
        let mut b = Vec::with_capacity(KEY_LEN);
        key.encode(&mut b);
        self.put(&b);
    }

    /// The digest so far.
    pub fn finish(&self) -> [u8; 16] {
        use std::hash::Hasher;
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.a.finish().to_le_bytes());
        out[8..].copy_from_slice(&self.b.finish().to_le_bytes());
        out
    }
}

/// Where a piece of a transcript was printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What a run that wrote the outputs leaves for the next one to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The digest of the inputs.
    pub digest: [u8; 16],
    /// The exit status.
    pub status: i32,
    /// What was printed after the replay point, in order.
    pub transcript: Vec<(Stream, Vec<u8>)>,
    /// Every output file, as the run left it.
    pub outputs: Vec<(String, FileKey)>,
}

/// The identity of a file as [`pathfs`] `stat`s it.
pub fn key_of(st: &pathfs::Stat) -> FileKey {
    FileKey {
        dev: st.dev(),
        ino: st.ino(),
        size: st.len(),
        mtime: (st.mtime(), st.mtime_nsec() as u32),
        ctime: (st.ctime(), st.ctime_nsec() as u32),
    }
}

impl Record {
    /// The record's file bytes (integers little-endian):
    ///
    /// ```text
    /// magic "RKMODRP\n" | format u32 | digest [16] | status i32
    /// | pieces u32 | (stream u8 (1 stdout, 2 stderr) | length u32 | bytes)*
    /// | outputs u32 | (name length u32 | name | dev, ino, size u64
    ///                 | mtime s i64, ns u32 | ctime s i64, ns u32)*
    /// | CRC-32 of all before u32 | "END\n"
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.digest);
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&(self.transcript.len() as u32).to_le_bytes());
        for (stream, bytes) in &self.transcript {
            out.push(match stream {
                Stream::Stdout => 1,
                Stream::Stderr => 2,
            });
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        out.extend_from_slice(&(self.outputs.len() as u32).to_le_bytes());
        for (name, key) in &self.outputs {
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            key.encode(&mut out);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(END);
        out
    }

    /// The record in `data`, unless it is not one, is damaged, or has
    /// another layout (never panics; allocates at most a few times
    /// `data`'s size).
    pub fn parse(data: &[u8]) -> Option<Record> {
        if data.len() < MAGIC.len() + 8 || &data[..8] != MAGIC {
            return None;
        }
        let body = data.len() - 8;
        if &data[body + 4..] != END {
            return None;
        }
        let crc = u32::from_le_bytes(data[body..body + 4].try_into().ok()?);
        if crc32fast::hash(&data[..body]) != crc {
            return None;
        }
        let mut r = Reader::new(&data[8..body]);
        if r.u32()? != FORMAT {
            return None;
        }
        let digest: [u8; 16] = r.bytes(16)?.try_into().ok()?;
        let status = r.u32()? as i32;
        let n = r.count(5)?;
        let mut transcript = Vec::with_capacity(n);
        for _ in 0..n {
            let stream = match r.u8()? {
                1 => Stream::Stdout,
                2 => Stream::Stderr,
                _ => return None,
            };
            let len = r.u32()? as usize;
            transcript.push((stream, r.bytes(len)?.to_vec()));
        }
        let n = r.count(4 + KEY_LEN)?;
        let mut outputs = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.u32()? as usize;
            let name = std::str::from_utf8(r.bytes(len)?).ok()?.to_string();
            if name.is_empty() || name.contains('/') {
                return None;
            }
            outputs.push((name, FileKey::decode(&mut r)?));
        }
        (r.left() == 0).then_some(Record {
            digest,
            status,
            transcript,
            outputs,
        })
    }

    /// The record in `dir`, if there is a usable one.
    pub fn load(dir: &Path) -> Option<Record> {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: a FIFO in its place must not stall the run.
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(dir.join(FILE_NAME))
            .ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            return None;
        }
        let mut data = Vec::with_capacity(meta.len() as usize);
        f.take(meta.len()).read_to_end(&mut data).ok()?;
        Record::parse(&data)
    }

    /// Whether every output this record names is, in `dir`, still the
    /// file it describes.
    pub fn outputs_intact(&self, dir: &Dir) -> bool {
        !self.outputs.is_empty()
            && self
                .outputs
                .iter()
                .all(|(name, key)| dir.stat(name).is_ok_and(|st| key_of(&st) == *key))
    }

    /// The record as an output file, to be written after everything else.
    pub fn file(&self) -> OutputFile {
        OutputFile {
            name: FILE_NAME,
            data: self.encode(),
            binary: true,
        }
    }
}

/// The record in `dir` to replay for a run whose inputs have `digest`:
/// one made for the same inputs, whose outputs are all still in place.
/// What killed runs left behind is removed, as a run that writes does.
pub fn replayable(dir: &Path, digest: &[u8; 16]) -> Option<Record> {
    let rec = Record::load(dir)?;
    if rec.digest != *digest {
        return None;
    }
    let handle = Dir::open(dir).ok()?;
    if !rec.outputs_intact(&handle) {
        return None;
    }
    crate::write::remove_stale_temporaries(dir, &handle);
    Some(rec)
}

/// Once a run's outputs are in `dir`: leave the record that lets the next
/// run with the same inputs (`digest`) replay this one, printing
/// `transcript` and exiting with `status` — when the run may be replayed
/// (`replayable`, [`crate::Resolved::replayable`]) and its outputs can be
/// [`seal`]ed; otherwise remove any old record. Best effort: a record that
/// cannot be written only makes the next run do the work.
pub fn record_run(
    dir: &Path,
    files: &[OutputFile],
    replayable: bool,
    digest: [u8; 16],
    status: i32,
    transcript: Vec<(Stream, Vec<u8>)>,
) {
    match replayable.then(|| seal(dir, files)).flatten() {
        Some(outputs) => {
            let record = Record {
                digest,
                status,
                transcript,
                outputs,
            };
            let _ = crate::write::write_outputs(dir, &[record.file()]);
        }
        None => forget(dir),
    }
}

/// Remove the record in `dir`, if any: a run that could replay but wrote
/// the outputs without making a record leaves none behind (an old one
/// would never match those outputs again, but it would be a stale file).
pub fn forget(dir: &Path) {
    if let Ok(handle) = Dir::open(dir) {
        if handle.stat(FILE_NAME).is_ok() {
            let _ = handle.remove_file(FILE_NAME);
        }
    }
}

/// After `files` were written to `dir` (or found right there): their
/// identities, once they can stand for their contents (see the [module
/// docs](self)); `None` when that cannot be established (a file changed
/// meanwhile, a file system whose clock does not move on in time, no
/// `O_TMPFILE`).
pub fn seal(dir: &Path, files: &[OutputFile]) -> Option<Vec<(String, FileKey)>> {
    let handle = Dir::open(dir).ok()?;
    let mut keys = Vec::with_capacity(files.len());
    for f in files {
        keys.push((f.name.to_string(), key_of(&handle.stat(f.name).ok()?)));
    }
    let latest = keys.iter().map(|(_, k)| k.mtime.max(k.ctime)).max()?;
    let start = std::time::Instant::now();
    loop {
        let (dev, now) = depcache::fs_clock(dir)?;
        if keys.iter().any(|(_, k)| k.dev != dev) {
            return None;
        }
        if now > latest {
            break;
        }
        if start.elapsed() > CLOCK_WAIT {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    for (f, (_, key)) in files.iter().zip(&keys) {
        let data = handle.read(f.name).ok()?;
        if data != f.data || key_of(&handle.stat(f.name).ok()?) != *key {
            return None;
        }
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            digest: [7; 16],
            status: 0,
            transcript: vec![
                (Stream::Stderr, b"rdepmod: WARNING: x\n".to_vec()),
                (Stream::Stdout, b"v\n".to_vec()),
            ],
            outputs: vec![(
                "modules.dep".into(),
                FileKey {
                    dev: 1,
                    ino: 2,
                    size: 3,
                    mtime: (4, 5),
                    ctime: (6, 7),
                },
            )],
        }
    }

    #[test]
    fn round_trip_and_every_damage_is_refused() {
        let good = sample().encode();
        assert_eq!(Record::parse(&good), Some(sample()));
        for n in 0..good.len() {
            assert_eq!(Record::parse(&good[..n]), None, "cut at {n}");
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            assert_eq!(Record::parse(&bad), None, "flip at {i}");
        }
    }

    #[test]
    fn digest_fields_are_unambiguous() {
        let d = |parts: &[&[u8]]| {
            let mut g = Digest::new();
            for p in parts {
                g.put(p);
            }
            g.finish()
        };
        assert_ne!(d(&[b"ab", b"c"]), d(&[b"a", b"bc"]));
        assert_ne!(d(&[b"", b""]), d(&[b""]));
        assert_eq!(d(&[b"x"]), d(&[b"x"]));
    }

    #[test]
    fn seal_and_replayable() {
        let dir = std::env::temp_dir().join(format!("depmod-replay-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let files = vec![OutputFile {
            name: "modules.dep",
            data: b"a.ko:\n".to_vec(),
            binary: false,
        }];
        crate::write::write_outputs(&dir, &files).unwrap();
        let outputs = seal(&dir, &files).expect("tmpfs and ext4 have O_TMPFILE");
        let rec = Record {
            digest: [1; 16],
            status: 0,
            transcript: vec![],
            outputs,
        };
        crate::write::write_outputs(&dir, &[rec.file()]).unwrap();
        assert_eq!(replayable(&dir, &[1; 16]), Some(rec.clone()));
        assert_eq!(replayable(&dir, &[2; 16]), None);
        // Edited in place, same size, mtime put back: the ctime tells.
        let p = dir.join("modules.dep");
        let m = std::fs::metadata(&p).unwrap();
        std::fs::write(&p, b"b.ko:\n").unwrap();
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(m.modified().unwrap()).unwrap();
        assert_eq!(replayable(&dir, &[1; 16]), None);
        // Contents not those meant: no seal.
        assert_eq!(seal(&dir, &files), None);
        std::fs::remove_file(&p).unwrap();
        assert_eq!(replayable(&dir, &[1; 16]), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

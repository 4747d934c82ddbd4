//! File-system calls by path through libc's own entry points, and by name
//! inside an open directory.
//!
//! The standard library asks the kernel about a path with `statx(2)`
//! (called directly), renames with `rename(2)` and so on. Those are fine
//! for a program, but a tool that is tested the way kmod's testsuite tests
//! its tools — an `LD_PRELOAD` library that moves every absolute path under
//! a test root by wrapping `open`, `stat`, `opendir`, `mkdir`, `fopen` —
//! would see the real file system through them. So the module tools reach
//! a path only through those wrapped calls ([`stat`], [`is_dir`],
//! [`create_dir_all`], and `std`'s `File::open`/`read_dir`, which are
//! `open64`/`opendir`), and do everything else *relative to a directory
//! they opened* ([`Dir`]: `openat`, `renameat`, `unlinkat`, `linkat`, as
//! kmod's depmod does). The behaviour is the same either way; the second
//! form is also immune to the directory being swapped under the tool.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::unistd::UnlinkatFlags;

/// What `stat(2)` says of a file.
#[derive(Clone, Copy)]
pub struct Stat(FileStat);

impl std::fmt::Debug for Stat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stat")
            .field("mode", &format_args!("{:o}", self.0.st_mode))
            .field("size", &self.0.st_size)
            .field("mtime", &self.0.st_mtime)
            .finish()
    }
}

impl Stat {
    /// The file-type bits of `st_mode` (`S_IFMT`).
    pub fn file_type_bits(&self) -> u32 {
        self.0.st_mode & SFlag::S_IFMT.bits()
    }
    pub fn is_dir(&self) -> bool {
        self.file_type_bits() == SFlag::S_IFDIR.bits()
    }
    pub fn is_file(&self) -> bool {
        self.file_type_bits() == SFlag::S_IFREG.bits()
    }
    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.0.st_size.max(0) as u64
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Modification time, whole seconds.
    pub fn mtime(&self) -> i64 {
        self.0.st_mtime
    }
    /// Modification time, the nanoseconds within the second.
    pub fn mtime_nsec(&self) -> i64 {
        self.0.st_mtime_nsec
    }
    /// `st_mode` whole.
    pub fn mode(&self) -> u32 {
        self.0.st_mode
    }
    /// The device holding the file.
    #[allow(clippy::unnecessary_cast)]
    pub fn dev(&self) -> u64 {
        self.0.st_dev as u64
    }
    /// The inode number.
    #[allow(clippy::unnecessary_cast)]
    pub fn ino(&self) -> u64 {
        self.0.st_ino as u64
    }
    /// Status-change time, whole seconds.
    #[allow(clippy::unnecessary_cast)]
    pub fn ctime(&self) -> i64 {
        self.0.st_ctime as i64
    }
    /// Status-change time, the nanoseconds within the second.
    #[allow(clippy::unnecessary_cast)]
    pub fn ctime_nsec(&self) -> i64 {
        self.0.st_ctime_nsec as i64
    }
}

/// `stat(2)` through libc's `stat` (follows symbolic links, as
/// `std::fs::metadata`).
pub fn stat(path: impl AsRef<Path>) -> io::Result<Stat> {
    nix::sys::stat::stat(path.as_ref())
        .map(Stat)
        .map_err(io::Error::from)
}

/// Whether `path` names something (a broken link does not).
pub fn exists(path: impl AsRef<Path>) -> bool {
    stat(path).is_ok()
}

/// Whether `path` is a directory (following links).
pub fn is_dir(path: impl AsRef<Path>) -> bool {
    stat(path).is_ok_and(|s| s.is_dir())
}

/// Whether `path` is a regular file (following links).
pub fn is_file(path: impl AsRef<Path>) -> bool {
    stat(path).is_ok_and(|s| s.is_file())
}

/// `mkdir -p` with `mode` for what it creates, through libc's `mkdir` and
/// `stat`: a component that exists must be a directory.
pub fn create_dir_all(path: impl AsRef<Path>, mode: u32) -> io::Result<()> {
    let path = path.as_ref();
    let bytes = path.as_os_str().as_bytes();
    // Each prefix ending before a slash, then the whole path.
    let mut ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'/' && i > 0 && bytes[i - 1] != b'/')
        .map(|(i, _)| i)
        .collect();
    if bytes.last().is_some_and(|&b| b != b'/') {
        ends.push(bytes.len());
    }
    for end in ends {
        let part = Path::new(OsStr::from_bytes(&bytes[..end]));
        match nix::unistd::mkdir(part, Mode::from_bits_truncate(mode)) {
            Ok(()) => {}
            Err(nix::errno::Errno::EEXIST) if is_dir(part) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `path` made absolute as kmod's `path_make_absolute_cwd` does: an
/// absolute path as it is, else appended to the current directory, with
/// no normalisation.
pub fn absolute(path: &[u8]) -> Vec<u8> {
    use std::os::unix::ffi::OsStringExt;
    if path.first() == Some(&b'/') {
        return path.to_vec();
    }
    let mut cwd = std::env::current_dir()
        .map(|c| c.into_os_string().into_vec())
        .unwrap_or_default();
    cwd.push(b'/');
    cwd.extend_from_slice(path);
    cwd
}

/// An open directory: files inside it are reached by name with the `*at`
/// calls, never by a path the directory's own path is part of.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

impl Dir {
    /// Open `path` (which must be a directory) through `open(2)`.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Dir> {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_DIRECTORY)
            .open(path.as_ref())?;
        Ok(Dir { fd: f.into() })
    }

    /// The directory's descriptor (for `flock` and the like).
    pub fn as_file(&self) -> io::Result<File> {
        Ok(File::from(self.fd.try_clone()?))
    }

    fn openat(&self, name: &OsStr, flags: OFlag, mode: u32) -> io::Result<File> {
        let fd = nix::fcntl::openat(
            Some(self.fd.as_raw_fd()),
            name,
            flags | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(mode),
        )?;
        // SAFETY: openat returned a new descriptor that nothing else owns.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    /// Open `name` for reading.
    pub fn open_file(&self, name: impl AsRef<OsStr>) -> io::Result<File> {
        self.openat(name.as_ref(), OFlag::O_RDONLY, 0)
    }

    /// The whole contents of `name`.
    pub fn read(&self, name: impl AsRef<OsStr>) -> io::Result<Vec<u8>> {
        let mut data = Vec::new();
        self.open_file(name)?.read_to_end(&mut data)?;
        Ok(data)
    }

    /// `fstatat(2)` of `name` (following links).
    pub fn stat(&self, name: impl AsRef<OsStr>) -> io::Result<Stat> {
        nix::sys::stat::fstatat(Some(self.fd.as_raw_fd()), name.as_ref(), AtFlags::empty())
            .map(Stat)
            .map_err(io::Error::from)
    }

    /// Create `name`, which must not exist, with `mode`, open for writing.
    pub fn create_new_file(&self, name: impl AsRef<OsStr>, mode: u32) -> io::Result<File> {
        self.openat(
            name.as_ref(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL,
            mode,
        )
    }

    /// An unnamed file in the directory (`O_TMPFILE`), to be named with
    /// [`link`](Self::link) once complete.
    pub fn tmpfile(&self, mode: u32) -> io::Result<File> {
        self.openat(OsStr::new("."), OFlag::O_WRONLY | OFlag::O_TMPFILE, mode)
    }

    /// Give an unnamed file of this directory the name `name` (through
    /// `/proc/self/fd`: linking a descriptor itself needs privileges).
    pub fn link(&self, file: &File, name: impl AsRef<OsStr>) -> io::Result<()> {
        let proc_path = format!("/proc/self/fd/{}", file.as_fd().as_raw_fd());
        nix::unistd::linkat(
            None,
            Path::new(&proc_path),
            Some(self.fd.as_raw_fd()),
            Path::new(name.as_ref()),
            AtFlags::AT_SYMLINK_FOLLOW,
        )
        .map_err(io::Error::from)
    }

    /// `renameat(2)` within the directory.
    pub fn rename(&self, from: impl AsRef<OsStr>, to: impl AsRef<OsStr>) -> io::Result<()> {
        nix::fcntl::renameat(
            Some(self.fd.as_raw_fd()),
            from.as_ref(),
            Some(self.fd.as_raw_fd()),
            to.as_ref(),
        )
        .map_err(io::Error::from)
    }

    /// Open the directory `name` inside this one (no walk of a whole path).
    pub fn open_dir(&self, name: impl AsRef<OsStr>) -> io::Result<Dir> {
        let f = self.openat(name.as_ref(), OFlag::O_RDONLY | OFlag::O_DIRECTORY, 0)?;
        Ok(Dir { fd: f.into() })
    }

    /// `fstatat(2)` of `name`, a symbolic link itself rather than what it
    /// points to.
    pub fn lstat(&self, name: impl AsRef<OsStr>) -> io::Result<Stat> {
        nix::sys::stat::fstatat(
            Some(self.fd.as_raw_fd()),
            name.as_ref(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map(Stat)
        .map_err(io::Error::from)
    }

    /// The directory's entries in the order the kernel gives them
    /// (`readdir(3)`'s order), `.` and `..` included, read with
    /// `getdents64(2)` into `buf` (reused from call to call): no `fstat`
    /// and no allocation per entry as `opendir` and `readdir` make. Read
    /// once per `Dir`: the listing moves the descriptor's position.
    pub fn entries<'b>(&self, buf: &'b mut Vec<u8>) -> io::Result<Vec<DirEntry<'b>>> {
        const CHUNK: usize = 32 << 10;
        buf.clear();
        loop {
            buf.reserve(CHUNK);
            let room = buf.spare_capacity_mut();
            // SAFETY: the kernel writes at most `room.len()` bytes into
            // memory the vector owns and has not counted yet.
            let n = unsafe {
                nix::libc::syscall(
                    nix::libc::SYS_getdents64,
                    self.fd.as_raw_fd(),
                    room.as_mut_ptr(),
                    room.len(),
                )
            };
            match n {
                0 => break,
                n if n < 0 => {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
                // SAFETY: the `n` bytes after the length were just written.
                n => unsafe { buf.set_len(buf.len() + n as usize) },
            }
        }
        Ok(DirEntry::parse(buf))
    }

    /// `unlinkat(2)` of a file of the directory.
    pub fn remove_file(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        nix::unistd::unlinkat(
            Some(self.fd.as_raw_fd()),
            name.as_ref(),
            UnlinkatFlags::NoRemoveDir,
        )
        .map_err(io::Error::from)
    }
}

/// One entry of a directory ([`Dir::entries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'a> {
    /// The name (no NUL).
    pub name: &'a [u8],
    /// The `DT_*` type, `DT_UNKNOWN` (0) when the file system does not say.
    pub kind: u8,
}

impl<'a> DirEntry<'a> {
    /// A regular file, as the directory says.
    pub const REGULAR: u8 = nix::libc::DT_REG;
    /// A directory, as the directory says.
    pub const DIRECTORY: u8 = nix::libc::DT_DIR;

    /// The `linux_dirent64` records of `buf`: inode (8), offset (8),
    /// record length (2), type (1), name up to a NUL, padding. A record
    /// that does not fit ends the list (the kernel writes none).
    fn parse(buf: &'a [u8]) -> Vec<DirEntry<'a>> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(head) = buf.get(at..at + 19) {
            let len = usize::from(u16::from_ne_bytes([head[16], head[17]]));
            let Some(rec) = buf.get(at..at + len).filter(|_| len > 19) else {
                break;
            };
            let name = &rec[19..];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            out.push(DirEntry {
                name,
                kind: head[18],
            });
            at += len;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("pathfs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn stat_and_kinds() {
        let d = scratch("stat");
        std::fs::write(d.join("f"), b"abc").unwrap();
        let s = stat(d.join("f")).unwrap();
        assert!(s.is_file() && !s.is_dir());
        assert_eq!(s.len(), 3);
        assert!(is_dir(&d) && !is_file(&d));
        assert!(!exists(d.join("none")));
        assert_eq!(
            stat(d.join("none")).unwrap_err().raw_os_error(),
            Some(nix::libc::ENOENT)
        );
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn create_dir_all_makes_each_level_and_refuses_a_file_in_the_way() {
        let d = scratch("mkdir");
        create_dir_all(d.join("a//b/c/"), 0o755).unwrap();
        assert!(is_dir(d.join("a/b/c")));
        create_dir_all(d.join("a/b/c"), 0o755).unwrap();
        std::fs::write(d.join("file"), b"").unwrap();
        let e = create_dir_all(d.join("file/x"), 0o755).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(nix::libc::EEXIST));
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn entries_are_readdirs() {
        let d = scratch("entries");
        for i in 0..2000 {
            std::fs::write(d.join(format!("file-with-a-long-name-{i}.ko")), b"").unwrap();
        }
        std::fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink("sub", d.join("link")).unwrap();
        let dir = Dir::open(&d).unwrap();
        let mut buf = Vec::new();
        let got: Vec<(Vec<u8>, u8)> = (dir.entries(&mut buf).unwrap())
            .iter()
            .map(|e| (e.name.to_vec(), e.kind))
            .collect();
        // The same names in the same order as std's readdir, with `.` and
        // `..`; the types as the file system gives them.
        let want: Vec<Vec<u8>> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().as_bytes().to_vec())
            .collect();
        let names: Vec<&Vec<u8>> = got
            .iter()
            .map(|(n, _)| n)
            .filter(|n| !matches!(&n[..], b"." | b".."))
            .collect();
        assert_eq!(names, want.iter().collect::<Vec<_>>());
        assert_eq!(got.len(), 2002 + 2);
        let kind = |name: &[u8]| got.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(kind(b"sub"), DirEntry::DIRECTORY);
        assert_eq!(kind(b"link"), nix::libc::DT_LNK);
        assert_eq!(kind(b"file-with-a-long-name-7.ko"), DirEntry::REGULAR);
        let sub = dir.open_dir("sub").unwrap();
        assert_eq!(sub.entries(&mut buf).unwrap().len(), 2);
        assert!(dir.lstat("link").unwrap().mode() & 0o170000 == 0o120000);
        assert!(dir.stat("link").unwrap().is_dir());
        assert!(dir.open_dir("file-with-a-long-name-1.ko").is_err());
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn absolute_appends_to_the_current_directory() {
        assert_eq!(absolute(b"/a/../b"), b"/a/../b");
        let cwd = std::env::current_dir().unwrap();
        let want = format!("{}/x/./y", cwd.display());
        assert_eq!(absolute(b"x/./y"), want.as_bytes());
    }

    #[test]
    fn dir_calls_work_by_name() {
        let d = scratch("dir");
        let dir = Dir::open(&d).unwrap();
        dir.create_new_file("a", 0o644)
            .unwrap()
            .write_all(b"one")
            .unwrap();
        assert_eq!(
            dir.create_new_file("a", 0o644).unwrap_err().raw_os_error(),
            Some(nix::libc::EEXIST)
        );
        assert_eq!(dir.read("a").unwrap(), b"one");
        assert_eq!(dir.stat("a").unwrap().len(), 3);
        dir.rename("a", "b").unwrap();
        assert_eq!(std::fs::read(d.join("b")).unwrap(), b"one");
        if let Ok(mut t) = dir.tmpfile(0o644) {
            t.write_all(b"two").unwrap();
            dir.link(&t, "c").unwrap();
            assert_eq!(std::fs::read(d.join("c")).unwrap(), b"two");
        }
        dir.remove_file("b").unwrap();
        assert!(!exists(d.join("b")));
        assert!(Dir::open(d.join("c")).is_err() || !is_file(d.join("c")));
        std::fs::remove_dir_all(d).unwrap();
    }
}

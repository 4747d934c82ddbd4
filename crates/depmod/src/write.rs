//! Replacing the output files safely.
//!
//! * Every file is first written in full to an unnamed temporary file in
//!   the target directory (`O_TMPFILE`; a hidden named one where the file
//!   system lacks it), then renamed over the old one: a reader, or a run
//!   killed half-way, only ever sees a complete old or a complete new file.
//!   A run killed between naming a temporary and renaming it leaves a
//!   hidden `.<file>.rdepmod-<pid>-<n>` behind; the next run removes it.
//! * All temporaries are written before the first rename: if the directory
//!   is unwritable or the disk is full, nothing is changed.
//! * A file whose contents are already right is not touched (its mtime
//!   stays).
//! * Runs on the same directory take turns (an exclusive `flock` on the
//!   directory), so concurrent runs leave one run's complete set of files.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};
use pathfs::Dir;

use crate::error::{Error, Result};
use crate::output::OutputFile;

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files replaced or created.
    pub written: Vec<&'static str>,
    /// Files left alone because their contents were already right.
    pub unchanged: Vec<&'static str>,
}

/// A file written as it is produced, never whole in memory (the module
/// cache: megabytes).
pub trait Streamed: Sync {
    /// Its name in the directory.
    fn name(&self) -> &'static str;
    /// Write its contents to `w`.
    fn write_to(&self, w: &mut dyn Write) -> io::Result<()>;
}

/// The error of writing `name` in `dir` (the directory itself when empty).
fn write_error(dir: &Path, name: &str, source: io::Error) -> Error {
    Error::Write {
        path: if name.is_empty() {
            dir.display().to_string()
        } else {
            dir.join(name).display().to_string()
        },
        source,
    }
}

/// The directory `dir`, opened, and this run's turn at it (an exclusive
/// `flock`; a file system without locks still gets atomic files, just no
/// turns), temporaries of killed runs removed.
fn take_turn(dir: &Path) -> Result<(Dir, Option<Flock<File>>)> {
    let handle = Dir::open(dir).map_err(|e| write_error(dir, "", e))?;
    let lock = handle
        .as_file()
        .ok()
        .and_then(|f| Flock::lock(f, FlockArg::LockExclusive).ok());
    remove_stale_temporaries(dir, &handle);
    Ok((handle, lock))
}

/// Replace `file` in `dir` (which must exist) as [`write_outputs`] does,
/// its contents written as they are produced.
pub fn write_streamed(dir: &Path, file: &dyn Streamed) -> Result<()> {
    let (handle, _lock) = take_turn(dir)?;
    let name = file.name();
    let staged = Staged::write_with(&handle, name, &|f| file.write_to(f))
        .map_err(|e| write_error(dir, name, e))?;
    staged
        .commit(&handle, name)
        .map_err(|e| write_error(dir, name, e))
}

/// Replace the files in `dir` (which must exist) with `files`. The
/// directory is opened once and every file is reached by name inside it.
pub fn write_outputs(dir: &Path, files: &[OutputFile]) -> Result<WriteSummary> {
    let fail = |name: &str, source| write_error(dir, name, source);
    let (handle, _lock) = take_turn(dir)?;

    let mut summary = WriteSummary::default();
    let mut staged: Vec<(Staged, &'static str)> = Vec::new();
    for f in files {
        // Only a file of the same size can hold the same bytes: others are
        // not read (the module cache is megabytes).
        let same_size = handle
            .stat(f.name)
            .is_ok_and(|m| m.len() == f.data.len() as u64);
        if same_size && handle.read(f.name).is_ok_and(|old| old == f.data) {
            summary.unchanged.push(f.name);
            continue;
        }
        match Staged::write(&handle, f.name, &f.data) {
            Ok(s) => staged.push((s, f.name)),
            Err(e) => {
                for (s, _) in staged {
                    s.discard(&handle);
                }
                return Err(fail(f.name, e));
            }
        }
    }
    let mut pending = staged.into_iter();
    while let Some((s, name)) = pending.next() {
        if let Err(e) = s.commit(&handle, name) {
            for (rest, _) in pending {
                rest.discard(&handle);
            }
            return Err(fail(name, e));
        }
        summary.written.push(name);
    }
    Ok(summary)
}

/// A complete temporary file waiting to be renamed into place.
enum Staged {
    /// Unnamed (`O_TMPFILE`): gets a name only at commit.
    Unnamed(File),
    /// Named fallback (a name in the directory).
    Named(OsString),
}

impl Staged {
    fn write(dir: &Dir, name: &str, data: &[u8]) -> io::Result<Staged> {
        Staged::write_with(dir, name, &|f| f.write_all(data))
    }

    /// A temporary for `name` holding what `fill` writes into it.
    fn write_with(
        dir: &Dir,
        name: &str,
        fill: &dyn Fn(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<Staged> {
        match dir.tmpfile(0o644) {
            Ok(mut f) => {
                fill(&mut f)?;
                Ok(Staged::Unnamed(f))
            }
            Err(e) if tmpfile_unsupported(&e) => {
                let tmp = temp_name(name);
                match dir
                    .create_new_file(&tmp, 0o644)
                    .and_then(|mut f| fill(&mut f))
                {
                    Ok(()) => Ok(Staged::Named(tmp)),
                    Err(e) => {
                        let _ = dir.remove_file(&tmp);
                        Err(e)
                    }
                }
            }
            Err(e) => Err(e),
        }
    }

    fn commit(self, dir: &Dir, target: &str) -> io::Result<()> {
        let named = match self {
            Staged::Named(n) => n,
            Staged::Unnamed(f) => {
                let tmp = temp_name("link");
                dir.link(&f, &tmp)?;
                tmp
            }
        };
        dir.rename(&named, target).inspect_err(|_| {
            let _ = dir.remove_file(&named);
        })
    }

    fn discard(self, dir: &Dir) {
        if let Staged::Named(n) = self {
            let _ = dir.remove_file(n);
        }
    }
}

fn tmpfile_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::EOPNOTSUPP | nix::libc::EISDIR | nix::libc::EINVAL)
    )
}

/// Temporaries of runs that were killed: `.<file>.rdepmod-<pid>-<n>` whose
/// process is gone (a live one may be a run on a file system without locks).
pub(crate) fn remove_stale_temporaries(path: &Path, dir: &Dir) {
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(text) = name.to_str() else { continue };
        let Some((_, tail)) = text.split_once(".rdepmod-") else {
            continue;
        };
        let pid = tail.split('-').next().and_then(|p| p.parse::<i32>().ok());
        let gone = pid.is_some_and(|p| {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None)
                == Err(nix::errno::Errno::ESRCH)
        });
        if text.starts_with('.') && gone {
            let _ = dir.remove_file(&name);
        }
    }
}

/// A hidden name unique to this process and call.
fn temp_name(name: &str) -> OsString {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    OsStr::new(&format!(".{name}.rdepmod-{}-{n}", std::process::id())).to_os_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::MetadataExt;
    use std::path::PathBuf;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("depmod-write-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn file(name: &'static str, data: &[u8]) -> OutputFile {
        OutputFile {
            name,
            data: data.to_vec(),
            binary: false,
        }
    }

    #[test]
    fn writes_replaces_and_skips_unchanged() {
        let d = tmpdir("basic");
        fs::write(d.join("modules.alias"), b"same").unwrap();
        fs::write(d.join("modules.dep"), b"old").unwrap();
        let before = fs::metadata(d.join("modules.alias")).unwrap();
        let s = write_outputs(
            &d,
            &[
                file("modules.dep", b"new"),
                file("modules.alias", b"same"),
                file("modules.symbols", b"s"),
            ],
        )
        .unwrap();
        assert_eq!(s.written, vec!["modules.dep", "modules.symbols"]);
        assert_eq!(s.unchanged, vec!["modules.alias"]);
        assert_eq!(fs::read(d.join("modules.dep")).unwrap(), b"new");
        let after = fs::metadata(d.join("modules.alias")).unwrap();
        assert_eq!(
            (before.ino(), before.mtime_nsec()),
            (after.ino(), after.mtime_nsec())
        );
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "no temporaries left: {names:?}");
        fs::remove_dir_all(&d).unwrap();
    }

    /// A file of `n` copies of `byte`, written in pieces of 1,000.
    struct Pieces(&'static str, u8, usize);

    impl Streamed for Pieces {
        fn name(&self) -> &'static str {
            self.0
        }

        fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
            for _ in 0..self.2 / 1000 {
                w.write_all(&[self.1; 1000])?;
            }
            w.write_all(&vec![self.1; self.2 % 1000])
        }
    }

    #[test]
    fn streamed_files_replace_whole() {
        let d = tmpdir("streamed");
        fs::write(d.join("modules.rkmod-cache"), b"old").unwrap();
        write_streamed(&d, &Pieces("modules.rkmod-cache", b'x', 123_456)).unwrap();
        assert_eq!(
            fs::read(d.join("modules.rkmod-cache")).unwrap(),
            vec![b'x'; 123_456]
        );
        // A producer that fails leaves the old file and no temporary.
        struct Failing;
        impl Streamed for Failing {
            fn name(&self) -> &'static str {
                "modules.rkmod-cache"
            }
            fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
                w.write_all(b"partial")?;
                Err(io::Error::from_raw_os_error(nix::libc::ENOSPC))
            }
        }
        let err = write_streamed(&d, &Failing).unwrap_err();
        assert!(err.to_string().contains("modules.rkmod-cache"), "{err}");
        assert_eq!(
            fs::read(d.join("modules.rkmod-cache")).unwrap().len(),
            123_456
        );
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1, "no temporaries left");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn missing_directory_is_an_error() {
        let top = tmpdir("missing");
        let err = write_outputs(&top.join("nope"), &[file("modules.dep", b"x")]).unwrap_err();
        assert!(err.to_string().starts_with("could not write "), "{err}");
        fs::remove_dir_all(&top).unwrap();
    }

    #[test]
    fn stale_temporaries_of_dead_runs_go_and_live_ones_stay() {
        let d = tmpdir("stale");
        // pid 0x7ffffffe is no process here; our own pid is alive.
        let dead = ".modules.dep.rdepmod-2147483646-0";
        let live = format!(".modules.dep.rdepmod-{}-99", std::process::id());
        fs::write(d.join(dead), b"x").unwrap();
        fs::write(d.join(&live), b"x").unwrap();
        write_outputs(&d, &[file("modules.dep", b"x")]).unwrap();
        assert!(!d.join(dead).exists());
        assert!(d.join(&live).exists());
        fs::remove_dir_all(&d).unwrap();
    }
}

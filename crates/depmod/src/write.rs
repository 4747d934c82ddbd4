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

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

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

/// Replace the files in `dir` (which must exist) with `files`.
pub fn write_outputs(dir: &Path, files: &[OutputFile]) -> Result<WriteSummary> {
    let fail = |path: &Path, source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let dir_file = File::open(dir).map_err(|e| fail(dir, e))?;
    // A file system without locks still gets atomic files, just no turns.
    let _lock = Flock::lock(dir_file, FlockArg::LockExclusive).ok();
    remove_stale_temporaries(dir);

    let mut summary = WriteSummary::default();
    let mut staged: Vec<(Staged, PathBuf, &'static str)> = Vec::new();
    for f in files {
        let target = dir.join(f.name);
        // Only a file of the same size can hold the same bytes: others are
        // not read (the module cache is megabytes).
        let same_size = fs::metadata(&target).is_ok_and(|m| m.len() == f.data.len() as u64);
        if same_size && fs::read(&target).is_ok_and(|old| old == f.data) {
            summary.unchanged.push(f.name);
            continue;
        }
        match Staged::write(dir, f.name, &f.data) {
            Ok(s) => staged.push((s, target, f.name)),
            Err(e) => {
                for (s, _, _) in staged {
                    s.discard();
                }
                return Err(fail(&target, e));
            }
        }
    }
    let mut pending = staged.into_iter();
    while let Some((s, target, name)) = pending.next() {
        if let Err(e) = s.commit(dir, &target) {
            for (rest, _, _) in pending {
                rest.discard();
            }
            return Err(fail(&target, e));
        }
        summary.written.push(name);
    }
    Ok(summary)
}

/// A complete temporary file waiting to be renamed into place.
enum Staged {
    /// Unnamed (`O_TMPFILE`): gets a name only at commit.
    Unnamed(File),
    /// Named fallback.
    Named(PathBuf),
}

impl Staged {
    fn write(dir: &Path, name: &str, data: &[u8]) -> io::Result<Staged> {
        match OpenOptions::new()
            .write(true)
            .mode(0o644)
            .custom_flags(nix::libc::O_TMPFILE)
            .open(dir)
        {
            Ok(mut f) => {
                f.write_all(data)?;
                Ok(Staged::Unnamed(f))
            }
            Err(e) if tmpfile_unsupported(&e) => {
                let path = temp_name(dir, name);
                let written = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o644)
                    .open(&path)
                    .and_then(|mut f| f.write_all(data));
                match written {
                    Ok(()) => Ok(Staged::Named(path)),
                    Err(e) => {
                        let _ = fs::remove_file(&path);
                        Err(e)
                    }
                }
            }
            Err(e) => Err(e),
        }
    }

    fn commit(self, dir: &Path, target: &Path) -> io::Result<()> {
        let named = match self {
            Staged::Named(p) => p,
            Staged::Unnamed(f) => {
                // Give the file a name through /proc (linkat with an empty
                // path would need privileges), then rename over the target.
                let name = temp_name(dir, "link");
                let proc_path = format!("/proc/self/fd/{}", f.as_raw_fd());
                nix::unistd::linkat(
                    None,
                    Path::new(&proc_path),
                    None,
                    name.as_path(),
                    nix::fcntl::AtFlags::AT_SYMLINK_FOLLOW,
                )
                .map_err(io::Error::from)?;
                name
            }
        };
        fs::rename(&named, target).inspect_err(|_| {
            let _ = fs::remove_file(&named);
        })
    }

    fn discard(self) {
        if let Staged::Named(p) = self {
            let _ = fs::remove_file(p);
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
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((_, tail)) = name.split_once(".rdepmod-") else {
            continue;
        };
        let pid = tail.split('-').next().and_then(|p| p.parse::<i32>().ok());
        let gone = pid.is_some_and(|p| {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None)
                == Err(nix::errno::Errno::ESRCH)
        });
        if name.starts_with('.') && gone {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A hidden name unique to this process and call.
fn temp_name(dir: &Path, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.rdepmod-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

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

    #[test]
    fn missing_directory_is_an_error() {
        let d = tmpdir("missing").join("nope");
        let err = write_outputs(&d, &[file("modules.dep", b"x")]).unwrap_err();
        assert!(err.to_string().starts_with("could not write "), "{err}");
    }
}

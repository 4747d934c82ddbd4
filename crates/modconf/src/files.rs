//! Which configuration files to read, as depmod lists them: every `*.conf`
//! of each configuration directory, merged and sorted by file name; a name
//! seen in an earlier directory hides the same name in later ones. A path
//! that is a file rather than a directory is read as is.
//!
//! [`libkmod_config_files`] is the same walk as libkmod (modprobe) does it.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::{strerror, Diagnostic, Level};

/// One configuration file to read: `name` decides the order and hides
/// later files of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub name: Vec<u8>,
    pub path: PathBuf,
}

/// List the configuration files of `paths` (directories or files), in the
/// order they are to be parsed, with the messages kmod prints on the way.
pub fn config_files<P: AsRef<Path>>(paths: &[P]) -> (Vec<ConfigFile>, Vec<Diagnostic>) {
    let mut files: Vec<ConfigFile> = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        list_one(path.as_ref(), &mut files, &mut diags);
    }
    (files, diags)
}

fn list_one(path: &Path, files: &mut Vec<ConfigFile>, diags: &mut Vec<Diagnostic>) {
    // A path that does not exist is simply not there: no message.
    let Ok(meta) = pathfs::stat(path) else {
        return;
    };
    if !meta.is_dir() {
        let name = path
            .file_name()
            .map(|n| n.as_bytes().to_vec())
            .unwrap_or_else(|| path.as_os_str().as_bytes().to_vec());
        insert_sorted(files, name, path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::new(
                Level::Error,
                format!("files list {}: {}\n", path.display(), strerror(&e)),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if skip_entry(path, &name, diags) {
            continue;
        }
        insert_sorted(files, name.as_bytes().to_vec(), path.join(&name));
    }
}

/// Hidden files and non-`.conf` names are skipped, directories refused.
fn skip_entry(dir: &Path, name: &OsStr, diags: &mut Vec<Diagnostic>) -> bool {
    let bytes = name.as_bytes();
    if bytes.first() == Some(&b'.') {
        return true;
    }
    if bytes.len() < 6 || !bytes.ends_with(b".conf") {
        diags.push(Diagnostic::new(
            Level::Info,
            format!(
                "All cfg files need .conf: {}/{}\n",
                dir.display(),
                name.to_string_lossy()
            ),
        ));
        return true;
    }
    if pathfs::is_dir(dir.join(name)) {
        diags.push(Diagnostic::new(
            Level::Error,
            format!(
                "Directories inside directories are not supported: {}/{}\n",
                dir.display(),
                name.to_string_lossy()
            ),
        ));
        return true;
    }
    false
}

/// List modprobe's configuration files as libkmod (kmod 30) does, which
/// differs from depmod in small ways: `*.alias` names count as well as
/// `*.conf`, other names are skipped silently, and `seeds` (the module
/// directory's `modules.softdep`, …) take part in the sort first, so they
/// hide any later file of the same name. Paths are joined as `dir/name`
/// byte for byte (kmod prints `dir//name` when `dir` ends in a slash, and
/// so do the messages of the files read from here).
pub fn libkmod_config_files<P: AsRef<Path>>(
    paths: &[P],
    seeds: &[ConfigFile],
) -> (Vec<ConfigFile>, Vec<Diagnostic>) {
    let mut files: Vec<ConfigFile> = Vec::new();
    let mut diags = Vec::new();
    for seed in seeds {
        insert_sorted(&mut files, seed.name.clone(), seed.path.clone());
    }
    for path in paths {
        libkmod_list_one(path.as_ref(), &mut files, &mut diags);
    }
    (files, diags)
}

/// `dir/name` as C's `"%s/%s"` builds it.
pub fn join_bytes(dir: &Path, name: &[u8]) -> PathBuf {
    let mut joined = dir.as_os_str().as_bytes().to_vec();
    joined.push(b'/');
    joined.extend_from_slice(name);
    PathBuf::from(OsStr::from_bytes(&joined))
}

fn libkmod_list_one(path: &Path, files: &mut Vec<ConfigFile>, diags: &mut Vec<Diagnostic>) {
    // Listed first, asked what it is only when that fails: every modprobe
    // call walks these directories (issue 14).
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        // A missing path is normal (most default directories do not exist).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            let Ok(meta) = pathfs::stat(path) else {
                return;
            };
            if meta.is_dir() {
                diags.push(Diagnostic::new(
                    Level::Error,
                    format!("opendir({}): {}\n", path.display(), strerror(&e)),
                ));
                return;
            }
            // The name that sorts and hides is what follows the last slash.
            let bytes = path.as_os_str().as_bytes();
            let name = match bytes.iter().rposition(|&b| b == b'/') {
                Some(at) => &bytes[at + 1..],
                None => bytes,
            };
            insert_sorted(files, name.to_vec(), path.to_path_buf());
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let bytes = name.as_bytes();
        let wanted = bytes.len() >= 6 && (bytes.ends_with(b".conf") || bytes.ends_with(b".alias"));
        if bytes.first() == Some(&b'.') || !wanted {
            continue;
        }
        let full = join_bytes(path, bytes);
        // the directory entry's type when it has one; a link (followed,
        // as kmod's fstatat does) or an unknown type is asked
        let is_dir = match entry.file_type() {
            Ok(t) if t.is_dir() || t.is_file() => t.is_dir(),
            _ => pathfs::is_dir(&full),
        };
        if is_dir {
            diags.push(Diagnostic::new(
                Level::Error,
                format!(
                    "Directories inside directories are not supported: {}\n",
                    full.display()
                ),
            ));
            continue;
        }
        insert_sorted(files, bytes.to_vec(), full);
    }
}

/// The bytes of a configuration file, as `std::fs::read` gives them but
/// without its probe for the end: a regular file is read with room for
/// one byte more than its size, and a read that comes back short is at the
/// end. (Six files per modprobe call; issue 14.)
pub(crate) fn read_config(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{ErrorKind, Read};
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut data = Vec::new();
    let want = usize::try_from(meta.len())
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    // (a size that cannot be had at once is read the plain way)
    if meta.is_file() && data.try_reserve_exact(want).is_ok() {
        data.resize(want, 0);
        let got = loop {
            match file.read(&mut data) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        data.truncate(got);
        if got < want {
            return Ok(data);
        }
        // it grew since: the rest the plain way
    }
    file.read_to_end(&mut data)?;
    Ok(data)
}

/// Insert keeping the list sorted by name; a name already present wins.
fn insert_sorted(files: &mut Vec<ConfigFile>, name: Vec<u8>, path: PathBuf) {
    match files.binary_search_by(|f| f.name.as_slice().cmp(&name)) {
        Ok(_) => {}
        Err(at) => files.insert(at, ConfigFile { name, path }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn read_config_reads_as_std_does() {
        let tmp = tempdir("read");
        let full = tmp.join("full.conf");
        std::fs::write(&full, "options x y=1\nalias a b\n").unwrap();
        let empty = tmp.join("empty.conf");
        std::fs::write(&empty, "").unwrap();
        // /proc files give no size: read to the end the plain way
        for path in [&full, &empty, Path::new("/proc/version")] {
            assert_eq!(read_config(path).unwrap(), std::fs::read(path).unwrap());
        }
        assert!(read_config(&tmp.join("missing.conf")).is_err());
    }

    #[test]
    fn earlier_directory_hides_later_and_names_sort() {
        let tmp = tempdir("files");
        let (a, b) = (tmp.join("a"), tmp.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        for (dir, name) in [(&a, "20-x.conf"), (&b, "20-x.conf"), (&b, "10-y.conf")] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        std::fs::write(b.join("notes.txt"), "").unwrap();
        std::fs::write(b.join(".hidden.conf"), "").unwrap();
        std::fs::create_dir(b.join("sub.conf")).unwrap();
        let (files, diags) = config_files(&[&a, &b, &tmp.join("missing")]);
        let got: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(got, vec![b.join("10-y.conf"), a.join("20-x.conf")]);
        let levels: Vec<_> = diags.iter().map(|d| d.level).collect();
        assert!(levels.contains(&Level::Info));
        assert!(levels.contains(&Level::Error));
    }

    #[test]
    fn a_file_path_is_read_as_is() {
        let tmp = tempdir("filepath");
        let f = tmp.join("custom.cfg");
        std::fs::write(&f, "").unwrap();
        let (files, diags) = config_files(&[&f]);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, b"custom.cfg");
        assert!(diags.is_empty());
    }

    /// A scratch directory of one test, removed when it goes.
    pub(crate) struct TempDir(PathBuf);

    impl std::ops::Deref for TempDir {
        type Target = std::path::Path;
        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl AsRef<std::path::Path> for TempDir {
        fn as_ref(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    pub(crate) fn tempdir(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "modconf-test-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

//! `-A`: whether `modules.dep` is newer than every module file, in which
//! case there is nothing to do.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::report::{diag, Reporter};
use crate::scan::has_module_extension;

/// True when no module file under `dirname` is newer (by whole seconds)
/// than `modules.dep`. Problems are reported and count as "not up to date"
/// only when `modules.dep` or the directory itself cannot be read.
pub fn is_up_to_date(dirname: &[u8], log: &mut dyn Reporter) -> bool {
    let dir = Path::new(OsStr::from_bytes(dirname));
    let shown = String::from_utf8_lossy(dirname);
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diag!(
                log,
                Error,
                "could not open directory {shown}: {}\n",
                modconf::strerror(&e)
            );
            return false;
        }
    };
    let dep_mtime = match pathfs::stat(dir.join("modules.dep")) {
        Ok(m) => m.mtime(),
        Err(e) => {
            diag!(
                log,
                Error,
                "could not fstatat({shown}, modules.dep): {}\n",
                modconf::strerror(&e)
            );
            return false;
        }
    };
    walk(entries, dir, dep_mtime, 0, log)
}

fn walk(
    entries: fs::ReadDir,
    dir: &Path,
    dep_mtime: i64,
    depth: usize,
    log: &mut dyn Reporter,
) -> bool {
    let dfd = 3 + depth;
    let mut fresh = true;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if matches!(name.as_bytes(), b"." | b".." | b"build" | b"source") {
            continue;
        }
        let path = dir.join(&name);
        let meta = match pathfs::stat(&path) {
            Ok(m) => m,
            Err(e) => {
                diag!(
                    log,
                    Error,
                    "fstatat({dfd}, {}): {}\n",
                    name.to_string_lossy(),
                    modconf::strerror(&e)
                );
                continue;
            }
        };
        if meta.is_dir() {
            match fs::read_dir(&path) {
                Ok(sub) => fresh = walk(sub, &path, dep_mtime, depth + 1, log),
                Err(e) => {
                    diag!(
                        log,
                        Error,
                        "openat({dfd}, {}, O_RDONLY): {}\n",
                        name.to_string_lossy(),
                        modconf::strerror(&e)
                    );
                    continue;
                }
            }
        } else if meta.is_file() {
            if !has_module_extension(name.as_bytes()) {
                continue;
            }
            fresh = meta.mtime() <= dep_mtime;
        } else {
            diag!(
                log,
                Error,
                "unsupported file type {}: {:o}\n",
                path.display(),
                meta.mode() & 0o170000
            );
            continue;
        }
        if !fresh {
            break;
        }
    }
    fresh
}

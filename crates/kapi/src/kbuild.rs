//! Building kapi.ko: the C layer in `c/` is compiled by kbuild against the
//! headers of the release the sim kernel plays, so every kernel struct it
//! touches has that release's layout. The result is cached by a hash of
//! the sources and of the headers' identity; a build goes to a temporary
//! directory and the module is renamed into place, so a cache entry is
//! always whole.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// The C sources, embedded so that an installed `rkmod` can build kapi.
const SOURCES: &[(&str, &[u8])] = &[
    ("Kbuild", include_bytes!("../c/Kbuild")),
    ("kapi.h", include_bytes!("../c/kapi.h")),
    ("core.c", include_bytes!("../c/core.c")),
    ("printk.c", include_bytes!("../c/printk.c")),
    ("vsprintf.c", include_bytes!("../c/vsprintf.c")),
    ("kstrtox.c", include_bytes!("../c/kstrtox.c")),
    ("string.c", include_bytes!("../c/string.c")),
    ("mem.c", include_bytes!("../c/mem.c")),
    ("params.c", include_bytes!("../c/params.c")),
    ("module.c", include_bytes!("../c/module.c")),
    ("sync.c", include_bytes!("../c/sync.c")),
    ("timer.c", include_bytes!("../c/timer.c")),
    ("wq.c", include_bytes!("../c/wq.c")),
    ("proc.c", include_bytes!("../c/proc.c")),
    ("seq_file.c", include_bytes!("../c/seq_file.c")),
    ("libfs.c", include_bytes!("../c/libfs.c")),
    ("sysfs.c", include_bytes!("../c/sysfs.c")),
    ("misc.c", include_bytes!("../c/misc.c")),
    ("thunks.S", include_bytes!("../c/thunks.S")),
];

/// The kbuild directory of `release` (`/lib/modules/<release>/build`).
pub fn default_headers(release: &str) -> PathBuf {
    PathBuf::from("/lib/modules").join(release).join("build")
}

/// kapi.ko for the headers in `headers`, built into `cache` unless a
/// build for the same sources and headers is there.
pub fn ensure_kapi(headers: &Path, release: &str, cache: &Path) -> Result<PathBuf, Error> {
    let makefile = headers.join("Makefile");
    if !makefile.is_file() {
        return Err(Error::NoHeaders {
            release: release.to_string(),
            dir: headers.to_path_buf(),
        });
    }
    let out = cache.join(format!("kapi-{release}-{:016x}.ko", identity(headers)));
    if out.is_file() {
        return Ok(out);
    }
    std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    let work = TempDir::new(cache)?;
    for (name, text) in SOURCES {
        let p = work.0.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
    }
    let run = |cmd: &mut Command, what: &str| -> Result<(), Error> {
        let r = cmd.output().map_err(|e| Error::Build {
            release: release.to_string(),
            output: format!("{what}: {e}"),
        })?;
        if r.status.success() {
            return Ok(());
        }
        Err(Error::Build {
            release: release.to_string(),
            output: format!(
                "{what}: {}{}",
                String::from_utf8_lossy(&r.stdout),
                String::from_utf8_lossy(&r.stderr)
            ),
        })
    };
    let mut make = Command::new("make");
    make.arg("-s")
        .arg("-C")
        .arg(headers)
        .arg(format!("M={}", work.0.display()))
        .arg("modules")
        .env_remove("MAKEFLAGS");
    run(&mut make, "make")?;
    let built = work.0.join("rkmod_kapi.ko");
    let tmp = cache.join(format!(".kapi-{}.ko.tmp", std::process::id()));
    run(
        Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&tmp)
            .arg(&built),
        "strip",
    )?;
    std::fs::rename(&tmp, &out).map_err(|e| Error::io(&out, e))?;
    Ok(out)
}

/// What identifies a build: the sources, the headers' directory and the
/// files that say which kernel they describe.
fn identity(headers: &Path) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (name, text) in SOURCES {
        name.hash(&mut h);
        text.hash(&mut h);
    }
    headers.hash(&mut h);
    for f in [
        "Module.symvers",
        ".config",
        "include/generated/utsrelease.h",
        "include/config/kernel.release",
    ] {
        if let Ok(bytes) = std::fs::read(headers.join(f)) {
            bytes.hash(&mut h);
        }
    }
    h.finish()
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(parent: &Path) -> Result<TempDir, Error> {
        for n in 0..1000u32 {
            let p = parent.join(format!(".kapi-build-{}-{n}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&p, e)),
            }
        }
        Err(Error::io(
            parent,
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::SOURCES;

    #[test]
    fn every_source_in_c_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("c");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }
}

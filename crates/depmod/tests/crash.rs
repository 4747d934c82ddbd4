//! The output files are replaced safely: a writer killed at any moment
//! leaves every file complete (old or new) and no temporary debris;
//! concurrent writers leave one writer's complete set; a directory that
//! cannot be written is an error that changes nothing; a writer of the
//! module cache killed at any moment leaves a complete cache.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Scratch;
use depmod::write::write_outputs;
use depmod::OutputFile;

const NAMES: [&str; 5] = [
    "modules.dep",
    "modules.dep.bin",
    "modules.alias",
    "modules.symbols",
    "modules.devname",
];

/// A set of files, each large enough that writing takes a while, all
/// carrying the generation `tag`.
fn generation(tag: u8) -> Vec<OutputFile> {
    NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| OutputFile {
            name,
            data: vec![tag.wrapping_add(i as u8); 3 << 20],
            binary: false,
        })
        .collect()
}

fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Every file is one generation's complete version, and nothing else is
/// in the directory.
fn check_complete(dir: &Path, generations: &[u8]) -> Result<(), String> {
    let found = contents(dir);
    for (name, data) in &found {
        let Some(i) = NAMES.iter().position(|n| n == name) else {
            return Err(format!("unexpected file {name}"));
        };
        let ok = generations.iter().any(|&g| {
            let want = g.wrapping_add(i as u8);
            data.len() == 3 << 20 && data.iter().all(|&b| b == want)
        });
        if !ok {
            return Err(format!(
                "{name} is not a complete version ({} bytes)",
                data.len()
            ));
        }
    }
    if found.len() != NAMES.len() {
        return Err(format!("{} files instead of {}", found.len(), NAMES.len()));
    }
    Ok(())
}

/// Child mode: rewrite the directory named by the environment forever,
/// alternating two generations.
fn child_loop() {
    let Some(dir) = std::env::var_os("DEPMOD_CRASH_CHILD_DIR") else {
        return;
    };
    let (a, b) = (generation(1), generation(101));
    loop {
        write_outputs(Path::new(&dir), &a).unwrap();
        write_outputs(Path::new(&dir), &b).unwrap();
    }
}

#[test]
fn sigkill_at_any_moment_leaves_complete_files() {
    child_loop();
    let s = Scratch::new("sigkill");
    let dir = s.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    write_outputs(&dir, &generation(1)).unwrap();
    for round in 0..12u64 {
        kill_a_writer(
            "sigkill_at_any_moment_leaves_complete_files",
            "DEPMOD_CRASH_CHILD_DIR",
            &dir,
            round,
        );
        // A kill between naming a temporary and renaming it may leave the
        // hidden name behind; every real file must still be complete.
        if let Err(e) = check_complete(&without_temporaries(&dir), &[1, 101]) {
            panic!("after kill {round}: {e}");
        }
    }
    // The next run removes what killed runs left.
    write_outputs(&dir, &generation(1)).unwrap();
    if let Err(e) = check_complete(&dir, &[1]) {
        panic!("after a clean run: {e}");
    }
}

/// Run `test` of this binary as a child writing into `dir` in a loop
/// (`env` names it), and SIGKILL it after a delay that spreads the kills
/// of successive rounds over a few write cycles.
fn kill_a_writer(test: &str, env: &str, dir: &Path, round: u64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env(env, dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20 + (round * 37) % 150));
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A copy of `dir` without the hidden temporaries killed runs leave.
fn without_temporaries(dir: &Path) -> PathBuf {
    let copy = dir.with_extension("checked");
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && name.contains(".rdepmod-")) {
            std::fs::copy(entry.path(), copy.join(&name)).unwrap();
        }
    }
    copy
}

#[test]
fn concurrent_writers_leave_one_complete_set() {
    let s = Scratch::new("concurrent");
    let dir = s.path().to_path_buf();
    let writers: Vec<_> = (0..3u8)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                for round in 0..4u8 {
                    write_outputs(&dir, &generation(w * 50 + round)).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let found = contents(&dir);
    // All files come from the same generation: the last writer's.
    let first = found["modules.dep"][0];
    check_complete(&dir, &[first]).unwrap();
}

#[test]
fn unwritable_directory_is_an_error_and_changes_nothing() {
    let s = Scratch::new("unwritable");
    let file_not_dir = s.put("plain-file", b"x");
    assert!(write_outputs(&file_not_dir, &generation(1)).is_err());
    assert_eq!(std::fs::read(&file_not_dir).unwrap(), b"x");

    // A directory we may not write into: as root, permission bits do not
    // stop us, so use procfs, which refuses new files.
    let dir = if nix_is_root() {
        Path::new("/proc/sys").to_path_buf()
    } else {
        let d = s.path().join("ro");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
        d
    };
    let before = std::fs::read_dir(&dir).unwrap().count();
    let err = write_outputs(&dir, &generation(1)).unwrap_err();
    assert!(err.to_string().starts_with("could not write "), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// A cache file of generation `tag`: 600 records of 5 KiB.
fn cache_generation(tag: u8) -> OutputFile {
    let mut b = depcache::Builder::new(b"crash-test");
    for i in 0..600u64 {
        let key = depcache::FileKey {
            dev: 1,
            ino: i,
            size: i,
            mtime: (1, 0),
            ctime: (1, 0),
        };
        b.add(format!("/m/{i}.ko").as_bytes(), &key, &[tag; 5 << 10]);
    }
    OutputFile {
        name: depcache::FILE_NAME,
        data: b.finish(),
        binary: true,
    }
}

/// Child mode: rewrite the cache forever, alternating two generations,
/// as rdepmod does after its outputs.
fn cache_child_loop() {
    let Some(dir) = std::env::var_os("DEPMOD_CRASH_CACHE_DIR") else {
        return;
    };
    let (a, b) = (cache_generation(1), cache_generation(2));
    loop {
        write_outputs(Path::new(&dir), std::slice::from_ref(&a)).unwrap();
        write_outputs(Path::new(&dir), std::slice::from_ref(&b)).unwrap();
    }
}

#[test]
fn sigkill_during_cache_write_leaves_a_usable_cache() {
    cache_child_loop();
    let s = Scratch::new("sigkill-cache");
    let dir = s.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    write_outputs(&dir, &[cache_generation(1)]).unwrap();
    for round in 0..12u64 {
        kill_a_writer(
            "sigkill_during_cache_write_leaves_a_usable_cache",
            "DEPMOD_CRASH_CACHE_DIR",
            &dir,
            round,
        );
        // The cache is always one complete generation, never a torn one.
        let (cache, why) = depcache::Cache::load(&dir, b"crash-test");
        assert_eq!((cache.len(), why), (600, None), "after kill {round}");
        let key = depcache::FileKey {
            dev: 1,
            ino: 7,
            size: 7,
            mtime: (1, 0),
            ctime: (1, 0),
        };
        let rec = cache.get(b"/m/7.ko", &key).unwrap();
        assert!(rec.iter().all(|&b| b == rec[0]) && matches!(rec[0], 1 | 2));
    }
    // The next write removes what killed writers left.
    write_outputs(&dir, &[cache_generation(1)]).unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "only the cache is left");
}

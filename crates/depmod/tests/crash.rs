//! The output files are replaced safely: a writer killed at any moment
//! leaves every file complete (old or new) and no temporary debris;
//! concurrent writers leave one writer's complete set; a directory that
//! cannot be written is an error that changes nothing; a writer of the
//! module cache killed at any moment leaves a complete cache; a whole run
//! killed at any moment (outputs, cache or replay record half written)
//! never makes a later run replay outputs that are not its own.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{plain_module, Scratch};
use depmod::replay::{self, Record, Stream};
use depmod::report::Collect;
use depmod::write::{write_outputs, write_streamed};
use depmod::{Depmod, Options, OutputFile};

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

/// A cache file of generation `tag`: 600 records of 5 KiB, streamed to
/// its file as rdepmod streams its cache (`write::write_streamed`).
struct Generation(u8);

impl depmod::write::Streamed for Generation {
    fn name(&self) -> &'static str {
        depcache::FILE_NAME
    }

    fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut b = depcache::Builder::writing_to(w, b"crash-test");
        for i in 0..600u64 {
            let key = depcache::FileKey {
                dev: 1,
                ino: i,
                size: i,
                mtime: (1, 0),
                ctime: (1, 0),
            };
            b.add(format!("/m/{i}.ko").as_bytes(), &key, &[self.0; 5 << 10]);
        }
        b.finish_writing().map(drop)
    }
}

/// Child mode: rewrite the cache forever, alternating two generations,
/// as rdepmod does beside its outputs.
fn cache_child_loop() {
    let Some(dir) = std::env::var_os("DEPMOD_CRASH_CACHE_DIR") else {
        return;
    };
    loop {
        write_streamed(Path::new(&dir), &Generation(1)).unwrap();
        write_streamed(Path::new(&dir), &Generation(2)).unwrap();
    }
}

#[test]
fn sigkill_during_cache_write_leaves_a_usable_cache() {
    cache_child_loop();
    let s = Scratch::new("sigkill-cache");
    let dir = s.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    write_streamed(&dir, &Generation(1)).unwrap();
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
    write_streamed(&dir, &Generation(1)).unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "only the cache is left");
}

/// The replay test's tree: modules needing each other, one that is no
/// module at all (a message in every run), and two states of its other
/// inputs (`modules.order`, `modules.builtin`) that give different files.
fn replay_tree(s: &Scratch) {
    let m = plain_module;
    s.put("kernel/a.ko", &m(&["alias=a-1"], &["sa"], &["sb"]));
    s.put("kernel/b.ko", &m(&["alias=b-1"], &["sb"], &[]));
    s.put(
        "kernel/c.ko",
        &m(&["softdep=pre: a"], &["sc"], &["sa", "sb"]),
    );
    s.put("kernel/d.ko", &m(&["alias=d-*"], &["sd"], &["sc"]));
    s.put("kernel/bad.ko", b"not a module at all");
    set_state(s.path(), 0);
    // Module files are trusted by identity once the file system's clock
    // has moved past them.
    std::thread::sleep(Duration::from_millis(30));
}

fn set_state(dir: &Path, state: u8) {
    let (order, builtin): (&[u8], &[u8]) = if state == 0 {
        (
            b"kernel/a.ko\nkernel/b.ko\nkernel/c.ko\nkernel/d.ko\n",
            b"kernel/x.ko\n",
        )
    } else {
        (
            b"kernel/d.ko\nkernel/c.ko\nkernel/b.ko\nkernel/a.ko\n",
            b"kernel/y.ko\nkernel/z.ko\n",
        )
    };
    std::fs::write(dir.join("modules.order"), order).unwrap();
    std::fs::write(dir.join("modules.builtin"), builtin).unwrap();
}

fn replay_opts(dir: &Path) -> Options {
    use std::os::unix::ffi::OsStrExt;
    Options::new(dir.as_os_str().as_bytes().to_vec())
}

fn replay_cfg() -> modconf::DepmodConfig {
    modconf::DepmodConfig::default()
}

/// One run as rdepmod does it: up to the replay point, then a replay or
/// the whole work (outputs, cache, record last). Whether it replayed, and
/// the messages from the replay point on.
fn rdepmod_like(dir: &Path) -> (bool, Vec<Vec<u8>>) {
    let mut log = Collect::default();
    let mut d = Depmod::new(replay_opts(dir));
    d.search(&replay_cfg(), &mut log).unwrap();
    d.prepare(&mut log);
    let digest = d.replay_digest(b"crash test").unwrap();
    if let Some(rec) = replay::replayable(dir, &digest) {
        return (true, rec.transcript.into_iter().map(|(_, t)| t).collect());
    }
    let mut after = Collect::default();
    d.use_cache(dir);
    let r = d.resolve(&mut after).unwrap();
    let files = r.outputs(false, &mut after).unwrap();
    write_outputs(dir, &files).unwrap();
    if let Some(c) = r.cache_file() {
        write_streamed(dir, &c).unwrap();
    }
    let said: Vec<Vec<u8>> = after.diags.into_iter().map(|d| d.text).collect();
    match r.replayable().then(|| replay::seal(dir, &files)).flatten() {
        Some(outputs) => {
            let rec = Record {
                digest,
                status: 0,
                transcript: said.iter().map(|t| (Stream::Stderr, t.clone())).collect(),
                outputs,
            };
            write_outputs(dir, &[rec.file()]).unwrap();
        }
        None => replay::forget(dir),
    }
    (false, said)
}

/// What a run without cache or record would write and say.
fn fresh_run(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<Vec<u8>>) {
    let mut log = Collect::default();
    let mut d = Depmod::new(replay_opts(dir));
    d.search(&replay_cfg(), &mut log).unwrap();
    d.prepare(&mut log);
    let mut after = Collect::default();
    let r = d.resolve(&mut after).unwrap();
    let files = r.outputs(false, &mut after).unwrap();
    let files = files
        .into_iter()
        .map(|f| (f.name.to_string(), f.data))
        .collect();
    (files, after.diags.into_iter().map(|d| d.text).collect())
}

/// Child mode: run depmod on the tree forever, alternating its two states.
fn replay_child_loop() {
    let Some(dir) = std::env::var_os("DEPMOD_CRASH_REPLAY_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    loop {
        for state in [0, 1] {
            set_state(&dir, state);
            rdepmod_like(&dir);
        }
    }
}

#[test]
fn sigkill_during_any_part_of_a_run_never_replays_stale_outputs() {
    replay_child_loop();
    let s = Scratch::new("sigkill-replay");
    replay_tree(&s);
    let dir = s.path().to_path_buf();
    let mut replays = 0;
    for round in 0..10u64 {
        kill_a_writer(
            "sigkill_during_any_part_of_a_run_never_replays_stale_outputs",
            "DEPMOD_CRASH_REPLAY_DIR",
            &dir,
            round,
        );
        // Whatever the kill left, each state's run (a replay or not) gives
        // that state's files and messages; the second of each pair may
        // replay the first.
        for state in [0, 0, 1, 1, 0] {
            set_state(&dir, state);
            let (replayed, said) = rdepmod_like(&dir);
            replays += usize::from(replayed);
            let (want, want_said) = fresh_run(&dir);
            assert_eq!(said, want_said, "round {round}, state {state}: messages");
            for (name, data) in &want {
                let found = std::fs::read(dir.join(name)).ok();
                assert!(
                    found.as_ref() == Some(data),
                    "round {round}, state {state} (replayed: {replayed}): {name} is not this state's"
                );
            }
        }
    }
    assert!(replays > 0, "no run replayed");
    let debris: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".rdepmod-"))
        .collect();
    assert!(debris.is_empty(), "temporaries left: {debris:?}");
}

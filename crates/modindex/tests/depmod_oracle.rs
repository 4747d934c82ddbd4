//! kmod's own depmod as an oracle for the writer on random inputs.
//!
//! depmod builds modules.builtin.alias.bin from modules.builtin.modinfo and
//! modules.builtin.bin from modules.builtin, both plain files we can
//! generate freely, every value with priority 0: random trie shapes, shared
//! prefixes, wildcards, duplicate keys and values, and ties between values
//! of equal priority (stored newest first). With kmod 30's depmod the files
//! must be byte-identical to ours; with another kmod version, which may lay
//! nodes out differently, the reader must at least see the same content.
//!
//! Skipped, with a message, when no depmod can be run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use modindex::Index;
use proptest::prelude::*;

/// depmod's path and kmod version number, if it runs.
fn depmod() -> Option<(PathBuf, u32)> {
    for candidate in ["depmod", "/usr/sbin/depmod", "/sbin/depmod"] {
        let Ok(out) = Command::new(candidate).arg("--version").output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("kmod version "))
            .and_then(|v| v.trim().split('.').next()?.parse().ok());
        if let Some(version) = version {
            return Some((PathBuf::from(candidate), version));
        }
    }
    None
}

/// A kmod tool's path, if `--version` runs.
fn tool(name: &str) -> Option<PathBuf> {
    [
        name.to_string(),
        format!("/usr/sbin/{name}"),
        format!("/sbin/{name}"),
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| Command::new(p).arg("--version").output().is_ok())
}

/// Output lines of a command, whatever its exit status ("not found" exits 1).
fn output_lines(cmd: &mut Command) -> Vec<String> {
    let out = cmd.output().expect("run kmod tool");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// A scratch base directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "modindex-depmod-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("lib/modules/9.9.9")).unwrap();
        Scratch(dir)
    }

    fn moddir(&self) -> PathBuf {
        self.0.join("lib/modules/9.9.9")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run depmod on a tree holding only the given builtin files; return
/// (modules.builtin.alias.bin, modules.builtin.bin) as depmod wrote them.
fn run_depmod(depmod: &Path, modinfo: &[u8], builtin: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let scratch = Scratch::new();
    depmod_in(&scratch, depmod, modinfo, builtin)
}

fn depmod_in(
    scratch: &Scratch,
    depmod: &Path,
    modinfo: &[u8],
    builtin: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let dir = scratch.moddir();
    std::fs::write(dir.join("modules.builtin.modinfo"), modinfo).unwrap();
    std::fs::write(dir.join("modules.builtin"), builtin).unwrap();
    std::fs::write(dir.join("modules.order"), b"").unwrap();
    let out = Command::new(depmod)
        .arg("-b")
        .arg(&scratch.0)
        .arg("9.9.9")
        .output()
        .expect("run depmod");
    assert!(
        out.status.success(),
        "depmod failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name| std::fs::read(dir.join(name)).unwrap();
    (
        read("modules.builtin.alias.bin"),
        read("modules.builtin.bin"),
    )
}

fn dump(bytes: &[u8]) -> Vec<(Vec<u8>, u32, Vec<u8>)> {
    let index = Index::from_bytes(bytes).expect("valid index");
    index.validate().expect("index validates");
    index
        .iter()
        .map(|(k, v)| (k, v.priority, v.value.to_vec()))
        .collect()
}

fn compare(version: u32, name: &str, ours: &[u8], kmods: &[u8]) {
    if version == 30 {
        assert_same_bytes(name, ours, kmods);
    } else {
        assert_eq!(dump(ours), dump(kmods), "{name}: content differs");
    }
}

fn check(depmod: &Path, version: u32, modinfo: &[u8], builtin: &[u8]) {
    let (alias_bin, builtin_bin) = run_depmod(depmod, modinfo, builtin);
    let ours_alias = build(&builtin_alias_inserts(modinfo));
    let ours_builtin = build(&builtin_inserts(builtin));
    compare(
        version,
        "modules.builtin.alias.bin",
        &ours_alias,
        &alias_bin,
    );
    compare(version, "modules.builtin.bin", &ours_builtin, &builtin_bin);
}

fn depmod_or_skip() -> Option<(PathBuf, u32)> {
    let found = depmod();
    match &found {
        None => eprintln!("SKIP: no runnable kmod depmod found"),
        Some((_, v)) if *v != 30 => {
            eprintln!("NOTE: depmod is kmod {v}, not 30: comparing index contents, not bytes")
        }
        _ => {}
    }
    found
}

#[test]
fn handmade_ties_and_duplicates() {
    let Some((depmod, version)) = depmod_or_skip() else {
        return;
    };
    let modinfo = b"aaa.alias=foo\0bbb.alias=foo\0ccc.alias=foo\0aaa.alias=foo\0\
        aaa.alias=f*\0bbb.alias=f?o\0bbb.file=x\0ccc.alias=fo[o-p]\0ddd.alias=bad[\0\
        eee.license=GPL\0eee.alias=x-y[a-b]-z\0";
    let builtin = b"kernel/a/aaa.ko\nkernel/b/bbb.ko\nkernel/b/aaa.ko\nkernel/c/c-c.ko\n";
    check(&depmod, version, modinfo, builtin);
}

fn record() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::collection::vec(prop::sample::select(b"abc_-".to_vec()), 1..4);
    let key = prop_oneof![
        8 => Just(b"alias".to_vec()),
        1 => Just(b"file".to_vec()),
        1 => Just(b"license".to_vec()),
    ];
    let value = prop::collection::vec(prop::sample::select(b"ab:*?[]-_0".to_vec()), 0..9);
    (name, key, value).prop_map(|(name, key, value)| {
        let mut r = name;
        r.push(b'.');
        r.extend_from_slice(&key);
        r.push(b'=');
        r.extend_from_slice(&value);
        r.push(0);
        r
    })
}

fn builtin_line() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(b"abc_-".to_vec()), 1..5).prop_map(|name| {
        let mut line = b"kernel/drivers/".to_vec();
        line.extend_from_slice(&name);
        line.extend_from_slice(b".ko\n");
        line
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_builtin_indexes_match_depmod(
        records in prop::collection::vec(record(), 0..60),
        lines in prop::collection::vec(builtin_line(), 0..20),
    ) {
        let Some((depmod, version)) = depmod() else {
            eprintln!("SKIP: no runnable kmod depmod found");
            return Ok(());
        };
        check(&depmod, version, &records.concat(), &lines.concat());
    }
}

/// Alias patterns for builtin modules, mostly under the `zq:` prefix the
/// queries use, sometimes starting with a wildcard.
fn alias_pattern() -> impl Strategy<Value = Vec<u8>> {
    let head = prop::sample::select(vec![&b"zq:"[..], b"zq", b"z", b""]);
    let tail = prop::collection::vec(prop::sample::select(b"ab0_*?[]".to_vec()), 0..5);
    (head, tail).prop_map(|(h, t)| [h, &t[..]].concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The order of `search_wild` results, ties included, is what modprobe
    /// (mmap reader) and modinfo (file reader) of this machine's kmod print
    /// for an alias of builtin modules (all of priority 0).
    #[test]
    fn search_wild_order_matches_modprobe_and_modinfo(
        aliases in prop::collection::vec(
            (prop::sample::select(vec!["aaa", "bbb", "ccc", "ddd"]), alias_pattern()),
            1..25,
        ),
        queries in prop::collection::vec(
            prop::collection::vec(prop::sample::select(b"ab0_".to_vec()), 0..4),
            1..4,
        ),
    ) {
        let (Some((depmod, _)), Some(modprobe), Some(modinfo)) =
            (depmod(), tool("modprobe"), tool("modinfo"))
        else {
            eprintln!("SKIP: kmod's depmod, modprobe or modinfo cannot be run");
            return Ok(());
        };
        let records: Vec<u8> = aliases
            .iter()
            .flat_map(|(m, a)| [m.as_bytes(), b".alias=", a, b"\0"].concat())
            .collect();
        let builtin = b"kernel/aaa.ko\nkernel/bbb.ko\nkernel/ccc.ko\nkernel/ddd.ko\n";
        let scratch = Scratch::new();
        let (alias_bin, _) = depmod_in(&scratch, &depmod, &records, builtin);
        let index = Index::from_bytes(alias_bin).unwrap();
        for tail in &queries {
            let query = [&b"zq:"[..], tail].concat();
            let query_str = String::from_utf8(query.clone()).unwrap();
            let ours = |reader| -> Vec<String> {
                index
                    .search_wild_as(&query, reader)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.value).into_owned())
                    .collect()
            };
            let by_modprobe: Vec<String> = output_lines(
                Command::new(&modprobe)
                    .args(["-C", "/dev/null", "-d"])
                    .arg(&scratch.0)
                    .args(["-S", "9.9.9", "--show-depends", &query_str]),
            )
            .into_iter()
            .filter_map(|l| l.strip_prefix("builtin ").map(str::to_string))
            .collect();
            let by_modinfo = output_lines(
                Command::new(&modinfo)
                    .arg("-b")
                    .arg(&scratch.0)
                    .args(["-k", "9.9.9", "-F", "name", &query_str]),
            );
            prop_assert_eq!(ours(modindex::LibkmodReader::Mmap), by_modprobe, "modprobe, query {}", &query_str);
            prop_assert_eq!(ours(modindex::LibkmodReader::File), by_modinfo, "modinfo, query {}", &query_str);
        }
    }
}

//! Resolution through a fuzzed-looking modprobe.d stays near-linear: long
//! alias names and patterns, wildcard aliases and softdeps, long softdep
//! lists (some names longer than kmod's PATH_MAX buffers, some with
//! unbalanced brackets), options and install lines, backslash
//! continuations — the shape of the file from issue 11, smaller (about
//! 12 MB; scripts/gen-slow-modprobe-conf.py writes the full 57 MB one).
//! kmod and rmodprobe must print the same, and ours must not take much
//! longer than kmod (it took 50 times as long before).

mod kmodref;

use std::process::Command;
use std::time::{Duration, Instant};

use kmodref::{describe, kmod, root, Scratch};

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    fn name(&mut self, len: usize) -> String {
        const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_-";
        (0..len)
            .map(|_| ALPHA[self.below(ALPHA.len())] as char)
            .collect()
    }

    /// A long pattern: a name with wildcards sprinkled in.
    fn wild(&mut self, len: usize) -> String {
        let mut out = String::new();
        while out.len() < len {
            match self.below(200) {
                0..=7 => out.push('*'),
                8..=11 => out.push('?'),
                12..=13 => out.push_str("[a-m]"),
                14 => out.push_str("[!x_]"),
                _ => out.push_str(&self.name(1)),
            }
        }
        out
    }
}

const REAL: &[&str] = &["square", "test_square", "khello", "rust_cube", "test_cube"];
const MATCHING: &[&str] = &[
    "*",
    "t*",
    "*square*",
    "*_cube",
    "k*",
    "test-square",
    "?quare",
    "*[a-z]*",
];

fn config(lines: usize, seed: u64) -> String {
    let mut r = Rng(seed);
    // First, so that they are the softdeps that apply: a name with an
    // unbalanced bracket, one longer than PATH_MAX that an alias takes
    // (by its first 4095 bytes), and one whose alias pattern and module
    // name together do not fit PATH_MAX.
    let long = r.name(5000);
    let too_long = r.name(5000);
    let mut out = format!(
        "softdep test_square pre: bad]name square post: lng{long} tl{too_long}\n\
         alias lng* khello\n\
         alias tl{}* khello\n",
        &too_long[..4090]
    );
    for _ in 0..lines {
        let size = 2000 + r.below(10_000);
        let line = match r.below(100) {
            0..=34 => {
                let name = if r.chance(50) {
                    r.wild(size)
                } else {
                    r.name(size)
                };
                let target = if r.chance(50) {
                    r.pick(REAL).to_string()
                } else {
                    r.name(40)
                };
                format!("alias {name} {target}")
            }
            35..=39 => format!(
                "alias {} {}",
                r.pick(&["net-pf-4?", "net_pf_*", "*pf-40", "test*"]),
                r.pick(REAL)
            ),
            40..=64 => {
                let pattern = if r.chance(60) {
                    r.pick(MATCHING).to_string()
                } else {
                    r.wild(size / 4)
                };
                let mut deps = Vec::new();
                for _ in 0..1 + r.below(6) {
                    deps.push(match r.below(10) {
                        0..=2 => r.pick(REAL).to_string(),
                        3..=5 => r.name(size / 3),
                        6 => {
                            // longer than kmod's PATH_MAX buffer
                            let len = 4100 + r.below(200);
                            r.name(len)
                        }
                        7 => format!("{}]{}", r.name(20), r.name(5)),
                        _ => r.wild(size / 3),
                    });
                }
                let half = r.below(deps.len() + 1);
                format!(
                    "softdep {pattern} pre: {} post: {}",
                    deps[..half].join(" "),
                    deps[half..].join(" ")
                )
            }
            65..=74 => {
                let opts: Vec<String> = (0..10)
                    .map(|_| format!("{}={}", r.name(12), r.name(size / 20)))
                    .collect();
                let target = if r.chance(80) {
                    r.pick(REAL).to_string()
                } else {
                    r.name(60)
                };
                format!("options {target} {}", opts.join(" "))
            }
            75..=84 => {
                let pattern = if r.chance(30) {
                    r.pick(&MATCHING[1..]).to_string()
                } else {
                    r.wild(size / 2)
                };
                format!("install {pattern} /bin/true {}", r.name(size / 4))
            }
            _ => format!("blacklist {}", r.name(size)),
        };
        if r.chance(70) {
            // split with backslash-newline at random points
            let bytes = line.as_bytes();
            let mut at = 0;
            while at < bytes.len() {
                let step = (500 + r.below(3000)).min(bytes.len() - at);
                out.push_str(&line[at..at + step]);
                at += step;
                if at < bytes.len() {
                    out.push_str("\\\n");
                }
            }
        } else {
            out.push_str(&line);
        }
        out.push('\n');
    }
    out
}

/// kmod's library messages carry its source location (Debian builds
/// log it: `../libkmod/libkmod-module.c:1567 lookup_softdep() `); ours do
/// not, and the program names differ.
fn normalized_stderr(stderr: &[u8], prog: &str) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|l| {
            let l = l.strip_prefix(prog).unwrap_or(l);
            match l.split_once("ERROR: ../libkmod/") {
                Some((head, rest)) => {
                    let after = rest.split_once("() ").map_or(rest, |(_, a)| a);
                    format!("{head}ERROR: {after}")
                }
                None => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fuzzed_configuration_resolves_as_kmod_does_and_as_fast() {
    let dir = Scratch::new("slowconf");
    let text = config(2000, 0x5eed_1234_abcd_0042);
    assert!(text.len() > 8 << 20, "{} bytes", text.len());
    let conf = dir.write("fuzzed.conf", text.as_bytes());
    let tree = root().join("testdata/golden/root");
    let release = "6.1.0-56-amd64";
    let (mut messages, mut steps) = (0, 0);
    for request in ["net-pf-40", "test_square", "rust-cube", "khello"] {
        let args = |c: &mut Command| {
            c.arg("-C").arg(&conf).arg("-d").arg(&tree).args([
                "-S",
                release,
                "--show-depends",
                request,
            ]);
        };
        let mut k = Command::new(kmod("modprobe"));
        args(&mut k);
        let started = Instant::now();
        let k = k.output().expect("run kmod's modprobe");
        let kmod_time = started.elapsed();
        let mut o = Command::new(env!("CARGO_BIN_EXE_rmodprobe"));
        args(&mut o);
        let started = Instant::now();
        let o = o.output().expect("run rmodprobe");
        let our_time = started.elapsed();
        let what = format!("--show-depends {request}");
        assert!(
            k.stdout == o.stdout && k.status.code() == o.status.code(),
            "{}",
            describe(&what, &k, &o)
        );
        assert_eq!(
            normalized_stderr(&k.stderr, "modprobe"),
            normalized_stderr(&o.stderr, "rmodprobe"),
            "{what}: messages"
        );
        eprintln!("{what}: kmod {kmod_time:?}, rmodprobe {our_time:?}");
        messages += k
            .stderr
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        steps += k
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        // generous: this is a debug build on a shared machine
        assert!(
            our_time < kmod_time * 5 + Duration::from_secs(2),
            "{what}: rmodprobe took {our_time:?}, kmod {kmod_time:?}"
        );
    }
    // the configuration does what it is for: long plans through softdeps,
    // and lookups that fail (bad brackets, names too long)
    assert!(steps > 40, "only {steps} steps");
    assert!(messages > 4, "only {messages} messages");
    eprintln!("{steps} steps, {messages} messages");
}

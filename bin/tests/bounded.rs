//! Bounded memory on expansion bombs: a compressed module that expands
//! without limit is refused once it passes the limit, with kmod's form of
//! error naming the file, and rdepmod's parallel reading never holds more
//! than its budget of expanded images. The bombs are made here (zstd of
//! zeros, ~300 bytes per 10 MiB); `RKMOD_MAX_DECOMPRESSED` lowers the
//! limit so that they go off cheaply. Peak memory is the child's own,
//! from `wait4`.

mod kmodref;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kmodref::{kmod, run, sample, Scratch};

const MIB: u64 = 1 << 20;
/// The limit the tests set: bombs expand to several times this.
const LIMIT: u64 = 32 * MIB;

/// `prefix` followed by zeros up to `total` bytes, zstd-compressed.
fn zstd_bomb(prefix: &[u8], total: u64) -> Vec<u8> {
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd encoder");
    enc.write_all(prefix).unwrap();
    let zeros = vec![0u8; MIB as usize];
    let mut left = total - prefix.len() as u64;
    while left > 0 {
        let n = left.min(MIB) as usize;
        enc.write_all(&zeros[..n]).unwrap();
        left -= n as u64;
    }
    enc.finish().unwrap()
}

/// Run `cmd` to completion and return its output and peak resident size
/// in bytes.
///
/// The peak comes from `wait4` in a fresh process: a child's `ru_maxrss`
/// starts from the high-water mark of the process it was spawned from (the
/// kernel carries it over at exec), and this test process is large. So the
/// test binary runs itself as a small wrapper (`measure_wrapper`), which
/// spawns the command and reports.
fn measured(cmd: &Command, scratch: &Path) -> (Output, u64) {
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_str().expect("UTF-8 argument").to_string())
        .collect();
    let mut wrapper = Command::new(std::env::current_exe().unwrap());
    wrapper
        .args([
            "--exact",
            "measure_wrapper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MEASURE_PROGRAM, cmd.get_program())
        .env(MEASURE_ARGS, args.join("\x1f"))
        .env(MEASURE_DIR, scratch);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapper.env(k, v),
            None => wrapper.env_remove(k),
        };
    }
    let w = wrapper.output().expect("run the measuring wrapper");
    assert!(
        w.status.success(),
        "wrapper: {}",
        String::from_utf8_lossy(&w.stderr)
    );
    let report = std::fs::read_to_string(scratch.join("measure.report")).unwrap();
    let (status, peak) = report.trim().split_once(' ').unwrap();
    let output = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status.parse().unwrap()),
        stdout: std::fs::read(scratch.join("measure.out")).unwrap(),
        stderr: std::fs::read(scratch.join("measure.err")).unwrap(),
    };
    (output, peak.parse().unwrap())
}

const MEASURE_PROGRAM: &str = "RKMOD_TEST_MEASURE_PROGRAM";
const MEASURE_ARGS: &str = "RKMOD_TEST_MEASURE_ARGS";
const MEASURE_DIR: &str = "RKMOD_TEST_MEASURE_DIR";

/// The wrapper of [`measured`]; without its environment, nothing to do.
#[test]
fn measure_wrapper() {
    let Some(program) = std::env::var_os(MEASURE_PROGRAM) else {
        return;
    };
    let args = std::env::var(MEASURE_ARGS).unwrap();
    let dir = PathBuf::from(std::env::var_os(MEASURE_DIR).unwrap());
    // reaped by wait4 below, which also gives its resource usage
    #[allow(clippy::zombie_processes)]
    let child = Command::new(program)
        .args(args.split('\x1f').filter(|a| !a.is_empty()))
        .env_remove(MEASURE_PROGRAM)
        .stdout(File::create(dir.join("measure.out")).unwrap())
        .stderr(File::create(dir.join("measure.err")).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as nix::libc::pid_t;
    let got = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4");
    let peak = usage.ru_maxrss as u64 * 1024;
    std::fs::write(dir.join("measure.report"), format!("{status} {peak}\n")).unwrap();
}

fn limited(bin: &str) -> Command {
    let mut c = Command::new(bin);
    c.env("RKMOD_MAX_DECOMPRESSED", LIMIT.to_string());
    c
}

#[test]
fn rmodinfo_refuses_a_bomb_naming_it() {
    let dir = Scratch::new("bomb-modinfo");
    let bomb = dir.write("bomb.ko.zst", &zstd_bomb(b"", 8 * LIMIT));
    let (o, peak) = measured(limited(env!("CARGO_BIN_EXE_rmodinfo")).arg(&bomb), &dir.0);
    eprintln!("rmodinfo on a bomb: peak {} MiB", peak / MIB);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(
        err, "rmodinfo: ERROR: could not get modinfo from 'bomb': File too large\n",
        "kmod's form of the error, naming the module"
    );
    assert!(peak < LIMIT + 16 * MIB, "peak {} MiB", peak / MIB);
    // Up to the error, the same as kmod (which takes the whole 256 MiB and
    // then finds no ELF): the filename line and the exit status.
    let k = run(Command::new(kmod("modinfo")).arg(&bomb));
    assert_eq!(k.stdout, o.stdout);
    assert_eq!(k.status.code(), o.status.code());
}

#[test]
fn rmodprobe_show_exports_refuses_a_bomb_naming_it() {
    let dir = Scratch::new("bomb-modprobe");
    let bomb = dir.write("bomb.ko.zst", &zstd_bomb(b"\x7fELF", 4 * LIMIT));
    let o = run(limited(env!("CARGO_BIN_EXE_rmodprobe"))
        .arg("--show-exports")
        .arg(&bomb));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        format!(
            "rmodprobe: FATAL: could not get symbols of {}: File too large\n",
            bomb.display()
        )
    );
}

/// A tree with the sample modules, and `bombs` compressed modules that
/// start like ELF and expand to `size` bytes each.
fn tree(dir: &Scratch, bombs: usize, size: u64) -> PathBuf {
    let moddir = dir.0.join("lib/modules/9.9.9");
    for name in ["square.ko", "test_square.ko", "khello.ko"] {
        dir.write(&format!("lib/modules/9.9.9/extra/{name}"), &sample(name));
    }
    if bombs == 0 {
        return moddir;
    }
    let elf_head = &sample("square.ko")[..64];
    let bomb = zstd_bomb(elf_head, size);
    for i in 0..bombs {
        dir.write(&format!("lib/modules/9.9.9/kernel/bomb{i}.ko.zst"), &bomb);
    }
    moddir
}

#[test]
fn rdepmod_holds_at_most_its_budget_of_expanded_images() {
    const THREADS: usize = 4;
    let base_dir = Scratch::new("bomb-depmod-base");
    tree(&base_dir, 0, 0);
    let bomb_dir = Scratch::new("bomb-depmod");
    let moddir = tree(&bomb_dir, THREADS, 3 * LIMIT);
    let depmod = |root: &Path| {
        let mut c = limited(env!("CARGO_BIN_EXE_rdepmod"));
        c.env("RAYON_NUM_THREADS", THREADS.to_string())
            .arg("-b")
            .arg(root)
            .arg("9.9.9");
        c
    };
    let (base, base_peak) = measured(&depmod(&base_dir.0), &base_dir.0);
    assert!(
        base.status.success(),
        "{}",
        String::from_utf8_lossy(&base.stderr)
    );
    let (o, peak) = measured(&depmod(&bomb_dir.0), &bomb_dir.0);
    eprintln!(
        "rdepmod on {THREADS} bombs: peak {} MiB (without them {} MiB)",
        peak / MIB,
        base_peak / MIB
    );
    let err = String::from_utf8_lossy(&o.stderr);
    // Each bomb is refused, named, and the rest of the tree is indexed.
    for i in 0..THREADS {
        let line = format!(
            "rdepmod: ERROR: failed to load symbols from {}/kernel/bomb{i}.ko.zst: File too large\n",
            moddir.display()
        );
        assert!(err.contains(&line), "missing {line:?} in {err}");
    }
    let dep = std::fs::read_to_string(moddir.join("modules.dep")).unwrap();
    assert!(
        dep.contains("extra/test_square.ko: extra/square.ko\n"),
        "{dep}"
    );
    // Four threads expanding at once would hold 4 x 32 MiB; the budget
    // (the limit, 32 MiB) lets them hold one limit's worth of images in
    // total, and with the decoders' windows and the buffers on their way
    // to the limit at most twice that (the bound Depmod::resolve states).
    let extra = peak.saturating_sub(base_peak);
    assert!(
        extra < 2 * LIMIT,
        "rdepmod peaked at {} MiB, {} MiB over a run without bombs",
        peak / MIB,
        extra / MIB
    );
}

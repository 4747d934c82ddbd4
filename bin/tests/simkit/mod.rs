//! Shared by the sim-kernel tests of the tools: the sample sim modules
//! (built once per test binary), and a daemon per test — started and
//! stopped with `rkmod sim start/stop` on a private state directory, its
//! own copy of the module tree and its own socket — plus a runner for the
//! real tool binaries.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const RELEASE: &str = "6.1.0-sim";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Build the sample modules of `lang` ("c" or "rust") once; returns the
/// module tree `<out>/lib/modules/<release>`.
pub fn modules(lang: &'static str) -> PathBuf {
    static C: OnceLock<PathBuf> = OnceLock::new();
    static RUST: OnceLock<PathBuf> = OnceLock::new();
    let cell = if lang == "rust" { &RUST } else { &C };
    cell.get_or_init(|| {
        let out = target_dir()
            .join("sim-testdata")
            .join(format!("tools-{lang}"));
        let status = Command::new("sh")
            .stdout(std::process::Stdio::null())
            .arg(repo_root().join("testdata/sim-src/build.sh"))
            .args(["--lang", lang])
            .arg(&out)
            // A target directory of its own: the one running this test is locked.
            .env("CARGO_TARGET_DIR", target_dir().join("sim-modules"))
            .status()
            .expect("run build.sh");
        assert!(status.success(), "build.sh --lang {lang} failed");
        out.join("lib/modules").join(RELEASE)
    })
    .clone()
}

/// One finished tool run.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            status: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Assert success and return stdout.
    pub fn ok(self) -> String {
        assert_eq!(
            self.status, 0,
            "failed: stdout {:?} stderr {:?}",
            self.stdout, self.stderr
        );
        self.stdout
    }
}

/// The path of tool `name` (`rinsmod`, …, or `rkmod`).
pub fn tool_path(name: &str) -> PathBuf {
    match name {
        "rkmod" => PathBuf::from(env!("CARGO_BIN_EXE_rkmod")),
        "rinsmod" => PathBuf::from(env!("CARGO_BIN_EXE_rinsmod")),
        "rrmmod" => PathBuf::from(env!("CARGO_BIN_EXE_rrmmod")),
        "rlsmod" => PathBuf::from(env!("CARGO_BIN_EXE_rlsmod")),
        "rmodinfo" => PathBuf::from(env!("CARGO_BIN_EXE_rmodinfo")),
        "rmodprobe" => PathBuf::from(env!("CARGO_BIN_EXE_rmodprobe")),
        "rdepmod" => PathBuf::from(env!("CARGO_BIN_EXE_rdepmod")),
        other => panic!("no tool {other}"),
    }
}

/// Run a tool with a clean environment as far as rkmod is concerned.
pub fn run(name: &str, args: &[&str]) -> Run {
    run_env(name, args, &[])
}

pub fn run_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(tool_path(name));
    c.args(args)
        .env_remove("RKMOD_SIM")
        .env_remove("RKMOD_SIM_HOST")
        .env_remove("MODPROBE_OPTIONS");
    for (k, v) in env {
        c.env(k, v);
    }
    Run::from(c.output().expect("run the tool"))
}

/// A daemon of its own, started by `rkmod sim start`, stopped on drop.
pub struct Sim {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub tree: PathBuf,
    pub pid: u32,
}

impl Sim {
    /// A daemon over a copy of the C sample modules.
    pub fn start() -> Sim {
        Sim::with(modules("c"))
    }

    pub fn with(modules: PathBuf) -> Sim {
        Sim::with_args(modules, &[])
    }

    /// A daemon over a copy of `modules`, started with `extra` options.
    pub fn with_args(modules: PathBuf, extra: &[&str]) -> Sim {
        static N: AtomicU32 = AtomicU32::new(0);
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!(
            "rkmod-tools-sim-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let tree = dir.join("lib/modules").join(RELEASE);
        copy_tree(&modules, &tree);
        let d = dir.to_str().unwrap();
        let mut args = vec!["sim", "start", "--state", d, "--init-timeout", "3"];
        args.extend_from_slice(extra);
        let out = run("rkmod", &args).ok();
        let pid = out
            .split("(pid ")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no pid in {out:?}"));
        Sim {
            socket: dir.join("rkmod-sim.sock"),
            dir,
            tree,
            pid,
        }
    }

    /// `--sim=<socket>`.
    pub fn flag(&self) -> String {
        format!("--sim={}", self.socket.display())
    }

    /// Run a tool against this daemon (`--sim=<socket>` first).
    pub fn tool(&self, name: &str, args: &[&str]) -> Run {
        let flag = self.flag();
        let mut all = vec![flag.as_str()];
        all.extend_from_slice(args);
        run(name, &all)
    }

    pub fn module(&self, name: &str) -> String {
        self.tree
            .join("extra")
            .join(format!("{name}.so"))
            .display()
            .to_string()
    }

    pub fn proc_modules(&self) -> String {
        std::fs::read_to_string(self.dir.join("proc/modules")).unwrap_or_default()
    }

    pub fn loaded(&self, name: &str) -> bool {
        self.proc_modules()
            .lines()
            .any(|l| l.split(' ').next() == Some(name))
    }

    pub fn param(&self, module: &str, p: &str) -> Option<String> {
        std::fs::read_to_string(
            self.dir
                .join("sys/module")
                .join(module)
                .join("parameters")
                .join(p),
        )
        .ok()
        .map(|s| s.trim_end().to_string())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// The daemon answers `rkmod sim status`, with the pid it started with.
    pub fn alive(&self) -> bool {
        let sock = self.socket.display().to_string();
        let r = run("rkmod", &["sim", "status", "--socket", &sock]);
        r.status == 0 && r.stdout.contains(&format!("pid:         {}\n", self.pid))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let sock = self.socket.display().to_string();
        let _ = run("rkmod", &["sim", "stop", "--socket", &sock]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Poll `f` until it holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

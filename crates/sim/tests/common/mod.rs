//! Shared by the integration tests: the sample modules (built once per
//! test binary by testdata/sim-src/build.sh), a daemon per test on a
//! private socket and state directory, and small waiting helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sim::{Client, Config, Daemon, HostCommand};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Build the sample modules of `lang` ("c" or "rust") once; returns the
/// module tree root `<out>/lib/modules/<release>`.
pub fn modules(lang: &'static str) -> PathBuf {
    static C: OnceLock<PathBuf> = OnceLock::new();
    static RUST: OnceLock<PathBuf> = OnceLock::new();
    let cell = if lang == "rust" { &RUST } else { &C };
    cell.get_or_init(|| {
        let out = target_dir().join("sim-testdata").join(lang);
        let script = repo_root().join("testdata/sim-src/build.sh");
        // A target directory of its own: the one running this test is locked.
        let status = Command::new("sh")
            .stdout(std::process::Stdio::null())
            .arg(&script)
            .args(["--lang", lang])
            .arg(&out)
            .env("CARGO_TARGET_DIR", target_dir().join("sim-modules"))
            .status()
            .expect("run build.sh");
        assert!(status.success(), "build.sh --lang {lang} failed");
        out.join("lib/modules").join(sim_module::SIM_RELEASE)
    })
    .clone()
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        // tmpfs where there is one, as $XDG_RUNTIME_DIR (the daemon's
        // default home) is: on a disk file system, unlinking freshly written
        // state files costs milliseconds each.
        let shm = std::path::Path::new("/dev/shm");
        let base =
            if shm.is_dir() && nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK).is_ok() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
        let p = base.join(format!(
            "rkmod-sim-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A daemon of its own, with a client.
pub struct Sim {
    pub client: Client,
    pub daemon: Option<Daemon>,
    pub root: PathBuf,
    pub state: PathBuf,
    pub socket: PathBuf,
    pub dir: TempDir,
}

pub fn config(dir: &Path, root: &Path) -> Config {
    let mut c = Config::new(dir.join("state"));
    c.socket_path = dir.join("sim.sock");
    c.module_root = root.to_path_buf();
    c.init_timeout = Duration::from_secs(2);
    c.hello_interval = Duration::from_millis(200);
    c.host = HostCommand::new(env!("CARGO_BIN_EXE_rkmod-sim-host"));
    c
}

impl Sim {
    /// A daemon over the C sample modules.
    pub fn start() -> Sim {
        Sim::with(modules("c"), |_| {})
    }

    pub fn with(root: PathBuf, tweak: impl FnOnce(&mut Config)) -> Sim {
        let dir = TempDir::new("t");
        let mut cfg = config(&dir.0, &root);
        tweak(&mut cfg);
        let state = cfg.state_dir.clone();
        let socket = cfg.socket_path.clone();
        let daemon = Daemon::start(cfg).expect("start the sim daemon");
        let client = Client::connect(&socket).expect("connect");
        Sim {
            client,
            daemon: Some(daemon),
            root,
            state,
            socket,
            dir,
        }
    }

    pub fn path(&self, module: &str) -> PathBuf {
        self.root.join("extra").join(format!("{module}.so"))
    }

    pub fn insert(&self, module: &str, params: &str) -> Result<String, sim::Error> {
        self.client
            .insert(&self.path(module), params, Default::default())
    }

    pub fn remove(&self, module: &str) -> Result<(), sim::Error> {
        self.client.remove(module, false)
    }

    pub fn names(&self) -> Vec<String> {
        self.client
            .list()
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    pub fn proc_modules(&self) -> String {
        std::fs::read_to_string(self.state.join("proc/modules")).unwrap()
    }

    pub fn sys(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.state.join("sys/module").join(rel)).ok()
    }

    pub fn param(&self, module: &str, p: &str) -> Option<String> {
        self.sys(&format!("{module}/parameters/{p}"))
            .map(|s| s.trim_end().to_string())
    }

    /// The whole log file.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("log")).unwrap_or_default()
    }

    /// Wait until the log contains `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_for(timeout, || self.log().contains(needle))
    }

    /// The counter module's count, from its parameter file.
    pub fn count(&self) -> u64 {
        self.param("counter", "count")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// Wait until the counter has counted past its current value.
    pub fn counter_advances(&self) -> bool {
        let before = self.count();
        wait_for(Duration::from_secs(3), || self.count() > before)
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

pub const ENOENT: i32 = 2;
pub const EPERM: i32 = 1;
pub const EINVAL: i32 = 22;
pub const EEXIST: i32 = 17;
pub const EBUSY: i32 = 16;
pub const EWOULDBLOCK: i32 = 11;
pub const ENOEXEC: i32 = 8;
pub const ENODEV: i32 = 19;
pub const EFAULT: i32 = 14;
pub const ETIMEDOUT: i32 = 110;

//! The sim kernel daemon: a Unix socket server in front of the [`Kernel`],
//! plus a supervisor thread (cleans up after host processes that die) and
//! a ticker (calls `mod_hello` and refreshes parameter files once a
//! second). See [`crate::protocol`] for what the socket speaks.

use std::collections::HashMap;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::libc;
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use crate::error::{DaemonError, Error};
use crate::group::{Event, HostCommand};
use crate::kernel::Kernel;
use crate::log::Log;
use crate::protocol::{
    parse_request, read_frame, write_frame, FrameError, HostInfo, ModuleInfo, Op, Outcome, Reply,
    Response, Status, PROTOCOL_VERSION,
};
use crate::state::StateFiles;
use crate::util::lock;

/// Log entries one `log` request returns at most.
const MAX_LOG_PAGE: usize = 1000;

/// How to run a sim kernel.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where `proc/modules`, `sys/module/` and `log` live.
    pub state_dir: PathBuf,
    /// The socket clients connect to.
    pub socket_path: PathBuf,
    /// The sim module tree (e.g. `<state>/lib/modules/<release>`); only
    /// files below it load, unless `allow_outside_tree`.
    pub module_root: PathBuf,
    /// The sim kernel's release; modules must carry its vermagic.
    pub release: String,
    /// Load module files from anywhere.
    pub allow_outside_tree: bool,
    /// How long `module_init` (and any other call into a module) may take
    /// before its host is killed.
    pub init_timeout: Duration,
    /// How often `mod_hello` is called and parameter files refreshed.
    pub hello_interval: Duration,
    /// The module host program.
    pub host: HostCommand,
    /// Copy log lines to stderr as well.
    pub echo_log: bool,
    /// The kbuild directory of the release's headers, for `.ko` modules
    /// (default `/lib/modules/<release>/build`): the kernel API is built
    /// from it, so its structs are that release's.
    pub headers: Option<PathBuf>,
    /// How many connections it serves, and how long it waits on each.
    pub limits: ConnectionLimits,
}

/// How many connections the daemon serves at once, by the peer's uid
/// (`SO_PEERCRED`), and how long it waits on one. A connection over a
/// limit gets an `EAGAIN` frame saying which and is closed.
///
/// The owner and root each have a pool of their own that no other uid can
/// touch, so a flood by anyone else never makes their requests fail; other
/// uids share what is left, each with a smaller share so that one of them
/// alone cannot lock the others out. At most `2 * privileged + others`
/// threads serve connections (96 by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections of the owner, and separately of root (32): each tool run
    /// holds one, so this is room for a busy parallel build or test run.
    pub privileged: usize,
    /// Connections of any one other uid (8): others can only read (list,
    /// status, log), which takes a few at a time.
    pub per_uid: usize,
    /// Connections of all other uids together (32).
    pub others: usize,
    /// Once a request's first byte arrives, the whole frame must follow
    /// within this (5 s), or the daemon answers `ETIMEDOUT` and closes: a
    /// client trickling bytes cannot hold its connection. Writing an answer
    /// may block this long too, against clients that never read.
    pub frame_timeout: Duration,
    /// A connection with no request under way is closed after this (60 s).
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            privileged: 32,
            per_uid: 8,
            others: 32,
            frame_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl Config {
    /// A configuration keeping everything under `state_dir`: the socket
    /// `<state>/rkmod-sim.sock`, the module tree
    /// `<state>/lib/modules/<SIM_RELEASE>`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Config {
        let state_dir = state_dir.into();
        let release = sim_module::SIM_RELEASE.to_string();
        Config {
            socket_path: state_dir.join("rkmod-sim.sock"),
            module_root: state_dir.join("lib").join("modules").join(&release),
            state_dir,
            release,
            allow_outside_tree: false,
            init_timeout: Duration::from_secs(10),
            hello_interval: Duration::from_secs(1),
            host: HostCommand::locate(),
            echo_log: false,
            headers: None,
            limits: ConnectionLimits::default(),
        }
    }

    /// `$XDG_RUNTIME_DIR/rkmod-sim` (else `/tmp/rkmod-sim-<uid>`).
    pub fn default_state_dir() -> PathBuf {
        match std::env::var_os("XDG_RUNTIME_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d).join("rkmod-sim"),
            _ => PathBuf::from(format!("/tmp/rkmod-sim-{}", nix::unistd::getuid())),
        }
    }

    /// `$XDG_RUNTIME_DIR/rkmod-sim.sock` (else `/tmp/rkmod-sim-<uid>.sock`).
    pub fn default_socket_path() -> PathBuf {
        match std::env::var_os("XDG_RUNTIME_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d).join("rkmod-sim.sock"),
            _ => PathBuf::from(format!("/tmp/rkmod-sim-{}.sock", nix::unistd::getuid())),
        }
    }
}

impl Default for Config {
    /// The default state directory and socket.
    fn default() -> Config {
        let mut c = Config::new(Config::default_state_dir());
        c.socket_path = Config::default_socket_path();
        c
    }
}

struct Shared {
    config: Arc<Config>,
    log: Arc<Log>,
    kernel: Mutex<Kernel>,
    snapshot: Mutex<Arc<Vec<ModuleInfo>>>,
    crashes: AtomicU64,
    stopping: AtomicBool,
    started: Instant,
    owner: u32,
    connections: Mutex<HashMap<u64, UnixStream>>,
    slots: Mutex<Slots>,
    next_conn: AtomicU64,
}

impl Shared {
    fn refresh(&self, kernel: &Kernel) {
        *lock(&self.snapshot) = Arc::new(kernel.snapshot());
        self.crashes.store(kernel.crashes(), Ordering::Relaxed);
    }

    fn with_kernel<T>(&self, f: impl FnOnce(&mut Kernel) -> T) -> T {
        let mut k = lock(&self.kernel);
        let r = f(&mut k);
        self.refresh(&k);
        r
    }
}

/// A running sim kernel. Dropping it stops it.
pub struct Daemon {
    shared: Arc<Shared>,
    events: Sender<Event>,
    ticker_stop: Option<Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    stopped: bool,
}

impl Daemon {
    /// Start a sim kernel: create the state directory, listen on the socket
    /// (refusing if another daemon answers there), start the threads.
    pub fn start(config: Config) -> Result<Daemon, DaemonError> {
        let mkdir = |p: &Path| {
            std::fs::create_dir_all(p).map_err(|source| DaemonError::StateDir {
                path: p.to_path_buf(),
                source,
            })
        };
        mkdir(&config.state_dir)?;
        mkdir(&config.module_root)?;
        if let Some(dir) = config.socket_path.parent() {
            mkdir(dir)?;
        }
        if !config.host.program.is_file() {
            return Err(DaemonError::NoHostProgram(config.host.program.clone()));
        }
        let root = config
            .module_root
            .canonicalize()
            .map_err(|source| DaemonError::StateDir {
                path: config.module_root.clone(),
                source,
            })?;
        let listener = bind(&config.socket_path)?;
        let log_path = config.state_dir.join("log");
        let log = Arc::new(Log::create(&log_path, config.echo_log).map_err(|source| {
            DaemonError::Log {
                path: log_path.clone(),
                source,
            }
        })?);
        let files =
            StateFiles::create(&config.state_dir).map_err(|source| DaemonError::StateDir {
                path: config.state_dir.clone(),
                source,
            })?;
        let config = Arc::new(config);
        let (events, events_rx) = mpsc::channel();
        let kernel = Kernel::new(
            Arc::clone(&config),
            root,
            Arc::clone(&log),
            files,
            events.clone(),
        )?;
        log.info(&format!(
            "sim: kernel {} (interface {}, protocol {}) serving {}",
            config.release,
            sim_module::abi::INTERFACE_VERSION,
            PROTOCOL_VERSION,
            config.socket_path.display()
        ));
        let shared = Arc::new(Shared {
            config: Arc::clone(&config),
            log,
            kernel: Mutex::new(kernel),
            snapshot: Mutex::new(Arc::new(Vec::new())),
            crashes: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            started: Instant::now(),
            owner: nix::unistd::geteuid().as_raw(),
            connections: Mutex::new(HashMap::new()),
            slots: Mutex::new(Slots::default()),
            next_conn: AtomicU64::new(0),
        });
        let mut threads = Vec::new();
        let s = Arc::clone(&shared);
        threads.push(named("sim-accept", move || accept_loop(s, listener))?);
        let s = Arc::clone(&shared);
        threads.push(named("sim-supervisor", move || supervise(s, events_rx))?);
        let (ticker_stop, ticker_rx) = mpsc::channel();
        let s = Arc::clone(&shared);
        threads.push(named("sim-ticker", move || tick_loop(s, ticker_rx))?);
        Ok(Daemon {
            shared,
            events,
            ticker_stop: Some(ticker_stop),
            threads,
            stopped: false,
        })
    }

    /// The socket it serves.
    pub fn socket_path(&self) -> &Path {
        &self.shared.config.socket_path
    }

    /// Its state directory.
    pub fn state_dir(&self) -> &Path {
        &self.shared.config.state_dir
    }

    /// Stop: no new requests, every host killed, state files emptied, the
    /// socket removed.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let shared = &self.shared;
        shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor.
        let _ = UnixStream::connect(&shared.config.socket_path);
        self.ticker_stop = None;
        for (_, c) in lock(&shared.connections).drain() {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        shared.with_kernel(|k| k.shutdown());
        let _ = self.events.send(Event::Stop);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&shared.config.socket_path);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Run a sim kernel until SIGINT, SIGTERM or SIGHUP. This is what
/// `rkmod sim` calls.
pub fn run(config: Config) -> Result<(), DaemonError> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal};
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.add(Signal::SIGHUP);
    // Blocked before any thread starts, so every thread inherits the mask
    // and the signals wait for sigwait below.
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
        .map_err(std::io::Error::from)?;
    let daemon = Daemon::start(config)?;
    let sig = set.wait().map_err(std::io::Error::from)?;
    daemon
        .shared
        .log
        .info(&format!("sim: {} received, stopping", sig.as_str()));
    daemon.shutdown();
    Ok(())
}

fn named(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name.into()).spawn(f)
}

/// Listen on `path`, replacing a stale socket but not a live daemon's.
fn bind(path: &Path) -> Result<UnixListener, DaemonError> {
    if std::fs::symlink_metadata(path).is_ok() {
        if UnixStream::connect(path).is_ok() {
            return Err(DaemonError::AlreadyRunning(path.to_path_buf()));
        }
        let _ = std::fs::remove_file(path);
    }
    let listener = UnixListener::bind(path).map_err(|source| DaemonError::Bind {
        path: path.to_path_buf(),
        source,
    })?;
    // Anyone may connect to read state; SO_PEERCRED gates changes.
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666));
    Ok(listener)
}

fn accept_loop(shared: Arc<Shared>, listener: UnixListener) {
    for conn in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let mut stream = match conn {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors and the like: back off, keep serving.
                shared.log.push(4, &format!("sim: accept: {e}"));
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        // No credentials (never on a Unix socket): an unprivileged nobody.
        let uid = getsockopt(&stream, PeerCredentials).map_or(u32::MAX, |c| c.uid());
        let slot = match Slot::take(&shared, uid) {
            Ok(slot) => slot,
            Err(refusal) => {
                // The accept loop never waits on a client (and the frame
                // fits the empty socket buffer anyway).
                let _ = stream.set_nonblocking(true);
                let _ = send(&mut stream, Outcome::Error(refusal));
                continue;
            }
        };
        let s = Arc::clone(&shared);
        // On failure the closure, and with it the slot, is dropped.
        let _ = named("sim-client", move || serve(&s, stream, &slot));
    }
}

/// Connections held, by uid.
#[derive(Debug, Default)]
struct Slots {
    by_uid: HashMap<u32, usize>,
    /// Those of uids other than the owner and root, together.
    others: usize,
}

impl Slots {
    /// Count one more connection of `uid`, or say why not.
    fn take(&mut self, uid: u32, privileged: bool, limits: &ConnectionLimits) -> Result<(), Error> {
        let busy = |whom: String| {
            Error::new(
                libc::EAGAIN,
                format!("too many connections to the sim kernel from {whom}"),
            )
        };
        let own = if privileged {
            limits.privileged
        } else {
            limits.per_uid
        };
        if self.by_uid.get(&uid).copied().unwrap_or(0) >= own {
            return Err(busy(format!("uid {uid} (at most {own} at once)")));
        }
        if !privileged && self.others >= limits.others {
            return Err(busy(format!(
                "users other than its owner and root (at most {} at once)",
                limits.others
            )));
        }
        *self.by_uid.entry(uid).or_default() += 1;
        if !privileged {
            self.others += 1;
        }
        Ok(())
    }

    fn give_back(&mut self, uid: u32, privileged: bool) {
        if let Some(n) = self.by_uid.get_mut(&uid) {
            *n -= 1;
            if *n == 0 {
                self.by_uid.remove(&uid);
            }
        }
        if !privileged {
            self.others = self.others.saturating_sub(1);
        }
    }
}

/// One connection's place in [`Slots`], given back when dropped.
struct Slot {
    shared: Arc<Shared>,
    uid: u32,
    privileged: bool,
}

impl Slot {
    fn take(shared: &Arc<Shared>, uid: u32) -> Result<Slot, Error> {
        let privileged = uid == 0 || uid == shared.owner;
        lock(&shared.slots).take(uid, privileged, &shared.config.limits)?;
        Ok(Slot {
            shared: Arc::clone(shared),
            uid,
            privileged,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.shared.slots).give_back(self.uid, self.privileged);
    }
}

fn send(stream: &mut UnixStream, result: Outcome) -> std::io::Result<()> {
    let resp = Response {
        version: PROTOCOL_VERSION,
        result,
    };
    let body = serde_json::to_vec(&resp).map_err(std::io::Error::other)?;
    write_frame(stream, &body)
}

/// Reads a connection on two clocks: up to the idle timeout for the first
/// byte of a request, then the frame deadline for all of it, however slowly
/// it trickles in.
struct Paced<'a> {
    stream: &'a UnixStream,
    limits: ConnectionLimits,
    /// When the request under way must be complete.
    deadline: Option<Instant>,
}

impl Read for Paced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let wait = match self.deadline {
            None => self.limits.idle_timeout,
            Some(d) => d.saturating_duration_since(Instant::now()),
        };
        if wait.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(wait))?;
        let n = self.stream.read(buf)?;
        if n > 0 && self.deadline.is_none() {
            self.deadline = Some(Instant::now() + self.limits.frame_timeout);
        }
        Ok(n)
    }
}

/// Serve one connection until it closes, idles out or misbehaves.
fn serve(shared: &Shared, mut stream: UnixStream, slot: &Slot) {
    let limits = shared.config.limits;
    let _ = stream.set_write_timeout(Some(limits.frame_timeout));
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    if let Ok(c) = stream.try_clone() {
        lock(&shared.connections).insert(id, c);
    }
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let mut paced = Paced {
            stream: &stream,
            limits,
            deadline: None,
        };
        let frame = match read_frame(&mut paced) {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(FrameError::TooLarge(n)) => {
                let msg = format!("request of {n} bytes is too large");
                let _ = send(&mut stream, Outcome::Error(Error::new(libc::EMSGSIZE, msg)));
                break;
            }
            Err(FrameError::Io(e))
                if paced.deadline.is_some()
                    && matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                let msg = format!(
                    "request not complete within {} s of its first byte",
                    limits.frame_timeout.as_secs_f64()
                );
                let _ = send(
                    &mut stream,
                    Outcome::Error(Error::new(libc::ETIMEDOUT, msg)),
                );
                break;
            }
            // Idle too long, cut short, or gone.
            Err(_) => break,
        };
        let outcome = handle(shared, &frame, slot.privileged, &|| peer_comm(&stream));
        if send(&mut stream, outcome).is_err() {
            break;
        }
    }
    lock(&shared.connections).remove(&id);
}

/// The command name of the process at the other end (what a kernel sees
/// as `current->comm` when that process loads a module); `insmod` when
/// it cannot be told.
fn peer_comm(stream: &UnixStream) -> String {
    getsockopt(stream, PeerCredentials)
        .ok()
        .and_then(|c| std::fs::read_to_string(format!("/proc/{}/comm", c.pid())).ok())
        .map(|c| c.trim_end_matches('\n').to_string())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "insmod".to_string())
}

/// Decode and run one request. Nothing is changed unless it decodes fully.
/// `comm` names the client's command (asked only when a load needs it).
fn handle(shared: &Shared, frame: &[u8], privileged: bool, comm: &dyn Fn() -> String) -> Outcome {
    let req = match parse_request(frame) {
        Ok(r) => r,
        Err(e) => return Outcome::Error(e),
    };
    let mutating = matches!(
        req.op,
        Op::Insert { .. } | Op::Remove { .. } | Op::SetParam { .. } | Op::Write { .. }
    );
    if mutating && !privileged {
        return Outcome::Error(Error::new(
            libc::EPERM,
            "only the sim kernel's owner or root may load, unload or set parameters",
        ));
    }
    let result = match req.op {
        Op::Insert {
            path,
            params,
            flags,
        } => shared
            .with_kernel(|k| k.insert(&path, &params, flags, &comm()))
            .map(|name| Reply::Inserted { name }),
        Op::Remove { name, force } => shared
            .with_kernel(|k| k.remove(&name, force))
            .map(|()| Reply::Removed { name }),
        Op::SetParam {
            module,
            param,
            value,
        } => shared
            .with_kernel(|k| k.set_param(&module, &param, &value))
            .map(|()| Reply::ParamSet),
        Op::List => Ok(Reply::Modules {
            modules: lock(&shared.snapshot).as_ref().clone(),
        }),
        Op::Status => Ok(Reply::Status(status(shared))),
        Op::Log { since, max } => {
            let max = max.map_or(MAX_LOG_PAGE, |m| (m as usize).min(MAX_LOG_PAGE));
            Ok(Reply::Log(shared.log.page(since, max)))
        }
        Op::Read { path } => shared
            .with_kernel(|k| k.read(&path))
            .map(|data| Reply::File {
                data: crate::protocol::hex_encode(&data),
            }),
        Op::Write { path, data } => match crate::protocol::hex_decode(&data) {
            Some(bytes) => shared
                .with_kernel(|k| k.write(&path, &bytes))
                .map(|()| Reply::Written),
            None => Err(Error::new(
                libc::EINVAL,
                "malformed request: \"data\" is not hexadecimal digit pairs",
            )),
        },
    };
    match result {
        Ok(r) => Outcome::Ok(r),
        Err(e) => Outcome::Error(e),
    }
}

fn status(shared: &Shared) -> Status {
    let c = &shared.config;
    // From the snapshot: status answers even while a load is under way.
    let snapshot = lock(&shared.snapshot).clone();
    let mut hosts: Vec<HostInfo> = Vec::new();
    for m in snapshot.iter().rev() {
        match hosts.iter_mut().find(|h| h.pid == m.host_pid) {
            Some(h) => h.modules.push(m.name.clone()),
            None => hosts.push(HostInfo {
                pid: m.host_pid,
                modules: vec![m.name.clone()],
            }),
        }
    }
    Status {
        protocol_version: PROTOCOL_VERSION,
        interface_version: sim_module::abi::INTERFACE_VERSION,
        release: c.release.clone(),
        pid: std::process::id(),
        uptime_ms: shared.started.elapsed().as_millis() as u64,
        state_dir: c.state_dir.display().to_string(),
        socket: c.socket_path.display().to_string(),
        module_root: c.module_root.display().to_string(),
        modules: snapshot.len(),
        hosts,
        crashes: shared.crashes.load(Ordering::Relaxed),
        log_next: shared.log.next_seq(),
    }
}

fn supervise(shared: Arc<Shared>, events: Receiver<Event>) {
    for ev in events {
        match ev {
            Event::GroupDied(gid) => shared.with_kernel(|k| k.group_died(gid)),
            Event::Stop => break,
        }
    }
}

fn tick_loop(shared: Arc<Shared>, stop: Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(shared.config.hello_interval) {
        // Skip a tick rather than queue behind a long load.
        let mut k = match shared.kernel.try_lock() {
            Ok(k) => k,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => continue,
        };
        k.tick();
        shared.refresh(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_and_root_keep_their_room_whatever_others_hold() {
        let limits = ConnectionLimits {
            privileged: 3,
            per_uid: 2,
            others: 5,
            ..ConnectionLimits::default()
        };
        let mut slots = Slots::default();
        let (owner, root) = (1000, 0);
        // Other uids take all they may: 2 each, 5 together.
        let mut held = Vec::new();
        for uid in 2000..2010 {
            for _ in 0..4 {
                if slots.take(uid, false, &limits).is_ok() {
                    held.push(uid);
                }
            }
        }
        assert_eq!(held.len(), 5);
        assert_eq!(held.iter().filter(|&&u| u == 2000).count(), 2);
        let e = slots.take(2000, false, &limits).unwrap_err();
        assert_eq!(e.errno, libc::EAGAIN);
        assert!(
            e.message.contains("from uid 2000 (at most 2 at once)"),
            "{e}"
        );
        let e = slots.take(2009, false, &limits).unwrap_err();
        assert!(
            e.message
                .contains("other than its owner and root (at most 5"),
            "{e}"
        );
        // The owner and root each still have all of theirs, and only that.
        for uid in [owner, root] {
            for _ in 0..3 {
                slots.take(uid, true, &limits).unwrap();
            }
            let e = slots.take(uid, true, &limits).unwrap_err();
            assert!(
                e.message.contains(&format!("from uid {uid} (at most 3")),
                "{e}"
            );
        }
        // What is given back can be taken again; the count goes to zero.
        slots.give_back(2000, false);
        slots.take(2009, false, &limits).unwrap();
        slots.give_back(owner, true);
        slots.take(owner, true, &limits).unwrap();
        for uid in held.iter().skip(1).chain([&2009]) {
            slots.give_back(*uid, false);
        }
        assert_eq!(slots.others, 0);
        assert!(slots.by_uid.keys().all(|u| [owner, root].contains(u)));
    }
}

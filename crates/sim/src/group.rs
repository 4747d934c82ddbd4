//! A host group, seen from the daemon: one `rkmod-sim-host` process and
//! the channel to it. Modules that use each other's symbols share a group
//! (they must share an address space to link); independent modules get a
//! group each, so a crash kills exactly one group.
//!
//! Per process the daemon runs two threads: one reads the channel (log
//! lines, replies; its end of stream means the process died), one reads
//! the process's stdout/stderr (module output, crash reports).

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::host::crash::{CrashRecord, CRASH_MARK};
use crate::log::Log;
use crate::protocol::host::{Call, Done, Failed, FromHost, ToHost};
use crate::protocol::{read_frame, write_frame};
use crate::util::lock;

/// The program (and leading arguments) that runs a module host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl HostCommand {
    /// `program` with no arguments.
    pub fn new(program: impl Into<PathBuf>) -> HostCommand {
        HostCommand {
            program: program.into(),
            args: Vec::new(),
        }
    }

    /// Where the host binary is: `$RKMOD_SIM_HOST`, else `rkmod-sim-host`
    /// beside the running executable, one directory up (a test binary in
    /// `target/debug/deps` finds `target/debug/rkmod-sim-host`), or where
    /// `make install` puts it (`PREFIX/lib/rkmod/` for `PREFIX/bin/rkmod`).
    pub fn locate() -> HostCommand {
        if let Some(p) = std::env::var_os("RKMOD_SIM_HOST") {
            return HostCommand::new(p);
        }
        let exe = std::env::current_exe().unwrap_or_default();
        let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
        let candidates = [
            dir.join("rkmod-sim-host"),
            dir.parent()
                .map(|p| p.join("rkmod-sim-host"))
                .unwrap_or_default(),
            dir.parent()
                .map(|p| p.join("lib/rkmod/rkmod-sim-host"))
                .unwrap_or_default(),
        ];
        let found = candidates.iter().find(|c| c.is_file()).cloned();
        HostCommand::new(found.unwrap_or_else(|| candidates[0].clone()))
    }
}

/// What the daemon learns from the channel reader.
pub(crate) enum Event {
    /// The channel of group `id` closed: its process is gone or going.
    GroupDied(u64),
    /// The daemon is stopping.
    Stop,
}

/// Why a call to a host did not succeed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// The process died (crash, kill) before answering.
    Died,
    /// No answer in time; the process is still there.
    Timeout,
    /// The host answered with a failure.
    Failed(Failed),
}

enum Incoming {
    Ready,
    Reply(u64, Result<Done, Failed>),
}

/// Starts host processes from one long-lived thread: the hosts' "parent
/// death signal" fires when the thread that forked them ends, so that
/// thread must live as long as the daemon.
pub(crate) struct Spawner {
    jobs: Option<Sender<(Command, Sender<std::io::Result<Child>>)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spawner {
    pub fn start() -> std::io::Result<Spawner> {
        let (tx, rx) = mpsc::channel::<(Command, Sender<std::io::Result<Child>>)>();
        let thread = std::thread::Builder::new()
            .name("sim-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                    // `cmd` drops here, closing our copies of the child's ends.
                }
            })?;
        Ok(Spawner {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }

    fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        let (tx, rx) = mpsc::channel();
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| std::io::Error::from_raw_os_error(nix::libc::ESHUTDOWN))?;
        jobs.send((cmd, tx))
            .map_err(|_| std::io::Error::from_raw_os_error(nix::libc::ESHUTDOWN))?;
        rx.recv()
            .map_err(|_| std::io::Error::from_raw_os_error(nix::libc::ESHUTDOWN))?
    }

    /// End the spawner thread.
    pub fn stop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One host process.
pub(crate) struct Group {
    pub id: u64,
    pub pid: u32,
    child: Mutex<Option<Child>>,
    status: Mutex<Option<ExitStatus>>,
    writer: Mutex<UnixStream>,
    incoming: Mutex<Receiver<Incoming>>,
    seq: AtomicU64,
    crash: Arc<Mutex<Option<CrashRecord>>>,
    kill_reason: Mutex<Option<String>>,
    output_done: Mutex<Receiver<()>>,
    /// The files its modules made (their paths in a real kernel).
    files: Arc<Mutex<BTreeSet<String>>>,
}

impl Group {
    /// Start a host process and wait (up to `timeout`) for it to be ready.
    pub fn spawn(
        id: u64,
        spawner: &Spawner,
        cmd: &HostCommand,
        log: &Arc<Log>,
        events: &Sender<Event>,
        timeout: Duration,
    ) -> std::io::Result<Arc<Group>> {
        let (ours, theirs) = UnixStream::pair()?;
        let (out_r, out_w) = std::io::pipe()?;
        let mut command = Command::new(&cmd.program);
        command
            .args(&cmd.args)
            .arg("--parent")
            .arg(std::process::id().to_string())
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::from(out_w.try_clone()?))
            .stderr(Stdio::from(out_w));
        let child = spawner.spawn(command)?;
        let pid = child.id();

        let (in_tx, in_rx) = mpsc::channel();
        let reader = ours.try_clone()?;
        let log_r = Arc::clone(log);
        let events = events.clone();
        let files = Arc::new(Mutex::new(BTreeSet::new()));
        let files_r = Arc::clone(&files);
        let reader_thread = std::thread::Builder::new()
            .name(format!("sim-host-{pid}"))
            .spawn(move || read_channel(reader, in_tx, log_r, events, id, files_r));
        let crash = Arc::new(Mutex::new(None));
        let (done_tx, done_rx) = mpsc::channel();
        let crash_w = Arc::clone(&crash);
        let log_o = Arc::clone(log);
        let output_thread = std::thread::Builder::new()
            .name(format!("sim-out-{pid}"))
            .spawn(move || read_output(out_r, pid, crash_w, log_o, done_tx));
        let group = Arc::new(Group {
            id,
            pid,
            child: Mutex::new(Some(child)),
            status: Mutex::new(None),
            writer: Mutex::new(ours),
            incoming: Mutex::new(in_rx),
            seq: AtomicU64::new(0),
            crash,
            kill_reason: Mutex::new(None),
            output_done: Mutex::new(done_rx),
            files,
        });
        if let Err(e) = reader_thread.and(output_thread) {
            group.kill(None);
            group.reap(Duration::from_secs(1));
            return Err(e);
        }
        let ready = lock(&group.incoming).recv_timeout(timeout);
        match ready {
            Ok(Incoming::Ready) => Ok(group),
            _ => {
                group.kill(None);
                group.reap(Duration::from_secs(1));
                Err(std::io::Error::other(format!(
                    "module host {} did not start",
                    cmd.program.display()
                )))
            }
        }
    }

    /// Send `call` and wait up to `timeout` for its answer.
    pub fn call(&self, call: Call, timeout: Duration) -> Result<Done, CallError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let body = serde_json::to_vec(&ToHost { seq, call }).map_err(|_| CallError::Died)?;
        write_frame(&mut *lock(&self.writer), &body).map_err(|_| CallError::Died)?;
        let rx = lock(&self.incoming);
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Incoming::Reply(s, r)) if s == seq => return r.map_err(CallError::Failed),
                Ok(_) => continue, // a late answer to an earlier call
                Err(RecvTimeoutError::Timeout) => return Err(CallError::Timeout),
                Err(RecvTimeoutError::Disconnected) => return Err(CallError::Died),
            }
        }
    }

    /// SIGKILL the process (once it is reaped this does nothing); `reason`
    /// is what the log will say killed it.
    pub fn kill(&self, reason: Option<String>) {
        if let Some(r) = reason {
            lock(&self.kill_reason).get_or_insert(r);
        }
        // Holding the child lock: the pid cannot be reaped (and reused) meanwhile.
        if let Some(child) = lock(&self.child).as_mut() {
            let _ = child.kill();
        }
    }

    /// Wait for the process to end, killing it after `grace`, and reap it.
    pub fn reap(&self, grace: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + grace;
        loop {
            if let Some(st) = *lock(&self.status) {
                return Some(st);
            }
            let mut guard = lock(&self.child);
            let Some(child) = guard.as_mut() else {
                return *lock(&self.status);
            };
            match child.try_wait() {
                Ok(Some(st)) => {
                    *lock(&self.status) = Some(st);
                    *guard = None;
                    return Some(st);
                }
                Ok(None) if Instant::now() < deadline => {}
                Ok(None) => {
                    let _ = child.kill();
                    let st = child.wait().ok();
                    *lock(&self.status) = st;
                    *guard = None;
                    return st;
                }
                Err(_) => {
                    *guard = None;
                    return None;
                }
            }
            drop(guard);
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The crash report, once the process's output has ended (waiting at
    /// most `wait` for that).
    pub fn crash_record(&self, wait: Duration) -> Option<CrashRecord> {
        let _ = lock(&self.output_done).recv_timeout(wait);
        lock(&self.crash).clone()
    }

    /// Whether one of its modules made the file `path`.
    pub fn has_file(&self, path: &str) -> bool {
        lock(&self.files).contains(path)
    }

    /// Why the daemon killed it, if it did.
    pub fn kill_reason(&self) -> Option<String> {
        lock(&self.kill_reason).clone()
    }
}

/// Signal number → name (`SIGSEGV`).
pub(crate) fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

/// How a process ended, for the log.
pub(crate) fn describe_status(st: Option<ExitStatus>) -> String {
    match st {
        Some(st) => match (st.signal(), st.code()) {
            (Some(sig), _) => format!("signal {sig} ({})", signal_name(sig)),
            (None, Some(code)) => format!("exit status {code}"),
            _ => "unknown status".into(),
        },
        None => "unknown status".into(),
    }
}

fn read_channel(
    mut s: UnixStream,
    tx: Sender<Incoming>,
    log: Arc<Log>,
    events: Sender<Event>,
    id: u64,
    files: Arc<Mutex<BTreeSet<String>>>,
) {
    while let Ok(Some(frame)) = read_frame(&mut s) {
        match serde_json::from_slice::<FromHost>(&frame) {
            Ok(FromHost::Ready { .. }) => {
                let _ = tx.send(Incoming::Ready);
            }
            Ok(FromHost::Log {
                mono_ns,
                level,
                text,
            }) => log.push_at(mono_ns, level, &text),
            Ok(FromHost::Node { path, add }) => {
                let mut f = lock(&files);
                if add {
                    f.insert(path);
                } else {
                    f.remove(&path);
                }
            }
            Ok(FromHost::Reply { seq, result }) => {
                let _ = tx.send(Incoming::Reply(seq, result));
            }
            Err(e) => log.push(3, &format!("sim: bad message from module host: {e}")),
        }
    }
    // Waiters see the channel disconnect; the supervisor cleans up.
    drop(tx);
    let _ = events.send(Event::GroupDied(id));
}

fn read_output(
    r: std::io::PipeReader,
    pid: u32,
    crash: Arc<Mutex<Option<CrashRecord>>>,
    log: Arc<Log>,
    done: Sender<()>,
) {
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    loop {
        line.clear();
        // Bounded lines: a module printing without newlines cannot grow this.
        match r.by_ref().take(8192).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\n');
        if text.starts_with(CRASH_MARK) {
            if let Some(rec) = CrashRecord::parse(text) {
                lock(&crash).get_or_insert(rec);
            }
        } else if !text.is_empty() {
            log.push(4, &format!("sim-host[{pid}]: {text}"));
        }
    }
    let _ = done.send(());
}

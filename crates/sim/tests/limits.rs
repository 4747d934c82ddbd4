//! Connections under pressure: a flood of trickling connections from other
//! uids never fails the owner's or root's requests; a trickler is dropped
//! at the frame deadline while an idle connection is not; a refused client
//! is told why; a client that does not read its answers is let go.
//!
//! Other users are this test binary run again as them (`helper`), which
//! needs root; tests run as root.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::*;
use sim::protocol::{read_frame, write_frame, FrameError, Outcome, Response};

const EAGAIN: i32 = 11;
/// The daemon's owner in the flood test, and the flooding uids.
const OWNER: u32 = 1000;
const FLOODERS: [u32; 5] = [65534, 65533, 65532, 65531, 65530];
/// Connections each flooder keeps trying to hold.
const FLOOD_CONNECTIONS: usize = 20;
const FRAME_TIMEOUT: Duration = Duration::from_secs(1);
/// How late a deadline may be noticed on a loaded machine (2 cores, other
/// tests of this binary running alongside).
const SLACK: Duration = Duration::from_millis(1500);

fn raw(socket: &Path) -> UnixStream {
    let s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// The error frame waiting in `s`, if there is one.
fn parting_words(s: &mut UnixStream) -> Option<sim::Error> {
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let frame = read_frame(s).ok()??;
    match serde_json::from_slice::<Response>(&frame).ok()?.result {
        Outcome::Error(e) => Some(e),
        Outcome::Ok(_) => None,
    }
}

/// Send `body` as one frame and read the answer's errno (0: ok).
fn ask(s: &mut UnixStream, body: &[u8]) -> i32 {
    write_frame(s, body).unwrap();
    let frame = read_frame(s).unwrap().expect("an answer");
    match serde_json::from_slice::<Response>(&frame).unwrap().result {
        Outcome::Ok(_) => 0,
        Outcome::Error(e) => e.errno,
    }
}

const LIST: &[u8] = br#"{"version":1,"op":"list"}"#;

/// What each tool run does, over and over for `span`: connect afresh, load
/// `module`, see it listed, unload it, ask the status. Returns the rounds
/// done and the errors met.
fn exercise(socket: &Path, module: &Path, span: Duration) -> (usize, Vec<String>) {
    let name = module.file_stem().unwrap().to_str().unwrap();
    let end = Instant::now() + span;
    let (mut rounds, mut errors) = (0, Vec::new());
    while Instant::now() < end && errors.len() < 5 {
        let round = || -> Result<(), sim::Error> {
            let c = sim::Client::connect(socket)?;
            c.insert(module, "", Default::default())?;
            if !c.list()?.iter().any(|m| m.name == name) {
                return Err(sim::Error::new(0, format!("{name} not listed")));
            }
            c.remove(name, false)?;
            c.status()?;
            Ok(())
        };
        match round() {
            Ok(()) => rounds += 1,
            Err(e) => errors.push(format!("errno {}: {}", e.errno, e.message)),
        }
    }
    (rounds, errors)
}

/// This binary, run as `uid` in `role` (see `helper`); its stdout lines
/// come through a channel so that no wait is unbounded. Killed on drop.
struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Helper {
    fn spawn(role: &str, uid: u32, env: &[(&str, &std::ffi::OsStr)]) -> Helper {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "helper", "--nocapture", "--test-threads=1"])
            .env("SIM_TEST_ROLE", role)
            .uid(uid)
            .gid(uid)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run the helper");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Helper {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Wait for a line holding `marker`; return what follows it.
    fn expect(&mut self, marker: &str) -> String {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Some((_, rest)) = line.split_once(marker) {
                        return rest.to_string();
                    }
                }
                Err(_) => panic!("no {marker} from the helper; it said {:?}", self.seen),
            }
        }
    }

    /// Every value given as `KEY=value` in what is left of the output.
    fn values(&mut self, key: &str) -> Vec<String> {
        let end = Instant::now() + Duration::from_secs(20);
        while let Ok(line) = self
            .lines
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line);
        }
        let key = format!("{key}=");
        self.seen
            .iter()
            .filter_map(|l| l.split_once(&key).map(|(_, v)| v.to_string()))
            .collect()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The other users of `a_flood_from_other_uids_never_fails_the_owner_or_root`
/// (does nothing when run as a test of its own):
///
/// * `daemon`: a sim kernel owned by this uid; on `GO <ms>` from stdin it
///   exercises it as its owner for that long; stops at the end of stdin;
/// * `flood`: holds as many connections as it may, trickling a byte into
///   each every 100 ms and reconnecting when dropped; reports how the
///   daemon refused and dropped them.
#[test]
fn helper() {
    let env = |k: &str| std::env::var_os(k).map(PathBuf::from).unwrap();
    match std::env::var("SIM_TEST_ROLE").as_deref() {
        Ok("daemon") => {
            let mut cfg = config(&env("SIM_TEST_DIR"), &env("SIM_TEST_ROOT"));
            cfg.limits.frame_timeout = FRAME_TIMEOUT;
            let socket = cfg.socket_path.clone();
            let module = cfg.module_root.join("extra/khello.so");
            let daemon = sim::Daemon::start(cfg).expect("start the sim daemon");
            println!("\nSERVING");
            for line in std::io::stdin().lines().map_while(Result::ok) {
                if let Some(ms) = line.strip_prefix("GO ") {
                    let span = Duration::from_millis(ms.parse().unwrap());
                    let (rounds, errors) = exercise(&socket, &module, span);
                    for e in errors {
                        println!("\nOWNER_ERROR={e}");
                    }
                    println!("\nOWNER_ROUNDS={rounds}");
                }
            }
            daemon.shutdown();
        }
        Ok("flood") => flood(&env("SIM_TEST_SOCKET"), Duration::from_millis(3000)),
        _ => {}
    }
}

fn flood(socket: &Path, span: Duration) {
    struct Conn {
        s: UnixStream,
        opened: Instant,
        sent: usize,
    }
    let dial = || Conn {
        s: UnixStream::connect(socket).unwrap(),
        opened: Instant::now(),
        sent: 0,
    };
    let mut conns: Vec<Conn> = (0..FLOOD_CONNECTIONS).map(|_| dial()).collect();
    let end = Instant::now() + span;
    let mut ready = false;
    while Instant::now() < end {
        for c in conns.iter_mut() {
            // A frame announcing 200 bytes, one byte at a time: never whole.
            let byte = match c.sent {
                0..=2 => 0,
                3 => 200,
                _ => b' ',
            };
            if c.s.write_all(&[byte]).is_ok() {
                c.sent += 1;
                continue;
            }
            match parting_words(&mut c.s) {
                Some(e) if e.errno == EAGAIN => println!("\nREFUSED={}", e.message),
                Some(e) if e.errno == ETIMEDOUT => {
                    println!("\nDROPPED_MS={}", c.opened.elapsed().as_millis())
                }
                Some(e) => println!("\nUNEXPECTED=errno {}: {}", e.errno, e.message),
                None => println!("\nUNEXPECTED=closed without a word"),
            }
            *c = dial();
        }
        if !ready {
            println!("\nREADY");
            ready = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn needs_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: needs root to run clients as other users");
    false
}

#[test]
fn a_flood_from_other_uids_never_fails_the_owner_or_root() {
    if !needs_root() {
        return;
    }
    let tree = modules("c");
    let dir = TempDir::new("flood");
    nix::unistd::chown(
        &dir.0,
        Some(nix::unistd::Uid::from_raw(OWNER)),
        Some(nix::unistd::Gid::from_raw(OWNER)),
    )
    .unwrap();
    let mut daemon = Helper::spawn(
        "daemon",
        OWNER,
        &[
            ("SIM_TEST_DIR", dir.0.as_os_str()),
            ("SIM_TEST_ROOT", tree.as_os_str()),
        ],
    );
    daemon.expect("SERVING");
    let socket = dir.0.join("sim.sock");
    let mut floods: Vec<Helper> = FLOODERS
        .iter()
        .map(|&uid| Helper::spawn("flood", uid, &[("SIM_TEST_SOCKET", socket.as_os_str())]))
        .collect();
    for f in &mut floods {
        f.expect("READY");
    }

    // Owner and root at work while the flood goes on (3 s from READY).
    let span = Duration::from_millis(2000);
    writeln!(daemon.stdin.as_ref().unwrap(), "GO {}", span.as_millis()).unwrap();
    let (rounds, errors) = exercise(&socket, &tree.join("extra/counter.so"), span);
    assert_eq!(errors, Vec::<String>::new(), "root's requests failed");
    assert!(rounds > 0);
    let owner_rounds: usize = daemon.expect("OWNER_ROUNDS=").parse().unwrap();

    // The flood was refused (each uid past its share, then all of them past
    // theirs) and its tricklers dropped at the deadline, never held longer.
    let limits = sim::ConnectionLimits::default();
    let (mut whole_share_refused, mut drops, mut refused) = (false, 0, 0);
    let mut longest = Duration::ZERO;
    for (f, uid) in floods.iter_mut().zip(FLOODERS) {
        let refusals = f.values("REFUSED");
        let dropped = f.values("DROPPED_MS");
        assert_eq!(f.values("UNEXPECTED"), Vec::<String>::new(), "uid {uid}");
        assert!(!refusals.is_empty(), "uid {uid} was never refused");
        drops += dropped.len();
        refused += refusals.len();
        let own = format!(
            "too many connections to the sim kernel from uid {uid} (at most {} at once)",
            limits.per_uid
        );
        let all = format!(
            "too many connections to the sim kernel from users other than its owner and root \
             (at most {} at once)",
            limits.others
        );
        for r in &refusals {
            assert!(*r == own || *r == all, "uid {uid}: {r}");
            whole_share_refused |= *r == all;
        }
        for ms in dropped {
            let held = Duration::from_millis(ms.parse().unwrap());
            assert!(
                held >= FRAME_TIMEOUT && held < FRAME_TIMEOUT + SLACK,
                "uid {uid}: a trickler held for {held:?}"
            );
            longest = longest.max(held);
        }
    }
    assert!(
        whole_share_refused,
        "other users together were never limited"
    );
    // (Some uids may have had no place at all to be dropped from.)
    assert!(drops > 0, "no trickler was dropped");

    // Once the flood is over: the owner's errors, printed before its rounds.
    daemon.stdin = None;
    let owner_errors = daemon.values("OWNER_ERROR");
    assert_eq!(
        owner_errors,
        Vec::<String>::new(),
        "the owner's requests failed"
    );
    assert!(owner_rounds > 0);
    eprintln!(
        "under the flood: root {rounds} rounds, the owner {owner_rounds} in {span:?}; \
         {refused} connections refused, {drops} dropped, held {longest:?} at most"
    );
}

#[test]
fn a_trickler_is_dropped_at_the_deadline_an_idle_connection_is_not() {
    let sim = Sim::with(modules("c"), |c| {
        c.limits.frame_timeout = FRAME_TIMEOUT;
        c.limits.idle_timeout = Duration::from_secs(10);
    });
    let mut idle = raw(&sim.socket);
    let mut trickler = raw(&sim.socket);
    let start = Instant::now();
    let mut sent = 0;
    let dropped_after = loop {
        assert!(start.elapsed() < Duration::from_secs(5), "never dropped");
        let byte = if sent == 3 { 200 } else { 0 };
        if trickler.write_all(&[byte]).is_err() {
            break start.elapsed();
        }
        sent += 1;
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        dropped_after >= FRAME_TIMEOUT && dropped_after < FRAME_TIMEOUT + SLACK,
        "dropped after {dropped_after:?}"
    );
    let e = parting_words(&mut trickler).expect("a reason");
    assert_eq!(e.errno, ETIMEDOUT);
    assert_eq!(
        e.message,
        "request not complete within 1 s of its first byte"
    );

    // A request in pieces that make the deadline is served.
    let mut slow = raw(&sim.socket);
    let mut frame = Vec::new();
    write_frame(&mut frame, LIST).unwrap();
    for piece in frame.chunks(frame.len() / 4 + 1) {
        slow.write_all(piece).unwrap();
        std::thread::sleep(FRAME_TIMEOUT / 8);
    }
    let answer: Response =
        serde_json::from_slice(&read_frame(&mut slow).unwrap().unwrap()).unwrap();
    assert!(matches!(answer.result, Outcome::Ok(_)));

    // Silent past the deadline, between requests: still served.
    assert!(start.elapsed() > FRAME_TIMEOUT);
    assert_eq!(ask(&mut idle, LIST), 0);
}

#[test]
fn an_idle_connection_is_closed_without_a_word_and_the_client_reconnects() {
    let idle_timeout = Duration::from_millis(500);
    let sim = Sim::with(modules("c"), |c| c.limits.idle_timeout = idle_timeout);
    sim.client.list().unwrap();
    let mut s = raw(&sim.socket);
    let start = Instant::now();
    assert!(
        read_frame(&mut s).unwrap().is_none(),
        "closed with no frame"
    );
    let closed_after = start.elapsed();
    assert!(
        closed_after >= idle_timeout && closed_after < idle_timeout + SLACK,
        "closed after {closed_after:?}"
    );
    // The client's connection, idle as long, was closed as well; it opens
    // another rather than fail with EPIPE.
    sim.insert("khello", "").unwrap();
    assert_eq!(sim.names(), ["khello"]);
}

#[test]
fn a_refused_client_is_told_why() {
    let sim = Sim::with(modules("c"), |c| c.limits.privileged = 2);
    let uid = nix::unistd::getuid();
    let why = format!("too many connections to the sim kernel from uid {uid} (at most 2 at once)");
    // The test's client and this one hold the two places.
    let mut holder = raw(&sim.socket);
    assert_eq!(ask(&mut holder, LIST), 0);

    let mut s = raw(&sim.socket);
    let e = parting_words(&mut s).expect("a refusal frame");
    assert_eq!((e.errno, e.message.as_str()), (EAGAIN, why.as_str()));
    assert!(read_frame(&mut s).unwrap().is_none(), "then closed");

    // Through the client, asking at once or once the daemon has closed
    // (the request's write fails then): the daemon's reason either way.
    for delay in [Duration::ZERO, Duration::from_millis(300)] {
        let c = sim::Client::connect(&sim.socket).unwrap();
        std::thread::sleep(delay);
        let e = c.list().unwrap_err();
        assert_eq!((e.errno, e.message.as_str()), (EAGAIN, why.as_str()));
    }
    // Room again once a connection is gone.
    drop(holder);
    assert!(wait_for(Duration::from_secs(3), || {
        sim::Client::connect(&sim.socket)
            .and_then(|c| c.list())
            .is_ok()
    }));
}

#[test]
fn a_client_that_does_not_read_its_answers_is_let_go() {
    let sim = Sim::with(modules("c"), |c| c.limits.frame_timeout = FRAME_TIMEOUT);
    // More answers than socket buffers hold, asked at once, none read.
    const N: usize = 5000;
    let mut batch = Vec::new();
    for _ in 0..N {
        write_frame(&mut batch, br#"{"version":1,"op":"status"}"#).unwrap();
    }
    let mut s = raw(&sim.socket);
    let mut w = s.try_clone().unwrap();
    w.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&batch);
    });
    std::thread::sleep(FRAME_TIMEOUT * 2);
    // What was written before the daemon gave up, then the end.
    let mut answers = 0;
    loop {
        match read_frame(&mut s) {
            Ok(Some(_)) => answers += 1,
            Ok(None) => break,
            // Closed with requests unread, or in the middle of an answer.
            Err(FrameError::Io(e))
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
                ) =>
            {
                break
            }
            Err(e) => panic!("{e} after {answers} answers"),
        }
    }
    assert!(answers > 0 && answers < N, "{answers} answers");
    writer.join().unwrap();
    // The daemon serves on.
    sim.client.list().unwrap();
}

#[test]
fn a_request_the_daemon_closed_unread_is_sent_again_once() {
    use sim::protocol::{Reply, PROTOCOL_VERSION};
    use std::os::fd::{AsFd, AsRawFd};
    use std::os::unix::net::UnixListener;

    // A stand-in daemon: the first connection is closed with the request
    // unread (as an idle timeout landing just as it arrives does), the
    // second answers it. The client must neither fail nor send twice.
    let dir = std::env::temp_dir().join(format!("rkmod-sim-unread-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fake.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let daemon = std::thread::spawn(move || {
        let (first, _) = listener.accept().unwrap();
        let mut peek = [0u8; 1];
        // Blocks until the request is there; leaves it unread.
        nix::sys::socket::recv(
            first.as_fd().as_raw_fd(),
            &mut peek,
            nix::sys::socket::MsgFlags::MSG_PEEK,
        )
        .unwrap();
        drop(first);
        let (mut second, _) = listener.accept().unwrap();
        second
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let request = read_frame(&mut second).unwrap().expect("the request again");
        let answer = serde_json::to_vec(&Response {
            version: PROTOCOL_VERSION,
            result: Outcome::Ok(Reply::Modules { modules: vec![] }),
        })
        .unwrap();
        write_frame(&mut second, &answer).unwrap();
        // Nothing more: the request went out twice, not three times.
        let more = read_frame(&mut second);
        (request, matches!(more, Ok(None)))
    });
    let client = sim::Client::connect(&path).unwrap();
    assert!(client.list().unwrap().is_empty());
    drop(client);
    let (request, then_closed) = daemon.join().unwrap();
    assert_eq!(request, LIST);
    assert!(then_closed);
    let _ = std::fs::remove_dir_all(&dir);
}

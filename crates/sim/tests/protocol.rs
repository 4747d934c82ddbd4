//! The socket from a raw client: malformed requests get an error reply and
//! change nothing; the daemon keeps serving; only the owner or root may
//! change anything.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::*;
use sim::protocol::{read_frame, write_frame, Response, MAX_FRAME};

fn raw(sim: &Sim) -> UnixStream {
    let s = UnixStream::connect(&sim.socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Send `body` as one frame and read the answer's errno (0: ok).
fn ask(s: &mut UnixStream, body: &[u8]) -> i32 {
    write_frame(s, body).unwrap();
    let frame = read_frame(s).unwrap().expect("an answer");
    let resp: Response = serde_json::from_slice(&frame).unwrap();
    assert_eq!(resp.version, 1);
    match resp.result {
        sim::protocol::Outcome::Ok(_) => 0,
        sim::protocol::Outcome::Error(e) => e.errno,
    }
}

#[test]
fn malformed_requests_get_errors_and_change_nothing() {
    let sim = Sim::start();
    sim.insert("khello", "").unwrap();
    let before = sim.proc_modules();
    let mut s = raw(&sim);
    let cases: &[(&[u8], i32)] = &[
        (b"", EINVAL),
        (b"not json", EINVAL),
        (b"\xff\xfe\x00garbage", EINVAL),
        (b"[]", EINVAL),
        (b"{}", EINVAL),
        (br#"{"op":"list"}"#, EINVAL),
        (br#"{"version":"1","op":"list"}"#, EINVAL),
        (br#"{"version":2,"op":"list"}"#, 93), // EPROTONOSUPPORT
        (br#"{"version":1}"#, EINVAL),
        (br#"{"version":1,"op":"reboot"}"#, EINVAL),
        (br#"{"version":1,"op":"insert"}"#, EINVAL),
        (br#"{"version":1,"op":"insert","path":5}"#, EINVAL),
        (
            br#"{"version":1,"op":"insert","path":"relative/khello.so"}"#,
            EINVAL,
        ),
        (
            br#"{"version":1,"op":"insert","path":"/nonexistent/x.so"}"#,
            ENOENT,
        ),
        (
            br#"{"version":1,"op":"insert","path":"/etc/passwd"}"#,
            EPERM,
        ),
        (br#"{"version":1,"op":"remove","name":"../../etc"}"#, ENOENT),
        (br#"{"version":1,"op":"remove"}"#, EINVAL),
        (
            br#"{"version":1,"op":"remove","name":"khello","force":"yes"}"#,
            EINVAL,
        ),
        (
            br#"{"version":1,"op":"set_param","module":"khello","param":"io"}"#,
            EINVAL,
        ),
        (br#"{"version":1,"op":"log","since":-1}"#, EINVAL),
        (br#"{"version":1,"op":"list"}"#, 0),
    ];
    for (body, errno) in cases {
        assert_eq!(
            ask(&mut s, body),
            *errno,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // Deeply nested JSON is refused, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(ask(&mut s, deep.as_bytes()), EINVAL);
    assert_eq!(sim.proc_modules(), before);
    assert_eq!(sim.names(), ["khello"]);
}

/// Requests that would change something if read leniently (serde's
/// defaults: the last of duplicate keys, unknown fields ignored, a number
/// for the op's index): each is `EINVAL` and changes nothing.
#[test]
fn requests_off_the_documented_shape_change_nothing() {
    let sim = Sim::start();
    sim.insert("khello", "").unwrap();
    let before = sim.proc_modules();
    let counter = sim.path("counter");
    let counter = counter.to_str().unwrap();
    let mut s = raw(&sim);
    let cases = [
        // Numeric op: 1 is `remove`, 0 `insert` by variant index.
        r#"{"version":1,"op":1,"name":"khello"}"#.to_string(),
        format!(r#"{{"version":1,"op":0,"path":"{counter}"}}"#),
        // Duplicate keys: the last would win.
        r#"{"version":1,"op":"list","op":"remove","name":"khello"}"#.to_string(),
        format!(r#"{{"version":1,"op":"status","op":"insert","path":"{counter}"}}"#),
        r#"{"version":1,"op":"remove","name":"nosuch","name":"khello"}"#.to_string(),
        // Unknown fields.
        r#"{"version":1,"op":"remove","name":"khello","forcefully":true}"#.to_string(),
        format!(r#"{{"version":1,"op":"insert","path":"{counter}","param":"x=1"}}"#),
        format!(r#"{{"version":1,"op":"insert","path":"{counter}","flags":{{"force":true}}}}"#),
        // Wrong types.
        format!(r#"{{"version":1,"op":"insert","path":"{counter}","flags":[]}}"#),
        format!(r#"{{"version":1,"op":"insert","path":"{counter}","params":null}}"#),
        r#"{"version":1,"op":"remove","name":"khello","force":1}"#.to_string(),
        r#"{"version":1.0,"op":"remove","name":"khello"}"#.to_string(),
        // Trailing data, not an object.
        r#"{"version":1,"op":"remove","name":"khello"} {}"#.to_string(),
        r#"{"version":1,"op":"remove","name":"khello"}}"#.to_string(),
        r#"[{"version":1,"op":"remove","name":"khello"}]"#.to_string(),
        r#""remove khello""#.to_string(),
    ];
    for body in &cases {
        assert_eq!(ask(&mut s, body.as_bytes()), EINVAL, "{body}");
    }
    assert_eq!(sim.proc_modules(), before);
    assert_eq!(sim.names(), ["khello"]);
    let log = sim.log();
    assert!(
        !log.contains("khello: unloaded") && !log.contains("counter"),
        "{log}"
    );
    // The same connection still serves well-formed requests.
    assert_eq!(
        ask(&mut s, br#"{"version":1,"op":"remove","name":"khello"}"#),
        0
    );
    assert!(sim.names().is_empty());
}

#[test]
fn oversized_and_truncated_frames_close_the_connection_only() {
    let sim = Sim::start();
    let mut s = raw(&sim);
    s.write_all(&((MAX_FRAME as u32) + 1).to_be_bytes())
        .unwrap();
    let frame = read_frame(&mut s).unwrap().unwrap();
    let resp: Response = serde_json::from_slice(&frame).unwrap();
    assert!(matches!(resp.result, sim::protocol::Outcome::Error(e) if e.errno == 90)); // EMSGSIZE
    let mut rest = Vec::new();
    assert_eq!(
        s.read_to_end(&mut rest).unwrap(),
        0,
        "closed after an oversized frame"
    );

    // A frame cut short, then the client goes away.
    let mut s = raw(&sim);
    s.write_all(&100u32.to_be_bytes()).unwrap();
    s.write_all(b"{\"version\":1").unwrap();
    drop(s);
    // Half a length prefix.
    let mut s = raw(&sim);
    s.write_all(&[0, 0]).unwrap();
    drop(s);

    // Pseudo-random bytes, many connections.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..50 {
        let mut s = raw(&sim);
        let mut buf = vec![0u8; (x % 64) as usize + 1];
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let _ = s.write_all(&buf);
    }
    // Still serving.
    sim.insert("khello", "").unwrap();
    assert_eq!(sim.names(), ["khello"]);
}

#[test]
fn many_clients_at_once() {
    let sim = Sim::start();
    sim.insert("counter", "").unwrap();
    let socket = sim.socket.clone();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let c = sim::Client::connect(&socket).unwrap();
                for _ in 0..50 {
                    assert_eq!(c.list().unwrap().len(), 1);
                    c.status().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Run by `only_the_owner_may_change_state` as another user (skipped
/// otherwise): tries to load and to read.
#[test]
fn unprivileged_helper() {
    let Some(socket) = std::env::var_os("SIM_TEST_UNPRIVILEGED_SOCKET") else {
        return;
    };
    let module = std::env::var_os("SIM_TEST_MODULE").unwrap();
    let c = sim::Client::connect(&socket).unwrap();
    let e = c
        .insert(std::path::Path::new(&module), "", Default::default())
        .unwrap_err();
    println!("INSERT_ERRNO={}", e.errno);
    println!(
        "REMOVE_ERRNO={}",
        c.remove("counter", false).unwrap_err().errno
    );
    println!("LISTED={}", c.list().unwrap().len());
}

#[test]
fn only_the_owner_may_change_state() {
    use std::os::unix::process::CommandExt;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to run a client as another user");
        return;
    }
    let sim = Sim::start();
    sim.insert("counter", "").unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(&exe)
        .args([
            "--exact",
            "unprivileged_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SIM_TEST_UNPRIVILEGED_SOCKET", &sim.socket)
        .env("SIM_TEST_MODULE", sim.path("khello"))
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && text.is_empty() {
        eprintln!(
            "skipped: nobody cannot run the test binary here: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    assert!(text.contains("INSERT_ERRNO=1"), "{text}");
    assert!(text.contains("REMOVE_ERRNO=1"), "{text}");
    assert!(text.contains("LISTED=1"), "{text}");
    assert_eq!(sim.names(), ["counter"]);
}

#[test]
fn a_second_daemon_on_a_live_socket_is_refused() {
    let sim = Sim::start();
    let mut cfg = config(&sim.dir.0.join("second"), &sim.root);
    cfg.socket_path = sim.socket.clone();
    match sim::Daemon::start(cfg) {
        Err(sim::DaemonError::AlreadyRunning(p)) => assert_eq!(p, sim.socket),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("two daemons on one socket"),
    }
    // The first one is unaffected.
    sim.insert("khello", "").unwrap();
}

#[test]
fn shutdown_ends_every_host_and_clears_the_state() {
    let mut sim = Sim::start();
    sim.insert("counter", "").unwrap();
    sim.insert("square", "").unwrap();
    sim.insert("test_square", "").unwrap();
    let pids: Vec<u32> = sim
        .client
        .list()
        .unwrap()
        .iter()
        .map(|m| m.host_pid)
        .collect();
    sim.daemon.take().unwrap().shutdown();
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "host {pid} outlived the daemon"
        );
    }
    assert_eq!(sim.proc_modules(), "");
    assert!(std::fs::read_dir(sim.state.join("sys/module"))
        .unwrap()
        .next()
        .is_none());
    assert!(!sim.socket.exists());
    assert!(sim.client.list().is_err());
}

//! The client protocol, version [`PROTOCOL_VERSION`].
//!
//! Framing: each message is a 4-byte big-endian length followed by that
//! many bytes of UTF-8 JSON (at most [`MAX_FRAME`]). A client sends a
//! [`Request`], the daemon answers one [`Response`], in order, on one
//! connection that may carry any number of exchanges.
//!
//! ```text
//! → {"version":1,"op":"insert","path":"/abs/khello.so","params":"msg=hi io=3"}
//! ← {"version":1,"ok":{"kind":"inserted","name":"khello"}}
//! → {"version":1,"op":"remove","name":"khello","force":false}
//! ← {"version":1,"error":{"errno":11,"message":"Module khello is in use"}}
//! ```
//!
//! Operations: `insert` (path: absolute; params: the kernel's parameter
//! string), `remove`, `set_param`, which need the daemon's owner or root
//! (`SO_PEERCRED`); and `list`, `status`, `log`, which anyone may send.
//! A request that does not parse gets an `error` response with `EINVAL`
//! (bad JSON or fields) or `EPROTONOSUPPORT` (another version) and changes
//! nothing; an oversized frame gets `EMSGSIZE` and the connection closed.
//!
//! The daemon talks to its module hosts with the same framing; those
//! messages ([`host`]) are internal and may change with the daemon.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Version of this protocol; bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest frame either side accepts.
pub const MAX_FRAME: usize = 1 << 20;

/// A client request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub version: u32,
    #[serde(flatten)]
    pub op: Op,
}

/// How to insert a module (the kernel's `MODULE_INIT_IGNORE_*` flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsertFlags {
    /// Load despite a vermagic mismatch or none.
    #[serde(default)]
    pub ignore_vermagic: bool,
    /// Accepted for symmetry with the kernel; sim modules have no modversions.
    #[serde(default)]
    pub ignore_modversions: bool,
}

/// The operations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Load the module file at `path` (absolute) with `params`.
    Insert {
        path: String,
        #[serde(default)]
        params: String,
        #[serde(default)]
        flags: InsertFlags,
    },
    /// Unload `name`. `force` removes a module without `module_fini`; it
    /// does not override holders (as in the kernel).
    Remove {
        name: String,
        #[serde(default)]
        force: bool,
    },
    /// Set a parameter of a loaded module, as writing to
    /// `/sys/module/<module>/parameters/<param>` does.
    SetParam {
        module: String,
        param: String,
        value: String,
    },
    /// The loaded modules.
    List,
    /// The daemon's state.
    Status,
    /// Log entries with sequence number `since` or later (at most `max`).
    Log {
        #[serde(default)]
        since: u64,
        #[serde(default)]
        max: Option<u32>,
    },
}

/// The daemon's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub version: u32,
    #[serde(flatten)]
    pub result: Outcome,
}

/// Success or failure of one request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok(Reply),
    Error(Error),
}

/// What a successful request returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    Inserted { name: String },
    Removed { name: String },
    ParamSet,
    Modules { modules: Vec<ModuleInfo> },
    Status(Status),
    Log(LogPage),
}

/// One loaded module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    pub name: String,
    /// Mapped size in bytes, as `/proc/modules` shows it.
    pub size: u64,
    pub refcnt: u32,
    /// Modules using this one, most recent first.
    pub holders: Vec<String>,
    /// Modules this one uses.
    pub uses: Vec<String>,
    /// `Live`, `Loading` or `Unloading`.
    pub state: String,
    pub path: String,
    /// The host process this module runs in.
    pub host_pid: u32,
    /// Parameters shown under `parameters/` (non-zero permissions).
    pub params: BTreeMap<String, String>,
}

/// The daemon's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub protocol_version: u32,
    pub interface_version: u32,
    pub release: String,
    pub pid: u32,
    pub uptime_ms: u64,
    pub state_dir: String,
    pub socket: String,
    pub module_root: String,
    pub modules: usize,
    /// Host processes and the modules each holds.
    pub hosts: Vec<HostInfo>,
    /// Host processes that died of a signal or were killed so far.
    pub crashes: u64,
    /// The sequence number the next log entry gets.
    pub log_next: u64,
}

/// One module host process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub pid: u32,
    pub modules: Vec<String>,
}

/// A slice of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// Pass as `since` to continue; entries older than the daemon keeps
    /// are skipped.
    pub next: u64,
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: u64,
    /// Microseconds since the sim kernel started.
    pub usec: u64,
    /// `KERN_*` level, 0..7.
    pub level: i32,
    pub text: String,
}

impl LogEntry {
    /// The line as the `log` file and dmesg show it: `[    1.234567] text`.
    pub fn format(&self) -> String {
        format!(
            "[{:5}.{:06}] {}",
            self.usec / 1_000_000,
            self.usec % 1_000_000,
            self.text
        )
    }
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME}")]
    TooLarge(u32),
}

/// Write one frame.
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME)
        .ok_or_else(|| io::Error::from_raw_os_error(nix::libc::EMSGSIZE))?;
    let mut buf = Vec::with_capacity(4 + body.len());
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(body);
    // One write, so that frames from several threads sharing a locked
    // writer never interleave.
    w.write_all(&buf)?;
    w.flush()
}

/// Read one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_be_bytes(len);
    if len as usize > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// Messages between the daemon and a module host process (internal).
pub mod host {
    use serde::{Deserialize, Serialize};

    /// A request to a host, answered by one [`FromHost::Reply`] with the
    /// same `seq`.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ToHost {
        pub seq: u64,
        pub call: Call,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(tag = "call", rename_all = "snake_case")]
    pub enum Call {
        /// dlopen `path`, check the interface version, apply `params`,
        /// run `module_init`. `global`: its symbols serve later modules.
        Load {
            id: u32,
            name: String,
            path: String,
            global: bool,
            params: Vec<(String, Option<String>)>,
        },
        /// Stop and join the module's threads, run `module_fini` when
        /// `run_fini`, dlclose; with `exit_after`, exit the process.
        Unload {
            id: u32,
            run_fini: bool,
            exit_after: bool,
        },
        /// Load the `.ko` at `path` into this host's kernel API (kapi.ko
        /// built for the sim kernel's release, started at the first one),
        /// apply `args` as the kernel's parse_args does, run its init;
        /// `comm` names the task that loads it (the client's command).
        LoadKo {
            id: u32,
            name: String,
            path: String,
            args: String,
            kapi: String,
            headers: String,
            comm: String,
        },
        /// Read a module's file (its path in a real kernel) to its end.
        Read { path: String },
        /// One write of exactly `data` to a module's file.
        Write { path: String, data: Vec<u8> },
        /// Call `mod_hello` of module `id`.
        Hello { id: u32 },
        /// The current parameter values of every module.
        Params,
        /// Set one parameter of a loaded module.
        SetParam {
            id: u32,
            param: String,
            value: String,
        },
    }

    /// A message from a host.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(tag = "msg", rename_all = "snake_case")]
    pub enum FromHost {
        /// Sent once at start.
        Ready { pid: u32 },
        /// A log line; `mono_ns` is `CLOCK_MONOTONIC`.
        Log {
            mono_ns: u64,
            level: i32,
            text: String,
        },
        /// A module's file appeared (`add`) or went away.
        Node { path: String, add: bool },
        Reply {
            seq: u64,
            result: Result<Done, Failed>,
        },
    }

    /// A successful call.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(tag = "done", rename_all = "snake_case")]
    pub enum Done {
        Loaded {
            has_hello: bool,
            has_fini: bool,
            params: Vec<ParamValue>,
        },
        Unloaded,
        Hello,
        Params {
            modules: Vec<(u32, Vec<ParamValue>)>,
            /// References taken with try_module_get, per `.ko` module.
            #[serde(default)]
            refs: Vec<(u32, i32)>,
        },
        /// A file's bytes.
        Data { data: Vec<u8> },
        Written,
        ParamSet {
            value: ParamValue,
        },
    }

    /// A failed call (already explained in the log by the host).
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Failed {
        pub errno: i32,
        pub message: String,
    }

    /// A parameter and its current value as sysfs shows it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ParamValue {
        pub name: String,
        pub perm: u32,
        pub value: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_oversize() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"{}").unwrap();
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), b"{}");
        assert!(read_frame(&mut r).unwrap().is_none());
        let big = (MAX_FRAME as u32 + 1).to_be_bytes();
        assert!(matches!(
            read_frame(&mut &big[..]),
            Err(FrameError::TooLarge(_))
        ));
        assert!(read_frame(&mut &[0u8, 0][..]).is_err());
    }

    #[test]
    fn requests_have_the_documented_shape() {
        let r: Request = serde_json::from_str(
            r#"{"version":1,"op":"insert","path":"/m/khello.so","params":"msg=hi"}"#,
        )
        .unwrap();
        assert!(matches!(r.op, Op::Insert { ref params, .. } if params == "msg=hi"));
        let resp = Response {
            version: 1,
            result: Outcome::Ok(Reply::Inserted {
                name: "khello".into(),
            }),
        };
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            r#"{"version":1,"ok":{"kind":"inserted","name":"khello"}}"#
        );
        let resp = Response {
            version: 1,
            result: Outcome::Error(Error::new(11, "in use")),
        };
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            r#"{"version":1,"error":{"errno":11,"message":"in use"}}"#
        );
    }

    #[test]
    fn log_lines_look_like_dmesg() {
        let e = LogEntry {
            seq: 0,
            usec: 3_000_042,
            level: 6,
            text: "khello: hi".into(),
        };
        assert_eq!(e.format(), "[    3.000042] khello: hi");
    }
}

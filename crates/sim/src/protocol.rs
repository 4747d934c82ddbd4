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
//! string), `remove`, `set_param`, `write`, which need the daemon's owner
//! or root (`SO_PEERCRED`); and `list`, `status`, `log`, `read`, which
//! anyone may send. `read` answers a module file's bytes (`/proc/…`,
//! `/sys/kernel/…`, `/sys/module/<m>/parameters/<p>`, served by the
//! module's own operations) as hexadecimal digit pairs; `write` makes one
//! write of the bytes `data` encodes.
//!
//! # Requests, exactly ([`parse_request`])
//!
//! A request frame holds one JSON object and nothing else but whitespace,
//! no key in it (or in `flags`) twice, with exactly these members:
//!
//! * `version`: an integer; any other than [`PROTOCOL_VERSION`] gets
//!   `EPROTONOSUPPORT` (whatever else the request holds);
//! * `op`: a string naming the operation;
//! * the operation's fields, of these types (`?`: may be left out, and then
//!   has the value in parentheses), and no other:
//!
//! | `op`             | fields                                                        |
//! |------------------|---------------------------------------------------------------|
//! | `insert`         | `path`: string; `params`?: string (`""`); `flags`?: object of `ignore_vermagic`?, `ignore_modversions`?: boolean (false) |
//! | `remove`         | `name`: string; `force`?: boolean (false)                     |
//! | `set_param`      | `module`, `param`, `value`: string                            |
//! | `list`, `status` | none                                                          |
//! | `log`            | `since`?: integer 0..2⁶⁴−1 (0); `max`?: integer 0..2³²−1 or null (1000, also the cap) |
//! | `read`           | `path`: string (a module's file, by its path in a real kernel) |
//! | `write`          | `path`: string; `data`: string of hexadecimal digit pairs     |
//!
//! "Integer" means a JSON number without fraction or exponent (`1.0` is
//! not one); a string is never a number nor a number a string (`"op":3`
//! names no operation). Any other frame gets `EINVAL` and changes nothing.
//! An oversized frame gets `EMSGSIZE` and the connection closed.
//!
//! # Connections
//!
//! The daemon limits connections by the peer's uid (`SO_PEERCRED`,
//! [`crate::daemon::ConnectionLimits`]): one over the limit gets a single
//! `error` frame (`EAGAIN`, "too many connections … from uid N") and is
//! closed; the owner and root each have room of their own that no other
//! uid can take. Once the first byte of a request has arrived, the whole
//! frame must follow within the frame deadline (5 s) or the daemon answers
//! `ETIMEDOUT` and closes the connection; an answer the client does not
//! read within that time closes it too. Between requests a connection may
//! stay idle for the idle timeout (60 s); then the daemon closes it without
//! a word (a client reconnects).
//!
//! The daemon talks to its module hosts with the same framing; those
//! messages ([`host`]) are internal and may change with the daemon.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use nix::libc;
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
    /// A module file's contents, read to the end.
    Read { path: String },
    /// One write of `data` (hexadecimal) to a module file.
    Write { path: String, data: String },
}

/// Bytes as lower-case hexadecimal digit pairs.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The bytes of hexadecimal digit pairs; `None` if it is not that.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Decode a request frame, holding it to exactly the shape the
/// [module documentation](self) allows. Errors are `EINVAL`, or
/// `EPROTONOSUPPORT` for another version.
pub fn parse_request(frame: &[u8]) -> Result<Request, Error> {
    let malformed = |why: String| Error::new(libc::EINVAL, format!("malformed request: {why}"));
    // serde_json takes the last of duplicate keys; StrictValue refuses them.
    let StrictValue(value) = serde_json::from_slice(frame).map_err(|e| malformed(e.to_string()))?;
    let serde_json::Value::Object(fields) = &value else {
        return Err(malformed("not a JSON object".into()));
    };
    match fields.get("version") {
        Some(v) if v.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => {}
        Some(v) if v.is_u64() => {
            return Err(Error::new(
                libc::EPROTONOSUPPORT,
                format!(
                    "protocol version {v} not supported (this daemon speaks {PROTOCOL_VERSION})"
                ),
            ))
        }
        Some(_) => {
            return Err(malformed(
                "\"version\" is not a non-negative integer".into(),
            ))
        }
        None => return Err(malformed("no \"version\"".into())),
    }
    let op = match fields.get("op") {
        Some(serde_json::Value::String(op)) => op.as_str(),
        Some(_) => return Err(malformed("\"op\" is not a string".into())),
        None => return Err(malformed("no \"op\"".into())),
    };
    let op_fields = fields_of(op).ok_or_else(|| malformed(format!("unknown op \"{op}\"")))?;
    let rest = fields.iter().filter(|(k, _)| *k != "version" && *k != "op");
    check_fields(rest, fields, op_fields, "").map_err(malformed)?;
    // The shape is right, so this only converts.
    serde_json::from_value(value).map_err(|e| malformed(e.to_string()))
}

/// What a request field may hold.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Str,
    Bool,
    U64,
    U32OrNull,
    Object(&'static [Field]),
}

/// A field: its name, shape, and whether it may be left out.
type Field = (&'static str, Shape, bool);

const OPTIONAL: bool = true;
const REQUIRED: bool = false;

/// The fields of each operation besides `version` and `op` (see [`Op`]).
fn fields_of(op: &str) -> Option<&'static [Field]> {
    use Shape::*;
    const FLAGS: &[Field] = &[
        ("ignore_vermagic", Bool, OPTIONAL),
        ("ignore_modversions", Bool, OPTIONAL),
    ];
    Some(match op {
        "insert" => &[
            ("path", Str, REQUIRED),
            ("params", Str, OPTIONAL),
            ("flags", Object(FLAGS), OPTIONAL),
        ],
        "remove" => &[("name", Str, REQUIRED), ("force", Bool, OPTIONAL)],
        "set_param" => &[
            ("module", Str, REQUIRED),
            ("param", Str, REQUIRED),
            ("value", Str, REQUIRED),
        ],
        "list" | "status" => &[],
        "log" => &[("since", U64, OPTIONAL), ("max", U32OrNull, OPTIONAL)],
        "read" => &[("path", Str, REQUIRED)],
        "write" => &[("path", Str, REQUIRED), ("data", Str, REQUIRED)],
        _ => return None,
    })
}

/// Check that `present` (the members of `object` to check) are all among
/// `allowed`, of their shapes, and that every required one is in `object`.
/// `at` prefixes names in messages (`"flags."`).
fn check_fields<'a>(
    present: impl Iterator<Item = (&'a String, &'a serde_json::Value)>,
    object: &serde_json::Map<String, serde_json::Value>,
    allowed: &[Field],
    at: &str,
) -> Result<(), String> {
    use serde_json::Value;
    for (key, value) in present {
        let Some((_, shape, _)) = allowed.iter().find(|(name, ..)| name == key) else {
            return Err(format!("unknown field \"{at}{key}\""));
        };
        let fits = match (shape, value) {
            (Shape::Str, Value::String(_)) | (Shape::Bool, Value::Bool(_)) => true,
            (Shape::U64, v) => v.is_u64(),
            (Shape::U32OrNull, Value::Null) => true,
            (Shape::U32OrNull, v) => v.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
            (Shape::Object(inner), Value::Object(members)) => {
                check_fields(members.iter(), members, inner, &format!("{at}{key}."))?;
                true
            }
            _ => false,
        };
        if !fits {
            return Err(format!("\"{at}{key}\" is not {}", shape.describe()));
        }
    }
    match allowed
        .iter()
        .find(|(name, _, optional)| !optional && !object.contains_key(*name))
    {
        Some((name, ..)) => Err(format!("no \"{at}{name}\"")),
        None => Ok(()),
    }
}

impl Shape {
    fn describe(self) -> &'static str {
        match self {
            Shape::Str => "a string",
            Shape::Bool => "a boolean",
            Shape::U64 => "a non-negative integer",
            Shape::U32OrNull => "null or an integer from 0 to 4294967295",
            Shape::Object(_) => "an object",
        }
    }
}

/// A JSON value parsed with no duplicate keys in any object.
struct StrictValue(serde_json::Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StrictValue, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(b.into())
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        // JSON text has no NaN or infinity, so this is never Null.
        Ok(n.into())
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(s.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            let StrictValue(v) = map.next_value()?;
            members.insert(key, v);
        }
        Ok(serde_json::Value::Object(members))
    }
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
    Inserted {
        name: String,
    },
    Removed {
        name: String,
    },
    ParamSet,
    Modules {
        modules: Vec<ModuleInfo>,
    },
    Status(Status),
    Log(LogPage),
    /// A file's bytes as hexadecimal digit pairs.
    File {
        data: String,
    },
    Written,
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
    // Grown as bytes arrive, not allocated whole on a length's say-so.
    let mut body = Vec::new();
    r.take(u64::from(len)).read_to_end(&mut body)?;
    if body.len() < len as usize {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
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
        Data {
            data: Vec<u8>,
        },
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

    /// Every operation as the client sends it, so that the shape table
    /// cannot fall behind [`Op`].
    fn every_op() -> Vec<Op> {
        let ops = vec![
            Op::Insert {
                path: "/m/khello.so".into(),
                params: "msg=hi".into(),
                flags: InsertFlags {
                    ignore_vermagic: true,
                    ignore_modversions: false,
                },
            },
            Op::Remove {
                name: "khello".into(),
                force: true,
            },
            Op::SetParam {
                module: "khello".into(),
                param: "io".into(),
                value: "3".into(),
            },
            Op::List,
            Op::Status,
            Op::Log {
                since: u64::MAX,
                max: Some(u32::MAX),
            },
            Op::Log {
                since: 0,
                max: None,
            },
            Op::Read {
                path: "/proc/helloworld".into(),
            },
            Op::Write {
                path: "/sys/module/khello/parameters/io".into(),
                data: hex_encode(b"3\n"),
            },
        ];
        for op in &ops {
            // A new operation must be added above (and to `fields_of`).
            match op {
                Op::Insert { .. }
                | Op::Remove { .. }
                | Op::SetParam { .. }
                | Op::List
                | Op::Status
                | Op::Log { .. }
                | Op::Read { .. }
                | Op::Write { .. } => {}
            }
        }
        ops
    }

    #[test]
    fn what_the_client_sends_parses() {
        for op in every_op() {
            let body = serde_json::to_vec(&Request {
                version: PROTOCOL_VERSION,
                op: op.clone(),
            })
            .unwrap();
            let back = parse_request(&body)
                .unwrap_or_else(|e| panic!("{}: {}", String::from_utf8_lossy(&body), e.message));
            assert_eq!(format!("{:?}", back.op), format!("{op:?}"));
        }
        // Optional fields may be left out, whitespace is JSON's.
        let r =
            parse_request(b" {\"version\" : 1, \"op\":\"insert\",\"path\":\"/m/a.so\"}\n").unwrap();
        assert!(matches!(r.op, Op::Insert { ref params, flags, .. }
            if params.is_empty() && flags == InsertFlags::default()));
        let r = parse_request(br#"{"op":"log","version":1,"max":null}"#).unwrap();
        assert!(matches!(
            r.op,
            Op::Log {
                since: 0,
                max: None
            }
        ));
    }

    #[test]
    fn anything_off_the_documented_shape_is_einval() {
        let einval: &[&str] = &[
            // Not one JSON object.
            "",
            " ",
            "[]",
            "\"list\"",
            "1",
            "null",
            "true",
            r#"{"version":1,"op":"list"} {"version":1,"op":"list"}"#,
            r#"{"version":1,"op":"list"}x"#,
            r#"{"version":1,"op":"list"}]"#,
            r#"{"version":1,"op":"list""#,
            // Duplicate keys, wherever.
            r#"{"version":1,"op":"list","op":"status"}"#,
            r#"{"version":1,"version":1,"op":"list"}"#,
            r#"{"version":1,"op":"remove","name":"a","name":"b"}"#,
            r#"{"version":1,"op":"insert","path":"/a","flags":{"ignore_vermagic":true,"ignore_vermagic":false}}"#,
            // The version and op themselves.
            r#"{"op":"list"}"#,
            r#"{"version":"1","op":"list"}"#,
            r#"{"version":1.0,"op":"list"}"#,
            r#"{"version":-1,"op":"list"}"#,
            r#"{"version":null,"op":"list"}"#,
            r#"{"version":1}"#,
            r#"{"version":1,"op":3}"#,
            r#"{"version":1,"op":0}"#,
            r#"{"version":1,"op":null}"#,
            r#"{"version":1,"op":["list"]}"#,
            r#"{"version":1,"op":"List"}"#,
            r#"{"version":1,"op":"reboot"}"#,
            // Unknown fields.
            r#"{"version":1,"op":"list","name":"x"}"#,
            r#"{"version":1,"op":"status","verbose":true}"#,
            r#"{"version":1,"op":"remove","name":"a","path":"/a"}"#,
            r#"{"version":1,"op":"insert","path":"/a","flags":{"force":true}}"#,
            r#"{"version":1,"op":"insert","path":"/a","kind":"inserted"}"#,
            // Missing fields.
            r#"{"version":1,"op":"insert"}"#,
            r#"{"version":1,"op":"remove"}"#,
            r#"{"version":1,"op":"set_param","module":"m","param":"p"}"#,
            // Wrong types.
            r#"{"version":1,"op":"insert","path":5}"#,
            r#"{"version":1,"op":"insert","path":null}"#,
            r#"{"version":1,"op":"insert","path":"/a","params":["x"]}"#,
            r#"{"version":1,"op":"insert","path":"/a","params":null}"#,
            r#"{"version":1,"op":"insert","path":"/a","flags":null}"#,
            r#"{"version":1,"op":"insert","path":"/a","flags":[]}"#,
            r#"{"version":1,"op":"insert","path":"/a","flags":{"ignore_vermagic":1}}"#,
            r#"{"version":1,"op":"remove","name":"a","force":"yes"}"#,
            r#"{"version":1,"op":"remove","name":"a","force":0}"#,
            r#"{"version":1,"op":"set_param","module":"m","param":"p","value":3}"#,
            r#"{"version":1,"op":"log","since":-1}"#,
            r#"{"version":1,"op":"log","since":1.5}"#,
            r#"{"version":1,"op":"log","since":1e3}"#,
            r#"{"version":1,"op":"log","since":"0"}"#,
            r#"{"version":1,"op":"log","since":null}"#,
            r#"{"version":1,"op":"log","max":4294967296}"#,
            r#"{"version":1,"op":"log","max":-1}"#,
        ];
        for body in einval {
            match parse_request(body.as_bytes()) {
                Err(e) => assert_eq!(e.errno, libc::EINVAL, "{body}: {}", e.message),
                Ok(r) => panic!("{body} parsed as {r:?}"),
            }
        }
        // Another version is another protocol, whatever else it holds.
        for body in [
            r#"{"version":2,"op":"list"}"#,
            r#"{"version":0,"op":"reboot","x":1}"#,
        ] {
            assert_eq!(
                parse_request(body.as_bytes()).unwrap_err().errno,
                libc::EPROTONOSUPPORT
            );
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let why = |body: &str| parse_request(body.as_bytes()).unwrap_err().message;
        assert!(why(r#"{"version":1,"op":"list","op":"list"}"#).contains("duplicate key \"op\""));
        assert!(why(r#"{"version":1,"op":3}"#).contains("\"op\" is not a string"));
        assert!(why(r#"{"version":1,"op":"list","x":1}"#).contains("unknown field \"x\""));
        assert!(
            why(r#"{"version":1,"op":"insert","path":"/a","flags":{"x":1}}"#)
                .contains("unknown field \"flags.x\"")
        );
        assert!(why(r#"{"version":1,"op":"remove"}"#).contains("no \"name\""));
        assert!(why("[]").contains("not a JSON object"));
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

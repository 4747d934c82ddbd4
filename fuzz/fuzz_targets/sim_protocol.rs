//! The sim kernel's socket protocol as its readers see it: a byte stream
//! cut into frames by `read_frame` (delivered in small reads, as a socket
//! may), each frame decoded as the daemon decodes a request (JSON, version
//! check, `Request`), as the client decodes a `Response`, and as the host
//! messages both ways; then what the daemon does with the fields before
//! touching modules: the parameter string split as the kernel splits it,
//! values parsed by every parameter type, module names checked.
//!
//! Input: one byte choosing the read size (1 to 8 bytes, or whole), then
//! the stream.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use sim::protocol::{host, read_frame, write_frame, FrameError, Op, Request, Response};
use sim::protocol::MAX_FRAME;
use sim_module::abi::ParamType;

rkmod_fuzz::capped_heap!();

/// Frames read from one input at most (each costs at least 4 bytes anyway).
const MAX_FRAMES: usize = 64;

/// A reader that hands out at most `chunk` bytes a call and an
/// `Interrupted` error before every other read, like a busy socket.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
    interrupt: bool,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt && self.chunk < usize::MAX {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The daemon's decoder: the strict request parser.
fn decode_request(frame: &[u8]) -> Option<Request> {
    sim::protocol::parse_request(frame).ok()
}

fn params(text: &str) {
    for (name, value) in sim::params::split_args(text) {
        assert!(sim::params::param_eq(&name, &name));
        for raw in 1..=9 {
            let ty = ParamType::from_raw(raw).expect("types 1..=9 exist");
            let _ = ty.name();
            if let Ok(v) = sim::params::parse_value(ty, value.as_deref(), 64) {
                let _ = sim::params::format_value(&v);
            }
        }
    }
}

fn request(req: &Request) {
    // What the daemon reads out of each operation.
    match &req.op {
        Op::Insert {
            path, params: p, ..
        } => {
            let _ = sim::sofile::fallback_name(std::path::Path::new(path));
            params(p);
        }
        Op::Remove { name, .. } => {
            let _ = sim::sofile::check_name(name);
        }
        Op::SetParam {
            module,
            param,
            value,
        } => {
            let _ = sim::sofile::check_name(module);
            params(&format!("{param}={value}"));
        }
        Op::Write { data, .. } => {
            if let Some(bytes) = sim::protocol::hex_decode(data) {
                assert_eq!(&sim::protocol::hex_encode(&bytes), &data.to_ascii_lowercase());
            }
        }
        Op::List | Op::Status | Op::Log { .. } | Op::Read { .. } => {}
    }
    // A request encodes and decodes to itself.
    let json = serde_json::to_vec(req).expect("a request encodes");
    let again = decode_request(&json).expect("an encoded request decodes");
    assert_eq!(
        serde_json::to_value(req).unwrap(),
        serde_json::to_value(&again).unwrap()
    );
    let mut framed = Vec::new();
    if write_frame(&mut framed, &json).is_ok() {
        let back = read_frame(&mut framed.as_slice()).expect("own frame reads back");
        assert_eq!(back.as_deref(), Some(json.as_slice()));
    }
}

fn frame(body: &[u8]) {
    assert!(body.len() <= MAX_FRAME);
    if let Some(req) = decode_request(body) {
        request(&req);
    }
    if let Ok(resp) = serde_json::from_slice::<Response>(body) {
        let json = serde_json::to_vec(&resp).expect("a response encodes");
        let again: Response = serde_json::from_slice(&json).expect("a response decodes");
        assert_eq!(
            serde_json::to_value(&resp).unwrap(),
            serde_json::to_value(&again).unwrap()
        );
    }
    if let Ok(msg) = serde_json::from_slice::<host::ToHost>(body) {
        if let host::Call::Load { params, .. } = &msg.call {
            let _ = params.len();
        }
        let _ = serde_json::to_vec(&msg);
    }
    if let Ok(msg) = serde_json::from_slice::<host::FromHost>(body) {
        let _ = serde_json::to_vec(&msg);
    }
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    let Some((&mode, stream)) = data.split_first() else {
        return;
    };
    let chunk = match mode % 9 {
        0 => usize::MAX,
        n => usize::from(n),
    };
    let mut reader = Trickle {
        data: stream,
        chunk,
        interrupt: false,
    };
    for _ in 0..MAX_FRAMES {
        match read_frame(&mut reader) {
            Ok(Some(body)) => frame(&body),
            Ok(None) => break,
            Err(FrameError::TooLarge(n)) => {
                assert!(n as usize > MAX_FRAME);
                break;
            }
            Err(FrameError::Io(_)) => break,
        }
    }
});

//! The client side of the sim kernel's socket, for the module tools: each
//! call is one request/response exchange on a kept connection; failures
//! carry the errno the real kernel would have given. A connection the
//! daemon refused or dropped gives the daemon's reason (its last frame),
//! never a bare `EPIPE`; one it closed for idling is reopened.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use nix::libc;

use crate::error::Error;
use crate::protocol::{
    read_frame, write_frame, FrameError, InsertFlags, LogPage, ModuleInfo, Op, Outcome, Reply,
    Request, Response, Status, PROTOCOL_VERSION,
};
use crate::util::lock;

/// A connection to a sim kernel. `Sync`: calls from several threads take
/// turns on the one connection.
#[derive(Debug)]
pub struct Client {
    stream: Mutex<UnixStream>,
    path: PathBuf,
}

fn unexpected() -> Error {
    Error::new(libc::EPROTO, "unexpected answer from the sim kernel")
}

/// Open a connection to the daemon at `path`.
fn dial(path: &Path) -> Result<UnixStream, Error> {
    UnixStream::connect(path).map_err(|e| {
        Error::new(
            e.raw_os_error().unwrap_or(libc::ECONNREFUSED),
            format!("cannot reach the sim kernel at {}: {e}", path.display()),
        )
    })
}

/// After a write failed: the daemon's reason for closing, if it left one
/// (a refusal, a deadline). It waits in the socket already when there is
/// one, so the wait is only a bound.
fn parting_words(s: &mut UnixStream) -> Option<Error> {
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let frame = read_frame(s).ok()??;
    match serde_json::from_slice::<Response>(&frame).ok()?.result {
        Outcome::Error(e) => Some(e),
        Outcome::Ok(_) => None,
    }
}

impl Client {
    /// Connect to the daemon at `socket`.
    pub fn connect(socket: impl AsRef<Path>) -> Result<Client, Error> {
        let path = socket.as_ref().to_path_buf();
        let stream = dial(&path)?;
        Ok(Client {
            stream: Mutex::new(stream),
            path,
        })
    }

    fn closed(&self) -> Error {
        Error::new(
            libc::ECONNRESET,
            format!(
                "the sim kernel at {} closed the connection",
                self.path.display()
            ),
        )
    }

    /// The socket this client talks to.
    pub fn socket_path(&self) -> &Path {
        &self.path
    }

    /// Give up on an answer after `timeout` (`None`: wait forever, the
    /// default; a load takes up to the daemon's init timeout).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), Error> {
        lock(&self.stream).set_read_timeout(timeout)?;
        Ok(())
    }

    /// Send `body` again on a new connection in place of `s`.
    fn redial(
        &self,
        s: &mut UnixStream,
        timeout: Option<Duration>,
        body: &[u8],
    ) -> Result<(), Error> {
        *s = dial(&self.path)?;
        s.set_read_timeout(timeout)?;
        if write_frame(&mut *s, body).is_err() {
            return Err(parting_words(s).unwrap_or_else(|| self.closed()));
        }
        Ok(())
    }

    /// Send one request, return its reply.
    pub fn request(&self, op: Op) -> Result<Reply, Error> {
        let body = serde_json::to_vec(&Request {
            version: PROTOCOL_VERSION,
            op,
        })
        .map_err(|e| Error::new(libc::EINVAL, e.to_string()))?;
        let mut s = lock(&self.stream);
        let timeout = s.read_timeout().unwrap_or(None);
        let mut redialed = false;
        if let Err(e) = write_frame(&mut *s, &body) {
            // Anything but a connection the daemon closed fails here.
            if !matches!(e.raw_os_error(), Some(libc::EPIPE | libc::ECONNRESET)) {
                return Err(e.into());
            }
            if let Some(reason) = parting_words(&mut s) {
                return Err(reason);
            }
            // Closed without a word: the daemon dropped it for idling, and
            // has not seen this request. Once more on a new connection.
            self.redial(&mut s, timeout, &body)?;
            redialed = true;
        }
        let frame = loop {
            match read_frame(&mut *s) {
                Ok(Some(f)) => break f,
                Ok(None) => return Err(self.closed()),
                // The daemon closed the connection for idling as the request
                // went out, without reading it: a Unix socket closed with
                // unread data resets its peer, one that read it all (and
                // then failed) ends in EOF. So it has not seen the request.
                Err(FrameError::Io(e))
                    if e.kind() == io::ErrorKind::ConnectionReset && !redialed =>
                {
                    self.redial(&mut s, timeout, &body)?;
                    redialed = true;
                }
                Err(FrameError::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof
                    ) =>
                {
                    return Err(self.closed())
                }
                Err(FrameError::Io(e)) => return Err(e.into()),
                Err(e) => return Err(Error::new(libc::EPROTO, e.to_string())),
            }
        };
        let resp: Response =
            serde_json::from_slice(&frame).map_err(|e| Error::new(libc::EPROTO, e.to_string()))?;
        match resp.result {
            Outcome::Ok(r) => Ok(r),
            Outcome::Error(e) => Err(e),
        }
    }

    /// Load the module file at `path` with the kernel-style parameter
    /// string `params` (`"msg=hi io=3"`). Returns the module's name.
    pub fn insert(&self, path: &Path, params: &str, flags: InsertFlags) -> Result<String, Error> {
        let abs = path.canonicalize().map_err(|e| {
            Error::new(
                e.raw_os_error().unwrap_or(libc::ENOENT),
                format!("{}: {e}", path.display()),
            )
        })?;
        let path = abs
            .to_str()
            .ok_or_else(|| {
                Error::new(
                    libc::EINVAL,
                    format!("{}: path is not UTF-8", abs.display()),
                )
            })?
            .to_string();
        match self.request(Op::Insert {
            path,
            params: params.to_string(),
            flags,
        })? {
            Reply::Inserted { name } => Ok(name),
            _ => Err(unexpected()),
        }
    }

    /// Unload module `name`; `force` takes out a module without an exit
    /// function (it does not override holders, as in the kernel).
    pub fn remove(&self, name: &str, force: bool) -> Result<(), Error> {
        match self.request(Op::Remove {
            name: name.to_string(),
            force,
        })? {
            Reply::Removed { .. } => Ok(()),
            _ => Err(unexpected()),
        }
    }

    /// Set `param` of `module` to `value` (as a sysfs write would).
    pub fn set_param(&self, module: &str, param: &str, value: &str) -> Result<(), Error> {
        match self.request(Op::SetParam {
            module: module.to_string(),
            param: param.to_string(),
            value: value.to_string(),
        })? {
            Reply::ParamSet => Ok(()),
            _ => Err(unexpected()),
        }
    }

    /// The loaded modules, newest first (the order of `/proc/modules`).
    pub fn list(&self) -> Result<Vec<ModuleInfo>, Error> {
        match self.request(Op::List)? {
            Reply::Modules { modules } => Ok(modules),
            _ => Err(unexpected()),
        }
    }

    /// The daemon's state.
    pub fn status(&self) -> Result<Status, Error> {
        match self.request(Op::Status)? {
            Reply::Status(s) => Ok(s),
            _ => Err(unexpected()),
        }
    }

    /// A module's file (its path in a real kernel: `/proc/helloworld`,
    /// `/sys/module/khello/parameters/io`), read to its end by the
    /// module's own operations.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        match self.request(Op::Read {
            path: path.to_string(),
        })? {
            Reply::File { data } => crate::protocol::hex_decode(&data).ok_or_else(unexpected),
            _ => Err(unexpected()),
        }
    }

    /// One write of exactly `data` to a module's file.
    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), Error> {
        match self.request(Op::Write {
            path: path.to_string(),
            data: crate::protocol::hex_encode(data),
        })? {
            Reply::Written => Ok(()),
            _ => Err(unexpected()),
        }
    }

    /// Log entries from sequence number `since` (0: the oldest kept).
    pub fn log(&self, since: u64) -> Result<LogPage, Error> {
        match self.request(Op::Log { since, max: None })? {
            Reply::Log(p) => Ok(p),
            _ => Err(unexpected()),
        }
    }
}

//! How tools talk: standard output written as raw bytes (module data need
//! not be UTF-8) and buffered as kmod's C stdio buffers it, and kmod-style
//! messages on standard error, unbuffered: where stdout and stderr share a
//! terminal, pipe or file, lines fall in kmod's order (on a terminal
//! line by line; else stdout in blocks, the messages before them).

use std::io::{self, Write};

/// A tool's output channels.
pub struct Output {
    prog: String,
    out: CStdout,
    syslog: bool,
}

impl Output {
    pub fn new(prog: &str) -> Output {
        Output {
            prog: prog.to_string(),
            out: CStdout::new(),
            syslog: false,
        }
    }

    /// Send messages to syslog instead of standard error (`-s`).
    pub fn with_syslog(mut self, on: bool) -> Output {
        self.syslog = on;
        self
    }

    /// The program name messages carry.
    pub fn prog(&self) -> &str {
        &self.prog
    }

    /// Append bytes to standard output.
    pub fn bytes(&mut self, b: &[u8]) {
        // A closed stdout (EPIPE) must not panic; kmod's printf ignores it too.
        let _ = self.out.write_all(b);
    }

    /// Append text to standard output.
    pub fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// `prog: ERROR: msg` on standard error.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// [`error`](Self::error) for a message quoting bytes that need not be
    /// UTF-8 (names, paths, configuration): printed as they are, as kmod
    /// prints them.
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.message(nix_level::ERR, &[b"ERROR: ", msg].concat());
    }

    /// `prog: FATAL: msg`.
    pub fn fatal(&mut self, msg: &str) {
        self.message(nix_level::CRIT, format!("FATAL: {msg}").as_bytes());
    }

    /// `prog: WARNING: msg`.
    pub fn warning(&mut self, msg: &str) {
        self.message(nix_level::WARNING, format!("WARNING: {msg}").as_bytes());
    }

    /// `prog: INFO: msg` (verbose output).
    pub fn info(&mut self, msg: &str) {
        self.message(nix_level::INFO, format!("INFO: {msg}").as_bytes());
    }

    /// `hint: msg`: rkmod's explanation after a kmod error line.
    pub fn hint(&mut self, msg: &str) {
        if self.syslog {
            syslog(nix_level::ERR, format!("hint: {msg}").as_bytes());
        } else {
            eprintln!("hint: {msg}");
        }
    }

    fn message(&mut self, level: i32, text: &[u8]) {
        let line = [self.prog.as_bytes(), b": ", text].concat();
        if self.syslog {
            syslog(level, &line);
        } else {
            let mut err = io::stderr().lock();
            let _ = err.write_all(&line);
            let _ = err.write_all(b"\n");
        }
    }

    /// Write out what standard output holds so far.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Flush standard output.
    pub fn finish(mut self) {
        let _ = self.out.flush();
    }
}

/// syslog priorities (`<sys/syslog.h>`).
mod nix_level {
    pub const CRIT: i32 = 2;
    pub const ERR: i32 = 3;
    pub const WARNING: i32 = 4;
    pub const INFO: i32 = 6;
}

/// One message to the system log through `/dev/log`, as `syslog(3)` sends
/// it; when there is no log socket the message goes to standard error.
fn syslog(priority: i32, msg: &[u8]) {
    use std::os::unix::net::UnixDatagram;
    const LOG_DAEMON: i32 = 3 << 3;
    let line = [format!("<{}>", LOG_DAEMON | priority).as_bytes(), msg].concat();
    let sent = UnixDatagram::unbound()
        .and_then(|s| s.send_to(&line, "/dev/log"))
        .is_ok();
    if !sent {
        let mut err = io::stderr().lock();
        let _ = err.write_all(msg);
        let _ = err.write_all(b"\n");
    }
}

/// Standard output buffered as C's stdio buffers it, so that what goes to
/// standard error in between lands where it does with kmod when both
/// share a pipe or file: a terminal is flushed line by line, anything else
/// in blocks of its `st_blksize` (glibc's rule), counted from the start.
pub(crate) struct CStdout {
    buf: Vec<u8>,
    /// None: line buffered.
    block: Option<usize>,
}

impl CStdout {
    pub(crate) fn new() -> CStdout {
        let block = if nix::unistd::isatty(1).unwrap_or(false) {
            None
        } else {
            let size = nix::sys::stat::fstat(1)
                .map(|st| st.st_blksize as usize)
                .unwrap_or(0);
            Some(if size > 0 { size } else { 8192 })
        };
        CStdout {
            buf: Vec::new(),
            block,
        }
    }

    fn emit(&mut self, n: usize) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&self.buf[..n]);
        let _ = out.flush();
        self.buf.drain(..n);
    }
}

impl Write for CStdout {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        match self.block {
            Some(block) => {
                while self.buf.len() >= block {
                    self.emit(block);
                }
            }
            None => {
                if data.contains(&b'\n') {
                    self.emit(self.buf.len());
                }
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let n = self.buf.len();
        if n > 0 {
            self.emit(n);
        }
        Ok(())
    }
}

impl Drop for CStdout {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

//! How tools talk: buffered standard output written as raw bytes (module
//! data need not be UTF-8), and kmod-style messages on standard error.

use std::io::{self, BufWriter, StdoutLock, Write};

/// A tool's output channels.
pub struct Output {
    prog: String,
    out: BufWriter<StdoutLock<'static>>,
}

impl Output {
    pub fn new(prog: &str) -> Output {
        Output {
            prog: prog.to_string(),
            out: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        }
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

    /// `prog: ERROR: msg` on standard error, after what stdout has so far.
    pub fn error(&mut self, msg: &str) {
        let _ = self.out.flush();
        eprintln!("{}: ERROR: {}", self.prog, msg);
    }

    /// Flush standard output.
    pub fn finish(mut self) {
        let _ = self.out.flush();
    }
}

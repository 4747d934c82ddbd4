//! Where depmod's messages go. The library never prints: it hands each
//! message, in kmod's order, to a [`Reporter`] the caller provides.

pub use modconf::{Diagnostic, Level};

/// Receives depmod's messages as they happen.
pub trait Reporter {
    /// A log message (`ERROR:`, `WARNING:`, ...), text with its newline.
    fn diag(&mut self, d: Diagnostic);

    /// A `-v` progress line, which kmod prints on standard output.
    fn verbose(&mut self, _text: &[u8]) {}

    /// Whether [`Reporter::verbose`] lines are wanted at all (they are
    /// costly to format for every dependency).
    fn wants_verbose(&self) -> bool {
        false
    }

    /// From here on, keep what is printed, as it is printed, for the
    /// record of this run that the next may replay ([`crate::replay`]).
    /// A reporter that prints nothing keeps nothing.
    fn start_transcript(&mut self) {}

    /// What was printed since [`start_transcript`](Self::start_transcript),
    /// in order.
    fn take_transcript(&mut self) -> Vec<(crate::replay::Stream, Vec<u8>)> {
        Vec::new()
    }
}

/// A reporter that keeps everything, for tests and for callers that print
/// later.
#[derive(Debug, Default, Clone)]
pub struct Collect {
    pub diags: Vec<Diagnostic>,
    pub verbose: Vec<u8>,
    pub want_verbose: bool,
}

impl Reporter for Collect {
    fn diag(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn verbose(&mut self, text: &[u8]) {
        self.verbose.extend_from_slice(text);
    }

    fn wants_verbose(&self) -> bool {
        self.want_verbose
    }
}

/// A diagnostic made of byte pieces (paths and names as they are, not
/// made UTF-8).
pub(crate) fn bytes_diag(level: Level, pieces: &[&[u8]]) -> Diagnostic {
    Diagnostic::new(level, pieces.concat())
}

/// Shorthand for building a diagnostic from a format string.
macro_rules! diag {
    ($log:expr, $level:ident, $($arg:tt)*) => {
        $crate::report::Reporter::diag(
            $log,
            $crate::report::Diagnostic::new($crate::report::Level::$level, format!($($arg)*)),
        )
    };
}
pub(crate) use diag;

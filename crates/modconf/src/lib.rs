//! Configuration of the module tools, read as kmod reads it.
//!
//! * [`depmod_d`]: `depmod.d` — where depmod searches for modules and which
//!   copy of a module wins (`search`, `override`, `external`, `exclude`).
//! * [`modprobe_d`]: `modprobe.d` — aliases, options, install/remove
//!   commands, blacklists, soft and weak dependencies; `modprobe -c` output.
//! * [`kcmdline`]: module options and blacklists on the kernel command line.
//!
//! Reading never fails as a whole: kmod reports a bad line or an unreadable
//! file and goes on, so the loaders return what they understood together
//! with the [`Diagnostic`]s kmod would print, in the order it prints them.

pub mod depmod_d;
mod files;
pub mod kcmdline;
mod line;
pub mod modprobe_d;

pub use depmod_d::{DepmodConfig, Override, Search};
pub use files::{config_files, ConfigFile};
pub use files::{join_bytes, libkmod_config_files};
pub use kcmdline::{CmdlineSource, KernelCmdline};
pub use modprobe_d::{
    Alias, Command, Features, ModprobeConfig, Options, SoftDep, SoftDepEntry, WeakDep, When,
};

/// How loud a diagnostic is, with kmod's log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `FATAL:` — kmod stops right after printing it.
    Fatal,
    /// `ERROR:`
    Error,
    /// `WARNING:`
    Warning,
    /// `INFO:` — shown from `-vv` on.
    Info,
    /// `DEBUG:` — shown from `-vvv` on.
    Debug,
}

impl Level {
    /// The word kmod prints for this level ("ERROR").
    pub fn label(self) -> &'static str {
        match self {
            Level::Fatal => "FATAL",
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }

    /// syslog priority of the level (kmod compares these against its
    /// verbosity).
    pub fn priority(self) -> u8 {
        match self {
            Level::Fatal => 2,
            Level::Error => 3,
            Level::Warning => 4,
            Level::Info => 6,
            Level::Debug => 7,
        }
    }
}

/// One message kmod would log. `text` carries kmod's own trailing newline
/// (most messages have exactly one, a few quote input that has its own).
/// It is bytes, not a `String`: kmod prints the names and paths it quotes
/// as they are, invalid UTF-8 included, and so must we.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub text: Vec<u8>,
    /// The libkmod function that logs it: libkmod's log lines name it
    /// (`libkmod: ERROR: kcmdline_parse_result: ...`).
    pub reporter: &'static str,
}

impl Diagnostic {
    /// A message of configuration parsing (libkmod's `kmod_config_parse`).
    pub fn new(level: Level, text: impl Into<Vec<u8>>) -> Diagnostic {
        Diagnostic {
            level,
            text: text.into(),
            reporter: "kmod_config_parse",
        }
    }

    /// The same message, logged by libkmod's function `reporter`.
    pub fn reported_by(mut self, reporter: &'static str) -> Diagnostic {
        self.reporter = reporter;
        self
    }

    /// The text for display where bytes cannot go (tests, JSON): invalid
    /// UTF-8 shown as U+FFFD.
    pub fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

/// `strerror` text of an I/O error, without Rust's " (os error N)" suffix,
/// so messages read as kmod's `%m`.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => errno_text(code),
        None => e.to_string(),
    }
}

/// `strerror(code)` for a positive errno.
pub fn errno_text(code: i32) -> String {
    let s = std::io::Error::from_raw_os_error(code).to_string();
    match s.rfind(" (os error ") {
        Some(at) => s[..at].to_string(),
        None => s,
    }
}

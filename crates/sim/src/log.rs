//! The sim kernel's log, like the kernel's ring buffer: entries stamped
//! with the time since the sim kernel started, kept in memory (the last
//! [`RING`]) for clients and appended to the `log` file in dmesg's format.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::protocol::{LogEntry, LogPage};
use crate::util::{lock, mono_ns};

/// Entries kept in memory.
pub const RING: usize = 4096;
/// When the file passes this size it is moved to `log.old`.
const ROTATE_BYTES: u64 = 32 << 20;
/// The longest line kept (longer ones are cut).
const MAX_LINE: usize = 4096;

pub(crate) struct Log {
    boot_ns: u64,
    echo: bool,
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    file: Option<File>,
    written: u64,
    ring: VecDeque<LogEntry>,
    next: u64,
}

impl Log {
    /// A fresh log at `path` (truncated, as a boot starts a new one);
    /// `echo` also copies each line to stderr.
    pub fn create(path: &Path, echo: bool) -> std::io::Result<Log> {
        let file = File::create(path)?;
        Ok(Log {
            boot_ns: mono_ns(),
            echo,
            path: path.to_path_buf(),
            inner: Mutex::new(Inner {
                file: Some(file),
                written: 0,
                ring: VecDeque::new(),
                next: 0,
            }),
        })
    }

    /// Log `text` at `KERN_INFO` now.
    pub fn info(&self, text: &str) {
        self.push_at(mono_ns(), sim_module::abi::level::INFO, text);
    }

    /// Log `text` at `level` now.
    pub fn push(&self, level: i32, text: &str) {
        self.push_at(mono_ns(), level, text);
    }

    /// Log `text` (one entry per line) stamped `mono_ns`.
    pub fn push_at(&self, mono_ns: u64, level: i32, text: &str) {
        let usec = mono_ns.saturating_sub(self.boot_ns) / 1000;
        let mut inner = lock(&self.inner);
        for line in text.lines() {
            let mut line = line.to_string();
            if line.len() > MAX_LINE {
                let mut cut = MAX_LINE;
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.truncate(cut);
            }
            let entry = LogEntry {
                seq: inner.next,
                usec,
                level: level.clamp(0, 7),
                text: line,
            };
            inner.next += 1;
            let formatted = entry.format() + "\n";
            if self.echo {
                eprint!("{formatted}");
            }
            self.write_file(&mut inner, formatted.as_bytes());
            if inner.ring.len() == RING {
                inner.ring.pop_front();
            }
            inner.ring.push_back(entry);
        }
    }

    fn write_file(&self, inner: &mut Inner, bytes: &[u8]) {
        if inner.written > ROTATE_BYTES {
            inner.file = None;
            let _ = std::fs::rename(&self.path, self.path.with_extension("old"));
            inner.file = File::create(&self.path).ok();
            inner.written = 0;
        }
        if let Some(f) = inner.file.as_mut() {
            // A full disk must not stop the sim kernel: the ring still has it.
            if f.write_all(bytes).is_ok() {
                inner.written += bytes.len() as u64;
            }
        }
    }

    /// Entries from sequence number `since`, at most `max`.
    pub fn page(&self, since: u64, max: usize) -> LogPage {
        let inner = lock(&self.inner);
        let entries: Vec<LogEntry> = inner
            .ring
            .iter()
            .filter(|e| e.seq >= since)
            .take(max)
            .cloned()
            .collect();
        let next = entries
            .last()
            .map_or(inner.next.max(since).min(inner.next), |e| e.seq + 1);
        LogPage { entries, next }
    }

    /// The sequence number of the next entry.
    pub fn next_seq(&self) -> u64 {
        lock(&self.inner).next
    }
}

//! Crash reports from a dying host process. A handler for the fatal
//! signals writes one line to stderr (a pipe the daemon reads) naming the
//! signal, the faulting address, the calling thread and the module that
//! thread belongs to, then lets the signal kill the process as it would
//! have. The daemon pairs the line with the exit status to say which module
//! crashed and how.

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use nix::libc;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

/// The marker that starts a crash line on the host's stderr.
pub const CRASH_MARK: &str = "\u{1b}RKMOD-SIM-CRASH ";

thread_local! {
    /// The module the current thread runs code of (0: none / unknown):
    /// set around every call into a module and in its kthreads.
    static THREAD_MODULE: Cell<u32> = const { Cell::new(0) };
}

/// Mark the current thread as running module `id`'s code (0 to clear).
pub fn set_thread_module(id: u32) {
    THREAD_MODULE.with(|c| c.set(id));
}

/// The module the current thread runs code of (0: none).
pub fn thread_module() -> u32 {
    THREAD_MODULE.with(Cell::get)
}

/// Code ranges of `.ko` modules: a fault whose instruction lies in one is
/// that module's, whichever thread ran it (a timer, a workqueue worker).
/// Fixed slots of atomics, so the signal handler reads them safely.
const RANGES: usize = 256;
#[allow(clippy::declare_interior_mutable_const)]
const SLOT: Range = Range {
    start: AtomicU64::new(0),
    end: AtomicU64::new(0),
    id: AtomicU32::new(0),
};
struct Range {
    start: AtomicU64,
    end: AtomicU64,
    id: AtomicU32,
}
static CODE: [Range; RANGES] = [SLOT; RANGES];

/// Module `id`'s image spans `[start, end)`.
pub fn register_code(id: u32, start: u64, end: u64) {
    for r in &CODE {
        if r.id
            .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            r.start.store(start, Ordering::Release);
            r.end.store(end, Ordering::Release);
            return;
        }
    }
}

/// Module `id` is gone.
pub fn unregister_code(id: u32) {
    for r in &CODE {
        if r.id.load(Ordering::Acquire) == id {
            r.end.store(0, Ordering::Release);
            r.start.store(0, Ordering::Release);
            r.id.store(0, Ordering::Release);
        }
    }
}

fn code_owner(ip: u64) -> u32 {
    for r in &CODE {
        let id = r.id.load(Ordering::Acquire);
        if id != 0 && ip >= r.start.load(Ordering::Acquire) && ip < r.end.load(Ordering::Acquire) {
            return id;
        }
    }
    0
}

const FATAL: [Signal; 6] = [
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGILL,
    Signal::SIGFPE,
    Signal::SIGABRT,
    Signal::SIGSYS,
];

/// Install the crash handler for the fatal signals.
pub fn install() -> nix::Result<()> {
    // SA_RESETHAND: the handler runs once, then the default action (death)
    // applies; SA_ONSTACK: use the alternate stack where the thread has one
    // (a stack overflow still gets reported on Rust threads).
    let action = SigAction::new(
        SigHandler::SigAction(on_fatal),
        SaFlags::SA_SIGINFO | SaFlags::SA_RESETHAND | SaFlags::SA_ONSTACK,
        SigSet::empty(),
    );
    for sig in FATAL {
        // SAFETY: the handler only reads a const-initialised thread-local,
        // formats into a stack buffer and calls async-signal-safe functions
        // (prctl, write, raise).
        unsafe { sigaction(sig, &action) }?;
    }
    Ok(())
}

/// A fixed buffer to format into without allocating.
struct StackBuf {
    buf: [u8; 256],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

extern "C" fn on_fatal(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let ip = if ctx.is_null() {
        0
    } else {
        // SAFETY: an SA_SIGINFO handler's third argument is its ucontext.
        unsafe { instruction_pointer(&*(ctx as *const libc::ucontext_t)) }
    };
    let module = match code_owner(ip) {
        0 => THREAD_MODULE.try_with(Cell::get).unwrap_or(0),
        id => id,
    };
    let fault = matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE
    );
    let addr = if fault && !info.is_null() {
        // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers;
        // si_addr is meaningful for these signals.
        unsafe { (*info).si_addr() as usize }
    } else {
        0
    };
    let mut name = [0u8; 17];
    // SAFETY: PR_GET_NAME writes at most 16 bytes into the buffer.
    unsafe { libc::prctl(libc::PR_GET_NAME, name.as_mut_ptr()) };
    let end = name.iter().position(|&b| b == 0).unwrap_or(16);
    let thread = std::str::from_utf8(&name[..end]).unwrap_or("?");
    let mut out = StackBuf {
        buf: [0; 256],
        len: 0,
    };
    let _ = writeln!(
        out,
        "{CRASH_MARK}sig={sig} module={module} fault={} addr={addr:#x} thread={thread}",
        u8::from(fault)
    );
    // SAFETY: write(2) and raise(3) are async-signal-safe; the buffer is valid.
    unsafe {
        libc::write(2, out.buf.as_ptr().cast(), out.len);
        // The default action is back (SA_RESETHAND). A fault re-executes and
        // kills on return; a signal sent with kill() would not, so raise it:
        // it stays pending until this handler returns, then kills.
        libc::raise(sig);
    }
}

#[cfg(target_arch = "x86_64")]
fn instruction_pointer(uc: &libc::ucontext_t) -> u64 {
    uc.uc_mcontext.gregs[libc::REG_RIP as usize] as u64
}

#[cfg(not(target_arch = "x86_64"))]
fn instruction_pointer(_: &libc::ucontext_t) -> u64 {
    0
}

/// A parsed crash line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashRecord {
    pub signal: i32,
    /// 0 when the crashing thread was not a module's.
    pub module: u32,
    /// The faulting address, for SIGSEGV/SIGBUS/SIGILL/SIGFPE.
    pub addr: Option<u64>,
    pub thread: String,
}

impl CrashRecord {
    /// Parse a line from the host's stderr (without the newline).
    pub fn parse(line: &str) -> Option<CrashRecord> {
        let rest = line.strip_prefix(CRASH_MARK)?;
        let mut rec = CrashRecord {
            signal: 0,
            module: 0,
            addr: None,
            thread: String::new(),
        };
        let mut fault = false;
        let mut addr = 0;
        for (i, word) in rest.splitn(5, ' ').enumerate() {
            let (key, value) = word.split_once('=')?;
            match (i, key) {
                (0, "sig") => rec.signal = value.parse().ok()?,
                (1, "module") => rec.module = value.parse().ok()?,
                (2, "fault") => fault = value == "1",
                (3, "addr") => {
                    addr = u64::from_str_radix(value.trim_start_matches("0x"), 16).ok()?
                }
                (4, "thread") => rec.thread = value.to_string(),
                _ => return None,
            }
        }
        rec.addr = fault.then_some(addr);
        Some(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_lines_parse() {
        let line = format!("{CRASH_MARK}sig=11 module=3 fault=1 addr=0x0 thread=crasher");
        assert_eq!(
            CrashRecord::parse(&line),
            Some(CrashRecord {
                signal: 11,
                module: 3,
                addr: Some(0),
                thread: "crasher".into()
            })
        );
        let line = format!("{CRASH_MARK}sig=6 module=0 fault=0 addr=0x0 thread=a b");
        assert_eq!(CrashRecord::parse(&line).unwrap().thread, "a b");
        assert!(CrashRecord::parse("sig=11").is_none());
    }
}

//! The module side of the run-time interface: the init arguments this
//! module was given and safe wrappers over them.

use std::ffi::{c_int, c_void, CString};
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::abi::InitArgs;

/// The arguments of `module_init`, valid until `module_fini` returns. Each
/// module (cdylib) has its own copy of this static.
static ARGS: AtomicPtr<InitArgs> = AtomicPtr::new(std::ptr::null_mut());

const EINVAL: i32 = 22;

#[doc(hidden)]
/// # Safety
/// `args` must stay valid until the module is unloaded.
pub unsafe fn __set_args(args: *const InitArgs) {
    ARGS.store(args as *mut InitArgs, Ordering::Release);
}

fn args() -> Option<&'static InitArgs> {
    let p = ARGS.load(Ordering::Acquire);
    // SAFETY: set from module_init's argument, which the sim kernel keeps
    // valid for the module's lifetime.
    unsafe { p.as_ref() }
}

#[doc(hidden)]
pub fn __init_result(r: Result<(), i32>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => -e.abs(),
    }
}

#[doc(hidden)]
pub const fn __bytes<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = b[i];
        i += 1;
    }
    out
}

/// Append `msg` to the sim kernel's log at `level` (see
/// [`crate::abi::level`]); before `module_init` it goes to stderr.
pub fn log(level: i32, msg: &str) {
    let text = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
    match args() {
        // SAFETY: the function pointer and user_data come from the sim kernel.
        Some(a) => unsafe { (a.log)(a.user_data, level, text.as_ptr()) },
        None => eprintln!("{msg}"),
    }
}

/// The sim kernel's monotonic clock, in nanoseconds.
pub fn clock_ns() -> u64 {
    match args() {
        Some(a) => (a.clock_ns)(),
        None => 0,
    }
}

type Body = Box<dyn FnOnce() + Send + 'static>;

unsafe extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the Box<Body> leaked by kthread_run, handed over once.
    let body = unsafe { Box::from_raw(arg as *mut Body) };
    body();
    0
}

/// Start a kernel-style thread named `name`. The sim kernel asks it to stop
/// ([`kthread_should_stop`] turns true, [`msleep`] returns early) and joins
/// it before `module_fini` runs. Errors are positive errnos.
pub fn kthread_run<F: FnOnce() + Send + 'static>(name: &str, f: F) -> Result<(), i32> {
    let a = args().ok_or(EINVAL)?;
    let name = CString::new(name).map_err(|_| EINVAL)?;
    let body: Box<Body> = Box::new(Box::new(f));
    let raw = Box::into_raw(body) as *mut c_void;
    // SAFETY: the host calls `trampoline(raw)` exactly once on success and
    // never on failure (ABI contract), so ownership of `raw` is clear.
    let rc = unsafe { (a.thread_run)(a.user_data, trampoline, raw, name.as_ptr()) };
    if rc != 0 {
        // SAFETY: on failure the host did not take `raw`.
        drop(unsafe { Box::from_raw(raw as *mut Body) });
        return Err(-rc);
    }
    Ok(())
}

/// True once the calling kthread has been asked to stop.
pub fn kthread_should_stop() -> bool {
    args().is_some_and(|a| (a.thread_should_stop)() != 0)
}

/// Sleep `ms` milliseconds; true when cut short by a stop request.
pub fn msleep(ms: u32) -> bool {
    match args() {
        Some(a) => (a.msleep)(ms) != 0,
        None => {
            std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
            false
        }
    }
}

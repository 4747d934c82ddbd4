//! Kernel-style threads for modules (`kthread_run` / `kthread_stop`): the
//! host starts them, and stops and joins them before the module's
//! `module_fini`, so no thread of a module outlives its code.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sim_module::abi::ThreadFn;

use super::crash::set_thread_module;
use super::ModuleCtx;
use crate::util::lock;

/// A stop request and the condition variable `msleep` waits on.
#[derive(Default)]
pub(crate) struct Stop {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl Stop {
    fn request(&self) {
        *lock(&self.stopped) = true;
        self.cv.notify_all();
    }

    fn is_set(&self) -> bool {
        *lock(&self.stopped)
    }
}

/// One running kthread.
pub(crate) struct KThread {
    pub name: String,
    stop: Arc<Stop>,
    handle: JoinHandle<()>,
}

thread_local! {
    static CURRENT_STOP: RefCell<Option<Arc<Stop>>> = const { RefCell::new(None) };
}

/// A raw pointer handed to another thread; the module vouches for it.
struct SendPtr(*mut c_void);
// SAFETY: the pointer is the module's `arg`, which it gives to its thread
// knowing it will be used there (as with pthread_create).
unsafe impl Send for SendPtr {}

/// `thread_run` of the init arguments.
pub(crate) unsafe extern "C" fn thread_run(
    user_data: *mut c_void,
    f: ThreadFn,
    arg: *mut c_void,
    name: *const c_char,
) -> c_int {
    // SAFETY: user_data is the ModuleCtx the host passed in the init args;
    // it lives until after the module's threads are joined.
    let Some(ctx) = (unsafe { (user_data as *const ModuleCtx).as_ref() }) else {
        return -nix::libc::EINVAL;
    };
    let name = if name.is_null() {
        ctx.name.clone()
    } else {
        // SAFETY: a NUL-terminated string from the module.
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    };
    // Thread names are limited to 15 bytes by the kernel.
    let mut short = name.clone();
    while short.len() > 15 {
        short.pop();
    }
    let stop = Arc::new(Stop::default());
    let thread_stop = Arc::clone(&stop);
    let arg = SendPtr(arg);
    let id = ctx.id;
    let module = ctx.name.clone();
    let spawned = std::thread::Builder::new().name(short).spawn(move || {
        let arg = arg;
        set_thread_module(id);
        CURRENT_STOP.with(|s| *s.borrow_mut() = Some(thread_stop));
        // SAFETY: the module's thread function with the argument it chose.
        let rc = unsafe { f(arg.0) };
        if rc != 0 {
            super::log(
                sim_module::abi::level::INFO,
                &format!("{module}: kthread returned {rc}"),
            );
        }
    });
    match spawned {
        Ok(handle) => {
            lock(&ctx.threads).push(KThread { name, stop, handle });
            0
        }
        Err(_) => -nix::libc::EAGAIN,
    }
}

/// `thread_should_stop` of the init arguments.
pub(crate) extern "C" fn thread_should_stop() -> c_int {
    CURRENT_STOP.with(|s| s.borrow().as_ref().is_some_and(|s| s.is_set())) as c_int
}

/// `msleep` of the init arguments: wakes early when the calling kthread is
/// asked to stop.
pub(crate) extern "C" fn msleep(ms: u32) -> c_int {
    let timeout = Duration::from_millis(u64::from(ms));
    let Some(stop) = CURRENT_STOP.with(|s| s.borrow().clone()) else {
        std::thread::sleep(timeout);
        return 0;
    };
    let deadline = Instant::now() + timeout;
    let mut stopped = lock(&stop.stopped);
    while !*stopped {
        let now = Instant::now();
        if now >= deadline {
            return 0;
        }
        stopped = match stop.cv.wait_timeout(stopped, deadline - now) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        };
    }
    1
}

/// Ask every thread to stop and join them, waiting until `deadline`.
/// Returns the names of those still running then (left detached).
pub(crate) fn stop_and_join(threads: Vec<KThread>, deadline: Instant) -> Vec<String> {
    for t in &threads {
        t.stop.request();
    }
    let mut stuck = Vec::new();
    for t in threads {
        while !t.handle.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if t.handle.is_finished() {
            let _ = t.handle.join();
        } else {
            stuck.push(t.name);
        }
    }
    stuck
}

//! What the host provides to kapi (`struct kapi_host_ops` in `c/kapi.h`):
//! the log, memory, threads, the registry of files, symbolisation and the
//! way to die. These run on any thread that runs kernel code, called
//! through kapi's stack-aligning trampoline.

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::sync::{Mutex, OnceLock, RwLock};

use crate::percpu::PerCpu;

/// The ABI version of `struct kapi_host_ops` (KAPI_ABI_VERSION).
pub const ABI_VERSION: u32 = 1;

/// What the embedding host process does with kapi's output.
#[derive(Clone, Copy)]
pub struct Hooks {
    /// One finished log record: level (0..7), text, CLOCK_MONOTONIC time.
    pub log: fn(i32, &str, u64),
    /// A file appeared (true) or went away, by its path in a real kernel.
    pub node: fn(bool, &str),
    /// The module (the host's id) the calling thread runs code of.
    pub thread_tag: fn() -> u32,
    /// Mark the calling thread as running module `id`'s code.
    pub set_thread_tag: fn(u32),
}

#[repr(C)]
pub(crate) struct HostOps {
    abi_version: u32,
    size: u32,
    log: unsafe extern "C" fn(i64, *const u8, u64, u64),
    alloc: extern "C" fn(u64, u64) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void),
    thread_start: unsafe extern "C" fn(*mut c_void, *const c_char) -> i64,
    node: unsafe extern "C" fn(i64, *const c_char, *mut c_void),
    symbolize: unsafe extern "C" fn(u64, *mut u8, u64, i64) -> i64,
    fatal: unsafe extern "C" fn(*const c_char),
}

pub(crate) static OPS: HostOps = HostOps {
    abi_version: ABI_VERSION,
    size: std::mem::size_of::<HostOps>() as u32,
    log: op_log,
    alloc: op_alloc,
    free: op_free,
    thread_start: op_thread_start,
    node: op_node,
    symbolize: op_symbolize,
    fatal: op_fatal,
};

/// One loaded image, for symbolisation.
pub(crate) struct ModMap {
    /// `None` for kapi itself (the "kernel": no `[module]` suffix).
    pub module: Option<String>,
    pub start: u64,
    pub end: u64,
    /// Where its text ends: the size of its last function runs to here.
    pub text_end: u64,
    /// (address, name) of every symbol, by address; for one address, the
    /// first in the symbol table first (the one kallsyms names).
    pub symbols: Vec<(u64, String)>,
}

/// The two entry points a new thread needs.
#[derive(Clone, Copy)]
pub(crate) struct ThreadEntries {
    pub cpu_init: u64,
    pub thread_main: u64,
}

/// What the ops share with the runtime.
pub(crate) struct Shared {
    pub hooks: Hooks,
    pub percpu: PerCpu,
    pub maps: RwLock<Vec<ModMap>>,
    pub nodes: Mutex<HashMap<String, usize>>,
    pub entries: OnceLock<ThreadEntries>,
}

pub(crate) static SHARED: OnceLock<Shared> = OnceLock::new();

fn shared() -> Option<&'static Shared> {
    SHARED.get()
}

unsafe extern "C" fn op_log(level: i64, text: *const u8, len: u64, mono_ns: u64) {
    let (Some(s), false) = (shared(), text.is_null()) else {
        return;
    };
    // SAFETY: kapi passes its record buffer and the record's length.
    let bytes = unsafe { std::slice::from_raw_parts(text, len as usize) };
    (s.hooks.log)(level as i32, &String::from_utf8_lossy(bytes), mono_ns);
}

extern "C" fn op_alloc(size: u64, align: u64) -> *mut c_void {
    let mut p = std::ptr::null_mut();
    let align = align.max(16).next_power_of_two() as usize;
    // SAFETY: posix_memalign with a power-of-two alignment (>= pointer size).
    if unsafe { libc::posix_memalign(&mut p, align, size.max(1) as usize) } != 0 {
        return std::ptr::null_mut();
    }
    p
}

unsafe extern "C" fn op_free(p: *mut c_void) {
    // SAFETY: kapi frees only what op_alloc returned.
    unsafe { libc::free(p) }
}

/// A task pointer handed to its own thread.
struct Task(usize);

unsafe extern "C" fn op_thread_start(task: *mut c_void, name: *const c_char) -> i64 {
    let Some(s) = shared() else {
        return -i64::from(libc::ENOSYS);
    };
    let Some(entries) = s.entries.get().copied() else {
        return -i64::from(libc::ENOSYS);
    };
    let name = if name.is_null() {
        "kthread".to_string()
    } else {
        // SAFETY: the task's comm, NUL-terminated.
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    };
    let short: String = name.chars().take(15).collect();
    let tag = (s.hooks.thread_tag)();
    let task = Task(task as usize);
    let spawned = std::thread::Builder::new()
        .name(short)
        .stack_size(1 << 20)
        .spawn(move || {
            let task = task;
            let Some(s) = shared() else { return };
            let Some(gs) = s.percpu.attach() else {
                return;
            };
            (s.hooks.set_thread_tag)(tag);
            // SAFETY: kapi's entry points with their C signatures; %gs is set.
            unsafe {
                let init: extern "C" fn(u64, usize, *const c_char) =
                    std::mem::transmute(entries.cpu_init as usize);
                let main: extern "C" fn(usize) = std::mem::transmute(entries.thread_main as usize);
                init(gs as u64, task.0, std::ptr::null());
                main(task.0);
            }
            s.percpu.detach(gs);
        });
    match spawned {
        Ok(_) => 0,
        Err(_) => -i64::from(libc::ENOMEM),
    }
}

unsafe extern "C" fn op_node(add: i64, path: *const c_char, node: *mut c_void) {
    let (Some(s), false) = (shared(), path.is_null()) else {
        return;
    };
    // SAFETY: kapi passes the node's NUL-terminated path.
    let path = unsafe { CStr::from_ptr(path) }
        .to_string_lossy()
        .into_owned();
    {
        let mut nodes = s.nodes.lock().unwrap_or_else(|e| e.into_inner());
        if add != 0 {
            nodes.insert(path.clone(), node as usize);
        } else {
            nodes.remove(&path);
        }
    }
    (s.hooks.node)(add != 0, &path);
}

const NO_OFFSET: i64 = 1;
const BACKTRACE: i64 = 2;

/// The text of `%pS`, `%ps` or `%pB` for `addr`.
pub(crate) fn symbolize(addr: u64, mode: i64) -> Option<String> {
    let s = shared()?;
    let maps = s.maps.read().unwrap_or_else(|e| e.into_inner());
    let look = if mode == BACKTRACE {
        addr.wrapping_sub(1)
    } else {
        addr
    };
    let m = maps.iter().find(|m| look >= m.start && look < m.end)?;
    // kallsyms' answer: the closest symbol at or below, its size the
    // distance to the next symbol above (else to the end of the text)
    let after = m.symbols.partition_point(|(a, _)| *a <= look);
    let best = m.symbols[..after].last()?.0;
    let first = m.symbols.partition_point(|(a, _)| *a < best);
    let (start, name) = &m.symbols[first];
    let next = m
        .symbols
        .get(after)
        .map_or(m.text_end.max(look + 1), |n| n.0);
    let size = next - start;
    let offset = addr - start;
    let mut out = if mode == NO_OFFSET {
        name.clone()
    } else {
        format!("{name}+{offset:#x}/{size:#x}")
    };
    if let Some(module) = &m.module {
        out.push_str(&format!(" [{module}]"));
    }
    Some(out)
}

unsafe extern "C" fn op_symbolize(addr: u64, buf: *mut u8, len: u64, mode: i64) -> i64 {
    let Some(text) = symbolize(addr, mode) else {
        return 0;
    };
    if buf.is_null() || len == 0 {
        return 0;
    }
    let n = text.len().min(len as usize - 1);
    // SAFETY: kapi passes a buffer of `len` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf, n);
        *buf.add(n) = 0;
    }
    n as i64
}

/// kapi has logged why (a panic, a corrupted stack, a bad kfree): the sim
/// kernel's panic ends this host process only.
unsafe extern "C" fn op_fatal(_text: *const c_char) {
    std::process::abort();
}

//! `struct kmod_ctx`: the library context.
//!
//! What the other files of this crate may rely on:
//! * [`kmod_ctx::from_ptr`] turns a C pointer into `Option<&kmod_ctx>`
//!   (NULL → None).
//! * [`kmod_ctx::rk`] is the `rkmod::Context` to ask (modules directory,
//!   indexes, configuration); it is an `Arc` snapshot — load/unload of
//!   resources swaps it, answers already taken stay valid.
//! * [`kmod_ctx::config`] is the modprobe configuration read by `kmod_new`.
//! * [`kmod_ctx::dirname`] is the modules directory (absolute, no
//!   trailing slash unless given so).
//! * [`kmod_ctx::kernel`] is the kernel backend (`rkmod::Linux`).
//! * `log_priority`/`log_target` are what the logging macros use.
//! * Modules: [`crate::module`] keeps its by-name cache in the context
//!   (`modules`), taking a reference on the context per module.
//!
//! Everything here may be used from several threads at once.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use modconf::kcmdline::CmdlineSource;
use modconf::ModprobeConfig;

use crate::log::{LogFn, LogTarget, LOG_ERR};
use crate::module::kmod_module;
use crate::{guard, kmod_info};

/// The five indexes, in `enum kmod_index` order: file name, whether a dump
/// prefixes each line with `alias `.
pub const INDEX_FILES: [(&str, bool); 5] = [
    ("modules.dep", false),
    ("modules.alias", true),
    ("modules.symbols", true),
    ("modules.builtin.alias", false),
    ("modules.builtin", false),
];

/// A module pointer in the context's cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModPtr(pub(crate) *mut kmod_module);
// SAFETY: modules are shared between threads by design; the cache only
// holds the pointer under its lock.
unsafe impl Send for ModPtr {}

/// The library context.
pub struct kmod_ctx {
    refcount: AtomicUsize,
    dirname: CString,
    config: Arc<ModprobeConfig>,
    /// Top-level configuration paths that existed at creation, with their
    /// modification stamps (for `kmod_validate_resources`).
    config_stamps: Vec<(PathBuf, Option<u128>)>,
    rk: RwLock<Resources>,
    log: RwLock<LogTarget>,
    log_priority: AtomicI32,
    userdata: AtomicPtr<c_void>,
    /// Modules by key (name, or `name\alias`); each entry's module holds a
    /// reference on this context and removes itself when freed.
    pub(crate) modules: Mutex<HashMap<Vec<u8>, ModPtr>>,
    kernel: rkmod::Linux,
}

/// The rkmod context to ask, and whether the indexes are "loaded" (kmod's
/// mmapped indexes), with the stamps they had then.
struct Resources {
    rk: Arc<rkmod::Context>,
    loaded: Option<[Option<u128>; 5]>,
}

/// A file's modification time in nanoseconds, None when it cannot be stat'ed.
/// Through libc's stat (not std's statx), as kmod: programs and test
/// harnesses that redirect paths with an LD_PRELOAD wrap stat.
fn stamp(path: &Path) -> Option<u128> {
    let st = nix::sys::stat::stat(path).ok()?;
    let secs = u128::try_from(st.st_mtime).unwrap_or(0);
    let nsecs = u128::try_from(st.st_mtime_nsec).unwrap_or(0);
    Some(secs * 1_000_000_000 + nsecs)
}

impl kmod_ctx {
    /// The context behind a C pointer.
    ///
    /// # Safety
    /// `p` is NULL or a context from `kmod_new` that is still referenced.
    pub unsafe fn from_ptr<'a>(p: *const kmod_ctx) -> Option<&'a kmod_ctx> {
        p.as_ref()
    }

    /// The rkmod context to ask (a snapshot; cheap to take).
    pub fn rk(&self) -> Arc<rkmod::Context> {
        self.rk.read().unwrap_or_else(|p| p.into_inner()).rk.clone()
    }

    /// The modprobe configuration.
    pub fn config(&self) -> &ModprobeConfig {
        &self.config
    }

    /// The modules directory.
    pub fn dirname(&self) -> &Path {
        Path::new(std::ffi::OsStr::from_bytes(self.dirname.to_bytes()))
    }

    /// The modules directory as C text.
    pub fn dirname_c(&self) -> &CStr {
        &self.dirname
    }

    /// The kernel backend.
    pub fn kernel(&self) -> &rkmod::Linux {
        &self.kernel
    }

    /// The priority up to which messages are logged.
    pub fn log_priority(&self) -> c_int {
        self.log_priority.load(Ordering::Relaxed)
    }

    /// Where messages go.
    pub fn log_target(&self) -> LogTarget {
        *self.log.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn modules(&self) -> MutexGuard<'_, HashMap<Vec<u8>, ModPtr>> {
        self.modules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take a reference (as `kmod_ref`).
    pub fn take_ref(&self) {
        self.refcount.fetch_add(1, Ordering::Relaxed);
    }

    /// Drop a reference; frees the context when it was the last.
    ///
    /// # Safety
    /// `p` is a valid context holding at least one reference.
    pub unsafe fn drop_ref(p: *mut kmod_ctx) -> bool {
        if (*p).refcount.fetch_sub(1, Ordering::AcqRel) != 1 {
            return false;
        }
        kmod_info!(&*p, "kmod_unref", "context {:p} released\n", p);
        drop(Box::from_raw(p));
        true
    }

    fn new(dirname: *const c_char, config_paths: *const *const c_char) -> Option<Box<kmod_ctx>> {
        let (dir, release) = if dirname.is_null() {
            let release = rkmod::context::running_release().ok()?;
            (format!("/lib/modules/{release}").into_bytes(), release)
        } else {
            // SAFETY: the caller gives a C string.
            let given = unsafe { CStr::from_ptr(dirname) }.to_bytes();
            let mut dir = Vec::new();
            if !given.starts_with(b"/") {
                let cwd = std::env::current_dir().ok()?;
                dir.extend_from_slice(cwd.as_os_str().as_bytes());
                dir.push(b'/');
            }
            dir.extend_from_slice(given);
            let release = Path::new(std::ffi::OsStr::from_bytes(given))
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (dir, release)
        };
        let dir_path = PathBuf::from(std::ffi::OsStr::from_bytes(&dir));
        let paths: Vec<PathBuf> = if config_paths.is_null() {
            modconf::modprobe_d::DEFAULT_DIRS
                .iter()
                .map(PathBuf::from)
                .collect()
        } else {
            let mut v = Vec::new();
            let mut p = config_paths;
            // SAFETY: a NULL-terminated array of C strings, as documented.
            unsafe {
                while !(*p).is_null() {
                    v.push(PathBuf::from(std::ffi::OsStr::from_bytes(
                        CStr::from_ptr(*p).to_bytes(),
                    )));
                    p = p.add(1);
                }
            }
            v
        };
        let (config, diags) = ModprobeConfig::load(&paths, Some(&dir_path), CmdlineSource::Proc);
        let config_stamps = paths
            .iter()
            .filter_map(|p| stamp(p).map(|s| (p.clone(), Some(s))))
            .collect();
        let rk = rkmod::Context::with_dirname(&dir_path, &release)
            .ok()?
            .with_config(config.clone());
        let mut log_priority = LOG_ERR;
        if let Some(env) = std::env::var_os("KMOD_LOG") {
            log_priority = crate::log::parse_priority(env.as_bytes());
        }
        let ctx = Box::new(kmod_ctx {
            refcount: AtomicUsize::new(1),
            dirname: CString::new(dir).ok()?,
            config: Arc::new(config),
            config_stamps,
            rk: RwLock::new(Resources {
                rk: Arc::new(rk),
                loaded: None,
            }),
            log: RwLock::new(LogTarget::Stderr),
            log_priority: AtomicI32::new(log_priority),
            userdata: AtomicPtr::new(ptr::null_mut()),
            modules: Mutex::new(HashMap::new()),
            kernel: rkmod::Linux::new(),
        });
        for d in diags {
            let prio = d.level.priority() as c_int;
            if ctx.log_priority() >= prio {
                crate::log::emit(&ctx, prio, file!(), line!(), d.reporter, &d.text);
            }
        }
        Some(ctx)
    }

    fn index_path(&self, i: usize) -> PathBuf {
        let mut p = self.dirname.to_bytes().to_vec();
        p.push(b'/');
        p.extend_from_slice(INDEX_FILES[i].0.as_bytes());
        p.extend_from_slice(b".bin");
        PathBuf::from(std::ffi::OsStr::from_bytes(&p))
    }
}

symver!(
    kmod_new @ "LIBKMOD_5",
    kmod_ref @ "LIBKMOD_5",
    kmod_unref @ "LIBKMOD_5",
    kmod_get_userdata @ "LIBKMOD_5",
    kmod_set_userdata @ "LIBKMOD_5",
    kmod_set_log_fn @ "LIBKMOD_5",
    kmod_get_log_priority @ "LIBKMOD_5",
    kmod_set_log_priority @ "LIBKMOD_5",
    kmod_load_resources @ "LIBKMOD_5",
    kmod_unload_resources @ "LIBKMOD_5",
    kmod_validate_resources @ "LIBKMOD_5",
    kmod_dump_index @ "LIBKMOD_5",
    kmod_get_dirname @ "LIBKMOD_22",
);

#[no_mangle]
pub unsafe extern "C" fn kmod_new(
    dirname: *const c_char,
    config_paths: *const *const c_char,
) -> *mut kmod_ctx {
    guard(ptr::null_mut(), || {
        match kmod_ctx::new(dirname, config_paths) {
            Some(ctx) => {
                let p = Box::into_raw(ctx);
                kmod_info!(&*p, "kmod_new", "ctx {:p} created\n", p);
                p
            }
            None => ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_ref(ctx: *mut kmod_ctx) -> *mut kmod_ctx {
    if let Some(c) = kmod_ctx::from_ptr(ctx) {
        c.take_ref();
    }
    ctx
}

#[no_mangle]
pub unsafe extern "C" fn kmod_unref(ctx: *mut kmod_ctx) -> *mut kmod_ctx {
    if ctx.is_null() {
        return ptr::null_mut();
    }
    guard(ptr::null_mut(), || {
        if kmod_ctx::drop_ref(ctx) {
            ptr::null_mut()
        } else {
            ctx
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_get_userdata(ctx: *const kmod_ctx) -> *mut c_void {
    match kmod_ctx::from_ptr(ctx) {
        Some(c) => c.userdata.load(Ordering::Acquire),
        None => ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_set_userdata(ctx: *mut kmod_ctx, userdata: *const c_void) {
    if let Some(c) = kmod_ctx::from_ptr(ctx) {
        c.userdata.store(userdata as *mut c_void, Ordering::Release);
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_set_log_fn(
    ctx: *mut kmod_ctx,
    log_fn: Option<LogFn>,
    data: *const c_void,
) {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return;
    };
    let target = match log_fn {
        Some(f) => LogTarget::Custom(f, data as *mut c_void),
        None => LogTarget::Off,
    };
    *c.log.write().unwrap_or_else(|p| p.into_inner()) = target;
    kmod_info!(
        c,
        "kmod_set_log_fn",
        "custom logging function {:p} registered\n",
        log_fn.map_or(ptr::null(), |f| f as *const c_void)
    );
}

#[no_mangle]
pub unsafe extern "C" fn kmod_get_log_priority(ctx: *const kmod_ctx) -> c_int {
    match kmod_ctx::from_ptr(ctx) {
        Some(c) => c.log_priority(),
        None => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_set_log_priority(ctx: *mut kmod_ctx, priority: c_int) {
    if let Some(c) = kmod_ctx::from_ptr(ctx) {
        c.log_priority.store(priority, Ordering::Relaxed);
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_get_dirname(ctx: *const kmod_ctx) -> *const c_char {
    match kmod_ctx::from_ptr(ctx) {
        Some(c) => c.dirname.as_ptr(),
        None => ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_load_resources(ctx: *mut kmod_ctx) -> c_int {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return -nix::libc::ENOENT;
    };
    guard(-nix::libc::ENOMEM, || {
        let mut res = c.rk.write().unwrap_or_else(|p| p.into_inner());
        if res.loaded.is_some() {
            for (name, _) in INDEX_FILES {
                kmod_info!(c, "kmod_load_resources", "Index {} already loaded\n", name);
            }
            return 0;
        }
        let mut stamps = [None; 5];
        for (i, s) in stamps.iter_mut().enumerate() {
            let path = c.index_path(i);
            match modindex::Index::open(&path) {
                Ok(_) => *s = stamp(&path),
                // modules.builtin.alias.bin is optional, as in kmod.
                Err(_) if i == 3 => {}
                // kmod says nothing above debug level here.
                Err(e) => {
                    return -match &e {
                        modindex::Error::Io { source, .. } => {
                            source.raw_os_error().unwrap_or(nix::libc::EIO)
                        }
                        _ => nix::libc::EINVAL,
                    };
                }
            }
        }
        res.rk = Arc::new((*res.rk).clone().with_mapped_indexes());
        res.loaded = Some(stamps);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_unload_resources(ctx: *mut kmod_ctx) {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return;
    };
    guard((), || {
        let mut res = c.rk.write().unwrap_or_else(|p| p.into_inner());
        if res.loaded.take().is_some() {
            let fresh = rkmod::Context::with_dirname(c.dirname(), res.rk.release())
                .map(|r| r.with_config(c.config().clone()));
            if let Ok(fresh) = fresh {
                res.rk = Arc::new(fresh);
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_validate_resources(ctx: *mut kmod_ctx) -> c_int {
    const OK: c_int = 0;
    const MUST_RELOAD: c_int = 1;
    const MUST_RECREATE: c_int = 2;
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return MUST_RECREATE;
    };
    guard(MUST_RECREATE, || {
        for (path, s) in &c.config_stamps {
            if stamp(path) != *s {
                return MUST_RECREATE;
            }
        }
        let res = c.rk.read().unwrap_or_else(|p| p.into_inner());
        if let Some(stamps) = &res.loaded {
            for (i, s) in stamps.iter().enumerate() {
                if s.is_some() && stamp(&c.index_path(i)) != *s {
                    return MUST_RELOAD;
                }
            }
        }
        OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_dump_index(ctx: *mut kmod_ctx, type_: u32, fd: c_int) -> c_int {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return -nix::libc::ENOSYS;
    };
    guard(-nix::libc::ENOMEM, || {
        let i = type_ as usize;
        if i >= INDEX_FILES.len() {
            return -nix::libc::ENOENT;
        }
        let Ok(index) = modindex::Index::open(c.index_path(i)) else {
            return -nix::libc::ENOSYS;
        };
        let mut out = Vec::new();
        for (key, value) in index.iter() {
            if INDEX_FILES[i].1 {
                out.extend_from_slice(b"alias ");
            }
            out.extend_from_slice(&key);
            out.push(b' ');
            out.extend_from_slice(value.value);
            out.push(b'\n');
        }
        write_all_fd(fd, &out);
        0
    })
}

/// Write to a caller's descriptor (not closing it); errors are ignored, as
/// kmod ignores them.
fn write_all_fd(fd: c_int, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: writing from a valid buffer to the caller's descriptor.
        let n = unsafe { nix::libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            return;
        }
        buf = &buf[n as usize..];
    }
}

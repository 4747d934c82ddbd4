//! One module loaded into this host process: dlopen, the interface
//! version check, parameters applied to the module's own storage through
//! its table, `module_init`, and the way back out.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_LOCAL, RTLD_NOW};
use sim_module::abi::{self, InitArgs, ParamCheck, ParamDesc, ParamType, INTERFACE_VERSION};

use super::crash::set_thread_module;
use super::threads::{self, stop_and_join};
use super::{host_clock_ns, host_log, log, ModuleCtx};
use crate::params::{failure_text, param_eq, parse_value, Value};
use crate::protocol::host::{Failed, ParamValue};

/// How long a module's threads get to stop at unload.
const THREAD_STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// More parameters than this in one table is taken as garbage.
const MAX_PARAMS: usize = 4096;

type InitFn = unsafe extern "C" fn(*const InitArgs) -> c_int;
type VoidFn = unsafe extern "C" fn();
type VersionFn = unsafe extern "C" fn() -> u32;
type ParamsFn = unsafe extern "C" fn(*mut usize) -> *const ParamDesc;

fn failed(errno: i32, message: impl Into<String>) -> Failed {
    Failed {
        errno,
        message: message.into(),
    }
}

/// A parameter table entry, checked.
struct Slot {
    name: String,
    ty: ParamType,
    perm: u32,
    arg: *mut c_void,
    maxlen: u32,
    check: Option<ParamCheck>,
}

/// A loaded module.
pub(crate) struct Loaded {
    pub id: u32,
    pub name: String,
    slots: Vec<Slot>,
    fini: Option<VoidFn>,
    hello: Option<VoidFn>,
    /// `charp` values handed to the module, kept until it is unloaded.
    strings: Vec<CString>,
    args: Box<InitArgs>,
    ctx: Box<ModuleCtx>,
    /// Last field: dropped (dlclose) after everything above.
    lib: Option<Library>,
}

/// Call into module `id` (marks the thread for crash reports).
fn in_module<R>(id: u32, f: impl FnOnce() -> R) -> R {
    set_thread_module(id);
    let r = f();
    set_thread_module(0);
    r
}

impl Loaded {
    /// Load `path` as module `name`, apply `params`, run `module_init`.
    pub fn load(
        id: u32,
        name: &str,
        path: &str,
        global: bool,
        params: &[(String, Option<String>)],
    ) -> Result<Loaded, Failed> {
        let scope = if global { RTLD_GLOBAL } else { RTLD_LOCAL };
        // Constructors run inside dlopen: count them as the module's code.
        // SAFETY: loading a module runs its initialisers; isolating what they
        // may do is the very reason this runs in a separate process.
        let lib = in_module(id, || unsafe {
            Library::open(Some(path), RTLD_NOW | scope)
        })
        .map_err(|e| {
            let msg = format!("{name}: cannot load {path}: {e}");
            log(abi::level::ERR, &msg);
            failed(nix::libc::ENOEXEC, msg)
        })?;
        let mut m = Loaded {
            id,
            name: name.to_string(),
            slots: Vec::new(),
            fini: None,
            hello: None,
            strings: Vec::new(),
            args: Box::new(placeholder_args()),
            ctx: Box::new(ModuleCtx {
                id,
                name: name.to_string(),
                threads: Mutex::new(Vec::new()),
            }),
            lib: Some(lib),
        };
        let init = m.resolve_entry_points()?;
        m.apply_params(params)?;

        let ctx_ptr: *const ModuleCtx = &*m.ctx;
        m.args = Box::new(InitArgs {
            interface_version: INTERFACE_VERSION,
            size: std::mem::size_of::<InitArgs>() as u32,
            user_data: ctx_ptr as *mut c_void,
            log: host_log,
            clock_ns: host_clock_ns,
            thread_run: threads::thread_run,
            thread_should_stop: threads::thread_should_stop,
            msleep: threads::msleep,
        });
        let args: *const InitArgs = &*m.args;
        // SAFETY: module_init per the ABI; `args` lives as long as `m`.
        let ret = in_module(id, || unsafe { init(args) });
        if ret < 0 {
            let stuck = stop_and_join(m.take_threads(), Instant::now() + THREAD_STOP_TIMEOUT);
            if !stuck.is_empty() {
                // Its code must stay mapped while a thread runs it.
                if let Some(lib) = m.lib.take() {
                    std::mem::forget(lib);
                }
            }
            return Err(failed(
                -ret,
                format!("{name}: module_init failed with {ret}"),
            ));
        }
        if ret > 0 {
            log(
                abi::level::WARNING,
                &format!(
                    "do_init_module: '{name}'->init suspiciously returned {ret}, it should follow 0/-E convention"
                ),
            );
            log(
                abi::level::WARNING,
                "do_init_module: loading module anyway...",
            );
        }
        Ok(m)
    }

    fn symbol<T: Copy>(&self, sym: &[u8]) -> Option<T> {
        let lib = self.lib.as_ref()?;
        // SAFETY: T is the documented C signature of that ABI symbol; the
        // pointer is used only while `lib` stays loaded (it lives in self).
        unsafe { lib.get::<T>(sym).ok().map(|s| *s) }
    }

    fn resolve_entry_points(&mut self) -> Result<InitFn, Failed> {
        let name = self.name.clone();
        let noexec = |what: &str| {
            let msg = format!("{name}: {what}");
            log(abi::level::ERR, &msg);
            failed(nix::libc::ENOEXEC, msg)
        };
        let version: VersionFn = self
            .symbol(b"module_get_interface_version\0")
            .ok_or_else(|| noexec("not a sim module (no module_get_interface_version)"))?;
        // SAFETY: ABI function without arguments.
        let v = in_module(self.id, || unsafe { version() });
        if v != INTERFACE_VERSION {
            return Err(noexec(&format!(
                "built for sim interface version {v}, this sim kernel speaks {INTERFACE_VERSION}"
            )));
        }
        let init: InitFn = self
            .symbol(b"module_init\0")
            .ok_or_else(|| noexec("no module_init"))?;
        self.fini = self.symbol(b"module_fini\0");
        self.hello = self.symbol(b"mod_hello\0");
        if let Some(get) = self.symbol::<ParamsFn>(b"module_get_params\0") {
            let mut n = 0usize;
            // SAFETY: ABI function filling a count and returning the table.
            let table = in_module(self.id, || unsafe { get(&mut n) });
            if n > MAX_PARAMS || (n > 0 && table.is_null()) {
                return Err(noexec("malformed parameter table"));
            }
            for i in 0..n {
                // SAFETY: the module declares `n` entries at `table`.
                let d = unsafe { &*table.add(i) };
                let slot = check_slot(d)
                    .ok_or_else(|| noexec(&format!("malformed parameter table entry {i}")))?;
                self.slots.push(slot);
            }
        }
        Ok(init)
    }

    /// The kernel's `parse_args()` over the module's table: stops at the
    /// first failure, which it logs in the kernel's words.
    fn apply_params(&mut self, params: &[(String, Option<String>)]) -> Result<(), Failed> {
        for (p, v) in params {
            if let Err(errno) = self.set(p, v.as_deref()) {
                let msg = failure_text(&self.name, p, v.as_deref(), errno);
                log(abi::level::ERR, &msg);
                return Err(failed(errno, msg));
            }
        }
        Ok(())
    }

    /// Set one parameter; errno on failure (the caller logs).
    fn set(&mut self, param: &str, val: Option<&str>) -> Result<(), i32> {
        let i = self
            .slots
            .iter()
            .position(|s| param_eq(&s.name, param))
            .ok_or(nix::libc::ENOENT)?;
        let slot = &self.slots[i];
        let value = match parse_value(slot.ty, val, slot.maxlen) {
            Err(nix::libc::ENOSPC) if slot.ty == ParamType::String => {
                log(
                    abi::level::ERR,
                    &format!(
                        "{}: string doesn't fit in {} chars.",
                        slot.name,
                        slot.maxlen.saturating_sub(1)
                    ),
                );
                return Err(nix::libc::ENOSPC);
            }
            r => r?,
        };
        let text = CString::new(val.unwrap_or("")).map_err(|_| nix::libc::EINVAL)?;
        let id = self.id;
        // SAFETY: the slot was checked (non-null, aligned storage of its type).
        let kept = unsafe { store(slot, &value, &text, id) }?;
        if let Some(s) = kept {
            self.strings.push(s);
        }
        Ok(())
    }

    /// Set a parameter of the running module (sysfs write).
    pub fn set_param(&mut self, param: &str, value: &str) -> Result<ParamValue, Failed> {
        let slot = self
            .slots
            .iter()
            .find(|s| param_eq(&s.name, param))
            .ok_or_else(|| {
                failed(
                    nix::libc::ENOENT,
                    format!("{}: no parameter {param}", self.name),
                )
            })?;
        if slot.perm & 0o222 == 0 {
            return Err(failed(
                nix::libc::EPERM,
                format!("{}: parameter {param} is read-only", self.name),
            ));
        }
        let value = value.strip_suffix('\n').unwrap_or(value);
        if let Err(errno) = self.set(param, Some(value)) {
            let msg = failure_text(&self.name, param, Some(value), errno);
            log(abi::level::ERR, &msg);
            return Err(failed(errno, msg));
        }
        let slot = self.slots.iter().find(|s| param_eq(&s.name, param));
        Ok(slot.map(|s| self.value_of(s)).unwrap_or(ParamValue {
            name: param.to_string(),
            perm: 0,
            value: String::new(),
        }))
    }

    fn value_of(&self, s: &Slot) -> ParamValue {
        ParamValue {
            name: s.name.clone(),
            perm: s.perm,
            // SAFETY: checked slot; a plain read of the module's storage.
            value: unsafe { read(s) },
        }
    }

    /// Every parameter with its current value.
    pub fn param_values(&self) -> Vec<ParamValue> {
        self.slots.iter().map(|s| self.value_of(s)).collect()
    }

    pub fn has_hello(&self) -> bool {
        self.hello.is_some()
    }

    pub fn has_fini(&self) -> bool {
        self.fini.is_some()
    }

    /// Call `mod_hello`.
    pub fn hello(&self) {
        if let Some(h) = self.hello {
            // SAFETY: ABI function; the library is loaded.
            in_module(self.id, || unsafe { h() });
        }
    }

    fn take_threads(&self) -> Vec<threads::KThread> {
        std::mem::take(&mut *crate::util::lock(&self.ctx.threads))
    }

    /// Stop its threads, run `module_fini` (when `run_fini`), dlclose.
    /// Fails when a thread would not stop: the code then stays mapped, and
    /// the daemon takes the whole host down.
    pub fn unload(mut self, run_fini: bool) -> Result<(), Failed> {
        let deadline = Instant::now() + THREAD_STOP_TIMEOUT;
        let mut stuck = stop_and_join(self.take_threads(), deadline);
        if stuck.is_empty() && run_fini {
            if let Some(f) = self.fini {
                // SAFETY: ABI function; the library is loaded.
                in_module(self.id, || unsafe { f() });
            }
            // Threads started by module_fini itself.
            stuck = stop_and_join(self.take_threads(), deadline);
        }
        if !stuck.is_empty() {
            if let Some(lib) = self.lib.take() {
                std::mem::forget(lib);
            }
            let msg = format!("{}: thread {} did not stop", self.name, stuck.join(", "));
            log(abi::level::ERR, &msg);
            return Err(failed(nix::libc::EBUSY, msg));
        }
        Ok(())
    }
}

/// InitArgs before the real ones are built (never passed to a module).
fn placeholder_args() -> InitArgs {
    InitArgs {
        interface_version: INTERFACE_VERSION,
        size: std::mem::size_of::<InitArgs>() as u32,
        user_data: std::ptr::null_mut(),
        log: host_log,
        clock_ns: host_clock_ns,
        thread_run: threads::thread_run,
        thread_should_stop: threads::thread_should_stop,
        msleep: threads::msleep,
    }
}

/// Validate a table entry: a name, a known type, non-null storage aligned
/// for that type, a buffer size for strings.
fn check_slot(d: &ParamDesc) -> Option<Slot> {
    if d.name.is_null() || d.arg.is_null() {
        return None;
    }
    // SAFETY: a non-null, NUL-terminated name in the module's rodata.
    let name = unsafe { CStr::from_ptr(d.name) }.to_str().ok()?.to_string();
    let ty = ParamType::from_raw(d.ty)?;
    let align = match ty {
        ParamType::Int | ParamType::Uint => std::mem::align_of::<i32>(),
        ParamType::Long | ParamType::Ulong => std::mem::align_of::<i64>(),
        ParamType::Short | ParamType::Ushort => std::mem::align_of::<i16>(),
        ParamType::Charp => std::mem::align_of::<*mut c_char>(),
        ParamType::Bool | ParamType::String => 1,
    };
    if name.is_empty()
        || !(d.arg as usize).is_multiple_of(align)
        || (ty == ParamType::String && d.maxlen == 0)
    {
        return None;
    }
    Some(Slot {
        name,
        ty,
        perm: d.perm,
        arg: d.arg,
        maxlen: d.maxlen,
        check: d.check,
    })
}

/// Run the slot's check, then store `v`. Returns a string the module now
/// points at (for `charp`), to be kept alive.
///
/// # Safety
/// `slot` must come from [`check_slot`] on a loaded module's table.
unsafe fn store(slot: &Slot, v: &Value, text: &CString, id: u32) -> Result<Option<CString>, i32> {
    let a = slot.arg;
    // The parsed value in the C type the check receives.
    let (i64v, u64v, boolv) = match v {
        Value::Signed(n) => (*n, 0, false),
        Value::Unsigned(n) => (0, *n, false),
        Value::Bool(b) => (0, 0, *b),
        Value::Text(_) => (0, 0, false),
    };
    let (i32v, i16v, u32v, u16v) = (i64v as i32, i64v as i16, u64v as u32, u64v as u16);
    let parsed: *const c_void = match slot.ty {
        ParamType::Int => &i32v as *const i32 as *const c_void,
        ParamType::Short => &i16v as *const i16 as *const c_void,
        ParamType::Long => &i64v as *const i64 as *const c_void,
        ParamType::Uint => &u32v as *const u32 as *const c_void,
        ParamType::Ushort => &u16v as *const u16 as *const c_void,
        ParamType::Ulong => &u64v as *const u64 as *const c_void,
        ParamType::Bool => &boolv as *const bool as *const c_void,
        ParamType::Charp | ParamType::String => text.as_ptr() as *const c_void,
    };
    if let Some(check) = slot.check {
        // SAFETY: the module's check with the documented arguments.
        let rc = in_module(id, || unsafe { check(text.as_ptr(), parsed, a) });
        if rc < 0 {
            return Err(-rc);
        }
    }
    // SAFETY (all writes): `a` is non-null, aligned storage of the slot's
    // type, as check_slot verified and the module declared.
    unsafe {
        match slot.ty {
            ParamType::Int => (a as *mut i32).write_volatile(i32v),
            ParamType::Short => (a as *mut i16).write_volatile(i16v),
            ParamType::Long => (a as *mut i64).write_volatile(i64v),
            ParamType::Uint => (a as *mut u32).write_volatile(u32v),
            ParamType::Ushort => (a as *mut u16).write_volatile(u16v),
            ParamType::Ulong => (a as *mut u64).write_volatile(u64v),
            ParamType::Bool => (a as *mut u8).write_volatile(u8::from(boolv)),
            ParamType::Charp => {
                let s = text.clone();
                (a as *mut *const c_char).write_volatile(s.as_ptr());
                return Ok(Some(s));
            }
            ParamType::String => {
                let bytes = text.as_bytes_with_nul();
                if bytes.len() > slot.maxlen as usize {
                    return Err(nix::libc::ENOSPC);
                }
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), a as *mut u8, bytes.len());
            }
        }
    }
    Ok(None)
}

/// The value as sysfs shows it.
///
/// # Safety
/// `slot` must come from [`check_slot`] on a loaded module's table.
unsafe fn read(slot: &Slot) -> String {
    let a = slot.arg;
    // SAFETY: as in `store`: checked, aligned storage of the slot's type.
    unsafe {
        match slot.ty {
            ParamType::Int => (a as *const i32).read_volatile().to_string(),
            ParamType::Short => (a as *const i16).read_volatile().to_string(),
            ParamType::Long => (a as *const i64).read_volatile().to_string(),
            ParamType::Uint => (a as *const u32).read_volatile().to_string(),
            ParamType::Ushort => (a as *const u16).read_volatile().to_string(),
            ParamType::Ulong => (a as *const u64).read_volatile().to_string(),
            ParamType::Bool => if (a as *const u8).read_volatile() != 0 {
                "Y"
            } else {
                "N"
            }
            .to_string(),
            ParamType::Charp => {
                let p = (a as *const *const c_char).read_volatile();
                if p.is_null() {
                    "(null)".to_string()
                } else {
                    CStr::from_ptr(p).to_string_lossy().into_owned()
                }
            }
            ParamType::String => {
                let buf = std::slice::from_raw_parts(a as *const u8, slot.maxlen as usize);
                let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
                String::from_utf8_lossy(&buf[..end]).into_owned()
            }
        }
    }
}

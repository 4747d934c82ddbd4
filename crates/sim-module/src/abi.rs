//! The binary interface between the sim kernel and a sim module, shared
//! by both sides (the C header `include/sim_module.h` mirrors it field for
//! field). Everything here is `#[repr(C)]`: a module built against one copy
//! of this crate and a host built against another must agree on layout.
//!
//! A module is a shared object exporting these C-ABI functions:
//!
//! | symbol | required | meaning |
//! |---|---|---|
//! | `uint32_t module_get_interface_version(void)` | yes | [`INTERFACE_VERSION`] it was built for |
//! | `const struct sim_param *module_get_params(size_t *n)` | no | its parameter table |
//! | `int module_init(const struct sim_init_args *)` | yes | 0 or `-errno` |
//! | `void module_fini(void)` | no | without it the module is permanent |
//! | `void mod_hello(void)` | no | called once a second by the sim kernel |

use std::ffi::{c_char, c_int, c_void};

/// Version of this interface. Bumped on any incompatible change; the sim
/// kernel refuses modules built for another version.
pub const INTERFACE_VERSION: u32 = 1;

/// Log levels, as the kernel's `KERN_*` (0 = emergency … 7 = debug).
pub mod level {
    pub const EMERG: i32 = 0;
    pub const ALERT: i32 = 1;
    pub const CRIT: i32 = 2;
    pub const ERR: i32 = 3;
    pub const WARNING: i32 = 4;
    pub const NOTICE: i32 = 5;
    pub const INFO: i32 = 6;
    pub const DEBUG: i32 = 7;
}

/// A kthread body: returns 0 (the value is only logged when non-zero).
pub type ThreadFn = unsafe extern "C" fn(arg: *mut c_void) -> c_int;

/// What `module_init` receives. Valid until `module_fini` returns; the
/// module keeps the pointer (the helpers in this crate and in the C header
/// do so).
#[repr(C)]
pub struct InitArgs {
    /// The interface version of the sim kernel calling.
    pub interface_version: u32,
    /// `size_of::<InitArgs>()` on the host side: fields appended by a later
    /// minor revision lie past what an older module reads.
    pub size: u32,
    /// Opaque: pass back to `log` and `thread_run`.
    pub user_data: *mut c_void,
    /// Append one line (without trailing newline) to the sim kernel's log.
    pub log: unsafe extern "C" fn(user_data: *mut c_void, level: c_int, msg: *const c_char),
    /// `CLOCK_MONOTONIC` in nanoseconds (the clock the log stamps with).
    pub clock_ns: extern "C" fn() -> u64,
    /// Start a thread the sim kernel stops and joins before `module_fini`
    /// (like `kthread_run` + `kthread_stop`). Returns 0 or `-errno`.
    pub thread_run: unsafe extern "C" fn(
        user_data: *mut c_void,
        f: ThreadFn,
        arg: *mut c_void,
        name: *const c_char,
    ) -> c_int,
    /// Non-zero once the calling kthread has been asked to stop.
    pub thread_should_stop: extern "C" fn() -> c_int,
    /// Sleep `ms` milliseconds; returns non-zero when woken early because
    /// the calling kthread was asked to stop.
    pub msleep: extern "C" fn(ms: u32) -> c_int,
}

/// Parameter types, the kernel's `module_param` types.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `int` (C `int`, Rust `AtomicI32`)
    Int = 1,
    /// `uint` (`unsigned int`, `AtomicU32`)
    Uint = 2,
    /// `long` (`long`, `AtomicI64`; LP64 only)
    Long = 3,
    /// `ulong` (`unsigned long`, `AtomicU64`)
    Ulong = 4,
    /// `short` (`short`, `AtomicI16`)
    Short = 5,
    /// `ushort` (`unsigned short`, `AtomicU16`)
    Ushort = 6,
    /// `bool` (C `bool`, `AtomicBool`)
    Bool = 7,
    /// `charp`: a `char *` the sim kernel points at its own copy of the value
    Charp = 8,
    /// `string`: a fixed `char[maxlen]` buffer the value is copied into
    String = 9,
}

impl ParamType {
    /// From the table's raw `type` field.
    pub fn from_raw(raw: u32) -> Option<ParamType> {
        Some(match raw {
            1 => ParamType::Int,
            2 => ParamType::Uint,
            3 => ParamType::Long,
            4 => ParamType::Ulong,
            5 => ParamType::Short,
            6 => ParamType::Ushort,
            7 => ParamType::Bool,
            8 => ParamType::Charp,
            9 => ParamType::String,
            _ => return None,
        })
    }

    /// The name `parmtype=` and `modinfo` show.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Uint => "uint",
            ParamType::Long => "long",
            ParamType::Ulong => "ulong",
            ParamType::Short => "short",
            ParamType::Ushort => "ushort",
            ParamType::Bool => "bool",
            ParamType::Charp => "charp",
            ParamType::String => "string",
        }
    }
}

/// A value check run before the sim kernel stores a parameter: `val` is
/// the text given, `parsed` points at the value already parsed to the
/// parameter's type (for `charp`/`string`: the same bytes as `val`), `arg`
/// is the parameter's storage. Returns 0 to accept or `-errno` to refuse.
pub type ParamCheck =
    unsafe extern "C" fn(val: *const c_char, parsed: *const c_void, arg: *mut c_void) -> c_int;

/// One entry of a module's parameter table (`struct sim_param`).
#[repr(C)]
pub struct ParamDesc {
    /// NUL-terminated parameter name.
    pub name: *const c_char,
    /// A [`ParamType`] as `u32`.
    pub ty: u32,
    /// sysfs permissions (0: not shown under `parameters/`).
    pub perm: u32,
    /// The storage, of the C type the [`ParamType`] names.
    pub arg: *mut c_void,
    /// For `string`: the buffer's size including the NUL; else 0.
    pub maxlen: u32,
    /// Optional check before storing.
    pub check: Option<ParamCheck>,
}

// SAFETY: a table is immutable after link time; the storage it points at is
// written by the sim kernel before `module_init` and otherwise only through
// atomics (Rust) or plain loads of aligned words (C), as in the kernel.
unsafe impl Sync for ParamDesc {}

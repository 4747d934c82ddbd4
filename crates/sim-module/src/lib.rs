//! What a sim-kernel module links against.
//!
//! A sim module is a shared object (a Rust `cdylib`, or C built with
//! `gcc -shared -fPIC` and `include/sim_module.h`) carrying the same
//! metadata a `.ko` does, in sections of the same names, so the module
//! tools read both with one code path:
//!
//! * `.modinfo`: NUL-separated `key=value` entries (`license`, `author`,
//!   `description`, `alias`, `softdep`, `parm=name:desc`,
//!   `parmtype=name:type`, `name`, `vermagic`);
//! * `__ksymtab_strings`: the names of the exported symbols, NUL-separated;
//!   `__ksymtab` and `__ksymtab_gpl` list the same names again split by
//!   GPL-ness (in a `.ko` they hold `struct kernel_symbol`; here the names
//!   are the marker);
//! * symbols used from other modules stay undefined (and unversioned) in
//!   the dynamic symbol table, so depmod finds the dependency.
//!
//! The run-time interface is in [`abi`]. In Rust, one [`module!`]
//! invocation at the crate root declares everything:
//!
//! ```no_run
//! use std::ffi::{c_char, c_int, c_void};
//! use std::sync::atomic::AtomicI32;
//! use sim_module::param::CharP;
//!
//! static MSG: CharP = CharP::new(c"hello");
//! static IO: AtomicI32 = AtomicI32::new(1);
//! # unsafe extern "C" fn io_check(_: *const c_char, _: *const c_void, _: *mut c_void) -> c_int { 0 }
//! # fn init() -> Result<(), i32> { Ok(()) }
//! # fn exit() {}
//! # fn hello() {}
//!
//! sim_module::module! {
//!     name: "khello",
//!     license: "GPL",
//!     author: "Someone",
//!     description: "Says hello",
//!     params: {
//!         msg: charp = MSG, 0o644, "What mod_hello prints";
//!         io: int = IO, 0o644, "An io level (0..4)", check = io_check;
//!     },
//!     init: init,
//!     exit: exit,
//!     hello: hello,
//! }
//! # fn main() {}
//! ```
//!
//! The fields come in that order: `name`, `license`, any `author`,
//! `description`, `version`, any `alias`, `softdep`, `params`, `exports`,
//! `exports_gpl`, `init`, `exit`, `hello`; only `name`, `license` and
//! `init` are required.

pub mod abi;
pub mod param;
mod runtime;

pub use runtime::{clock_ns, kthread_run, kthread_should_stop, log, msleep};

#[doc(hidden)]
pub use runtime::{__bytes, __init_result, __set_args};

/// The kernel release the sim kernel reports by default (and modules
/// built here carry in their vermagic).
#[macro_export]
#[doc(hidden)]
macro_rules! __sim_release {
    () => {
        "6.1.0-sim"
    };
}

/// The vermagic string of modules built for [`SIM_RELEASE`].
#[macro_export]
#[doc(hidden)]
macro_rules! __sim_vermagic {
    () => {
        concat!($crate::__sim_release!(), " SMP mod_unload sim")
    };
}

/// Default sim kernel release (`uname -r` of the sim kernel).
pub const SIM_RELEASE: &str = __sim_release!();

/// The vermagic of modules built against this crate.
pub const VERMAGIC: &str = __sim_vermagic!();

/// The vermagic a sim kernel of release `release` expects.
pub fn vermagic_for(release: &str) -> String {
    format!("{release} SMP mod_unload sim")
}

/// Log at `KERN_INFO` through the sim kernel (format like `format!`).
#[macro_export]
macro_rules! pr_info {
    ($($t:tt)*) => { $crate::log($crate::abi::level::INFO, &::std::format!($($t)*)) };
}

/// Log at `KERN_NOTICE`.
#[macro_export]
macro_rules! pr_notice {
    ($($t:tt)*) => { $crate::log($crate::abi::level::NOTICE, &::std::format!($($t)*)) };
}

/// Log at `KERN_WARNING`.
#[macro_export]
macro_rules! pr_warn {
    ($($t:tt)*) => { $crate::log($crate::abi::level::WARNING, &::std::format!($($t)*)) };
}

/// Log at `KERN_ERR`.
#[macro_export]
macro_rules! pr_err {
    ($($t:tt)*) => { $crate::log($crate::abi::level::ERR, &::std::format!($($t)*)) };
}

/// Log at `KERN_DEBUG`.
#[macro_export]
macro_rules! pr_debug {
    ($($t:tt)*) => { $crate::log($crate::abi::level::DEBUG, &::std::format!($($t)*)) };
}

/// The [`abi::ParamType`] a `module_param` type keyword names.
#[macro_export]
#[doc(hidden)]
macro_rules! __param_type {
    (int) => {
        $crate::abi::ParamType::Int
    };
    (uint) => {
        $crate::abi::ParamType::Uint
    };
    (long) => {
        $crate::abi::ParamType::Long
    };
    (ulong) => {
        $crate::abi::ParamType::Ulong
    };
    (short) => {
        $crate::abi::ParamType::Short
    };
    (ushort) => {
        $crate::abi::ParamType::Ushort
    };
    (bool) => {
        $crate::abi::ParamType::Bool
    };
    (charp) => {
        $crate::abi::ParamType::Charp
    };
    (string) => {
        $crate::abi::ParamType::String
    };
}

/// Declare a sim module: its metadata sections, parameter table and
/// C-ABI entry points. See the crate documentation for the grammar.
///
/// `init` is a `fn() -> Result<(), i32>` (the error is a positive errno),
/// `exit` and `hello` are `fn()`. Exported functions are ordinary
/// `#[no_mangle] pub extern "C" fn`s listed under `exports` or
/// `exports_gpl`. A parameter is `name: type = STORAGE, perm, "desc"` with
/// an optional `, check = f` where `f` is a [`abi::ParamCheck`]; the
/// storage type must match the type keyword (checked at compile time).
#[macro_export]
macro_rules! module {
    (
        name: $name:literal,
        license: $license:literal,
        $(author: $author:literal,)*
        $(description: $desc:literal,)?
        $(version: $version:literal,)?
        $(alias: $alias:literal,)*
        $(softdep: $softdep:literal,)?
        $(params: {
            $($pname:ident : $pty:ident = $pstore:path, $pperm:literal, $pdesc:literal
                $(, check = $pcheck:path)? ;)*
        },)?
        $(exports: [$($exp:ident),* $(,)?],)?
        $(exports_gpl: [$($gexp:ident),* $(,)?],)?
        init: $init:path
        $(, exit: $exit:path)?
        $(, hello: $hello:path)?
        $(,)?
    ) => {
        #[doc(hidden)]
        const __SIM_MODINFO_TEXT: &str = concat!(
            "license=", $license, "\0",
            $("author=", $author, "\0",)*
            $("description=", $desc, "\0",)?
            $("version=", $version, "\0",)?
            $("alias=", $alias, "\0",)*
            $("softdep=", $softdep, "\0",)?
            $($(
                "parm=", stringify!($pname), ":", $pdesc, "\0",
                "parmtype=", stringify!($pname), ":", stringify!($pty), "\0",
            )*)?
            "name=", $name, "\0",
            "vermagic=", $crate::__sim_vermagic!(), "\0",
        );

        // `.modinfo` and the export lists are kept alive by a reference from
        // module_get_interface_version (the linker's --gc-sections would
        // otherwise drop unreferenced sections).
        #[doc(hidden)]
        #[used]
        #[link_section = ".modinfo"]
        static __SIM_MODINFO: [u8; __SIM_MODINFO_TEXT.len()] = $crate::__bytes(__SIM_MODINFO_TEXT);

        #[doc(hidden)]
        const __SIM_KSYMTAB_PLAIN: &str = concat!("" $($(, stringify!($exp), "\0")*)?);
        #[doc(hidden)]
        const __SIM_KSYMTAB_GPL: &str = concat!("" $($(, stringify!($gexp), "\0")*)?);
        #[doc(hidden)]
        const __SIM_KSYMTAB_ALL: &str = concat!(
            "" $($(, stringify!($exp), "\0")*)? $($(, stringify!($gexp), "\0")*)?
        );

        #[doc(hidden)]
        #[used]
        #[link_section = "__ksymtab_strings"]
        static __SIM_KSYMTAB_STRINGS: [u8; __SIM_KSYMTAB_ALL.len()] = $crate::__bytes(__SIM_KSYMTAB_ALL);
        #[doc(hidden)]
        #[used]
        #[link_section = "__ksymtab"]
        static __SIM_KSYMTAB: [u8; __SIM_KSYMTAB_PLAIN.len()] = $crate::__bytes(__SIM_KSYMTAB_PLAIN);
        #[doc(hidden)]
        #[used]
        #[link_section = "__ksymtab_gpl"]
        static __SIM_KSYMTAB_GPL_NAMES: [u8; __SIM_KSYMTAB_GPL.len()] = $crate::__bytes(__SIM_KSYMTAB_GPL);

        #[doc(hidden)]
        static __SIM_PARAMS: &[$crate::abi::ParamDesc] = &[
            $($($crate::abi::ParamDesc {
                name: concat!(stringify!($pname), "\0").as_ptr().cast(),
                ty: $crate::param::checked_type(&$pstore, $crate::__param_type!($pty)),
                perm: $pperm,
                arg: $crate::param::storage_ptr(&$pstore),
                maxlen: $crate::param::maxlen_of(&$pstore),
                check: $crate::param::__check_or_none(&[$($pcheck)?]),
            },)*)?
        ];

        #[doc(hidden)]
        #[no_mangle]
        pub extern "C" fn module_get_interface_version() -> u32 {
            // The exported functions must exist (a typo fails to compile).
            $($(::core::hint::black_box($exp as *const ());)*)?
            $($(::core::hint::black_box($gexp as *const ());)*)?
            ::core::hint::black_box(&__SIM_MODINFO);
            ::core::hint::black_box(&__SIM_KSYMTAB_STRINGS);
            ::core::hint::black_box(&__SIM_KSYMTAB);
            ::core::hint::black_box(&__SIM_KSYMTAB_GPL_NAMES);
            $crate::abi::INTERFACE_VERSION
        }

        #[doc(hidden)]
        #[no_mangle]
        #[allow(clippy::missing_safety_doc)]
        pub unsafe extern "C" fn module_get_params(count: *mut usize) -> *const $crate::abi::ParamDesc {
            if !count.is_null() {
                // SAFETY: the caller passes a valid out-pointer (ABI contract).
                unsafe { *count = __SIM_PARAMS.len() };
            }
            __SIM_PARAMS.as_ptr()
        }

        #[doc(hidden)]
        #[no_mangle]
        #[allow(clippy::missing_safety_doc)]
        pub unsafe extern "C" fn module_init(args: *const $crate::abi::InitArgs) -> ::std::ffi::c_int {
            // SAFETY: the sim kernel passes arguments valid until module_fini.
            unsafe { $crate::__set_args(args) };
            $crate::__init_result($init())
        }

        $(
            #[doc(hidden)]
            #[no_mangle]
            pub extern "C" fn module_fini() {
                $exit();
            }
        )?

        $(
            #[doc(hidden)]
            #[no_mangle]
            pub extern "C" fn mod_hello() {
                $hello();
            }
        )?
    };
}

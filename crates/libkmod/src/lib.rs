//! `libkmod.so.2`: kmod's C library API (`include/libkmod.h`) on rkmod's
//! crates. A context and its modules may be used from several threads at
//! once: every shared state is behind a lock or an atomic.
//!
//! For the other files of this crate:
//! * [`symver!`] binds each exported function to kmod's version node; every
//!   file lists the functions it defines in one `symver!` call.
//! * [`guard`] runs a function body so that no panic crosses the C
//!   boundary (the panic becomes the given error value).
//! * [`list`] builds, walks and frees `struct kmod_list` from Rust;
//!   [`log`] logs through the context's log function ([`kmod_err!`] and
//!   friends); [`ctx`] is `struct kmod_ctx`; [`module`] is
//!   `struct kmod_module`.

#![allow(non_camel_case_types)]
// Every exported function takes raw pointers from C and checks them for
// NULL itself; they are `unsafe extern "C"` only where the caller's pointer
// must be valid, as in any C library.
#![allow(clippy::missing_safety_doc)]

/// Bind exported functions to kmod's version nodes:
/// `symver!(kmod_new @ "LIBKMOD_5", kmod_ref @ "LIBKMOD_5");`; a
/// compatibility version of another function:
/// `symver!(old_impl @ "LIBKMOD_5" as kmod_public_name)`.
/// Only in the shared library build (tests of the rlib link without the
/// version script, where the nodes do not exist).
#[macro_export]
macro_rules! symver {
    () => {};
    ($name:ident @ $node:literal $(, $($rest:tt)*)?) => {
        #[cfg(not(test))]
        ::core::arch::global_asm!(concat!(
            ".symver ", stringify!($name), ", ", stringify!($name), "@@", $node
        ));
        $($crate::symver!($($rest)*);)?
    };
    // A compatibility version: `$name` (a Rust function without
    // `#[no_mangle]`, so not exported under its own name) is exported as
    // `$public@$node`, not the default version of `$public`.
    ($name:ident @ $node:literal as $public:ident $(, $($rest:tt)*)?) => {
        #[cfg(not(test))]
        ::core::arch::global_asm!(
            concat!(".globl {f}\n.symver {f}, ", stringify!($public), "@", $node),
            f = sym $name,
        );
        $($crate::symver!($($rest)*);)?
    };
}

/// Run `body`; a panic inside becomes `on_panic` (and is not unwound
/// into C). The panic message has been printed by the panic hook.
pub fn guard<R>(on_panic: R, body: impl FnOnce() -> R) -> R {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(on_panic)
}

pub mod config;
pub mod ctx;
pub mod elfinfo;
pub mod list;
pub mod load;
pub mod log;
pub mod module;
pub mod state;

pub use ctx::kmod_ctx;
pub use list::kmod_list;
pub use module::kmod_module;

// SPDX-License-Identifier: GPL-2.0
//! rust_cube, the Rust half: `cube()` (exported by the C shim
//! rust_cube_main.c) and the init message. Built by the Kbuild with rustc
//! into an object the kernel's module loader accepts; see the README
//! section "Writing a kernel module in Rust without Rust-for-Linux".
#![no_std]

#[path = "cube_logic.rs"]
mod logic;

extern "C" {
    /// From the C module `square`.
    fn square(x: i32) -> i32;
    /// The kernel's printk; the format starts with a KERN_ level.
    fn _printk(fmt: *const u8, ...) -> i32;
}

/// x³ through square(); exported to other modules by the C shim.
#[no_mangle]
pub extern "C" fn cube(x: i32) -> i32 {
    // SAFETY: square is resolved by the module loader before this runs.
    logic::cube(x, |v| unsafe { square(v) })
}

/// Called from the shim's module_init with the parameters.
#[no_mangle]
pub extern "C" fn rust_cube_init(factor: i32, label: *const u8) -> i32 {
    // SAFETY: a NUL-terminated format matching the arguments; printk
    // prints "(null)" for a NULL label.
    unsafe {
        _printk(
            b"\x016rust_cube: loaded, label=%s factor=%d: cube(%d) = %d\n\0".as_ptr(),
            label,
            factor,
            factor,
            cube(factor),
        );
    }
    0
}

// Nothing here can panic (no indexing, wrapping arithmetic); the handler is
// what no_std requires, and it never returns.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

// SPDX-License-Identifier: GPL-2.0
//! The logic of rust_cube, shared by the kernel module
//! (testdata/kmod-src/rust_cube.rs) and the sim module
//! (testdata/sim-src/rust/rust_cube): no allocation, no floating point, no
//! panics (the kernel object has no unwinder and no core library to call).

/// x³, from the square the caller supplies (the `square` module's export).
/// Wrapping arithmetic: an overflow check would pull in core's panic code.
pub fn cube(x: i32, square: impl Fn(i32) -> i32) -> i32 {
    square(x).wrapping_mul(x)
}

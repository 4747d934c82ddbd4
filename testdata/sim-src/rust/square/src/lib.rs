//! square: exports `square()` for test_square, in Rust.

use std::sync::atomic::{AtomicI32, Ordering};

use sim_module::pr_info;

static VERBOSE: AtomicI32 = AtomicI32::new(0);

/// The exported function: other modules call it through the sim kernel's
/// symbol resolution.
#[no_mangle]
pub extern "C" fn square(x: i32) -> i32 {
    if VERBOSE.load(Ordering::Relaxed) != 0 {
        pr_info!("square: square({x})");
    }
    x.wrapping_mul(x)
}

fn init() -> Result<(), i32> {
    pr_info!("square: loaded");
    Ok(())
}

fn exit() {
    pr_info!("square: unloaded");
}

sim_module::module! {
    name: "square",
    license: "GPL",
    author: "rkmod developers",
    description: "Exports square() (Rust)",
    params: {
        verbose: int = VERBOSE, 0o644, "Log every call when non-zero";
    },
    exports: [square],
    init: init,
    exit: exit,
}

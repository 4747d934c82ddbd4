//! test_square: calls `square()` from the square module, in Rust.

use std::sync::atomic::{AtomicI32, Ordering};

use sim_module::pr_info;

extern "C" {
    // Provided by the square module; resolved when the sim kernel loads us.
    fn square(x: i32) -> i32;
}

static NUM: AtomicI32 = AtomicI32::new(7);

fn init() -> Result<(), i32> {
    let n = NUM.load(Ordering::Relaxed);
    // SAFETY: the sim kernel only loads this module once a module exporting
    // `square` (with this signature) is loaded.
    let r = unsafe { square(n) };
    pr_info!("test_square: square({n}) = {r}");
    Ok(())
}

fn exit() {
    pr_info!("test_square: unloaded");
}

sim_module::module! {
    name: "test_square",
    license: "GPL",
    author: "rkmod developers",
    description: "Calls square() from the square module (Rust)",
    softdep: "pre: khello",
    params: {
        num: int = NUM, 0o444, "The number to square";
    },
    init: init,
    exit: exit,
}

//! rust_cube as a sim module: the very logic the kernel module runs
//! (testdata/kmod-src/cube_logic.rs), here behind the sim kernel's module
//! interface instead of the C shim. Exports `cube()`, calls `square()`.

use std::sync::atomic::{AtomicI32, Ordering};

use sim_module::param::CharP;
use sim_module::pr_info;

#[path = "../../../../kmod-src/cube_logic.rs"]
mod logic;

extern "C" {
    // Provided by the square module; resolved when the sim kernel loads us.
    fn square(x: i32) -> i32;
}

static FACTOR: AtomicI32 = AtomicI32::new(3);
static LABEL: CharP = CharP::new(c"rust");

/// x³ through square(), for test_cube.
#[no_mangle]
pub extern "C" fn cube(x: i32) -> i32 {
    // SAFETY: the sim kernel loads this module only once a module exporting
    // `square` (with this signature) is loaded.
    logic::cube(x, |v| unsafe { square(v) })
}

fn init() -> Result<(), i32> {
    let factor = FACTOR.load(Ordering::Relaxed);
    let label = LABEL
        .get()
        .map_or_else(|| "(null)".into(), |l| l.to_string_lossy().into_owned());
    pr_info!(
        "rust_cube: loaded, label={label} factor={factor}: cube({factor}) = {}",
        cube(factor)
    );
    Ok(())
}

fn exit() {
    pr_info!("rust_cube: unloaded");
}

sim_module::module! {
    name: "rust_cube",
    license: "GPL",
    author: "rkmod developers",
    description: "Exports cube(), written in Rust, built on square()",
    params: {
        factor: int = FACTOR, 0o444, "The number cubed at load";
        label: charp = LABEL, 0o444, "A name the Rust code logs at load";
    },
    exports: [cube],
    init: init,
    exit: exit,
}

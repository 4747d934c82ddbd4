//! khello: the hello-world sim module, in Rust. mod_hello logs `msg`.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicI32, Ordering};

use sim_module::param::{CharP, ParamString};
use sim_module::pr_info;

static MSG: CharP = CharP::new(c"hello from khello");
static IO: AtomicI32 = AtomicI32::new(1);
static TAG: ParamString<8> = ParamString::new("none");

/// `io` accepts 0..4 only (a module_param_cb-style setter).
unsafe extern "C" fn io_check(
    _val: *const c_char,
    parsed: *const c_void,
    _arg: *mut c_void,
) -> c_int {
    // SAFETY: the sim kernel passes a parsed int for an int parameter.
    let v = unsafe { sim_module::param::parsed_int(parsed) };
    if (0..5).contains(&v) {
        0
    } else {
        -22
    }
}

fn msg() -> String {
    MSG.get()
        .map_or_else(|| "(null)".into(), |m| m.to_string_lossy().into_owned())
}

fn init() -> Result<(), i32> {
    pr_info!(
        "khello: loaded, msg=\"{}\" io={} tag={}",
        msg(),
        IO.load(Ordering::Relaxed),
        TAG.get()
    );
    Ok(())
}

fn exit() {
    pr_info!("khello: unloaded");
}

fn hello() {
    pr_info!("khello: {}", msg());
}

sim_module::module! {
    name: "khello",
    license: "GPL",
    author: "rkmod developers",
    description: "Hello-world sim module (Rust)",
    version: "1.0",
    alias: "sim:khello",
    params: {
        msg: charp = MSG, 0o644, "Message mod_hello prints";
        io: int = IO, 0o644, "An io level, 0..4", check = io_check;
        tag: string = TAG, 0o644, "A tag of up to 7 characters";
    },
    init: init,
    exit: exit,
    hello: hello,
}

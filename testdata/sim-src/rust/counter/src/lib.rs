//! counter: a kthread increments `count` (parameters/count), in Rust.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use sim_module::pr_info;

static COUNT: AtomicU64 = AtomicU64::new(0);
static PERIOD_MS: AtomicI32 = AtomicI32::new(50);

fn init() -> Result<(), i32> {
    let period = PERIOD_MS.load(Ordering::Relaxed).max(1) as u32;
    sim_module::kthread_run("counter", move || {
        while !sim_module::kthread_should_stop() {
            COUNT.fetch_add(1, Ordering::Relaxed);
            sim_module::msleep(period);
        }
    })?;
    pr_info!("counter: counting every {period} ms");
    Ok(())
}

fn exit() {
    pr_info!("counter: stopped at {}", COUNT.load(Ordering::Relaxed));
}

fn hello() {
    pr_info!("counter: count={}", COUNT.load(Ordering::Relaxed));
}

sim_module::module! {
    name: "counter",
    license: "GPL",
    author: "rkmod developers",
    description: "Counts in a thread of its own (Rust)",
    params: {
        count: ulong = COUNT, 0o444, "Ticks counted so far";
        period_ms: int = PERIOD_MS, 0o444, "Milliseconds between ticks";
    },
    init: init,
    exit: exit,
    hello: hello,
}

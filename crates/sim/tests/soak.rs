//! Soak: many load/unload cycles with crashes of every kind interleaved.
//! The daemon (in this process) must keep its memory and descriptors flat,
//! leave no zombie, and the independent counter must keep counting in the
//! same host process. `SIM_SOAK_CYCLES` sets the cycle count (default 1000).

mod common;

use std::time::{Duration, Instant};

use common::*;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// (children, zombies) of this process.
fn children() -> (usize, usize) {
    let me = std::process::id().to_string();
    let (mut kids, mut zombies) = (0, 0);
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces; split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().unwrap_or("");
        if f.next() == Some(me.as_str()) {
            kids += 1;
            if state == "Z" {
                zombies += 1;
            }
        }
    }
    (kids, zombies)
}

/// Wait for transient descriptors and threads (host readers finishing) to
/// settle back to `fd_base` / `thread_base`.
fn settle(fd_base: usize, thread_base: usize) {
    wait_for(Duration::from_secs(3), || {
        fds() <= fd_base && threads() <= thread_base
    });
}

#[test]
fn soak_load_unload_with_crashes() {
    let cycles: usize = std::env::var("SIM_SOAK_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let sim = Sim::with(modules("c"), |c| {
        c.hello_interval = Duration::from_millis(100);
    });
    sim.insert("counter", "").unwrap();
    let counter_pid = sim.client.list().unwrap()[0].host_pid;

    let mut crashes = 0u64;
    let mut cycle = |i: usize| {
        match i % 100 {
            7 | 57 => {
                let e = sim.insert("crasher", "mode=init").unwrap_err();
                assert_eq!(e.errno, EFAULT);
                crashes += 1;
            }
            17 | 67 => {
                let e = sim.insert("crasher", "mode=abort").unwrap_err();
                assert_eq!(e.errno, EFAULT);
                crashes += 1;
            }
            27 => {
                // The thread may crash before init even returns.
                if sim.insert("crasher", "mode=thread delay_ms=5").is_ok() {
                    sim.insert("crasher_user", "").ok(); // may already be gone
                }
                assert!(wait_for(Duration::from_secs(5), || sim.names() == ["counter"]));
                crashes += 1;
            }
            37 => {
                sim.insert("crasher", "mode=hello").unwrap();
                assert!(wait_for(Duration::from_secs(5), || sim.names() == ["counter"]));
                crashes += 1;
            }
            47 => {
                sim.insert("crasher", "mode=fail").unwrap_err();
            }
            n if n % 10 == 5 => {
                sim.insert("square", "").unwrap();
                sim.insert("test_square", &format!("num={i}")).unwrap();
                sim.remove("test_square").unwrap();
                sim.remove("square").unwrap();
            }
            _ => {
                sim.insert("khello", &format!("msg=cycle{i} io={}", i % 5))
                    .unwrap();
                sim.remove("khello").unwrap();
            }
        }
        assert_eq!(sim.names(), ["counter"], "cycle {i}");
    };

    // Warm up: allocator arenas, thread stacks, log buffers reach their size.
    for i in 0..100.min(cycles) {
        cycle(i);
    }
    settle(usize::MAX, usize::MAX);
    let (fd0, th0, rss0) = (fds(), threads(), rss_kib());
    let start = Instant::now();
    let mut rss_half = rss0;
    for i in 0..cycles {
        cycle(i);
        if i == cycles / 2 {
            rss_half = rss_kib();
        }
    }
    let elapsed = start.elapsed();
    settle(fd0, th0);
    let (fd1, th1, rss1) = (fds(), threads(), rss_kib());
    let (kids, zombies) = children();
    let status = sim.client.status().unwrap();
    println!(
        "soak: {cycles} cycles in {:.1} s ({crashes} crashes), daemon RSS {rss0} -> {rss_half} -> {rss1} KiB \
         (start, half-way, end; the log keeps its last 4096 lines in memory), \
         fds {fd0} -> {fd1}, threads {th0} -> {th1}, children {kids}, zombies {zombies}, \
         host crashes counted {}",
        elapsed.as_secs_f64(),
        status.crashes
    );
    assert_eq!(zombies, 0, "zombie processes left");
    assert_eq!(kids, 1, "only the counter's host should remain");
    assert_eq!(fd1, fd0, "descriptors leaked");
    assert_eq!(th1, th0, "threads leaked");
    assert!(
        rss1 <= rss0 + 4096,
        "RSS grew by more than 4 MiB: {rss0} -> {rss1} KiB"
    );
    assert!(
        rss1 <= rss_half + 1024,
        "RSS still growing in the second half: {rss_half} -> {rss1} KiB"
    );
    assert_eq!(sim.client.list().unwrap()[0].host_pid, counter_pid);
    assert!(sim.counter_advances(), "the counter stopped");
}

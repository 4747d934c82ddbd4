//! Crash isolation seen through the tools: modules that segfault (in a
//! thread of their own, in init, in `mod_hello`), abort or hang are taken
//! out and logged with their name and signal, while the daemon keeps
//! serving and an independent module (counter) keeps counting.

mod simkit;

use std::time::{Duration, Instant};

use simkit::{wait_for, Sim};

fn count(sim: &Sim) -> u64 {
    sim.param("counter", "count")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// counter is loaded and still counting.
fn counter_runs(sim: &Sim) -> bool {
    let before = count(sim);
    sim.loaded("counter") && wait_for(Duration::from_secs(3), || count(sim) > before)
}

fn crashes(sim: &Sim, module: &str, signal: &str) -> usize {
    sim.log()
        .matches(&format!("{module}: crashed: signal {signal}"))
        .count()
}

/// The classic scenario, repeated: a module whose thread dereferences NULL
/// three seconds after load is loaded, crashes and is unloaded; loaded
/// again; removed by rrmmod before it crashes. The daemon serves
/// throughout, counter keeps counting.
#[test]
fn null_dereference_in_a_thread_three_seconds_after_load() {
    let sim = Sim::start();
    sim.tool("rinsmod", &[&sim.module("counter")]).ok();
    let crasher = sim.module("crasher");
    for round in 1..=2 {
        sim.tool("rinsmod", &[&crasher]).ok();
        let loaded_at = Instant::now();
        let ls = sim.tool("rlsmod", &[]).ok();
        assert!(ls.lines().any(|l| l.starts_with("crasher ")), "{ls}");

        assert!(
            wait_for(Duration::from_secs(8), || crashes(
                &sim,
                "crasher",
                "11 (SIGSEGV)"
            ) == round),
            "round {round}: no crash logged:\n{}",
            sim.log()
        );
        let after = loaded_at.elapsed();
        assert!(
            after >= Duration::from_millis(2500),
            "crashed after {after:?}, not three seconds"
        );
        assert!(wait_for(Duration::from_secs(2), || !sim.loaded("crasher")));
        assert!(!sim.dir.join("sys/module/crasher").exists());
        let ls = sim.tool("rlsmod", &[]).ok();
        assert!(!ls.contains("crasher"), "{ls}");
        assert!(sim.alive(), "round {round}: daemon gone");
        assert!(counter_runs(&sim), "round {round}: counter stopped");

        // Again, and out before the thread fires.
        sim.tool("rinsmod", &[&crasher]).ok();
        assert!(sim.loaded("crasher"));
        sim.tool("rrmmod", &["crasher"]).ok();
        assert!(!sim.loaded("crasher"));
        assert!(sim.alive());
    }
    // The removed one never crashed: the thread was stopped in time.
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(crashes(&sim, "crasher", "11 (SIGSEGV)"), 2, "{}", sim.log());
    assert!(counter_runs(&sim));
}

#[test]
fn crash_in_init_fails_the_load_only() {
    let sim = Sim::start();
    sim.tool("rinsmod", &[&sim.module("counter")]).ok();
    let crasher = sim.module("crasher");
    let r = sim.tool("rinsmod", &[&crasher, "mode=init"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "rinsmod: ERROR: could not insert module {crasher}: Bad address\n"
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("crashed while loading"), "{}", r.stderr);
    assert_eq!(crashes(&sim, "crasher", "11 (SIGSEGV)"), 1, "{}", sim.log());
    assert!(!sim.loaded("crasher"));
    assert!(sim.alive() && counter_runs(&sim));
    // Nothing is left behind: it loads again.
    sim.tool("rinsmod", &[&crasher, "mode=none"]).ok();
    sim.tool("rrmmod", &["crasher"]).ok();
}

#[test]
fn abort_and_hang_in_init() {
    let sim = Sim::start();
    sim.tool("rinsmod", &[&sim.module("counter")]).ok();
    let crasher = sim.module("crasher");

    let r = sim.tool("rinsmod", &[&crasher, "mode=abort"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(crashes(&sim, "crasher", "6 (SIGABRT)"), 1, "{}", sim.log());

    // The daemon was started with --init-timeout 3.
    let started = Instant::now();
    let r = sim.tool("rinsmod", &[&crasher, "mode=hang"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains(": Connection timed out\n"),
        "{}",
        r.stderr
    );
    assert!(started.elapsed() >= Duration::from_millis(2500));
    assert!(
        sim.log().contains("crasher: module_init did not return"),
        "{}",
        sim.log()
    );
    assert!(!sim.loaded("crasher"));
    assert!(sim.alive() && counter_runs(&sim));
}

#[test]
fn users_of_a_crashed_module_go_with_it() {
    let sim = Sim::start();
    sim.tool("rinsmod", &[&sim.module("counter")]).ok();
    sim.tool("rdepmod", &[]).ok();
    sim.tool("rinsmod", &[&sim.module("crasher"), "delay_ms=800"])
        .ok();
    // rmodprobe finds crasher already there and adds its user.
    sim.tool("rmodprobe", &["crasher_user"]).ok();
    let ls = sim.tool("rlsmod", &[]).ok();
    let line = ls.lines().find(|l| l.starts_with("crasher ")).unwrap();
    assert!(line.ends_with(" 1 crasher_user"), "{line}");
    assert!(wait_for(Duration::from_secs(5), || !sim.loaded("crasher")
        && !sim.loaded("crasher_user")));
    assert!(
        sim.log()
            .contains("crasher_user: removed: its host process"),
        "{}",
        sim.log()
    );
    assert!(sim.alive() && counter_runs(&sim));
}

#[test]
fn crash_in_mod_hello() {
    let sim = Sim::start();
    sim.tool("rinsmod", &[&sim.module("counter")]).ok();
    sim.tool("rinsmod", &[&sim.module("crasher"), "mode=hello"])
        .ok();
    assert!(wait_for(Duration::from_secs(5), || crashes(
        &sim,
        "crasher",
        "11 (SIGSEGV)"
    ) == 1));
    assert!(wait_for(Duration::from_secs(2), || !sim.loaded("crasher")));
    assert!(sim.alive() && counter_runs(&sim));
}

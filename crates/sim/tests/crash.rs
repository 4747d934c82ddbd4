//! Crash isolation: a module that segfaults (in init, in a thread later,
//! in mod_hello), aborts or hangs is removed and reported, with the signal;
//! its dependents go with it; an independent counter keeps counting; the
//! daemon keeps serving.

mod common;

use std::time::Duration;

use common::*;

/// A daemon with an independent counter and the crasher plus a dependent,
/// loaded with `crasher_params`. Returns None when the crasher's load
/// failed (crash in init), with its error.
fn scenario(crasher_params: &str) -> (Sim, Result<String, sim::Error>) {
    let sim = Sim::start();
    sim.insert("counter", "period_ms=10").unwrap();
    assert!(sim.counter_advances());
    let r = sim.insert("crasher", crasher_params);
    (sim, r)
}

/// After the crash: the counter still counts in the same host process,
/// nothing of the crasher is left, the daemon answers.
fn check_survivors(sim: &Sim, counter_pid: u32) {
    assert!(
        wait_for(Duration::from_secs(5), || sim.names() == ["counter"]),
        "{:?}",
        sim.names()
    );
    let list = sim.client.list().unwrap();
    assert_eq!(list[0].host_pid, counter_pid, "counter kept its host");
    assert!(sim.counter_advances(), "counter stopped counting");
    assert!(sim.sys("crasher").is_none() && sim.sys("crasher_user").is_none());
    assert!(!sim.proc_modules().contains("crasher"));
    // The daemon still loads and unloads.
    sim.insert("khello", "").unwrap();
    sim.remove("khello").unwrap();
    assert!(sim.client.status().unwrap().crashes >= 1);
}

fn counter_pid(sim: &Sim) -> u32 {
    sim.client
        .list()
        .unwrap()
        .into_iter()
        .find(|m| m.name == "counter")
        .unwrap()
        .host_pid
}

#[test]
fn segfault_in_init() {
    let (sim, r) = scenario("mode=init");
    let pid = counter_pid(&sim);
    let e = r.unwrap_err();
    assert_eq!(e.errno, EFAULT, "{e}");
    let log = sim.log();
    assert!(
        log.contains("crasher: crashed: signal 11 (SIGSEGV) at address 0x0"),
        "{log}"
    );
    assert!(log.contains("BUG: NULL pointer dereference, address: 0000000000000000"));
    assert!(log.contains("crasher: removed: its host process"));
    check_survivors(&sim, pid);
}

#[test]
fn abort_in_init() {
    let (sim, r) = scenario("mode=abort");
    let pid = counter_pid(&sim);
    assert_eq!(r.unwrap_err().errno, EFAULT);
    let log = sim.log();
    assert!(
        log.contains("crasher: crashed: signal 6 (SIGABRT)"),
        "{log}"
    );
    check_survivors(&sim, pid);
}

#[test]
fn hang_in_init_times_out() {
    let (sim, r) = scenario("mode=hang");
    let pid = counter_pid(&sim);
    assert_eq!(r.unwrap_err().errno, ETIMEDOUT);
    let log = sim.log();
    assert!(
        log.contains("crasher: module_init did not return within 2 s; killed its host process"),
        "{log}"
    );
    assert!(
        log.contains("crasher: removed: its host process") && log.contains("signal 9 (SIGKILL)")
    );
    check_survivors(&sim, pid);
}

#[test]
fn segfault_in_a_thread_later_takes_dependents_along() {
    let (sim, r) = scenario("mode=thread delay_ms=300");
    let pid = counter_pid(&sim);
    r.unwrap();
    sim.insert("crasher_user", "").unwrap();
    assert!(sim.log().contains("crasher_user: crasher_ping() = 42"));
    assert!(
        sim.wait_log("crasher: removed", Duration::from_secs(5)),
        "{}",
        sim.log()
    );
    let log = sim.log();
    assert!(
        log.contains("crasher: crashed: signal 11 (SIGSEGV) at address 0x0 in thread \"crasher\""),
        "{log}"
    );
    assert!(log.contains("crasher: removed"));
    check_survivors(&sim, pid);
}

#[test]
fn segfault_in_mod_hello() {
    let (sim, r) = scenario("mode=hello");
    let pid = counter_pid(&sim);
    r.unwrap();
    assert!(
        sim.wait_log("crasher: removed", Duration::from_secs(5)),
        "{}",
        sim.log()
    );
    assert!(sim.log().contains("crasher: crashed: signal 11 (SIGSEGV)"));
    check_survivors(&sim, pid);
}

#[test]
fn a_dependent_crashing_in_init_takes_its_host_group() {
    // The honest limit of the model: a dependent shares its providers'
    // process, so its crash ends them too; other groups are untouched.
    let sim = Sim::start();
    sim.insert("counter", "").unwrap();
    let pid = counter_pid(&sim);
    sim.insert("crasher", "mode=none").unwrap();
    let e = sim.insert("crasher_user", "crash").unwrap_err();
    assert_eq!(e.errno, EFAULT);
    let log = sim.log();
    assert!(
        log.contains("crasher_user: crashed: signal 11 (SIGSEGV) at address 0x0"),
        "{log}"
    );
    assert!(
        log.contains("crasher_user: removed") && log.contains("crasher: removed"),
        "{log}"
    );
    check_survivors(&sim, pid);
}

/// The classic: a thread dereferences NULL three seconds after load;
/// loaded, crashed and removed, loaded again, removed by rmmod in time;
/// twice over; the daemon alive throughout.
#[test]
fn classic_null_thread_scenario_on_repeat() {
    let sim = Sim::start();
    sim.insert("counter", "").unwrap();
    let pid = counter_pid(&sim);
    for round in 0..2 {
        sim.insert("crasher", "").unwrap(); // mode=thread, delay_ms=3000
        assert!(sim.names().contains(&"crasher".to_string()));
        assert!(
            wait_for(Duration::from_secs(6), || !sim
                .names()
                .contains(&"crasher".to_string())),
            "round {round}: crasher not removed after its crash"
        );
        assert!(
            sim.log()
                .matches("crasher: crashed: signal 11 (SIGSEGV)")
                .count()
                > round
        );
        sim.insert("crasher", "").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        sim.remove("crasher").unwrap(); // before the 3 s are up: no crash
        assert_eq!(sim.names(), ["counter"]);
        assert_eq!(counter_pid(&sim), pid);
        assert!(sim.counter_advances());
    }
    assert_eq!(sim.client.status().unwrap().crashes, 2);
}

/// A host killed from outside is cleaned up like a crash.
#[test]
fn daemon_survives_a_killed_host() {
    let sim = Sim::start();
    sim.insert("counter", "").unwrap();
    sim.insert("khello", "").unwrap();
    let list = sim.client.list().unwrap();
    let khello = list.iter().find(|m| m.name == "khello").unwrap().host_pid;
    // Someone kills the host from outside.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(khello as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert!(
        sim.wait_log("khello: removed", Duration::from_secs(5)),
        "{}",
        sim.log()
    );
    assert!(sim.log().contains("died: signal 9 (SIGKILL)"));
    assert!(sim.counter_advances());
    sim.insert("khello", "").unwrap();
}

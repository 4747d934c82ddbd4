//! Loading and unloading: parameters, symbol links, refcounts, the state
//! files, and every way a load is refused.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn khello_loads_with_parameters_and_unloads() {
    let sim = Sim::start();
    assert_eq!(
        sim.insert("khello", r#"msg="hi there" io=3"#).unwrap(),
        "khello"
    );
    assert_eq!(sim.names(), ["khello"]);
    assert_eq!(sim.proc_modules().lines().count(), 1);
    assert!(sim.proc_modules().starts_with("khello "));
    assert!(sim
        .proc_modules()
        .ends_with(" 0 - Live 0x0000000000000000\n"));
    assert_eq!(sim.param("khello", "msg").as_deref(), Some("hi there"));
    assert_eq!(sim.param("khello", "io").as_deref(), Some("3"));
    assert_eq!(sim.sys("khello/initstate").as_deref(), Some("live\n"));
    assert_eq!(sim.sys("khello/refcnt").as_deref(), Some("0\n"));
    assert!(sim
        .log()
        .contains("khello: loaded, msg=\"hi there\" io=3 tag=none"));
    // mod_hello runs on the ticker and logs msg.
    assert!(sim.wait_log("] khello: hi there\n", Duration::from_secs(3)));
    sim.remove("khello").unwrap();
    assert!(sim.names().is_empty());
    assert_eq!(sim.proc_modules(), "");
    assert!(sim.sys("khello").is_none());
    assert!(sim.log().contains("khello: unloaded"));
}

#[test]
fn dependencies_share_a_host_and_count_as_holders() {
    let sim = Sim::start();
    sim.insert("square", "").unwrap();
    sim.insert("test_square", "num=12").unwrap();
    assert!(sim.log().contains("test_square: square(12) = 144"));
    let proc = sim.proc_modules();
    let lines: Vec<&str> = proc.lines().collect();
    assert!(
        lines[0].starts_with("test_square ") && lines[0].contains(" 0 - Live "),
        "{proc}"
    );
    assert!(
        lines[1].starts_with("square ") && lines[1].contains(" 1 test_square, Live "),
        "{proc}"
    );
    assert_eq!(sim.sys("square/refcnt").as_deref(), Some("1\n"));
    let link = std::fs::read_link(sim.state.join("sys/module/square/holders/test_square")).unwrap();
    assert_eq!(link, std::path::Path::new("../../test_square"));
    let list = sim.client.list().unwrap();
    assert_eq!(list[0].host_pid, list[1].host_pid);
    assert_eq!(list[0].uses, ["square"]);
    // In use: refused, even forced (holders block as in the kernel).
    let e = sim.remove("square").unwrap_err();
    assert_eq!(e.errno, EWOULDBLOCK);
    assert_eq!(
        sim.client.remove("square", true).unwrap_err().errno,
        EWOULDBLOCK
    );
    sim.remove("test_square").unwrap();
    assert_eq!(sim.sys("square/refcnt").as_deref(), Some("0\n"));
    sim.remove("square").unwrap();
    assert!(sim.names().is_empty());
}

#[test]
fn independent_modules_get_their_own_hosts() {
    let sim = Sim::start();
    sim.insert("khello", "").unwrap();
    sim.insert("square", "").unwrap();
    let list = sim.client.list().unwrap();
    assert_ne!(list[0].host_pid, list[1].host_pid);
    assert_eq!(sim.client.status().unwrap().hosts.len(), 2);
}

#[test]
fn unknown_symbol_is_refused_with_the_kernels_log_line() {
    let sim = Sim::start();
    let e = sim.insert("test_square", "").unwrap_err();
    assert_eq!(e.errno, ENOENT);
    assert!(sim
        .log()
        .contains("test_square: Unknown symbol square (err -2)"));
    let e = sim.insert("unresolved", "").unwrap_err();
    assert_eq!(e.errno, ENOENT);
    assert!(sim
        .log()
        .contains("unresolved: Unknown symbol nobody_exports_this (err -2)"));
    assert!(sim.names().is_empty());
    assert_eq!(sim.proc_modules(), "");
}

#[test]
fn gpl_only_symbols_are_unknown_to_proprietary_modules() {
    let sim = Sim::start();
    sim.insert("crasher", "mode=none").unwrap();
    sim.insert("crasher_user", "").unwrap();
    let e = sim.insert("gpl_thief", "").unwrap_err();
    assert_eq!(e.errno, ENOENT);
    let log = sim.log();
    assert!(log.contains("gpl_thief: module license 'Proprietary' taints kernel."));
    assert!(log.contains("gpl_thief: Unknown symbol crasher_ping (err -2)"));
    assert_eq!(sim.names(), ["crasher_user", "crasher"]);
}

#[test]
fn bad_parameters_are_refused_before_init() {
    let sim = Sim::start();
    let e = sim.insert("khello", "nope=1").unwrap_err();
    assert_eq!(e.errno, ENOENT);
    assert!(sim.log().contains("khello: Unknown parameter `nope'"));
    let e = sim.insert("khello", "io=abc").unwrap_err();
    assert_eq!(e.errno, EINVAL);
    assert!(sim
        .log()
        .contains("khello: `abc' invalid for parameter `io'"));
    // The module's own check refuses 5.
    let e = sim.insert("khello", "io=5").unwrap_err();
    assert_eq!(e.errno, EINVAL);
    assert!(sim.log().contains("khello: `5' invalid for parameter `io'"));
    assert!(!sim.log().contains("khello: loaded"), "init must not run");
    assert!(sim.names().is_empty());
    // A string parameter must fit its buffer.
    let e = sim.insert("khello", "tag=toolongtag").unwrap_err();
    assert_eq!(e.errno, 28); // ENOSPC
    assert!(sim.log().contains("tag: string doesn't fit in 7 chars."));
    assert!(sim
        .log()
        .contains("khello: `toolongtag' too large for parameter `tag'"));
    sim.insert("khello", "tag=abcdefg").unwrap();
    assert_eq!(sim.param("khello", "tag").as_deref(), Some("abcdefg"));
    sim.remove("khello").unwrap();
    // Dashes match underscores; the last value wins.
    sim.insert("counter", "period-ms=7 period_ms=9").unwrap();
    assert_eq!(sim.param("counter", "period_ms").as_deref(), Some("9"));
}

#[test]
fn failing_init_reports_its_errno_and_unloads() {
    let sim = Sim::start();
    let e = sim.insert("crasher", "mode=fail").unwrap_err();
    assert_eq!(e.errno, ENODEV);
    let e = sim.insert("crasher", "mode=fail err=13").unwrap_err();
    assert_eq!(e.errno, 13);
    assert!(sim.names().is_empty());
    assert_eq!(sim.client.status().unwrap().hosts.len(), 0);
    // Not a crash.
    assert_eq!(sim.client.status().unwrap().crashes, 0);
}

#[test]
fn loading_twice_is_eexist() {
    let sim = Sim::start();
    sim.insert("khello", "").unwrap();
    assert_eq!(sim.insert("khello", "").unwrap_err().errno, EEXIST);
}

#[test]
fn removing_what_is_not_loaded_is_enoent() {
    let sim = Sim::start();
    assert_eq!(sim.remove("khello").unwrap_err().errno, ENOENT);
}

#[test]
fn permanent_modules_need_force() {
    let sim = Sim::start();
    sim.insert("permanent", "").unwrap();
    assert!(sim.proc_modules().contains("Live 0x0000000000000000 (P)"));
    assert_eq!(sim.remove("permanent").unwrap_err().errno, EBUSY);
    sim.client.remove("permanent", true).unwrap();
    assert!(sim.names().is_empty());
}

#[test]
fn paths_outside_the_tree_are_refused_unless_allowed() {
    let sim = Sim::start();
    let outside = sim.dir.0.join("khello.so");
    std::fs::copy(sim.path("khello"), &outside).unwrap();
    let e = sim
        .client
        .insert(&outside, "", Default::default())
        .unwrap_err();
    assert_eq!(e.errno, EPERM);
    // A symlink into the tree from outside is fine; one out of it is not.
    let link = sim.root.join("extra/.link-out.so");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let e = sim
        .client
        .insert(&link, "", Default::default())
        .unwrap_err();
    let _ = std::fs::remove_file(&link);
    assert_eq!(e.errno, EPERM);
    drop(sim);

    let sim = Sim::with(modules("c"), |c| c.allow_outside_tree = true);
    let outside = sim.dir.0.join("khello.so");
    std::fs::copy(sim.path("khello"), &outside).unwrap();
    sim.client.insert(&outside, "", Default::default()).unwrap();
}

#[test]
fn vermagic_must_match_the_release() {
    let sim = Sim::with(modules("c"), |c| c.release = "9.9.9-other".into());
    let e = sim.insert("khello", "").unwrap_err();
    assert_eq!(e.errno, ENOEXEC);
    assert!(sim
        .log()
        .contains("khello: version magic '6.1.0-sim SMP mod_unload sim' should be '9.9.9-other SMP mod_unload sim'"));
    let flags = sim::InsertFlags {
        ignore_vermagic: true,
        ..Default::default()
    };
    sim.client.insert(&sim.path("khello"), "", flags).unwrap();
}

#[test]
fn parameters_can_be_set_at_run_time() {
    let sim = Sim::start();
    sim.insert("khello", "").unwrap();
    sim.client.set_param("khello", "io", "4").unwrap();
    assert_eq!(sim.param("khello", "io").as_deref(), Some("4"));
    assert_eq!(
        sim.client.set_param("khello", "io", "7").unwrap_err().errno,
        EINVAL
    );
    assert_eq!(sim.param("khello", "io").as_deref(), Some("4"));
    sim.client.set_param("khello", "msg", "changed").unwrap();
    assert!(sim.wait_log("] khello: changed\n", Duration::from_secs(3)));
    sim.insert("counter", "").unwrap();
    // 0444: read-only.
    assert_eq!(
        sim.client
            .set_param("counter", "count", "1")
            .unwrap_err()
            .errno,
        EPERM
    );
}

#[test]
fn not_a_module_is_enoexec() {
    let sim = Sim::with(modules("c"), |c| c.allow_outside_tree = true);
    let junk = sim.dir.0.join("junk.so");
    std::fs::write(&junk, b"\x7fELF not really").unwrap();
    assert_eq!(
        sim.client
            .insert(&junk, "", Default::default())
            .unwrap_err()
            .errno,
        ENOEXEC
    );
    // A real shared object that is no sim module.
    let libc_so = std::path::Path::new("/lib/x86_64-linux-gnu/libz.so.1");
    if libc_so.exists() {
        let e = sim
            .client
            .insert(libc_so, "", Default::default())
            .unwrap_err();
        assert_eq!(e.errno, ENOEXEC, "{e}");
    }
    assert!(sim.names().is_empty());
}

#[test]
fn rust_modules_load_and_link_with_c_ones() {
    let sim = Sim::with(modules("rust"), |_| {});
    sim.insert("khello", "msg=from-rust io=2").unwrap();
    assert!(sim
        .log()
        .contains("khello: loaded, msg=\"from-rust\" io=2 tag=none"));
    assert_eq!(sim.insert("khello", "io=9").unwrap_err().errno, EEXIST);
    sim.remove("khello").unwrap();
    assert_eq!(sim.insert("khello", "io=9").unwrap_err().errno, EINVAL);
    assert!(sim.log().contains("khello: `9' invalid for parameter `io'"));
    assert_eq!(sim.insert("khello", "tag=12345678").unwrap_err().errno, 28);
    sim.insert("khello", "tag=rusty").unwrap();
    assert_eq!(sim.param("khello", "tag").as_deref(), Some("rusty"));
    assert!(sim.log().contains("tag=rusty"));
    sim.remove("khello").unwrap();
    sim.insert("square", "verbose=1").unwrap();
    sim.insert("test_square", "num=5").unwrap();
    assert!(sim.log().contains("square: square(5)"));
    assert!(sim.log().contains("test_square: square(5) = 25"));
    sim.insert("counter", "").unwrap();
    assert!(sim.counter_advances());
    sim.remove("counter").unwrap();
    sim.remove("test_square").unwrap();
    sim.remove("square").unwrap();
    // A C module using the Rust module's export.
    sim.insert("square", "").unwrap();
    let c_test_square = modules("c").join("extra/test_square.so");
    let sim2 = Sim::with(modules("rust"), |c| c.allow_outside_tree = true);
    sim2.insert("square", "").unwrap();
    sim2.client
        .insert(&c_test_square, "num=3", Default::default())
        .unwrap();
    assert!(sim2.log().contains("test_square: square(3) = 9"));
}

#[test]
fn log_is_served_to_clients() {
    let sim = Sim::start();
    sim.insert("khello", "msg=x").unwrap();
    let page = sim.client.log(0).unwrap();
    assert!(page
        .entries
        .iter()
        .any(|e| e.text == "khello: loaded, msg=\"x\" io=1 tag=none"));
    let later = sim.client.log(page.next).unwrap();
    assert!(later.entries.iter().all(|e| e.seq >= page.next));
    let status = sim.client.status().unwrap();
    assert_eq!(status.modules, 1);
    assert_eq!(status.release, sim_module::SIM_RELEASE);
}

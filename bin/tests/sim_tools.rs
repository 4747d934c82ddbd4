//! The tools in test mode: rinsmod, rrmmod, rlsmod, rmodprobe, rmodinfo
//! and rdepmod driven against a sim kernel of their own (`--sim`,
//! `RKMOD_SIM`), with kmod's messages for the kernel's refusals.

mod simkit;

use simkit::{run, run_env, Sim, RELEASE};

/// rdepmod --sim, then rmodprobe test_square: square comes first, rlsmod
/// shows it used by test_square, rrmmod refuses it, rmodprobe -r takes
/// both out. With the C and the Rust builds.
fn probe_lsmod_remove(sim: &Sim) {
    assert_eq!(sim.tool("rdepmod", &[]).status, 0);
    sim.tool("rmodprobe", &["test_square"]).ok();
    assert!(sim.loaded("square") && sim.loaded("test_square"));
    let log = sim.log();
    let (sq, ts) = (
        log.find("square: loaded").expect("square loaded"),
        log.find("test_square: square(")
            .expect("test_square loaded"),
    );
    assert!(sq < ts, "square must load before test_square:\n{log}");

    let ls = sim.tool("rlsmod", &[]).ok();
    assert!(
        ls.starts_with("Module                  Size  Used by\n"),
        "{ls}"
    );
    let square = ls
        .lines()
        .find(|l| l.starts_with("square "))
        .expect("square listed");
    let cols: Vec<&str> = square.split_whitespace().collect();
    assert_eq!(cols[2..], ["1", "test_square"], "{square}");
    assert!(ls.lines().any(|l| l.starts_with("test_square ")), "{ls}");

    let r = sim.tool("rrmmod", &["square"]);
    assert_eq!(r.status, 1);
    assert_eq!(
        r.stderr,
        "rrmmod: ERROR: Module square is in use by: test_square\n"
    );
    assert!(sim.loaded("square"));

    sim.tool("rmodprobe", &["-r", "test_square"]).ok();
    assert!(!sim.loaded("test_square") && !sim.loaded("square"));
    assert!(sim.alive());
}

#[test]
fn modprobe_lsmod_rmmod_c() {
    probe_lsmod_remove(&Sim::start());
}

#[test]
fn modprobe_lsmod_rmmod_rust() {
    probe_lsmod_remove(&Sim::with(simkit::modules("rust")));
}

#[test]
fn insmod_parameters_show_in_sys_module() {
    let sim = Sim::start();
    let khello = sim.module("khello");
    sim.tool("rinsmod", &[&khello, "msg=hi there", "io=3", "tag=x"])
        .ok();
    assert_eq!(sim.param("khello", "msg").as_deref(), Some("hi there"));
    assert_eq!(sim.param("khello", "io").as_deref(), Some("3"));
    assert_eq!(sim.param("khello", "tag").as_deref(), Some("x"));
    sim.tool("rrmmod", &["khello"]).ok();
    assert!(!sim.loaded("khello"));
}

#[test]
fn insmod_refusals_use_kmods_messages() {
    let sim = Sim::start();
    let khello = sim.module("khello");

    // A value the parameter's check refuses: EINVAL.
    let r = sim.tool("rinsmod", &[&khello, "io=9"]);
    assert_eq!(r.status, 1);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!("rinsmod: ERROR: could not insert module {khello}: Invalid parameters")
    );
    assert!(!sim.loaded("khello"));

    // Loaded twice: EEXIST.
    sim.tool("rinsmod", &[&khello]).ok();
    let r = sim.tool("rinsmod", &[&khello]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "rinsmod: ERROR: could not insert module {khello}: File exists\n"
        )),
        "{}",
        r.stderr
    );
    sim.tool("rdepmod", &[]).ok();
    let r = sim.tool("rmodprobe", &["--first-time", "khello"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr
            .contains("could not insert 'khello': Module already in kernel"),
        "{}",
        r.stderr
    );

    // An import nobody exports: ENOENT.
    let unresolved = sim.module("unresolved");
    let r = sim.tool("rinsmod", &[&unresolved]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "rinsmod: ERROR: could not insert module {unresolved}: Unknown symbol in module\n"
        )),
        "{}",
        r.stderr
    );
    // The daemon's words come as a hint, as dmesg would have them.
    assert!(r.stderr.contains("nobody_exports_this"), "{}", r.stderr);
    let r = sim.tool("rmodprobe", &["unresolved"]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with(
        "rmodprobe: ERROR: could not insert 'unresolved': Unknown symbol in module, or unknown parameter (see dmesg)\n"
    ), "{}", r.stderr);

    // An unknown parameter: ENOENT too, as the kernel answers.
    sim.tool("rrmmod", &["khello"]).ok();
    let r = sim.tool("rinsmod", &[&khello, "nosuch=1"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains(": Unknown symbol in module\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: khello: Unknown parameter `nosuch'"),
        "{}",
        r.stderr
    );

    // Removal of what is not loaded: kmod's check before the call.
    let r = sim.tool("rrmmod", &["khello"]);
    assert_eq!(r.status, 1);
    assert_eq!(
        r.stderr,
        "rrmmod: ERROR: Module khello is not currently loaded\n"
    );
    assert!(sim.alive());
}

#[test]
fn permanent_module_needs_force() {
    let sim = Sim::start();
    sim.tool("rinsmod", &[&sim.module("permanent")]).ok();
    let r = sim.tool("rrmmod", &["permanent"]);
    assert_eq!(r.status, 1);
    // libkmod's line, then rmmod's, as kmod prints them
    assert_eq!(
        r.stderr,
        "rrmmod: ERROR: could not remove 'permanent': Device or resource busy\n\
         rrmmod: ERROR: could not remove module permanent: Device or resource busy\n"
    );
    sim.tool("rrmmod", &["-f", "permanent"]).ok();
    assert!(!sim.loaded("permanent"));
}

#[test]
fn depmod_sim_computes_depends_for_shared_objects() {
    let sim = Sim::start();
    let r = sim.tool("rdepmod", &[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "", "a complete sim tree gives no warnings");
    let dep = std::fs::read_to_string(sim.tree.join("modules.dep")).unwrap();
    let line = |m: &str| {
        dep.lines()
            .find(|l| l.starts_with(&format!("extra/{m}.so:")))
            .unwrap_or_else(|| panic!("{m} missing from modules.dep:\n{dep}"))
            .to_string()
    };
    assert_eq!(line("test_square"), "extra/test_square.so: extra/square.so");
    assert_eq!(
        line("crasher_user"),
        "extra/crasher_user.so: extra/crasher.so"
    );
    assert_eq!(line("square"), "extra/square.so:");
    assert_eq!(line("khello"), "extra/khello.so:");
    assert_eq!(dep.lines().count(), 9, "{dep}");
    let alias = std::fs::read_to_string(sim.tree.join("modules.alias")).unwrap();
    assert!(alias.contains("alias sim:khello khello\n"), "{alias}");
    let symbols = std::fs::read_to_string(sim.tree.join("modules.symbols")).unwrap();
    assert!(
        symbols.contains("alias symbol:square square\n"),
        "{symbols}"
    );
    let softdep = std::fs::read_to_string(sim.tree.join("modules.softdep")).unwrap();
    assert!(
        softdep.contains("softdep test_square pre: khello"),
        "{softdep}"
    );

    // rmodprobe plans from those indexes.
    let plan = sim.tool("rmodprobe", &["-D", "test_square"]).ok();
    let sq = plan.find("extra/square.so").expect("square planned");
    let ts = plan
        .find("extra/test_square.so")
        .expect("test_square planned");
    assert!(sq < ts, "{plan}");
    // modprobe finds modules by exported symbol too.
    sim.tool("rmodprobe", &["symbol:square"]).ok();
    assert!(sim.loaded("square"));
}

#[test]
fn depmod_without_sim_keeps_kmods_ko_only_scan() {
    let sim = Sim::start();
    let r = run("rdepmod", &["-b", sim.dir.to_str().unwrap(), RELEASE]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let dep = std::fs::read_to_string(sim.tree.join("modules.dep")).unwrap();
    assert_eq!(dep, "", "kmod's depmod sees no .so modules");
}

#[test]
fn modinfo_reads_shared_objects() {
    let sim = Sim::start();
    let square = sim.module("square");

    // By path in test mode: no daemon needed for a file.
    let r = run("rmodinfo", &["--sim=/nonexistent/socket", &square]);
    let out = r.ok();
    assert!(
        out.starts_with(&format!("filename:       {square}\n")),
        "{out}"
    );
    assert!(
        out.contains("vermagic:       6.1.0-sim SMP mod_unload sim\n"),
        "{out}"
    );
    assert!(out.contains("license:        GPL\n"), "{out}");
    assert!(out.contains("parm:           verbose:"), "{out}");
    let lic = run("rmodinfo", &["--sim", "-F", "license", &square]).ok();
    assert_eq!(lic, "GPL\n");

    // Without test mode a .so is no module file, as for kmod.
    let r = run("rmodinfo", &[&square]);
    assert_eq!(r.status, 1);
    assert_eq!(
        r.stderr,
        format!("rmodinfo: ERROR: Module {square} not found.\n")
    );

    // By name and alias through the sim tree's indexes.
    sim.tool("rdepmod", &[]).ok();
    let r = sim.tool("rmodinfo", &["-n", "square"]).ok();
    assert_eq!(r, format!("{square}\n"));
    let r = sim
        .tool("rmodinfo", &["-F", "description", "sim:khello"])
        .ok();
    assert_eq!(r, "Hello-world sim module (C)\n");
}

#[test]
fn rkmod_sim_environment_and_unreachable_daemon() {
    let sim = Sim::start();
    let sock = sim.socket.to_str().unwrap();
    run_env("rinsmod", &[&sim.module("counter")], &[("RKMOD_SIM", sock)]).ok();
    let ls = run_env("rlsmod", &[], &[("RKMOD_SIM", sock)]).ok();
    assert!(ls.lines().any(|l| l.starts_with("counter ")), "{ls}");
    // `--sim` without a value takes $RKMOD_SIM too.
    let ls = run_env("rlsmod", &["--sim"], &[("RKMOD_SIM", sock)]).ok();
    assert!(ls.lines().any(|l| l.starts_with("counter ")), "{ls}");
    run_env("rrmmod", &["counter"], &[("RKMOD_SIM", sock)]).ok();
    assert!(!sim.loaded("counter"));

    for tool in ["rlsmod", "rinsmod", "rrmmod", "rmodprobe", "rdepmod"] {
        // insmod opens its file before it talks to the kernel: give it one
        // that exists.
        let file = sim.module("counter");
        let mut args = vec!["--sim=/nonexistent/rkmod-sim.sock"];
        match tool {
            "rinsmod" => args.push(file.as_str()),
            "rlsmod" | "rdepmod" => {}
            _ => args.push("counter"),
        }
        let r = run(tool, &args);
        assert_eq!(r.status, 1, "{tool}");
        assert!(
            r.stderr
                .contains("cannot reach the sim kernel at /nonexistent/rkmod-sim.sock"),
            "{tool}: {}",
            r.stderr
        );
    }
}

#[test]
fn sim_start_stop_for_scripts() {
    let sim = Sim::start();
    let d = sim.dir.to_str().unwrap();
    // A second daemon on the same socket is refused; the first one serves on.
    let r = run("rkmod", &["sim", "start", "--state", d]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("already serves"), "{}", r.stderr);
    assert!(sim.alive());
    let st = run("rkmod", &["sim", "status", "--state", d, "--json"]).ok();
    assert!(st.contains(&format!("\"release\": \"{RELEASE}\"")), "{st}");

    run("rkmod", &["sim", "stop", "--state", d]).ok();
    assert!(!sim.socket.exists(), "the socket is removed");
    assert!(!sim.alive());
    let r = run("rkmod", &["sim", "stop", "--state", d]);
    assert_eq!(r.status, 1);
}

#[test]
fn module_files_outside_the_tree_need_the_allowance() {
    let outside = simkit::modules("c").join("extra/khello.so");
    let outside = outside.to_str().unwrap();
    let sim = Sim::start();
    let r = sim.tool("rinsmod", &[outside]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "rinsmod: ERROR: could not insert module {outside}: Operation not permitted\n"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("outside the sim module tree"),
        "{}",
        r.stderr
    );
    assert!(!sim.loaded("khello"));

    let sim = Sim::with_args(simkit::modules("c"), &["--allow-outside-tree"]);
    sim.tool("rinsmod", &[outside]).ok();
    assert!(sim.loaded("khello"));
}

/// The Rust sample chain in test mode: rust_cube runs the same Rust logic
/// as the kernel module (testdata/kmod-src/cube_logic.rs). rmodprobe loads
/// square, rust_cube, test_cube in that order; the values and parameters
/// match the kernel's; rust_cube is held; removal follows kmod's rule
/// (unused dependencies tried in load order, so square stays, as in the
/// real-kernel suite).
#[test]
fn rust_cube_chain() {
    let sim = Sim::with(simkit::modules("rust"));
    assert_eq!(sim.tool("rdepmod", &[]).status, 0);
    let plan = sim.tool("rmodprobe", &["-v", "test_cube"]).ok();
    let order: Vec<&str> = plan
        .lines()
        .filter_map(|l| l.strip_prefix("insmod "))
        .filter_map(|p| p.trim_end().rsplit('/').next())
        .collect();
    assert_eq!(
        order,
        ["square.so", "rust_cube.so", "test_cube.so"],
        "{plan}"
    );
    let log = sim.log();
    assert!(
        log.contains("rust_cube: loaded, label=rust factor=3: cube(3) = 27"),
        "{log}"
    );
    assert!(log.contains("test_cube: cube(4) = 64"), "{log}");
    assert_eq!(sim.param("rust_cube", "label").as_deref(), Some("rust"));

    let r = sim.tool("rrmmod", &["rust_cube"]);
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (
            1,
            "rrmmod: ERROR: Module rust_cube is in use by: test_cube\n"
        )
    );
    sim.tool("rmodprobe", &["-r", "test_cube"]).ok();
    assert!(!sim.loaded("test_cube") && !sim.loaded("rust_cube"));
    sim.tool("rmodprobe", &["rust_cube", "factor=5", "label=cubist"])
        .ok();
    assert!(sim
        .log()
        .contains("rust_cube: loaded, label=cubist factor=5: cube(5) = 125"));
    sim.tool("rmodprobe", &["-r", "rust_cube"]).ok();
    assert!(!sim.loaded("rust_cube") && !sim.loaded("square"));
    assert!(sim.alive());
}

/// rlsmod --json says what the table says (schema rkmod/1).
#[test]
fn lsmod_json_agrees_with_the_table() {
    let sim = Sim::start();
    assert_eq!(sim.tool("rdepmod", &[]).status, 0);
    sim.tool("rmodprobe", &["test_square"]).ok();
    let table = sim.tool("rlsmod", &[]).ok();
    let doc: serde_json::Value =
        serde_json::from_str(&sim.tool("rlsmod", &["--json"]).ok()).expect("valid JSON");
    assert_eq!(doc["schema"], "rkmod/1");
    assert_eq!(doc["tool"], "rlsmod");
    let records = doc["data"].as_array().expect("data");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(records.len(), rows.len(), "{table}");
    for (r, row) in records.iter().zip(rows) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(r["name"], cols[0]);
        assert_eq!(r["size"].as_u64().unwrap().to_string(), cols[1]);
        assert_eq!(r["refcount"].as_i64().unwrap().to_string(), cols[2]);
        let users: Vec<&str> = r["used_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        assert_eq!(users.join(","), cols.get(3).copied().unwrap_or(""));
        assert_eq!(r["state"], "Live");
    }
    let square = records.iter().find(|r| r["name"] == "square").unwrap();
    assert_eq!(square["used_by"][0], "test_square");
}

/// A sim kernel that refuses the connection (here: the owner already holds
/// all its connections) is reported in kmod's form with the daemon's
/// reason and the module that could not be handled — not `Broken pipe`.
#[test]
fn refused_connections_are_reported_with_the_daemons_reason() {
    let sim = Sim::start();
    let limit = sim::ConnectionLimits::default().privileged;
    // Each held once served: the connection of the `rkmod sim start` that
    // just returned may not have been given back yet, and a connection the
    // daemon refused holds nothing.
    let hold = || {
        for _ in 0..200 {
            let c = sim::Client::connect(&sim.socket).unwrap();
            if c.list().is_ok() {
                return c;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("no connection served");
    };
    let held: Vec<_> = (0..limit).map(|_| hold()).collect();
    let why = format!(
        "too many connections to the sim kernel from uid {} (at most {limit} at once)",
        nix::unistd::getuid()
    );
    let khello = sim.module("khello");
    let cases = [
        (
            "rinsmod",
            vec![khello.as_str()],
            format!("rinsmod: ERROR: could not insert module {khello}: {why}\n"),
        ),
        (
            "rmodprobe",
            vec!["khello"],
            format!("rmodprobe: ERROR: could not insert 'khello': {why}\n"),
        ),
        (
            "rmodprobe",
            vec!["-r", "khello", "counter"],
            format!(
                "rmodprobe: ERROR: could not remove 'khello': {why}\n\
                 rmodprobe: ERROR: could not remove 'counter': {why}\n"
            ),
        ),
        (
            "rrmmod",
            vec!["khello"],
            format!("rrmmod: ERROR: could not remove module khello: {why}\n"),
        ),
        ("rlsmod", vec![], format!("rlsmod: ERROR: {why}\n")),
    ];
    for (tool, args, stderr) in &cases {
        let r = sim.tool(tool, args);
        assert_eq!(
            (r.status, r.stderr.as_str()),
            (1, stderr.as_str()),
            "{tool}"
        );
    }
    assert!(!sim.loaded("khello"));
    // Room again once the connections are gone.
    drop(held);
    assert!(simkit::wait_for(std::time::Duration::from_secs(3), || {
        sim.tool("rinsmod", &[&khello]).status == 0
    }));
    assert!(sim.loaded("khello"));
}

/// With $RKMOD_SIM set, a tree named on the command line wins in every
/// tool that takes one: rdepmod -b DIR RELEASE indexes DIR (the sim tree
/// is left alone), rmodinfo -b/-k and rmodprobe -d/-S look up in DIR. The
/// environment alone does not make them test mode then: they run with
/// no daemon to reach.
#[test]
fn explicit_tree_wins_over_rkmod_sim() {
    let sim = Sim::start();
    assert_eq!(sim.tool("rdepmod", &[]).status, 0);
    let sim_dep = sim.tree.join("modules.dep");
    let before = std::fs::read(&sim_dep).unwrap();
    let ko = simkit::repo_root().join("testdata/kernel/6.1.0-56-amd64");
    let base = sim.dir.join("other-root");
    let rel = "6.1.0-56-amd64";
    let tree = base.join("lib/modules").join(rel);
    std::fs::create_dir_all(tree.join("kernel")).unwrap();
    for m in ["square.ko", "test_square.ko"] {
        std::fs::copy(ko.join(m), tree.join("kernel").join(m)).unwrap();
    }
    let b = base.to_str().unwrap();
    for sock in [sim.socket.to_str().unwrap(), "/nonexistent/rkmod-sim.sock"] {
        let _ = std::fs::remove_file(tree.join("modules.dep"));
        let env = [("RKMOD_SIM", sock)];
        assert_eq!(
            run_env("rdepmod", &["-b", b, rel], &env).status,
            0,
            "{sock}"
        );
        assert_eq!(
            std::fs::read_to_string(tree.join("modules.dep")).unwrap(),
            "kernel/square.ko:\nkernel/test_square.ko: kernel/square.ko\n"
        );
        assert_eq!(
            std::fs::read(&sim_dep).unwrap(),
            before,
            "the sim tree was rewritten"
        );
        let n = run_env("rmodinfo", &["-b", b, "-k", rel, "-n", "test_square"], &env).ok();
        assert_eq!(
            n,
            format!("{}\n", tree.join("kernel/test_square.ko").display())
        );
        let d = run_env(
            "rmodprobe",
            &["-d", b, "-S", rel, "-D", "test_square"],
            &env,
        )
        .ok();
        assert_eq!(
            d,
            format!(
                "insmod {}/kernel/square.ko \ninsmod {}/kernel/test_square.ko \n",
                tree.display(),
                tree.display()
            )
        );
    }
    // --sim on the command line with a tree: that tree (`.so` modules
    // taken too); the daemon is asked for nothing when the release is
    // given as well.
    std::fs::remove_file(tree.join("modules.dep")).unwrap();
    let r = run(
        "rdepmod",
        &["--sim=/nonexistent/rkmod-sim.sock", "-b", b, rel],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(tree.join("modules.dep")).unwrap(),
        "kernel/square.ko:\nkernel/test_square.ko: kernel/square.ko\n"
    );
}

/// `kmod list` is lsmod's table, here of the sim kernel ($RKMOD_SIM);
/// `rkmod list` too.
#[test]
fn kmod_list_is_lsmods_table() {
    use std::os::unix::process::CommandExt;
    let sim = Sim::start();
    let sock = sim.socket.to_str().unwrap();
    run_env("rinsmod", &[&sim.module("counter")], &[("RKMOD_SIM", sock)]).ok();
    let table = run_env("rlsmod", &[], &[("RKMOD_SIM", sock)]).ok();
    assert!(table.contains("\ncounter "), "{table}");
    let out = std::process::Command::new(simkit::tool_path("rkmod"))
        .arg0("kmod")
        .arg("list")
        .env("RKMOD_SIM", sock)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), table);
    assert_eq!(
        run_env("rkmod", &["list"], &[("RKMOD_SIM", sock)]).ok(),
        table
    );
}

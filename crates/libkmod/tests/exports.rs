//! The exported interface: `objdump -T` of our libkmod.so must show every
//! function of kmod 34's libkmod with kmod's version node (and kmod 30's
//! `LIBKMOD_5` version of `kmod_module_new_from_name_lookup` as well), and
//! nothing else defined by us.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

/// kmod 34's exported functions and version nodes (from its version
/// script), and whether this branch's files define them (the others belong
/// to elfinfo.rs, state.rs and load.rs).
const KMOD34: &[(&str, &str, bool)] = &[
    ("kmod_config_get_aliases", "LIBKMOD_5", true),
    ("kmod_config_get_blacklists", "LIBKMOD_5", true),
    ("kmod_config_get_install_commands", "LIBKMOD_5", true),
    ("kmod_config_get_options", "LIBKMOD_5", true),
    ("kmod_config_get_remove_commands", "LIBKMOD_5", true),
    ("kmod_config_get_softdeps", "LIBKMOD_5", true),
    ("kmod_config_get_weakdeps", "LIBKMOD_33", true),
    ("kmod_config_iter_free_iter", "LIBKMOD_5", true),
    ("kmod_config_iter_get_key", "LIBKMOD_5", true),
    ("kmod_config_iter_get_value", "LIBKMOD_5", true),
    ("kmod_config_iter_next", "LIBKMOD_5", true),
    ("kmod_dump_index", "LIBKMOD_5", true),
    ("kmod_get_dirname", "LIBKMOD_22", true),
    ("kmod_get_log_priority", "LIBKMOD_5", true),
    ("kmod_get_userdata", "LIBKMOD_5", true),
    ("kmod_list_last", "LIBKMOD_5", true),
    ("kmod_list_next", "LIBKMOD_5", true),
    ("kmod_list_prev", "LIBKMOD_5", true),
    ("kmod_load_resources", "LIBKMOD_5", true),
    ("kmod_module_apply_filter", "LIBKMOD_6", true),
    ("kmod_module_dependency_symbol_get_bind", "LIBKMOD_5", false),
    ("kmod_module_dependency_symbol_get_crc", "LIBKMOD_5", false),
    (
        "kmod_module_dependency_symbol_get_symbol",
        "LIBKMOD_5",
        false,
    ),
    (
        "kmod_module_dependency_symbols_free_list",
        "LIBKMOD_5",
        false,
    ),
    ("kmod_module_get_dependencies", "LIBKMOD_5", true),
    ("kmod_module_get_dependency_symbols", "LIBKMOD_5", false),
    ("kmod_module_get_filtered_blacklist", "LIBKMOD_5", true),
    ("kmod_module_get_holders", "LIBKMOD_5", false),
    ("kmod_module_get_info", "LIBKMOD_5", false),
    ("kmod_module_get_initstate", "LIBKMOD_5", false),
    ("kmod_module_get_install_commands", "LIBKMOD_5", true),
    ("kmod_module_get_module", "LIBKMOD_5", true),
    ("kmod_module_get_name", "LIBKMOD_5", true),
    ("kmod_module_get_options", "LIBKMOD_5", true),
    ("kmod_module_get_path", "LIBKMOD_5", true),
    ("kmod_module_get_refcnt", "LIBKMOD_5", false),
    ("kmod_module_get_remove_commands", "LIBKMOD_5", true),
    ("kmod_module_get_sections", "LIBKMOD_5", false),
    ("kmod_module_get_size", "LIBKMOD_5", false),
    ("kmod_module_get_softdeps", "LIBKMOD_5", true),
    ("kmod_module_get_symbols", "LIBKMOD_5", false),
    ("kmod_module_get_versions", "LIBKMOD_5", false),
    ("kmod_module_get_weakdeps", "LIBKMOD_33", true),
    ("kmod_module_info_free_list", "LIBKMOD_5", false),
    ("kmod_module_info_get_key", "LIBKMOD_5", false),
    ("kmod_module_info_get_value", "LIBKMOD_5", false),
    ("kmod_module_initstate_str", "LIBKMOD_5", false),
    ("kmod_module_insert_module", "LIBKMOD_5", false),
    ("kmod_module_new_from_loaded", "LIBKMOD_5", false),
    ("kmod_module_new_from_lookup", "LIBKMOD_5", true),
    ("kmod_module_new_from_name", "LIBKMOD_5", true),
    ("kmod_module_new_from_name_lookup", "LIBKMOD_30", true),
    ("kmod_module_new_from_path", "LIBKMOD_5", true),
    ("kmod_module_probe_insert_module", "LIBKMOD_5", false),
    ("kmod_module_ref", "LIBKMOD_5", true),
    ("kmod_module_remove_module", "LIBKMOD_5", false),
    ("kmod_module_section_free_list", "LIBKMOD_5", false),
    ("kmod_module_section_get_address", "LIBKMOD_5", false),
    ("kmod_module_section_get_name", "LIBKMOD_5", false),
    ("kmod_module_symbol_get_crc", "LIBKMOD_5", false),
    ("kmod_module_symbol_get_symbol", "LIBKMOD_5", false),
    ("kmod_module_symbols_free_list", "LIBKMOD_5", false),
    ("kmod_module_unref", "LIBKMOD_5", true),
    ("kmod_module_unref_list", "LIBKMOD_5", true),
    ("kmod_module_version_get_crc", "LIBKMOD_5", false),
    ("kmod_module_version_get_symbol", "LIBKMOD_5", false),
    ("kmod_module_versions_free_list", "LIBKMOD_5", false),
    ("kmod_new", "LIBKMOD_5", true),
    ("kmod_ref", "LIBKMOD_5", true),
    ("kmod_set_log_fn", "LIBKMOD_5", true),
    ("kmod_set_log_priority", "LIBKMOD_5", true),
    ("kmod_set_userdata", "LIBKMOD_5", true),
    ("kmod_unload_resources", "LIBKMOD_5", true),
    ("kmod_unref", "LIBKMOD_5", true),
    ("kmod_validate_resources", "LIBKMOD_5", true),
];

fn dynamic_symbols() -> Vec<(String, String, bool)> {
    let so = common::work_dir().join("libkmod.so.2");
    let out = Command::new("objdump")
        .arg("-T")
        .arg(&so)
        .output()
        .expect("FAIL: cannot run objdump");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut syms = Vec::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 6 || !line.contains(" g ") {
            continue;
        }
        let name = cols[cols.len() - 1].to_string();
        let version = cols[cols.len() - 2].to_string();
        let defined = !line.contains("*UND*");
        syms.push((name, version, defined));
    }
    syms
}

fn other_files_empty() -> bool {
    ["elfinfo.rs", "state.rs", "load.rs"].iter().all(|f| {
        let text = std::fs::read_to_string(common::crate_dir().join("src").join(f));
        !text.unwrap_or_default().contains("extern \"C\"")
    })
}

#[test]
fn exports_are_kmods_with_its_versions() {
    let syms = dynamic_symbols();
    let defined: BTreeSet<(String, String)> = syms
        .iter()
        .filter(|s| s.2)
        .map(|s| (s.0.clone(), s.1.clone()))
        .collect();
    let partial = other_files_empty();
    let mut missing = Vec::new();
    for (name, node, ours) in KMOD34 {
        if !ours && partial {
            continue;
        }
        if !defined.contains(&(name.to_string(), node.to_string())) {
            missing.push(format!("{name}@@{node}"));
        }
    }
    assert!(missing.is_empty(), "not exported as kmod does: {missing:?}");
    // kmod 30's node for name_lookup, for programs linked against it.
    assert!(defined.contains(&(
        "kmod_module_new_from_name_lookup".into(),
        "(LIBKMOD_5)".into()
    )));
    // Nothing else: the version nodes themselves are allowed.
    let nodes = [
        "LIBKMOD_5",
        "LIBKMOD_6",
        "LIBKMOD_22",
        "LIBKMOD_30",
        "LIBKMOD_33",
    ];
    let extra: Vec<_> = defined
        .iter()
        .filter(|(n, v)| {
            let known = KMOD34.iter().any(|(k, node, _)| k == n && node == v)
                || (n == "kmod_module_new_from_name_lookup" && v == "(LIBKMOD_5)")
                || (nodes.contains(&n.as_str()) && n == v);
            !known
        })
        .collect();
    assert!(
        extra.is_empty(),
        "exported beyond kmod's interface: {extra:?}"
    );
    let soname = Command::new("objdump")
        .arg("-p")
        .arg(common::work_dir().join("libkmod.so.2"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&soname.stdout).contains("SONAME               libkmod.so.2"));
    if partial {
        eprintln!("state helper's functions not in this build yet: checked this branch's only");
    }
}

/// A program linked against Debian's kmod 30 library (name_lookup in
/// LIBKMOD_5) runs on ours with the same answers.
#[test]
fn program_linked_against_kmod30_runs_on_ours() {
    let dir = common::temp_dir("linked30");
    let prog = dir.join("linked30");
    let status = Command::new("cc")
        .args(["-Wall", "-Werror", "-o"])
        .arg(&prog)
        .arg(common::crate_dir().join("tests/c/linked30.c"))
        .arg(format!(
            "-I{}",
            common::crate_dir().join("include").display()
        ))
        .arg(common::system_libkmod())
        .status()
        .expect("FAIL: cannot run cc");
    assert!(status.success());
    let nm = Command::new("objdump")
        .arg("-T")
        .arg(&prog)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&nm.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("LIBKMOD_5") && l.ends_with("kmod_module_new_from_name_lookup")),
        "the program does not use kmod 30's version: {text}"
    );
    let tree = common::golden_tree();
    let args = [
        tree.to_str().unwrap(),
        "khello",
        "square_xz",
        "nope",
        "rkmod-hello",
    ];
    let ours = common::run(&prog, &args, "", common::Lib::Ours);
    let theirs = common::run(&prog, &args, "", common::Lib::System);
    assert_eq!(ours.0, 0, "{}", ours.2);
    assert_eq!(ours.1, theirs.1);
    assert!(
        ours.1.contains("khello: err=0 name=khello path=/"),
        "{}",
        ours.1
    );
}

//! `--json` (schema rkmod/1, docs/json.md) and `--graph` (Graphviz DOT):
//! each checked against the text output of the same command on the
//! sample modules and the golden tree (testdata/golden/root).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const REL: &str = "6.1.0-56-amd64";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

fn run(exe: &str, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(exe)
        .args(args)
        .current_dir(root())
        .output()
        .expect("run tool");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json(exe: &str, args: &[&str], tool: &str) -> Vec<Value> {
    let (code, out, err) = run(exe, args);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["schema"], "rkmod/1");
    assert_eq!(doc["tool"], tool);
    doc["data"].as_array().expect("data array").clone()
}

fn golden_root() -> String {
    root().join("testdata/golden/root").display().to_string()
}

/// A modprobe.d with a softdep and a weakdep for the Rust chain.
fn config(dir: &Path) -> String {
    let conf = dir.join("graph.conf");
    std::fs::write(
        &conf,
        "softdep test_cube pre: khello post: test_square\nweakdep rust_cube khello\noptions rust_cube factor=6\n",
    )
    .expect("write config");
    conf.display().to_string()
}

#[test]
fn modinfo_json_agrees_with_text() {
    for m in ["khello", "square", "test_square", "rust_cube", "test_cube"] {
        let path = format!("testdata/kernel/{REL}/{m}.ko");
        let records = json(
            env!("CARGO_BIN_EXE_rmodinfo"),
            &["--json", &path],
            "rmodinfo",
        );
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r["name"], m);
        assert_eq!(r["builtin"], false);
        let (_, text, _) = run(env!("CARGO_BIN_EXE_rmodinfo"), &["-0", &path]);
        // -0 prints the filename and parameters labelled, every other
        // entry as key=value in file order.
        let mut want: Vec<(String, String)> = Vec::new();
        let mut parms = 0;
        for rec in text.split('\0').filter(|r| !r.is_empty()) {
            if let Some(f) = rec.strip_prefix("filename:") {
                assert_eq!(r["filename"].as_str().unwrap(), f.trim_start());
            } else if rec.starts_with("parm:") {
                parms += 1;
            } else {
                let (k, v) = rec.split_once('=').expect("key=value");
                want.push((k.to_string(), v.to_string()));
            }
        }
        let got: Vec<(String, String)> = r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["key"].as_str().unwrap().into(),
                    f["value"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(got, want, "{m}");
        assert_eq!(r["parameters"].as_array().unwrap().len(), parms, "{m}");
    }
    let records = json(
        env!("CARGO_BIN_EXE_rmodinfo"),
        &["--json", &format!("testdata/kernel/{REL}/rust_cube.ko")],
        "rmodinfo",
    );
    let params = records[0]["parameters"].as_array().unwrap();
    let factor = params
        .iter()
        .find(|p| p["name"] == "factor")
        .expect("factor");
    assert_eq!(factor["type"], "int");
    assert_eq!(factor["description"], "The number cubed at load");
}

#[test]
fn modinfo_json_keeps_kmods_errors() {
    let (code, out, err) = run(env!("CARGO_BIN_EXE_rmodinfo"), &["--json", "nosuch.ko"]);
    assert_eq!(code, 1);
    assert_eq!(err, "rmodinfo: ERROR: Module nosuch.ko not found.\n");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["data"], Value::Array(vec![]));
}

#[test]
fn modprobe_show_depends_json_agrees_with_text() {
    let tmp = std::env::temp_dir().join(format!("rkmod-json-mp-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let conf = config(&tmp);
    let base = golden_root();
    let common = ["-d", &base, "-S", REL, "-C", &conf, "-D"];
    let (code, text, err) = run(
        env!("CARGO_BIN_EXE_rmodprobe"),
        &[&common[..], &["test_cube", "value=9"]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    let plans = json(
        env!("CARGO_BIN_EXE_rmodprobe"),
        &[&common[..], &["--json", "test_cube", "value=9"]].concat(),
        "rmodprobe",
    );
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0]["request"], "test_cube");
    let lines: Vec<String> = plans[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["action"], "insmod");
            let opts = s["options"].as_str().unwrap();
            format!("insmod {} {opts}", s["path"].as_str().unwrap())
                .trim_end()
                .to_string()
        })
        .collect();
    let text_lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    assert_eq!(lines, text_lines);
    // the pre softdep is optional, the hard dependencies are not
    let steps = plans[0]["steps"].as_array().unwrap();
    let step = |m: &str| steps.iter().find(|s| s["module"] == m).unwrap().clone();
    assert_eq!(step("khello")["required"], false);
    assert_eq!(step("rust_cube")["required"], true);
    assert_eq!(step("rust_cube")["options"], "factor=6");
    assert!(lines.last().unwrap().contains("test_square.ko"));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn modprobe_graph_styles_hard_soft_and_weak_edges() {
    let tmp = std::env::temp_dir().join(format!("rkmod-graph-mp-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let conf = config(&tmp);
    let base = golden_root();
    let (code, dot, err) = run(
        env!("CARGO_BIN_EXE_rmodprobe"),
        &[
            "-d",
            &base,
            "-S",
            REL,
            "-C",
            &conf,
            "-D",
            "--graph",
            "test_cube",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(dot.starts_with("digraph "), "{dot}");
    assert!(dot.contains("\"test_cube\" [style=bold];"), "{dot}");
    for edge in [
        "\"test_cube\" -> \"rust_cube\" [style=solid];",
        "\"rust_cube\" -> \"square_xz\" [style=solid];",
        "\"test_cube\" -> \"khello\" [style=dashed",
        "\"test_cube\" -> \"test_square\" [style=dashed, color=darkgreen, label=\"post\"]",
        "\"rust_cube\" -> \"khello\" [style=dotted",
    ] {
        assert!(dot.contains(edge), "missing {edge} in\n{dot}");
    }
    // direct edges only: test_cube reaches square_xz through rust_cube
    assert!(!dot.contains("\"test_cube\" -> \"square_xz\""), "{dot}");
    let (code, _, err) = run(env!("CARGO_BIN_EXE_rmodprobe"), &["--graph", "test_cube"]);
    assert_ne!(code, 0, "--graph needs -D");
    assert!(err.contains("--show-depends"), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn depmod_json_and_graph_agree_with_modules_dep() {
    let tmp = std::env::temp_dir().join(format!("rkmod-json-dm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let ok = Command::new("cp")
        .args(["-r", &golden_root(), &tmp.display().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let base = tmp.join("root").display().to_string();
    let moddir = tmp.join("root/lib/modules").join(REL);
    let before = std::fs::read(moddir.join("modules.dep")).unwrap();
    let records = json(
        env!("CARGO_BIN_EXE_rdepmod"),
        &["-b", &base, "-n", "--json", REL],
        "rdepmod",
    );
    let dep = String::from_utf8(before.clone()).unwrap();
    assert_eq!(records.len(), dep.lines().count());
    for (r, line) in records.iter().zip(dep.lines()) {
        let (path, deps) = line.split_once(':').unwrap();
        assert_eq!(r["path"], path);
        let names: Vec<String> = deps
            .split_whitespace()
            .map(|p| {
                p.rsplit('/')
                    .next()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let got: Vec<String> = r["depends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, names, "{line}");
    }
    let square = records.iter().find(|r| r["name"] == "square").unwrap();
    assert!(square["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "square"));

    let (code, dot, err) = run(
        env!("CARGO_BIN_EXE_rdepmod"),
        &["-b", &base, "--graph", REL],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        dot.contains("\"test_cube\" -> \"rust_cube\" [style=solid];"),
        "{dot}"
    );
    assert!(!dot.contains("\"test_cube\" -> \"square_xz\""), "{dot}");
    // neither option writes anything
    assert_eq!(std::fs::read(moddir.join("modules.dep")).unwrap(), before);
    let _ = std::fs::remove_dir_all(&tmp);
}

//! Thread safety, stated and proven: one context shared by many threads,
//! every answer checked against the single-threaded one (tests/c/hammer.c).
//! kmod's own library makes no such promise, so this runs on ours only.

mod common;

use common::*;

fn names_of(tree: &std::path::Path, every: usize) -> String {
    let dep = std::fs::read_to_string(tree.join("modules.dep")).unwrap_or_default();
    let mut out = String::new();
    for (i, line) in dep.lines().enumerate() {
        if i % every != 0 {
            continue;
        }
        let p = line.split(':').next().unwrap_or_default();
        let base = p.rsplit('/').next().unwrap_or(p);
        out += base.split('.').next().unwrap_or(base);
        out.push('\n');
    }
    out
}

fn hammer(
    tree: &std::path::Path,
    conf: &str,
    names: &str,
    threads: &str,
    rounds: &str,
    env: &[(&str, &str)],
) -> String {
    let prog = compile("hammer");
    let mut cmd = std::process::Command::new(&prog);
    cmd.args([tree.to_str().unwrap(), conf, threads, rounds])
        .env("LD_LIBRARY_PATH", work_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn hammer");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(names.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{}: {}", tree.display(), stdout.trim());
    assert!(
        out.status.success() && stdout.contains("mismatches 0"),
        "hammer failed ({}):\n{stdout}\n{}",
        out.status,
        stderr.chars().take(4000).collect::<String>()
    );
    assert!(
        !stdout.contains("checked 0 "),
        "nothing was checked: {stdout}"
    );
    stdout.into_owned()
}

#[test]
fn hammer_golden_tree_with_config() {
    let tree = golden_tree();
    let conf = temp_dir("conf-hammer");
    std::fs::write(
        conf.join("h.conf"),
        "alias myalias khello\noptions khello a=1\nsoftdep test_cube pre: khello post: square\n\
         install test_square /bin/true\nweakdep khello square\n",
    )
    .unwrap();
    let mut names = names_of(&tree, 1);
    names += "myalias\nsymbol:square\nrkmod-hello\nnonexistent\n";
    // The questions are real: the answers have modules, dependencies,
    // softdeps, options, filters and the same objects by path.
    let shown = hammer(
        &tree,
        conf.to_str().unwrap(),
        &names,
        "2",
        "1",
        &[("HAMMER_PRINT", "1")],
    );
    for want in [
        "mod test_cube",
        "  dep rust_cube",
        "  pre khello",
        " options a=1",
        "  same by path",
        "kept khello",
        "option a=1",
        "same object",
    ] {
        assert!(shown.contains(want), "{want:?} not in:\n{shown}");
    }
    for _ in 0..3 {
        hammer(&tree, conf.to_str().unwrap(), &names, "8", "150", &[]);
    }
    hammer(
        &tree,
        conf.to_str().unwrap(),
        &names,
        "8",
        "150",
        &[("HAMMER_LOAD", "1")],
    );
}

#[test]
fn hammer_system_tree() {
    let trees = system_trees();
    assert!(
        !trees.is_empty(),
        "FAIL: no module tree under /lib/modules to hammer"
    );
    let tree = &trees[0];
    let mut names = names_of(tree, 40);
    let alias = std::fs::read_to_string(tree.join("modules.alias")).unwrap_or_default();
    for (i, line) in alias.lines().enumerate() {
        if i % 500 == 1 {
            if let Some(p) = line.split_whitespace().nth(1) {
                names += &instance_of(p);
                names.push('\n');
            }
        }
    }
    hammer(tree, "-", &names, "8", "4", &[("HAMMER_LOAD", "1")]);
    hammer(tree, "-", &names, "8", "2", &[]);
}

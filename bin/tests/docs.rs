//! Man pages and completions: the committed files are what the generator
//! makes from today's clap definitions (`make man completions` refreshes
//! them), the pages render without groff warnings, and the completions
//! offer options, module names and parameters on a fixture tree.

use std::path::{Path, PathBuf};
use std::process::Command;

const REL: &str = "6.1.0-56-amd64";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

#[test]
fn committed_pages_and_completions_are_fresh() {
    let repo = repo();
    let files = rkmod_cli::docs::generate::render_all(&repo).expect("render");
    assert!(files.len() >= 28, "{} files", files.len());
    let stale: Vec<String> = files
        .iter()
        .filter(|(rel, data)| std::fs::read(repo.join(rel)).ok().as_deref() != Some(data))
        .map(|(rel, _)| rel.display().to_string())
        .collect();
    assert!(
        stale.is_empty(),
        "stale, run `make man completions`: {stale:?}"
    );
}

#[test]
fn pages_render_without_warnings() {
    if Command::new("groff").arg("-v").output().is_err() {
        eprintln!("groff not installed: skipped");
        return;
    }
    let mut pages = 0;
    for entry in std::fs::read_dir(repo().join("man")).unwrap() {
        let path = entry.unwrap().path();
        if !path.extension().is_some_and(|e| e == "5" || e == "8") {
            continue;
        }
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.len() > 200,
            "{}: rendered nothing",
            path.display()
        );
        pages += 1;
    }
    assert_eq!(pages, 10);
}

fn path_with_tools() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_rkmod")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// COMPREPLY of bash's completion function for the words of `line` (the
/// last word is the one completed).
fn bash_complete(tool: &str, words: &[&str]) -> Vec<String> {
    let script = repo().join("completions/bash").join(tool);
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
         _rkmod_complete_{tool} {tool} \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" ")
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .env("PATH", path_with_tools())
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn bash_completes_options_modules_and_parameters() {
    let root = repo().join("testdata/golden/root");
    let root = root.to_str().unwrap();
    let tree = ["rmodprobe", "-d", root, "-S", REL];
    assert_eq!(
        bash_complete("rmodprobe", &[&tree[..], &["te"]].concat()),
        ["test_cube", "test_square"]
    );
    assert_eq!(
        bash_complete("rmodprobe", &[&tree[..], &[""]].concat()),
        [
            "khello",
            "rust_cube",
            "square",
            "square_xz",
            "test_cube",
            "test_square"
        ]
    );
    assert_eq!(
        bash_complete("rmodprobe", &[&tree[..], &["khello", ""]].concat()),
        ["io=", "msg="]
    );
    assert_eq!(
        bash_complete("rmodprobe", &[&tree[..], &["rust_cube", "l"]].concat()),
        ["label="]
    );
    let opts = bash_complete("rmodprobe", &["rmodprobe", "--show-d"]);
    assert_eq!(opts, ["--show-depends"]);
    assert_eq!(
        bash_complete("rmodinfo", &["rmodinfo", "-b", root, "-k", REL, "sq"]),
        ["square", "square_xz"]
    );
    // rrmmod and rmodprobe -r offer what is loaded (none on this host,
    // whose kernel has no modules): never the tree's names
    let loaded = std::fs::read_to_string("/proc/modules").unwrap_or_default();
    let mut want: Vec<String> = loaded
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    want.sort();
    assert_eq!(bash_complete("rrmmod", &["rrmmod", ""]), want);
    assert_eq!(
        bash_complete("rmodprobe", &[&tree[..], &["-r", ""]].concat()),
        want
    );
}

#[test]
fn fish_and_zsh_completions_load() {
    let root = repo().join("testdata/golden/root");
    if Command::new("fish").arg("--version").output().is_ok() {
        let script = repo().join("completions/fish/rmodprobe.fish");
        let out = Command::new("fish")
            .arg("-c")
            .arg(format!(
                "source '{}'; complete -C 'rmodprobe -d {} -S {REL} te'; complete -C 'rmodprobe -d {} -S {REL} khello '",
                script.display(),
                root.display(),
                root.display()
            ))
            .env("PATH", path_with_tools())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let got: Vec<&str> = text
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        assert_eq!(got, ["test_cube", "test_square", "io=", "msg="], "{text}");
    } else {
        eprintln!("fish not installed: skipped");
    }
    if Command::new("zsh").arg("--version").output().is_ok() {
        for entry in std::fs::read_dir(repo().join("completions/zsh")).unwrap() {
            let path = entry.unwrap().path();
            let out = Command::new("zsh").arg("-n").arg(&path).output().unwrap();
            assert!(out.status.success(), "{}", path.display());
        }
    } else {
        eprintln!("zsh not installed: skipped");
    }
}

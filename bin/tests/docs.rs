//! Man pages and completions: the committed files are what the generator
//! makes from today's clap definitions (`make man completions` refreshes
//! them), the pages render without groff warnings, and the completions
//! offer options, module names and parameters on a fixture tree — bash
//! through its completion functions, zsh through its completion system
//! (compinit in a pseudo-terminal), fish through `complete -C` — and
//! follow `--sim`/`RKMOD_SIM` to a sim kernel.

mod simkit;

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

/// Every `name(N)` reference in a page: `\fBname\fR(N)` or `name(N)`,
/// with roff's `\-` read as `-`.
fn references(page: &str) -> Vec<(String, String)> {
    let text = page
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "")
        .replace("\\-", "-");
    let bytes = text.as_bytes();
    let mut refs = Vec::new();
    for (i, _) in text.match_indices('(') {
        let Some(close) = text[i..].find(')') else {
            continue;
        };
        let section = &text[i + 1..i + close];
        if !(section.len() == 1 && section.as_bytes()[0].is_ascii_digit()) {
            continue;
        }
        let mut start = i;
        while start > 0
            && (bytes[start - 1].is_ascii_alphanumeric() || b"_.-".contains(&bytes[start - 1]))
        {
            start -= 1;
        }
        if start < i {
            refs.push((text[start..i].to_string(), section.to_string()));
        }
    }
    refs
}

/// The pages rkmod installs (man/*.5, man/*.8) as (name, section), and
/// their text.
fn own_pages() -> Vec<((String, String), String)> {
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(repo().join("man")).unwrap() {
        let path = entry.unwrap().path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if ext != "5" && ext != "8" {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        pages.push(((stem, ext.to_string()), text));
    }
    pages.sort();
    pages
}

/// man/external-pages: (name, section) of the pages other Debian
/// packages install.
fn external_pages() -> Vec<(String, String)> {
    std::fs::read_to_string(repo().join("man/external-pages"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "man/external-pages: {l:?}");
            (f[0].to_string(), f[1].to_string())
        })
        .collect()
}

#[test]
fn man_references_resolve_and_names_are_filled() {
    let pages = own_pages();
    assert_eq!(pages.len(), 10);
    let external = external_pages();
    let known = |r: &(String, String)| pages.iter().any(|(p, _)| p == r) || external.contains(r);
    let mut dangling = Vec::new();
    let mut total = 0;
    for ((name, section), text) in &pages {
        for r in references(text) {
            total += 1;
            if !known(&r) {
                dangling.push(format!("{name}({section}) -> {}({})", r.0, r.1));
            }
        }
        // NAME: one line "page[, page...] \- description", both parts filled
        let mut lines = text.lines().skip_while(|l| *l != ".SH NAME");
        assert!(lines.next().is_some(), "{name}({section}): no NAME section");
        let line = lines.next().unwrap_or_default();
        let (names, what) = line.split_once(" \\- ").unwrap_or((line, ""));
        assert!(
            names.split(", ").any(|n| n == name) && !what.trim().is_empty(),
            "{name}({section}): NAME line {line:?}"
        );
    }
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
    assert!(total > 30, "only {total} references found");
    // the parser finds what it must
    assert_eq!(
        references("see \\fBrinsmod\\fR(8), rkmod\\-sim(8) and (1) or x(12)"),
        [
            ("rinsmod".to_string(), "8".to_string()),
            ("rkmod-sim".to_string(), "8".to_string())
        ]
    );
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
         f=$(complete -p {tool} | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n\
         $f {tool} \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
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

/// What kmod's habits ask of bash: parameters after the first
/// name=value (bash splits the words at '='), kernel releases after
/// -S/-k, option values skipped, `rkmod TOOL` and `kmod COMMAND`.
#[test]
fn bash_completes_like_kmod() {
    let root = repo().join("testdata/golden/root");
    let root = root.to_str().unwrap();
    let tree = ["rmodprobe", "-d", root, "-S", REL];
    let with = |rest: &[&str]| bash_complete("rmodprobe", &[&tree[..], rest].concat());
    // as bash splits `khello io=1 ` (COMP_WORDBREAKS has '='), and unsplit
    assert_eq!(with(&["khello", "io", "=", "1", ""]), ["msg="]);
    assert_eq!(with(&["khello", "io=1", ""]), ["msg="]);
    assert_eq!(
        with(&["khello", "msg", "=", "hi", "io", "=", "2", ""]),
        Vec::<String>::new()
    );
    assert_eq!(with(&["rust_cube", "l"]), ["label="]);
    // a parameter's value: nothing, and not the files of the directory
    assert_eq!(with(&["khello", "io", "="]), Vec::<String>::new());
    assert_eq!(with(&["khello", "io", "=", "1"]), Vec::<String>::new());
    // releases: those of the root on the line
    assert_eq!(
        bash_complete("rmodprobe", &["rmodprobe", "-d", root, "-S", ""]),
        [REL]
    );
    assert_eq!(
        bash_complete("rmodinfo", &["rmodinfo", "-b", root, "-k", "6"]),
        [REL]
    );
    let host: Vec<String> = {
        let mut v: Vec<String> = std::fs::read_dir("/lib/modules")
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert_eq!(bash_complete("rmodprobe", &["rmodprobe", "-S", ""]), host);
    // rdepmod: a release first (of the -b root), then files
    assert_eq!(
        bash_complete("rdepmod", &["rdepmod", "-b", root, "-a", ""]),
        [REL]
    );
    assert_eq!(
        bash_complete("rkmod", &["rkmod", "depmod", "-b", root, ""]),
        [REL]
    );
    // an option's value is no module name
    assert_eq!(
        bash_complete(
            "rmodprobe",
            &[
                "rmodprobe",
                "-C",
                "/dev/null",
                "-d",
                root,
                "-S",
                REL,
                "khello",
                ""
            ]
        ),
        ["io=", "msg="]
    );
    // rinsmod FILE: the file's parameters
    let khello = format!("{root}/lib/modules/{REL}/extra/khello.ko");
    assert_eq!(
        bash_complete("rinsmod", &["rinsmod", &khello, ""]),
        ["io=", "msg="]
    );
    // rkmod TOOL and kmod COMMAND
    assert_eq!(
        bash_complete("rkmod", &["rkmod", "modprobe", "-d", root, "-S", REL, "te"]),
        ["test_cube", "test_square"]
    );
    assert_eq!(
        bash_complete(
            "rkmod",
            &["rkmod", "modinfo", "-b", root, "-k", REL, "khello", "sq"]
        ),
        ["square", "square_xz"]
    );
    assert_eq!(bash_complete("rkmod", &["rkmod", "modp"]), ["modprobe"]);
    assert_eq!(bash_complete("rkmod", &["rkmod", "st"]), ["static-nodes"]);
    let kmod = |w: &[&str]| bash_complete("kmod", w);
    assert_eq!(
        kmod(&["kmod", ""]),
        [
            "--help",
            "--version",
            "-V",
            "-h",
            "help",
            "list",
            "static-nodes"
        ]
    );
    assert_eq!(kmod(&["kmod", "st"]), ["static-nodes"]);
    assert_eq!(
        kmod(&["kmod", "static-nodes", "--format", ""]),
        ["devname", "human", "tmpfiles"]
    );
    assert_eq!(kmod(&["kmod", "static-nodes", "--o"]), ["--output"]);
}

/// The line readline leaves after `line<TAB>` in an interactive bash that
/// sourced the completion of `tool` (its own word splitting, at '=' too),
/// run in an empty directory so that a fall-back to file names shows.
fn bash_readline(tool: &str, line: &str) -> String {
    let empty = std::env::temp_dir().join(format!("rkmod-docs-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new("timeout")
        .arg("30")
        .arg("python3")
        .arg(repo().join("bin/tests/bash/complete_line.py"))
        .arg(repo().join("completions/bash").join(tool))
        .arg(line)
        .current_dir(&empty)
        .env("PATH", path_with_tools())
        .env_remove("RKMOD_SIM")
        .output()
        .expect("python3");
    let _ = std::fs::remove_dir(&empty);
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim_end_matches('\n')
        .to_string()
}

#[test]
fn bash_readline_completes_like_kmod() {
    let root = repo().join("testdata/golden/root");
    let tree = format!("rmodprobe -d {} -S {REL}", root.display());
    let rl = |tool: &str, line: &str| bash_readline(tool, line);
    assert_eq!(
        rl("rmodprobe", &format!("{tree} khello io=1 ")),
        format!("{tree} khello io=1 msg=")
    );
    assert_eq!(
        rl("rmodprobe", &format!("{tree} khello io=1 msg=x ")),
        format!("{tree} khello io=1 msg=x ")
    );
    assert_eq!(
        rl("rmodprobe", &format!("{tree} test_s")),
        format!("{tree} test_square ")
    );
    assert_eq!(
        rl(
            "rmodprobe",
            &format!("rmodprobe -d {} -S 6.1.0-5", root.display())
        ),
        format!("rmodprobe -d {} -S {REL} ", root.display())
    );
    assert_eq!(
        rl(
            "rkmod",
            &format!("rkmod modprobe -d {} -S {REL} test_s", root.display())
        ),
        format!("rkmod modprobe -d {} -S {REL} test_square ", root.display())
    );
    assert_eq!(rl("kmod", "kmod static-n"), "kmod static-nodes ");
}

#[test]
fn fish_and_zsh_completions_load() {
    let root = repo().join("testdata/golden/root");
    assert!(
        Command::new("fish").arg("--version").output().is_ok(),
        "fish is not installed (apt-get install fish, or make deps): the fish completions cannot be checked"
    );
    let fish = |lines: &[String]| {
        let mut program = String::new();
        for name in ["rmodprobe", "rkmod", "kmod"] {
            let script = repo().join(format!("completions/fish/{name}.fish"));
            program.push_str(&format!("source '{}'; ", script.display()));
        }
        for l in lines {
            program.push_str(&format!("complete -C '{l}'; echo '<next>'; "));
        }
        let out = Command::new("fish")
            .arg("-c")
            .arg(program)
            .env("PATH", path_with_tools())
            .output()
            .unwrap();
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split("<next>\n")
            .map(|part| {
                part.lines()
                    .map(|l| l.split('\t').next().unwrap().to_string())
                    .collect::<Vec<String>>()
                    .join(" ")
            })
            .collect::<Vec<String>>()
    };
    let tree = format!("rmodprobe -d {} -S {REL}", root.display());
    let got = fish(&[
        format!("{tree} te"),
        format!("{tree} khello "),
        format!("{tree} khello io=1 "),
        format!("rmodprobe -d {} -S ", root.display()),
        format!("rkmod modprobe -d {} -S {REL} te", root.display()),
        "kmod ".to_string(),
        "kmod static-nodes --format=".to_string(),
    ]);
    assert_eq!(
        got[..7],
        [
            "test_cube test_square",
            "io= msg=",
            "msg=",
            REL,
            "test_cube test_square",
            "help list static-nodes",
            "--format=devname --format=human --format=tmpfiles"
        ]
    );
    assert_zsh();
    for entry in std::fs::read_dir(repo().join("completions/zsh")).unwrap() {
        let path = entry.unwrap().path();
        let out = Command::new("zsh").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", path.display());
    }
}

fn assert_zsh() {
    assert!(
        Command::new("zsh").arg("--version").output().is_ok(),
        "zsh is not installed (apt-get install zsh, or make deps): the zsh completions cannot be checked"
    );
}

/// The matches zsh's completion system offers for `line<TAB>` in a new
/// interactive zsh (so each is the first <TAB>, which autoloads the
/// completion function), sorted.
fn zsh_complete(line: &str, env: &[(&str, &str)]) -> Vec<String> {
    assert_zsh();
    let mut cmd = Command::new("timeout");
    cmd.arg("30")
        .arg("zsh")
        .arg("-f")
        .arg(repo().join("bin/tests/zsh/capture.zsh"))
        .arg(repo().join("completions/zsh"))
        .arg(line)
        .env("PATH", path_with_tools())
        .env_remove("RKMOD_SIM");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("zsh");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn zsh_completion_system_completes_like_kmod() {
    let root = repo().join("testdata/golden/root");
    let root = root.to_str().unwrap();
    let tree = format!("rmodprobe -d {root} -S {REL}");
    let z = |line: &str| zsh_complete(line, &[]);
    assert_eq!(z(&format!("{tree} te")), ["test_cube", "test_square"]);
    assert_eq!(z(&format!("{tree} khello ")), ["io=", "msg="]);
    assert_eq!(z(&format!("{tree} khello io=1 ")), ["msg="]);
    assert_eq!(z(&format!("{tree} rust_cube l")), ["label="]);
    assert_eq!(z(&format!("{tree} --show-d")), ["--show-depends"]);
    assert_eq!(z(&format!("rmodprobe -d {root} -S ")), [REL]);
    assert_eq!(
        z(&format!(
            "rmodprobe -C /dev/null -d {root} -S {REL} khello m"
        )),
        ["msg="]
    );
    assert_eq!(
        z(&format!("rmodinfo -b {root} -k {REL} sq")),
        ["square", "square_xz"]
    );
    assert_eq!(
        z(&format!(
            "rinsmod {root}/lib/modules/{REL}/extra/khello.ko "
        )),
        ["io=", "msg="]
    );
    assert_eq!(
        z(&format!("rkmod modprobe -d {root} -S {REL} te")),
        ["test_cube", "test_square"]
    );
    assert_eq!(z("rkmod modp"), ["modprobe"]);
    assert_eq!(
        z("rkmod static-nodes --format="),
        ["devname", "human", "tmpfiles"]
    );
    assert_eq!(z(&format!("rdepmod -b {root} ")), [REL]);
    assert_eq!(z("kmod "), ["help", "list", "static-nodes"]);
    assert_eq!(
        z("kmod static-nodes --format="),
        ["devname", "human", "tmpfiles"]
    );
}

/// With `--sim` or `RKMOD_SIM`, module names, parameters, the release
/// and the loaded modules are the sim kernel's; an explicit tree on the
/// line wins over the environment.
#[test]
fn completions_follow_the_sim_kernel() {
    let sim = simkit::Sim::start();
    assert_eq!(sim.tool("rdepmod", &[]).status, 0);
    sim.tool("rmodprobe", &["test_square"]).ok();
    let socket = sim.socket.to_str().unwrap().to_string();
    let env = [("RKMOD_SIM", socket.as_str())];
    let complete = |args: &[&str], env: &[(&str, &str)]| {
        let r = simkit::run_env("rkmod", &[&["__complete"], args].concat(), env);
        r.ok().lines().map(str::to_string).collect::<Vec<String>>()
    };
    let modules = complete(&["modules"], &env);
    assert!(
        modules.contains(&"test_square".to_string()) && modules.contains(&"khello".to_string()),
        "{modules:?}"
    );
    assert_eq!(complete(&["modules", &sim.flag()], &[]), modules);
    // what the sim kernel has loaded (test_square and square, and what
    // its configuration adds), not the host's /proc/modules
    let mut loaded: Vec<String> = sim
        .proc_modules()
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    loaded.sort();
    assert!(loaded.contains(&"square".to_string()) && loaded.contains(&"test_square".to_string()));
    assert_eq!(complete(&["loaded"], &env), loaded);
    assert_eq!(complete(&["releases"], &env), [simkit::RELEASE]);
    // --sim with a root only: that root at the sim kernel's release; the
    // environment with a root: that root at the running release (none here)
    let dir = sim.dir.to_str().unwrap();
    assert_eq!(complete(&["modules", &sim.flag(), "-d", dir], &[]), modules);
    let running = nix::sys::utsname::uname().unwrap();
    let running = running.release().to_str().unwrap().to_string();
    if running != simkit::RELEASE {
        assert_eq!(
            complete(&["modules", "-d", dir], &env),
            Vec::<String>::new()
        );
    }
    // the line's tree wins over RKMOD_SIM
    let root = repo().join("testdata/golden/root");
    let root = root.to_str().unwrap();
    assert_eq!(complete(&["releases", "-d", root], &env), [REL]);
    assert!(complete(&["modules", "-d", root, "-S", REL], &env).contains(&"test_cube".to_string()));

    // through the shells
    let with_sim = |w: &[&str]| {
        let script = repo().join("completions/bash").join(w[0]);
        let quoted: Vec<String> = w.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             f=$(complete -p {} | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n\
             $f {} \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            script.display(),
            quoted.join(" "),
            w[0],
            w[0]
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(program)
            .env("PATH", path_with_tools())
            .env("RKMOD_SIM", &socket)
            .output()
            .unwrap();
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(with_sim(&["rrmmod", ""]), loaded);
    assert_eq!(with_sim(&["rmodprobe", "-r", "test_"]), ["test_square"]);
    assert_eq!(with_sim(&["rmodprobe", "khell"]), ["khello"]);
    assert_eq!(with_sim(&["rmodprobe", "-S", ""]), [simkit::RELEASE]);
    // the sim module's parameters (khello here has msg, io and tag)
    assert_eq!(
        with_sim(&["rmodprobe", "khello", "io", "=", "1", ""]),
        ["msg=", "tag="]
    );
    // fish
    let fish = Command::new("fish")
        .arg("-c")
        .arg(format!(
            "source '{}'; complete -C 'rrmmod '",
            repo().join("completions/fish/rrmmod.fish").display()
        ))
        .env("PATH", path_with_tools())
        .env("RKMOD_SIM", &socket)
        .output()
        .expect("fish");
    let mut got: Vec<String> = String::from_utf8_lossy(&fish.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(got, loaded);
    let flag = sim.flag();
    assert_eq!(
        zsh_complete(&format!("rmodprobe {flag} khell"), &[]),
        ["khello"]
    );
    assert_eq!(zsh_complete("rrmmod ", &env), loaded);
}

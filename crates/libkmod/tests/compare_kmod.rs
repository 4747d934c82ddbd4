//! Our libkmod.so.2 against Debian's (the system's) libkmod.so.2: one C
//! program (tests/c/lkq.c) asks both the same questions over the same
//! module trees and configuration; stdout must be byte for byte the same.

mod common;

use std::path::Path;

use common::*;

/// A modprobe.d exercising every kind of line kmod 30 knows.
const CONFIG: &str = "\
# comment
alias myalias khello
alias my-dash-alias square
alias pci:v00001234d* square
alias pci:v00001234d* khello
options khello param=1
options khello\tother=2   spaced
options square
options myalias via_alias=1
install test_square /bin/true
install test_* /bin/echo pattern
remove khello /bin/false
install fakecmd echo hi
remove fakecmd2 echo bye
blacklist square
blacklist nonexistent
softdep test_cube pre: khello post: square nonexist
softdep khello pre: square
softdep khello pre: test_square
softdep rust_cube post: a pre: b c post: d
bad line here
";

fn write_config(name: &str) -> String {
    let dir = temp_dir(name);
    std::fs::write(dir.join("test.conf"), CONFIG).unwrap();
    std::fs::write(
        dir.join("other.conf"),
        "alias zz-late khello\noptions khello late=1\n",
    )
    .unwrap();
    std::fs::write(dir.join("ignored.txt"), "alias ignored khello\n").unwrap();
    dir.display().to_string()
}

fn tree_names(tree: &Path) -> Vec<String> {
    let dep = std::fs::read_to_string(tree.join("modules.dep")).unwrap_or_default();
    dep.lines()
        .filter_map(|l| l.split(':').next())
        .map(|p| {
            let base = p.rsplit('/').next().unwrap_or(p);
            base.split('.').next().unwrap_or(base).to_string()
        })
        .collect()
}

#[test]
fn golden_tree_without_config() {
    let prog = compile("lkq");
    check_libraries_differ(&prog);
    let tree = golden_tree();
    let mut script = String::new();
    for n in tree_names(&tree) {
        script += &format!("name:{n}\nlookup:{n}\nnamelookup:{n}\nsame:{n}\n");
        script += &format!("name:{}\n", n.replace('_', "-"));
    }
    for a in [
        "rkmod-hello",
        "rkmod_hello",
        "symbol:square",
        "symbol:nonexistent",
        "nonexistent",
        "khello.ko",
        "bad[alias",
        "",
    ] {
        script += &format!("lookup:{a}\nnamelookup:{a}\n");
    }
    for line in std::fs::read_to_string(tree.join("modules.builtin"))
        .unwrap()
        .lines()
    {
        let n = line.rsplit('/').next().unwrap().trim_end_matches(".ko");
        script += &format!("lookup:{n}\nnamelookup:{n}\nfilter:{n}\n");
    }
    // Names and aliases longer than kmod's PATH_MAX buffers.
    let long = "a".repeat(5000);
    let long_name = "k".repeat(4094);
    script += &format!("lookup:{long}\nnamelookup:{long}\nname:{long_name}\nname:{long}\n");
    script += &format!("path:/tmp/{long_name}.ko\nlookup:a-b[c\nlookup:x]y\nlookup:x-y_z\n");
    for i in 0..=5 {
        script += &format!("dump:{i}\n");
    }
    script += &format!(
        "path:{}\npath:{}/missing.ko\npath:relative/x.ko\n",
        tree.join("extra/khello.ko").display(),
        tree.display()
    );
    script += "validate\nconfig\n";
    // The same questions again with the indexes loaded (kmod's mmap order).
    let again = script.clone();
    script += "load\nvalidate\nload\n";
    script += &again;
    script += "unload\nvalidate\n";
    let out = compare(&prog, &[tree.to_str().unwrap(), "-", "6"], &script);
    // Not vacuous: the answers name modules, paths and dependencies.
    assert!(out.contains("dep square_xz path="), "{out}");
    assert!(out.contains("mod khello path="), "{out}");
    assert!(out.contains("alias rkmod_hello khello"), "{out}");
}

#[test]
fn golden_tree_with_config() {
    let prog = compile("lkq");
    let tree = golden_tree();
    let conf = write_config("conf-golden");
    let mut script = String::from("config\n");
    for n in tree_names(&tree) {
        script += &format!("lookup:{n}\nfilter:{n}\nname:{n}\n");
    }
    for a in [
        "myalias",
        "my-dash-alias",
        "my_dash_alias",
        "pci:v00001234d00005678sv00sd00bc00sc00i00",
        "fakecmd",
        "fakecmd2",
        "zz-late",
        "ignored",
        "nonexist",
    ] {
        script += &format!("lookup:{a}\nfilter:{a}\nname:{a}\n");
    }
    script += "load\n";
    script += "lookup:myalias\nlookup:test_cube\nvalidate\n";
    let out = compare(&prog, &[tree.to_str().unwrap(), &conf, "3"], &script);
    assert!(
        out.contains("softdep test_cube = pre: khellopost: square nonexist"),
        "{out}"
    );
    assert!(
        out.contains("options=late=1 param=1 other=2   spaced via_alias=1"),
        "{out}"
    );
    // A configuration directory changes: both must want to be recreated.
    let script = format!("validate\nmkfile:{conf}/new.conf\nvalidate\n");
    let out = compare(&prog, &[tree.to_str().unwrap(), &conf, "3"], &script);
    assert!(out.contains("validate: 2"), "{out}");
}

#[test]
fn system_trees_lookups_and_dependencies() {
    let prog = compile("lkq");
    let trees = system_trees();
    assert!(
        !trees.is_empty(),
        "FAIL: no module tree with binary indexes under /lib/modules to compare on"
    );
    for tree in trees {
        let alias = std::fs::read_to_string(tree.join("modules.alias")).unwrap_or_default();
        let mut script = String::new();
        let mut n_pci = 0;
        let mut n_usb = 0;
        for (i, line) in alias.lines().enumerate() {
            let mut w = line.split_whitespace();
            let (Some("alias"), Some(pat)) = (w.next(), w.next()) else {
                continue;
            };
            let take = if pat.starts_with("pci:") {
                n_pci += 1;
                n_pci % 40 == 1
            } else if pat.starts_with("usb:") {
                n_usb += 1;
                n_usb % 40 == 1
            } else {
                i % 97 == 0
            };
            if take {
                script += &format!("lookup:{}\n", instance_of(pat));
            }
        }
        for (i, n) in tree_names(&tree).iter().enumerate() {
            if i % 15 == 0 {
                script += &format!("name:{n}\nnamelookup:{n}\n");
            }
        }
        let builtin = std::fs::read_to_string(tree.join("modules.builtin")).unwrap_or_default();
        for (i, line) in builtin.lines().enumerate() {
            if i % 25 == 0 {
                let n = line.rsplit('/').next().unwrap().trim_end_matches(".ko");
                script += &format!("lookup:{n}\nfilter:{n}\n");
            }
        }
        // Modules with softdeps in the tree's modules.softdep.
        let softdep = std::fs::read_to_string(tree.join("modules.softdep")).unwrap_or_default();
        for line in softdep.lines().filter(|l| l.starts_with("softdep ")) {
            if let Some(n) = line.split_whitespace().nth(1) {
                script += &format!("lookup:{n}\n");
            }
        }
        script += "lookup:symbol:usb_register_driver\nlookup:symbol:nonexistent_sym\n";
        let lookups = script.lines().count();
        let again = script.clone();
        script += "load\n";
        script += &again;
        let out = compare(&prog, &[tree.to_str().unwrap(), "-", "3"], &script);
        assert!(
            out.contains("  dep "),
            "no dependencies seen in {}",
            tree.display()
        );
        assert!(
            n_pci > 0 && n_usb > 0,
            "{}: no PCI or USB aliases",
            tree.display()
        );
        eprintln!(
            "{}: {lookups} questions, {} answer lines identical",
            tree.display(),
            out.lines().count()
        );
        // Every index dump, mapped and not.
        let dumps = "dump:0\ndump:1\ndump:2\ndump:3\ndump:4\nload\ndump:0\ndump:1\ndump:2\ndump:3\ndump:4\n";
        let out = compare(&prog, &[tree.to_str().unwrap(), "-", "3"], dumps);
        assert!(out.lines().count() > 1000);
    }
}

#[test]
fn default_dirname_and_configuration() {
    let prog = compile("lkq");
    let tree = golden_tree();
    // NULL dirname: the running kernel's directory under /lib/modules.
    let out = compare(
        &prog,
        &["-", "-", "6"],
        "lookup:khello\nname:khello\nvalidate\ndump:0\n",
    );
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert!(
        out.starts_with(&format!("dirname /lib/modules/{} ", release.trim())),
        "{out}"
    );
    // A relative dirname is taken from the working directory.
    let out = compare(
        &prog,
        &[
            "../../testdata/golden/root/lib/modules/6.1.0-56-amd64",
            "-",
            "6",
        ],
        "lookup:khello\n",
    );
    assert!(out.contains("/extra/khello.ko"), "{out}");
    // NULL config paths: kmod's default directories (whatever this machine has).
    let mut script = String::from("config\n");
    for n in tree_names(&tree) {
        script += &format!("lookup:{n}\nfilter:{n}\n");
    }
    compare(&prog, &[tree.to_str().unwrap(), "default", "3"], &script);
    // Resources that cannot be loaded: no directory, or only some indexes.
    let partial = temp_dir("partial-tree");
    std::fs::copy(
        tree.join("modules.dep.bin"),
        partial.join("modules.dep.bin"),
    )
    .unwrap();
    let script = "load\nvalidate\nlookup:khello\nload\nunload\nvalidate\n";
    for dir in [partial.to_str().unwrap(), "/nonexistent/modules/dir"] {
        let out = compare(&prog, &[dir, "-", "6"], script);
        assert!(out.contains("load: -2"), "{out}");
    }
}

#[test]
fn kmod_log_environment() {
    let prog = compile("lkq");
    let tree = golden_tree();
    let args = [tree.to_str().unwrap(), "-"];
    let mut seen = Vec::new();
    for value in [
        "debug", "info", "err", "7", "5 ", " 6", "x", "3x", "", "-1", "infox",
    ] {
        let env = [("KMOD_LOG", value)];
        let ours = run_env(&prog, &args, "", Lib::Ours, &env);
        let theirs = run_env(&prog, &args, "", Lib::System, &env);
        assert_eq!(
            mask_pointers(&ours.1),
            mask_pointers(&theirs.1),
            "KMOD_LOG={value:?}"
        );
        let first = |s: &str| {
            let line = s.lines().find(|l| l.starts_with("dirname "));
            line.unwrap_or_default().to_string()
        };
        seen.push(first(&ours.1));
    }
    assert!(seen.iter().any(|l| l.ends_with("prio 7")), "{seen:?}");
    assert!(seen.iter().any(|l| l.ends_with("prio 0")), "{seen:?}");
}

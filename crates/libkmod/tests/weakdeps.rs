//! kmod 34's API that Debian's kmod 30 lacks (weakdeps): checked against
//! what kmod 34 documents, and against kmod 34's own library when a build
//! of it is at hand.

mod common;

use common::*;

const CONFIG: &str = "\
weakdep khello square test_square nonexistent
weakdep khello rust_cube
weakdep test_* khello
alias myalias khello
softdep khello pre: square
";

#[test]
fn weakdeps_as_kmod34() {
    let prog = compile("lkq");
    let tree = golden_tree();
    let conf = temp_dir("conf-weak");
    std::fs::write(conf.join("weak.conf"), CONFIG).unwrap();
    let script = "weak:khello\nweak:test_cube\nweak:square\nweak:myalias\nconfig\n";
    let args = [tree.to_str().unwrap(), conf.to_str().unwrap(), "3"];
    let (code, ours, err) = run(&prog, &args, script, Lib::Ours);
    assert_eq!(code, 0, "{err}");
    let ours = mask_pointers(&ours);
    // kmod 34: the iterator lists each weakdep line, deps joined by blanks;
    // a module's weakdeps are the first matching line's, each looked up
    // (a name that finds nothing adds nothing).
    let expected_iter = "weakdep: key-before-next=(null)\n\
        weakdep khello = square test_square nonexistent\n\
        weakdep khello = rust_cube\n\
        weakdep test_* = khello\n\
        weakdep: after-end key=(null)\n";
    assert!(ours.contains(expected_iter), "{ours}");
    let khello = ours.split("weak khello: err=0\n").nth(1).unwrap();
    assert!(
        khello.starts_with("  weak square path=") && khello.contains("  weak test_square path="),
        "{ours}"
    );
    assert!(ours.contains("weak khello: err=0\n") && ours.contains("  weak-count 2\n"));
    assert!(
        ours.contains("weak test_cube: err=0\n  weak khello path="),
        "{ours}"
    );
    assert!(ours.contains("weak square: err=0\nweak"), "{ours}");
    // Debian's kmod 30 has no weakdep: the program says so.
    let (_, theirs, _) = run(&prog, &args, "weak:khello\n", Lib::System);
    assert!(theirs.contains("weak: not in this library"), "{theirs}");
    match kmod34_dir() {
        Some(d) => {
            let (code, k34, err) = run(&prog, &args, script, Lib::Dir(d));
            assert_eq!(code, 0, "{err}");
            assert_eq!(ours, mask_pointers(&k34), "ours vs kmod 34");
            eprintln!("weakdeps: identical to kmod 34's library");
        }
        None => eprintln!("weakdeps: no kmod 34 build at hand; checked against expectations only"),
    }
}

//! Links the cdylib as `libkmod.so.2` with kmod's version nodes.
//!
//! The script only declares the nodes (in kmod's order, each inheriting the
//! one before); which function belongs to which node is said next to the
//! function by a `.symver` directive (the `symver!` macro of `src/lib.rs`).
//! rustc's own export list keeps everything else local.

use std::path::PathBuf;

/// kmod's version nodes, oldest first.
const NODES: [&str; 5] = [
    "LIBKMOD_5",
    "LIBKMOD_6",
    "LIBKMOD_22",
    "LIBKMOD_30",
    "LIBKMOD_33",
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut script = String::new();
    for (i, node) in NODES.iter().enumerate() {
        match i {
            0 => script.push_str(&format!("{node} {{ }};\n")),
            _ => script.push_str(&format!("{node} {{ }} {};\n", NODES[i - 1])),
        }
    }
    let path = out.join("libkmod.ver");
    std::fs::write(&path, script).expect("write version script");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkmod.so.2");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        path.display()
    );
    println!("cargo:rerun-if-changed=build.rs");
}

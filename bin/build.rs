//! A statically linked build (what `make build` ships) relocates itself at
//! start-up: with packed relative relocations (RELR) it reads a few KB of
//! table instead of ~200 KB, pages every tool call would otherwise map.
//! Dynamic builds are left as they are (RELR there needs glibc >= 2.36 at
//! run time).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if features.split(',').any(|f| f == "crt-static") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

//! include/libkmod.h builds C99 and C++ programs cleanly, with kmod's
//! enum values.

mod common;

use std::process::Command;

fn build(compiler: &str, std: &str, ext: &str) {
    let dir = common::temp_dir(&format!("header-{compiler}"));
    let src = dir.join(format!("header.{ext}"));
    std::fs::copy(common::crate_dir().join("tests/c/header.c"), &src).unwrap();
    let status = Command::new(compiler)
        .args([std, "-Wall", "-Wextra", "-Werror", "-c", "-o"])
        .arg(dir.join("header.o"))
        .arg(format!(
            "-I{}",
            common::crate_dir().join("include").display()
        ))
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run {compiler}: {e}"));
    assert!(status.success(), "{compiler} {std} rejects libkmod.h");
}

#[test]
fn header_c99() {
    build("cc", "-std=c99", "c");
}

#[test]
fn header_cxx() {
    build("g++", "-std=c++11", "cc");
}

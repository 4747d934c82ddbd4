//! rdepmod -v shows a progress bar on a terminal, and nothing extra when
//! stderr is not one (the differential suite compares that output with
//! kmod's byte for byte).

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const REL: &str = "6.1.0-56-amd64";

fn tree(tag: &str) -> PathBuf {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/golden/root");
    let dir = std::env::temp_dir().join(format!("rkmod-progress-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(Command::new("cp")
        .arg("-r")
        .arg(&golden)
        .arg(&dir)
        .status()
        .unwrap()
        .success());
    dir.join("root")
}

#[test]
fn progress_bar_only_on_a_terminal() {
    let root = tree("tty");
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let status = Command::new(env!("CARGO_BIN_EXE_rdepmod"))
        .args(["-v", "-b"])
        .arg(&root)
        .arg(REL)
        .stdout(Stdio::null())
        .stderr(std::fs::File::from(pty.slave))
        .status()
        .unwrap();
    assert!(status.success());
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // the child is gone: whatever it wrote is in the pty; an empty read
    // or EIO ends it
    let fd = pty.master.as_raw_fd();
    nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .unwrap();
    while let Ok(n) = nix::unistd::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.contains("reading modules"), "{seen:?}");
    let _ = std::fs::remove_dir_all(root.parent().unwrap());

    let root = tree("pipe");
    let out = Command::new(env!("CARGO_BIN_EXE_rdepmod"))
        .args(["-v", "-b"])
        .arg(&root)
        .arg(REL)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("reading modules"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let _ = std::fs::remove_dir_all(root.parent().unwrap());
}

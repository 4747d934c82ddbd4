//! One module per tool.

pub mod depmod;
pub mod insmod;
pub mod lsmod;
pub mod modinfo;
pub mod modprobe;
pub mod relocate;
pub mod rmmod;
pub mod sim;

/// Report a clap outcome as getopt-based kmod tools do: help and version
/// exit 0, usage errors exit 1.
pub(crate) fn clap_exit(e: clap::Error) -> i32 {
    let _ = e.print();
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
        _ => 1,
    }
}

/// `-V` text: the version, then the features as kmod lists them.
pub(crate) fn version_text() -> String {
    format!(
        "rkmod version {}\n+ZSTD +XZ +ZLIB +LIBCRYPTO\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The kernel the tools act on: the running Linux kernel.
/// `RKMOD_USERSPACE_DECOMPRESS=1` never hands compressed files to the
/// kernel (the fallback path older kernels take; tests force it).
pub(crate) fn kernel() -> Box<dyn rkmod::Kernel> {
    let linux = rkmod::Linux::new();
    if std::env::var_os("RKMOD_USERSPACE_DECOMPRESS").is_some_and(|v| v == "1") {
        return Box::new(linux.decompress_in_userspace());
    }
    Box::new(linux)
}

/// The kernel a tool acts on: the sim kernel in test mode (`--sim`,
/// `$RKMOD_SIM`), else the running one. `None`: the sim kernel cannot be
/// reached (reported).
pub(crate) fn kernel_for(
    out: &mut crate::Output,
    sim: Option<&std::ffi::OsStr>,
    failing: &[String],
) -> Option<Box<dyn rkmod::Kernel>> {
    match crate::sim_mode::open(out, sim, failing) {
        Ok(Some(s)) => Some(Box::new(s)),
        Ok(None) => Some(kernel()),
        Err(()) => None,
    }
}

/// A `--json` document as printed: pretty, with a final newline.
pub(crate) fn json_text<T: serde::Serialize>(doc: &T) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

//! One module per tool.

pub mod modinfo;

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

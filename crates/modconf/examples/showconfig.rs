//! Print what `modprobe -c` prints, from the same inputs: used by
//! `tests/diff/modprobe_config_diff.py` to compare with kmod byte for byte.
//!
//! ```text
//! showconfig [-C PATH]... [-d ROOT] [-S RELEASE] [--kmod30]
//! ```
//!
//! `-C` may repeat (without it the default directories are read), `-d`
//! and `-S` choose the module directory `ROOT/lib/modules/RELEASE` as
//! modprobe does, `--kmod30` turns kmod 34's `weakdep` off. The kernel
//! command line is read from `/proc/cmdline`, as kmod reads it. Messages go
//! to stderr as `LEVEL: text`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use modconf::modprobe_d::DEFAULT_DIRS;
use modconf::{CmdlineSource, Features, ModprobeConfig};

fn main() -> ExitCode {
    let mut paths: Vec<PathBuf> = Vec::new();
    let (mut root, mut release) = (None::<String>, None::<String>);
    let mut features = Features::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-C" | "-d" | "-S" => {
                let Some(value) = args.next() else {
                    eprintln!("showconfig: {arg} needs a value");
                    return ExitCode::FAILURE;
                };
                match arg.as_str() {
                    "-C" => paths.push(value.into()),
                    "-d" => root = Some(value),
                    _ => release = Some(value),
                }
            }
            "--kmod30" => features = Features::KMOD30,
            _ => {
                eprintln!("showconfig: unexpected argument '{arg}'");
                return ExitCode::FAILURE;
            }
        }
    }
    if paths.is_empty() {
        paths = DEFAULT_DIRS.iter().map(PathBuf::from).collect();
    }
    let release = release.unwrap_or_else(|| {
        let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        r.trim_end().to_string()
    });
    // modprobe builds "ROOT/lib/modules/RELEASE" (ROOT empty without -d).
    let moddir = PathBuf::from(format!(
        "{}/lib/modules/{release}",
        root.unwrap_or_default()
    ));

    let (cfg, diags) =
        ModprobeConfig::load_with(&paths, Some(&moddir), CmdlineSource::Proc, features);
    let mut err = std::io::stderr().lock();
    for d in &diags {
        let _ = write!(err, "{}: ", d.level.label());
        let _ = err.write_all(&d.text);
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(&cfg.show_with_indexes(&moddir)).is_err() || out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

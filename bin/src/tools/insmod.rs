//! `rinsmod`: insert one module file into the kernel, as kmod's insmod.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser};
use rkmod::{InsertFlags, Module};

use crate::Output;

#[derive(Parser, Debug)]
#[command(
    about = "Insert a module into the Linux kernel",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Args {
    /// DANGEROUS: forces a module load, may cause data corruption and crash your machine
    #[arg(short = 'f', long)]
    force: bool,
    /// print to syslog, not stderr
    #[arg(short = 's', long)]
    syslog: bool,
    /// enables more messages
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// show version
    #[arg(short = 'V', long)]
    version: bool,
    /// Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    sim: Option<OsString>,
    /// The module file
    #[arg(value_name = "FILENAME")]
    filename: Option<PathBuf>,
    /// Module parameters (name=value)
    #[arg(
        value_name = "OPTIONS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    options: Vec<String>,
}

/// insmod's wording for the errors a load most often meets.
pub(crate) fn mod_strerror(errno: i32) -> String {
    match errno {
        nix_errno::ENOEXEC => "Invalid module format".into(),
        nix_errno::ENOENT => "Unknown symbol in module".into(),
        nix_errno::ESRCH => "Module has wrong symbol version".into(),
        nix_errno::EINVAL => "Invalid parameters".into(),
        e => rkmod::strerror(e),
    }
}

mod nix_errno {
    pub const ENOENT: i32 = 2;
    pub const ESRCH: i32 = 3;
    pub const ENOEXEC: i32 = 8;
    pub const EINVAL: i32 = 22;
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let mut matches = match super::parse(
        crate::Tool::Insmod,
        Args::command().name(prog.to_string()),
        argv,
        &["sim"],
    ) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let args = match Args::from_arg_matches_mut(&mut matches) {
        Ok(a) => a,
        Err(e) => return super::usage_exit(prog, e),
    };
    let mut out = Output::new(prog).with_syslog(args.syslog);
    if args.version {
        out.text(&super::version_text());
        out.finish();
        return 0;
    }
    let Some(filename) = args.filename else {
        out.error("missing filename.");
        return 1;
    };
    if filename.as_os_str() == "-" {
        out.error("this tool does not support loading from stdin!");
        return 1;
    }
    let params = rkmod::params::join_args(&args.options);
    let module = match Module::from_existing_path(&filename) {
        Ok(m) => m,
        Err(e) => {
            let reason = rkmod::strerror(e.raw_os_error().unwrap_or(2));
            out.error_bytes(&message(b"could not load module ", &filename, &reason));
            return 1;
        }
    };
    let flags = InsertFlags {
        ignore_vermagic: args.force,
        ignore_modversions: args.force,
    };
    let failing = [format!("could not insert module {}", filename.display())];
    let kernel = match super::kernel_for(&mut out, args.sim.as_deref(), &failing) {
        Some(k) => k,
        None => return 1,
    };
    let path = module.path().unwrap_or(&filename);
    match kernel.insert(path, params.as_bytes(), flags) {
        Ok(()) => {
            out.finish();
            0
        }
        Err(e) => {
            let reason = mod_strerror(e.errno());
            out.error_bytes(&message(b"could not insert module ", &filename, &reason));
            // The kernel's own words when it gives them (the sim kernel),
            // else what can be found out here.
            if let Some(hint) = kernel.last_error_detail().or_else(|| {
                rkmod::diagnose::insert_failure(kernel.state(), path, &params, e.errno())
            }) {
                out.hint(&hint);
            }
            1
        }
    }
}

/// `what PATH: reason`, the path as its bytes (kmod prints it so).
fn message(what: &[u8], path: &std::path::Path, reason: &str) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    [what, path.as_os_str().as_bytes(), b": ", reason.as_bytes()].concat()
}

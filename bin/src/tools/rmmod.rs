//! `rrmmod`: remove modules from the kernel, as kmod's rmmod.

use std::ffi::OsString;
use std::path::Path;

use clap::{CommandFactory, FromArgMatches, Parser};
use rkmod::kernel::Initstate;
use rkmod::{Context, Module, RemoveFlags};

use crate::Output;

#[derive(Parser, Debug)]
#[command(
    about = "Remove a module from the Linux kernel",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Args {
    /// DANGEROUS: forces a module unload and may crash your machine
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
    /// Module names or files
    #[arg(value_name = "MODULE")]
    modules: Vec<OsString>,
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let mut matches = match super::parse(
        crate::Tool::Rmmod,
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
    if args.modules.is_empty() {
        out.error("missing module name.");
        return 1;
    }
    let failing: Vec<String> = args
        .modules
        .iter()
        .map(|m| format!("could not remove module {}", m.to_string_lossy()))
        .collect();
    let sim = match crate::sim_mode::open(&mut out, args.sim.as_deref(), &failing) {
        Ok(s) => s,
        Err(()) => return 1,
    };
    let ctx = match &sim {
        Some(s) => crate::sim_mode::context(s).ok(),
        None => Context::new(None, None).ok(),
    };
    let kernel: Box<dyn rkmod::Kernel> = match sim {
        Some(s) => Box::new(s),
        None => super::kernel(),
    };
    let mut failed = false;
    for arg in &args.modules {
        let path = Path::new(arg);
        let name = if pathfs::exists(path) {
            match Module::from_path(path) {
                Ok(m) => m.name_lossy().into_owned(),
                Err(e) => {
                    out.error(&format!(
                        "could not use module {}: {}",
                        path.display(),
                        rkmod::strerror(e.raw_os_error().unwrap_or(2))
                    ));
                    failed = true;
                    break;
                }
            }
        } else {
            String::from_utf8_lossy(&modfile::normalize_name(arg.as_encoded_bytes())).into_owned()
        };
        if !args.force && !check_in_use(&mut out, kernel.state(), ctx.as_ref(), &name) {
            failed = true;
            continue;
        }
        if let Err(e) = kernel.remove(&name, RemoveFlags { force: args.force }) {
            // libkmod's line, then rmmod's
            out.error(&format!(
                "could not remove '{name}': {}",
                rkmod::strerror(e.errno())
            ));
            out.error(&format!(
                "could not remove module {}: {}",
                arg.to_string_lossy(),
                rkmod::strerror(e.errno())
            ));
            failed = true;
        }
    }
    out.finish();
    i32::from(failed)
}

/// kmod's checks before removing: builtin, not loaded, held, in use.
fn check_in_use(
    out: &mut Output,
    state: &rkmod::KernelState,
    ctx: Option<&Context>,
    name: &str,
) -> bool {
    if ctx.is_some_and(|c| c.is_builtin_name(name.as_bytes())) {
        out.error(&format!("Module {name} is builtin."));
        return false;
    }
    if state.initstate(name).is_none() {
        out.error(&format!("Module {name} is not currently loaded"));
        return false;
    }
    let holders = state.holders(name).unwrap_or_default();
    if !holders.is_empty() {
        out.error(&format!(
            "Module {name} is in use by: {}",
            holders.join(" ")
        ));
        return false;
    }
    match state.refcnt(name) {
        Ok(n) if n > 0 => {
            out.error(&format!("Module {name} is in use"));
            false
        }
        Err(e) if e.raw_os_error() == Some(2) => {
            out.error("Module unloading is not supported");
            true
        }
        _ => true,
    }
}

#[allow(dead_code)]
fn _initstate_is_used(_: Initstate) {}

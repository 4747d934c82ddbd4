//! `rlsmod`: list loaded modules in kmod's format.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::Output;

#[derive(Parser, Debug)]
#[command(
    about = "Show the status of modules in the Linux kernel",
    disable_version_flag = true
)]
pub struct Args {
    /// print to syslog, not stderr
    #[arg(short = 's', long)]
    syslog: bool,
    /// enables more messages
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// show version
    #[arg(short = 'V', long)]
    version: bool,
    /// Print one JSON document (schema rkmod/1, see docs/json.md) instead of the table
    #[arg(long)]
    json: bool,
    /// Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    sim: Option<OsString>,
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let args = match super::parse(
        crate::Tool::Lsmod,
        // kmod takes no operands and says so after parsing: collect them
        // (not part of the documented command).
        Args::command().name(prog.to_string()).arg(
            clap::Arg::new("extra")
                .hide(true)
                .num_args(0..)
                .allow_hyphen_values(true)
                .value_parser(clap::value_parser!(OsString)),
        ),
        argv,
        &["json", "sim"],
    ) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let mut out = Output::new(prog).with_syslog(args.get_flag("syslog"));
    if args.get_flag("version") {
        out.text(&super::version_text());
        out.finish();
        return 0;
    }
    if args
        .get_many::<OsString>("extra")
        .is_some_and(|mut e| e.next().is_some())
    {
        out.error("too many arguments provided.");
        return 1;
    }
    let kernel = match super::kernel_for(
        &mut out,
        args.get_one::<OsString>("sim").map(|s| s.as_os_str()),
        &[],
    ) {
        Some(k) => k,
        None => return 1,
    };
    let state = kernel.state();
    if args.get_flag("json") {
        return match rkmod::json::loaded_records(state) {
            Ok(records) => {
                let doc = rkmod::json::Document::new("rlsmod", records);
                out.text(&super::json_text(&doc));
                out.finish();
                0
            }
            Err(e) => {
                let reason = rkmod::strerror(e.raw_os_error().unwrap_or(5));
                out.error(&format!("could not open /proc/modules: {reason}"));
                out.error(&format!("could not get list of modules: {reason}"));
                1
            }
        };
    }
    let loaded = match state.loaded() {
        Ok(l) => l,
        Err(e) => {
            // kmod 34: libkmod's own line, then lsmod's
            let reason = rkmod::strerror(e.raw_os_error().unwrap_or(5));
            out.error(&format!("could not open /proc/modules: {reason}"));
            out.error(&format!("could not get list of modules: {reason}"));
            return 1;
        }
    };
    out.text("Module                  Size  Used by\n");
    for m in loaded {
        // Like kmod, a value that cannot be read shows as the negative errno.
        let size = state.size(&m.name).map_or(-2, |s| s as i64);
        let refcnt = state
            .refcnt(&m.name)
            .unwrap_or_else(|e| -i64::from(e.raw_os_error().unwrap_or(2)));
        out.text(&format!("{:<19} {:>8}  {}", m.name, size, refcnt));
        let holders = state.holders(&m.name).unwrap_or_default();
        for (i, h) in holders.iter().enumerate() {
            out.text(if i == 0 { " " } else { "," });
            out.text(h);
        }
        out.text("\n");
    }
    out.finish();
    0
}

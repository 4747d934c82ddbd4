//! The rkmod command-line tools. Each tool parses its arguments (clap),
//! calls the libraries, and formats the output; nothing here knows about
//! module formats.

use std::ffi::OsString;
use std::path::Path;

pub mod docs;
mod getopt;
mod help;
mod output;
mod sim_mode;
mod tools;

pub use output::Output;

/// The tools, by the kmod name they stand in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Insmod,
    Rmmod,
    Lsmod,
    Modinfo,
    Modprobe,
    Depmod,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::Insmod,
        Tool::Rmmod,
        Tool::Lsmod,
        Tool::Modinfo,
        Tool::Modprobe,
        Tool::Depmod,
    ];

    /// kmod's name for the tool ("modinfo").
    pub fn kmod_name(self) -> &'static str {
        match self {
            Tool::Insmod => "insmod",
            Tool::Rmmod => "rmmod",
            Tool::Lsmod => "lsmod",
            Tool::Modinfo => "modinfo",
            Tool::Modprobe => "modprobe",
            Tool::Depmod => "depmod",
        }
    }

    /// rkmod's name for the tool ("rmodinfo").
    pub fn rkmod_name(self) -> String {
        format!("r{}", self.kmod_name())
    }

    /// The tool a command name stands for: `modinfo` and `rmodinfo` alike.
    pub fn from_name(name: &str) -> Option<Tool> {
        let plain = name
            .strip_prefix('r')
            .filter(|rest| Tool::ALL.iter().any(|t| t.kmod_name() == *rest));
        let name = plain.unwrap_or(name);
        Tool::ALL.into_iter().find(|t| t.kmod_name() == name)
    }

    /// Run the tool; `prog` is the name messages carry. Inlined so that a
    /// tool's own binary, which names its tool as a constant, links only
    /// that tool's code: a smaller image to map and relocate per call.
    #[inline(always)]
    pub fn run(self, prog: &str, args: Vec<OsString>) -> i32 {
        match self {
            Tool::Modinfo => tools::modinfo::run(prog, args),
            Tool::Insmod => tools::insmod::run(prog, args),
            Tool::Rmmod => tools::rmmod::run(prog, args),
            Tool::Lsmod => tools::lsmod::run(prog, args),
            Tool::Modprobe => tools::modprobe::run(prog, args),
            Tool::Depmod => tools::depmod::run(prog, args),
        }
    }
}

/// Entry point of the multicall binary: pick the tool from argv[0], or from
/// argv[1] when invoked as `rkmod`. Returns the exit status.
pub fn multicall(args: Vec<OsString>) -> i32 {
    let invoked = args
        .first()
        .map(|a| {
            Path::new(a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    if let Some(tool) = Tool::from_name(&invoked) {
        return tool.run(&invoked, args);
    }
    if invoked == "kmod" {
        return tools::kmod::run(args);
    }
    let sub = args.get(1).map(|a| a.to_string_lossy().into_owned());
    match sub.as_deref() {
        Some("--version" | "-V") => {
            println!("rkmod version {}", env!("CARGO_PKG_VERSION"));
            0
        }
        // Hidden: what `make man completions` and the completions call.
        Some("__generate") => docs::generate::run(&args[2..]),
        Some("__complete") => docs::complete::run(&args[2..]),
        // Hidden: the module loader's layout and relocation, for tests and
        // for checking a module against another linker.
        Some("__relocate") => tools::relocate::run(&args[2..]),
        // kmod's own commands
        Some("list") => Tool::Lsmod.run(&invoked, args[1..].to_vec()),
        Some("static-nodes") => tools::kmod::static_nodes_command(&invoked, &args[1..]),
        Some("sim") => tools::sim::run(&format!("{invoked} sim"), args[1..].to_vec()),
        // A module host of the sim kernel: started by the daemon only.
        Some(tools::sim::HOST_COMMAND) => sim::host::main(),
        Some(name) if Tool::from_name(name).is_some() => {
            let tool = Tool::from_name(name).unwrap_or(Tool::Modinfo);
            let prog = tool.rkmod_name();
            let mut argv = args[1..].to_vec();
            argv[0] = OsString::from(&prog);
            tool.run(&prog, argv)
        }
        Some("help" | "--help" | "-h") | None => {
            print!("{}", usage(&invoked));
            i32::from(sub.is_none())
        }
        Some(other) => {
            eprintln!("{invoked}: ERROR: unknown command '{other}'");
            eprint!("{}", usage(&invoked));
            1
        }
    }
}

fn usage(prog: &str) -> String {
    let mut s = format!("Usage:\n\t{prog} <command> [options]\n\nCommands:\n");
    let mut line = |name: &str, what: &str| s.push_str(&format!("  {name:<12} {what}\n"));
    for t in Tool::ALL {
        line(t.kmod_name(), &format!("kmod's {}", t.kmod_name()));
    }
    line("list", "kmod's list (lsmod's table)");
    line(
        "static-nodes",
        "kmod's static-nodes: the device nodes of modules.devname",
    );
    line(
        "sim",
        "the sim kernel (test mode): serve, start, stop, status, log, read, write",
    );
    s.push_str(
        "\nEach tool is also installed as r<tool> (rmodinfo, rdepmod, ...); invoked as\n\
         kmod, rkmod is kmod's own command (help, list, static-nodes).\n",
    );
    s
}

/// What a tool binary's `main` does, without Rust's runtime set-up: each
/// binary is `#![no_main]` and defines C's `main` with [`tool_main!`].
/// That set-up (reading `/proc/self/maps` for the main thread's stack
/// guard, an alternate signal stack and its handlers: about 20 system
/// calls) cost 60-70 µs of every call, a tenth of a `modprobe` call
/// (issue 14). Kept from it: closed descriptors 0-2 opened on /dev/null,
/// SIGPIPE ignored (a closed pipe is a write error, as before), and a
/// panic's exit status, 101.
pub fn start(run: impl FnOnce() -> i32 + std::panic::UnwindSafe) -> ! {
    standard_fds_open();
    // SAFETY: setting a signal's disposition to SIG_IGN runs no handler.
    unsafe {
        nix::libc::signal(nix::libc::SIGPIPE, nix::libc::SIG_IGN);
    }
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    // exit flushes stdout, as a return from Rust's main would
    std::process::exit(code)
}

/// As Rust's set-up does: descriptors 0-2 that are closed (a program the
/// kernel starts may have none) are opened on /dev/null, so that no file a
/// tool opens becomes its standard output or error.
fn standard_fds_open() {
    use nix::libc;
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: poll reads and writes the three entries it is given.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } >= 0;
    for pfd in fds {
        let closed = if polled {
            pfd.revents & libc::POLLNVAL != 0
        } else {
            // SAFETY: fcntl(F_GETFD) only asks whether it is open.
            let flags = unsafe { libc::fcntl(pfd.fd, libc::F_GETFD) };
            flags == -1
        };
        // SAFETY: opening /dev/null takes the lowest free descriptor,
        // this one (those below it are open).
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
            // nothing to stand in for it: as Rust's runtime, give up
            std::process::abort();
        }
    }
}

/// C's `main` for a tool binary (`#![cfg_attr(not(test), no_main)]`):
/// `tool_main!(expr)` runs `expr` (the exit status) through [`start`].
/// Arguments are read with `std::env::args_os`, which glibc builds hand to
/// std before `main`.
#[macro_export]
macro_rules! tool_main {
    ($run:expr) => {
        // (a test build of the binary has the test harness's main)
        #[cfg(not(test))]
        #[unsafe(no_mangle)]
        pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
            $crate::start(|| $run)
        }
    };
}

/// Run one tool as its own binary (`rmodinfo` and the like).
#[inline(always)]
pub fn single(tool: Tool) -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let prog = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| tool.rkmod_name());
    tool.run(&prog, args)
}

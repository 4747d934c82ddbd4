//! The sim kernel: a userspace stand-in for the Linux kernel's module
//! loader, so the module tools run without root or a loadable-module
//! kernel. Modules are shared objects built against the `sim-module` crate
//! (Rust) or `sim_module.h` (C).
//!
//! # Processes
//!
//! * The **daemon** ([`run`] / [`Daemon::start`]) owns the state: the
//!   loaded modules, their symbol links and refcounts, and the files a
//!   kernel shows (`<state>/proc/modules`, `<state>/sys/module/<m>/…`,
//!   `<state>/log`). It never runs module code.
//! * Each **host group** is a `rkmod-sim-host` process ([`host`]) that
//!   dlopens modules and calls into them. Modules that use another
//!   module's symbols join its group (they must share an address space to
//!   link); independent modules get a process each. A module that
//!   crashes, aborts or hangs takes its group down and nothing else: the
//!   daemon logs the module and the signal, removes the group's modules and
//!   keeps serving.
//! * **Clients** ([`Client`]) talk to the daemon over a Unix socket
//!   ([`protocol`]); anyone may read, only the daemon's owner or root may
//!   load and unload.
//!
//! # Loading, in the kernel's order
//!
//! The path is canonicalised and must lie in the module tree; the file's
//! `.modinfo` gives the name and vermagic (checked against the release);
//! a non-GPL license taints; every import must be exported by a live module
//! (GPL-only exports only to GPL-compatible modules), or the load fails
//! with `ENOENT` and `Unknown symbol` lines; duplicate exports are refused;
//! then the host loads it, checks the interface version, applies the
//! parameters through the module's table (`Unknown parameter`, `invalid
//! for parameter` as the kernel logs them) and runs `module_init` (a
//! negative return unloads it and is the error).

pub mod client;
pub mod control;
pub mod daemon;
pub mod error;
mod group;
pub mod host;
mod kernel;
mod ko;
mod log;
pub mod params;
pub mod protocol;
pub mod sofile;
mod state;
pub mod symbols;
mod taint;
mod util;

pub use client::Client;
pub use daemon::{run, Config, ConnectionLimits, Daemon};
pub use error::{DaemonError, Error};
pub use group::HostCommand;
pub use protocol::{InsertFlags, LogEntry, LogPage, ModuleInfo, Status};
pub use util::mono_ns;

//! `kapi`: the userspace kernel API that real `.ko` modules run against
//! in the sim kernel.
//!
//! * [`kbuild`]: the C layer (`c/`) built by kbuild against the headers of
//!   the release the sim kernel plays, so the kernel structs it touches
//!   (`struct module`, `kernel_param`, `seq_file`, `file`, `task_struct`)
//!   have that release's layouts by construction;
//! * [`Symvers`]: the kernel's export table, which decides what kapi
//!   serves (and what is GPL-only);
//! * [`KoFile`]: what the sim kernel reads from a `.ko` before loading it;
//! * [`Runtime`]: in a host process, kapi.ko and modules loaded into the
//!   low 2 GiB by `modload`, each thread that runs kernel code a CPU with
//!   `%gs` on its per-CPU copy, init/exit called, parameters and files
//!   served through the modules' own operations.
//!
//! What kapi implements, and how, is in `c/` (one file per concern:
//! printk, vsprintf, params, memory, procfs/seq_file, sysfs/debugfs,
//! locks and waiting, kthreads and scheduling, timers, workqueues).

mod error;
mod host;
pub mod kbuild;
mod kofile;
mod percpu;
mod runtime;
mod symvers;

pub use error::Error;
pub use host::Hooks;
pub use kofile::KoFile;
pub use runtime::{served, Param, Runtime};
pub use symvers::{Export, Symvers};

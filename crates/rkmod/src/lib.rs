//! The rkmod library core, in the role libkmod plays for kmod: one
//! [`Context`] carries the modules directory (root and kernel release) and
//! answers questions about modules — lookup by path, name or alias, and the
//! information a module carries ([`Context::module_info`]).
//!
//! ```no_run
//! let ctx = rkmod::Context::new(None, None)?;
//! for module in ctx.lookup("pci:v00008086d000010D3sv*sd*bc*sc*i*")? {
//!     println!("{}", module.name_lossy());
//! }
//! # Ok::<(), rkmod::Error>(())
//! ```

mod builtin;
pub mod context;
pub mod diagnose;
mod error;
pub mod graph;
mod info;
pub mod json;
pub mod kernel;
mod lookup;
pub mod params;
pub mod probe;
pub mod remove;
pub mod static_nodes;
pub use lookup::normalize_alias;
mod module;

pub use context::Context;
pub use error::{strerror, Error, Result};
pub use info::InfoEntry;
pub use kernel::{
    InsertFailure, InsertFlags, Kernel, KernelError, KernelState, Linux, RemoveFlags, Sim,
};
pub use module::{Module, Origin};
pub use probe::{LoadPlan, PlanStep, ProbeError, ProbeFlags, ProbeObserver, Probed, StepAction};
pub use remove::{RemoveEvent, RemoveProbeFlags};

/// File name endings of module files this build reads.
pub const MODULE_EXTENSIONS: [&str; 4] = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

/// Whether a path names a module file by its ending, as kmod decides it.
pub fn has_module_extension(path: &[u8]) -> bool {
    MODULE_EXTENSIONS
        .iter()
        .any(|ext| path.len() > ext.len() && path.ends_with(ext.as_bytes()))
}

#[cfg(test)]
mod tests {
    /// A service may share one context and one kernel backend between threads.
    #[test]
    fn context_and_kernel_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Context>();
        assert_send_sync::<crate::Linux>();
        assert_send_sync::<crate::Sim>();
        assert_send_sync::<Box<dyn crate::Kernel>>();
    }

    #[test]
    fn module_extensions() {
        assert!(crate::has_module_extension(b"a/b.ko.xz"));
        assert!(crate::has_module_extension(b"x.ko"));
        assert!(!crate::has_module_extension(b".ko"));
        assert!(!crate::has_module_extension(b"x.ko.bz2"));
    }
}

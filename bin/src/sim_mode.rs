//! Test mode for the tools: `--sim[=SOCKET]` or `RKMOD_SIM=<socket>` makes
//! a tool act on a sim kernel — its backend, its release, its module tree
//! (all from the daemon's status). Without either, nothing changes.

use std::ffi::OsStr;
use std::path::PathBuf;

use rkmod::{Context, Sim};

use crate::Output;

/// The socket of the sim kernel to use, if any: `--sim=SOCKET`; `--sim`
/// alone (given here as an empty value) takes `$RKMOD_SIM`, else the
/// default socket; no `--sim` takes `$RKMOD_SIM` when it is set.
pub(crate) fn socket(arg: Option<&OsStr>) -> Option<PathBuf> {
    let env = || {
        std::env::var_os("RKMOD_SIM")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match arg {
        Some(s) if !s.is_empty() => Some(PathBuf::from(s)),
        Some(_) => Some(env().unwrap_or_else(sim::Config::default_socket_path)),
        None => env(),
    }
}

/// Connect to the sim kernel the options name. `Ok(None)`: not in test
/// mode. `Err(())`: the daemon cannot be reached or refused the connection
/// (reported: after each of `failing`, what this fails in kmod's words,
/// such as "could not insert module X", or alone when there is none).
pub(crate) fn open(
    out: &mut Output,
    arg: Option<&OsStr>,
    failing: &[String],
) -> Result<Option<Sim>, ()> {
    let Some(socket) = socket(arg) else {
        return Ok(None);
    };
    match Sim::connect(&socket) {
        Ok(s) => Ok(Some(s)),
        Err(e) if failing.is_empty() => {
            out.error(&e.message);
            Err(())
        }
        Err(e) => {
            for what in failing {
                out.error(&format!("{what}: {}", e.message));
            }
            Err(())
        }
    }
}

/// The context of the sim kernel's module tree.
pub(crate) fn context(sim: &Sim) -> rkmod::Result<Context> {
    Context::with_dirname(sim.module_root(), sim.release())
}

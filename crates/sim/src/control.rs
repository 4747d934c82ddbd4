//! Controlling a sim kernel from scripts: wait until one serves, stop one.
//! A daemon stops on SIGTERM (see [`crate::run`]); stopping by signal needs
//! no protocol operation and is allowed to exactly those who may signal
//! the process — its owner and root, the ones who may load modules.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::libc;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::client::Client;
use crate::error::Error;
use crate::protocol::Status;

const POLL: Duration = Duration::from_millis(20);

/// Wait until a daemon answers `status` on `socket`, for at most `timeout`.
/// `gave_up` is asked between attempts (a starter checks whether the
/// daemon process exited); returning true ends the wait at once.
pub fn wait_ready(
    socket: &Path,
    timeout: Duration,
    mut gave_up: impl FnMut() -> bool,
) -> Result<Status, Error> {
    let end = Instant::now() + timeout;
    loop {
        let last = match Client::connect(socket).and_then(|c| c.status()) {
            Ok(s) => return Ok(s),
            Err(e) => e,
        };
        if gave_up() || Instant::now() >= end {
            return Err(last);
        }
        std::thread::sleep(POLL);
    }
}

/// Stop the daemon serving `socket`: SIGTERM, then wait (at most
/// `timeout`) until it no longer answers and its process is gone. Returns
/// the status it had.
pub fn stop(socket: &Path, timeout: Duration) -> Result<Status, Error> {
    let client = Client::connect(socket)?;
    let status = client.status()?;
    drop(client);
    let pid = Pid::from_raw(status.pid as i32);
    kill(pid, Signal::SIGTERM).map_err(|e| {
        Error::new(
            e as i32,
            format!("cannot stop the sim kernel (pid {pid}): {}", e.desc()),
        )
    })?;
    let end = Instant::now() + timeout;
    while Client::connect(socket).is_ok() || process_alive(pid) {
        if Instant::now() >= end {
            return Err(Error::new(
                libc::ETIMEDOUT,
                format!(
                    "the sim kernel (pid {pid}) did not stop within {} s",
                    timeout.as_secs_f64()
                ),
            ));
        }
        std::thread::sleep(POLL);
    }
    Ok(status)
}

/// Whether `pid` still runs: it exists and is not a zombie waiting for a
/// parent (a daemon started in the background has no parent that reaps
/// it promptly).
fn process_alive(pid: Pid) -> bool {
    if kill(pid, None).is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

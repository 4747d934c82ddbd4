//! Module files: `/proc`, `/sys` and parameter files, read and written
//! through the module's own operations in its host.

use std::sync::Arc;

use nix::libc;

use super::{err, Kernel};
use crate::error::Error;
use crate::group::{CallError, Group};
use crate::protocol::host::{Call, Done};

/// The most a `read` answers (its hex must fit a protocol frame).
const MAX_FILE_READ: usize = 256 << 10;

/// `/sys/module/<m>/parameters/<p>` → (m, p).
fn param_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/sys/module/")?;
    let (module, param) = rest.split_once("/parameters/")?;
    (!param.is_empty() && !param.contains('/')).then_some((module, param))
}

impl Kernel {
    /// The group whose modules made `path`: a parameter's module's, or
    /// the one that reported the file.
    fn file_group(&self, path: &str) -> Result<Arc<Group>, Error> {
        let missing = || err(libc::ENOENT, format!("{path}: No such file or directory"));
        let gid = match param_path(path) {
            Some((module, _)) => self.modules[self.index(module).ok_or_else(missing)?].group,
            None => {
                *self
                    .groups
                    .iter()
                    .find(|(_, g)| g.has_file(path))
                    .ok_or_else(missing)?
                    .0
            }
        };
        self.groups.get(&gid).cloned().ok_or_else(missing)
    }

    /// Read a module's file to its end, through the module's own code.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, Error> {
        let group = self.file_group(path)?;
        match group.call(
            Call::Read {
                path: path.to_string(),
            },
            self.call_timeout(),
        ) {
            Ok(Done::Data { data }) if data.len() > MAX_FILE_READ => Err(err(
                libc::EFBIG,
                format!("{path}: more than {MAX_FILE_READ} bytes"),
            )),
            Ok(Done::Data { data }) => Ok(data),
            r => Err(self.call_failed(&group, r.map(|_| ()), &format!("reading {path}"))),
        }
    }

    /// One write to a module's file; a parameter is set as sysfs sets it.
    pub fn write(&mut self, path: &str, data: &[u8]) -> Result<(), Error> {
        if let Some((module, param)) = param_path(path) {
            let value = String::from_utf8_lossy(data).into_owned();
            return self.set_param(module, param, &value);
        }
        let group = self.file_group(path)?;
        match group.call(
            Call::Write {
                path: path.to_string(),
                data: data.to_vec(),
            },
            self.call_timeout(),
        ) {
            Ok(Done::Written) => Ok(()),
            r => Err(self.call_failed(&group, r.map(|_| ()), &format!("writing {path}"))),
        }
    }

    /// The error for a call that did not answer as expected, the group
    /// ended when it died or hung.
    fn call_failed(&mut self, group: &Arc<Group>, r: Result<(), CallError>, what: &str) -> Error {
        match r {
            Ok(()) => err(libc::EPROTO, "unexpected answer from the module host"),
            Err(CallError::Failed(f)) => Error::new(f.errno, f.message),
            Err(CallError::Died) => {
                self.group_died(group.id);
                err(libc::EFAULT, format!("crashed while {what} (see the log)"))
            }
            Err(CallError::Timeout) => {
                let msg = format!(
                    "{what} did not return within {} s",
                    self.call_timeout().as_secs_f64()
                );
                group.kill(Some(msg.clone()));
                self.group_died(group.id);
                err(libc::ETIMEDOUT, msg)
            }
        }
    }
}

//! modprobe's removal logic (`modprobe -r`): post-softdeps, holders when
//! asked, the module (or its remove command), dependencies left unused,
//! then pre-softdeps — kmod's order.

use std::time::{Duration, Instant};

use crate::context::Context;
use crate::kernel::{Initstate, Kernel, RemoveFlags};
use crate::module::Module;

const ENOENT: i32 = nix::libc::ENOENT;
const EBUSY: i32 = nix::libc::EBUSY;
const EEXIST: i32 = nix::libc::EEXIST;
const EAGAIN: i32 = nix::libc::EAGAIN;

/// How to remove, as modprobe's options set it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveProbeFlags {
    /// `-i`: ignore remove commands (and softdeps).
    pub ignore_commands: bool,
    /// `-n`: show, do not act.
    pub dry_run: bool,
    /// `--first-time`: fail when the module is not loaded.
    pub first_time: bool,
    /// `--remove-holders`: remove the modules holding it first.
    pub remove_holders: bool,
    /// `-f`: force the removal.
    pub force: bool,
    /// `-w`: how long to wait for the module to become unused.
    pub wait: Option<Duration>,
}

/// What a removal reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveEvent {
    /// `rmmod NAME` or `remove COMMAND` (printed with `-v`/`-n`).
    Action(String),
    /// Not loaded (an error only with `--first-time`).
    NotInKernel(String),
    Builtin(String),
    InUse(String),
    /// A remove command exited non-zero.
    CommandFailed(String),
    /// The kernel refused; errno.
    RemoveFailed(String, i32),
    /// `/sys/module/NAME/holders` could not be read; errno.
    NoHolders(String, i32),
    /// The wait bound passed with the module still in use.
    WaitExpired(String, i32),
}

struct Remover<'a> {
    /// Modules being removed up the call chain: a softdep cycle stops here
    /// (kmod recurses until its stack overflows).
    active: Vec<Vec<u8>>,
    ctx: &'a Context,
    kernel: &'a dyn Kernel,
    flags: RemoveProbeFlags,
    report: &'a mut dyn FnMut(RemoveEvent),
}

impl Context {
    /// Remove `module` as `modprobe -r` does. Returns the errno of the
    /// failure that decides the exit status.
    pub fn remove_probe(
        &self,
        kernel: &dyn Kernel,
        module: &Module,
        flags: RemoveProbeFlags,
        report: &mut dyn FnMut(RemoveEvent),
    ) -> Result<(), i32> {
        let mut r = Remover {
            active: Vec::new(),
            ctx: self,
            kernel,
            flags,
            report,
        };
        r.module(module, flags.remove_holders, false)
    }
}

impl Remover<'_> {
    fn module(&mut self, module: &Module, holders: bool, ignore_builtin: bool) -> Result<(), i32> {
        if self.active.iter().any(|n| n == module.name()) {
            return Ok(());
        }
        self.active.push(module.name().to_vec());
        let r = self.module_once(module, holders, ignore_builtin);
        self.active.pop();
        r
    }

    fn module_once(
        &mut self,
        module: &Module,
        holders: bool,
        ignore_builtin: bool,
    ) -> Result<(), i32> {
        let name = module.name_lossy().into_owned();
        let (pre, post, command) = if self.flags.ignore_commands {
            (Vec::new(), Vec::new(), None)
        } else {
            let (pre, post) = self.ctx.softdeps(module);
            let cmd = self
                .ctx
                .config()
                .and_then(|c| c.remove_command(module.name()))
                .map(<[u8]>::to_vec);
            (pre, post, cmd)
        };
        if command.is_none() {
            match self.ctx.initstate(self.kernel, module) {
                None => {
                    if self.flags.first_time {
                        (self.report)(RemoveEvent::NotInKernel(name));
                        return Err(ENOENT);
                    }
                    return Ok(());
                }
                Some(Initstate::Builtin) => {
                    if ignore_builtin {
                        return Ok(());
                    }
                    (self.report)(RemoveEvent::Builtin(name));
                    return Err(ENOENT);
                }
                Some(_) => {}
            }
        }
        let _ = self.list(&post, false);
        if holders {
            let held = match self.kernel.state().holders(&name) {
                Ok(h) => h,
                Err(e) => {
                    (self.report)(RemoveEvent::NoHolders(
                        name.clone(),
                        e.raw_os_error().unwrap_or(2),
                    ));
                    Vec::new()
                }
            };
            let held_by = held
                .into_iter()
                .map(|h| Module {
                    name: h.into_bytes(),
                    path: None,
                    origin: crate::Origin::ModulesDep,
                    alias: None,
                })
                .collect::<Vec<_>>();
            self.list(&held_by, true)?;
        }
        if command.is_none() && self.flags.wait.is_none() {
            let refcnt = self.kernel.state().refcnt(&name).unwrap_or(-1);
            if refcnt > 0 {
                (self.report)(RemoveEvent::InUse(name));
                return Err(EBUSY);
            }
        }
        match &command {
            Some(cmd) => {
                // Removal has no command-line options: the variable empties.
                let cmd = crate::probe::substitute_options(cmd, b"");
                (self.report)(RemoveEvent::Action(format!(
                    "remove {}",
                    String::from_utf8_lossy(&cmd)
                )));
                if !self.flags.dry_run {
                    if let Err(status) = crate::probe::run_command(module, &cmd) {
                        (self.report)(RemoveEvent::CommandFailed(name));
                        return Err(status.max(1));
                    }
                }
            }
            None => {
                self.remove(&name)?;
                for dep in self.ctx.dependencies(module) {
                    let dep_name = dep.name_lossy().into_owned();
                    if self.kernel.state().refcnt(&dep_name).ok() == Some(0) {
                        let _ = self.remove(&dep_name);
                    }
                }
            }
        }
        let _ = self.list(&pre, false);
        Ok(())
    }

    /// Remove each module of a list, last first; stop at an error only when asked.
    fn list(&mut self, modules: &[Module], stop_on_errors: bool) -> Result<(), i32> {
        for m in modules.iter().rev() {
            let r = self.module(m, false, true);
            if r.is_err() && stop_on_errors {
                return r;
            }
        }
        Ok(())
    }

    /// One `delete_module`, retried while busy within the `-w` bound.
    fn remove(&mut self, name: &str) -> Result<(), i32> {
        (self.report)(RemoveEvent::Action(format!("rmmod {name}")));
        if self.flags.dry_run {
            return Ok(());
        }
        let flags = RemoveFlags {
            force: self.flags.force,
        };
        let deadline = self.flags.wait.map(|w| Instant::now() + w);
        let mut pause = Duration::from_millis(1);
        loop {
            match self.kernel.remove(name, flags) {
                Ok(()) => return Ok(()),
                Err(e) if e.errno() == EEXIST => {
                    if self.flags.first_time {
                        (self.report)(RemoveEvent::NotInKernel(name.to_string()));
                        return Err(EEXIST);
                    }
                    return Ok(());
                }
                Err(e) if e.errno() == EAGAIN && deadline.is_some() => {
                    let left = deadline
                        .unwrap_or_else(Instant::now)
                        .saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        (self.report)(RemoveEvent::WaitExpired(name.to_string(), EAGAIN));
                        return Err(EAGAIN);
                    }
                    std::thread::sleep(pause.min(left));
                    pause = (pause * 2).min(Duration::from_millis(1000));
                }
                Err(e) => {
                    (self.report)(RemoveEvent::RemoveFailed(name.to_string(), e.errno()));
                    return Err(e.errno());
                }
            }
        }
    }
}

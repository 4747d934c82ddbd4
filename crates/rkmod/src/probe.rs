//! modprobe's insertion logic as data first: a [`LoadPlan`] lists, in
//! order, the modules a request needs (dependencies, softdeps, the module
//! itself) and what each takes (a file, an install command, nothing when
//! builtin). `--show-depends`, `--dry-run` and a real load all walk the
//! same plan through [`Context::probe`].

use std::collections::HashMap;
use std::path::PathBuf;

use crate::context::Context;
use crate::kernel::{Initstate, InsertFlags, Kernel, KernelError};
use crate::module::Module;

const EEXIST: i32 = nix::libc::EEXIST;
const ENOENT: i32 = nix::libc::ENOENT;

/// How to probe, as modprobe's options set it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProbeFlags {
    /// `-i`: ignore install commands.
    pub ignore_commands: bool,
    /// `-D`: act as if nothing were loaded.
    pub ignore_loaded: bool,
    /// `-n`/`-D`: show, do not act.
    pub dry_run: bool,
    /// `-b`: the blacklist applies to the module even when named directly.
    pub use_blacklist: bool,
    /// `--first-time`: fail when the module is loaded already.
    pub first_time: bool,
    pub insert: InsertFlags,
}

/// What one step of a plan does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    /// Insert this file.
    Insert(PathBuf),
    /// Run this install command (as configured, before `$CMDLINE_OPTS`).
    Command(Vec<u8>),
    /// Nothing to load: built into the kernel.
    Builtin,
    /// Known by name only (no file, not builtin).
    Missing,
}

/// One module of a load plan.
#[derive(Debug, Clone)]
pub struct PlanStep {
    pub module: Module,
    /// Options from the configuration, with the command line's for the
    /// requested module: bytes as written (kmod prints and passes them on
    /// unchanged, whatever their encoding).
    pub options: Vec<u8>,
    pub action: StepAction,
    /// A hard dependency (or the module itself): its failure fails the load.
    pub required: bool,
}

/// The ordered modules a request loads.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub steps: Vec<PlanStep>,
}

/// Outcome of a probe that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probed {
    Done,
    /// The module is loaded (or builtin) already: nothing was done.
    AlreadyLoaded,
    /// The blacklist stopped it.
    Blacklisted,
}

/// A failed probe: the errno, and the step that failed when there is one.
#[derive(Debug, Clone)]
pub struct ProbeError {
    pub errno: i32,
    pub module: Option<Module>,
    /// The install command's exit code when a command failed.
    pub command_status: Option<i32>,
}

/// What a probe reports as it goes (modprobe's `-v`/`-n` lines).
pub trait ProbeObserver {
    /// A step is about to run (or would run, when dry).
    fn action(&mut self, step: &PlanStep, command: Option<&[u8]>);
}

impl<F: FnMut(&PlanStep, Option<&[u8]>)> ProbeObserver for F {
    fn action(&mut self, step: &PlanStep, command: Option<&[u8]>) {
        self(step, command)
    }
}

/// Per-module flags while a plan is built, like libkmod's module objects:
/// a module reached through an alias is a different object from the same
/// module reached by name.
#[derive(Default, Clone, Copy)]
struct Marks {
    visited: bool,
    required: bool,
    ignore_command: bool,
}

type Key = (Vec<u8>, Option<Vec<u8>>);

fn key(m: &Module) -> Key {
    (m.name.clone(), m.alias.clone())
}

struct Builder<'a> {
    ctx: &'a Context,
    marks: HashMap<Key, Marks, foldhash::fast::RandomState>,
    order: Vec<Module>,
}

impl Builder<'_> {
    fn marks(&mut self, m: &Module) -> &mut Marks {
        self.marks.entry(key(m)).or_default()
    }

    fn probe_list(&mut self, module: &Module, required: bool, ignore_command: bool) {
        if self.marks(module).visited {
            return;
        }
        self.marks(module).visited = true;
        let deps = self.ctx.dependencies(module);
        if required {
            self.marks(module).required = true;
            for d in &deps {
                self.marks(d).required = true;
            }
        }
        for d in &deps {
            self.with_softdeps(d);
        }
        if ignore_command {
            self.order.push(module.clone());
            self.marks(module).ignore_command = true;
        } else {
            self.with_softdeps(module);
        }
    }

    /// The module between its `pre:` and `post:` softdeps.
    fn with_softdeps(&mut self, module: &Module) {
        let (pre, post) = self.ctx.softdeps(module);
        for m in &pre {
            self.probe_list(m, false, false);
        }
        self.order.push(module.clone());
        self.marks(module).ignore_command = !pre.is_empty() || !post.is_empty();
        for m in &post {
            self.probe_list(m, false, false);
        }
    }
}

impl Context {
    /// A module's `pre:` and `post:` softdeps, each name looked up.
    pub fn softdeps(&self, module: &Module) -> (Vec<Module>, Vec<Module>) {
        let Some(dep) = self.config().and_then(|c| c.softdep(module.name())) else {
            return (Vec::new(), Vec::new());
        };
        // As libkmod: a name that cannot be looked up is skipped, with a message.
        let resolve = |names: Vec<&[u8]>| -> Vec<Module> {
            let mut found = Vec::new();
            for name in names {
                match self.lookup_bytes(name) {
                    Ok(modules) => found.extend(modules),
                    Err(_) => self.memo().note_all(&[format!(
                        "failed to lookup soft dependency '{}', continuing anyway.",
                        String::from_utf8_lossy(name)
                    )]),
                }
            }
            found
        };
        (resolve(dep.pre().collect()), resolve(dep.post().collect()))
    }

    /// Options the configuration gives a module (by name or by the alias
    /// it was found through).
    pub fn module_options(&self, module: &Module) -> Option<Vec<u8>> {
        self.config()?
            .options_for_alias(module.name(), module.alias())
    }

    /// Whether the kernel has the module: live, or builtin.
    pub fn in_kernel(&self, kernel: &dyn Kernel, module: &Module) -> bool {
        matches!(
            self.initstate(kernel, module),
            Some(Initstate::Live | Initstate::Builtin)
        )
    }

    /// The module's state: builtin per modules.builtin, else what the kernel shows.
    pub fn initstate(&self, kernel: &dyn Kernel, module: &Module) -> Option<Initstate> {
        if module.is_builtin() || self.is_builtin_name(module.name()) {
            return Some(Initstate::Builtin);
        }
        kernel.state().initstate(&module.name_lossy())
    }

    /// The plan for loading `module` with `extra_options` from the command line.
    pub fn load_plan(
        &self,
        module: &Module,
        ignore_commands: bool,
        extra_options: &str,
    ) -> LoadPlan {
        let mut b = Builder {
            ctx: self,
            marks: HashMap::default(),
            order: Vec::new(),
        };
        b.probe_list(module, true, ignore_commands);
        let target = key(module);
        let steps = b
            .order
            .iter()
            .map(|m| {
                let marks = b.marks.get(&key(m)).copied().unwrap_or_default();
                // As libkmod joins them: configured options are followed by
                // a blank even when the command line adds nothing.
                let extra = if key(m) == target { extra_options } else { "" };
                let options = match self.module_options(m) {
                    Some(mut o) => {
                        o.push(b' ');
                        o.extend_from_slice(extra.as_bytes());
                        o
                    }
                    None => extra.as_bytes().to_vec(),
                };
                let command = self.config().and_then(|c| c.install_command(m.name()));
                let action = match (command, marks.ignore_command) {
                    (Some(cmd), false) => StepAction::Command(cmd.to_vec()),
                    _ => match m.path() {
                        Some(p) => StepAction::Insert(p.to_path_buf()),
                        None if m.is_builtin() || self.is_builtin_name(m.name()) => {
                            StepAction::Builtin
                        }
                        None => StepAction::Missing,
                    },
                };
                PlanStep {
                    module: m.clone(),
                    options,
                    action,
                    required: marks.required,
                }
            })
            .collect();
        LoadPlan { steps }
    }

    /// modprobe for one module: kmod's `kmod_module_probe_insert_module`.
    pub fn probe(
        &self,
        kernel: &dyn Kernel,
        module: &Module,
        flags: ProbeFlags,
        extra_options: &str,
        observer: &mut dyn ProbeObserver,
    ) -> Result<Probed, ProbeError> {
        let fail = |errno: i32, m: Option<&Module>| ProbeError {
            errno,
            module: m.cloned(),
            command_status: None,
        };
        if !flags.ignore_loaded && self.in_kernel(kernel, module) {
            return if flags.first_time {
                Err(fail(EEXIST, Some(module)))
            } else {
                Ok(Probed::AlreadyLoaded)
            };
        }
        let blacklisted = self
            .config()
            .is_some_and(|c| c.is_blacklisted(module.name()));
        if (module.alias().is_some() || flags.use_blacklist) && blacklisted {
            return Ok(Probed::Blacklisted);
        }
        let plan = self.load_plan(module, flags.ignore_commands, extra_options);
        let mut result = Ok(Probed::Done);
        for step in &plan.steps {
            let m = &step.module;
            let outcome = if !flags.ignore_loaded && self.in_kernel(kernel, m) {
                Err(fail(EEXIST, Some(m)))
            } else {
                self.run_step(kernel, step, flags, observer)
            };
            match outcome {
                Err(e) if e.errno == EEXIST && key(m) == key(module) && flags.first_time => {
                    result = Err(e);
                    break;
                }
                Err(e) if e.errno == EEXIST || !step.required => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
                Ok(()) => {}
            }
        }
        result
    }

    fn run_step(
        &self,
        kernel: &dyn Kernel,
        step: &PlanStep,
        flags: ProbeFlags,
        observer: &mut dyn ProbeObserver,
    ) -> Result<(), ProbeError> {
        let m = &step.module;
        match &step.action {
            StepAction::Command(cmd) => {
                observer.action(step, Some(cmd));
                if flags.dry_run {
                    return Ok(());
                }
                let command = substitute_options(cmd, &step.options);
                run_command(m, &command).map_err(|status| {
                    // libkmod's words for it, before modprobe's own
                    let command = String::from_utf8_lossy(&command);
                    let name = m.name_lossy();
                    self.memo().note_all(&[if status < 0 {
                        format!("Could not run install command '{command}' for module {name}")
                    } else {
                        format!(
                            "Error running install command '{command}' for module {name}: retcode {status}"
                        )
                    }]);
                    ProbeError {
                        errno: nix::libc::EINVAL,
                        module: Some(m.clone()),
                        command_status: Some(status),
                    }
                })
            }
            action => {
                observer.action(step, None);
                if flags.dry_run {
                    return Ok(());
                }
                let StepAction::Insert(path) = action else {
                    return Err(ProbeError {
                        errno: ENOENT,
                        module: Some(m.clone()),
                        command_status: None,
                    });
                };
                kernel
                    .insert(path, &step.options, flags.insert)
                    .map_err(|KernelError(errno)| ProbeError {
                        errno,
                        module: Some(m.clone()),
                        command_status: None,
                    })
            }
        }
    }
}

/// Replace every `$CMDLINE_OPTS` of a command with the options.
pub fn substitute_options(command: &[u8], options: &[u8]) -> Vec<u8> {
    const VAR: &[u8] = b"$CMDLINE_OPTS";
    let mut out = Vec::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest.windows(VAR.len()).position(|w| w == VAR) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(options);
        rest = &rest[at + VAR.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Run a configured command through `/bin/sh -c`, with `MODPROBE_MODULE`
/// set, as `system(3)` would. Err carries the exit status.
pub fn run_command(module: &Module, command: &[u8]) -> Result<(), i32> {
    use std::os::unix::ffi::OsStrExt;
    let status = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(std::ffi::OsStr::from_bytes(command))
        .env(
            "MODPROBE_MODULE",
            std::ffi::OsStr::from_bytes(module.name()),
        )
        .status()
        .map_err(|_| -1)?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(code),
        None => Err(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::substitute_options;

    #[test]
    fn substitutes_every_occurrence() {
        assert_eq!(
            substitute_options(b"a $CMDLINE_OPTS b $CMDLINE_OPTS", b"x=1"),
            b"a x=1 b x=1"
        );
        assert_eq!(substitute_options(b"plain", b"x"), b"plain");
    }
}

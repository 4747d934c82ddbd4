//! The sim kernel proper: the loaded modules, their symbol links, host
//! groups and the state files, and the operations on them. One mutex
//! serialises every operation (the kernel's `module_mutex`); readers use
//! the snapshot the daemon keeps and the state files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use nix::libc;

use crate::daemon::Config;
use crate::error::Error;
use crate::group::{describe_status, signal_name, CallError, Event, Group, Spawner};
use crate::ko::{KernelApi, Taints};
use crate::log::Log;
use crate::protocol::host::{Call, Done, ParamValue};
use crate::protocol::ModuleInfo;
use crate::state::{LoadState, ModuleView, StateFiles};
use crate::symbols::SymbolTable;

/// How long a host gets to exit after its last module left.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for a dead host's last output (its crash report).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// A loaded (or loading) module.
#[derive(Debug)]
struct Module {
    id: u32,
    name: String,
    path: PathBuf,
    size: u64,
    group: u64,
    host_pid: u32,
    /// Modules whose symbols it uses.
    uses: Vec<String>,
    /// A `.ko` (in a kernel API host) rather than a shared object.
    ko: bool,
    /// References other code took with try_module_get (`.ko` only).
    refs: i32,
    /// Modules using it, most recent first.
    holders: Vec<String>,
    state: LoadState,
    proprietary: bool,
    has_hello: bool,
    has_fini: bool,
    params: Vec<ParamValue>,
}

impl Module {
    /// What /proc/modules shows: the users' links and the references taken.
    fn refcnt(&self) -> u32 {
        (self.holders.len() as i64 + i64::from(self.refs.max(0))) as u32
    }

    fn view(&self) -> ModuleView {
        ModuleView {
            name: self.name.clone(),
            size: self.size,
            refcnt: self.refcnt(),
            holders: self.holders.clone(),
            state: self.state,
            proprietary: self.proprietary,
            params: self
                .params
                .iter()
                .filter(|p| p.perm != 0)
                .map(|p| (p.name.clone(), (p.perm, p.value.clone())))
                .collect(),
        }
    }

    fn info(&self) -> ModuleInfo {
        ModuleInfo {
            name: self.name.clone(),
            size: self.size,
            refcnt: self.refcnt(),
            holders: self.holders.clone(),
            uses: self.uses.clone(),
            state: self.state.proc_name().to_string(),
            path: self.path.display().to_string(),
            host_pid: self.host_pid,
            params: self
                .params
                .iter()
                .filter(|p| p.perm != 0)
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
        }
    }
}

mod files;
mod load;

pub(crate) struct Kernel {
    cfg: Arc<Config>,
    /// The canonical module tree.
    root: PathBuf,
    log: Arc<Log>,
    files: StateFiles,
    /// Oldest first.
    modules: Vec<Module>,
    groups: HashMap<u64, Arc<Group>>,
    symbols: SymbolTable,
    next_module: u32,
    next_group: u64,
    spawner: Spawner,
    events: Sender<Event>,
    crashes: u64,
    stopped: bool,
    /// The kernel API for `.ko` modules, once the first one came.
    api: Option<Arc<KernelApi>>,
    taints: Taints,
}

fn err(errno: i32, msg: impl Into<String>) -> Error {
    Error::new(errno, msg)
}

impl Kernel {
    pub fn new(
        cfg: Arc<Config>,
        root: PathBuf,
        log: Arc<Log>,
        files: StateFiles,
        events: Sender<Event>,
    ) -> std::io::Result<Kernel> {
        Ok(Kernel {
            cfg,
            root,
            log,
            files,
            modules: Vec::new(),
            groups: HashMap::new(),
            symbols: SymbolTable::default(),
            next_module: 1,
            next_group: 1,
            spawner: Spawner::start()?,
            events,
            crashes: 0,
            stopped: false,
            api: None,
            taints: Taints::default(),
        })
    }

    fn call_timeout(&self) -> Duration {
        self.cfg.init_timeout
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.modules.iter().position(|m| m.name == name)
    }

    /// The canonical path of a module file the caller may load.
    fn check_path(&self, path: &str) -> Result<PathBuf, Error> {
        let p = Path::new(path);
        if !p.is_absolute() {
            return Err(err(
                libc::EINVAL,
                format!("{path}: module path must be absolute"),
            ));
        }
        let canon = p.canonicalize().map_err(|e| {
            Error::new(
                e.raw_os_error().unwrap_or(libc::ENOENT),
                format!("{path}: {e}"),
            )
        })?;
        if !self.cfg.allow_outside_tree && !canon.starts_with(&self.root) {
            return Err(err(
                libc::EPERM,
                format!(
                    "{}: outside the sim module tree {}",
                    canon.display(),
                    self.root.display()
                ),
            ));
        }
        Ok(canon)
    }

    fn new_group(&mut self) -> Result<u64, Error> {
        let gid = self.next_group;
        self.next_group += 1;
        let group = Group::spawn(
            gid,
            &self.spawner,
            &self.cfg.host,
            &self.log,
            &self.events,
            self.call_timeout().max(Duration::from_secs(5)),
        )
        .map_err(|e| {
            let msg = format!(
                "sim: cannot start a module host ({}): {e}",
                self.cfg.host.program.display()
            );
            self.log.push(3, &msg);
            Error::new(e.raw_os_error().unwrap_or(libc::EAGAIN), msg)
        })?;
        self.groups.insert(gid, group);
        Ok(gid)
    }

    /// End a group that has no module left, quietly.
    fn retire_group(&mut self, gid: u64) {
        if self.modules.iter().any(|m| m.group == gid) {
            return;
        }
        if let Some(g) = self.groups.remove(&gid) {
            g.kill(None);
            g.reap(EXIT_GRACE);
        }
    }

    /// Drop a module from the tables (not from its host).
    fn forget(&mut self, name: &str) {
        let Some(i) = self.index(name) else { return };
        let m = self.modules.remove(i);
        self.symbols.remove_module(name);
        for u in &m.uses {
            if let Some(j) = self.index(u) {
                self.modules[j].holders.retain(|h| h != name);
            }
        }
        if let Err(e) = self.files.remove_module(name) {
            self.log
                .push(3, &format!("sim: cannot remove the state of {name}: {e}"));
        }
    }

    /// Unload a module.
    pub fn remove(&mut self, name: &str, force: bool) -> Result<(), Error> {
        let i = self
            .index(name)
            .ok_or_else(|| err(libc::ENOENT, format!("Module {name} is not loaded")))?;
        let m = &self.modules[i];
        if !m.holders.is_empty() {
            return Err(err(
                libc::EWOULDBLOCK,
                format!("Module {name} is in use by: {}", m.holders.join(" ")),
            ));
        }
        if m.state != LoadState::Live {
            return Err(err(
                libc::EBUSY,
                format!("Module {name} is {}", m.state.proc_name()),
            ));
        }
        if !m.has_fini && !force {
            return Err(err(
                libc::EBUSY,
                format!("Module {name} has no exit function; only a forced removal takes it out"),
            ));
        }
        let (id, gid, run_fini) = (m.id, m.group, m.has_fini);
        let last = self.modules.iter().filter(|m| m.group == gid).count() == 1;
        let Some(group) = self.groups.get(&gid).cloned() else {
            return Err(err(libc::EIO, format!("{name}: its host process is gone")));
        };
        self.modules[i].state = LoadState::Going;
        self.sync_files(&[name.to_string()]);
        let call = Call::Unload {
            id,
            run_fini,
            exit_after: last,
        };
        match group.call(call, self.call_timeout()) {
            Ok(_) => {
                let uses = self.modules[i].uses.clone();
                self.forget(name);
                if last {
                    self.groups.remove(&gid);
                    group.reap(EXIT_GRACE);
                }
                self.sync_files(&uses);
                Ok(())
            }
            Err(CallError::Failed(f)) => {
                // A thread that would not stop runs code that must not be
                // unmapped: the only safe end is the whole host's.
                group.kill(Some(f.message.clone()));
                self.group_died(gid);
                Err(Error::new(f.errno, f.message))
            }
            Err(CallError::Died) => {
                self.group_died(gid);
                Err(err(
                    libc::EFAULT,
                    format!("{name}: crashed while unloading (see the log)"),
                ))
            }
            Err(CallError::Timeout) => {
                let secs = self.call_timeout().as_secs_f64();
                let msg = format!("{name}: module_fini did not return within {secs} s");
                group.kill(Some(msg.clone()));
                self.group_died(gid);
                Err(err(libc::ETIMEDOUT, msg))
            }
        }
    }

    /// Set a parameter of a loaded module.
    pub fn set_param(&mut self, module: &str, param: &str, value: &str) -> Result<(), Error> {
        let i = self
            .index(module)
            .ok_or_else(|| err(libc::ENOENT, format!("Module {module} is not loaded")))?;
        let (id, gid) = (self.modules[i].id, self.modules[i].group);
        let Some(group) = self.groups.get(&gid).cloned() else {
            return Err(err(
                libc::EIO,
                format!("{module}: its host process is gone"),
            ));
        };
        let call = Call::SetParam {
            id,
            param: param.to_string(),
            value: value.to_string(),
        };
        match group.call(call, self.call_timeout()) {
            Ok(Done::ParamSet { value }) => {
                if let Some(i) = self.index(module) {
                    let params = &mut self.modules[i].params;
                    match params.iter_mut().find(|p| p.name == value.name) {
                        Some(p) => *p = value,
                        None => params.push(value),
                    }
                }
                self.sync_files(&[module.to_string()]);
                Ok(())
            }
            Ok(_) => Err(err(libc::EPROTO, "unexpected answer from the module host")),
            Err(CallError::Failed(f)) => Err(Error::new(f.errno, f.message)),
            Err(CallError::Died) => {
                self.group_died(gid);
                Err(err(
                    libc::EFAULT,
                    format!("{module}: crashed while setting {param} (see the log)"),
                ))
            }
            Err(CallError::Timeout) => {
                let msg = format!("{module}: setting {param} did not return in time");
                group.kill(Some(msg.clone()));
                self.group_died(gid);
                Err(err(libc::ETIMEDOUT, msg))
            }
        }
    }

    /// Once a second: each live module's `mod_hello`, then fresh parameter
    /// values from every host.
    pub fn tick(&mut self) {
        if self.stopped {
            return;
        }
        let hellos: Vec<(u32, String, u64)> = self
            .modules
            .iter()
            .filter(|m| m.has_hello && m.state == LoadState::Live)
            .map(|m| (m.id, m.name.clone(), m.group))
            .collect();
        for (id, name, gid) in hellos {
            let Some(group) = self.groups.get(&gid).cloned() else {
                continue;
            };
            match group.call(Call::Hello { id }, self.call_timeout()) {
                Ok(_) | Err(CallError::Failed(_)) => {}
                Err(CallError::Died) => self.group_died(gid),
                Err(CallError::Timeout) => {
                    let secs = self.call_timeout().as_secs_f64();
                    group.kill(Some(format!(
                        "{name}: mod_hello did not return within {secs} s"
                    )));
                    self.group_died(gid);
                }
            }
        }
        let groups: Vec<Arc<Group>> = self.groups.values().cloned().collect();
        for group in groups {
            match group.call(Call::Params, self.call_timeout()) {
                Ok(Done::Params { modules, refs }) => {
                    let mut touched = Vec::new();
                    for (id, params) in modules {
                        if let Some(m) = self.modules.iter_mut().find(|m| m.id == id) {
                            if m.params != params {
                                m.params = params;
                                touched.push(m.name.clone());
                            }
                        }
                    }
                    for (id, n) in refs {
                        if let Some(m) = self.modules.iter_mut().find(|m| m.id == id) {
                            if m.refs != n {
                                m.refs = n;
                                touched.push(m.name.clone());
                            }
                        }
                    }
                    if !touched.is_empty() {
                        self.sync_files(&touched);
                    }
                }
                Ok(_) | Err(CallError::Failed(_)) => {}
                Err(CallError::Died) => self.group_died(group.id),
                Err(CallError::Timeout) => {
                    group.kill(Some("sim: module host stopped answering".into()));
                    self.group_died(group.id);
                }
            }
        }
    }

    /// A host process died or was killed: report it and remove its modules.
    pub fn group_died(&mut self, gid: u64) {
        let Some(group) = self.groups.remove(&gid) else {
            return;
        };
        let status = group.reap(EXIT_GRACE);
        let crash = group.crash_record(OUTPUT_GRACE);
        let reason = group.kill_reason();
        let members: Vec<(u32, String)> = self
            .modules
            .iter()
            .filter(|m| m.group == gid)
            .map(|m| (m.id, m.name.clone()))
            .collect();
        let pid = group.pid;
        let how = describe_status(status);
        let culprit = crash
            .as_ref()
            .and_then(|c| members.iter().find(|(id, _)| *id == c.module))
            .map(|(_, n)| n.clone());
        self.crashes += 1;
        match (&reason, &crash, &culprit) {
            (Some(r), _, _) => self
                .log
                .push(3, &format!("{r}; killed its host process {pid}")),
            (None, Some(c), Some(name)) => {
                if c.signal == libc::SIGSEGV && c.addr.is_some_and(|a| a < 4096) {
                    self.log.push(
                        1,
                        &format!(
                            "BUG: NULL pointer dereference, address: {:016x}",
                            c.addr.unwrap_or(0)
                        ),
                    );
                }
                let at = c
                    .addr
                    .map(|a| format!(" at address {a:#x}"))
                    .unwrap_or_default();
                self.log.push(
                    1,
                    &format!(
                        "{name}: crashed: signal {} ({}){at} in thread \"{}\"",
                        c.signal,
                        signal_name(c.signal),
                        c.thread
                    ),
                );
            }
            _ => {
                let names: Vec<&str> = members.iter().map(|(_, n)| n.as_str()).collect();
                self.log.push(
                    1,
                    &format!("sim: module host {pid} ({}) died: {how}", names.join(", ")),
                );
            }
        }
        // Newest first, as dependents go before what they use.
        let mut touched = Vec::new();
        for (_, name) in members.iter().rev() {
            if let Some(i) = self.index(name) {
                touched.extend(self.modules[i].uses.clone());
            }
            self.forget(name);
            self.log.push(
                3,
                &format!("{name}: removed: its host process {pid} ended by {how}"),
            );
        }
        touched.retain(|n| self.index(n).is_some());
        self.sync_files(&touched);
    }

    /// Rewrite `proc/modules` and the `sys/module` entries of `names`.
    fn sync_files(&self, names: &[String]) {
        let views: Vec<ModuleView> = self.modules.iter().rev().map(Module::view).collect();
        let mut result = self.files.write_proc_modules(&views);
        for name in names {
            if let Some(v) = views.iter().find(|v| &v.name == name) {
                result = result.and(self.files.write_module(v));
            }
        }
        if let Err(e) = result {
            self.log
                .push(3, &format!("sim: cannot write the state files: {e}"));
        }
    }

    /// The loaded modules, newest first.
    pub fn snapshot(&self) -> Vec<ModuleInfo> {
        self.modules.iter().rev().map(Module::info).collect()
    }

    /// Host processes that crashed or were killed so far.
    pub fn crashes(&self) -> u64 {
        self.crashes
    }

    /// Kill every host and forget every module (the sim kernel stops).
    pub fn shutdown(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let groups: Vec<Arc<Group>> = self.groups.drain().map(|(_, g)| g).collect();
        for g in &groups {
            g.kill(None);
        }
        for g in &groups {
            g.reap(EXIT_GRACE);
        }
        let names: Vec<String> = self.modules.iter().map(|m| m.name.clone()).collect();
        for n in names {
            self.forget(&n);
        }
        self.sync_files(&[]);
        self.spawner.stop();
        self.log.info("sim: stopped");
    }
}

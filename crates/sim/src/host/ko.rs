//! `.ko` modules in this host: the kernel API runtime (kapi.ko, built for
//! the sim kernel's release) started at the first one, then each module
//! loaded, initialised, read, written and unloaded through it. Log lines
//! and files go to the daemon; a fault in a module's code is that
//! module's, whichever thread ran it.

use std::path::Path;

use kapi::{Hooks, Runtime, Symvers};

use super::crash::{register_code, set_thread_module, thread_module, unregister_code};
use crate::protocol::host::{Failed, FromHost, ParamValue};

fn failed(errno: i32, message: impl Into<String>) -> Failed {
    Failed {
        errno,
        message: message.into(),
    }
}

fn from_kapi(e: kapi::Error) -> Failed {
    failed(e.errno(), e.to_string())
}

fn on_log(level: i32, text: &str, mono_ns: u64) {
    super::send(&FromHost::Log {
        mono_ns,
        level,
        text: text.to_string(),
    });
}

fn on_node(add: bool, path: &str) {
    super::send(&FromHost::Node {
        path: path.to_string(),
        add,
    });
}

/// The runtime and the ids of the `.ko` modules it holds.
pub(crate) struct KoHost {
    rt: Runtime,
    ids: Vec<u32>,
}

impl KoHost {
    /// Load kapi.ko (built for the headers in `headers`).
    pub fn start(kapi: &str, headers: &str) -> Result<KoHost, Failed> {
        let symvers = Symvers::read(Path::new(headers)).map_err(from_kapi)?;
        let hooks = Hooks {
            log: on_log,
            node: on_node,
            thread_tag: thread_module,
            set_thread_tag: set_thread_module,
        };
        let rt = Runtime::start(Path::new(kapi), &symvers, hooks).map_err(from_kapi)?;
        Ok(KoHost {
            rt,
            ids: Vec::new(),
        })
    }

    pub fn has(&self, id: u32) -> bool {
        self.ids.contains(&id)
    }

    /// The `.ko` modules here, in load order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Load and initialise; the init's return value (a negative one has
    /// unloaded the module again).
    pub fn load(
        &mut self,
        id: u32,
        name: &str,
        path: &str,
        args: &str,
        comm: &str,
    ) -> Result<i64, Failed> {
        let file = modfile::ModuleFile::open(path)
            .map_err(|e| failed(e.errno(), format!("{path}: {e}")))?;
        self.rt.set_comm(comm);
        set_thread_module(id);
        let r = self.rt.load(id, name, file.bytes(), args);
        set_thread_module(0);
        let ret = r.map_err(|e| failed(e.errno(), format!("{name}: {e}")))?;
        if ret >= 0 {
            if let Some((start, end)) = self.rt.module_range(id) {
                register_code(id, start, end);
            }
            self.ids.push(id);
        }
        Ok(ret)
    }

    pub fn has_exit(&self, id: u32) -> bool {
        self.rt.has_exit(id).unwrap_or(false)
    }

    pub fn unload(&mut self, id: u32, run_exit: bool) -> Result<(), Failed> {
        set_thread_module(id);
        let r = self.rt.unload(id, run_exit);
        set_thread_module(0);
        unregister_code(id);
        self.ids.retain(|&i| i != id);
        r.map_err(from_kapi)
    }

    /// Parameters as sysfs shows them (the value without its newline).
    pub fn params(&self, id: u32) -> Vec<ParamValue> {
        set_thread_module(id);
        let params = self.rt.params(id).unwrap_or_default();
        set_thread_module(0);
        params
            .into_iter()
            .map(|p| {
                let value = match p.value {
                    Ok(v) => {
                        let t = String::from_utf8_lossy(&v).into_owned();
                        t.strip_suffix('\n').map(str::to_string).unwrap_or(t)
                    }
                    Err(e) => format!("(error {e})"),
                };
                ParamValue {
                    name: p.name,
                    perm: p.perm,
                    value,
                }
            })
            .collect()
    }

    pub fn refcount(&self, id: u32) -> i32 {
        self.rt.refcount(id).unwrap_or(0)
    }

    pub fn set_param(&self, id: u32, param: &str, value: &str) -> Result<ParamValue, Failed> {
        set_thread_module(id);
        let r = self.rt.set_param(id, param, value.as_bytes());
        set_thread_module(0);
        r.map_err(from_kapi)?;
        self.params(id)
            .into_iter()
            .find(|p| p.name == param)
            .ok_or_else(|| failed(nix::libc::ENOENT, format!("no parameter {param}")))
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, Failed> {
        self.rt.read(path).map_err(from_kapi)
    }

    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), Failed> {
        self.rt.write(path, data).map_err(from_kapi)
    }

    pub fn flush_log(&self) {
        self.rt.flush_log();
    }
}

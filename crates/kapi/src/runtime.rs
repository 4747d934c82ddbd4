//! The runtime in a host process: kapi.ko loaded into the low 2 GiB with
//! its per-CPU template, the calling thread made a CPU, then `.ko`
//! modules loaded against kapi's exports and each other's, their
//! parameters applied by kapi's parse_args, init and exit called, their
//! files and parameters read and written through their own operations.

use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::path::Path;

use modload::{LayoutOptions, LoadedModule};

use crate::error::Error;
use crate::host::{Hooks, ModMap, Shared, ThreadEntries, OPS, SHARED};
use crate::percpu::PerCpu;
use crate::symvers::{Export, Symvers};

/// The kernel's module states (`enum module_state`).
const STATE_LIVE: i64 = 0;
const STATE_GOING: i64 = 2;
/// Largest file content `read` returns.
const MAX_READ: usize = 16 << 20;
const PAGE: usize = 4096;
const STB_LOCAL: u8 = 0;

macro_rules! entry_points {
    ($($field:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// kapi's entry points, by their C names.
        #[derive(Clone, Copy)]
        struct Entries { $($field: extern "C" fn($($arg),*) $(-> $ret)?,)* }

        impl Entries {
            fn find(kapi: &LoadedModule) -> Result<Entries, Error> {
                Ok(Entries {$(
                    $field: {
                        let a = kapi.symbol(stringify!($field)).ok_or_else(|| {
                            Error::Kapi(format!("no entry point {}", stringify!($field)))
                        })?;
                        // SAFETY: the C function of that name has this signature
                        // (c/*.c); the image stays mapped for the process's life.
                        unsafe { std::mem::transmute::<usize, extern "C" fn($($arg),*) $(-> $ret)?>(a as usize) }
                    },
                )*})
            }
        }
    };
}

entry_points! {
    kapi_cpu_init: fn(u64, usize, *const c_char);
    kapi_init: fn(*const u8) -> i64;
    kapi_time_init: fn() -> i64;
    kapi_wq_init: fn() -> i64;
    kapi_thread_main: fn(usize);
    kapi_module_setup: fn(u64, u64, u64, *const c_char) -> i64;
    kapi_module_set_state: fn(u64, i64);
    kapi_module_has_exit: fn(u64) -> i64;
    kapi_parse_args: fn(u64, *mut c_char) -> i64;
    kapi_call_init: fn(u64) -> i64;
    kapi_call_exit: fn(u64);
    kapi_param_info: fn(u64, i64, *mut *const c_char, *mut i64) -> i64;
    kapi_param_get: fn(u64, i64, *mut u8) -> i64;
    kapi_param_set: fn(u64, i64, *const c_char) -> i64;
    kapi_params_free: fn(u64);
    kapi_nodes_remove_owned: fn(u64);
    kapi_node_open: fn(usize, i64, *mut usize) -> i64;
    kapi_node_read: fn(usize, *mut u8, i64) -> i64;
    kapi_node_write: fn(usize, *const u8, i64) -> i64;
    kapi_node_release: fn(usize);
    kapi_log_flush: fn();
    kapi_set_comm: fn(*const c_char);
    module_refcount: fn(u64) -> i32;
}

/// A loaded `.ko`.
struct Module {
    id: u32,
    name: String,
    image: LoadedModule,
    /// Its `struct module` (`.gnu.linkonce.this_module`).
    this: u64,
    exports: Vec<(String, u64)>,
    /// The argument string, which kapi's parse_args keeps pointers into.
    _args: CString,
}

/// One parameter as sysfs shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub perm: u32,
    /// What its get op printed, or the errno it failed with.
    pub value: Result<Vec<u8>, i32>,
}

/// kapi and the modules of this process.
pub struct Runtime {
    /// Never unmapped: kapi's threads (the tick, workqueue workers) run
    /// its code until the process ends.
    kapi: std::mem::ManuallyDrop<LoadedModule>,
    entries: Entries,
    /// Names kapi serves: exported by vmlinux and defined by kapi.
    kernel: HashMap<String, u64>,
    modules: Vec<Module>,
}

fn shared() -> &'static Shared {
    SHARED.get().expect("the runtime set SHARED before any use")
}

impl Runtime {
    /// Load kapi.ko and make the calling thread its first CPU. Once per
    /// process.
    pub fn start(kapi: &Path, symvers: &Symvers, hooks: Hooks) -> Result<Runtime, Error> {
        if SHARED
            .set(Shared {
                hooks,
                percpu: PerCpu::new(),
                maps: Default::default(),
                nodes: Default::default(),
                entries: Default::default(),
            })
            .is_err()
        {
            return Err(Error::Kapi("started twice in one process".into()));
        }
        let s = shared();
        let bytes = std::fs::read(kapi).map_err(|e| Error::io(kapi, e))?;
        let obj = modload::parse(&bytes)?;
        // The per-CPU template: `.data..percpu..first` at 0 (the stack
        // canary must be at %gs:40), the other per-CPU sections after it
        // in header order.
        let first = obj
            .section_by_name(".data..percpu..first")
            .map_or(0, |x| x.size);
        let mut offsets: HashMap<usize, u64> = HashMap::new();
        let mut end = first;
        for x in obj.sections() {
            if !x.name.starts_with(".data..percpu") || !x.is_alloc() {
                continue;
            }
            if x.name == ".data..percpu..first" {
                offsets.insert(x.index, 0);
            } else {
                let align = x.align.max(1);
                end = end.div_ceil(align) * align;
                offsets.insert(x.index, end);
                end += x.size;
            }
        }
        if !s.percpu.reserve(end) {
            return Err(Error::Kapi("per-CPU data too large".into()));
        }
        let mut opts = LayoutOptions::new();
        for x in obj.sections() {
            if let Some(&at) = offsets.get(&x.index) {
                opts = opts.place_elsewhere(x.name, move |sec| {
                    s.percpu.place_at(usize::try_from(at).ok()?, sec)
                });
            }
        }
        // Aliases the kernel's linker script makes (const_pcpu_hot = pcpu_hot).
        let aliases: HashMap<String, u64> = alias_table(&obj)
            .into_iter()
            .filter_map(|(alias, target)| {
                let sym = obj
                    .symbols()
                    .iter()
                    .find(|x| x.name == target && !x.is_undefined())?;
                let modload::SymbolPlace::Section(i) = sym.place else {
                    return None;
                };
                Some((alias, offsets.get(&i)? + sym.value))
            })
            .collect();
        let image = modload::load_executable(&obj, &mut opts, &mut |name: &str| {
            aliases.get(name).copied()
        })?;
        let entries = Entries::find(&image)?;
        let _ = s.entries.set(ThreadEntries {
            cpu_init: entries.kapi_cpu_init as usize as u64,
            thread_main: entries.kapi_thread_main as usize as u64,
        });
        let kernel: HashMap<String, u64> = served(&obj, symvers)
            .into_keys()
            .filter_map(|name| {
                let a = aliases
                    .get(&name)
                    .copied()
                    .or_else(|| image.symbol(&name))?;
                Some((name, a))
            })
            .collect();
        register_map(&image, None);
        let gs = s
            .percpu
            .attach()
            .ok_or_else(|| Error::Kapi("cannot set up the first CPU".into()))?;
        let rt = Runtime {
            kapi: std::mem::ManuallyDrop::new(image),
            entries,
            kernel,
            modules: Vec::new(),
        };
        // kapi_init first: the CPU's task is allocated through the host.
        let v = (rt.entries.kapi_init)(std::ptr::addr_of!(OPS).cast());
        if v != i64::from(crate::host::ABI_VERSION) {
            return Err(Error::Kapi(format!(
                "kapi.ko speaks ABI {v}, this host {}",
                crate::host::ABI_VERSION
            )));
        }
        let name = CString::new("insmod").unwrap_or_default();
        (rt.entries.kapi_cpu_init)(gs as u64, 0, name.as_ptr());
        for (what, f) in [
            ("the clock", rt.entries.kapi_time_init),
            ("the workqueues", rt.entries.kapi_wq_init),
        ] {
            let r = f();
            if r < 0 {
                return Err(Error::Kapi(format!("cannot start {what}: errno {}", -r)));
            }
        }
        Ok(rt)
    }

    /// How many names kapi serves from the kernel's export table.
    pub fn kernel_exports(&self) -> usize {
        self.kernel.len()
    }

    /// The address kapi (the "kernel") gives `name`, if it serves it.
    pub fn kernel_symbol(&self, name: &str) -> Option<u64> {
        self.kernel.get(name).copied()
    }

    fn find(&self, id: u32) -> Result<usize, Error> {
        self.modules
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(|| Error::Errno(format!("no module {id} in this host"), libc::ENOENT))
    }

    /// Load the module file `bytes` as module `id` with the kernel's
    /// argument string `args`: relocate it against kapi and the modules
    /// already here, apply its parameters, run its init. The init's
    /// return value comes back as `Ok` (a negative one has unloaded it).
    pub fn load(&mut self, id: u32, name: &str, bytes: &[u8], args: &str) -> Result<i64, Error> {
        let s = shared();
        let obj = modload::parse(bytes)?;
        let mut opts = LayoutOptions::new().percpu(|x| s.percpu.append(x));
        let kernel = &self.kernel;
        let modules = &self.modules;
        let mut resolve = |sym: &str| -> Option<u64> {
            kernel.get(sym).copied().or_else(|| {
                modules
                    .iter()
                    .find_map(|m| m.exports.iter().find(|(n, _)| n == sym).map(|(_, a)| *a))
            })
        };
        let image = modload::load_executable(&obj, &mut opts, &mut resolve)?;
        let this = image
            .section(".gnu.linkonce.this_module")
            .map(|x| x.address)
            .ok_or_else(|| Error::Format {
                name: name.to_string(),
                what: "no .gnu.linkonce.this_module section".into(),
            })?;
        let (params, params_size) = image
            .section("__param")
            .map_or((0, 0), |x| (x.address, x.size));
        let exports = crate::kofile::exports(&obj, name)?
            .into_iter()
            .filter_map(|(n, _)| image.symbol(&n).map(|a| (n, a)))
            .collect();
        register_map(&image, Some(name));
        let args = CString::new(args.replace('\0', " ")).unwrap_or_default();
        let r = (self.entries.kapi_module_setup)(this, params, params_size, args.as_ptr());
        if r < 0 {
            unregister_map(image.base());
            return Err(Error::Errno(
                format!("{name}: malformed __param section"),
                -r as i32,
            ));
        }
        let module = Module {
            id,
            name: name.to_string(),
            image,
            this,
            exports,
            _args: args,
        };
        // parse_args modifies the string in place, as the kernel's does
        let r = (self.entries.kapi_parse_args)(this, module._args.as_ptr().cast_mut());
        if r < 0 {
            self.discard(module);
            return Err(Error::Errno(
                format!("{name}: invalid module parameters"),
                -r as i32,
            ));
        }
        let ret = (self.entries.kapi_call_init)(this);
        if ret < 0 {
            (self.entries.kapi_module_set_state)(this, STATE_GOING);
            self.discard(module);
            return Ok(ret);
        }
        (self.entries.kapi_module_set_state)(this, STATE_LIVE);
        self.modules.push(module);
        Ok(ret)
    }

    /// Free what a module that never became live holds.
    fn discard(&mut self, m: Module) {
        (self.entries.kapi_params_free)(m.this);
        (self.entries.kapi_nodes_remove_owned)(m.this);
        unregister_map(m.image.base());
    }

    /// Whether module `id` has an exit function (without one, the kernel
    /// only removes it by force).
    pub fn has_exit(&self, id: u32) -> Result<bool, Error> {
        let i = self.find(id)?;
        Ok((self.entries.kapi_module_has_exit)(self.modules[i].this) != 0)
    }

    /// Unload module `id`: its exit (unless `run_exit` is false), its
    /// parameters freed, what it left in /proc and /sys removed, unmapped.
    pub fn unload(&mut self, id: u32, run_exit: bool) -> Result<(), Error> {
        let i = self.find(id)?;
        let m = self.modules.remove(i);
        (self.entries.kapi_module_set_state)(m.this, STATE_GOING);
        if run_exit {
            (self.entries.kapi_call_exit)(m.this);
        }
        self.discard(m);
        Ok(())
    }

    /// References other code holds on module `id` (try_module_get).
    pub fn refcount(&self, id: u32) -> Result<i32, Error> {
        let i = self.find(id)?;
        Ok((self.entries.module_refcount)(self.modules[i].this))
    }

    /// The module's parameters as `/sys/module/<m>/parameters/` shows them.
    pub fn params(&self, id: u32) -> Result<Vec<Param>, Error> {
        let this = self.modules[self.find(id)?].this;
        let mut out = Vec::new();
        for i in 0.. {
            let mut name: *const c_char = std::ptr::null();
            let mut perm = 0i64;
            if (self.entries.kapi_param_info)(this, i, &mut name, &mut perm) < 0 {
                break;
            }
            // SAFETY: the parameter's name, a string in the module's image.
            let name = unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned();
            let mut page = vec![0u8; PAGE];
            let n = (self.entries.kapi_param_get)(this, i, page.as_mut_ptr());
            let value = if n < 0 {
                Err(-n as i32)
            } else {
                page.truncate((n as usize).min(PAGE));
                Ok(page)
            };
            out.push(Param {
                name,
                perm: perm as u32,
                value,
            });
        }
        Ok(out)
    }

    /// Write a parameter as a write to its sysfs file does.
    pub fn set_param(&self, id: u32, param: &str, value: &[u8]) -> Result<(), Error> {
        let this = self.modules[self.find(id)?].this;
        for i in 0.. {
            let mut name: *const c_char = std::ptr::null();
            let mut perm = 0i64;
            if (self.entries.kapi_param_info)(this, i, &mut name, &mut perm) < 0 {
                break;
            }
            // SAFETY: as in params().
            if unsafe { CStr::from_ptr(name) }.to_bytes() != param.as_bytes() {
                continue;
            }
            // as sysfs: no file without permissions, no write without write bits
            if perm == 0 {
                break;
            }
            if perm & 0o222 == 0 {
                return Err(Error::Errno(
                    format!("{param}: read-only parameter"),
                    libc::EACCES,
                ));
            }
            let mut v = value.to_vec();
            v.push(0);
            let r = (self.entries.kapi_param_set)(this, i, v.as_ptr().cast());
            return if r < 0 {
                Err(Error::Errno(format!("{param}: set failed"), -r as i32))
            } else {
                Ok(())
            };
        }
        Err(Error::Errno(format!("no parameter {param}"), libc::ENOENT))
    }

    fn node(&self, path: &str) -> Result<usize, Error> {
        shared()
            .nodes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .copied()
            .ok_or_else(|| Error::Errno(format!("{path}: no such file"), libc::ENOENT))
    }

    /// Read a module's file to its end, 4096 bytes at a time as cat does.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        if let Some((module, param)) = param_path(path) {
            let m = self
                .modules
                .iter()
                .find(|m| m.name == module)
                .ok_or_else(|| Error::Errno(format!("{path}: no such file"), libc::ENOENT))?;
            return self
                .params(m.id)?
                .into_iter()
                .find(|p| p.name == param)
                .ok_or_else(|| Error::Errno(format!("{path}: no such file"), libc::ENOENT))?
                .value
                .map_err(|e| Error::Errno(path.to_string(), e));
        }
        let node = self.node(path)?;
        let mut open = 0usize;
        let r = (self.entries.kapi_node_open)(node, 0, &mut open);
        if r < 0 {
            return Err(Error::Errno(path.to_string(), -r as i32));
        }
        let mut out = Vec::new();
        let mut buf = vec![0u8; PAGE];
        let result = loop {
            let n = (self.entries.kapi_node_read)(open, buf.as_mut_ptr(), PAGE as i64);
            if n < 0 {
                break Err(Error::Errno(path.to_string(), -n as i32));
            }
            if n == 0 {
                break Ok(());
            }
            out.extend_from_slice(&buf[..(n as usize).min(PAGE)]);
            if out.len() > MAX_READ {
                break Err(Error::Errno(
                    format!("{path}: more than {MAX_READ} bytes"),
                    libc::EFBIG,
                ));
            }
        };
        (self.entries.kapi_node_release)(open);
        result.map(|()| out)
    }

    /// One write of exactly `value` to a module's file.
    pub fn write(&self, path: &str, value: &[u8]) -> Result<(), Error> {
        if let Some((module, param)) = param_path(path) {
            let m = self
                .modules
                .iter()
                .find(|m| m.name == module)
                .ok_or_else(|| Error::Errno(format!("{path}: no such file"), libc::ENOENT))?;
            return self.set_param(m.id, param, value);
        }
        let node = self.node(path)?;
        let mut open = 0usize;
        let r = (self.entries.kapi_node_open)(node, 1, &mut open);
        if r < 0 {
            return Err(Error::Errno(path.to_string(), -r as i32));
        }
        let n = (self.entries.kapi_node_write)(open, value.as_ptr(), value.len() as i64);
        (self.entries.kapi_node_release)(open);
        if n < 0 {
            return Err(Error::Errno(path.to_string(), -n as i32));
        }
        Ok(())
    }

    /// The command that loads modules from now on (`current->comm` in
    /// their init, as the kernel sees the insmod process).
    pub fn set_comm(&self, comm: &str) {
        let c = CString::new(comm.replace('\0', "")).unwrap_or_default();
        (self.entries.kapi_set_comm)(c.as_ptr());
    }

    /// Finish any log record left open (a message without a newline).
    pub fn flush_log(&self) {
        (self.entries.kapi_log_flush)();
    }

    /// The address range of module `id`'s image.
    pub fn module_range(&self, id: u32) -> Option<(u64, u64)> {
        let m = self.modules.iter().find(|m| m.id == id)?;
        Some((m.image.base(), m.image.base() + m.image.image().size()))
    }

    /// kapi's own image range.
    pub fn kapi_range(&self) -> (u64, u64) {
        (
            self.kapi.base(),
            self.kapi.base() + self.kapi.image().size(),
        )
    }
}

/// The names kapi serves to modules, as the kernel's export table gives
/// them: every global kapi defines that vmlinux exports, and the aliases
/// (their export entry when vmlinux has one, else a plain export).
pub fn served(obj: &modload::Object<'_>, symvers: &Symvers) -> HashMap<String, Export> {
    let mut out: HashMap<String, Export> = obj
        .symbols()
        .iter()
        .filter(|x| x.bind != STB_LOCAL && !x.is_undefined())
        .filter_map(|x| Some((x.name.to_string(), symvers.get(x.name)?)))
        .collect();
    for (alias, _) in alias_table(obj) {
        let e = symvers.get(&alias).unwrap_or(Export {
            crc: 0,
            gpl_only: false,
        });
        out.insert(alias, e);
    }
    out
}

/// `/sys/module/<m>/parameters/<p>` → (m, p).
fn param_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/sys/module/")?;
    let (module, rest) = rest.split_once('/')?;
    let param = rest.strip_prefix("parameters/")?;
    (!param.is_empty() && !param.contains('/')).then_some((module, param))
}

/// `kapi_percpu_aliases`: "alias=target\0…" pairs kapi asks the loader to
/// bind (what the kernel's linker script aliases).
fn alias_table(obj: &modload::Object<'_>) -> Vec<(String, String)> {
    let Some(sym) = obj
        .symbols()
        .iter()
        .find(|s| s.name == "kapi_percpu_aliases" && !s.is_undefined())
    else {
        return Vec::new();
    };
    let modload::SymbolPlace::Section(i) = sym.place else {
        return Vec::new();
    };
    let Some(sec) = obj.section(i) else {
        return Vec::new();
    };
    let start = sym.value as usize;
    let end = start.saturating_add(sym.size as usize).min(sec.data.len());
    if start >= end {
        return Vec::new();
    }
    sec.data[start..end]
        .split(|&b| b == 0)
        .filter_map(|pair| {
            let pair = std::str::from_utf8(pair).ok()?;
            let (a, t) = pair.split_once('=')?;
            Some((a.to_string(), t.to_string()))
        })
        .collect()
}

fn register_map(image: &LoadedModule, module: Option<&str>) {
    // stable: equal addresses keep symbol-table order
    let mut symbols: Vec<(u64, String)> = image
        .image()
        .symbols()
        .iter()
        .filter(|s| s.section.is_some() && !s.name.is_empty() && !s.name.starts_with('$'))
        .map(|s| (s.address, s.name.clone()))
        .collect();
    symbols.sort_by_key(|s| s.0);
    let base = image.base();
    let text_end = image
        .image()
        .segments()
        .iter()
        .filter(|s| s.kind == modload::SectionKind::Text)
        .map(|s| base + s.offset + s.size)
        .max()
        .unwrap_or(base);
    let map = ModMap {
        module: module.map(str::to_string),
        start: base,
        end: base + image.image().size(),
        text_end,
        symbols,
    };
    shared()
        .maps
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(map);
}

fn unregister_map(base: u64) {
    shared()
        .maps
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|m| m.start != base);
}

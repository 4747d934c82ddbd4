//! Loading: the checks of load_module in the kernel's order for either
//! kind of module (a `.ko` through the kernel API, a shared object through
//! its own ABI), then linking it into a host group and calling its init.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::libc;

use super::{err, Kernel, Module};
use crate::error::Error;
use crate::group::CallError;
use crate::ko::{
    check_kernel_symbol, check_license_taint, check_modinfo, check_signature, KernelApi,
};
use crate::params::split_args;
use crate::protocol::host::{Call, Done};
use crate::protocol::InsertFlags;
use crate::sofile::SoFile;
use crate::state::LoadState;
use crate::symbols::license_is_gpl_compatible;

/// What the checks before linking found, for either kind of module.
struct Candidate {
    name: String,
    exports: Vec<(String, bool)>,
    size: u64,
    gpl_ok: bool,
    /// Modules providing its imports.
    uses: Vec<String>,
    ko: bool,
}

/// Where built kernel APIs are kept across sim kernels:
/// `$RKMOD_KAPI_CACHE`, else `$XDG_CACHE_HOME/rkmod`, else
/// `~/.cache/rkmod` (a build is keyed by its sources and headers).
fn kapi_cache() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("RKMOD_KAPI_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("rkmod")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("rkmod")))
}

impl Kernel {
    /// Load a module (see the crate documentation for the checks, in the
    /// kernel's order). Returns its name.
    pub fn insert(
        &mut self,
        path: &str,
        params: &str,
        flags: InsertFlags,
        comm: &str,
    ) -> Result<String, Error> {
        if self.stopped {
            return Err(err(libc::ESHUTDOWN, "the sim kernel is stopping"));
        }
        let path = self.check_path(path)?;
        if crate::ko::is_relocatable(&path) {
            return self.insert_ko(&path, params, flags, comm);
        }
        let file = SoFile::read(&path).map_err(|e| match e.errno {
            libc::ENOEXEC => err(
                libc::ENOEXEC,
                format!(
                    "{}: neither a kernel module (ELF relocatable) nor a sim module (ELF shared object)",
                    path.display()
                ),
            ),
            _ => e,
        })?;
        let name = file.name.clone();
        if self.index(&name).is_some() {
            return Err(err(libc::EEXIST, format!("Module {name} already loaded")));
        }
        self.check_vermagic(&file, flags)?;
        let gpl_ok = self.check_license(&name, file.info("license"));
        let uses = self.resolve(&file.name, &file.imports, gpl_ok, false, &mut |_, _| {
            Ok(false)
        })?;
        let global = !file.exports.is_empty();
        let call = |id| Call::Load {
            id,
            name: file.name.clone(),
            path: path.display().to_string(),
            global,
            params: split_args(params),
        };
        self.admit(
            Candidate {
                name: file.name.clone(),
                exports: file.exports.clone(),
                size: file.size,
                gpl_ok,
                uses,
                ko: false,
            },
            &path,
            call,
        )
    }

    /// The kernel API for `.ko` modules, built at the first one.
    fn kernel_api(&mut self) -> Result<Arc<KernelApi>, Error> {
        if let Some(api) = &self.api {
            return Ok(Arc::clone(api));
        }
        let headers = self
            .cfg
            .headers
            .clone()
            .unwrap_or_else(|| kapi::kbuild::default_headers(&self.cfg.release));
        let cache = kapi_cache().unwrap_or_else(|| self.cfg.state_dir.join("kapi"));
        self.log.info(&format!(
            "sim: building the kernel API for {} from {}",
            self.cfg.release,
            headers.display()
        ));
        let api = KernelApi::prepare(&self.cfg.release, &headers, &cache).map_err(|e| {
            let msg = format!("sim: {}", e.message);
            self.log.push(3, &msg);
            Error::new(e.errno, msg)
        })?;
        let api = Arc::new(api);
        self.api = Some(Arc::clone(&api));
        Ok(api)
    }

    /// A `.ko`: the kernel's checks in load_module's order, then the host.
    fn insert_ko(
        &mut self,
        path: &Path,
        params: &str,
        flags: InsertFlags,
        comm: &str,
    ) -> Result<String, Error> {
        let api = self.kernel_api()?;
        let file = kapi::KoFile::read(path).map_err(|e| {
            let shown = path.display().to_string();
            let msg = e.to_string();
            let msg = if msg.starts_with(&shown) {
                msg
            } else {
                format!("{shown}: {msg}")
            };
            Error::new(e.errno(), msg)
        })?;
        let name = file.name.clone();
        let log = Arc::clone(&self.log);
        let mut say = |level: i32, text: String| log.push(level, &text);
        check_modinfo(&file, &api, flags, &mut self.taints, &mut say)?;
        if self.index(&name).is_some() {
            return Err(err(libc::EEXIST, format!("Module {name} already loaded")));
        }
        let gpl_ok = self.check_license(&name, file.info("license"));
        check_signature(&file, &mut self.taints, &mut say);
        check_license_taint(&file, &api, gpl_ok, &mut self.taints, &mut say);
        let ignore_crcs = flags.ignore_modversions;
        let mut kernel = |sym: &str, gpl_ok: bool| {
            check_kernel_symbol(&file, &api, sym, (gpl_ok, ignore_crcs), &mut say)
        };
        let uses = self.resolve(&name, &file.imports, gpl_ok, true, &mut kernel)?;
        let comm = comm.to_string();
        let call = |id| Call::LoadKo {
            id,
            name: name.clone(),
            path: path.display().to_string(),
            args: params.to_string(),
            kapi: api.kapi.display().to_string(),
            headers: api.headers.display().to_string(),
            comm: comm.clone(),
        };
        self.admit(
            Candidate {
                name: name.clone(),
                exports: file.exports.clone(),
                size: file.size,
                gpl_ok,
                uses,
                ko: true,
            },
            path,
            call,
        )
    }

    /// The license taint, as set_license words it (once per boot); whether
    /// the license is GPL-compatible.
    fn check_license(&mut self, name: &str, license: Option<&str>) -> bool {
        let license = license.unwrap_or("unspecified");
        let gpl_ok = license_is_gpl_compatible(license);
        if !gpl_ok {
            let log = Arc::clone(&self.log);
            self.taints
                .proprietary(name, license, &mut |l, t| log.push(l, &t));
        }
        gpl_ok
    }

    /// Link a checked module: exports, host group, usage links, the call
    /// that loads it in its host.
    fn admit(
        &mut self,
        c: Candidate,
        path: &Path,
        call: impl FnOnce(u32) -> Call,
    ) -> Result<String, Error> {
        let Candidate {
            name,
            exports,
            size,
            gpl_ok,
            uses,
            ko,
        } = c;
        for (sym, _) in &exports {
            if let Some(e) = self.symbols.owner(sym) {
                let msg = format!(
                    "{name}: exports duplicate symbol {sym} (owned by {})",
                    e.owner
                );
                self.log.push(3, &msg);
                return Err(err(libc::ENOEXEC, msg));
            }
        }
        let mut gids: Vec<u64> = Vec::new();
        for u in &uses {
            if let Some(m) = self.modules.iter().find(|m| &m.name == u) {
                if !gids.contains(&m.group) {
                    gids.push(m.group);
                }
            }
        }
        if gids.len() > 1 {
            let msg = format!(
                "{name}: uses modules living in different sim host processes ({}); the sim kernel cannot link across processes",
                uses.join(", ")
            );
            self.log.push(3, &msg);
            return Err(err(libc::EXDEV, msg));
        }
        if let Some(other) = self
            .modules
            .iter()
            .find(|m| uses.contains(&m.name) && m.ko != ko)
        {
            let msg = format!(
                "{name}: uses {}, a {} module: the sim kernel links .ko modules with .ko modules and shared objects with shared objects",
                other.name,
                if other.ko { ".ko" } else { "shared-object" }
            );
            self.log.push(3, &msg);
            return Err(err(libc::EXDEV, msg));
        }
        let (gid, fresh) = match gids.first() {
            Some(&g) => (g, false),
            None => (self.new_group()?, true),
        };
        let Some(group) = self.groups.get(&gid).cloned() else {
            return Err(err(libc::EIO, format!("{name}: its host process is gone")));
        };

        // Like the kernel: usage links exist before init runs.
        let id = self.next_module;
        self.next_module = self.next_module.wrapping_add(1).max(1);
        for u in &uses {
            if let Some(i) = self.index(u) {
                self.modules[i].holders.insert(0, name.clone());
            }
        }
        self.modules.push(Module {
            id,
            name: name.clone(),
            path: path.to_path_buf(),
            size,
            group: gid,
            host_pid: group.pid,
            uses: uses.clone(),
            ko,
            refs: 0,
            holders: Vec::new(),
            state: LoadState::Coming,
            proprietary: !gpl_ok,
            has_hello: false,
            has_fini: false,
            params: Vec::new(),
        });
        let mut touched = uses.clone();
        touched.push(name.clone());
        self.sync_files(&touched);

        match group.call(call(id), self.cfg.init_timeout) {
            Ok(Done::Loaded {
                has_hello,
                has_fini,
                params,
            }) => {
                if let Some(i) = self.index(&name) {
                    let m = &mut self.modules[i];
                    m.state = LoadState::Live;
                    m.has_hello = has_hello;
                    m.has_fini = has_fini;
                    m.params = params;
                }
                self.symbols.add(&name, &exports);
                self.sync_files(std::slice::from_ref(&name));
                Ok(name)
            }
            Ok(_) => {
                self.forget(&name);
                self.sync_files(&touched);
                Err(err(libc::EPROTO, "unexpected answer from the module host"))
            }
            Err(CallError::Failed(f)) => {
                self.forget(&name);
                if fresh {
                    self.retire_group(gid);
                }
                self.sync_files(&touched);
                Err(Error::new(f.errno, f.message))
            }
            Err(CallError::Died) => {
                self.group_died(gid);
                Err(err(
                    libc::EFAULT,
                    format!("{name}: crashed while loading (see the log)"),
                ))
            }
            Err(CallError::Timeout) => {
                let secs = self.cfg.init_timeout.as_secs_f64();
                group.kill(Some(format!(
                    "{name}: module_init did not return within {secs} s"
                )));
                self.group_died(gid);
                Err(err(
                    libc::ETIMEDOUT,
                    format!("{name}: module_init did not return within {secs} s"),
                ))
            }
        }
    }

    /// The kernel's vermagic check.
    fn check_vermagic(&mut self, file: &SoFile, flags: InsertFlags) -> Result<(), Error> {
        let want = sim_module::vermagic_for(&self.cfg.release);
        let name = &file.name;
        match file.info("vermagic") {
            _ if flags.ignore_vermagic => {
                if file.info("vermagic") != Some(want.as_str()) {
                    let log = Arc::clone(&self.log);
                    self.taints
                        .forced(name, "bad vermagic", &mut |l, t| log.push(l, &t));
                }
                Ok(())
            }
            Some(v) if v == want => Ok(()),
            Some(v) => {
                let msg = format!("{name}: version magic '{v}' should be '{want}'");
                self.log.push(3, &msg);
                Err(err(libc::ENOEXEC, msg))
            }
            None => {
                let msg = format!("{name}: no version magic");
                self.log.push(3, &msg);
                Err(err(libc::ENOEXEC, msg))
            }
        }
    }

    /// The modules providing `imports` (the kernel's own symbols first when
    /// `kernel` knows them); every unresolved one is logged as the kernel
    /// logs it, then the load fails with `ENOENT` (or the error a kernel
    /// symbol check gave). Only modules of the same kind (`ko`) provide.
    fn resolve(
        &self,
        name: &str,
        imports: &[String],
        gpl_ok: bool,
        ko: bool,
        kernel: &mut dyn FnMut(&str, bool) -> Result<bool, i32>,
    ) -> Result<Vec<String>, Error> {
        let mut uses: Vec<String> = Vec::new();
        let mut missing = Vec::new();
        let mut errno = libc::ENOENT;
        for sym in imports {
            let found = match kernel(sym, gpl_ok) {
                Ok(true) => continue,
                Ok(false) => match self.symbols.resolve(sym, gpl_ok) {
                    Ok(owner) if self.index(owner).is_some_and(|i| self.modules[i].ko == ko) => {
                        Ok(owner)
                    }
                    _ => Err(libc::ENOENT),
                },
                Err(e) => Err(e),
            };
            match found {
                Ok(owner) => {
                    if !uses.iter().any(|u| u == owner) {
                        uses.push(owner.to_string());
                    }
                }
                Err(e) => {
                    self.log
                        .push(4, &format!("{name}: Unknown symbol {sym} (err -{e})"));
                    missing.push(sym.as_str());
                    if e != libc::ENOENT {
                        errno = e;
                    }
                }
            }
        }
        if !missing.is_empty() {
            return Err(err(
                errno,
                format!("{name}: Unknown symbol in module: {}", missing.join(", ")),
            ));
        }
        Ok(uses)
    }
}

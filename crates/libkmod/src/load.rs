//! Loading and removing: `kmod_module_insert_module`,
//! `kmod_module_remove_module` and `kmod_module_probe_insert_module` with
//! every `KMOD_PROBE_*` flag and its `run_install` and `print_action`
//! callbacks.
//!
//! The kernel is the context's `rkmod::Linux` backend (`finit_module`,
//! `init_module` as the fallback, `delete_module` without waiting). The
//! probe list is built as libkmod builds it, over this library's module
//! objects (so a callback sees the same pointers the caller's lookups
//! give): each dependency between its softdeps, the module last. The
//! marks libkmod keeps on its module objects while building it (visited,
//! required, ignore the install command) live in a map of the call, so
//! probes from several threads do not disturb each other.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use rkmod::{InsertFailure, InsertFlags, Kernel, KernelError, RemoveFlags};

use crate::module::{self, kmod_module};
use crate::{guard, kmod_err, kmod_info, list, state};

const ENOENT: c_int = nix::libc::ENOENT;
const EEXIST: c_int = nix::libc::EEXIST;
const EINVAL: c_int = nix::libc::EINVAL;
const ENOMEM: c_int = nix::libc::ENOMEM;

/// `enum kmod_insert`.
const KMOD_INSERT_FORCE_VERMAGIC: c_uint = 0x1;
const KMOD_INSERT_FORCE_MODVERSION: c_uint = 0x2;
/// `enum kmod_remove`.
const KMOD_REMOVE_FORCE: c_uint = nix::libc::O_TRUNC as c_uint;
const KMOD_REMOVE_NOLOG: c_uint = 1;
/// `enum kmod_probe`.
const KMOD_PROBE_IGNORE_COMMAND: c_uint = 0x00004;
const KMOD_PROBE_IGNORE_LOADED: c_uint = 0x00008;
const KMOD_PROBE_DRY_RUN: c_uint = 0x00010;
const KMOD_PROBE_FAIL_ON_LOADED: c_uint = 0x00020;
const KMOD_PROBE_APPLY_BLACKLIST_ALL: c_uint = 0x10000;
const KMOD_PROBE_APPLY_BLACKLIST: c_uint = 0x20000;
const KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY: c_uint = 0x40000;

symver!(
    kmod_module_insert_module @ "LIBKMOD_5",
    kmod_module_remove_module @ "LIBKMOD_5",
    kmod_module_probe_insert_module @ "LIBKMOD_5",
);

/// `run_install` of `kmod_module_probe_insert_module`.
pub type RunInstall = Option<
    unsafe extern "C" fn(m: *mut kmod_module, cmd: *const c_char, data: *mut c_void) -> c_int,
>;
/// `print_action` of `kmod_module_probe_insert_module`.
pub type PrintAction =
    Option<unsafe extern "C" fn(m: *mut kmod_module, install: bool, options: *const c_char)>;

/// Insert the module's file with `options`, as `kmod_module_insert_module`.
fn insert(m: &kmod_module, flags: c_uint, options: &[u8]) -> c_int {
    let Some(path) = m.path() else {
        kmod_err!(
            m.ctx(),
            "kmod_module_insert_module",
            "could not find module by name='{}'\n",
            String::from_utf8_lossy(m.name())
        );
        return -ENOENT;
    };
    let kflags = InsertFlags {
        ignore_vermagic: flags & KMOD_INSERT_FORCE_VERMAGIC != 0,
        ignore_modversions: flags & KMOD_INSERT_FORCE_MODVERSION != 0,
    };
    match m.ctx().kernel().insert_reporting(path, options, kflags) {
        Ok(()) => 0,
        // libkmod returns what it could not read without a word
        Err(InsertFailure::File(e)) => -e,
        Err(InsertFailure::Kernel(e)) => {
            kmod_info!(
                m.ctx(),
                "kmod_module_insert_module",
                "Failed to insert module '{}': {}\n",
                String::from_utf8_lossy(path.as_os_str().as_bytes()),
                rkmod::strerror(e)
            );
            -e
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_insert_module(
    m: *mut kmod_module,
    flags: c_uint,
    options: *const c_char,
) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    let options = if options.is_null() {
        &[][..]
    } else {
        CStr::from_ptr(options).to_bytes()
    };
    guard(-ENOMEM, || insert(m, flags, options))
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_remove_module(m: *mut kmod_module, flags: c_uint) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    guard(-ENOMEM, || {
        let name = String::from_utf8_lossy(m.name());
        let rflags = RemoveFlags {
            force: flags & KMOD_REMOVE_FORCE != 0,
        };
        match m.ctx().kernel().remove(&name, rflags) {
            Ok(()) => 0,
            Err(KernelError(e)) => {
                if flags & 0xff & KMOD_REMOVE_NOLOG == 0 {
                    kmod_err!(
                        m.ctx(),
                        "kmod_module_remove_module",
                        "could not remove '{}': {}\n",
                        name,
                        rkmod::strerror(e)
                    );
                }
                -e
            }
        }
    })
}

/// Whether the kernel has the module (live or builtin).
fn in_kernel(m: &kmod_module) -> bool {
    matches!(state::initstate(m), 0 | 1)
}

fn is_blacklisted(m: &kmod_module) -> bool {
    m.ctx().config().is_blacklisted(m.name())
}

/// libkmod's per-module marks while a probe list is built.
#[derive(Default, Clone, Copy)]
struct Marks {
    visited: bool,
    required: bool,
    ignore_command: bool,
}

/// A probe list in the making: referenced modules, in load order.
struct ProbeList {
    marks: HashMap<usize, Marks>,
    list: Vec<*mut kmod_module>,
}

impl ProbeList {
    fn marks(&mut self, m: *mut kmod_module) -> &mut Marks {
        self.marks.entry(m as usize).or_default()
    }

    fn push(&mut self, m: &kmod_module) {
        self.list.push(m.new_ref());
    }

    /// The module between its `pre:` and `post:` softdeps.
    unsafe fn with_softdeps(&mut self, m: *mut kmod_module) -> Result<(), c_int> {
        let module = &*m;
        let mut pre = ptr::null_mut();
        let mut post = ptr::null_mut();
        let err = module::kmod_module_get_softdeps(m, &mut pre, &mut post);
        if err < 0 {
            kmod_err!(
                module.ctx(),
                "__kmod_module_fill_softdep",
                "could not get softdep: {}\n",
                rkmod::strerror(-err)
            );
            return Err(err);
        }
        let pre_mods = list::items(pre);
        let post_mods = list::items(post);
        let mut result = Ok(());
        for p in &pre_mods {
            result = self.probe_list(p.cast(), false, false);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            self.push(module);
            self.marks(m).ignore_command = !pre_mods.is_empty() || !post_mods.is_empty();
            for p in &post_mods {
                result = self.probe_list(p.cast(), false, false);
                if result.is_err() {
                    break;
                }
            }
        }
        module::unref_list(pre);
        module::unref_list(post);
        result
    }

    /// The dependencies (each with its softdeps), then the module.
    unsafe fn probe_list(
        &mut self,
        m: *mut kmod_module,
        required: bool,
        ignore_command: bool,
    ) -> Result<(), c_int> {
        if self.marks(m).visited {
            return Ok(());
        }
        self.marks(m).visited = true;
        let module = &*m;
        let deps = module.dependencies();
        if required {
            self.marks(m).required = true;
            for &d in &deps {
                self.marks(d).required = true;
            }
        }
        let mut result = Ok(());
        for &d in &deps {
            result = self.with_softdeps(d);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            if ignore_command {
                self.push(module);
                self.marks(m).ignore_command = true;
            } else {
                result = self.with_softdeps(m);
            }
        }
        for d in deps {
            module::unref(d);
        }
        result
    }
}

impl Drop for ProbeList {
    fn drop(&mut self) {
        for m in self.list.drain(..) {
            // SAFETY: the list holds a reference on each.
            unsafe { module::unref(m) };
        }
    }
}

/// Configured options, then the caller's for the requested module
/// (libkmod's `module_options_concat`); None when both are absent or empty.
fn concat_options(configured: Option<&[u8]>, extra: Option<&[u8]>) -> Option<CString> {
    let c = configured.unwrap_or_default();
    let x = extra.unwrap_or_default();
    if c.is_empty() && x.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(c.len() + x.len() + 1);
    if let Some(c) = configured {
        out.extend_from_slice(c);
        out.push(b' ');
    }
    out.extend_from_slice(x);
    CString::new(out).ok()
}

/// Run an install command through the shell with `MODPROBE_MODULE` set,
/// as libkmod's `system(3)` call does (a child killed by a signal has
/// exit status 0 to it).
fn command_do(m: &kmod_module, cmd: &[u8]) -> c_int {
    let name = String::from_utf8_lossy(m.name()).into_owned();
    let shown = String::from_utf8_lossy(cmd);
    let status = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(std::ffi::OsStr::from_bytes(cmd))
        .env("MODPROBE_MODULE", std::ffi::OsStr::from_bytes(m.name()))
        .status();
    match status {
        Err(e) => {
            kmod_err!(
                m.ctx(),
                "command_do",
                "Could not run install command '{}' for module {}: {}\n",
                shown,
                name,
                rkmod::strerror(e.raw_os_error().unwrap_or(nix::libc::EIO))
            );
            -EINVAL
        }
        Ok(s) => match s.code() {
            Some(0) | None => 0,
            Some(code) => {
                kmod_err!(
                    m.ctx(),
                    "command_do",
                    "Error running install command '{}' for module {}: retcode {}\n",
                    shown,
                    name,
                    code
                );
                -EINVAL
            }
        },
    }
}

/// The install command with `$CMDLINE_OPTS` replaced, run through
/// `run_install` when given.
unsafe fn run_install_command(
    m: *mut kmod_module,
    command: &[u8],
    options: Option<&CStr>,
    run_install: RunInstall,
    data: *mut c_void,
) -> c_int {
    let options = options.map(CStr::to_bytes).unwrap_or_default();
    let cmd = rkmod::probe::substitute_options(command, options);
    match run_install {
        Some(f) => {
            let c = CString::new(cmd).unwrap_or_default();
            f(m, c.as_ptr(), data)
        }
        None => command_do(&*m, &cmd),
    }
}

unsafe fn probe(
    m: *mut kmod_module,
    flags: c_uint,
    extra: Option<&[u8]>,
    run_install: RunInstall,
    data: *mut c_void,
    print_action: PrintAction,
) -> c_int {
    let module = &*m;
    if flags & KMOD_PROBE_IGNORE_LOADED == 0 && in_kernel(module) {
        return if flags & KMOD_PROBE_FAIL_ON_LOADED != 0 {
            -EEXIST
        } else {
            0
        };
    }
    if is_blacklisted(module) {
        if module.alias().is_some() && flags & KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY != 0 {
            return KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY as c_int;
        }
        if flags & KMOD_PROBE_APPLY_BLACKLIST_ALL != 0 {
            return KMOD_PROBE_APPLY_BLACKLIST_ALL as c_int;
        }
        if flags & KMOD_PROBE_APPLY_BLACKLIST != 0 {
            return KMOD_PROBE_APPLY_BLACKLIST as c_int;
        }
    }
    let mut plist = ProbeList {
        marks: HashMap::new(),
        list: Vec::new(),
    };
    if let Err(e) = plist.probe_list(m, true, flags & KMOD_PROBE_IGNORE_COMMAND != 0) {
        return e;
    }
    if flags & KMOD_PROBE_APPLY_BLACKLIST_ALL != 0 {
        let (keep, drop): (Vec<_>, Vec<_>) =
            plist.list.drain(..).partition(|&s| !is_blacklisted(&*s));
        for s in drop {
            module::unref(s);
        }
        if keep.is_empty() {
            return KMOD_PROBE_APPLY_BLACKLIST_ALL as c_int;
        }
        plist.list = keep;
    }
    let mut err = 0;
    for &s in &plist.list {
        let step = &*s;
        let marks = plist.marks.get(&(s as usize)).copied().unwrap_or_default();
        if flags & KMOD_PROBE_IGNORE_LOADED == 0 && in_kernel(step) {
            err = -EEXIST;
        } else {
            let configured = module::kmod_module_get_options(s);
            let configured = (!configured.is_null()).then(|| CStr::from_ptr(configured).to_bytes());
            let options = concat_options(configured, if s == m { extra } else { None });
            let shown = options.as_deref().unwrap_or_default();
            let cmd = module::kmod_module_get_install_commands(s);
            if !cmd.is_null() && !marks.ignore_command {
                if let Some(f) = print_action {
                    f(s, true, shown.as_ptr());
                }
                if flags & KMOD_PROBE_DRY_RUN == 0 {
                    let cmd = CStr::from_ptr(cmd).to_bytes().to_vec();
                    err = run_install_command(s, &cmd, options.as_deref(), run_install, data);
                }
            } else {
                if let Some(f) = print_action {
                    f(s, false, shown.as_ptr());
                }
                if flags & KMOD_PROBE_DRY_RUN == 0 {
                    err = insert(step, flags, shown.to_bytes());
                }
            }
        }
        // "already loaded" stops the probe only for the module asked for,
        // when the caller wants to know; other failures only when the
        // module is needed (not a softdep)
        if err == -EEXIST && s == m && flags & KMOD_PROBE_FAIL_ON_LOADED != 0 {
            break;
        }
        if err == -EEXIST || !marks.required {
            err = 0;
        } else if err < 0 {
            break;
        }
    }
    err
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_probe_insert_module(
    m: *mut kmod_module,
    flags: c_uint,
    extra_options: *const c_char,
    run_install: RunInstall,
    data: *const c_void,
    print_action: PrintAction,
) -> c_int {
    if kmod_module::from_ptr(m).is_none() {
        return -ENOENT;
    }
    let extra = (!extra_options.is_null()).then(|| CStr::from_ptr(extra_options).to_bytes());
    guard(-ENOMEM, || {
        probe(m, flags, extra, run_install, data.cast_mut(), print_action)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_join_as_libkmod() {
        let s = |o: Option<CString>| o.map(|c| c.into_bytes());
        assert_eq!(s(concat_options(None, None)), None);
        assert_eq!(s(concat_options(None, Some(b""))), None);
        assert_eq!(
            s(concat_options(Some(b"a=1"), None)),
            Some(b"a=1 ".to_vec())
        );
        assert_eq!(
            s(concat_options(Some(b"a=1"), Some(b"b=2"))),
            Some(b"a=1 b=2".to_vec())
        );
        assert_eq!(s(concat_options(None, Some(b"b=2"))), Some(b"b=2".to_vec()));
        // configured but empty: kmod still adds the blank
        assert_eq!(
            s(concat_options(Some(b""), Some(b"b"))),
            Some(b" b".to_vec())
        );
    }
}

//! `struct kmod_module`: a module as libkmod's callers hold it.
//!
//! Modules are reference counted; a context keeps one object per key
//! (the name, or `name\alias` for a module found through an alias), so
//! asking for the same name twice gives the same pointer. Each module holds
//! a reference on its context. What the other files may rely on:
//! * [`kmod_module::from_ptr`] turns a C pointer into
//!   `Option<&kmod_module>` (NULL → None);
//! * [`kmod_module::ctx`] / [`kmod_module::ctx_ptr`] is its context;
//! * [`kmod_module::name`] is the (normalised) name, `name_c` the C string;
//! * [`kmod_module::path`] is the module file as kmod finds it (the path
//!   it was made from, else its modules.dep entry), None for builtin or
//!   unknown modules;
//! * [`kmod_module::is_builtin`] says whether modules.builtin lists it (or
//!   a lookup found it there);
//! * [`kmod_module::rk_module`] is the `rkmod::Module` to hand to rkmod
//!   (name, path, alias, origin);
//! * [`new_from_name`] gives a referenced module for a name (as
//!   `kmod_module_new_from_name`), [`kmod_module::new_ref`] takes another
//!   reference, [`unref`] drops one; [`list_of`] / [`unref_list`] build and
//!   free module lists.
//!
//! Everything here may be used from several threads at once: the cache is
//! behind the context's lock (the last `unref` removes the module under the
//! same lock a lookup takes), lazily computed fields are `OnceLock`s.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::ctx::{kmod_ctx, ModPtr};
use crate::list::{self, kmod_list};
use crate::{guard, kmod_err};

const ENOENT: c_int = nix::libc::ENOENT;

/// libkmod's `PATH_MAX` buffers.
const PATH_MAX: usize = 4096;

const BUILTIN_UNKNOWN: u8 = 0;
const BUILTIN_YES: u8 = 1;
const BUILTIN_NO: u8 = 2;

/// A module object.
pub struct kmod_module {
    ctx: *mut kmod_ctx,
    refcount: AtomicUsize,
    key: Vec<u8>,
    name: CString,
    alias: Option<Vec<u8>>,
    /// The file, once known; never changes after.
    path: OnceLock<CString>,
    /// The dependencies from modules.dep once read (kmod's `init.dep`).
    deps: Mutex<Option<Vec<ModPtr>>>,
    builtin: AtomicU8,
    options: OnceLock<Option<CString>>,
    install: OnceLock<Option<CString>>,
    remove: OnceLock<Option<CString>>,
}

fn cstring(bytes: &[u8]) -> CString {
    CString::new(
        bytes
            .iter()
            .copied()
            .filter(|&b| b != 0)
            .collect::<Vec<u8>>(),
    )
    .unwrap_or_default()
}

fn path_of(bytes: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}

impl kmod_module {
    /// The module behind a C pointer.
    ///
    /// # Safety
    /// `p` is NULL or a module that is still referenced.
    pub unsafe fn from_ptr<'a>(p: *const kmod_module) -> Option<&'a kmod_module> {
        p.as_ref()
    }

    /// The module's context.
    pub fn ctx(&self) -> &kmod_ctx {
        // SAFETY: a module holds a reference on its context.
        unsafe { &*self.ctx }
    }

    /// The module's context as the C pointer.
    pub fn ctx_ptr(&self) -> *mut kmod_ctx {
        self.ctx
    }

    /// The normalised name.
    pub fn name(&self) -> &[u8] {
        self.name.to_bytes()
    }

    /// The name as a C string (lives as long as the module).
    pub fn name_c(&self) -> &CStr {
        &self.name
    }

    /// The alias the module was found through, if it was.
    pub fn alias(&self) -> Option<&[u8]> {
        self.alias.as_deref()
    }

    /// Take another reference; returns the same pointer.
    pub fn new_ref(&self) -> *mut kmod_module {
        self.refcount.fetch_add(1, Ordering::Relaxed);
        self as *const kmod_module as *mut kmod_module
    }

    /// The module file as C text (`kmod_module_get_path`): the path the
    /// module was made from, else its modules.dep entry (read once).
    pub fn path_c(&self) -> Option<&CStr> {
        if let Some(p) = self.path.get() {
            return Some(p);
        }
        self.load_deps();
        self.path.get().map(|p| p.as_c_str())
    }

    /// The module file (see [`path_c`](Self::path_c)).
    pub fn path(&self) -> Option<&Path> {
        self.path_c().map(|p| path_of(p.to_bytes()))
    }

    /// Whether modules.builtin lists the module (or a lookup found it in
    /// the builtin indexes).
    pub fn is_builtin(&self) -> bool {
        match self.builtin.load(Ordering::Relaxed) {
            BUILTIN_YES => true,
            BUILTIN_NO => false,
            _ => {
                let yes = self.ctx().rk().is_builtin_name(self.name());
                self.builtin.store(
                    if yes { BUILTIN_YES } else { BUILTIN_NO },
                    Ordering::Relaxed,
                );
                yes
            }
        }
    }

    /// The `rkmod::Module` for this module: its name, path, alias, and
    /// origin (`Builtin` for a builtin module without a file, `Alias` when
    /// found through an alias, otherwise `ModulesDep`).
    pub fn rk_module(&self) -> rkmod::Module {
        let path = self.path().map(Path::to_path_buf);
        let origin = if path.is_none() && self.is_builtin() {
            rkmod::Origin::Builtin
        } else if self.alias.is_some() {
            rkmod::Origin::Alias
        } else {
            rkmod::Origin::ModulesDep
        };
        rkmod::Module::from_parts(self.name().to_vec(), path, origin, self.alias.clone())
    }

    /// The modules this one needs, in load order (new references).
    pub fn dependencies(&self) -> Vec<*mut kmod_module> {
        self.load_deps();
        let deps = self.deps.lock().unwrap_or_else(|p| p.into_inner());
        match deps.as_ref() {
            // SAFETY: the list holds references on its modules.
            Some(d) => d.iter().map(|m| unsafe { (*m.0).new_ref() }).collect(),
            None => Vec::new(),
        }
    }

    /// Read the module's modules.dep line once: its path (when not known)
    /// and its dependencies, each made as `kmod_module_new_from_path` makes
    /// modules. A dependency that cannot be made leaves the dependencies
    /// unread (kmod logs it and tries again next time).
    fn load_deps(&self) {
        let mut deps = self.deps.lock().unwrap_or_else(|p| p.into_inner());
        if deps.is_some() {
            return;
        }
        let ctx = self.ctx();
        let Some(line) = ctx.rk().moddep_line(self.name()) else {
            return;
        };
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            *deps = Some(Vec::new());
            return;
        };
        let dirname = ctx.dirname_c().to_bytes();
        if dirname.len() + 2 >= PATH_MAX {
            *deps = Some(Vec::new());
            return;
        }
        let join = |rel: &[u8]| -> Vec<u8> {
            if rel.starts_with(b"/") {
                rel.to_vec()
            } else {
                let mut p = dirname.to_vec();
                p.push(b'/');
                p.extend_from_slice(rel);
                p
            }
        };
        if self.path.get().is_none() {
            let _ = self.path.set(cstring(&join(&line[..colon])));
        }
        let mut found: Vec<ModPtr> = Vec::new();
        for word in line[colon + 1..]
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|w| !w.is_empty())
        {
            let path = join(word);
            // SAFETY: a module holds a reference on its context.
            match unsafe { new_from_path(self.ctx, &path) } {
                Ok(m) => found.push(ModPtr(m)),
                Err(e) => {
                    kmod_err!(
                        ctx,
                        "kmod_module_parse_depline",
                        "ctx={:p} path={} error={}\n",
                        self.ctx,
                        String::from_utf8_lossy(&path),
                        rkmod::strerror(-e)
                    );
                    for m in found {
                        // SAFETY: references taken above.
                        unsafe { unref(m.0) };
                    }
                    return;
                }
            }
        }
        // modules.dep lists the last-loaded dependency first; kmod
        // prepends each, which gives load order.
        found.reverse();
        *deps = Some(found);
    }

    fn options_c(&self) -> Option<&CStr> {
        self.options
            .get_or_init(|| {
                self.ctx()
                    .config()
                    .options_for_alias(self.name(), self.alias())
                    .map(|o| cstring(&o))
            })
            .as_deref()
    }

    fn install_c(&self) -> Option<&CStr> {
        self.install
            .get_or_init(|| {
                self.ctx()
                    .config()
                    .install_command(self.name())
                    .map(cstring)
            })
            .as_deref()
    }

    fn remove_c(&self) -> Option<&CStr> {
        self.remove
            .get_or_init(|| self.ctx().config().remove_command(self.name()).map(cstring))
            .as_deref()
    }
}

/// The referenced module of `key`, made when the context has none.
///
/// # Safety
/// `ctx` is a live context.
unsafe fn get_or_create(
    ctx: *mut kmod_ctx,
    key: Vec<u8>,
    name: &[u8],
    alias: Option<&[u8]>,
) -> *mut kmod_module {
    // SAFETY: callers pass a live context.
    let c = unsafe { &*ctx };
    let mut cache = c.modules();
    if let Some(m) = cache.get(&key) {
        // SAFETY: a cached module is alive while it is in the cache (its
        // last unref removes it under this lock).
        return unsafe { (*m.0).new_ref() };
    }
    c.take_ref();
    let m = Box::into_raw(Box::new(kmod_module {
        ctx,
        refcount: AtomicUsize::new(1),
        key: key.clone(),
        name: cstring(name),
        alias: alias.map(<[u8]>::to_vec),
        path: OnceLock::new(),
        deps: Mutex::new(None),
        builtin: AtomicU8::new(BUILTIN_UNKNOWN),
        options: OnceLock::new(),
        install: OnceLock::new(),
        remove: OnceLock::new(),
    }));
    cache.insert(key, ModPtr(m));
    m
}

/// `modname_normalize`: up to the first `.`, `-` as `_`, at most
/// `PATH_MAX - 1` bytes.
fn normalize(name: &[u8]) -> Vec<u8> {
    let mut n = modfile::normalize_name(name);
    n.truncate(PATH_MAX - 1);
    n
}

/// A referenced module for `name` (normalised here), as
/// `kmod_module_new_from_name` makes it.
///
/// # Safety
/// `ctx` is a live context.
pub unsafe fn new_from_name(ctx: *mut kmod_ctx, name: &[u8]) -> *mut kmod_module {
    let n = normalize(name);
    get_or_create(ctx, n.clone(), &n, None)
}

/// A referenced module found through `alias` (key `name\alias`); fails
/// with `-ENAMETOOLONG` as kmod's `kmod_module_new_from_alias`.
///
/// # Safety
/// `ctx` is a live context.
pub unsafe fn new_from_alias(
    ctx: *mut kmod_ctx,
    alias: &[u8],
    name: &[u8],
) -> Result<*mut kmod_module, c_int> {
    if name.len() + alias.len() + 2 > PATH_MAX {
        return Err(-nix::libc::ENAMETOOLONG);
    }
    let mut key = name.to_vec();
    key.push(b'\\');
    key.extend_from_slice(alias);
    Ok(get_or_create(ctx, key, name, Some(alias)))
}

/// A referenced module for a file, as `kmod_module_new_from_path`: the
/// file must exist; a module of the same name with another path is
/// `-EEXIST`. Errors are negative errnos.
///
/// # Safety
/// `ctx` is a live context.
pub unsafe fn new_from_path(ctx: *mut kmod_ctx, path: &[u8]) -> Result<*mut kmod_module, c_int> {
    let mut abs = Vec::new();
    if !path.starts_with(b"/") {
        let cwd = std::env::current_dir().map_err(|_| -nix::libc::ENOMEM)?;
        abs.extend_from_slice(cwd.as_os_str().as_bytes());
        abs.push(b'/');
    }
    abs.extend_from_slice(path);
    if let Err(e) = std::fs::metadata(path_of(&abs)) {
        return Err(-e.raw_os_error().unwrap_or(ENOENT));
    }
    let name = modfile::modname_from_path(path);
    if name.is_empty() {
        return Err(-ENOENT);
    }
    let m = get_or_create(ctx, name.clone(), &name, None);
    // SAFETY: just referenced.
    let module = unsafe { &*m };
    let _ = module.path.set(cstring(&abs));
    let have = module.path.get().map(|p| p.to_bytes()).unwrap_or_default();
    if have != abs.as_slice() {
        let old = String::from_utf8_lossy(have).into_owned();
        // SAFETY: our reference.
        unsafe { unref(m) };
        // SAFETY: live context.
        let c = unsafe { &*ctx };
        kmod_err!(
            c,
            "kmod_module_new_from_path",
            "kmod_module '{}' already exists with different path: new-path='{}' old-path='{}'\n",
            String::from_utf8_lossy(&name),
            String::from_utf8_lossy(&abs),
            old
        );
        return Err(-nix::libc::EEXIST);
    }
    module.builtin.store(BUILTIN_NO, Ordering::Relaxed);
    Ok(m)
}

/// A referenced module for what an rkmod lookup found.
///
/// # Safety
/// `ctx` is a live context.
unsafe fn from_rk(ctx: *mut kmod_ctx, found: &rkmod::Module) -> Result<*mut kmod_module, c_int> {
    let m = match found.alias() {
        Some(alias) => new_from_alias(ctx, alias, found.name())?,
        None => get_or_create(ctx, found.name().to_vec(), found.name(), None),
    };
    // SAFETY: just referenced.
    let module = unsafe { &*m };
    match found.origin() {
        rkmod::Origin::Builtin => module.builtin.store(BUILTIN_YES, Ordering::Relaxed),
        rkmod::Origin::Command => {
            let config = module.ctx().config();
            if let Some(cmd) = config.install_command_named(found.name()) {
                let _ = module.install.set(Some(cstring(cmd)));
            } else if let Some(cmd) = config.remove_command_named(found.name()) {
                let _ = module.remove.set(Some(cstring(cmd)));
            }
        }
        _ => {}
    }
    Ok(m)
}

/// Drop a reference; frees the module (and drops its context reference)
/// when it was the last.
///
/// # Safety
/// `p` is a live module holding at least one reference of the caller's.
pub unsafe fn unref(p: *mut kmod_module) {
    let ctx = (*p).ctx;
    {
        let mut cache = (*ctx).modules();
        if (*p).refcount.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        if cache.get(&(*p).key) == Some(&ModPtr(p)) {
            cache.remove(&(*p).key);
        }
    }
    let module = Box::from_raw(p);
    let deps = module
        .deps
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    drop(module);
    for d in deps {
        unref(d.0);
    }
    kmod_ctx::drop_ref(ctx);
}

/// A list of modules (the list takes over the references).
pub fn list_of(mods: Vec<*mut kmod_module>) -> *mut kmod_list {
    list::from_items(mods.into_iter().map(|m| m.cast::<c_void>()))
}

/// Free a module list, dropping each module's reference.
///
/// # Safety
/// `l` is NULL or a module list owned by the caller.
pub unsafe fn unref_list(l: *mut kmod_list) {
    list::free(l, |d| {
        if !d.is_null() {
            unref(d.cast());
        }
    });
}

/// Look `name` up as `kmod_module_new_from_lookup` does; the messages kmod
/// logs on the way are logged here. Returns referenced modules.
fn lookup(c: &kmod_ctx, ctx: *mut kmod_ctx, name: &[u8]) -> Result<Vec<*mut kmod_module>, c_int> {
    let rk = c.rk();
    let found = rk.lookup_bytes(name);
    for msg in rk.take_messages() {
        kmod_err!(c, "kmod_lookup_alias_from_config", "{}\n", msg);
    }
    let found = found.map_err(|e| -e.errno())?;
    let mut out = Vec::with_capacity(found.len());
    for f in &found {
        // SAFETY: `ctx` is `c`'s pointer, live for the call.
        match unsafe { from_rk(ctx, f) } {
            Ok(m) => out.push(m),
            Err(e) => {
                for m in out {
                    // SAFETY: references taken above.
                    unsafe { unref(m) };
                }
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// kmod's `lookup_dep`: each name looked up; failures logged and skipped.
fn lookup_deps<'a>(
    c: &kmod_ctx,
    ctx: *mut kmod_ctx,
    names: impl Iterator<Item = &'a [u8]>,
) -> *mut kmod_list {
    let mut all = Vec::new();
    for name in names {
        match lookup(c, ctx, name) {
            Ok(found) => all.extend(found),
            Err(_) => kmod_err!(
                c,
                "lookup_dep",
                "failed to lookup dependency '{}', continuing anyway.\n",
                String::from_utf8_lossy(name)
            ),
        }
    }
    list_of(all)
}

unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
    CStr::from_ptr(p).to_bytes()
}

symver!(
    kmod_module_new_from_name @ "LIBKMOD_5",
    kmod_module_new_from_path @ "LIBKMOD_5",
    kmod_module_new_from_lookup @ "LIBKMOD_5",
    kmod_module_new_from_name_lookup @ "LIBKMOD_30",
    kmod_module_new_from_name_lookup_kmod30 @ "LIBKMOD_5" as kmod_module_new_from_name_lookup,
    kmod_module_ref @ "LIBKMOD_5",
    kmod_module_unref @ "LIBKMOD_5",
    kmod_module_unref_list @ "LIBKMOD_5",
    kmod_module_get_module @ "LIBKMOD_5",
    kmod_module_get_name @ "LIBKMOD_5",
    kmod_module_get_path @ "LIBKMOD_5",
    kmod_module_get_options @ "LIBKMOD_5",
    kmod_module_get_install_commands @ "LIBKMOD_5",
    kmod_module_get_remove_commands @ "LIBKMOD_5",
    kmod_module_get_dependencies @ "LIBKMOD_5",
    kmod_module_get_softdeps @ "LIBKMOD_5",
    kmod_module_get_weakdeps @ "LIBKMOD_33",
    kmod_module_apply_filter @ "LIBKMOD_6",
    kmod_module_get_filtered_blacklist @ "LIBKMOD_5",
);

#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_name(
    ctx: *mut kmod_ctx,
    name: *const c_char,
    out: *mut *mut kmod_module,
) -> c_int {
    if ctx.is_null() || name.is_null() || out.is_null() {
        return -ENOENT;
    }
    guard(-nix::libc::ENOMEM, || {
        *out = new_from_name(ctx, c_bytes(name));
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_path(
    ctx: *mut kmod_ctx,
    path: *const c_char,
    out: *mut *mut kmod_module,
) -> c_int {
    if ctx.is_null() || path.is_null() || out.is_null() {
        return -ENOENT;
    }
    guard(-nix::libc::ENOMEM, || {
        match new_from_path(ctx, c_bytes(path)) {
            Ok(m) => {
                *out = m;
                0
            }
            Err(e) => e,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_lookup(
    ctx: *mut kmod_ctx,
    given_alias: *const c_char,
    out: *mut *mut kmod_list,
) -> c_int {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return -ENOENT;
    };
    if given_alias.is_null() {
        return -ENOENT;
    }
    if out.is_null() || !(*out).is_null() {
        kmod_err!(
            c,
            "kmod_module_new_from_lookup",
            "An empty list is needed to create lookup\n"
        );
        return -nix::libc::ENOSYS;
    }
    guard(-nix::libc::ENOMEM, || {
        match lookup(c, ctx, c_bytes(given_alias)) {
            Ok(found) => {
                *out = list_of(found);
                0
            }
            Err(e) => e,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_name_lookup(
    ctx: *mut kmod_ctx,
    modname: *const c_char,
    out: *mut *mut kmod_module,
) -> c_int {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return -ENOENT;
    };
    if modname.is_null() || out.is_null() {
        return -ENOENT;
    }
    guard(-nix::libc::ENOMEM, || {
        match c.rk().lookup_name_bytes(c_bytes(modname)) {
            Ok(Some(found)) => match from_rk(ctx, &found) {
                Ok(m) => {
                    *out = m;
                    0
                }
                Err(e) => e,
            },
            Ok(None) => 0,
            Err(e) => -e.errno(),
        }
    })
}

/// kmod 30 (Debian 12's) exported `kmod_module_new_from_name_lookup` in
/// `LIBKMOD_5`; kmod 34 moved it to `LIBKMOD_30`. Programs built against
/// either find it here: this is the `LIBKMOD_5` one (not the default).
/// Used only through the `.symver` directive (the tests' build has none).
#[cfg_attr(test, allow(dead_code))]
unsafe extern "C" fn kmod_module_new_from_name_lookup_kmod30(
    ctx: *mut kmod_ctx,
    modname: *const c_char,
    out: *mut *mut kmod_module,
) -> c_int {
    kmod_module_new_from_name_lookup(ctx, modname, out)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_ref(m: *mut kmod_module) -> *mut kmod_module {
    match kmod_module::from_ptr(m) {
        Some(m) => m.new_ref(),
        None => ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_unref(m: *mut kmod_module) -> *mut kmod_module {
    if m.is_null() {
        return ptr::null_mut();
    }
    guard(ptr::null_mut(), || {
        // Whether this was the last reference is decided under the cache
        // lock; report the pointer back unless it may be gone.
        let last = (*m).refcount.load(Ordering::Relaxed) == 1;
        unref(m);
        if last {
            ptr::null_mut()
        } else {
            m
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_unref_list(l: *mut kmod_list) -> c_int {
    guard(0, || {
        unref_list(l);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_module(entry: *const kmod_list) -> *mut kmod_module {
    let m = list::data(entry).cast::<kmod_module>();
    match kmod_module::from_ptr(m) {
        Some(m) => m.new_ref(),
        None => ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_name(m: *const kmod_module) -> *const c_char {
    match kmod_module::from_ptr(m) {
        Some(m) => m.name.as_ptr(),
        None => ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_path(m: *const kmod_module) -> *const c_char {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null();
    };
    guard(ptr::null(), || m.path_c().map_or(ptr::null(), CStr::as_ptr))
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_options(m: *const kmod_module) -> *const c_char {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null();
    };
    guard(ptr::null(), || {
        m.options_c().map_or(ptr::null(), CStr::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_install_commands(m: *const kmod_module) -> *const c_char {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null();
    };
    guard(ptr::null(), || {
        m.install_c().map_or(ptr::null(), CStr::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_remove_commands(m: *const kmod_module) -> *const c_char {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null();
    };
    guard(ptr::null(), || {
        m.remove_c().map_or(ptr::null(), CStr::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_dependencies(m: *const kmod_module) -> *mut kmod_list {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null_mut();
    };
    guard(ptr::null_mut(), || list_of(m.dependencies()))
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_softdeps(
    m: *const kmod_module,
    pre: *mut *mut kmod_list,
    post: *mut *mut kmod_list,
) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    if pre.is_null() || post.is_null() {
        return -ENOENT;
    }
    guard(-nix::libc::ENOMEM, || {
        let c = m.ctx();
        if let Some(dep) = c.config().softdep(m.name()) {
            *pre = lookup_deps(c, m.ctx, dep.pre());
            *post = lookup_deps(c, m.ctx, dep.post());
        }
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_weakdeps(
    m: *const kmod_module,
    weak: *mut *mut kmod_list,
) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    if weak.is_null() {
        return -ENOENT;
    }
    guard(-nix::libc::ENOMEM, || {
        let c = m.ctx();
        if let Some(dep) = c.config().weakdep(m.name()) {
            *weak = lookup_deps(c, m.ctx, dep.deps.iter().map(Vec::as_slice));
        }
        0
    })
}

/// `enum kmod_filter` values.
pub const KMOD_FILTER_BLACKLIST: u32 = 0x1;
pub const KMOD_FILTER_BUILTIN: u32 = 0x2;

#[no_mangle]
pub unsafe extern "C" fn kmod_module_apply_filter(
    ctx: *const kmod_ctx,
    filter: u32,
    input: *const kmod_list,
    output: *mut *mut kmod_list,
) -> c_int {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return -ENOENT;
    };
    if output.is_null() {
        return -ENOENT;
    }
    *output = ptr::null_mut();
    guard(-nix::libc::ENOMEM, || {
        let mut kept = Vec::new();
        for d in list::items(input) {
            let Some(m) = kmod_module::from_ptr(d.cast::<kmod_module>()) else {
                continue;
            };
            if filter & KMOD_FILTER_BLACKLIST != 0 && c.config().is_blacklisted(m.name()) {
                continue;
            }
            if filter & KMOD_FILTER_BUILTIN != 0 && m.is_builtin() {
                continue;
            }
            kept.push(m.new_ref());
        }
        *output = list_of(kept);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_filtered_blacklist(
    ctx: *const kmod_ctx,
    input: *const kmod_list,
    output: *mut *mut kmod_list,
) -> c_int {
    kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, input, output)
}

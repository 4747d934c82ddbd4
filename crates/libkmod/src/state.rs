//! What the running kernel shows of its modules, read as libkmod reads it:
//! `kmod_module_new_from_loaded` (`/proc/modules`), `get_initstate`,
//! `get_refcnt`, `get_size`, `get_holders` and `get_sections` (under
//! `/sys/module/<name>`), and `kmod_module_initstate_str`.
//!
//! The two places come from the context's kernel backend
//! (`rkmod::Linux`'s `KernelState`); the files are read with libkmod's
//! rules (at most 31 bytes, a number must be followed by white space),
//! and failures return the negative errno and log the message libkmod
//! logs. Nothing is cached: each call reads the kernel's answer anew.

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void, CString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use crate::ctx::kmod_ctx;
use crate::list::{self, kmod_list};
use crate::module::{self, kmod_module};
use crate::{guard, kmod_err};
use rkmod::Kernel;

const ENOENT: c_int = nix::libc::ENOENT;
const EINVAL: c_int = nix::libc::EINVAL;
const ENAMETOOLONG: c_int = nix::libc::ENAMETOOLONG;
const PATH_MAX: usize = 4096;

/// `enum kmod_module_initstate`.
const KMOD_MODULE_BUILTIN: c_int = 0;
const KMOD_MODULE_LIVE: c_int = 1;
const KMOD_MODULE_COMING: c_int = 2;
const KMOD_MODULE_GOING: c_int = 3;

symver!(
    kmod_module_new_from_loaded @ "LIBKMOD_5",
    kmod_module_initstate_str @ "LIBKMOD_5",
    kmod_module_get_initstate @ "LIBKMOD_5",
    kmod_module_get_refcnt @ "LIBKMOD_5",
    kmod_module_get_holders @ "LIBKMOD_5",
    kmod_module_get_sections @ "LIBKMOD_5",
    kmod_module_section_get_name @ "LIBKMOD_5",
    kmod_module_section_get_address @ "LIBKMOD_5",
    kmod_module_section_free_list @ "LIBKMOD_5",
    kmod_module_get_size @ "LIBKMOD_5",
);

fn errno_of(e: &std::io::Error) -> c_int {
    e.raw_os_error().unwrap_or(nix::libc::EIO)
}

fn text(p: &Path) -> String {
    String::from_utf8_lossy(p.as_os_str().as_bytes()).into_owned()
}

/// `/sys/module/<name>` of the module's kernel.
fn sys_dir(m: &kmod_module) -> PathBuf {
    let mut p = m
        .ctx()
        .kernel()
        .state()
        .sys_module()
        .as_os_str()
        .to_os_string();
    p.push("/");
    p.push(std::ffi::OsStr::from_bytes(m.name()));
    PathBuf::from(p)
}

fn proc_modules(ctx: &kmod_ctx) -> PathBuf {
    ctx.kernel().state().proc_modules().to_path_buf()
}

/// `stat(2)` through the C library (as libkmod's own call, which kmod's
/// testsuite redirects with LD_PRELOAD; Rust's std would use `statx`).
fn is_dir(p: &Path) -> bool {
    nix::sys::stat::stat(p).is_ok_and(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR)
}

/// libkmod's `read_str_safe`: at most 31 bytes of a file.
fn read_small(f: &mut std::fs::File) -> Result<Vec<u8>, c_int> {
    let mut buf = [0u8; 31];
    let mut done = 0;
    while done < buf.len() {
        match f.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(-errno_of(&e)),
        }
    }
    Ok(buf[..done].to_vec())
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtol`/`strtoul` as far as libkmod relies on them: leading white
/// space, a sign, digits of `base` (16 also after `0x`). Returns the value
/// (two's complement, saturated on overflow, negated when signed) and
/// where the number ended; no digits end it at 0.
fn c_strtol(s: &[u8], base: u32, unsigned: bool) -> (i128, usize) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    if base == 16
        && s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && s.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit())
    {
        i += 2;
    }
    let start = i;
    let mut value: i128 = 0;
    while let Some(d) = s.get(i).and_then(|&b| (b as char).to_digit(base)) {
        value = (value * i128::from(base) + i128::from(d)).min(i128::from(u64::MAX) + 1);
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    let value = if unsigned {
        let v = u64::try_from(value).unwrap_or(u64::MAX);
        i128::from(if neg { v.wrapping_neg() } else { v })
    } else if neg {
        (-value).max(i128::from(i64::MIN))
    } else {
        value.min(i128::from(i64::MAX))
    };
    (value, i)
}

/// libkmod's `read_str_long`/`read_str_ulong`: the number must be followed
/// by white space; otherwise `-EINVAL` (and the value is 0).
fn read_number(f: &mut std::fs::File, base: u32, unsigned: bool) -> Result<i128, c_int> {
    let buf = read_small(f)?;
    let (v, end) = c_strtol(&buf, base, unsigned);
    if end == 0 || !buf.get(end).copied().is_some_and(is_c_space) {
        return Err(-EINVAL);
    }
    Ok(v)
}

/// The lines of a file as `fgets` gives them (each with its `\n`).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split_inclusive(|&b| b == b'\n')
}

/// `strtok_r(line, " \t")`'s tokens.
fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ' || b == b'\t')
        .filter(|t| !t.is_empty())
}

/// `kmod_module_new_from_loaded`: a module for each line of
/// `/proc/modules`, in its order.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_loaded(
    ctx: *mut kmod_ctx,
    out: *mut *mut kmod_list,
) -> c_int {
    let Some(c) = kmod_ctx::from_ptr(ctx) else {
        return -ENOENT;
    };
    if out.is_null() {
        return -ENOENT;
    }
    guard(-nix::libc::ENOMEM, || {
        let data = match std::fs::read(proc_modules(c)) {
            Ok(d) => d,
            Err(e) => {
                kmod_err!(
                    c,
                    "kmod_module_new_from_loaded",
                    "could not open /proc/modules: {}\n",
                    rkmod::strerror(errno_of(&e))
                );
                return -errno_of(&e);
            }
        };
        let mut mods = Vec::new();
        for line in lines(&data) {
            match tokens(line).next() {
                Some(name) => mods.push(module::new_from_name(ctx, name)),
                None => kmod_err!(
                    c,
                    "kmod_module_new_from_loaded",
                    "could not get module from name '(null)': {}\n",
                    rkmod::strerror(ENOENT)
                ),
            }
        }
        *out = module::list_of(mods);
        0
    })
}

/// `kmod_module_initstate_str`: the state's name, NULL for others.
#[no_mangle]
pub extern "C" fn kmod_module_initstate_str(state: c_int) -> *const c_char {
    let s: &'static [u8] = match state {
        KMOD_MODULE_BUILTIN => b"builtin\0",
        KMOD_MODULE_LIVE => b"live\0",
        KMOD_MODULE_COMING => b"coming\0",
        KMOD_MODULE_GOING => b"going\0",
        _ => return ptr::null(),
    };
    s.as_ptr().cast()
}

/// The module's state: builtin per modules.builtin, else
/// `/sys/module/<name>/initstate`; a module directory without that file is
/// still coming.
pub fn initstate(m: &kmod_module) -> c_int {
    if m.is_builtin() {
        return KMOD_MODULE_BUILTIN;
    }
    let dir = sys_dir(m);
    let path = dir.join("initstate");
    if path.as_os_str().len() >= PATH_MAX {
        return -ENAMETOOLONG;
    }
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            if is_dir(&dir) {
                return KMOD_MODULE_COMING;
            }
            return -errno_of(&e);
        }
    };
    let buf = match read_small(&mut f) {
        Ok(b) => b,
        Err(e) => {
            kmod_err!(
                m.ctx(),
                "kmod_module_get_initstate",
                "could not read from '{}': {}\n",
                text(&path),
                rkmod::strerror(-e)
            );
            return e;
        }
    };
    // C compares the text up to its first NUL
    let buf = &buf[..buf.iter().position(|&b| b == 0).unwrap_or(buf.len())];
    match buf {
        b"live\n" => KMOD_MODULE_LIVE,
        b"coming\n" => KMOD_MODULE_COMING,
        b"going\n" => KMOD_MODULE_GOING,
        other => {
            kmod_err!(
                m.ctx(),
                "kmod_module_get_initstate",
                "unknown {}: '{}'\n",
                text(&path),
                String::from_utf8_lossy(other)
            );
            -EINVAL
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_initstate(m: *const kmod_module) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    guard(-EINVAL, || initstate(m))
}

/// `kmod_module_get_size`: `coresize`, else the size column of
/// `/proc/modules`; a module without a `/sys/module` directory is not
/// loaded (the error opening it).
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_size(m: *const kmod_module) -> c_long {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -(ENOENT as c_long);
    };
    guard(-(EINVAL as c_long), || {
        let dir = sys_dir(m);
        if let Err(e) = std::fs::File::open(&dir) {
            return -(errno_of(&e) as c_long);
        }
        if let Ok(mut f) = std::fs::File::open(dir.join("coresize")) {
            return match read_number(&mut f, 10, false) {
                Ok(v) => v as c_long,
                Err(_) => {
                    kmod_err!(
                        m.ctx(),
                        "kmod_module_get_size",
                        "failed to read coresize from {}\n",
                        text(&dir)
                    );
                    0
                }
            };
        }
        let data = match std::fs::read(proc_modules(m.ctx())) {
            Ok(d) => d,
            Err(e) => {
                kmod_err!(
                    m.ctx(),
                    "kmod_module_get_size",
                    "could not open /proc/modules: {}\n",
                    rkmod::strerror(errno_of(&e))
                );
                return -(errno_of(&e) as c_long);
            }
        };
        for (i, line) in lines(&data).enumerate() {
            let mut toks = tokens(line);
            if toks.next() != Some(m.name()) {
                continue;
            }
            let parsed = toks.next().and_then(|tok| {
                let (v, end) = c_strtol(tok, 10, false);
                (end != 0 && end == tok.len()).then_some(v as c_long)
            });
            return match parsed {
                Some(v) => v,
                None => {
                    kmod_err!(
                        m.ctx(),
                        "kmod_module_get_size",
                        "invalid line format at /proc/modules:{}\n",
                        i + 1
                    );
                    -(ENOENT as c_long)
                }
            };
        }
        -(ENOENT as c_long)
    })
}

/// `kmod_module_get_refcnt`: `/sys/module/<name>/refcnt`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_refcnt(m: *const kmod_module) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    guard(-EINVAL, || {
        let path = sys_dir(m).join("refcnt");
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => return -errno_of(&e),
        };
        match read_number(&mut f, 10, false) {
            // kmod reads a long and returns it as an int
            Ok(v) => v as i64 as c_int,
            Err(e) => {
                kmod_err!(
                    m.ctx(),
                    "kmod_module_get_refcnt",
                    "could not read integer from '{}': '{}'\n",
                    text(&path),
                    rkmod::strerror(-e)
                );
                e
            }
        }
    })
}

/// The names in a `/sys/module/<name>/<what>` directory, in directory
/// order, or NULL-worthy failure (logged as libkmod does).
fn dir_names(m: &kmod_module, func: &str, dir: &Path) -> Option<Vec<std::ffi::OsString>> {
    match std::fs::read_dir(dir) {
        Ok(rd) => Some(rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect()),
        Err(e) => {
            kmod_err!(
                m.ctx(),
                func,
                "could not open '{}': {}\n",
                text(dir),
                rkmod::strerror(errno_of(&e))
            );
            None
        }
    }
}

/// `kmod_module_get_holders`: the modules in `/sys/module/<name>/holders`
/// (new references), NULL when there are none or the directory cannot be
/// read.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_holders(m: *const kmod_module) -> *mut kmod_list {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null_mut();
    };
    guard(ptr::null_mut(), || {
        let dir = sys_dir(m).join("holders");
        let Some(names) = dir_names(m, "kmod_module_get_holders", &dir) else {
            return ptr::null_mut();
        };
        let mods = names
            .iter()
            .map(|n| module::new_from_name(m.ctx_ptr(), n.as_bytes()))
            .collect();
        module::list_of(mods)
    })
}

/// One entry of `kmod_module_get_sections`.
struct Section {
    name: CString,
    address: c_ulong,
}

unsafe fn free_sections(l: *mut kmod_list) {
    list::free(l, |d| {
        if !d.is_null() {
            drop(Box::from_raw(d.cast::<Section>()));
        }
    });
}

/// `kmod_module_get_sections`: each file of `/sys/module/<name>/sections`
/// with the address it holds (hexadecimal), in directory order; NULL when
/// any cannot be read.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_sections(m: *const kmod_module) -> *mut kmod_list {
    let Some(m) = kmod_module::from_ptr(m) else {
        return ptr::null_mut();
    };
    guard(ptr::null_mut(), || {
        let dir = sys_dir(m).join("sections");
        let Some(names) = dir_names(m, "kmod_module_get_sections", &dir) else {
            return ptr::null_mut();
        };
        let mut out: Vec<Section> = Vec::with_capacity(names.len());
        for name in &names {
            let shown = format!(
                "{}/{}",
                text(&dir),
                String::from_utf8_lossy(name.as_bytes())
            );
            let mut f = match std::fs::File::open(dir.join(name)) {
                Ok(f) => f,
                Err(e) => {
                    kmod_err!(
                        m.ctx(),
                        "kmod_module_get_sections",
                        "could not open '{}': {}\n",
                        shown,
                        rkmod::strerror(errno_of(&e))
                    );
                    return ptr::null_mut();
                }
            };
            match read_number(&mut f, 16, true) {
                Ok(v) => out.push(Section {
                    name: CString::new(name.as_bytes()).unwrap_or_default(),
                    address: v as c_ulong,
                }),
                Err(e) => {
                    // kmod prints errno here, which its parser left at 0
                    // unless reading failed
                    let errno = if e == -EINVAL { 0 } else { -e };
                    kmod_err!(
                        m.ctx(),
                        "kmod_module_get_sections",
                        "could not read long from '{}': {}\n",
                        shown,
                        rkmod::strerror(errno)
                    );
                    return ptr::null_mut();
                }
            }
        }
        list::from_items(
            out.into_iter()
                .map(|s| Box::into_raw(Box::new(s)).cast::<c_void>()),
        )
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_section_get_name(e: *const kmod_list) -> *const c_char {
    match list::data(e).cast::<Section>().as_ref() {
        Some(s) => s.name.as_ptr(),
        None => ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_section_get_address(e: *const kmod_list) -> c_ulong {
    match list::data(e).cast::<Section>().as_ref() {
        Some(s) => s.address,
        None => c_ulong::MAX,
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_section_free_list(l: *mut kmod_list) {
    free_sections(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_as_c() {
        assert_eq!(c_strtol(b"16384\n", 10, false), (16384, 5));
        assert_eq!(c_strtol(b"  -1\n", 10, false), (-1, 4));
        assert_eq!(c_strtol(b"abc", 10, false), (0, 0));
        assert_eq!(c_strtol(b"7x", 10, false), (7, 1));
        assert_eq!(
            c_strtol(b"0xffffffffc0a00000\n", 16, true),
            (0xffffffffc0a00000, 18)
        );
        assert_eq!(c_strtol(b"ff", 16, true), (255, 2));
        assert_eq!(c_strtol(b"0x", 16, true), (0, 1));
        assert_eq!(c_strtol(b"-1", 16, true), (i128::from(u64::MAX), 2));
        assert_eq!(
            c_strtol(b"99999999999999999999999", 10, false).0,
            i128::from(i64::MAX)
        );
    }

    #[test]
    fn initstate_names() {
        let name = |s| {
            let p = kmod_module_initstate_str(s);
            (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec())
        };
        assert_eq!(name(0).as_deref(), Some(&b"builtin"[..]));
        assert_eq!(name(1).as_deref(), Some(&b"live"[..]));
        assert_eq!(name(2).as_deref(), Some(&b"coming"[..]));
        assert_eq!(name(3).as_deref(), Some(&b"going"[..]));
        assert_eq!(name(4), None);
        assert_eq!(name(-1), None);
    }
}

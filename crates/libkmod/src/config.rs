//! `kmod_config_*`: iterators over the configuration a context read, each
//! list in kmod's order (configuration files in sorted order, lines in
//! file order, the kernel command line last) with kmod's keys and values
//! (a softdep's value is what `modprobe -c` prints for it).
//!
//! An iterator is a snapshot taken when it is made: its strings live until
//! it is freed. It starts before the first entry; `kmod_config_iter_next`
//! after the last entry ends it, and once more starts it again, as in kmod.

use std::ffi::{c_char, CString};
use std::ptr;

use crate::ctx::kmod_ctx;
use crate::guard;

/// An iterator over one kind of configuration entry.
pub struct kmod_config_iter {
    entries: Vec<(CString, Option<CString>)>,
    /// The current entry; None before the first and after the last.
    curr: Option<usize>,
}

fn c(bytes: &[u8]) -> CString {
    CString::new(
        bytes
            .iter()
            .copied()
            .filter(|&b| b != 0)
            .collect::<Vec<u8>>(),
    )
    .unwrap_or_default()
}

/// Which list of the configuration an iterator walks.
#[derive(Clone, Copy)]
enum Kind {
    Blacklist,
    Install,
    Remove,
    Alias,
    Options,
    Softdep,
    Weakdep,
}

fn new_iter(ctx: *const kmod_ctx, kind: Kind) -> *mut kmod_config_iter {
    // SAFETY: NULL or a live context, as the API requires.
    let Some(ctx) = (unsafe { kmod_ctx::from_ptr(ctx) }) else {
        return ptr::null_mut();
    };
    guard(ptr::null_mut(), || {
        let cfg = ctx.config();
        let entries: Vec<(CString, Option<CString>)> = match kind {
            Kind::Blacklist => cfg.blacklist.iter().map(|b| (c(b), None)).collect(),
            Kind::Install => cfg
                .install
                .iter()
                .map(|x| (c(&x.modname), Some(c(&x.command))))
                .collect(),
            Kind::Remove => cfg
                .remove
                .iter()
                .map(|x| (c(&x.modname), Some(c(&x.command))))
                .collect(),
            Kind::Alias => cfg
                .aliases
                .iter()
                .map(|x| (c(&x.name), Some(c(&x.modname))))
                .collect(),
            Kind::Options => cfg
                .options
                .iter()
                .map(|x| (c(&x.modname), Some(c(&x.options))))
                .collect(),
            Kind::Softdep => cfg
                .softdeps
                .iter()
                .map(|x| (c(&x.modname), Some(c(&x.show_value()))))
                .collect(),
            Kind::Weakdep => cfg
                .weakdeps
                .iter()
                .map(|x| (c(&x.modname), Some(c(&x.deps.join(&b' ')))))
                .collect(),
        };
        Box::into_raw(Box::new(kmod_config_iter {
            entries,
            curr: None,
        }))
    })
}

symver!(
    kmod_config_get_blacklists @ "LIBKMOD_5",
    kmod_config_get_install_commands @ "LIBKMOD_5",
    kmod_config_get_remove_commands @ "LIBKMOD_5",
    kmod_config_get_aliases @ "LIBKMOD_5",
    kmod_config_get_options @ "LIBKMOD_5",
    kmod_config_get_softdeps @ "LIBKMOD_5",
    kmod_config_get_weakdeps @ "LIBKMOD_33",
    kmod_config_iter_get_key @ "LIBKMOD_5",
    kmod_config_iter_get_value @ "LIBKMOD_5",
    kmod_config_iter_next @ "LIBKMOD_5",
    kmod_config_iter_free_iter @ "LIBKMOD_5",
);

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_blacklists(ctx: *const kmod_ctx) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Blacklist)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_install_commands(
    ctx: *const kmod_ctx,
) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Install)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_remove_commands(
    ctx: *const kmod_ctx,
) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Remove)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_aliases(ctx: *const kmod_ctx) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Alias)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_options(ctx: *const kmod_ctx) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Options)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_softdeps(ctx: *const kmod_ctx) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Softdep)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_weakdeps(ctx: *const kmod_ctx) -> *mut kmod_config_iter {
    new_iter(ctx, Kind::Weakdep)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_get_key(iter: *const kmod_config_iter) -> *const c_char {
    let Some(it) = iter.as_ref() else {
        return ptr::null();
    };
    match it.curr.and_then(|i| it.entries.get(i)) {
        Some((k, _)) => k.as_ptr(),
        None => ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_get_value(
    iter: *const kmod_config_iter,
) -> *const c_char {
    let Some(it) = iter.as_ref() else {
        return ptr::null();
    };
    match it.curr.and_then(|i| it.entries.get(i)) {
        Some((_, Some(v))) => v.as_ptr(),
        _ => ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_next(iter: *mut kmod_config_iter) -> bool {
    let Some(it) = iter.as_mut() else {
        return false;
    };
    it.curr = match it.curr {
        None if !it.entries.is_empty() => Some(0),
        None => None,
        Some(i) if i + 1 < it.entries.len() => Some(i + 1),
        Some(_) => None,
    };
    it.curr.is_some()
}

#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_free_iter(iter: *mut kmod_config_iter) {
    if !iter.is_null() {
        drop(Box::from_raw(iter));
    }
}

//! What a module file says about itself: `kmod_module_get_info` (the
//! `.modinfo` entries, or a builtin module's from
//! `modules.builtin.modinfo`, then the signature's fields),
//! `kmod_module_get_versions` (`__versions`), `kmod_module_get_symbols`
//! (what it exports) and `kmod_module_get_dependency_symbols` (what it
//! needs), with their accessors and `*_free_list` functions.
//!
//! The file is read by `modfile` (as rmodinfo and rdepmod read it); each
//! call reads it again, so a module object holds no file and the calls
//! may run from several threads at once. Every list entry is one heap
//! object owned by the list; the strings live as long as the entry.

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::PathBuf;
use std::ptr;
use std::rc::Rc;

use modfile::{hex_colon, Bind, Elf, ModuleFile, Symbol};

use crate::guard;
use crate::list::{self, kmod_list};
use crate::module::kmod_module;

const ENOENT: c_int = nix::libc::ENOENT;
const ENOMEM: c_int = nix::libc::ENOMEM;

symver!(
    kmod_module_get_info @ "LIBKMOD_5",
    kmod_module_info_get_key @ "LIBKMOD_5",
    kmod_module_info_get_value @ "LIBKMOD_5",
    kmod_module_info_free_list @ "LIBKMOD_5",
    kmod_module_get_versions @ "LIBKMOD_5",
    kmod_module_version_get_symbol @ "LIBKMOD_5",
    kmod_module_version_get_crc @ "LIBKMOD_5",
    kmod_module_versions_free_list @ "LIBKMOD_5",
    kmod_module_get_symbols @ "LIBKMOD_5",
    kmod_module_symbol_get_symbol @ "LIBKMOD_5",
    kmod_module_symbol_get_crc @ "LIBKMOD_5",
    kmod_module_symbols_free_list @ "LIBKMOD_5",
    kmod_module_get_dependency_symbols @ "LIBKMOD_5",
    kmod_module_dependency_symbol_get_symbol @ "LIBKMOD_5",
    kmod_module_dependency_symbol_get_crc @ "LIBKMOD_5",
    kmod_module_dependency_symbol_get_bind @ "LIBKMOD_5",
    kmod_module_dependency_symbols_free_list @ "LIBKMOD_5",
);

/// C text of bytes as C reads them: up to the first NUL.
fn c_text(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// One `key=value` of `kmod_module_get_info`.
struct Info {
    key: CString,
    value: CString,
}

/// One symbol with its CRC (versions and exported symbols).
struct Versioned {
    symbol: CString,
    crc: u64,
}

/// One symbol a module needs, with its CRC and binding.
struct Needed {
    symbol: CString,
    crc: u64,
    bind: c_int,
}

/// The entries' data as a new list, each boxed.
fn boxed_list<T>(items: Vec<T>) -> *mut kmod_list {
    list::from_items(
        items
            .into_iter()
            .map(|i| Box::into_raw(Box::new(i)).cast::<c_void>()),
    )
}

/// Free a list whose data are boxed `T`s.
///
/// # Safety
/// `l` is NULL or a list made by [`boxed_list`] with the same `T`.
unsafe fn free_boxed<T>(l: *mut kmod_list) {
    list::free(l, |d| {
        if !d.is_null() {
            drop(Box::from_raw(d.cast::<T>()));
        }
    });
}

/// The data of one entry as a `T`.
///
/// # Safety
/// `entry` is NULL or an entry of a list made by [`boxed_list`] with `T`.
unsafe fn entry<'a, T>(entry: *const kmod_list) -> Option<&'a T> {
    list::data(entry).cast::<T>().as_ref()
}

/// What identifies a file's contents: device, inode, size, change time.
type Stamp = (u64, u64, u64, i64, i64);

thread_local! {
    /// The file this thread read last: callers ask a module for its info,
    /// versions and symbols one after the other (kmod keeps the file open
    /// in the module object; a compressed module is decompressed once).
    static LAST: std::cell::RefCell<Option<(PathBuf, Stamp, Rc<ModuleFile>)>> =
        const { std::cell::RefCell::new(None) };
}

/// The module's file, read, as kmod's `kmod_module_get_elf` reaches it:
/// no path is `-ENOENT`.
// stat's field types differ between targets
#[allow(clippy::unnecessary_cast)]
fn open_file(m: &kmod_module) -> Result<Rc<ModuleFile>, c_int> {
    let path = m.path().ok_or(-ENOENT)?;
    // stat(2) through the C library, as for every path libkmod reads
    let stamp = nix::sys::stat::stat(path).ok().map(|st| {
        (
            st.st_dev as u64,
            st.st_ino as u64,
            st.st_size as u64,
            st.st_ctime as i64,
            st.st_ctime_nsec as i64,
        )
    });
    if let Some(stamp) = stamp {
        let hit = LAST.with(|last| match &*last.borrow() {
            Some((p, s, f)) if p == path && *s == stamp => Some(f.clone()),
            _ => None,
        });
        if let Some(f) = hit {
            return Ok(f);
        }
    }
    let file = Rc::new(ModuleFile::open(path).map_err(|e| -e.errno())?);
    if let Some(stamp) = stamp {
        LAST.with(|last| *last.borrow_mut() = Some((path.to_path_buf(), stamp, file.clone())));
    }
    Ok(file)
}

/// Store a built list in `*out` and return its count (as a C int).
///
/// # Safety
/// `out` is a valid pointer.
unsafe fn hand_over<T>(out: *mut *mut kmod_list, items: Vec<T>) -> c_int {
    let n = c_int::try_from(items.len()).unwrap_or(c_int::MAX);
    *out = boxed_list(items);
    n
}

/// The information entries, as kmod lists them.
fn info_entries(m: &kmod_module) -> Result<Vec<Info>, c_int> {
    let split = |s: &[u8]| -> Info {
        match s.iter().position(|&b| b == b'=') {
            Some(eq) => Info {
                key: c_text(&s[..eq]),
                value: c_text(&s[eq + 1..]),
            },
            None => Info {
                key: c_text(s),
                value: CString::default(),
            },
        }
    };
    if m.is_builtin() {
        let strings = m
            .ctx()
            .rk()
            .builtin_modinfo(m.name())
            .map_err(|e| -e.errno())?;
        return Ok(strings.iter().map(|s| split(s)).collect());
    }
    let file = open_file(m)?;
    let elf = file.elf().map_err(|e| -e.errno())?;
    let mut out: Vec<Info> = elf
        .modinfo()
        .map_err(|e| -e.errno())?
        .map(|e| Info {
            key: c_text(e.key),
            value: c_text(e.value),
        })
        .collect();
    if let Some(sig) = file.signature() {
        let pair = |key: &str, value: &[u8]| Info {
            key: c_text(key.as_bytes()),
            value: c_text(value),
        };
        out.push(pair("sig_id", sig.id_type.as_bytes()));
        out.push(pair("signer", &sig.signer));
        out.push(pair("sig_key", hex_colon(&sig.key_id).as_bytes()));
        out.push(pair("sig_hashalgo", sig.hash_algo.as_bytes()));
        out.push(pair("signature", hex_colon(&sig.signature).as_bytes()));
    }
    Ok(out)
}

/// `kmod_module_get_info`: the module's `key=value` information (a builtin
/// module's from `modules.builtin.modinfo`), followed for a signed file by
/// `sig_id`, `signer`, `sig_key`, `sig_hashalgo` and `signature`. Returns
/// the count, or a negative errno.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_info(
    m: *const kmod_module,
    out: *mut *mut kmod_list,
) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    if out.is_null() {
        return -ENOENT;
    }
    guard(-ENOMEM, || match info_entries(m) {
        Ok(items) => hand_over(out, items),
        Err(e) => e,
    })
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_get_key(e: *const kmod_list) -> *const c_char {
    entry::<Info>(e).map_or(ptr::null(), |i| i.key.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_get_value(e: *const kmod_list) -> *const c_char {
    entry::<Info>(e).map_or(ptr::null(), |i| i.value.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_free_list(l: *mut kmod_list) {
    free_boxed::<Info>(l)
}

/// The symbol-list getters' shared shape: `-ENOENT` for a null module or
/// `out`; else the symbols `pick` reads from the module's ELF, each made an
/// entry by `make` and handed over as a list (returns the count), or a
/// negative errno.
unsafe fn symbol_list<T>(
    m: *const kmod_module,
    out: *mut *mut kmod_list,
    pick: impl for<'a> Fn(&Elf<'a>) -> modfile::Result<Vec<Symbol<'a>>>,
    make: impl Fn(&Symbol<'_>) -> T,
) -> c_int {
    let Some(m) = kmod_module::from_ptr(m) else {
        return -ENOENT;
    };
    if out.is_null() {
        return -ENOENT;
    }
    guard(-ENOMEM, || {
        let found = open_file(m).and_then(|file| {
            let elf = file.elf().map_err(|e| -e.errno())?;
            let symbols = pick(&elf).map_err(|e| -e.errno())?;
            Ok(symbols.iter().map(&make).collect::<Vec<_>>())
        });
        match found {
            Ok(items) => hand_over(out, items),
            Err(e) => e,
        }
    })
}

/// `kmod_module_get_versions`: the `__versions` records, in file order.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_versions(
    m: *const kmod_module,
    out: *mut *mut kmod_list,
) -> c_int {
    symbol_list(
        m,
        out,
        |elf| elf.modversions(),
        |v| Versioned {
            symbol: c_text(v.name),
            crc: v.crc,
        },
    )
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_version_get_symbol(e: *const kmod_list) -> *const c_char {
    entry::<Versioned>(e).map_or(ptr::null(), |v| v.symbol.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_version_get_crc(e: *const kmod_list) -> u64 {
    entry::<Versioned>(e).map_or(0, |v| v.crc)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_versions_free_list(l: *mut kmod_list) {
    free_boxed::<Versioned>(l)
}

/// `kmod_module_get_symbols`: the symbols the module exports with their
/// CRCs (from the `__crc_*` symbols, else `__ksymtab_strings`).
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_symbols(
    m: *const kmod_module,
    out: *mut *mut kmod_list,
) -> c_int {
    symbol_list(
        m,
        out,
        |elf| elf.exported_symbols(),
        |s| Versioned {
            symbol: c_text(s.name),
            crc: s.crc,
        },
    )
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbol_get_symbol(e: *const kmod_list) -> *const c_char {
    entry::<Versioned>(e).map_or(ptr::null(), |v| v.symbol.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbol_get_crc(e: *const kmod_list) -> u64 {
    entry::<Versioned>(e).map_or(0, |v| v.crc)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbols_free_list(l: *mut kmod_list) {
    free_boxed::<Versioned>(l)
}

/// `enum kmod_symbol_bind`: the letters kmod uses, `\0` for none.
fn bind_code(bind: Bind) -> c_int {
    match bind {
        Bind::None => 0,
        other => other.letter() as c_int,
    }
}

/// `kmod_module_get_dependency_symbols`: the symbols the module needs
/// (undefined in its symbol table) with their `__versions` CRCs and
/// bindings, then the `__versions` records no symbol named.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_dependency_symbols(
    m: *const kmod_module,
    out: *mut *mut kmod_list,
) -> c_int {
    symbol_list(
        m,
        out,
        |elf| elf.dependency_symbols(),
        |s| Needed {
            symbol: c_text(s.name),
            crc: s.crc,
            bind: bind_code(s.bind),
        },
    )
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_symbol(
    e: *const kmod_list,
) -> *const c_char {
    entry::<Needed>(e).map_or(ptr::null(), |s| s.symbol.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_crc(e: *const kmod_list) -> u64 {
    entry::<Needed>(e).map_or(0, |s| s.crc)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_bind(e: *const kmod_list) -> c_int {
    entry::<Needed>(e).map_or(0, |s| s.bind)
}

#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbols_free_list(l: *mut kmod_list) {
    free_boxed::<Needed>(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_are_kmods_letters() {
        assert_eq!(bind_code(Bind::Undefined), b'U' as c_int);
        assert_eq!(bind_code(Bind::Weak), b'W' as c_int);
        assert_eq!(bind_code(Bind::Global), b'G' as c_int);
        assert_eq!(bind_code(Bind::Local), b'L' as c_int);
        assert_eq!(bind_code(Bind::None), 0);
    }

    #[test]
    fn c_text_stops_at_nul() {
        assert_eq!(c_text(b"ab\0cd").as_bytes(), b"ab");
        assert_eq!(c_text(b"").as_bytes(), b"");
    }

    #[test]
    fn lists_free_their_entries() {
        let l = boxed_list(vec![
            Versioned {
                symbol: c_text(b"a"),
                crc: 1,
            },
            Versioned {
                symbol: c_text(b"b"),
                crc: 2,
            },
        ]);
        unsafe {
            let second = crate::list::kmod_list_next(l, l);
            assert_eq!(kmod_module_version_get_crc(second), 2);
            assert_eq!(kmod_module_version_get_crc(ptr::null()), 0);
            kmod_module_versions_free_list(l);
        }
    }
}

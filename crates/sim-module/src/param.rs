//! Parameter storage for Rust modules: each `module_param` type has one
//! storage type with the C layout the sim kernel writes through the table.
//! Integers and `bool` are atomics (a module thread may read while the sim
//! kernel sets a new value); `charp` is a [`CharP`], `string` a
//! [`ParamString`].

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{
    AtomicBool, AtomicI16, AtomicI32, AtomicI64, AtomicPtr, AtomicU16, AtomicU32, AtomicU64,
    Ordering,
};

use crate::abi::{ParamCheck, ParamType};

/// A type that can hold a parameter of [`Storage::TYPE`].
pub trait Storage {
    /// The parameter type this storage holds.
    const TYPE: ParamType;
    /// For `string`: buffer size including the NUL.
    const MAXLEN: u32 = 0;
}

macro_rules! storage {
    ($($t:ty => $k:ident),* $(,)?) => {
        $(impl Storage for $t {
            const TYPE: ParamType = ParamType::$k;
        })*
    };
}

// LP64: C `long` is 64 bits, as on every Linux target the sim runs on.
storage! {
    AtomicI32 => Int,
    AtomicU32 => Uint,
    AtomicI64 => Long,
    AtomicU64 => Ulong,
    AtomicI16 => Short,
    AtomicU16 => Ushort,
    AtomicBool => Bool,
    CharP => Charp,
}

/// A `charp` parameter: a pointer the sim kernel sets to its own copy of
/// the value (kept until the module is unloaded).
#[repr(transparent)]
pub struct CharP(AtomicPtr<c_char>);

impl CharP {
    /// A parameter defaulting to `value`.
    pub const fn new(value: &'static CStr) -> CharP {
        CharP(AtomicPtr::new(value.as_ptr() as *mut c_char))
    }

    /// A parameter defaulting to NULL (shown as `(null)`).
    pub const fn null() -> CharP {
        CharP(AtomicPtr::new(std::ptr::null_mut()))
    }

    /// The current value.
    pub fn get(&self) -> Option<&'static CStr> {
        let p = self.0.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: the pointer is either the 'static default or a string the
        // sim kernel keeps alive until this module is unloaded.
        Some(unsafe { CStr::from_ptr(p) })
    }
}

/// A `string` parameter: a fixed buffer of `N` bytes (including the NUL)
/// the sim kernel copies the value into; longer values are refused.
#[repr(transparent)]
pub struct ParamString<const N: usize>(UnsafeCell<[u8; N]>);

// SAFETY: the sim kernel writes the buffer before module_init or while
// setting the parameter; readers copy it out (as kernel modules do with
// kparam_string, without a lock).
unsafe impl<const N: usize> Sync for ParamString<N> {}

impl<const N: usize> ParamString<N> {
    /// A buffer holding `value` (truncated to `N - 1` bytes).
    pub const fn new(value: &str) -> ParamString<N> {
        let mut buf = [0u8; N];
        let bytes = value.as_bytes();
        let mut i = 0;
        while i < bytes.len() && i + 1 < N {
            buf[i] = bytes[i];
            i += 1;
        }
        ParamString(UnsafeCell::new(buf))
    }

    /// A copy of the current value.
    pub fn get(&self) -> String {
        // SAFETY: a plain byte copy of a buffer that is always NUL-terminated
        // within N (the sim kernel refuses values that do not fit).
        let buf = unsafe { std::ptr::read_volatile(self.0.get()) };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(N);
        String::from_utf8_lossy(&buf[..end]).into_owned()
    }
}

impl<const N: usize> Storage for ParamString<N> {
    const TYPE: ParamType = ParamType::String;
    const MAXLEN: u32 = N as u32;
}

/// The type code of `storage`, which must be `declared` (a mismatch fails
/// the build: this runs in a static initializer).
#[doc(hidden)]
pub const fn checked_type<T: Storage>(_storage: &T, declared: ParamType) -> u32 {
    if T::TYPE as u32 != declared as u32 {
        panic!("sim module parameter: storage type does not match the declared type");
    }
    declared as u32
}

#[doc(hidden)]
pub const fn storage_ptr<T: Storage>(storage: &T) -> *mut c_void {
    storage as *const T as *mut c_void
}

#[doc(hidden)]
pub const fn maxlen_of<T: Storage>(_storage: &T) -> u32 {
    T::MAXLEN
}

#[doc(hidden)]
pub const fn __check_or_none(checks: &[ParamCheck]) -> Option<ParamCheck> {
    match checks {
        [] => None,
        [c, ..] => Some(*c),
    }
}

/// The parsed value a [`ParamCheck`] receives for an `int` parameter.
///
/// # Safety
/// `parsed` must be the pointer the sim kernel passed for an `int`.
pub unsafe fn parsed_int(parsed: *const c_void) -> i32 {
    // SAFETY: per the caller's contract it points at an i32.
    unsafe { *(parsed as *const i32) }
}

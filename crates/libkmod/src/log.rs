//! Logging in libkmod's form: each message goes to the context's log
//! function when its priority is at most the context's log priority
//! (syslog numbers: `LOG_ERR` 3 … `LOG_DEBUG` 7). The default function
//! writes `libkmod: ERROR: <function>: <message>` to stderr, as kmod
//! built without debugging does.
//!
//! For the other files: log with [`kmod_err!`](crate::kmod_err),
//! [`kmod_info!`](crate::kmod_info), [`kmod_notice!`](crate::kmod_notice)
//! or [`kmod_dbg!`](crate::kmod_dbg):
//! `kmod_err!(ctx, "kmod_module_insert_module", "could not find module by name='{}'\n", name)`.
//! The function name is kmod's (callers' own log functions see it); the
//! message ends with `\n` as kmod's do. `ctx` is a `&kmod_ctx`.
//! Debug messages are dropped, as in a kmod built without debugging
//! (Debian's).

use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Write;

use crate::ctx::kmod_ctx;

pub const LOG_EMERG: c_int = 0;
pub const LOG_ALERT: c_int = 1;
pub const LOG_CRIT: c_int = 2;
pub const LOG_ERR: c_int = 3;
pub const LOG_WARNING: c_int = 4;
pub const LOG_NOTICE: c_int = 5;
pub const LOG_INFO: c_int = 6;
pub const LOG_DEBUG: c_int = 7;

/// The C type of a `va_list` argument on this architecture.
#[cfg(target_arch = "x86_64")]
pub type VaListArg = *mut VaListX86;
#[cfg(target_arch = "aarch64")]
pub type VaListArg = VaListArm;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub type VaListArg = *mut c_void;

/// Where a context's messages go.
#[derive(Clone, Copy)]
pub enum LogTarget {
    /// kmod's default: stderr.
    Stderr,
    /// `kmod_set_log_fn` with NULL: nowhere.
    Off,
    /// A caller's function and its data.
    Custom(LogFn, *mut c_void),
}

// SAFETY: the data pointer is the caller's; libkmod hands it back to the
// caller's function, from whichever thread logs (the caller chose to share
// the context).
unsafe impl Send for LogTarget {}
unsafe impl Sync for LogTarget {}

/// A caller's log function (`kmod_set_log_fn`).
pub type LogFn = unsafe extern "C" fn(
    data: *mut c_void,
    priority: c_int,
    file: *const c_char,
    line: c_int,
    func: *const c_char,
    format: *const c_char,
    args: VaListArg,
);

/// x86-64 System V `va_list` with every register slot used up, so the
/// callee takes the arguments from `overflow_arg_area`.
#[cfg(target_arch = "x86_64")]
#[repr(C)]
pub struct VaListX86 {
    gp_offset: u32,
    fp_offset: u32,
    overflow_arg_area: *mut c_void,
    reg_save_area: *mut c_void,
}

/// AArch64 `va_list` with no register area left, so the callee takes the
/// arguments from `stack`.
#[cfg(target_arch = "aarch64")]
#[repr(C)]
pub struct VaListArm {
    stack: *mut c_void,
    gr_top: *mut c_void,
    vr_top: *mut c_void,
    gr_offs: i32,
    vr_offs: i32,
}

/// Call a C log function with the format `"%s"` and `msg` as its only
/// argument. Returns false where this architecture cannot build a
/// `va_list` (then nothing is called).
///
/// # Safety
/// `f` must be a valid log function.
unsafe fn call_log_fn(
    f: LogFn,
    data: *mut c_void,
    priority: c_int,
    file: &CString,
    line: c_int,
    func: &CString,
    msg: &CString,
) -> bool {
    static FORMAT: &[u8] = b"%s\0";
    // The argument area: one pointer, padded to 16 bytes as stacks are.
    let mut area: [*const c_char; 2] = [msg.as_ptr(), std::ptr::null()];
    #[cfg(target_arch = "x86_64")]
    {
        let mut va = VaListX86 {
            gp_offset: 48,
            fp_offset: 304,
            overflow_arg_area: area.as_mut_ptr().cast(),
            reg_save_area: std::ptr::null_mut(),
        };
        f(
            data,
            priority,
            file.as_ptr(),
            line,
            func.as_ptr(),
            FORMAT.as_ptr().cast(),
            &mut va,
        );
        true
    }
    #[cfg(target_arch = "aarch64")]
    {
        let va = VaListArm {
            stack: area.as_mut_ptr().cast(),
            gr_top: std::ptr::null_mut(),
            vr_top: std::ptr::null_mut(),
            gr_offs: 0,
            vr_offs: 0,
        };
        f(
            data,
            priority,
            file.as_ptr(),
            line,
            func.as_ptr(),
            FORMAT.as_ptr().cast(),
            va,
        );
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = (f, data, priority, file, line, func, &mut area);
        false
    }
}

/// kmod's name for a priority in its default log lines.
fn priority_name(priority: c_int) -> String {
    match priority {
        LOG_EMERG => "EMERGENCY".into(),
        LOG_ALERT => "ALERT".into(),
        LOG_CRIT => "CRITICAL".into(),
        LOG_ERR => "ERROR".into(),
        LOG_WARNING => "WARNING".into(),
        LOG_NOTICE => "NOTICE".into(),
        LOG_INFO => "INFO".into(),
        LOG_DEBUG => "DEBUG".into(),
        p => format!("L:{p}"),
    }
}

/// kmod's reading of `KMOD_LOG`: a number, or a word starting `err`,
/// `info` or `debug`; anything else is 0.
pub fn parse_priority(text: &[u8]) -> c_int {
    let trimmed_start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let t = &text[trimmed_start..];
    let (neg, digits_from) = match t.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let digits = t[digits_from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = digits_from + digits;
    if digits > 0 && (end == t.len() || t[end].is_ascii_whitespace()) {
        let n: i64 = std::str::from_utf8(&t[digits_from..end])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(i64::MAX);
        let n = if neg { -n } else { n };
        return n.clamp(c_int::MIN as i64, c_int::MAX as i64) as c_int;
    }
    if text.is_empty() {
        // strtol of "" stops at the end: 0.
        return 0;
    }
    if text.starts_with(b"err") {
        LOG_ERR
    } else if text.starts_with(b"info") {
        LOG_INFO
    } else if text.starts_with(b"debug") {
        LOG_DEBUG
    } else {
        0
    }
}

/// Send one message (already formatted, normally ending in `\n`) to the
/// context's log function. Callers check the priority first (the macros do).
pub fn emit(ctx: &kmod_ctx, priority: c_int, file: &str, line: u32, func: &str, msg: &[u8]) {
    match ctx.log_target() {
        LogTarget::Off => {}
        LogTarget::Stderr => {
            let mut text = format!("libkmod: {}: {}: ", priority_name(priority), func).into_bytes();
            text.extend_from_slice(msg);
            let _ = std::io::stderr().write_all(&text);
        }
        LogTarget::Custom(f, data) => {
            let c = |s: &[u8]| {
                CString::new(s.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>())
                    .unwrap_or_default()
            };
            // SAFETY: the caller registered `f` as a log function.
            unsafe {
                call_log_fn(
                    f,
                    data,
                    priority,
                    &c(file.as_bytes()),
                    line as c_int,
                    &c(func.as_bytes()),
                    &c(msg),
                );
            }
        }
    }
}

/// Log at a priority when the context's priority lets it through.
#[macro_export]
macro_rules! kmod_log {
    ($ctx:expr, $prio:expr, $func:expr, $($fmt:tt)*) => {{
        let ctx: &$crate::ctx::kmod_ctx = $ctx;
        let prio: ::std::ffi::c_int = $prio;
        if ctx.log_priority() >= prio {
            $crate::log::emit(ctx, prio, file!(), line!(), $func, format!($($fmt)*).as_bytes());
        }
    }};
}

/// Log an error (`LOG_ERR`).
#[macro_export]
macro_rules! kmod_err {
    ($ctx:expr, $func:expr, $($fmt:tt)*) => {
        $crate::kmod_log!($ctx, $crate::log::LOG_ERR, $func, $($fmt)*)
    };
}

/// Log a notice (`LOG_NOTICE`).
#[macro_export]
macro_rules! kmod_notice {
    ($ctx:expr, $func:expr, $($fmt:tt)*) => {
        $crate::kmod_log!($ctx, $crate::log::LOG_NOTICE, $func, $($fmt)*)
    };
}

/// Log information (`LOG_INFO`).
#[macro_export]
macro_rules! kmod_info {
    ($ctx:expr, $func:expr, $($fmt:tt)*) => {
        $crate::kmod_log!($ctx, $crate::log::LOG_INFO, $func, $($fmt)*)
    };
}

/// A debug message: dropped, as kmod built without debugging drops it
/// (the arguments are still type-checked).
#[macro_export]
macro_rules! kmod_dbg {
    ($ctx:expr, $func:expr, $($fmt:tt)*) => {{
        let _: &$crate::ctx::kmod_ctx = $ctx;
        if false {
            let _ = format!($($fmt)*);
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::parse_priority;

    #[test]
    fn kmod_log_values() {
        assert_eq!(parse_priority(b"7"), 7);
        assert_eq!(parse_priority(b"6 "), 6);
        assert_eq!(parse_priority(b"debug"), 7);
        assert_eq!(parse_priority(b"info"), 6);
        assert_eq!(parse_priority(b"err"), 3);
        assert_eq!(parse_priority(b"warning"), 0);
        assert_eq!(parse_priority(b"3x"), 0);
    }
}

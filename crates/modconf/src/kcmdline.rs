//! Module configuration on the kernel command line (`/proc/cmdline`), as
//! libkmod reads it:
//!
//! * `MODULE.PARAM=VALUE` and `MODULE.PARAM` give `options MODULE PARAM…`
//!   (dashes of MODULE become underscores; a MODULE that
//!   [`underscores`](crate::modprobe_d::underscores()) refuses is reported);
//! * `modprobe.blacklist=A,B` blacklists A and B (as written, empty names
//!   included: `a,,b` gives three entries);
//! * a value may be quoted, `m.p="a b"`, and so may the whole word,
//!   `"m.p=a b"` (as some boot loaders pass it), which is turned back into
//!   `m.p="a b"`;
//! * every other word is ignored: no dot, `=` before the dot, a second dot
//!   in the parameter name, a quote anywhere but around a value or a whole
//!   word, whitespace inside quotes outside a value, an unterminated quote
//!   at the end.
//!
//! The scanner below reproduces kmod's character by character, including
//! its oddities (the quote state is never reset between words, so a stray
//! quote swallows the words up to the next one).

use std::io::Read;

use crate::modprobe_d::{underscores, Options};
use crate::{strerror, Diagnostic, Level};

/// Where [`ModprobeConfig::load`](crate::ModprobeConfig::load) gets the
/// kernel command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdlineSource<'a> {
    /// Do not read one (a library user's choice; kmod always reads it).
    Skip,
    /// `/proc/cmdline`, as kmod does.
    Proc,
    /// This text, as if it were `/proc/cmdline`'s contents.
    Text(&'a [u8]),
}

/// What a kernel command line says about modules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelCmdline {
    /// `module.param…` words in order: `options` is the parameter text as
    /// written (`param=value`), tabs not yet turned into blanks.
    pub options: Vec<Options>,
    /// `modprobe.blacklist=` entries in order.
    pub blacklist: Vec<Vec<u8>>,
}

/// The most libkmod reads of `/proc/cmdline` (its buffer is 4096 bytes,
/// one kept for the terminating NUL).
pub const MAX_CMDLINE: usize = 4095;

/// Read `/proc/cmdline` as libkmod does: `None` without a message when it
/// cannot be opened, `None` and an error when reading fails, at most
/// [`MAX_CMDLINE`] bytes otherwise.
pub fn read_proc_cmdline() -> (Option<Vec<u8>>, Option<Diagnostic>) {
    let Ok(file) = std::fs::File::open("/proc/cmdline") else {
        return (None, None);
    };
    // /proc files report no size: a buffer a command line fits in at once
    // saves read_to_end's growing reads (seven on a long one)
    let mut text = Vec::with_capacity(4096);
    match file.take(MAX_CMDLINE as u64).read_to_end(&mut text) {
        Ok(_) => (Some(text), None),
        Err(e) => (
            None,
            Some(Diagnostic::new(
                Level::Error,
                format!("could not read from '/proc/cmdline': {}\n", strerror(&e)),
            )),
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ignore,
    ModName,
    Param,
    Value,
    Complete,
}

/// Parse a kernel command line (up to its first NUL) with the messages
/// libkmod prints for it.
pub fn parse(cmdline: &[u8]) -> (KernelCmdline, Vec<Diagnostic>) {
    let end = cmdline
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(cmdline.len());
    // kmod edits its buffer in place (NULs at the ends of names, moving a
    // quoted word's name one to the left); doing the same on a copy keeps
    // every corner case identical.
    let mut buf = cmdline[..end].to_vec();
    buf.push(0);
    let mut out = KernelCmdline::default();
    let mut diags = Vec::new();

    let mut state = State::ModName;
    let mut quoted = false;
    let mut quote_start: Option<usize> = None;
    let mut modname = 0usize;
    let mut param: Option<usize> = None;
    let mut value: Option<usize> = None;
    for p in 0..buf.len() {
        let c = buf[p];
        match c {
            b'"' => {
                quoted = !quoted;
                // An opening quote is only allowed as a word's first
                // character; any other quote outside a value spoils the word.
                if quoted && state == State::ModName && p == modname {
                    quote_start = Some(p);
                    modname = p + 1;
                } else if state != State::Value {
                    state = State::Ignore;
                }
            }
            0 | b' ' | b'\n' | b'\t' | 0x0b | 0x0c | b'\r' => {
                if quoted && state == State::Value {
                    // A blank inside a quoted value belongs to it.
                } else if quoted {
                    state = State::Ignore;
                } else if state == State::Value || state == State::Param {
                    buf[p] = 0;
                    state = State::Complete;
                } else {
                    modname = p + 1;
                    state = State::ModName;
                    quote_start = None;
                }
            }
            b'.' => {
                if state == State::ModName {
                    buf[p] = 0;
                    param = Some(p + 1);
                    state = State::Param;
                } else if state == State::Param {
                    state = State::Ignore;
                }
            }
            b'=' => {
                if state == State::Param {
                    value = Some(p + 1);
                    state = State::Value;
                } else if state == State::ModName {
                    state = State::Ignore;
                }
            }
            _ => {}
        }
        if state == State::Complete {
            if let (Some(q), Some(v)) = (quote_start, value.as_mut()) {
                // `"m.p=a b"`: move `m\0p=` over the opening quote and put
                // the quote back in front of the value: `m.p="a b"`.
                if q < modname && *v >= modname {
                    buf.copy_within(modname..*v, q);
                    *v -= 1;
                    modname -= 1;
                    param = param.map(|at| at.saturating_sub(1));
                    buf[*v] = b'"';
                }
            }
            if let Some(param) = param {
                let value = value.map(|v| cstr(&buf, v));
                take_result(&buf, modname, param, value, &mut out, &mut diags);
            }
            modname = p + 1;
            state = State::ModName;
            quote_start = None;
        }
    }
    (out, diags)
}

/// The NUL-terminated string at `at`.
fn cstr(buf: &[u8], at: usize) -> Vec<u8> {
    let rest = buf.get(at..).unwrap_or_default();
    let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    rest[..len].to_vec()
}

fn take_result(
    buf: &[u8],
    modname: usize,
    param: usize,
    value: Option<Vec<u8>>,
    out: &mut KernelCmdline,
    diags: &mut Vec<Diagnostic>,
) {
    let mut name = cstr(buf, modname);
    let param = cstr(buf, param);
    if name == b"modprobe" && param.starts_with(b"blacklist=") {
        let value = value.unwrap_or_default();
        out.blacklist
            .extend(value.split(|&b| b == b',').map(<[u8]>::to_vec));
    } else if underscores(&mut name) {
        out.options.push(Options {
            modname: name,
            options: param,
        });
    } else {
        diags.push(
            Diagnostic::new(
                Level::Error,
                format!(
                    "Ignoring bad option on kernel command line while parsing module name: '{}'\n",
                    String::from_utf8_lossy(&name)
                ),
            )
            .reported_by("kcmdline_parse_result"),
        );
    }
}

#[cfg(test)]
mod tests;

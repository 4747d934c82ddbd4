//! Module parameters as the kernel parses them: the parameter string is
//! split by `next_arg()` (quotes, `name` alone, `name=value`), names match
//! with `-` and `_` equal, and each value is parsed by the type's setter
//! (`kstrtoint` with base 0, `kstrtobool`, …). The host process applies the
//! result to the module's storage; the texts of the kernel's log lines for
//! failures are here too, so both sides say the same thing.

use sim_module::abi::ParamType;

const EINVAL: i32 = nix::libc::EINVAL;
const ERANGE: i32 = nix::libc::ERANGE;
const ENOSPC: i32 = nix::libc::ENOSPC;

/// The kernel's limit on a `charp` value.
pub const CHARP_MAX: usize = 1024;

/// Split a parameter string into `(name, value)` pairs like the kernel's
/// `next_arg()`: whitespace separates, double quotes group (and are
/// dropped around a value or a whole argument), `name` alone has no value.
pub fn split_args(args: &str) -> Vec<(String, Option<String>)> {
    let bytes = args.as_bytes();
    let mut out = Vec::new();
    let mut pos = skip_spaces(bytes, 0);
    while pos < bytes.len() {
        let (param, val, next) = next_arg(bytes, pos);
        out.push((
            String::from_utf8_lossy(param).into_owned(),
            val.map(|v| String::from_utf8_lossy(v).into_owned()),
        ));
        pos = skip_spaces(bytes, next);
    }
    out
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// One argument from `start`: (name, value, where the next one starts).
fn next_arg(b: &[u8], start: usize) -> (&[u8], Option<&[u8]>, usize) {
    let mut args = start;
    let mut in_quote = false;
    let mut quoted = false;
    if b[args] == b'"' {
        args += 1;
        in_quote = true;
        quoted = true;
    }
    let mut i = args;
    let mut equals = None;
    while i < b.len() {
        if b[i].is_ascii_whitespace() && !in_quote {
            break;
        }
        // The kernel records '=' only past the first byte (equals == 0 means none).
        if equals.is_none() && b[i] == b'=' && i > args {
            equals = Some(i);
        }
        if b[i] == b'"' {
            in_quote = !in_quote;
        }
        i += 1;
    }
    let end = i;
    // A closing quote of a quoted argument or value is not part of it.
    let trim_quote = |s: usize, e: usize| -> usize {
        if e > s && b[e - 1] == b'"' {
            e - 1
        } else {
            e
        }
    };
    let (param, val) = match equals {
        None => {
            let e = if quoted { trim_quote(args, end) } else { end };
            (&b[args..e], None)
        }
        Some(eq) => {
            let mut vs = eq + 1;
            let mut ve = end;
            if vs < end && b[vs] == b'"' {
                vs += 1;
                ve = trim_quote(vs, end);
            } else if quoted {
                ve = trim_quote(vs, end);
            }
            (&b[args..eq], Some(&b[vs..ve.max(vs)]))
        }
    };
    let next = if end < b.len() { end + 1 } else { end };
    (param, val, next)
}

/// The kernel's `parameq()`: names match with `-` and `_` equal.
pub fn param_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| x == y || (matches!(x, b'-' | b'_') && matches!(y, b'-' | b'_')))
}

/// A parsed parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Signed(i64),
    Unsigned(u64),
    Bool(bool),
    Text(String),
}

/// Parse `val` for a parameter of type `ty` (`maxlen`: a `string`
/// buffer's size). Errors are errnos as the kernel's setters return them.
pub fn parse_value(ty: ParamType, val: Option<&str>, maxlen: u32) -> Result<Value, i32> {
    let val = match (ty, val) {
        (ParamType::Bool, None) => return Ok(Value::Bool(true)),
        (_, None) => return Err(EINVAL),
        (_, Some(v)) => v,
    };
    match ty {
        ParamType::Int => signed(val, i32::MIN.into(), i32::MAX.into()).map(Value::Signed),
        ParamType::Short => signed(val, i16::MIN.into(), i16::MAX.into()).map(Value::Signed),
        ParamType::Long => signed(val, i64::MIN, i64::MAX).map(Value::Signed),
        ParamType::Uint => unsigned(val, u32::MAX.into()).map(Value::Unsigned),
        ParamType::Ushort => unsigned(val, u16::MAX.into()).map(Value::Unsigned),
        ParamType::Ulong => unsigned(val, u64::MAX).map(Value::Unsigned),
        ParamType::Bool => strtobool(val).map(Value::Bool),
        ParamType::Charp if val.len() > CHARP_MAX => Err(ENOSPC),
        ParamType::String if val.len() + 1 > maxlen as usize => Err(ENOSPC),
        ParamType::Charp | ParamType::String => Ok(Value::Text(val.to_string())),
    }
}

/// `kstrtoull(s, 0, …)`: optional `+`, base from the prefix (`0x` hex,
/// `0` octal, else decimal), one trailing newline allowed.
fn strtoull(s: &str) -> Result<u64, i32> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let s = s.strip_prefix('+').unwrap_or(s);
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.bytes().next().is_some_and(|c| c.is_ascii_hexdigit()) {
            (h, 16)
        } else {
            (&s[1..], 8)
        }
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return Err(EINVAL);
    }
    let mut v: u64 = 0;
    for c in digits.bytes() {
        let d = (c as char).to_digit(radix).ok_or(EINVAL)?;
        v = v
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(ERANGE)?;
    }
    Ok(v)
}

fn unsigned(s: &str, max: u64) -> Result<u64, i32> {
    let v = strtoull(s)?;
    if v > max {
        return Err(ERANGE);
    }
    Ok(v)
}

fn signed(s: &str, min: i64, max: i64) -> Result<i64, i32> {
    let v = match s.strip_prefix('-') {
        Some(rest) => {
            let m = strtoull(rest)?;
            if m > i64::MIN.unsigned_abs() {
                return Err(ERANGE);
            }
            0i64.wrapping_sub_unsigned(m)
        }
        None => i64::try_from(strtoull(s)?).map_err(|_| ERANGE)?,
    };
    if v < min || v > max {
        return Err(ERANGE);
    }
    Ok(v)
}

/// `kstrtobool()`: y/Y/t/T/1 and n/N/f/F/0 by the first byte, on/off.
fn strtobool(s: &str) -> Result<bool, i32> {
    let b = s.as_bytes();
    match b.first() {
        Some(b'y' | b'Y' | b't' | b'T' | b'1') => Ok(true),
        Some(b'n' | b'N' | b'f' | b'F' | b'0') => Ok(false),
        Some(b'o' | b'O') => match b.get(1) {
            Some(b'n' | b'N') => Ok(true),
            Some(b'f' | b'F') => Ok(false),
            _ => Err(EINVAL),
        },
        _ => Err(EINVAL),
    }
}

/// How sysfs shows a value (`param_get_*`): integers in decimal, bools as
/// `Y`/`N`, a NULL `charp` as `(null)`.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Signed(n) => n.to_string(),
        Value::Unsigned(n) => n.to_string(),
        Value::Bool(b) => if *b { "Y" } else { "N" }.to_string(),
        Value::Text(s) => s.clone(),
    }
}

/// The kernel's log line when setting parameter `param` of `module` to
/// `val` failed with `errno` (from `parse_args()`).
pub fn failure_text(module: &str, param: &str, val: Option<&str>, errno: i32) -> String {
    let val = val.unwrap_or("");
    match errno {
        nix::libc::ENOENT => format!("{module}: Unknown parameter `{param}'"),
        ENOSPC => format!("{module}: `{val}' too large for parameter `{param}'"),
        _ => format!("{module}: `{val}' invalid for parameter `{param}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<(String, Option<String>)> {
        split_args(s)
    }

    fn p(n: &str, v: Option<&str>) -> (String, Option<String>) {
        (n.into(), v.map(Into::into))
    }

    #[test]
    fn splits_like_next_arg() {
        assert_eq!(split(""), vec![]);
        assert_eq!(split("  a=1   b "), vec![p("a", Some("1")), p("b", None)]);
        assert_eq!(
            split(r#"msg="hello world" io=3"#),
            vec![p("msg", Some("hello world")), p("io", Some("3"))]
        );
        assert_eq!(split(r#""a=b c""#), vec![p("a", Some("b c"))]);
        assert_eq!(split("x= y"), vec![p("x", Some("")), p("y", None)]);
        assert_eq!(split("=v"), vec![p("=v", None)]);
        assert_eq!(split("a=b=c"), vec![p("a", Some("b=c"))]);
        assert_eq!(split("\""), vec![p("", None)]);
    }

    #[test]
    fn parses_like_the_kernel_setters() {
        use ParamType::*;
        assert_eq!(parse_value(Int, Some("-12"), 0), Ok(Value::Signed(-12)));
        assert_eq!(parse_value(Int, Some("0x10"), 0), Ok(Value::Signed(16)));
        assert_eq!(parse_value(Int, Some("010"), 0), Ok(Value::Signed(8)));
        assert_eq!(parse_value(Int, Some("7\n"), 0), Ok(Value::Signed(7)));
        assert_eq!(parse_value(Int, Some("2147483648"), 0), Err(ERANGE));
        assert_eq!(parse_value(Int, Some("abc"), 0), Err(EINVAL));
        assert_eq!(parse_value(Int, Some(""), 0), Err(EINVAL));
        assert_eq!(parse_value(Int, None, 0), Err(EINVAL));
        assert_eq!(parse_value(Uint, Some("-1"), 0), Err(EINVAL));
        assert_eq!(
            parse_value(Short, Some("-32768"), 0),
            Ok(Value::Signed(-32768))
        );
        assert_eq!(parse_value(Ushort, Some("65536"), 0), Err(ERANGE));
        assert_eq!(
            parse_value(Long, Some("-9223372036854775808"), 0),
            Ok(Value::Signed(i64::MIN))
        );
        assert_eq!(
            parse_value(Ulong, Some("18446744073709551615"), 0),
            Ok(Value::Unsigned(u64::MAX))
        );
        assert_eq!(parse_value(Bool, None, 0), Ok(Value::Bool(true)));
        assert_eq!(parse_value(Bool, Some("off"), 0), Ok(Value::Bool(false)));
        assert_eq!(parse_value(Bool, Some("maybe"), 0), Err(EINVAL));
        assert_eq!(
            parse_value(String, Some("abc"), 4),
            Ok(Value::Text("abc".into()))
        );
        assert_eq!(parse_value(String, Some("abcd"), 4), Err(ENOSPC));
        assert_eq!(parse_value(Charp, Some(&"x".repeat(1025)), 0), Err(ENOSPC));
    }

    #[test]
    fn names_match_with_dash_or_underscore() {
        assert!(param_eq("period_ms", "period-ms"));
        assert!(!param_eq("period_ms", "periodms"));
    }

    #[test]
    fn failure_texts_are_the_kernels() {
        assert_eq!(
            failure_text("khello", "nope", Some("1"), nix::libc::ENOENT),
            "khello: Unknown parameter `nope'"
        );
        assert_eq!(
            failure_text("khello", "io", Some("9"), EINVAL),
            "khello: `9' invalid for parameter `io'"
        );
    }
}

//! Module parameter strings.

/// Join `name=value` command-line words into the one string the kernel
/// takes, quoting a value that holds a blank (unless it is quoted already),
/// as kmod's insmod and modprobe do.
pub fn join_args<S: AsRef<str>>(args: &[S]) -> String {
    let mut out = String::new();
    for arg in args {
        let arg = arg.as_ref();
        if !out.is_empty() {
            out.push(' ');
        }
        match arg.split_once('=') {
            Some((key, value)) if !value.starts_with(['"', '\'']) && value.contains(' ') => {
                out.push_str(key);
                out.push_str("=\"");
                out.push_str(value);
                out.push('"');
            }
            _ => out.push_str(arg),
        }
    }
    out
}

/// Split a parameter string into `(name, value)` pairs the way the kernel
/// does: words separated by blanks, double quotes group a value.
pub fn split_params(s: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = !quoted;
                chars.next();
                continue;
            }
            if c.is_whitespace() && !quoted {
                break;
            }
            word.push(c);
            chars.next();
        }
        match word.split_once('=') {
            Some((k, v)) => out.push((k.to_string(), Some(v.to_string()))),
            None => out.push((word, None)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_kmod() {
        assert_eq!(
            join_args(&["a=1", "msg=hello world"]),
            "a=1 msg=\"hello world\""
        );
        assert_eq!(join_args(&["msg='x y'"]), "msg='x y'");
        assert_eq!(join_args::<&str>(&[]), "");
    }

    #[test]
    fn splits_like_the_kernel() {
        let p = split_params(" io=3 msg=\"hi there\" flag");
        assert_eq!(
            p,
            vec![
                ("io".into(), Some("3".into())),
                ("msg".into(), Some("hi there".into())),
                ("flag".into(), None)
            ]
        );
    }
}

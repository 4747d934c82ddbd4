//! Shell wildcard matching with the exact semantics of glibc's
//! `fnmatch(pattern, string, 0)` in the C locale, as used by libkmod for
//! module aliases.
//!
//! Supported: `*`, `?`, bracket expressions `[...]` with ranges, `!`/`^`
//! negation, a leading `]` as a member, backslash escapes (outside and inside
//! brackets), character classes `[:alpha:]` etc., and the single-character
//! forms of `[=c=]` and `[.c.]`. No flags: `/` and a leading `.` are ordinary
//! characters, matching is case-sensitive, bytes compare by value.
//!
//! glibc's corner cases are reproduced on purpose, for example: an
//! unterminated `[` is a literal `[` (glibc 2.36 and later, as on Debian 12;
//! older versions failed when the string's character was in the set), a
//! trailing backslash never matches, `[a-` never matches, `[:bad:]` class
//! names never match. The crate's tests compare this function with the
//! system's glibc `fnmatch` on many generated patterns.
//!
//! Both arguments are treated like C strings: anything from the first NUL on
//! is ignored. Environment variable `POSIXLY_CORRECT` (which makes glibc stop
//! treating `^` as negation) is not consulted: `^` always negates.
//!
//! Written for this crate rather than taken from a crate such as `glob` or
//! `globset`, none of which promises glibc's behaviour on malformed brackets,
//! escapes inside brackets or the `^` negation.

/// Longest class name glibc accepts in `[:name:]` (its `CHARCLASS_NAME_MAX`).
const CLASS_NAME_MAX: usize = 2048;

/// Whether `s` matches the shell wildcard `pattern`, exactly like glibc's
/// `fnmatch(pattern, s, 0) == 0`.
///
/// ```
/// use modindex::fnmatch;
/// assert!(fnmatch(b"pci:v00008086d*sv*", b"pci:v00008086d00001234sv0000"));
/// assert!(fnmatch(b"usb:v[0-9]*", b"usb:v1"));
/// assert!(!fnmatch(b"usb:v[!0-9]*", b"usb:v1"));
/// ```
pub fn fnmatch(pattern: &[u8], s: &[u8]) -> bool {
    matches!(
        match_from(Pattern(pattern), Subject(s), 0, 0, false),
        Outcome::Match
    )
}

// Both strings are read lazily, like C strings: a NUL ends them where the
// matcher gets to it. Measuring them first would cost their whole length
// on every call, even when the first byte already decides (a long alias
// pattern against a long name, thousands of times per modprobe run).

/// The pattern: 0 at its first NUL and past its end.
#[derive(Clone, Copy)]
struct Pattern<'a>(&'a [u8]);

impl Pattern<'_> {
    fn at(self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }
}

/// The string: `None` at its first NUL and past its end.
#[derive(Clone, Copy)]
struct Subject<'a>(&'a [u8]);

impl Subject<'_> {
    fn at(self, n: usize) -> Option<u8> {
        self.0.get(n).copied().filter(|&c| c != 0)
    }
}

enum Outcome {
    Match,
    NoMatch,
    /// Only in segment mode: reached a `*` at pattern position `p` with the
    /// string at position `n`, everything before having matched.
    Star {
        p: usize,
        n: usize,
    },
}

/// Match `pat[p..]` against `s[n..]`.
///
/// With `segment` set, stop with [`Outcome::Star`] at the next `*`. glibc
/// matches the pattern piece between two stars at the leftmost position where
/// it fits and never reconsiders that choice; doing the same keeps identical
/// results on the odd patterns where that matters (and keeps matching linear
/// in the number of stars).
fn match_from(pat: Pattern, s: Subject, mut p: usize, mut n: usize, segment: bool) -> Outcome {
    loop {
        let c = pat.at(p);
        if c == 0 {
            return if s.at(n).is_none() {
                Outcome::Match
            } else {
                Outcome::NoMatch
            };
        }
        p += 1;
        let here = s.at(n);
        match c {
            b'?' => {
                if here.is_none() {
                    return Outcome::NoMatch;
                }
            }
            b'\\' => {
                let escaped = pat.at(p);
                if escaped == 0 || here != Some(escaped) {
                    return Outcome::NoMatch;
                }
                p += 1;
            }
            b'*' => {
                if segment {
                    return Outcome::Star { p: p - 1, n };
                }
                // Absorb following stars and question marks.
                let mut next = pat.at(p);
                while next == b'*' || next == b'?' {
                    if next == b'?' {
                        if s.at(n).is_none() {
                            return Outcome::NoMatch;
                        }
                        n += 1;
                    }
                    p += 1;
                    next = pat.at(p);
                }
                if next == 0 {
                    return Outcome::Match;
                }
                // A plain character must be found first: skip other positions.
                let needle = match next {
                    b'[' => None,
                    b'\\' => Some(pat.at(p + 1)),
                    other => Some(other),
                };
                let mut resume = None;
                let mut k = n;
                while let Some(here) = s.at(k) {
                    k += 1;
                    if needle.is_some_and(|c| here != c) {
                        continue;
                    }
                    match match_from(pat, s, p, k - 1, true) {
                        Outcome::Match => return Outcome::Match,
                        Outcome::Star { p, n } => {
                            resume = Some((p, n));
                            break;
                        }
                        Outcome::NoMatch => {}
                    }
                }
                match resume {
                    Some((star_p, star_n)) => {
                        p = star_p;
                        n = star_n;
                        continue;
                    }
                    None => return Outcome::NoMatch,
                }
            }
            b'[' => match bracket(pat, p, here) {
                Bracket::NoMatch => return Outcome::NoMatch,
                Bracket::Matched(after) => p = after,
                Bracket::Literal => {
                    if here != Some(b'[') {
                        return Outcome::NoMatch;
                    }
                }
            },
            _ => {
                if here != Some(c) {
                    return Outcome::NoMatch;
                }
            }
        }
        n += 1;
    }
}

enum Bracket {
    /// The character does not match (or the expression is malformed in a way
    /// glibc rejects).
    NoMatch,
    /// The character matches; the pattern goes on at this position.
    Matched(usize),
    /// No closing `]`: the `[` stands for itself and the pattern goes on
    /// right after it.
    Literal,
}

/// Bytes glibc accepts in a class name: `a` to `y` (it excludes `z`, which
/// no class name uses).
fn class_name_byte(b: u8) -> bool {
    (b'a'..=b'y').contains(&b)
}

/// Character classes of the C locale.
fn in_class(name: &[u8], ch: u8) -> Option<bool> {
    let yes = match name {
        b"alnum" => ch.is_ascii_alphanumeric(),
        b"alpha" => ch.is_ascii_alphabetic(),
        b"blank" => ch == b' ' || ch == b'\t',
        b"cntrl" => ch.is_ascii_control(),
        b"digit" => ch.is_ascii_digit(),
        b"graph" => ch.is_ascii_graphic(),
        b"lower" => ch.is_ascii_lowercase(),
        b"print" => ch.is_ascii_graphic() || ch == b' ',
        b"punct" => ch.is_ascii_punctuation(),
        // C isspace also counts the vertical tab.
        b"space" => matches!(ch, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b"upper" => ch.is_ascii_uppercase(),
        b"xdigit" => ch.is_ascii_hexdigit(),
        _ => return None,
    };
    Some(yes)
}

/// Scan a `[.x.]` collating symbol whose `.` is at `dot`. Returns the position after `.]` and the symbol, which in the
/// C locale must be a single character; `None` means "no match".
fn collating_symbol(pat: Pattern, dot: usize) -> Option<(usize, u8)> {
    let mut q = dot;
    let mut len = 0usize;
    loop {
        q += 1;
        let c = pat.at(q);
        if c == b'.' && pat.at(q + 1) == b']' {
            break;
        }
        if c == 0 {
            return None;
        }
        len += 1;
    }
    if len != 1 {
        return None;
    }
    Some((q + 2, pat.at(dot + 1)))
}

/// Evaluate the bracket expression whose `[` is just before `p` against the
/// string character `here`.
fn bracket(pat: Pattern, mut p: usize, here: Option<u8>) -> Bracket {
    let Some(ch) = here else {
        return Bracket::NoMatch;
    };
    let negated = matches!(pat.at(p), b'!' | b'^');
    if negated {
        p += 1;
    }

    let mut c = pat.at(p);
    p += 1;
    let matched: bool = 'scan: loop {
        // A member to compare as a plain character (glibc's "normal bracket").
        let mut ordinary: Option<u8> = None;
        // Lower bound of a possible range, once a member was read.
        let mut low: Option<u8> = None;

        if c == b'\\' {
            let e = pat.at(p);
            if e == 0 {
                return Bracket::NoMatch;
            }
            p += 1;
            ordinary = Some(e);
        } else if c == b'[' && pat.at(p) == b':' {
            let colon = p;
            let mut name = Vec::new();
            let mut q = p;
            let mut fallback = false;
            loop {
                if name.len() == CLASS_NAME_MAX {
                    return Bracket::NoMatch;
                }
                q += 1;
                let k = pat.at(q);
                if k == b':' && pat.at(q + 1) == b']' {
                    q += 2;
                    break;
                }
                if !class_name_byte(k) {
                    fallback = true;
                    break;
                }
                name.push(k);
            }
            if fallback {
                // Not a class name: the `[` is an ordinary member.
                p = colon;
                ordinary = Some(b'[');
            } else {
                p = q;
                match in_class(&name, ch) {
                    None => return Bracket::NoMatch,
                    Some(true) => break 'scan true,
                    Some(false) => {}
                }
                c = pat.at(p);
                p += 1;
            }
        } else if c == b'[' && pat.at(p) == b'=' {
            let eq = p;
            let sym = pat.at(p + 1);
            if sym == 0 || pat.at(p + 2) != b'=' || pat.at(p + 3) != b']' {
                p = eq;
                ordinary = Some(b'[');
            } else {
                p += 4;
                if ch == sym {
                    break 'scan true;
                }
                c = pat.at(p);
                p += 1;
            }
        } else if c == 0 {
            return Bracket::Literal;
        } else if c == b'[' && pat.at(p) == b'.' {
            let Some((after, sym)) = collating_symbol(pat, p) else {
                return Bracket::NoMatch;
            };
            p = after;
            let is_range = pat.at(p) == b'-' && pat.at(p + 1) != 0;
            if !is_range && ch == sym {
                break 'scan true;
            }
            low = Some(sym);
            c = pat.at(p);
            p += 1;
        } else {
            ordinary = Some(c);
        }

        if let Some(member) = ordinary {
            let next = pat.at(p);
            let after = pat.at(p + 1);
            let is_range = next == b'-' && after != 0 && after != b']';
            if !is_range && member == ch {
                break 'scan true;
            }
            low = Some(member);
            c = next;
            p += 1;
        }

        if let Some(low) = low {
            if c == b'-' && pat.at(p) != b']' {
                let mut high = pat.at(p);
                p += 1;
                if high == b'[' && pat.at(p) == b'.' {
                    let Some((after, sym)) = collating_symbol(pat, p) else {
                        return Bracket::NoMatch;
                    };
                    p = after;
                    high = sym;
                } else {
                    if high == b'\\' {
                        high = pat.at(p);
                        p += 1;
                    }
                    if high == 0 {
                        return Bracket::NoMatch;
                    }
                }
                if low <= ch && ch <= high {
                    break 'scan true;
                }
                c = pat.at(p);
                p += 1;
            }
        }

        if c == b']' {
            break 'scan false;
        }
    };

    if !matched {
        return if negated {
            Bracket::Matched(p)
        } else {
            Bracket::NoMatch
        };
    }

    // Skip the rest of the expression, with glibc's (slightly different)
    // rules for this part.
    loop {
        let c = pat.at(p);
        p += 1;
        match c {
            b']' => break,
            // glibc >= 2.36 (bug 28792): rescan with '[' as a literal.
            0 => return Bracket::Literal,
            b'\\' => {
                if pat.at(p) == 0 {
                    return Bracket::NoMatch;
                }
                p += 1;
            }
            b'[' if pat.at(p) == b':' => {
                let colon = p;
                let mut q = p;
                let mut count = 0usize;
                loop {
                    q += 1;
                    count += 1;
                    if count == CLASS_NAME_MAX {
                        return Bracket::NoMatch;
                    }
                    let k = pat.at(q);
                    if k == b':' && pat.at(q + 1) == b']' {
                        p = q + 2;
                        break;
                    }
                    if !class_name_byte(k) {
                        p = colon;
                        break;
                    }
                }
            }
            b'[' if pat.at(p) == b'=' => {
                if pat.at(p + 1) == 0 || pat.at(p + 2) != b'=' || pat.at(p + 3) != b']' {
                    return Bracket::NoMatch;
                }
                p += 4;
            }
            b'[' if pat.at(p) == b'.' => {
                let mut q = p;
                loop {
                    q += 1;
                    let k = pat.at(q);
                    if k == 0 {
                        return Bracket::NoMatch;
                    }
                    if k == b'.' && pat.at(q + 1) == b']' {
                        break;
                    }
                }
                p = q + 2;
            }
            _ => {}
        }
    }
    if negated {
        Bracket::NoMatch
    } else {
        Bracket::Matched(p)
    }
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[track_caller]
    fn yes(p: &str, s: &str) {
        assert!(
            fnmatch(p.as_bytes(), s.as_bytes()),
            "{p:?} should match {s:?}"
        );
    }

    #[track_caller]
    fn no(p: &str, s: &str) {
        assert!(
            !fnmatch(p.as_bytes(), s.as_bytes()),
            "{p:?} should not match {s:?}"
        );
    }

    #[test]
    fn literals_and_question_mark() {
        yes("", "");
        no("", "a");
        yes("abc", "abc");
        no("abc", "abd");
        no("abc", "ab");
        yes("a?c", "abc");
        no("a?c", "ac");
        yes("???", "/./");
        yes(".*", ".hidden");
        yes("*", ".hidden");
        yes("a/b", "a/b");
        yes("*", "a/b");
        no("A", "a");
    }

    #[test]
    fn stars() {
        yes("*", "");
        yes("**", "");
        yes("a*", "a");
        yes("*a", "bba");
        no("*a", "ab");
        yes("a*b*c", "aXbYc");
        yes("a*b*c", "abbbc");
        no("a*b*c", "acb");
        yes("*?", "x");
        no("*?", "");
        yes("*??*", "xy");
        no("*??*", "x");
        yes(
            "pci:v00008086d*sv*sd*bc03sc*i*",
            "pci:v00008086d00001916sv000017AAsd00002233bc03sc00i00",
        );
        yes("*[0-9]", "abc7");
        no("*[0-9]", "abc");
    }

    #[test]
    fn escapes() {
        yes("\\*", "*");
        no("\\*", "a");
        yes("a\\?b", "a?b");
        no("a\\?b", "axb");
        yes("\\a", "a");
        no("a\\", "a");
        no("a\\", "a\\");
        yes("*\\*", "xx*");
        no("*\\", "x\\");
        yes("[\\]]", "]");
        yes("[\\\\]", "\\");
        no("[\\", "[\\");
        yes("[a\\-z]", "-");
        no("[a\\-z]", "b");
    }

    #[test]
    fn brackets() {
        yes("[abc]", "b");
        no("[abc]", "d");
        yes("[a-z]", "q");
        no("[a-z]", "Q");
        yes("[!a-z]", "Q");
        yes("[^a-z]", "Q");
        no("[^a-z]", "q");
        yes("[]]", "]");
        yes("[]a]", "a");
        yes("[!]]", "a");
        no("[!]]", "]");
        yes("[a-]", "-");
        yes("[-a]", "-");
    }

    #[test]
    fn reversed_range_matches_nothing() {
        no("[z-a]", "m");
        no("[z-a]", "z");
        no("[z-a]", "a");
    }

    #[test]
    fn unterminated_brackets() {
        // No closing bracket: '[' is literal...
        yes("[", "[");
        yes("[ab", "[ab");
        yes("a[", "a[");
        yes("[!", "[!");
        yes("[!]", "[!]");
        yes("[[", "[[");
        yes("[\\]", "[]");
        yes("[[\\]", "[[]");
        no("[ab", "a");
        // A range cut by the end of the pattern never matches.
        no("[a-", "[a-");
        no("[a-", "a");
    }

    #[test]
    fn classes_and_symbols() {
        yes("[[:digit:]]", "7");
        no("[[:digit:]]", "a");
        yes("[[:alpha:][:digit:]]", "x");
        yes("[![:space:]]", "x");
        no("[![:space:]]", "\u{b}");
        no("[[:nosuch:]]", "a");
        no("[[:nosuch:]]", "[");
        yes("[[:Alpha:]]", ":]");
        no("[[:Alpha:]]", ":");
        yes("[[=a=]]", "a");
        no("[[=a=]]", "b");
        yes("[[.a.]]", "a");
        yes("[[.-.]]", "-");
        no("[[.ab.]]", "a");
        yes("[[.a.]-c]", "b");
        yes("[a-[.c.]]", "b");
    }

    #[test]
    fn nul_terminates_like_c_strings() {
        yes("ab\0zz", "ab");
        yes("ab", "ab\0zz");
        yes("a*\0", "abc\0def");
    }

    #[test]
    fn high_bytes_compare_by_value() {
        assert!(fnmatch(b"[\x80-\xff]", b"\xc3"));
        assert!(!fnmatch(b"[\x80-\xff]", b"a"));
        assert!(!fnmatch(b"[[:alpha:]]", b"\xe9"));
        assert!(fnmatch(b"?", b"\xe9"));
    }
}

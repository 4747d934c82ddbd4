//! Reading configuration text the way kmod does: logical lines joined at
//! backslash-newline, each numbered by the last physical line it used, and
//! split into words at blanks and tabs.

use std::borrow::Cow;

/// One logical line and the number of the physical line it ends on.
pub(crate) struct Line<'a> {
    pub number: u32,
    /// Raw bytes up to (not including) the first NUL, as C string handling
    /// sees them; may hold a continuation's own bytes.
    pub text: Cow<'a, [u8]>,
}

/// Split `data` into logical lines as kmod's `freadline_wrapped`: `\`
/// followed by a newline joins two physical lines; `\` followed by anything
/// else keeps that character (and at the very end a `\` leaves a 0xff byte,
/// the EOF value stored as a char).
pub(crate) fn logical_lines(data: &[u8]) -> Vec<Line<'_>> {
    // memchr's portable search: its default one picks a CPU-specific
    // routine on first use, and the CPU query (cpuid, a trap under a
    // hypervisor) cost more than a `modprobe` call's whole configuration
    // scan (issue 14).
    use memchr::arch::all::memchr::{One, Two};
    let (breaks, nul) = (Two::new(b'\n', b'\\'), One::new(0));
    let mut out = Vec::new();
    let mut number = 0u32;
    let mut i = 0;
    while i < data.len() {
        let start = i;
        // A line without a backslash is a slice of the data (most lines,
        // comments above all); only a joined or escaped one is copied.
        let mut joined: Option<Vec<u8>> = None;
        let mut used = 0u32;
        let text = loop {
            // Plain bytes are taken a run at a time, up to the next newline
            // or backslash: every tool call parses the configuration.
            let rest = &data[i..];
            let found = breaks.find(rest);
            let run = &rest[..found.unwrap_or(rest.len())];
            if found.is_none_or(|k| rest[k] == b'\n') {
                // the line ends, at a newline or at the end of the data
                let end = i + run.len();
                i = found.map_or(data.len(), |k| i + k + 1);
                used += 1;
                break match joined {
                    Some(mut t) => {
                        t.extend_from_slice(run);
                        Cow::Owned(t)
                    }
                    None => Cow::Borrowed(&data[start..end]),
                };
            }
            let t = joined.get_or_insert_with(|| data[start..i].to_vec());
            t.extend_from_slice(run);
            i += run.len() + 1;
            match data.get(i) {
                Some(b'\n') => {
                    i += 1;
                    used += 1;
                }
                Some(&c) => {
                    t.push(c);
                    i += 1;
                }
                None => t.push(0xff),
            }
        };
        number = number.saturating_add(used);
        let text = match (nul.find(&text), text) {
            (Some(nul), Cow::Borrowed(b)) => Cow::Borrowed(&b[..nul]),
            (Some(nul), Cow::Owned(mut v)) => {
                v.truncate(nul);
                Cow::Owned(v)
            }
            (None, text) => text,
        };
        out.push(Line { number, text });
    }
    out
}

/// Words separated by blanks and tabs, as `strtok(line, "\t ")`.
pub(crate) fn words(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
}

/// A `strtok_r(…, "\t ", &saveptr)` cursor over one line, for directives
/// whose last argument is "the rest of the line" (`options`, `install`, …).
pub(crate) struct Tokens<'a> {
    rest: &'a [u8],
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a [u8]) -> Tokens<'a> {
        Tokens { rest: text }
    }

    /// The next word; like `strtok_r`, it swallows exactly one separator
    /// after the word, so the rest of the line starts right behind it.
    pub fn word(&mut self) -> Option<&'a [u8]> {
        let is_sep = |b: &u8| *b == b' ' || *b == b'\t';
        let start = self.rest.iter().position(|b| !is_sep(b))?;
        let text = &self.rest[start..];
        match text.iter().position(is_sep) {
            Some(end) => {
                self.rest = &text[end + 1..];
                Some(&text[..end])
            }
            None => {
                self.rest = &[];
                Some(text)
            }
        }
    }

    /// Everything not consumed yet, as `strtok_r(NULL, "\0", …)` returns it
    /// (an empty delimiter set): leading blanks kept, `None` when empty.
    pub fn rest(&mut self) -> Option<&'a [u8]> {
        let rest = std::mem::take(&mut self.rest);
        (!rest.is_empty()).then_some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[u8]) -> Vec<(u32, Vec<u8>)> {
        logical_lines(s)
            .into_iter()
            .map(|l| (l.number, l.text.into_owned()))
            .collect()
    }

    #[test]
    fn continuation_and_numbering() {
        assert_eq!(
            lines(b"a b\\\nc\nd\n\ne"),
            vec![
                (2, b"a bc".to_vec()),
                (3, b"d".to_vec()),
                (4, b"".to_vec()),
                (5, b"e".to_vec())
            ]
        );
        assert_eq!(lines(b"x\\y\n"), vec![(1, b"xy".to_vec())]);
        assert_eq!(lines(b"x\\"), vec![(1, b"x\xff".to_vec())]);
        assert_eq!(lines(b"ab\0cd\n"), vec![(1, b"ab".to_vec())]);
        assert!(lines(b"").is_empty());
    }

    /// kmod's `freadline_wrapped`, one byte at a time, as the reference.
    fn bytewise(data: &[u8]) -> Vec<(u32, Vec<u8>)> {
        let (mut out, mut number, mut i) = (Vec::new(), 0u32, 0);
        while i < data.len() {
            let (mut text, mut used) = (Vec::new(), 0);
            loop {
                match data.get(i) {
                    None => {
                        used += 1;
                        break;
                    }
                    Some(b'\n') => {
                        i += 1;
                        used += 1;
                        break;
                    }
                    Some(b'\\') => {
                        i += 1;
                        match data.get(i) {
                            Some(b'\n') => {
                                i += 1;
                                used += 1;
                            }
                            Some(&c) => {
                                text.push(c);
                                i += 1;
                            }
                            None => text.push(0xff),
                        }
                    }
                    Some(&c) => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            number += used;
            if let Some(nul) = text.iter().position(|&b| b == 0) {
                text.truncate(nul);
            }
            out.push((number, text));
        }
        out
    }

    #[test]
    fn runs_split_as_bytewise_reading_does() {
        let alphabet = b"ab \\\n\0";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..400 {
            let data: Vec<u8> = (0..len % 40)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(lines(&data), bytewise(&data), "{data:?}");
        }
    }

    #[test]
    fn tokens_keep_the_rest_like_strtok() {
        let mut t = Tokens::new(b"options  foo\t  a=1 b ");
        assert_eq!(t.word(), Some(&b"options"[..]));
        assert_eq!(t.word(), Some(&b"foo"[..]));
        assert_eq!(t.rest(), Some(&b"  a=1 b "[..]));
        assert_eq!(t.rest(), None);
        let mut t = Tokens::new(b"options foo ");
        t.word();
        t.word();
        assert_eq!(t.rest(), None);
        let mut t = Tokens::new(b"  ");
        assert_eq!(t.word(), None);
    }

    #[test]
    fn splits_words() {
        let w: Vec<_> = words(b"  search\tupdates  built-in ").collect();
        assert_eq!(w, vec![&b"search"[..], b"updates", b"built-in"]);
    }
}

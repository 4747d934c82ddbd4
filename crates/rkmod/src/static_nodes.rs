//! `modules.devname` read as `kmod static-nodes` reads it, and its three
//! output formats.
//!
//! Each line of the file names a module, the device node it wants and its
//! type and numbers: `fuse fuse c10:229`. kmod reads the file in pieces of
//! at most `PATH_MAX - 1` bytes (a longer line is several pieces), skips
//! pieces that start with `#`, and takes the rest with scanf's rules: two
//! words, then the type character, the major number, a colon and the
//! minor number, blanks allowed before each of them but not before the
//! colon, anything after ignored. A piece that does not fit, or whose type
//! is neither `c` nor `b`, is an invalid entry.

/// One usable entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevName {
    pub module: Vec<u8>,
    pub devname: Vec<u8>,
    /// `b'c'` or `b'b'`.
    pub kind: u8,
    pub major: u32,
    pub minor: u32,
}

/// A line (piece) as read: an entry, or the raw bytes of an invalid one
/// (with their newline when they had one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Entry(DevName),
    Invalid(Vec<u8>),
}

/// How kmod reads a file: pieces as `fgets` with a `PATH_MAX` buffer
/// returns them.
const PIECE: usize = 4096 - 1;

/// The lines of a `modules.devname` file, comments left out.
pub fn parse(data: &[u8]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .take(PIECE)
            .position(|&b| b == b'\n')
            .map_or(PIECE.min(rest.len()), |i| i + 1);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        if piece.first() == Some(&b'#') {
            continue;
        }
        lines.push(match entry(piece) {
            Some(e) => Line::Entry(e),
            None => Line::Invalid(cstr(piece).to_vec()),
        });
    }
    lines
}

/// C's `isspace` in the C locale.
fn space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A C string ends at its first NUL.
fn cstr(piece: &[u8]) -> &[u8] {
    piece
        .iter()
        .position(|&b| b == 0)
        .map_or(piece, |i| &piece[..i])
}

fn skip_space(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| space(b)).count();
    &s[n..]
}

/// scanf's `%s`: blanks skipped, then a non-empty word.
fn word(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = skip_space(s);
    let n = s.iter().take_while(|&&b| !space(b)).count();
    (n > 0).then(|| s.split_at(n))
}

/// scanf's `%u`: blanks skipped, an optional sign, decimal digits; the
/// value as `strtoul` gives it (saturated, a minus sign negates), stored
/// in 32 bits.
fn unsigned(s: &[u8]) -> Option<(u32, &[u8])> {
    let mut s = skip_space(s);
    let mut negative = false;
    if let Some(&sign @ (b'+' | b'-')) = s.first() {
        negative = sign == b'-';
        s = &s[1..];
    }
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let value = s[..n].iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    let value = match value {
        Some(v) if negative => v.wrapping_neg(),
        Some(v) => v,
        None => u64::MAX,
    };
    Some((value as u32, &s[n..]))
}

fn entry(piece: &[u8]) -> Option<DevName> {
    let s = cstr(piece);
    let (module, s) = word(s)?;
    let (devname, s) = word(s)?;
    let s = skip_space(s);
    let (&kind, s) = s.split_first()?;
    let (major, s) = unsigned(s)?;
    let s = s.strip_prefix(b":")?;
    let (minor, _) = unsigned(s)?;
    matches!(kind, b'c' | b'b').then(|| DevName {
        module: module.to_vec(),
        devname: devname.to_vec(),
        kind,
        major,
        minor,
    })
}

/// The output formats of `kmod static-nodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Tmpfiles,
    Devname,
}

impl Format {
    /// Every format, in kmod's order, with its name and description.
    pub const ALL: [(Format, &'static str, &'static str); 3] = [
        (
            Format::Human,
            "human",
            "(default) a human readable format. Do not parse.",
        ),
        (
            Format::Tmpfiles,
            "tmpfiles",
            "the tmpfiles.d(5) format used by systemd-tmpfiles.",
        ),
        (Format::Devname, "devname", "the modules.devname format."),
    ];

    /// The format called `name`.
    pub fn from_name(name: &[u8]) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(_, n, _)| n.as_bytes() == name)
            .map(|(f, _, _)| *f)
    }

    /// One entry in this format.
    pub fn render(self, e: &DevName) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Format::Human => {
                out.extend_from_slice(b"Module: ");
                out.extend_from_slice(&e.module);
                out.extend_from_slice(b"\n\tDevice node: /dev/");
                out.extend_from_slice(&e.devname);
                let kind = if e.kind == b'c' { "character" } else { "block" };
                out.extend_from_slice(
                    format!(
                        "\n\t\tType: {kind} device\n\t\tMajor: {}\n\t\tMinor: {}\n",
                        e.major, e.minor
                    )
                    .as_bytes(),
                );
            }
            Format::Tmpfiles => {
                if let Some(slash) = e.devname.iter().rposition(|&b| b == b'/') {
                    out.extend_from_slice(b"d /dev/");
                    out.extend_from_slice(&e.devname[..slash]);
                    out.extend_from_slice(b" 0755 - - -\n");
                }
                out.push(e.kind);
                out.extend_from_slice(b"! /dev/");
                out.extend_from_slice(&e.devname);
                out.extend_from_slice(format!(" 0600 - - - {}:{}\n", e.major, e.minor).as_bytes());
            }
            Format::Devname => {
                out.extend_from_slice(&e.module);
                out.push(b' ');
                out.extend_from_slice(&e.devname);
                out.extend_from_slice(
                    format!(" {}{}:{}\n", e.kind as char, e.major, e.minor).as_bytes(),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Line {
        let mut v = parse(line.as_bytes());
        assert_eq!(v.len(), 1, "{line:?}");
        v.remove(0)
    }

    fn dev(m: &str, d: &str, kind: u8, major: u32, minor: u32) -> Line {
        Line::Entry(DevName {
            module: m.into(),
            devname: d.into(),
            kind,
            major,
            minor,
        })
    }

    #[test]
    fn scanf_rules() {
        assert_eq!(
            one("fuse fuse c10:229\n"),
            dev("fuse", "fuse", b'c', 10, 229)
        );
        assert_eq!(one("  a\tb   b 1: 2 junk"), dev("a", "b", b'b', 1, 2));
        assert_eq!(one("a b c+1:-1\n"), dev("a", "b", b'c', 1, u32::MAX));
        assert_eq!(
            one("a b c99999999999999999999999:4294967297\n"),
            dev("a", "b", b'c', u32::MAX, 1)
        );
        for bad in [
            "\n",
            "a b\n",
            "a b x1:2\n",
            "a b c1 :2\n",
            "a b c:2\n",
            "a b c1:x\n",
        ] {
            assert_eq!(one(bad), Line::Invalid(bad.into()), "{bad:?}");
        }
        assert!(parse(b"# comment\n#\n").is_empty());
    }

    #[test]
    fn long_lines_are_read_in_pieces() {
        let mut data = vec![b'x'; PIECE];
        data.extend_from_slice(b" y c1:2\n");
        let lines = parse(&data);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1], Line::Invalid(b" y c1:2\n".to_vec()));
    }

    #[test]
    fn formats() {
        let Line::Entry(e) = one("snd-timer snd/timer c116:33\n") else {
            panic!()
        };
        assert_eq!(
            Format::Tmpfiles.render(&e),
            b"d /dev/snd 0755 - - -\nc! /dev/snd/timer 0600 - - - 116:33\n"
        );
        assert_eq!(Format::Devname.render(&e), b"snd-timer snd/timer c116:33\n");
        assert_eq!(
            Format::Human.render(&e),
            b"Module: snd-timer\n\tDevice node: /dev/snd/timer\n\t\tType: character device\n\t\tMajor: 116\n\t\tMinor: 33\n"
        );
    }
}

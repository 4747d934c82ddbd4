//! `modules.builtin.bin` and `modules.builtin.alias.bin`: modules built
//! into the kernel (from `modules.builtin`) and their aliases (from
//! `modules.builtin.modinfo`), so modprobe knows not to look for files.
//!
//! Both inputs are read with the quirks of kmod's C reader, which show in
//! the output for odd input: `modules.builtin` in `fgets` pieces of at most
//! 4095 bytes, `modules.builtin.modinfo` as a stream of `name.key=value\0`
//! records with 4096-byte fields. When an input is missing, kmod warns and
//! still writes an empty file.

use super::{finish_index, insert};
use crate::ctext::{basename, cstr, fgets_pieces, PATH_MAX};
use crate::error::Result;
use crate::order::read_in_dir;
use crate::report::{diag, Collect};
use crate::Resolved;

pub(super) fn index(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    let Some(data) = read_in_dir(&r.dirname, "modules.builtin", log) else {
        return Ok(Vec::new());
    };
    let mut b = modindex::IndexBuilder::new();
    // kmod's name buffer keeps the previous name when a line has none.
    let mut modname: Option<Vec<u8>> = None;
    for piece in fgets_pieces(&data, PATH_MAX) {
        let line = cstr(piece);
        if !line.first().is_some_and(u8::is_ascii_alphabetic) {
            diag!(
                log,
                Error,
                "Invalid modules.builtin line: {}\n",
                String::from_utf8_lossy(line)
            );
            continue;
        }
        let base = basename(line);
        if !base.is_empty() {
            modname = Some(modfile::normalize_name(base));
        }
        if let Some(name) = &modname {
            insert("modules.builtin.bin", &mut b, name, b"", 0)?;
        }
    }
    finish_index("modules.builtin.bin", &b)
}

pub(super) fn alias_index(r: &Resolved, log: &mut Collect) -> Result<Vec<u8>> {
    let Some(data) = read_in_dir(&r.dirname, "modules.builtin.modinfo", log) else {
        return Ok(Vec::new());
    };
    let mut b = modindex::IndexBuilder::new();
    let mut s = Stream {
        data: &data,
        pos: 0,
        eof: false,
    };
    while !s.eof {
        let modname = s.field(b'.', log);
        if modname.is_empty() {
            continue;
        }
        if s.field(b'=', log) != b"alias" {
            s.skip_record();
            continue;
        }
        let value = s.field(0, log);
        if value.is_empty() {
            continue;
        }
        let Some(alias) = super::alias_normalize(cstr(&value)) else {
            diag!(
                log,
                Warning,
                "Unmatched bracket in {}\n",
                String::from_utf8_lossy(&value)
            );
            continue;
        };
        insert(
            "modules.builtin.alias.bin",
            &mut b,
            &alias,
            cstr(&modname),
            0,
        )?;
    }
    finish_index("modules.builtin.alias.bin", &b)
}

/// A byte stream read one `fgetc` at a time, end-of-file noticed only when
/// a read finds nothing, as C streams do.
struct Stream<'a> {
    data: &'a [u8],
    pos: usize,
    eof: bool,
}

impl Stream<'_> {
    fn getc(&mut self) -> Option<u8> {
        let c = self.data.get(self.pos).copied();
        match c {
            Some(_) => self.pos += 1,
            None => self.eof = true,
        }
        c
    }

    /// Bytes up to `end` (consumed). A field ended by anything else — a
    /// NUL, the end of the data — reads as empty. A field of 4096 bytes
    /// loses the byte after it and is cut to 4095, with kmod's warning.
    fn field(&mut self, end: u8, log: &mut Collect) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut c = self.getc();
        while let Some(ch) = c {
            if ch == end || ch == 0 || buf.len() >= PATH_MAX {
                break;
            }
            buf.push(ch);
            c = self.getc();
        }
        if buf.len() == PATH_MAX {
            diag!(
                log,
                Warning,
                "Could not flush stream: 28. Partial content: {}\n",
                String::from_utf8_lossy(&buf)
            );
            buf.pop();
        }
        if c == Some(end) {
            buf
        } else {
            Vec::new()
        }
    }

    /// Skip to the end of the current record (its NUL).
    fn skip_record(&mut self) {
        while let Some(c) = self.getc() {
            if c == 0 {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut s = Stream {
            data,
            pos: 0,
            eof: false,
        };
        let mut log = Collect::default();
        let mut out = Vec::new();
        while !s.eof {
            let m = s.field(b'.', &mut log);
            if m.is_empty() {
                continue;
            }
            if s.field(b'=', &mut log) != b"alias" {
                s.skip_record();
                continue;
            }
            let v = s.field(0, &mut log);
            if !v.is_empty() {
                out.push((m, v));
            }
        }
        out
    }

    #[test]
    fn reads_alias_records() {
        let got =
            records(b"ext4.alias=fs-ext4\0ext4.license=GPL\0x.alias=\0y.alias=a-b\0noalias\0");
        assert_eq!(
            got,
            vec![
                (b"ext4".to_vec(), b"fs-ext4".to_vec()),
                (b"y".to_vec(), b"a-b".to_vec())
            ]
        );
    }

    #[test]
    fn last_record_without_nul_is_dropped() {
        assert!(records(b"a.alias=x").is_empty());
    }
}

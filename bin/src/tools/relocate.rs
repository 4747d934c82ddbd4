//! `rkmod __relocate OBJECT --base ADDR [--sym NAME=ADDR]... --out DIR`
//! (hidden): lay out and relocate OBJECT with its image at ADDR (hex),
//! each import bound by `--sym` (one left unbound is an error naming it),
//! then write each placed section's bytes to `DIR/<section name>` and
//! `DIR/layout.txt`: one line `NAME 0xADDRESS SIZE` (size in decimal) per
//! section in image order, the loader-added ones (`.modload.plt`,
//! `.modload.got`) included. A name that cannot be a file name (empty,
//! `.`, `..`, containing `/`) is written as `section<INDEX>`; a repeated
//! name as `NAME.<INDEX>`.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;

const PROG: &str = "rkmod __relocate";

fn hex(s: &str) -> Option<u64> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u64::from_str_radix(digits, 16).ok()
}

struct Args {
    object: PathBuf,
    base: u64,
    syms: HashMap<String, u64>,
    out: PathBuf,
}

fn parse_args(args: &[OsString]) -> Result<Args, String> {
    let mut words = args.iter().map(|a| a.to_string_lossy().into_owned());
    let (mut object, mut base, mut out) = (None, None, None);
    let mut syms = HashMap::new();
    while let Some(w) = words.next() {
        let (opt, inline) = match w.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(v.to_string())),
            _ => (w.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next())
                .ok_or(format!("{opt} needs a value"))
        };
        match opt.as_str() {
            "--base" => {
                let v = value()?;
                base = Some(hex(&v).ok_or(format!("bad address '{v}'"))?);
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            "--sym" => {
                let v = value()?;
                let (name, addr) = v
                    .rsplit_once('=')
                    .ok_or(format!("--sym takes NAME=ADDR, not '{v}'"))?;
                let addr = hex(addr).ok_or(format!("bad address in '{v}'"))?;
                syms.insert(name.to_string(), addr);
            }
            o if o.starts_with('-') => return Err(format!("unknown option '{o}'")),
            _ if object.is_none() => object = Some(PathBuf::from(w)),
            _ => return Err(format!("unexpected argument '{w}'")),
        }
    }
    Ok(Args {
        object: object.ok_or("missing OBJECT")?,
        base: base.ok_or("missing --base ADDR")?,
        syms,
        out: out.ok_or("missing --out DIR")?,
    })
}

/// The file name a section is written to.
fn file_name(name: &str, index: Option<usize>, used: &mut HashSet<String>) -> String {
    let tag = index.map_or_else(|| "loader".to_string(), |i| i.to_string());
    let mut file = if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        format!("section{tag}")
    } else {
        name.to_string()
    };
    if file == "layout.txt" || used.contains(&file) {
        file = format!("{file}.{tag}");
    }
    used.insert(file.clone());
    file
}

pub fn run(args: &[OsString]) -> i32 {
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{PROG}: ERROR: {e}");
            eprintln!("Usage: {PROG} OBJECT --base ADDR [--sym NAME=ADDR]... --out DIR");
            return 1;
        }
    };
    let fail = |what: &dyn std::fmt::Display| {
        eprintln!("{PROG}: ERROR: {}: {what}", args.object.display());
        1
    };
    let bytes = match std::fs::read(&args.object) {
        Ok(b) => b,
        Err(e) => return fail(&e),
    };
    let image = match modload::parse(&bytes).and_then(|obj| {
        let layout = modload::layout(&obj, &mut modload::LayoutOptions::new())?;
        modload::relocate(&obj, &layout, args.base, &mut |n: &str| {
            args.syms.get(n).copied()
        })
    }) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(&e);
    }
    let mut listing = String::new();
    let mut used = HashSet::new();
    for s in image.sections().iter().filter(|s| s.in_image) {
        let file = file_name(&s.name, s.index, &mut used);
        let data = image.section_bytes(s).unwrap_or(&[]);
        if let Err(e) = std::fs::write(args.out.join(&file), data) {
            return fail(&e);
        }
        listing.push_str(&format!("{} {:#x} {}\n", s.name, s.address, s.size));
    }
    if let Err(e) = std::fs::write(args.out.join("layout.txt"), listing) {
        return fail(&e);
    }
    0
}

//! `rkmod __complete KIND [OPTIONS] [MODULE]`: candidates for the shell
//! completions, one per line, from the same library the tools use.
//!
//! * `modules`: module names of a release (modules.dep), honouring
//!   `-S/-k VERSION` and `-d/-b DIR` as rmodprobe and rmodinfo do;
//! * `loaded`: modules in `/proc/modules`;
//! * `params MODULE`: `name=` for each parameter of the module.

use std::ffi::OsString;
use std::path::PathBuf;

pub fn run(args: &[OsString]) -> i32 {
    let mut words = args.iter().map(|a| a.to_string_lossy().into_owned());
    let Some(kind) = words.next() else {
        return 2;
    };
    let (mut root, mut release, mut rest) = (None::<PathBuf>, None::<String>, Vec::new());
    while let Some(w) = words.next() {
        match w.as_str() {
            "-S" | "-k" | "--set-version" => release = words.next(),
            "-d" | "-b" | "--dirname" | "--basedir" => root = words.next().map(PathBuf::from),
            _ => {
                if let Some(v) = w.strip_prefix("--set-version=") {
                    release = Some(v.to_string());
                } else if let Some(v) = w
                    .strip_prefix("--dirname=")
                    .or_else(|| w.strip_prefix("--basedir="))
                {
                    root = Some(PathBuf::from(v));
                } else {
                    rest.push(w);
                }
            }
        }
    }
    let candidates = match kind.as_str() {
        "modules" => modules(root, release),
        "loaded" => loaded(),
        "params" => rest
            .last()
            .map(|m| params(root, release, m))
            .unwrap_or_default(),
        _ => return 2,
    };
    let mut out = String::new();
    for c in candidates {
        out.push_str(&c);
        out.push('\n');
    }
    print!("{out}");
    0
}

fn context(root: Option<PathBuf>, release: Option<String>) -> Option<rkmod::Context> {
    rkmod::Context::new(root.as_deref(), release.as_deref()).ok()
}

fn modules(root: Option<PathBuf>, release: Option<String>) -> Vec<String> {
    let Some(ctx) = context(root, release) else {
        return Vec::new();
    };
    let Ok(dep) = std::fs::read(ctx.dirname().join("modules.dep")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dep
        .split(|&b| b == b'\n')
        .filter_map(|line| line.iter().position(|&b| b == b':').map(|c| &line[..c]))
        .map(|path| String::from_utf8_lossy(&modfile::modname_from_path(path)).into_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn loaded() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/modules").unwrap_or_default();
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

fn params(root: Option<PathBuf>, release: Option<String>, module: &str) -> Vec<String> {
    let Some(ctx) = context(root, release) else {
        return Vec::new();
    };
    let found = if module.contains('/') {
        rkmod::Module::from_path(std::path::Path::new(module))
            .map(|m| vec![m])
            .unwrap_or_default()
    } else {
        ctx.lookup(module).unwrap_or_default()
    };
    let mut names: Vec<String> = found
        .iter()
        .flat_map(|m| {
            let info = ctx.module_info(m).unwrap_or_default();
            rkmod::json::ModinfoRecord::new(m, &info).parameters
        })
        .map(|p| format!("{}=", p.name))
        .collect();
    names.sort();
    names.dedup();
    names
}

//! `rkmod __complete KIND [OPTIONS] [MODULE]`: candidates for the shell
//! completions, one per line, from the same library the tools use.
//!
//! * `modules`: module names of a release (modules.dep), honouring
//!   `-S/-k VERSION` and `-d/-b DIR` as rmodprobe and rmodinfo do;
//! * `loaded`: modules in `/proc/modules`;
//! * `params MODULE`: `name=` for each parameter of the module;
//! * `releases`: the kernel releases installed under `<root>/lib/modules`.
//!
//! With `--sim[=SOCKET]` among the options, or `RKMOD_SIM` set, the values
//! are the sim kernel's (its module tree, release and loaded modules), as
//! the tools would use them; an explicit `-S/-k` or `-d/-b` still wins for
//! the module tree, as on the tools' command line (`--sim` with only a
//! root: that root at the sim kernel's release).

use std::ffi::OsString;
use std::path::PathBuf;

pub fn run(args: &[OsString]) -> i32 {
    let mut words = args.iter().map(|a| a.to_string_lossy().into_owned());
    let Some(kind) = words.next() else {
        return 2;
    };
    let (mut root, mut release, mut rest) = (None::<PathBuf>, None::<String>, Vec::new());
    let mut sim_arg: Option<std::ffi::OsString> = None;
    while let Some(w) = words.next() {
        match w.as_str() {
            "-S" | "-k" | "--set-version" => release = words.next(),
            "-d" | "-b" | "--dirname" | "--basedir" => root = words.next().map(PathBuf::from),
            _ => {
                if w == "--sim" {
                    sim_arg = Some("".into());
                } else if let Some(v) = w.strip_prefix("--sim=") {
                    sim_arg = Some(v.into());
                } else if let Some(v) = w.strip_prefix("--set-version=") {
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
    // an option whose value is still being typed names nothing
    release = release.filter(|r| !r.is_empty());
    root = root.filter(|r| !r.as_os_str().is_empty());
    // the sim kernel, unless the command line names the tree itself
    let sim = crate::sim_mode::socket(sim_arg.as_deref())
        .and_then(|socket| rkmod::Sim::connect(&socket).ok());
    let tree_sim = sim.as_ref().filter(|_| root.is_none() && release.is_none());
    // `--sim` itself with a root but no release: that root, the sim
    // kernel's release (as the tools read such a line)
    if sim_arg.is_some() && root.is_some() && release.is_none() {
        release = sim.as_ref().map(|s| s.release().to_string());
    }
    let candidates = match kind.as_str() {
        "modules" => modules(tree(tree_sim, root, release)),
        "loaded" => loaded(sim.as_ref()),
        "params" => rest
            .last()
            .map(|m| params(tree(tree_sim, root, release), m))
            .unwrap_or_default(),
        "releases" => match tree_sim {
            Some(s) => vec![s.release().to_string()],
            None => releases(root),
        },
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

/// The module tree to complete from: the sim kernel's, or the release
/// and root of the command line.
fn tree(
    sim: Option<&rkmod::Sim>,
    root: Option<PathBuf>,
    release: Option<String>,
) -> Option<rkmod::Context> {
    match sim {
        Some(s) => crate::sim_mode::context(s).ok(),
        None => rkmod::Context::new(root.as_deref(), release.as_deref()).ok(),
    }
}

fn modules(ctx: Option<rkmod::Context>) -> Vec<String> {
    let Some(ctx) = ctx else {
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

fn loaded(sim: Option<&rkmod::Sim>) -> Vec<String> {
    let proc_modules = match sim {
        Some(s) => {
            use rkmod::Kernel;
            s.state().proc_modules().to_path_buf()
        }
        None => PathBuf::from("/proc/modules"),
    };
    let text = std::fs::read_to_string(proc_modules).unwrap_or_default();
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// The directories of `<root>/lib/modules`: the installed releases.
fn releases(root: Option<PathBuf>) -> Vec<String> {
    let dir = root
        .unwrap_or_else(|| PathBuf::from("/"))
        .join("lib/modules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn params(ctx: Option<rkmod::Context>, module: &str) -> Vec<String> {
    let Some(ctx) = ctx else {
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

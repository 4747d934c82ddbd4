//! What a kernel shows of its modules: `/proc/modules` and
//! `/sys/module/<name>/…`. The paths are parameters so the sim kernel's
//! state directory reads with the same code.

use std::path::{Path, PathBuf};

/// One line of `/proc/modules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModule {
    pub name: String,
    pub size: u64,
    pub refcnt: i64,
    /// Holders as `/proc/modules` lists them (for kmod's answers use
    /// [`KernelState::holders`], which reads `/sys` like kmod).
    pub used_by: Vec<String>,
    pub state: String,
}

/// A module's `initstate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initstate {
    Builtin,
    Live,
    Coming,
    Going,
}

impl Initstate {
    pub fn as_str(self) -> &'static str {
        match self {
            Initstate::Builtin => "builtin",
            Initstate::Live => "live",
            Initstate::Coming => "coming",
            Initstate::Going => "going",
        }
    }
}

/// Reader of a kernel's module state.
#[derive(Debug, Clone)]
pub struct KernelState {
    proc_modules: PathBuf,
    sys_module: PathBuf,
}

impl KernelState {
    pub fn new(proc_modules: impl Into<PathBuf>, sys_module: impl Into<PathBuf>) -> KernelState {
        KernelState {
            proc_modules: proc_modules.into(),
            sys_module: sys_module.into(),
        }
    }

    /// The `/proc/modules` file this state reads.
    pub fn proc_modules(&self) -> &Path {
        &self.proc_modules
    }

    /// The `/sys/module` directory this state reads.
    pub fn sys_module(&self) -> &Path {
        &self.sys_module
    }

    /// The loaded modules, in `/proc/modules` order. The file is read in one
    /// go, so a module appearing or vanishing meanwhile yields either view,
    /// never a torn line; malformed lines are skipped.
    pub fn loaded(&self) -> std::io::Result<Vec<LoadedModule>> {
        let text = std::fs::read(&self.proc_modules)?;
        Ok(text
            .split(|&b| b == b'\n')
            .filter_map(|line| parse_line(&String::from_utf8_lossy(line)))
            .collect())
    }

    /// Whether `/sys/module/<name>` exists (loaded, or builtin with parameters).
    pub fn exists(&self, name: &str) -> bool {
        pathfs::is_dir(self.sys_module.join(name))
    }

    /// `initstate` as kmod reads it: a module directory without the file is
    /// still coming; no directory is `None`.
    pub fn initstate(&self, name: &str) -> Option<Initstate> {
        let dir = self.sys_module.join(name);
        match std::fs::read_to_string(dir.join("initstate")) {
            Ok(s) => match s.trim_end() {
                "live" => Some(Initstate::Live),
                "coming" => Some(Initstate::Coming),
                "going" => Some(Initstate::Going),
                _ => None,
            },
            Err(_) if pathfs::is_dir(&dir) => Some(Initstate::Coming),
            Err(_) => None,
        }
    }

    /// `refcnt` of a loaded module.
    pub fn refcnt(&self, name: &str) -> std::io::Result<i64> {
        let s = std::fs::read_to_string(self.sys_module.join(name).join("refcnt"))?;
        s.trim()
            .parse()
            .map_err(|_| std::io::Error::from_raw_os_error(nix::libc::EINVAL))
    }

    /// Holders from `/sys/module/<name>/holders`, in directory order as kmod lists them.
    pub fn holders(&self, name: &str) -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.sys_module.join(name).join("holders"))? {
            out.push(entry?.file_name().to_string_lossy().into_owned());
        }
        Ok(out)
    }

    /// `coresize`, else the size column of `/proc/modules`.
    pub fn size(&self, name: &str) -> Option<u64> {
        if let Ok(s) = std::fs::read_to_string(self.sys_module.join(name).join("coresize")) {
            return s.trim().parse().ok();
        }
        self.loaded()
            .ok()?
            .into_iter()
            .find(|m| m.name == name)
            .map(|m| m.size)
    }

    /// The value of a module parameter from `parameters/<param>`.
    pub fn parameter(&self, name: &str, param: &str) -> std::io::Result<String> {
        let s = std::fs::read_to_string(self.sys_module.join(name).join("parameters").join(param))?;
        Ok(s.trim_end_matches('\n').to_string())
    }
}

/// `name size refcnt holders, state address` — holders `-` when none.
fn parse_line(line: &str) -> Option<LoadedModule> {
    let mut words = line.split([' ', '\t']).filter(|w| !w.is_empty());
    let name = words.next()?.to_string();
    let size = words.next()?.parse().ok()?;
    let refcnt = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let used_by = words
        .next()
        .map(|w| {
            w.split(',')
                .filter(|h| !h.is_empty() && *h != "-")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let state = words.next().unwrap_or("Live").to_string();
    Some(LoadedModule {
        name,
        size,
        refcnt,
        used_by,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_modules_lines() {
        let m = parse_line("square 16384 1 test_square, Live 0xffffffffc0a00000").unwrap();
        assert_eq!(m.name, "square");
        assert_eq!(m.size, 16384);
        assert_eq!(m.refcnt, 1);
        assert_eq!(m.used_by, vec!["test_square"]);
        assert_eq!(m.state, "Live");
        let m = parse_line("khello 12288 0 - Live 0x0000000000000000 (OE)").unwrap();
        assert!(m.used_by.is_empty());
        assert!(parse_line("").is_none());
        assert!(parse_line("broken notanumber").is_none());
    }
}

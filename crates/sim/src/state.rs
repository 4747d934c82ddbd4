//! The files a kernel shows about its modules, kept under the state
//! directory in the same formats: `proc/modules` and
//! `sys/module/<name>/{initstate,refcnt,coresize,taint,holders/,parameters/}`.
//! Each file is replaced atomically, so a reader sees the old or the new
//! content, never a mix.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::util::write_atomic;

/// A module as the state files show it.
#[derive(Debug, Clone)]
pub(crate) struct ModuleView {
    pub name: String,
    pub size: u64,
    pub refcnt: u32,
    /// Most recent first.
    pub holders: Vec<String>,
    pub state: LoadState,
    pub proprietary: bool,
    /// Parameters with non-zero permissions: name → (perm, value).
    pub params: BTreeMap<String, (u32, String)>,
}

/// A module's life cycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadState {
    Coming,
    Live,
    Going,
}

impl LoadState {
    /// As `/proc/modules` shows it.
    pub fn proc_name(self) -> &'static str {
        match self {
            LoadState::Coming => "Loading",
            LoadState::Live => "Live",
            LoadState::Going => "Unloading",
        }
    }

    /// As `/sys/module/<m>/initstate` shows it.
    pub fn initstate(self) -> &'static str {
        match self {
            LoadState::Coming => "coming",
            LoadState::Live => "live",
            LoadState::Going => "going",
        }
    }
}

/// The kernel's `/proc/modules` line.
pub(crate) fn proc_line(m: &ModuleView) -> String {
    let mut holders = String::new();
    for h in &m.holders {
        holders.push_str(h);
        holders.push(',');
    }
    if holders.is_empty() {
        holders.push('-');
    }
    let taint = if m.proprietary { " (P)" } else { "" };
    format!(
        "{} {} {} {} {} 0x0000000000000000{}\n",
        m.name,
        m.size,
        m.refcnt,
        holders,
        m.state.proc_name(),
        taint
    )
}

/// Writer of the state files under one state directory.
#[derive(Debug, Clone)]
pub(crate) struct StateFiles {
    proc_modules: PathBuf,
    sys_module: PathBuf,
}

impl StateFiles {
    /// Create `proc/` and an empty `sys/module/` (stale entries of an earlier
    /// run are removed: a sim kernel boots with nothing loaded).
    pub fn create(state_dir: &Path) -> io::Result<StateFiles> {
        let proc_dir = state_dir.join("proc");
        let sys_module = state_dir.join("sys").join("module");
        std::fs::create_dir_all(&proc_dir)?;
        if sys_module.exists() {
            std::fs::remove_dir_all(&sys_module)?;
        }
        std::fs::create_dir_all(&sys_module)?;
        let files = StateFiles {
            proc_modules: proc_dir.join("modules"),
            sys_module,
        };
        files.write_proc_modules(&[])?;
        Ok(files)
    }

    /// Rewrite `proc/modules`; `modules` newest first, as the kernel lists.
    pub fn write_proc_modules(&self, modules: &[ModuleView]) -> io::Result<()> {
        let text: String = modules.iter().map(proc_line).collect();
        write_atomic(&self.proc_modules, text.as_bytes(), 0o444)
    }

    /// Create or refresh `sys/module/<name>`.
    pub fn write_module(&self, m: &ModuleView) -> io::Result<()> {
        let dir = self.sys_module.join(&m.name);
        std::fs::create_dir_all(dir.join("holders"))?;
        std::fs::create_dir_all(dir.join("parameters"))?;
        write_atomic(
            &dir.join("initstate"),
            format!("{}\n", m.state.initstate()).as_bytes(),
            0o444,
        )?;
        write_atomic(
            &dir.join("refcnt"),
            format!("{}\n", m.refcnt).as_bytes(),
            0o444,
        )?;
        write_atomic(
            &dir.join("coresize"),
            format!("{}\n", m.size).as_bytes(),
            0o444,
        )?;
        let taint = if m.proprietary { "P\n" } else { "\n" };
        write_atomic(&dir.join("taint"), taint.as_bytes(), 0o444)?;
        self.sync_holders(&dir.join("holders"), &m.holders)?;
        for (name, (perm, value)) in &m.params {
            self.write_param(&m.name, name, *perm, value)?;
        }
        Ok(())
    }

    /// Holders are symlinks to the holding module's directory, as in sysfs.
    fn sync_holders(&self, dir: &Path, holders: &[String]) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !holders.contains(&name) {
                std::fs::remove_file(entry.path())?;
            }
        }
        for h in holders {
            let link = dir.join(h);
            if std::fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(Path::new("../..").join(h), &link)?;
            }
        }
        Ok(())
    }

    /// Write `parameters/<param>` of `module`; its mode is the parameter's
    /// permissions, as sysfs shows them.
    pub fn write_param(&self, module: &str, param: &str, perm: u32, value: &str) -> io::Result<()> {
        let path = self.sys_module.join(module).join("parameters").join(param);
        if std::fs::read_to_string(&path).is_ok_and(|old| old.strip_suffix('\n') == Some(value)) {
            return Ok(());
        }
        write_atomic(&path, format!("{value}\n").as_bytes(), perm & 0o777)
    }

    /// Remove `sys/module/<name>`.
    pub fn remove_module(&self, name: &str) -> io::Result<()> {
        match std::fs::remove_dir_all(self.sys_module.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(holders: &[&str]) -> ModuleView {
        ModuleView {
            name: "square".into(),
            size: 16384,
            refcnt: holders.len() as u32,
            holders: holders.iter().map(|s| s.to_string()).collect(),
            state: LoadState::Live,
            proprietary: false,
            params: BTreeMap::new(),
        }
    }

    #[test]
    fn proc_lines_match_the_kernel() {
        assert_eq!(
            proc_line(&view(&["test_square"])),
            "square 16384 1 test_square, Live 0x0000000000000000\n"
        );
        assert_eq!(
            proc_line(&view(&[])),
            "square 16384 0 - Live 0x0000000000000000\n"
        );
        assert_eq!(
            proc_line(&view(&["a", "b"])),
            "square 16384 2 a,b, Live 0x0000000000000000\n"
        );
    }
}

//! The context every operation starts from: which modules directory, which
//! kernel release.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use modconf::ModprobeConfig;

use crate::error::Result;
use crate::lookup::{Answer, IndexFileSlots};
use crate::module::absolute;

/// Where modules live and which kernel they are for.
#[derive(Debug, Clone)]
pub struct Context {
    dirname: PathBuf,
    release: String,
    reader: modindex::LibkmodReader,
    config: Option<Arc<ModprobeConfig>>,
    /// What this context has worked out already; a new configuration or
    /// reader starts a new one.
    memo: Arc<Memo>,
}

/// Lookups made, by name. (foldhash: std's SipHash map asks the kernel
/// for its random keys, a system call on every `modprobe`.)
pub(crate) type Lookups = HashMap<Vec<u8>, Arc<Answer>, foldhash::fast::RandomState>;

/// Answers a context keeps: indexes once opened, lookups once made, and
/// the messages kmod would have logged on the way, until taken.
#[derive(Default)]
pub(crate) struct Memo {
    pub(crate) indexes: IndexFileSlots,
    lookups: Mutex<Lookups>,
    messages: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").finish_non_exhaustive()
    }
}

impl Memo {
    pub(crate) fn lookups(&self) -> MutexGuard<'_, Lookups> {
        self.lookups.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn note_all(&self, messages: &[String]) {
        if !messages.is_empty() {
            let mut all = self.messages.lock().unwrap_or_else(|p| p.into_inner());
            all.extend(messages.iter().cloned());
        }
    }
}

impl Context {
    /// `<root>/lib/modules/<release>`; the release defaults to the running
    /// kernel's. Without either, `/lib/modules/$(uname -r)`.
    pub fn new(root: Option<&Path>, release: Option<&str>) -> Result<Context> {
        let release = match release {
            Some(r) => r.to_string(),
            None => running_release()?,
        };
        let mut dir = root
            .map(|r| r.as_os_str().to_os_string())
            .unwrap_or_default();
        dir.push("/lib/modules/");
        dir.push(&release);
        Ok(Context {
            dirname: absolute(Path::new(&dir))?,
            release,
            reader: modindex::LibkmodReader::File,
            config: None,
            memo: Arc::default(),
        })
    }

    /// A context on an explicit modules directory.
    pub fn with_dirname(dirname: &Path, release: &str) -> Result<Context> {
        Ok(Context {
            dirname: absolute(dirname)?,
            release: release.to_string(),
            reader: modindex::LibkmodReader::File,
            config: None,
            memo: Arc::default(),
        })
    }

    /// Answer index lookups as libkmod does once its resources are loaded
    /// (mapped indexes, as modprobe uses them) instead of reading each index
    /// file per lookup (as modinfo does). The two order values of equal
    /// priority differently.
    pub fn with_mapped_indexes(mut self) -> Context {
        self.reader = modindex::LibkmodReader::Mmap;
        self.memo = Arc::default();
        self
    }

    /// Use this modprobe configuration for lookups, options, commands,
    /// blacklists and softdeps. Without one the context knows only indexes.
    pub fn with_config(mut self, config: ModprobeConfig) -> Context {
        self.config = Some(Arc::new(config));
        self.memo = Arc::default();
        self
    }

    /// The messages kmod's libkmod would have logged (as errors) since the
    /// last call, oldest first: lookups that failed while resolving
    /// softdeps, modules whose name and alias are too long to be made.
    pub fn take_messages(&self) -> Vec<String> {
        let mut all = self.memo.messages.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *all)
    }

    pub(crate) fn memo(&self) -> &Memo {
        &self.memo
    }

    /// The modprobe configuration, when one was given.
    pub fn config(&self) -> Option<&ModprobeConfig> {
        self.config.as_deref()
    }

    pub(crate) fn reader(&self) -> modindex::LibkmodReader {
        self.reader
    }

    /// The modules directory (absolute).
    pub fn dirname(&self) -> &Path {
        &self.dirname
    }

    /// The kernel release the context is for.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// A file of the modules directory, such as `modules.dep.bin`.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dirname.join(name)
    }
}

/// The running kernel's release (`uname -r`).
pub fn running_release() -> Result<String> {
    let uts = nix::sys::utsname::uname().map_err(std::io::Error::from)?;
    Ok(uts.release().to_string_lossy().into_owned())
}

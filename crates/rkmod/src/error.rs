//! Typed errors of the library core; `errno()` gives the value kmod would
//! report, so the tools can print kmod's `strerror` text.

/// A failure of the library core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a module file failed.
    #[error("{0}")]
    Module(#[from] modfile::Error),
    /// A system call or file access failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A name or alias that cannot be looked up (unbalanced brackets).
    #[error("invalid alias")]
    InvalidAlias,
    /// A module's name and the alias it was found through do not fit
    /// libkmod's `PATH_MAX` buffer together.
    #[error("name too long")]
    NameTooLong,
    /// Nothing is known of the module (no file, no builtin information).
    #[error("not found")]
    NotFound,
    /// The builtin modinfo file does not describe this module.
    #[error("no builtin information")]
    NoBuiltinInfo,
}

impl Error {
    /// The positive errno kmod reports for this failure.
    pub fn errno(&self) -> i32 {
        match self {
            Error::Module(e) => e.errno(),
            Error::Io(e) => e.raw_os_error().unwrap_or(5),
            Error::InvalidAlias => nix::libc::EINVAL,
            Error::NameTooLong => nix::libc::ENAMETOOLONG,
            Error::NotFound => nix::libc::ENOENT,
            Error::NoBuiltinInfo => nix::libc::ENOSYS,
        }
    }

    /// Whether kmod would call this ENOENT (nothing there to read).
    pub fn is_not_found(&self) -> bool {
        self.errno() == nix::libc::ENOENT
    }

    /// `strerror(errno())`, the text kmod prints after a colon.
    pub fn strerror(&self) -> String {
        strerror(self.errno())
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The C library's text for an errno value, exactly as kmod prints it.
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as nix::libc::c_char; 256];
    // SAFETY: the buffer is writable for its whole length and the GNU/XSI
    // variants both NUL-terminate on success.
    let rc = unsafe { nix::libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: strerror_r wrote a NUL-terminated string into buf.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

//! The module host process (`rkmod-sim-host`): the address space modules
//! run in, so that one that crashes takes only its own host group down.
//!
//! The daemon starts it with a socket as standard input (the request
//! channel) and a pipe as standard output and error (module output and
//! crash reports, both logged by the daemon). It answers requests one at
//! a time on its main thread; module threads and log calls write to the
//! same channel under a lock. When the channel closes (the daemon is gone)
//! it exits at once, and it asks the kernel to kill it should the daemon
//! die first.

pub(crate) mod crash;
mod ko;
mod module;
mod threads;

use std::ffi::{c_char, c_int, c_void, CStr};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, OnceLock};

use crate::protocol::host::{Call, Done, Failed, FromHost, ParamValue, ToHost};
use crate::protocol::{read_frame, write_frame};
use crate::util::{lock, mono_ns};
use module::Loaded;

/// What a module's `user_data` points at.
pub(crate) struct ModuleCtx {
    pub id: u32,
    pub name: String,
    pub threads: Mutex<Vec<threads::KThread>>,
}

/// The writing half of the channel, shared by every thread.
static CHANNEL: OnceLock<Mutex<UnixStream>> = OnceLock::new();

/// Send a message to the daemon; a write error means the daemon is gone,
/// which the main loop notices on its next read.
pub(crate) fn send(msg: &FromHost) {
    let Some(ch) = CHANNEL.get() else { return };
    if let Ok(body) = serde_json::to_vec(msg) {
        let _ = write_frame(&mut *lock(ch), &body);
    }
}

/// Log a line through the daemon.
pub(crate) fn log(level: i32, text: &str) {
    send(&FromHost::Log {
        mono_ns: mono_ns(),
        level,
        text: text.to_string(),
    });
}

/// `log` of the init arguments.
pub(crate) unsafe extern "C" fn host_log(
    _user_data: *mut c_void,
    level: c_int,
    msg: *const c_char,
) {
    if msg.is_null() {
        return;
    }
    // SAFETY: the module passes a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy();
    log(level, &text);
}

/// `clock_ns` of the init arguments.
pub(crate) extern "C" fn host_clock_ns() -> u64 {
    mono_ns()
}

/// Leave without running any module's destructors or atexit handlers
/// (their code may be gone, or may be what crashes).
fn fast_exit(code: i32) -> ! {
    // SAFETY: _exit(2) ends the process; nothing here needs cleanup.
    unsafe { nix::libc::_exit(code) }
}

/// Take the channel from fd 0 and put /dev/null there, so a module that
/// reads standard input cannot eat requests.
fn take_channel() -> Result<UnixStream, String> {
    let fd = nix::unistd::dup(0).map_err(|e| format!("dup of the channel: {e}"))?;
    // SAFETY: `fd` was just returned by dup and is owned by nothing else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let null = std::fs::File::open("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
    nix::unistd::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0)
        .map_err(|e| format!("dup2: {e}"))?;
    Ok(UnixStream::from(owned))
}

fn setup(parent: Option<u32>) -> Result<UnixStream, String> {
    // The daemon spawns hosts from one long-lived thread, so this fires
    // when the daemon process dies.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .map_err(|e| format!("prctl: {e}"))?;
    if let Some(p) = parent {
        if nix::unistd::getppid().as_raw() as u32 != p {
            return Err("the daemon is gone".into());
        }
    }
    // Crashes are reported through the log, not as core files.
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    crash::install().map_err(|e| format!("signal handlers: {e}"))?;
    take_channel()
}

/// The host's entry point: `rkmod-sim-host` calls it, and so may any
/// program that re-executes itself as a host (pass `--parent <pid>`).
/// Returns the exit status.
pub fn main() -> i32 {
    // args_os: arguments are not ours to trust to be UTF-8.
    let mut args = std::env::args_os().skip(1);
    let mut parent = None;
    while let Some(a) = args.next() {
        if a == "--parent" {
            parent = args
                .next()
                .and_then(|p| p.to_str().and_then(|p| p.parse().ok()));
        }
    }
    let chan = match setup(parent) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rkmod-sim-host: {e}");
            return 1;
        }
    };
    let mut reader = match chan.try_clone() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rkmod-sim-host: {e}");
            return 1;
        }
    };
    let _ = CHANNEL.set(Mutex::new(chan));
    send(&FromHost::Ready {
        pid: std::process::id(),
    });
    let mut host = Host {
        modules: Vec::new(),
        ko: None,
    };
    loop {
        let frame = match read_frame(&mut reader) {
            Ok(Some(f)) => f,
            // The daemon is gone: stop like a machine losing power.
            Ok(None) | Err(_) => fast_exit(0),
        };
        let req: ToHost = match serde_json::from_slice(&frame) {
            Ok(r) => r,
            Err(e) => {
                send(&FromHost::Reply {
                    seq: 0,
                    result: Err(Failed {
                        errno: nix::libc::EINVAL,
                        message: format!("bad request: {e}"),
                    }),
                });
                continue;
            }
        };
        let (result, exit) = host.handle(req.call);
        send(&FromHost::Reply {
            seq: req.seq,
            result,
        });
        if exit {
            fast_exit(0);
        }
    }
}

/// The modules of this host, in load order: shared objects, or `.ko`
/// modules in the kernel API runtime (never both in one host).
struct Host {
    modules: Vec<Loaded>,
    ko: Option<ko::KoHost>,
}

fn failed(errno: i32, message: impl Into<String>) -> Failed {
    Failed {
        errno,
        message: message.into(),
    }
}

/// What the kernel does with a module's init return value.
fn init_result(name: &str, ret: i64) -> Result<(), Failed> {
    if ret < 0 {
        let errno = i32::try_from(-ret).unwrap_or(nix::libc::EINVAL);
        return Err(failed(
            errno,
            format!("{name}: module_init failed with {ret}"),
        ));
    }
    if ret > 0 {
        log(
            4,
            &format!(
                "do_init_module: '{name}'->init suspiciously returned {ret}, it should follow 0/-E convention"
            ),
        );
        log(4, "do_init_module: loading module anyway...");
    }
    Ok(())
}

impl Host {
    /// The `.ko` runtime holding module `id`, if it is one of those.
    fn ko_of(&mut self, id: u32) -> Option<&mut ko::KoHost> {
        self.ko.as_mut().filter(|k| k.has(id))
    }

    fn load_ko(
        &mut self,
        id: u32,
        name: &str,
        path: &str,
        args: &str,
        (kapi, headers, comm): (&str, &str, &str),
    ) -> Result<Done, Failed> {
        if !self.modules.is_empty() {
            return Err(failed(
                nix::libc::EXDEV,
                "a host of shared-object modules cannot take a .ko",
            ));
        }
        if self.ko.is_none() {
            self.ko = Some(ko::KoHost::start(kapi, headers)?);
        }
        let Some(k) = self.ko.as_mut() else {
            return Err(failed(nix::libc::EIO, "no kernel API runtime"));
        };
        let ret = k.load(id, name, path, args, comm)?;
        init_result(name, ret)?;
        Ok(Done::Loaded {
            has_hello: false,
            has_fini: k.has_exit(id),
            params: k.params(id),
        })
    }

    /// A module file by its path in a real kernel.
    fn read(&mut self, path: &str) -> Result<Vec<u8>, Failed> {
        if let Some(k) = &self.ko {
            return k.read(path);
        }
        // a shared-object module's parameter
        let (module, param) = path
            .strip_prefix("/sys/module/")
            .and_then(|r| r.split_once("/parameters/"))
            .ok_or_else(|| failed(nix::libc::ENOENT, format!("{path}: no such file")))?;
        self.modules
            .iter()
            .find(|m| m.name == module)
            .and_then(|m| m.param_values().into_iter().find(|p| p.name == param))
            .map(|p| format!("{}\n", p.value).into_bytes())
            .ok_or_else(|| failed(nix::libc::ENOENT, format!("{path}: no such file")))
    }

    fn write(&mut self, path: &str, data: &[u8]) -> Result<(), Failed> {
        if let Some(k) = &self.ko {
            return k.write(path, data);
        }
        let (module, param) = path
            .strip_prefix("/sys/module/")
            .and_then(|r| r.split_once("/parameters/"))
            .ok_or_else(|| failed(nix::libc::ENOENT, format!("{path}: no such file")))?;
        let value = String::from_utf8_lossy(data).into_owned();
        let m = self
            .modules
            .iter_mut()
            .find(|m| m.name == module)
            .ok_or_else(|| failed(nix::libc::ENOENT, format!("{path}: no such file")))?;
        m.set_param(param, &value).map(|_| ())
    }

    fn find(&mut self, id: u32) -> Result<usize, Failed> {
        self.modules.iter().position(|m| m.id == id).ok_or(Failed {
            errno: nix::libc::ENOENT,
            message: format!("no module {id} in this host"),
        })
    }

    /// Run one call; true when the process should exit after replying.
    fn handle(&mut self, call: Call) -> (Result<Done, Failed>, bool) {
        match call {
            Call::Load {
                id,
                name,
                path,
                global,
                params,
            } => {
                let r = Loaded::load(id, &name, &path, global, &params).map(|m| {
                    let done = Done::Loaded {
                        has_hello: m.has_hello(),
                        has_fini: m.has_fini(),
                        params: m.param_values(),
                    };
                    self.modules.push(m);
                    done
                });
                (r, false)
            }
            Call::LoadKo {
                id,
                name,
                path,
                args,
                kapi,
                headers,
                comm,
            } => (
                self.load_ko(id, &name, &path, &args, (&kapi, &headers, &comm)),
                false,
            ),
            Call::Read { path } => (self.read(&path).map(|data| Done::Data { data }), false),
            Call::Write { path, data } => (self.write(&path, &data).map(|()| Done::Written), false),
            Call::Unload {
                id,
                run_fini,
                exit_after,
            } if self.ko_of(id).is_some() => {
                let r = self
                    .ko_of(id)
                    .map(|k| k.unload(id, run_fini))
                    .unwrap_or(Ok(()))
                    .map(|()| Done::Unloaded);
                let ok = r.is_ok();
                (r, exit_after && ok)
            }
            Call::Unload {
                id,
                run_fini,
                exit_after,
            } => match self.find(id) {
                Ok(i) => {
                    let m = self.modules.remove(i);
                    let r = m.unload(run_fini).map(|()| Done::Unloaded);
                    let ok = r.is_ok();
                    (r, exit_after && ok)
                }
                Err(e) => (Err(e), false),
            },
            Call::Hello { id } => match self.find(id) {
                Ok(i) => {
                    self.modules[i].hello();
                    (Ok(Done::Hello), false)
                }
                Err(e) => (Err(e), false),
            },
            Call::Params => {
                let mut modules: Vec<(u32, Vec<ParamValue>)> = self
                    .modules
                    .iter()
                    .map(|m| (m.id, m.param_values()))
                    .collect();
                let mut refs = Vec::new();
                if let Some(k) = &self.ko {
                    for &id in k.ids() {
                        modules.push((id, k.params(id)));
                        refs.push((id, k.refcount(id)));
                    }
                    k.flush_log();
                }
                (Ok(Done::Params { modules, refs }), false)
            }
            Call::SetParam { id, param, value } if self.ko_of(id).is_some() => (
                self.ko_of(id)
                    .map(|k| k.set_param(id, &param, &value))
                    .unwrap_or_else(|| Err(failed(nix::libc::ENOENT, "no such module")))
                    .map(|value| Done::ParamSet { value }),
                false,
            ),
            Call::SetParam { id, param, value } => match self.find(id) {
                Ok(i) => (
                    self.modules[i]
                        .set_param(&param, &value)
                        .map(|value| Done::ParamSet { value }),
                    false,
                ),
                Err(e) => (Err(e), false),
            },
        }
    }
}

//! `rkmod sim`: run and control a sim kernel (test mode). The daemon
//! itself is the `sim` crate's; this file maps options onto its
//! configuration and adds what scripts need: start in the background and
//! return once it serves, stop and wait until it is gone, status, log.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::{Args as ClapArgs, CommandFactory, FromArgMatches, Parser, Subcommand};
use sim::{Client, Config, HostCommand};

use crate::Output;

/// The argument the multicall binary runs a module host process with.
pub const HOST_COMMAND: &str = "sim-host";

#[derive(Parser, Debug)]
#[command(
    about = "The sim kernel: a userspace kernel for real .ko modules and shared-object sim modules (test mode)",
    disable_version_flag = true
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a sim kernel in the foreground until SIGTERM, SIGINT or SIGHUP
    Serve(Serve),
    /// Start a sim kernel in the background; return once it serves
    Start {
        #[command(flatten)]
        serve: Serve,
        /// Seconds to wait for it to serve
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        wait: f64,
    },
    /// Stop a sim kernel (SIGTERM) and wait until it is gone
    Stop {
        #[command(flatten)]
        at: At,
        /// Seconds to wait for it to stop
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        timeout: f64,
    },
    /// Show a sim kernel's state
    Status {
        #[command(flatten)]
        at: At,
        /// As JSON (the protocol's status record)
        #[arg(long)]
        json: bool,
    },
    /// Print a sim kernel's log (its dmesg)
    Log {
        #[command(flatten)]
        at: At,
        /// Keep printing new lines as they come
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Print a module's file (/proc/..., /sys/kernel/..., /sys/module/M/parameters/P) as the module's own code serves it
    Read {
        #[command(flatten)]
        at: At,
        /// The file's path in a real kernel
        path: String,
    },
    /// Write VALUE (exactly, no newline added) to a module's file in one write
    Write {
        #[command(flatten)]
        at: At,
        /// The file's path in a real kernel
        path: String,
        /// The bytes to write
        value: OsString,
    },
}

/// Which daemon: `--socket`, else `<--state>/rkmod-sim.sock`, else
/// `$RKMOD_SIM`, else the default socket (in `$XDG_RUNTIME_DIR`).
#[derive(ClapArgs, Debug)]
struct At {
    /// The daemon's state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// The daemon's socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
}

impl At {
    fn socket(&self) -> PathBuf {
        if let Some(s) = &self.socket {
            return s.clone();
        }
        if let Some(d) = &self.state {
            return Config::new(d).socket_path;
        }
        crate::sim_mode::socket(Some("".as_ref())).unwrap_or_else(Config::default_socket_path)
    }
}

#[derive(ClapArgs, Debug)]
struct Serve {
    #[command(flatten)]
    at: At,
    /// The module tree (default: DIR/lib/modules/RELEASE)
    #[arg(long, value_name = "TREE")]
    modules: Option<PathBuf>,
    /// The kernel release the sim kernel reports and checks vermagic against
    #[arg(long, value_name = "RELEASE", default_value = sim_module::SIM_RELEASE)]
    release: String,
    /// Load module files from anywhere, not only from the module tree
    #[arg(long)]
    allow_outside_tree: bool,
    /// Seconds a call into a module (module_init first) may take before its host is killed
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    init_timeout: f64,
    /// Copy log lines to stderr as well
    #[arg(long)]
    echo_log: bool,
    /// The release's kernel headers (kbuild directory) for .ko modules (default: /lib/modules/RELEASE/build)
    #[arg(long, value_name = "DIR")]
    headers: Option<PathBuf>,
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::from_secs(10))
}

impl Serve {
    /// The daemon's configuration; every path absolute, since clients
    /// learn them from the status and may run elsewhere.
    fn config(&self) -> Result<Config, String> {
        let state = absolute(
            &self
                .at
                .state
                .clone()
                .unwrap_or_else(Config::default_state_dir),
        );
        let mut c = Config::new(&state);
        c.socket_path = absolute(&self.at.socket());
        c.module_root = match &self.modules {
            Some(m) => absolute(m),
            None => state.join("lib").join("modules").join(&self.release),
        };
        c.release = self.release.clone();
        c.allow_outside_tree = self.allow_outside_tree;
        c.init_timeout = Duration::try_from_secs_f64(self.init_timeout)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("invalid --init-timeout {}", self.init_timeout))?;
        c.echo_log = self.echo_log;
        c.headers = self.headers.as_deref().map(absolute);
        c.host = host_command();
        Ok(c)
    }

    /// The options to hand to `serve` in the background process.
    fn forwarded(&self, c: &Config) -> Vec<OsString> {
        let mut v: Vec<OsString> = vec![
            "--state".into(),
            c.state_dir.clone().into(),
            "--socket".into(),
            c.socket_path.clone().into(),
            "--modules".into(),
            c.module_root.clone().into(),
            "--release".into(),
            c.release.clone().into(),
            "--init-timeout".into(),
            self.init_timeout.to_string().into(),
        ];
        if c.allow_outside_tree {
            v.push("--allow-outside-tree".into());
        }
        if let Some(h) = &c.headers {
            v.push("--headers".into());
            v.push(h.clone().into());
        }
        v
    }
}

/// Module hosts are this program run as `rkmod sim-host`, unless
/// `$RKMOD_SIM_HOST` names another host program. A statically linked
/// build (what `make build` ships, for start-up speed) cannot dlopen
/// modules: its hosts are the dynamic `rkmod-sim-host` installed with it.
fn host_command() -> HostCommand {
    if std::env::var_os("RKMOD_SIM_HOST").is_some() || cfg!(target_feature = "crt-static") {
        return HostCommand::locate();
    }
    match std::env::current_exe() {
        Ok(exe) => HostCommand {
            program: exe,
            args: vec![HOST_COMMAND.into()],
        },
        Err(_) => HostCommand::locate(),
    }
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let matches = match Args::command()
        .name(prog.to_string())
        .bin_name(prog.to_string())
        .try_get_matches_from(argv)
    {
        Ok(m) => m,
        Err(e) => return super::clap_exit(e),
    };
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => return super::clap_exit(e),
    };
    let mut out = Output::new(prog);
    let r = match args.cmd {
        Cmd::Serve(s) => serve(&s),
        Cmd::Start { serve, wait } => start(&mut out, &serve, seconds(wait)),
        Cmd::Stop { at, timeout } => stop(&mut out, &at, seconds(timeout)),
        Cmd::Status { at, json } => status(&mut out, &at, json),
        Cmd::Log { at, follow } => log(&mut out, &at, follow),
        Cmd::Read { at, path } => read(&mut out, &at, &path),
        Cmd::Write { at, path, value } => write(&at, &path, &value),
    };
    let code = match r {
        Ok(()) => 0,
        Err(msg) => {
            out.error(&msg);
            1
        }
    };
    out.finish();
    code
}

fn serve(s: &Serve) -> Result<(), String> {
    sim::run(s.config()?).map_err(|e| e.to_string())
}

fn start(out: &mut Output, s: &Serve, wait: Duration) -> Result<(), String> {
    let c = s.config()?;
    if Client::connect(&c.socket_path).is_ok() {
        return Err(format!(
            "a sim kernel already serves {}",
            c.socket_path.display()
        ));
    }
    std::fs::create_dir_all(&c.state_dir)
        .map_err(|e| format!("cannot create {}: {e}", c.state_dir.display()))?;
    // The background daemon's own errors (it cannot start) land here.
    let err_path = c.state_dir.join("rkmod-sim.err");
    let err_file = std::fs::File::create(&err_path)
        .map_err(|e| format!("cannot create {}: {e}", err_path.display()))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(exe)
            .args(["sim", "serve"])
            .args(s.forwarded(&c))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file)
            // Its own process group: the terminal's ^C is not for it.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the sim kernel: {e}"))?
    };
    let mut exited = None;
    let ready = sim::control::wait_ready(&c.socket_path, wait, || {
        exited = child.try_wait().ok().flatten();
        exited.is_some()
    });
    match ready {
        Ok(st) => {
            out.text(&format!(
                "sim kernel {} (pid {}) serving {}\n",
                st.release, st.pid, st.socket
            ));
            Ok(())
        }
        Err(e) => {
            let said = std::fs::read_to_string(&err_path).unwrap_or_default();
            if exited.is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
            Err(match said.trim() {
                "" => format!("the sim kernel did not start: {}", e.message),
                said => format!("the sim kernel did not start: {said}"),
            })
        }
    }
}

fn stop(out: &mut Output, at: &At, timeout: Duration) -> Result<(), String> {
    let st = sim::control::stop(&at.socket(), timeout).map_err(|e| e.message)?;
    out.text(&format!("sim kernel (pid {}) stopped\n", st.pid));
    Ok(())
}

fn connect(at: &At) -> Result<Client, String> {
    Client::connect(at.socket()).map_err(|e| e.message)
}

fn status(out: &mut Output, at: &At, json: bool) -> Result<(), String> {
    let st = connect(at)?.status().map_err(|e| e.message)?;
    if json {
        let text = serde_json::to_string_pretty(&st).map_err(|e| e.to_string())?;
        out.text(&text);
        out.text("\n");
        return Ok(());
    }
    let mut s = format!(
        "release:     {}\npid:         {}\nsocket:      {}\nstate:       {}\nmodule tree: {}\nuptime:      {:.1} s\nmodules:     {}\ncrashes:     {}\n",
        st.release,
        st.pid,
        st.socket,
        st.state_dir,
        st.module_root,
        st.uptime_ms as f64 / 1000.0,
        st.modules,
        st.crashes
    );
    for h in &st.hosts {
        s.push_str(&format!("host {}:    {}\n", h.pid, h.modules.join(" ")));
    }
    out.text(&s);
    Ok(())
}

fn log(out: &mut Output, at: &At, follow: bool) -> Result<(), String> {
    let client = connect(at)?;
    let mut since = 0;
    loop {
        let page = client.log(since).map_err(|e| e.message)?;
        for e in &page.entries {
            out.text(&e.format());
            out.text("\n");
        }
        let more = page.next > since && !page.entries.is_empty();
        since = page.next;
        if more {
            continue;
        }
        if !follow {
            return Ok(());
        }
        out.flush();
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `cat` of a module's file: the raw bytes, nothing added.
fn read(out: &mut Output, at: &At, path: &str) -> Result<(), String> {
    use std::io::Write;
    let data = connect(at)?.read(path).map_err(|e| file_error(path, &e))?;
    out.flush();
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&data)
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("write error: {e}"))
}

fn write(at: &At, path: &str, value: &std::ffi::OsStr) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    connect(at)?
        .write(path, value.as_bytes())
        .map_err(|e| file_error(path, &e))
}

/// `PATH: <errno's text>`, as cat and echo word it.
fn file_error(path: &str, e: &sim::Error) -> String {
    let text = std::io::Error::from_raw_os_error(e.errno).to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    format!("{path}: {text}")
}

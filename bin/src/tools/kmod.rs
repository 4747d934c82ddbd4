//! The `kmod` command as kmod 34 has it: `kmod [options] command
//! [command_options]` with the commands `help`, `list` and `static-nodes`,
//! `-h`/`--help` and `-V`/`--version`, and kmod's words for a missing or
//! unknown command and for usage errors.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rkmod::static_nodes::{self, Format, Line};

use crate::getopt::{getopt, Flow, Got, HasArg, Opt};

/// kmod's commands: name and help line.
const COMMANDS: [(&str, &str); 3] = [
    ("help", "show help message"),
    ("list", "list currently loaded modules"),
    (
        "static-nodes",
        "output the static-node information installed with the currently running kernel",
    ),
];

/// kmod's `-h` (`prog` as invoked, short form).
pub(crate) fn help_text(prog: &str) -> String {
    let mut s = format!(
        "kmod - Manage kernel modules: list, load, unload, etc\n\
         Usage:\n\
         \t{prog} [options] command [command_options]\n\n\
         Options:\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n\n\
         Commands:\n"
    );
    for (name, help) in COMMANDS {
        s.push_str(&format!("  {name:<12} {help}\n"));
    }
    s.push_str("\nkmod also handles gracefully if called from following symlinks:\n");
    for tool in [
        crate::Tool::Lsmod,
        crate::Tool::Rmmod,
        crate::Tool::Insmod,
        crate::Tool::Modinfo,
        crate::Tool::Modprobe,
        crate::Tool::Depmod,
    ] {
        let name = tool.kmod_name();
        s.push_str(&format!("  {name:<12} compat {name} command\n"));
    }
    s
}

/// `kmod ARGS` (argv[0] first, as invoked). The exit status.
pub fn run(argv: Vec<OsString>) -> i32 {
    let prog = argv
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kmod".into());
    let table = [
        Opt::new("help", 'h', "help", HasArg::No),
        Opt::new("version", 'V', "version", HasArg::No),
    ];
    let mut done = false;
    let scanned = getopt(&argv, &table, &[], true, &mut |got| {
        if let Got::Opt(opt, _) = got {
            if opt.id == "help" {
                print!("{}", help_text(&prog));
            } else {
                print!("{}", super::version_text());
            }
            done = true;
            return Flow::Stop;
        }
        Flow::Go
    });
    let at = match scanned {
        Err(msg) => {
            let _ = std::io::stderr().write_all(&msg);
            return 1;
        }
        Ok(_) if done => return 0,
        Ok(at) => at,
    };
    let Some(cmd) = argv.get(at) else {
        eprintln!("missing command");
        print!("{}", help_text(&prog));
        return 1;
    };
    // kmod hands the command argv + 1 and lets getopt go on where it
    // stopped: the command's argv[0] is the first argument, its options
    // are what follows the command.
    let mut sub = vec![argv[1].clone()];
    sub.extend_from_slice(&argv[at + 1..]);
    match cmd.as_bytes() {
        b"help" => {
            print!("{}", help_text(&prog));
            0
        }
        b"list" => crate::Tool::Lsmod.run(&prog, sub),
        b"static-nodes" => static_nodes_command(&prog, &sub),
        _ => {
            let mut m = b"invalid command '".to_vec();
            m.extend_from_slice(cmd.as_bytes());
            m.extend_from_slice(b"'\n");
            let _ = std::io::stderr().write_all(&m);
            print!("{}", help_text(&prog));
            1
        }
    }
}

/// `static-nodes -h`.
fn static_nodes_help(prog: &str) -> String {
    let mut s = format!(
        "Usage:\n\
         \t{prog} static-nodes [options]\n\
         \n\
         kmod static-nodes outputs the static-node information of the currently running kernel.\n\
         \n\
         Options:\n\
         \t-f, --format=FORMAT  choose format to use: see \"Formats\"\n\
         \t-o, --output=FILE    write output to file\n\
         \t-h, --help           show this help\n\
         \n\
         Formats:\n"
    );
    for (_, name, description) in Format::ALL {
        s.push_str(&format!("\t{name:<12} {description}\n"));
    }
    s
}

/// Where kmod looks for modules.
const MODULE_DIRECTORY: &str = "/lib/modules";

/// `kmod static-nodes [-f FORMAT] [-o FILE]`.
pub fn static_nodes_command(prog: &str, argv: &[OsString]) -> i32 {
    let table = [
        Opt::new("output", 'o', "output", HasArg::Required),
        Opt::new("format", 'f', "format", HasArg::Required),
        Opt::new("help", 'h', "help", HasArg::No),
    ];
    let mut output: Option<OsString> = None;
    let mut format = Format::Human;
    let mut done: Option<i32> = None;
    let scanned = getopt(argv, &table, &[], false, &mut |got| {
        let Got::Opt(opt, value) = got else {
            return Flow::Go;
        };
        match opt.id {
            "output" => output = value,
            "format" => {
                let v = value.unwrap_or_default();
                match Format::from_name(v.as_bytes()) {
                    Some(f) => format = f,
                    None => {
                        let mut m = b"Unknown format: '".to_vec();
                        m.extend_from_slice(v.as_bytes());
                        m.extend_from_slice(b"'.\n");
                        let _ = std::io::stderr().write_all(&m);
                        print!("{}", static_nodes_help(prog));
                        done = Some(1);
                    }
                }
            }
            _ => {
                print!("{}", static_nodes_help(prog));
                done = Some(0);
            }
        }
        if done.is_some() {
            Flow::Stop
        } else {
            Flow::Go
        }
    });
    if let Err(msg) = scanned {
        let _ = std::io::stderr().write_all(&msg);
        return 1;
    }
    if let Some(code) = done {
        return code;
    }
    let release = match rkmod::context::running_release() {
        Ok(r) => r,
        Err(_) => {
            eprintln!("Error: uname failed!");
            return 1;
        }
    };
    let path = format!("{MODULE_DIRECTORY}/{release}/modules.devname");
    let mut input = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(nix::libc::ENOENT) => {
            eprintln!("Warning: {path} not found - ignoring");
            return 0;
        }
        Err(e) => {
            eprintln!(
                "Error: could not open {path} - {}",
                rkmod::strerror(e.raw_os_error().unwrap_or(nix::libc::EIO))
            );
            return 1;
        }
    };
    let mut out: Box<dyn Write> = match &output {
        None => Box::new(crate::output::CStdout::new()),
        Some(file) => match create_output(file) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(msg) => {
                let _ = std::io::stderr().write_all(&msg);
                return 1;
            }
        },
    };
    // A read error ends the input as fgets's NULL does (a directory reads
    // as nothing).
    let mut data = Vec::new();
    let _ = std::io::Read::read_to_end(&mut input, &mut data);
    let mut status = 0;
    for line in static_nodes::parse(&data) {
        match line {
            Line::Entry(e) => {
                let _ = out.write_all(&format.render(&e));
            }
            Line::Invalid(raw) => {
                let mut m = b"Error: invalid devname entry: ".to_vec();
                m.extend_from_slice(&raw);
                let _ = std::io::stderr().write_all(&m);
                status = 1;
            }
        }
    }
    let _ = out.flush();
    status
}

/// The output file, its parent directories made first (0755) as kmod
/// makes them; the error message otherwise.
fn create_output(file: &OsStr) -> Result<std::fs::File, Vec<u8>> {
    let bytes = file.as_bytes();
    if let Some(slash) = bytes.iter().rposition(|&b| b == b'/') {
        let parent = std::path::Path::new(OsStr::from_bytes(&bytes[..slash]));
        if !bytes[..slash].is_empty() {
            if let Err(e) = pathfs::create_dir_all(parent, 0o755) {
                // a component that exists and is no directory
                let errno = match e.raw_os_error() {
                    Some(nix::libc::EEXIST) => nix::libc::ENOTDIR,
                    other => other.unwrap_or(nix::libc::EIO),
                };
                let mut m = b"Error: could not create parent directory for ".to_vec();
                m.extend_from_slice(bytes);
                m.extend_from_slice(format!(" - {}.\n", rkmod::strerror(errno)).as_bytes());
                return Err(m);
            }
        }
    }
    std::fs::File::create(OsString::from_vec(bytes.to_vec())).map_err(|e| {
        let mut m = b"Error: could not create ".to_vec();
        m.extend_from_slice(bytes);
        m.extend_from_slice(
            format!(
                " - {}\n",
                rkmod::strerror(e.raw_os_error().unwrap_or(nix::libc::EIO))
            )
            .as_bytes(),
        );
        m
    })
}

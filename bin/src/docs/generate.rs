//! The man pages (section 8) and the bash, zsh and fish completions of
//! every tool, rendered from the clap definitions. The written parts of a
//! page (description, files, examples, exit status, compatibility) are
//! roff fragments in `man/src/<page>.roff`, appended after the generated
//! synopsis and options. `render_all` is what `make man completions`
//! writes and what the freshness test compares.

use std::path::{Path, PathBuf};

use clap::{Command, CommandFactory};
use clap_complete::Shell;

use crate::Tool;

/// Every tool's command line under its rkmod name, and `rkmod` itself.
pub fn command(tool: Option<Tool>) -> Command {
    match tool {
        Some(t) => tool_command(t)
            .name(t.rkmod_name())
            .bin_name(t.rkmod_name()),
        None => {
            let mut rkmod = Command::new("rkmod")
                .about("kmod's tools in one binary: modinfo, modprobe, depmod, insmod, rmmod, lsmod, and the sim kernel")
                .disable_version_flag(true)
                .arg(
                    clap::Arg::new("version")
                        .short('V')
                        .long("version")
                        .action(clap::ArgAction::SetTrue)
                        .help("Show version"),
                );
            for t in Tool::ALL {
                rkmod = rkmod.subcommand(tool_command(t).name(t.kmod_name()));
            }
            // kmod's own commands, which rkmod takes too
            let kmod = kmod_command();
            for name in ["list", "static-nodes"] {
                if let Some(sub) = kmod.find_subcommand(name) {
                    rkmod = rkmod.subcommand(sub.clone());
                }
            }
            rkmod.subcommand(
                crate::tools::sim::Args::command().name("sim").about(
                    "The sim kernel (test mode): serve, start, stop, status, log, read, write",
                ),
            )
        }
    }
}

fn tool_command(tool: Tool) -> Command {
    use crate::tools::*;
    match tool {
        Tool::Insmod => insmod::Args::command(),
        Tool::Rmmod => rmmod::Args::command(),
        Tool::Lsmod => lsmod::Args::command(),
        Tool::Modinfo => modinfo::Args::command(),
        Tool::Modprobe => modprobe::Args::command(),
        // kmod's depmod prints its usage by hand, so its command has no
        // about of its own: the page's NAME line takes kmod's.
        Tool::Depmod => {
            depmod::documented_command("rdepmod").about("Generate modules.dep and map files")
        }
    }
}

/// Names of the generated pages and completions: the tools, then rkmod.
fn names() -> Vec<(String, Option<Tool>)> {
    let mut v: Vec<(String, Option<Tool>)> = Tool::ALL
        .iter()
        .map(|&t| (t.rkmod_name(), Some(t)))
        .collect();
    v.push(("rkmod".into(), None));
    v
}

/// Section 8 page `name`: clap_mangen's title, name, synopsis, options
/// and subcommands, then the written sections from `fragments`.
fn man_page(name: &str, tool: Option<Tool>, fragments: &Path) -> std::io::Result<Vec<u8>> {
    let cmd = command(tool);
    let man = clap_mangen::Man::new(cmd.clone())
        .section("8")
        .source(format!("rkmod {}", env!("CARGO_PKG_VERSION")))
        .manual("rkmod");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if cmd.get_subcommands().next().is_some() {
        out.extend(subcommands_section(&cmd).into_bytes());
    }
    out.extend(std::fs::read(fragments.join(format!("{name}.roff")))?);
    Ok(out)
}

/// The SUBCOMMANDS section of rkmod(8): each tool with a reference to
/// its own page (`rinsmod(8)`, the page that is installed), the sim
/// kernel described in the page itself; clap's `help` is left out.
/// (clap_mangen would refer to `rkmod-insmod(8)`, a page nobody installs.)
fn subcommands_section(cmd: &Command) -> String {
    let mut s = String::from(".SH SUBCOMMANDS\n");
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        s.push_str(&format!(".TP\n\\fB{}\\fR\n", roff_escape(name)));
        s.push_str(&roff_escape(&about));
        // `list` prints lsmod's table
        match Tool::from_name(if name == "list" { "lsmod" } else { name }) {
            Some(t) => s.push_str(&format!(" (\\fB{}\\fR(8))\n", roff_escape(&t.rkmod_name()))),
            None => s.push_str(" (see DESCRIPTION)\n"),
        }
    }
    s
}

/// Text as roff reads it: backslashes and hyphens escaped, no line
/// starting with a control character.
fn roff_escape(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Completion script of `name` for `shell`: clap_complete's, then the
/// shell's part that asks `rkmod __complete` for module names, releases,
/// loaded modules and parameters: the functions every such script shares
/// (`completions/src/dynamic.<shell>`) and the script's own registration
/// (`tool.<shell>` for a tool, `rkmod.<shell>` for rkmod's subcommands).
/// `kmod` has clap_complete's part only.
fn completion(name: &str, cmd: &mut Command, shell: Shell, src: &Path) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_complete::generate(shell, cmd, name, &mut out);
    let ext = shell_ext(shell);
    let read = |part: &str| std::fs::read_to_string(src.join(format!("{part}.{ext}")));
    let (tools, own) = if dynamic_tool(name) {
        (vec![name.to_string()], read("tool")?)
    } else if name == "rkmod" {
        let tools = Tool::ALL
            .iter()
            .map(|t| t.rkmod_name())
            .filter(|n| dynamic_tool(n))
            .collect();
        (tools, read("rkmod")?)
    } else {
        return Ok(out);
    };
    if shell == Shell::Zsh {
        // clap's ending runs its own function when the file is autoloaded:
        // the registration below runs ours instead, on the first <TAB> too
        let ending = format!("if [ \"$funcstack[1]\" = \"_{name}\" ]; then");
        if let Some(at) = out
            .windows(ending.len())
            .rposition(|w| w == ending.as_bytes())
        {
            out.truncate(at);
        }
    }
    let table: String = tools
        .iter()
        .map(|t| {
            let opts = value_options(&command(Tool::from_name(t)));
            match shell {
                Shell::Fish => format!("set -g _rkmod_value_opts_{t} {opts}\n"),
                _ => format!("_rkmod_value_opts[{t}]='{opts}'\n"),
            }
        })
        .collect();
    let dynamic = read("dynamic")?.replace("@VALUE_OPTS@\n", &table);
    out.extend(dynamic.into_bytes());
    out.extend(own.replace("@TOOL@", name).into_bytes());
    Ok(out)
}

/// The options of `cmd` that take a value in the next word (`-C FILE`),
/// short and long, space-separated: what a completion skips when it
/// looks for the module name.
fn value_options(cmd: &Command) -> String {
    let mut v = Vec::new();
    for a in cmd.get_arguments() {
        let optional = a.get_num_args().is_some_and(|r| r.min_values() == 0);
        if a.is_positional() || !a.get_action().takes_values() || optional {
            continue;
        }
        v.extend(a.get_short().map(|c| format!("-{c}")));
        v.extend(a.get_long().map(|l| format!("--{l}")));
    }
    v.join(" ")
}

/// kmod's own command line (kmod 34's `kmod help|list|static-nodes`), for
/// its completions: what `kmod <command> <TAB>` offers.
fn kmod_command() -> Command {
    use clap::{Arg, ArgAction};
    Command::new("kmod")
        .about("Manage kernel modules: list, load, unload, etc")
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::SetTrue)
                .help("show version"),
        )
        .subcommand(Command::new("help").about("show help message"))
        .subcommand(Command::new("list").about("list currently loaded modules"))
        .subcommand(
            Command::new("static-nodes")
                .about(
                    "outputs the static-node information installed with the currently running kernel",
                )
                .arg(
                    Arg::new("format")
                        .short('f')
                        .long("format")
                        .value_name("FORMAT")
                        .value_parser(["human", "tmpfiles", "devname"])
                        .help("choose format to use"),
                )
                .arg(
                    Arg::new("output")
                        .short('o')
                        .long("output")
                        .value_name("FILE")
                        .value_hint(clap::ValueHint::FilePath)
                        .help("write output to file"),
                ),
        )
}

/// Tools whose arguments are module names (rinsmod: parameters after
/// the file; rdepmod: a release, then files).
fn dynamic_tool(name: &str) -> bool {
    matches!(
        name,
        "rmodprobe" | "rmodinfo" | "rrmmod" | "rinsmod" | "rdepmod"
    )
}

fn shell_ext(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        _ => "fish",
    }
}

/// Where each completion goes under `completions/`.
fn completion_path(shell: Shell, name: &str) -> PathBuf {
    match shell {
        Shell::Bash => PathBuf::from(format!("bash/{name}")),
        Shell::Zsh => PathBuf::from(format!("zsh/_{name}")),
        _ => PathBuf::from(format!("fish/{name}.fish")),
    }
}

/// Every generated file, relative to the repository root, with its
/// content: `man/*.8` and `completions/{bash,zsh,fish}/*`.
pub fn render_all(repo: &Path) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    for (name, tool) in names() {
        files.push((
            PathBuf::from(format!("man/{name}.8")),
            man_page(&name, tool, &repo.join("man/src"))?,
        ));
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            files.push((
                Path::new("completions").join(completion_path(shell, &name)),
                completion(
                    &name,
                    &mut command(tool),
                    shell,
                    &repo.join("completions/src"),
                )?,
            ));
        }
    }
    // kmod's name (installed with SYMLINKS=1): its own commands
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        files.push((
            Path::new("completions").join(completion_path(shell, "kmod")),
            completion(
                "kmod",
                &mut kmod_command(),
                shell,
                &repo.join("completions/src"),
            )?,
        ));
    }
    Ok(files)
}

/// `rkmod __generate REPO`: write every generated file.
pub fn run(args: &[std::ffi::OsString]) -> i32 {
    let repo = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    let files = match render_all(&repo) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rkmod: ERROR: could not render the pages: {e}");
            return 1;
        }
    };
    for (rel, data) in files {
        let path = repo.join(&rel);
        let tmp = path.with_extension("tmp~");
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&tmp, &data))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            eprintln!("rkmod: ERROR: could not write {}: {e}", path.display());
            return 1;
        }
    }
    0
}

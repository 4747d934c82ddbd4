//! `rmodprobe`: add or remove modules with their dependencies, as kmod's
//! modprobe. The logic lives in the library (`Context::probe`,
//! `Context::remove_probe`); this file parses options and words messages.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::CommandFactory;
use modconf::modprobe_d::DEFAULT_DIRS;
use modconf::{CmdlineSource, ModprobeConfig};
use rkmod::{
    Context, InsertFlags, Kernel, Module, PlanStep, ProbeFlags, Probed, RemoveEvent,
    RemoveProbeFlags, StepAction,
};

use crate::Output;

mod args;
pub use args::Args;

/// syslog levels, as kmod compares them with its verbosity.
const LOG_EMERG: i32 = 0;
const LOG_CRIT: i32 = 2;
const LOG_ERR: i32 = 3;
const LOG_WARNING: i32 = 4;
const LOG_DEBUG: i32 = 7;
const EEXIST: i32 = 17;
const ENOENT: i32 = 2;

struct Modprobe<'a> {
    out: Output,
    ctx: Context,
    kernel: &'a dyn Kernel,
    args: Args,
    /// Messages up to this level are printed.
    verbose: i32,
    /// The level of "not found"-style messages (FATAL, WARNING with -a).
    log_level: i32,
    /// -D --json: the plans, printed at the end.
    plans: Vec<rkmod::json::PlanRecord>,
    /// -D --graph: the graph, printed at the end, and the modules asked for.
    graph: Option<(rkmod::graph::ModGraph, Vec<String>)>,
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let argv = prepend_env_options(argv);
    // kmod refuses a bad -w value as getopt returns it
    let check_wait = |id: &str, value: &[u8]| {
        let ok = std::str::from_utf8(value)
            .ok()
            .and_then(parse_msec)
            .is_some();
        (id == "wait" && !ok).then(|| {
            let mut m = format!("{prog}: ERROR: unexpected wait value '").into_bytes();
            m.extend_from_slice(value);
            m.extend_from_slice(b"'.\n");
            m
        })
    };
    let args: Args = match super::parse_direct(
        crate::Tool::Modprobe,
        || Args::command().name(prog.to_string()),
        argv,
        &args::OWN,
        &check_wait,
    ) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let mut out = Output::new(prog).with_syslog(args.syslog);
    if args.version {
        out.text(&super::version_text());
        out.finish();
        return 0;
    }
    let wait = match args.wait.as_deref().map(parse_msec) {
        Some(None) => {
            out.error(&format!(
                "unexpected wait value '{}'.",
                args.wait.as_deref().unwrap_or("")
            ));
            return 1;
        }
        Some(Some(ms)) => Some(Duration::from_millis(ms)),
        None => None,
    };
    if !args.showconfig && args.args.is_empty() {
        out.error("missing parameters. See -h.");
        return 1;
    }
    // kmod's words for a module that could not be handled, for a sim
    // kernel that refuses the connection.
    let names = if args.all || args.remove {
        &args.args[..]
    } else {
        &args.args[..args.args.len().min(1)]
    };
    let verb = if args.remove { "remove" } else { "insert" };
    let failing: Vec<String> = names
        .iter()
        .map(|n| format!("could not {verb} '{n}'"))
        .collect();
    // A tree named on the command line (-d, -S) wins over $RKMOD_SIM
    // alone: the environment then does not make this test mode.
    let explicit_tree = args.dirname.is_some() || args.set_version.is_some();
    let sim = if args.sim.is_none() && explicit_tree {
        Ok(None)
    } else {
        crate::sim_mode::open(&mut out, args.sim.as_deref(), &failing)
    };
    let sim = match sim {
        Ok(s) => s,
        Err(()) => return 1,
    };
    let ctx = if args.dirname.is_some() || args.set_version.is_some() {
        Context::new(args.dirname.as_deref(), args.set_version.as_deref())
    } else if let Some(s) = &sim {
        crate::sim_mode::context(s)
    } else {
        Context::new(None, None)
    };
    let ctx = match ctx {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("uname() failed: {e}"));
            return 1;
        }
    };
    let paths: Vec<PathBuf> = if args.config.is_empty() {
        DEFAULT_DIRS.iter().map(PathBuf::from).collect()
    } else {
        args.config.clone()
    };
    // The sim kernel was booted with no command line of its own.
    let cmdline = match sim {
        Some(_) => CmdlineSource::Skip,
        None => CmdlineSource::Proc,
    };
    let (config, diags) = ModprobeConfig::load(&paths, Some(ctx.dirname()), cmdline);
    let verbose = if args.quiet {
        LOG_EMERG
    } else {
        LOG_WARNING + i32::from(args.verbose)
    };
    for d in diags
        .iter()
        .filter(|d| i32::from(d.level.priority()) <= verbose)
    {
        let mut line = format!("{}: {}: ", out.prog(), d.level.label()).into_bytes();
        line.extend_from_slice(&d.text);
        let _ = std::io::Write::write_all(&mut std::io::stderr(), &line);
    }
    if verbose >= LOG_DEBUG {
        eprintln!(
            "{}: DEBUG: modules directory {}, {} configuration paths",
            out.prog(),
            ctx.dirname().display(),
            paths.len()
        );
    }
    let ctx = ctx.with_config(config).with_mapped_indexes();
    let kernel: Box<dyn Kernel> = match sim {
        Some(s) => Box::new(s),
        None => super::kernel(),
    };
    let log_level = if args.all { LOG_WARNING } else { LOG_CRIT };
    let mut mp = Modprobe {
        out,
        ctx,
        kernel: kernel.as_ref(),
        args,
        verbose,
        log_level,
        plans: Vec::new(),
        graph: None,
    };
    let ok = mp.dispatch(wait);
    mp.print_machine_readable();
    mp.out.finish();
    // The process ends here: freeing the context (configuration, index
    // maps) piece by piece would cost a twentieth of the call.
    std::mem::forget(mp.ctx);
    i32::from(!ok)
}

/// `strtoul(s, &end, 0)` as kmod checks it: leading blanks and a sign are
/// accepted, the base follows the prefix (0x hex, 0 octal), overflow
/// saturates, a negative value wraps; empty or trailing garbage fails.
fn parse_msec(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        // "0" alone, or "0x" with nothing after (strtoul parses the 0)
        return (t == "0" || (radix == 16 && digits.is_empty())).then_some(0);
    }
    let value = digits.chars().fold(0u64, |acc, c| {
        acc.saturating_mul(u64::from(radix))
            .saturating_add(u64::from(c.to_digit(radix).unwrap_or(0)))
    });
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Words of `$MODPROBE_OPTIONS` go before the command line's. kmod splits
/// at blanks; a word that starts with a quote ends at its closing quote
/// (the blank after it then makes an empty word), and a quoted stretch
/// inside a word loses its quotes.
fn prepend_env_options(argv: Vec<OsString>) -> Vec<OsString> {
    let Some(env) = std::env::var_os("MODPROBE_OPTIONS") else {
        return argv;
    };
    let env = env.to_string_lossy().into_owned();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<(char, bool)> = None; // (quote char, word started with it)
    for c in env.chars() {
        match quote {
            None if c == ' ' => words.push(std::mem::take(&mut cur)),
            None if c == '"' || c == '\'' => quote = Some((c, cur.is_empty())),
            None => cur.push(c),
            Some((q, whole)) if c == q => {
                quote = None;
                if whole {
                    words.push(std::mem::take(&mut cur));
                }
            }
            Some(_) => cur.push(c),
        }
    }
    if let Some((q, _)) = quote {
        // an unclosed quote stays part of the word
        cur.insert(0, q);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut out = Vec::with_capacity(argv.len() + words.len());
    let mut it = argv.into_iter();
    out.extend(it.next());
    out.extend(words.into_iter().map(OsString::from));
    out.extend(it);
    out
}

impl Modprobe<'_> {
    /// What -D --json and -D --graph collected, as one document.
    fn print_machine_readable(&mut self) {
        if self.args.json {
            let plans = std::mem::take(&mut self.plans);
            let doc = rkmod::json::Document::new("rmodprobe", plans);
            self.out.text(&super::json_text(&doc));
        }
        if let Some((g, roots)) = self.graph.take() {
            let roots: Vec<&str> = roots.iter().map(String::as_str).collect();
            self.out.text(&g.to_dot("modules", &roots));
        }
    }

    fn log(&mut self, level: i32, msg: &str) {
        if level > self.verbose {
            return;
        }
        match level {
            LOG_CRIT => {
                // kmod's log exits the process after any FATAL message.
                self.out.fatal(msg);
                self.out.flush();
                std::process::exit(1);
            }
            LOG_ERR => self.out.error(msg),
            _ => self.out.warning(msg),
        }
    }

    fn show_enabled(&self) -> bool {
        self.args.show_depends || self.verbose > LOG_WARNING
    }

    fn dispatch(&mut self, wait: Option<Duration>) -> bool {
        if self.args.showconfig {
            let text = match self.ctx.config() {
                Some(c) => c.show_with_indexes(self.ctx.dirname()),
                None => Vec::new(),
            };
            self.out.bytes(&text);
            return true;
        }
        let first = self.args.args[0].clone();
        if self.args.show_modversions || self.args.show_exports {
            return self.show_symbols(&first);
        }
        if self.args.remove {
            let names = self.args.args.clone();
            let mut ok = true;
            for n in &names {
                ok &= self.remove(n, wait);
            }
            return ok;
        }
        if self.args.all {
            let names = self.args.args.clone();
            let mut ok = true;
            for n in &names {
                ok &= self.insert(n, "");
            }
            return ok;
        }
        let opts = rkmod::params::join_args(&self.args.args[1..]);
        self.insert(&first, &opts)
    }

    fn show_symbols(&mut self, file: &str) -> bool {
        let what = if self.args.show_exports {
            "symbols"
        } else {
            "modversions"
        };
        // libkmod's kmod_module_new_from_path: a file that cannot be
        // stat'ed is a module not found, not a failure to read it.
        if Module::from_existing_path(std::path::Path::new(file)).is_err() {
            self.log(self.log_level, &format!("Module {file} not found."));
            return false;
        }
        let loaded = modfile::ModuleFile::open(file).and_then(|f| {
            let elf = f.elf()?;
            let syms = if self.args.show_exports {
                elf.exported_symbols()?
            } else {
                elf.modversions()?
            };
            Ok(syms
                .iter()
                .flat_map(|s| {
                    // names as the module has them: kmod prints raw bytes
                    let mut line = format!("0x{:08x}\t", s.crc).into_bytes();
                    line.extend_from_slice(s.name);
                    line.push(b'\n');
                    line
                })
                .collect::<Vec<u8>>())
        });
        match loaded {
            Ok(text) => {
                self.out.bytes(&text);
                true
            }
            Err(e) => {
                let msg = format!(
                    "could not get {what} of {file}: {}",
                    rkmod::strerror(e.errno())
                );
                self.log(self.log_level, &msg);
                false
            }
        }
    }

    /// What libkmod would have logged while resolving (its errors show
    /// unless -q), in the order it happened.
    fn library_messages(&mut self) {
        for msg in self.ctx.take_messages() {
            if LOG_ERR <= self.verbose {
                self.out.error(&msg);
            }
        }
    }

    fn insert(&mut self, alias: &str, options: &str) -> bool {
        let found = if Module::names_a_file(alias.as_bytes()) {
            match Module::from_existing_path(std::path::Path::new(alias)) {
                Ok(m) => vec![m],
                Err(e) => {
                    let msg = format!(
                        "Failed to get module from path {alias}: {}",
                        rkmod::strerror(e.raw_os_error().unwrap_or(ENOENT))
                    );
                    self.log(self.log_level, &msg);
                    return false;
                }
            }
        } else {
            self.ctx.lookup(alias).unwrap_or_default()
        };
        self.library_messages();
        if found.is_empty() {
            let msg = format!(
                "Module {alias} not found in directory {}",
                self.ctx.dirname().display()
            );
            self.log(self.log_level, &msg);
            return false;
        }
        let flags = ProbeFlags {
            ignore_commands: self.args.ignore_install,
            ignore_loaded: self.args.show_depends,
            dry_run: self.args.dry_run || self.args.show_depends,
            use_blacklist: self.args.use_blacklist,
            first_time: self.args.first_time,
            insert: InsertFlags {
                ignore_vermagic: self.args.force || self.args.force_vermagic,
                ignore_modversions: self.args.force || self.args.force_modversion,
            },
        };
        let mut ok = true;
        for module in &found {
            if self.args.resolve_alias {
                self.out.bytes(module.name());
                self.out.text("\n");
                continue;
            }
            let machine = self.args.json || self.args.graph;
            if self.args.graph {
                let (g, roots) = self.graph.get_or_insert_with(Default::default);
                self.ctx.add_to_graph(g, module);
                roots.push(module.name_lossy().into_owned());
            }
            let show = self.show_enabled() && !machine;
            let ctx = &self.ctx;
            let kernel = self.kernel;
            let out = &mut self.out;
            let mut steps = Vec::new();
            // Each action is shown as it is about to happen (before an
            // install command's own output), as kmod's print_action does.
            let mut observer = |step: &PlanStep, command: Option<&[u8]>| {
                if show {
                    let mut line = Vec::new();
                    print_action(ctx, kernel, step, command, &mut line);
                    out.bytes(&line);
                }
                steps.push(rkmod::json::StepRecord::new(step, command));
            };
            let result = ctx.probe(kernel, module, flags, options, &mut observer);
            self.library_messages();
            if self.args.json {
                self.plans.push(rkmod::json::PlanRecord {
                    request: alias.to_string(),
                    module: module.name_lossy().into_owned(),
                    steps,
                });
            }
            match result {
                Ok(Probed::Done | Probed::AlreadyLoaded | Probed::Blacklisted) => ok = true,
                Err(e) => {
                    ok = false;
                    self.report_insert_error(module, &e);
                }
            }
        }
        ok
    }

    fn report_insert_error(&mut self, module: &Module, e: &rkmod::ProbeError) {
        let name = module.name_lossy().into_owned();
        let msg = match e.errno {
            EEXIST => format!("could not insert '{name}': Module already in kernel"),
            ENOENT => format!(
                "could not insert '{name}': Unknown symbol in module, or unknown parameter (see dmesg)"
            ),
            errno => format!("could not insert '{name}': {}", rkmod::strerror(errno)),
        };
        self.log(LOG_ERR, &msg);
        let failed = e.module.as_ref().unwrap_or(module);
        if let (Some(path), None) = (failed.path(), e.command_status) {
            let options = self
                .ctx
                .load_plan(module, self.args.ignore_install, "")
                .steps
                .into_iter()
                .find(|s| s.module.name() == failed.name())
                .map(|s| s.options)
                .unwrap_or_default();
            let hint = self.kernel.last_error_detail().or_else(|| {
                let options = String::from_utf8_lossy(&options);
                rkmod::diagnose::insert_failure(self.kernel.state(), path, &options, e.errno)
            });
            if let Some(hint) = hint.filter(|_| self.verbose >= LOG_ERR) {
                self.out.hint(&hint);
            }
        }
    }

    fn remove(&mut self, alias: &str, wait: Option<Duration>) -> bool {
        let found = self.ctx.lookup(alias);
        self.library_messages();
        let found = match found {
            Ok(f) => f,
            Err(_) => return false,
        };
        if found.is_empty() {
            self.log(self.log_level, &format!("Module {alias} not found."));
            return false;
        }
        let flags = RemoveProbeFlags {
            ignore_commands: self.args.ignore_install,
            dry_run: self.args.dry_run,
            first_time: self.args.first_time,
            remove_holders: self.args.remove_holders,
            force: self.args.force,
            wait,
        };
        let ctx = self.ctx.clone();
        let kernel = self.kernel;
        for module in &found {
            let show = self.show_enabled();
            // Events are handled as they happen: a FATAL one ends the process
            // before anything further is removed, as in kmod.
            let result =
                ctx.remove_probe(kernel, module, flags, &mut |e| self.remove_event(e, show));
            if result.is_err() {
                return false;
            }
        }
        true
    }

    fn remove_event(&mut self, event: RemoveEvent, show: bool) {
        match event {
            RemoveEvent::Action(line) => {
                if show {
                    // kmod's SHOW: written out at once
                    self.out.text(&line);
                    self.out.text("\n");
                    self.out.flush();
                }
            }
            RemoveEvent::NotInKernel(n) => {
                self.log(self.log_level, &format!("Module {n} is not in kernel."))
            }
            RemoveEvent::Builtin(n) => self.log(self.log_level, &format!("Module {n} is builtin.")),
            RemoveEvent::InUse(n) => self.log(self.log_level, &format!("Module {n} is in use.")),
            RemoveEvent::CommandFailed(n) => self.log(
                self.log_level,
                &format!("Error running remove command for {n}"),
            ),
            RemoveEvent::RemoveFailed(n, errno) => self.log(
                LOG_ERR,
                &format!("could not remove '{n}': {}", rkmod::strerror(errno)),
            ),
            RemoveEvent::NoHolders(n, errno) => self.log(
                LOG_ERR,
                &format!(
                    "could not open '/sys/module/{n}/holders': {}",
                    rkmod::strerror(errno)
                ),
            ),
            RemoveEvent::WaitExpired(n, errno) => self.log(
                LOG_ERR,
                &format!(
                    "could not remove '{n}': {} (gave up waiting)",
                    rkmod::strerror(errno)
                ),
            ),
        }
    }
}

/// kmod's `print_action`: what `-v`, `-n` and `-D` show for a step.
fn print_action(
    ctx: &Context,
    kernel: &dyn Kernel,
    step: &PlanStep,
    command: Option<&[u8]>,
    out: &mut Vec<u8>,
) {
    if let Some(cmd) = command {
        out.extend_from_slice(b"install ");
        out.extend_from_slice(cmd);
        out.push(b' ');
        out.extend_from_slice(&step.options);
        out.push(b'\n');
        return;
    }
    match &step.action {
        StepAction::Insert(path) => {
            out.extend_from_slice(b"insmod ");
            out.extend_from_slice(path.as_os_str().as_encoded_bytes());
            out.push(b' ');
            out.extend_from_slice(&step.options);
            out.push(b'\n');
        }
        _ => {
            if ctx.initstate(kernel, &step.module) == Some(rkmod::kernel::Initstate::Builtin) {
                out.extend_from_slice(b"builtin ");
                out.extend_from_slice(step.module.name());
                out.push(b'\n');
            }
        }
    }
}

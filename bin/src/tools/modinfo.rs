//! `rmodinfo`: show information about kernel modules, as kmod's modinfo.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use rkmod::{Context, InfoEntry, Module};

use crate::Output;

#[derive(Parser, Debug)]
#[command(
    about = "Show information about Linux kernel modules",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Args {
    /// Print only 'author'
    #[arg(short = 'a', long)]
    author: bool,
    /// Print only 'description'
    #[arg(short = 'd', long)]
    description: bool,
    /// Print only 'license'
    #[arg(short = 'l', long)]
    license: bool,
    /// Print only 'parm'
    #[arg(short = 'p', long)]
    parameters: bool,
    /// Print only 'filename'
    #[arg(short = 'n', long)]
    filename: bool,
    /// Use \0 instead of \n
    #[arg(short = '0', long)]
    null: bool,
    /// Handle argument as module name instead of alias or filename
    #[arg(short = 'm', long)]
    modname: bool,
    /// Print only provided FIELD
    #[arg(short = 'F', long, value_name = "FIELD")]
    field: Option<String>,
    /// Use VERSION instead of `uname -r`
    #[arg(short = 'k', long = "set-version", value_name = "VERSION")]
    set_version: Option<String>,
    /// Use DIR as filesystem root for /lib/modules
    #[arg(short = 'b', long, value_name = "DIR")]
    basedir: Option<PathBuf>,
    /// Show version
    #[arg(short = 'V', long)]
    version: bool,
    /// Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    sim: Option<OsString>,
    /// Print one JSON document (schema rkmod/1, see docs/json.md) instead of text; -F, -0 and the field options are ignored
    #[arg(long)]
    json: bool,
    /// Modules: file names, module names or aliases
    #[arg(value_name = "MODULE")]
    modules: Vec<OsString>,
}

/// The field the options select: the last of -a -d -l -p -n -F wins, as
/// with getopt.
fn selected_field(args: &Args, m: &ArgMatches) -> Option<String> {
    let fixed = [
        ("author", "author"),
        ("description", "description"),
        ("license", "license"),
        ("parameters", "parm"),
        ("filename", "filename"),
    ];
    let mut best: Option<(usize, String)> = None;
    let mut consider = |idx: Option<usize>, value: String| {
        if let Some(i) = idx {
            if best.as_ref().is_none_or(|(b, _)| i > *b) {
                best = Some((i, value));
            }
        }
    };
    for (id, field) in fixed {
        if m.get_flag(id) {
            consider(m.index_of(id), field.to_string());
        }
    }
    if let Some(f) = &args.field {
        consider(m.index_of("field"), f.clone());
    }
    best.map(|(_, f)| f)
}

pub fn run(prog: &str, argv: Vec<OsString>) -> i32 {
    let matches = match super::parse(
        crate::Tool::Modinfo,
        Args::command().name(prog.to_string()),
        argv,
        &["json", "sim"],
    ) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => return crate::tools::usage_exit(prog, e),
    };
    let mut out = Output::new(prog);
    if args.version {
        out.text(&crate::tools::version_text());
        out.finish();
        return 0;
    }
    if args.modules.is_empty() {
        out.error("missing module or filename.");
        return 1;
    }
    // In test mode a `.so` path is a module file too; the sim kernel is
    // asked for its tree only when a name has to be looked up.
    // A tree named on the command line (-b, -k) wins over $RKMOD_SIM
    // alone: the environment then does not make this test mode.
    let explicit_tree = args.basedir.is_some() || args.set_version.is_some();
    let sim_socket = match args.sim.as_deref() {
        None if explicit_tree => None,
        arg => crate::sim_mode::socket(arg),
    };
    let sim_files = sim_socket.is_some();
    let ctx = if explicit_tree {
        Context::new(args.basedir.as_deref(), args.set_version.as_deref())
    } else if sim_files && needs_lookup(&args) {
        let Ok(Some(sim)) = crate::sim_mode::open(&mut out, args.sim.as_deref(), &[]) else {
            return 1;
        };
        crate::sim_mode::context(&sim)
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
    let mut modinfo = Modinfo {
        ctx: &ctx,
        field: selected_field(&args, &matches),
        sep: if args.null { 0 } else { b'\n' },
        out,
        json: args.json.then(Vec::new),
    };
    let mut failed = false;
    for name in &args.modules {
        let ok = if args.modname {
            modinfo.by_name(name)
        } else if is_module_filename(Path::new(name), sim_files) {
            modinfo.by_path(Path::new(name))
        } else {
            modinfo.by_alias(name)
        };
        failed |= !ok;
    }
    if let Some(records) = modinfo.json.take() {
        let doc = rkmod::json::Document::new("rmodinfo", records);
        modinfo.out.text(&crate::tools::json_text(&doc));
    }
    modinfo.out.finish();
    i32::from(failed)
}

/// A regular file whose name ends like a module file (or, in test mode,
/// like a sim module).
fn is_module_filename(path: &Path, sim: bool) -> bool {
    let name = path.as_os_str().as_bytes();
    pathfs::is_file(path)
        && (rkmod::has_module_extension(name)
            || (sim && depmod::scan::has_sim_module_extension(name)))
}

/// Whether some argument is a name or alias to look up, not a file.
fn needs_lookup(args: &Args) -> bool {
    args.modname
        || args
            .modules
            .iter()
            .any(|m| !is_module_filename(Path::new(m), true))
}

struct Modinfo<'a> {
    ctx: &'a Context,
    field: Option<String>,
    sep: u8,
    out: Output,
    /// With --json: the records, printed at the end instead of text.
    json: Option<Vec<rkmod::json::ModinfoRecord>>,
}

/// A parameter assembled from `parm` (description) and `parmtype` entries.
struct Param<'a> {
    name: &'a [u8],
    desc: Option<&'a [u8]>,
    kind: Option<&'a [u8]>,
}

impl Modinfo<'_> {
    fn by_path(&mut self, path: &Path) -> bool {
        match Module::from_path(path) {
            Ok(m) => self.show(&m),
            Err(_) => {
                let path = path.as_os_str().as_bytes();
                self.out
                    .error_bytes(&[b"Module file ", path, b" not found."].concat());
                false
            }
        }
    }

    fn by_name(&mut self, name: &OsString) -> bool {
        let name = name.as_bytes();
        match self.ctx.lookup_name_bytes(name) {
            Ok(Some(m)) => self.show(&m),
            _ => {
                self.out
                    .error_bytes(&[b"Module name ", name, b" not found."].concat());
                false
            }
        }
    }

    fn by_alias(&mut self, alias: &OsString) -> bool {
        let alias = alias.as_bytes();
        let found = self.ctx.lookup_bytes(alias);
        // what libkmod logs on the way (modules it cannot make)
        for msg in self.ctx.take_messages() {
            self.out.error(&msg);
        }
        match found {
            Err(_) => {
                self.out
                    .error_bytes(&[b"Module alias ", alias, b" not found."].concat());
                false
            }
            Ok(found) if found.is_empty() => {
                self.out
                    .error_bytes(&[b"Module ", alias, b" not found."].concat());
                false
            }
            Ok(found) => {
                // every module is shown, even after one fails
                let mut ok = true;
                for m in &found {
                    ok &= self.show(m);
                }
                ok
            }
        }
    }

    fn sep(&mut self) {
        let s = [self.sep];
        self.out.bytes(&s);
    }

    /// `key:`, blanks, then the value. kmod 30 prints
    /// `printf("%s:%-*s%s", key, 15 - keylen, "", value)` with an `int`
    /// width: a key longer than 15 gives a negative width, which printf
    /// takes as left-justification of its magnitude, so a 20-byte key is
    /// followed by five blanks, a 40-byte key by 25.
    fn keyed(&mut self, key: &[u8], value: &[u8]) {
        self.out.bytes(key);
        self.out.bytes(b":");
        let pad = key.len().abs_diff(15);
        self.out.bytes(&b" ".repeat(pad));
        self.out.bytes(value);
        self.sep();
    }

    fn plain(&mut self, value: &[u8]) {
        self.out.bytes(value);
        self.sep();
    }

    /// kmod's `modinfo_do` for one module.
    fn show(&mut self, module: &Module) -> bool {
        if self.json.is_some() {
            return self.record(module);
        }
        let field = self.field.clone();
        let field = field.as_deref();
        let filename: Vec<u8> = match module.path() {
            Some(p) => p.as_os_str().as_bytes().to_vec(),
            None => {
                match field {
                    None => self.keyed(b"name", module.name()),
                    Some("name") => self.plain(module.name()),
                    _ => {}
                }
                b"(builtin)".to_vec()
            }
        };
        match field {
            Some("filename") => {
                self.plain(&filename);
                return true;
            }
            None => self.keyed(b"filename", &filename),
            _ => {}
        }
        let info = match self.ctx.module_info(module) {
            Ok(info) => info,
            Err(e) => {
                if module.path().is_none() && e.is_not_found() {
                    // No builtin information on this kernel: nothing more to say.
                    return true;
                }
                self.could_not_get_modinfo(module, &e);
                return false;
            }
        };
        match field {
            Some("parm") => self.params(&info, false),
            Some(f) => {
                for e in info.iter().filter(|e| e.key == f.as_bytes()) {
                    self.plain(&e.value);
                }
            }
            None => {
                for e in info.iter().filter(|e| !is_parm_key(&e.key)) {
                    if self.sep == 0 {
                        self.out.bytes(&e.key);
                        self.out.bytes(b"=");
                        self.plain(&e.value);
                    } else {
                        self.keyed(&e.key, &e.value);
                    }
                }
                self.params(&info, true);
            }
        }
        true
    }

    fn could_not_get_modinfo(&mut self, module: &Module, e: &rkmod::Error) {
        let msg = [
            &b"could not get modinfo from '"[..],
            module.name(),
            b"': ",
            e.strerror().as_bytes(),
        ]
        .concat();
        self.out.error_bytes(&msg);
    }

    /// --json: keep the module's record (errors as in text mode).
    fn record(&mut self, module: &Module) -> bool {
        let info = match self.ctx.module_info(module) {
            Ok(info) => info,
            Err(e) if module.path().is_none() && e.is_not_found() => Vec::new(),
            Err(e) => {
                self.could_not_get_modinfo(module, &e);
                return false;
            }
        };
        let record = rkmod::json::ModinfoRecord::new(module, &info);
        self.json.get_or_insert_with(Vec::new).push(record);
        true
    }

    /// Parameters, most recently introduced first (kmod prepends each new
    /// name to its list).
    fn params(&mut self, info: &[InfoEntry], labelled: bool) {
        let mut params: Vec<Param> = Vec::new();
        for e in info.iter().filter(|e| is_parm_key(&e.key)) {
            let Some(colon) = e.value.iter().position(|&b| b == b':') else {
                let msg = [
                    &b"Found invalid \""[..],
                    &e.key,
                    b"=",
                    &e.value,
                    b"\": missing ':'",
                ]
                .concat();
                self.out.error_bytes(&msg);
                continue;
            };
            let (name, rest) = (&e.value[..colon], &e.value[colon + 1..]);
            let idx = match params.iter().position(|p| p.name == name) {
                Some(i) => i,
                None => {
                    params.push(Param {
                        name,
                        desc: None,
                        kind: None,
                    });
                    params.len() - 1
                }
            };
            if e.key == b"parm" {
                params[idx].desc = Some(rest);
            } else {
                params[idx].kind = Some(rest);
            }
        }
        for p in params.iter().rev() {
            let mut line = Vec::new();
            if labelled {
                line.extend_from_slice(b"parm:           ");
            }
            line.extend_from_slice(p.name);
            line.push(b':');
            match (p.desc, p.kind) {
                (None, kind) => {
                    if !labelled {
                        line.push(b' ');
                    }
                    let kind = kind.unwrap_or_default();
                    if labelled {
                        line.extend_from_slice(kind);
                    } else {
                        line.push(b'(');
                        line.extend_from_slice(kind);
                        line.push(b')');
                    }
                }
                (Some(desc), Some(kind)) => {
                    line.extend_from_slice(desc);
                    line.extend_from_slice(b" (");
                    line.extend_from_slice(kind);
                    line.push(b')');
                }
                (Some(desc), None) => line.extend_from_slice(desc),
            }
            self.plain(&line);
        }
    }
}

fn is_parm_key(key: &[u8]) -> bool {
    key == b"parm" || key == b"parmtype"
}

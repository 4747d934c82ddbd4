//! What `rmodinfo` prints for one argument (kmod's `modinfo_do` and its
//! callers), rendered into a [`Shown`] rather than printed, so that many
//! arguments can be worked out on several threads and printed in order.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rkmod::json::ModinfoRecord;
use rkmod::{Context, InfoEntry, Module};

use crate::Output;

/// What one argument prints: its standard output, and its messages, each
/// with how much of that output came before it.
#[derive(Default)]
pub(super) struct Shown {
    out: Vec<u8>,
    errors: Vec<(usize, Vec<u8>)>,
    /// With --json: the records, printed at the end instead of text.
    records: Vec<ModinfoRecord>,
    /// Whether everything could be shown.
    pub(super) ok: bool,
}

impl Shown {
    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    fn error_bytes(&mut self, msg: &[u8]) {
        self.errors.push((self.out.len(), msg.to_vec()));
    }

    /// Print to `out` in the order it was shown; keep records in `json`.
    pub(super) fn replay(self, out: &mut Output, json: &mut Vec<ModinfoRecord>) {
        let mut done = 0;
        for (at, msg) in &self.errors {
            out.bytes(&self.out[done..*at]);
            out.error_bytes(msg);
            done = *at;
        }
        out.bytes(&self.out[done..]);
        json.extend(self.records);
    }
}

/// How modules are shown: the same for every argument, shared by threads.
pub(super) struct Show<'a> {
    pub(super) ctx: &'a Context,
    /// The one field to print (-F and the like), or all.
    pub(super) field: Option<String>,
    /// `\n`, or NUL with -0.
    pub(super) sep: u8,
    pub(super) json: bool,
}

/// A parameter assembled from `parm` (description) and `parmtype` entries.
struct Param<'a> {
    name: &'a [u8],
    desc: Option<&'a [u8]>,
    kind: Option<&'a [u8]>,
}

impl Show<'_> {
    /// An argument naming a module file.
    pub(super) fn by_path(&self, path: &Path) -> Shown {
        let mut sh = Shown::default();
        sh.ok = match Module::from_path(path) {
            Ok(m) => self.show(&m, &mut sh),
            Err(_) => {
                let path = path.as_os_str().as_bytes();
                sh.error_bytes(&[b"Module file ", path, b" not found."].concat());
                false
            }
        };
        sh
    }

    /// An argument taken as a module name (-m).
    pub(super) fn by_name(&self, name: &OsStr) -> Shown {
        let mut sh = Shown::default();
        let name = name.as_bytes();
        sh.ok = match self.ctx.lookup_name_bytes(name) {
            Ok(Some(m)) => self.show(&m, &mut sh),
            _ => {
                sh.error_bytes(&[b"Module name ", name, b" not found."].concat());
                false
            }
        };
        sh
    }

    /// An argument taken as an alias (or name).
    pub(super) fn by_alias(&self, alias: &OsStr) -> Shown {
        let mut sh = Shown::default();
        let alias = alias.as_bytes();
        let found = self.ctx.lookup_bytes(alias);
        // what libkmod logs on the way (modules it cannot make)
        for msg in self.ctx.take_messages() {
            sh.error_bytes(msg.as_bytes());
        }
        sh.ok = match found {
            Err(_) => {
                sh.error_bytes(&[b"Module alias ", alias, b" not found."].concat());
                false
            }
            Ok(found) if found.is_empty() => {
                sh.error_bytes(&[b"Module ", alias, b" not found."].concat());
                false
            }
            // every module is shown, even after one fails
            Ok(found) => found.iter().fold(true, |ok, m| self.show(m, &mut sh) & ok),
        };
        sh
    }

    fn sep(&self, sh: &mut Shown) {
        sh.out.push(self.sep);
    }

    /// `key:`, blanks, then the value. kmod 30 prints
    /// `printf("%s:%-*s%s", key, 15 - keylen, "", value)` with an `int`
    /// width: a key longer than 15 gives a negative width, which printf
    /// takes as left-justification of its magnitude, so a 20-byte key is
    /// followed by five blanks, a 40-byte key by 25.
    fn keyed(&self, sh: &mut Shown, key: &[u8], value: &[u8]) {
        sh.bytes(key);
        sh.out.push(b':');
        let pad = key.len().abs_diff(15);
        sh.out.resize(sh.out.len() + pad, b' ');
        sh.bytes(value);
        self.sep(sh);
    }

    fn plain(&self, sh: &mut Shown, value: &[u8]) {
        sh.bytes(value);
        self.sep(sh);
    }

    /// kmod's `modinfo_do` for one module.
    fn show(&self, module: &Module, sh: &mut Shown) -> bool {
        if self.json {
            return self.record(module, sh);
        }
        let field = self.field.as_deref();
        let filename: &[u8] = match module.path() {
            Some(p) => p.as_os_str().as_bytes(),
            None => {
                match field {
                    None => self.keyed(sh, b"name", module.name()),
                    Some("name") => self.plain(sh, module.name()),
                    _ => {}
                }
                b"(builtin)"
            }
        };
        match field {
            Some("filename") => {
                self.plain(sh, filename);
                return true;
            }
            None => self.keyed(sh, b"filename", filename),
            _ => {}
        }
        let info = match self.ctx.module_info(module) {
            Ok(info) => info,
            Err(e) => {
                if module.path().is_none() && e.is_not_found() {
                    // No builtin information on this kernel: nothing more to say.
                    return true;
                }
                could_not_get_modinfo(sh, module, &e);
                return false;
            }
        };
        match field {
            Some("parm") => self.params(sh, &info, false),
            Some(f) => {
                for e in info.iter().filter(|e| e.key == f.as_bytes()) {
                    self.plain(sh, &e.value);
                }
            }
            None => {
                for e in info.iter() {
                    if is_parm_key(&e.key) {
                        // kmod takes parameters in as it meets them: a bad
                        // one is reported here, between the fields.
                        if !e.value.contains(&b':') {
                            invalid_parm(sh, e);
                        }
                        continue;
                    }
                    if self.sep == 0 {
                        sh.bytes(&e.key);
                        sh.out.push(b'=');
                        self.plain(sh, &e.value);
                    } else {
                        self.keyed(sh, &e.key, &e.value);
                    }
                }
                self.params(sh, &info, true);
            }
        }
        true
    }

    /// --json: keep the module's record (errors as in text mode).
    fn record(&self, module: &Module, sh: &mut Shown) -> bool {
        let info = match self.ctx.module_info(module) {
            Ok(info) => info,
            Err(e) if module.path().is_none() && e.is_not_found() => Vec::new(),
            Err(e) => {
                could_not_get_modinfo(sh, module, &e);
                return false;
            }
        };
        sh.records.push(ModinfoRecord::new(module, &info));
        true
    }

    /// Parameters, most recently introduced first (kmod prepends each new
    /// name to its list).
    fn params(&self, sh: &mut Shown, info: &[InfoEntry], labelled: bool) {
        let mut params: Vec<Param> = Vec::new();
        for e in info.iter().filter(|e| is_parm_key(&e.key)) {
            let Some(colon) = e.value.iter().position(|&b| b == b':') else {
                // (all fields shown: reported already, in their order)
                if !labelled {
                    invalid_parm(sh, e);
                }
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
            if labelled {
                sh.bytes(b"parm:           ");
            }
            sh.bytes(p.name);
            sh.out.push(b':');
            match (p.desc, p.kind) {
                (None, kind) => {
                    let kind = kind.unwrap_or_default();
                    if labelled {
                        sh.bytes(kind);
                    } else {
                        sh.bytes(b" (");
                        sh.bytes(kind);
                        sh.out.push(b')');
                    }
                }
                (Some(desc), Some(kind)) => {
                    sh.bytes(desc);
                    sh.bytes(b" (");
                    sh.bytes(kind);
                    sh.out.push(b')');
                }
                (Some(desc), None) => sh.bytes(desc),
            }
            self.sep(sh);
        }
    }
}

fn could_not_get_modinfo(sh: &mut Shown, module: &Module, e: &rkmod::Error) {
    let msg = [
        &b"could not get modinfo from '"[..],
        module.name(),
        b"': ",
        e.strerror().as_bytes(),
    ]
    .concat();
    sh.error_bytes(&msg);
}

/// kmod's complaint about a `parm`/`parmtype` value without a name.
fn invalid_parm(sh: &mut Shown, e: &InfoEntry) {
    let msg = [
        &b"Found invalid \""[..],
        &e.key,
        b"=",
        &e.value,
        b"\": missing ':'",
    ]
    .concat();
    sh.error_bytes(&msg);
}

fn is_parm_key(key: &[u8]) -> bool {
    key == b"parm" || key == b"parmtype"
}

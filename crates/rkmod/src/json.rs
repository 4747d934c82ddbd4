//! The records behind `--json` (schema `rkmod/1`, documented in
//! docs/json.md): plain serde types built from the library's answers, so
//! every tool prints the same shapes. Fields are only ever added.

use serde::Serialize;

use crate::kernel::KernelState;
use crate::probe::{PlanStep, StepAction};
use crate::{InfoEntry, Module};

/// The schema every document names.
pub const SCHEMA: &str = "rkmod/1";

/// The envelope of every `--json` document:
/// `{"schema": "rkmod/1", "tool": "<tool>", "data": [<records>]}`.
#[derive(Serialize)]
pub struct Document<T: Serialize> {
    pub schema: &'static str,
    pub tool: &'static str,
    pub data: T,
}

impl<T: Serialize> Document<T> {
    pub fn new(tool: &'static str, data: T) -> Document<T> {
        Document {
            schema: SCHEMA,
            tool,
            data,
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One `.modinfo` entry, in file order (repeated keys stay repeated).
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub value: String,
}

/// A module parameter, from its `parm` and `parmtype` entries.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub description: Option<String>,
}

/// What `rmodinfo --json` says of one module.
#[derive(Serialize, Debug)]
pub struct ModinfoRecord {
    pub name: String,
    /// The file, or null for a builtin module.
    pub filename: Option<String>,
    pub builtin: bool,
    /// Every entry but `parm`/`parmtype` (those are in `parameters`).
    pub fields: Vec<Field>,
    /// In `.modinfo` order.
    pub parameters: Vec<Parameter>,
}

impl ModinfoRecord {
    pub fn new(module: &Module, info: &[InfoEntry]) -> ModinfoRecord {
        let mut parameters: Vec<Parameter> = Vec::new();
        let mut fields = Vec::new();
        for e in info {
            let is_parm = e.key == b"parm";
            if !is_parm && e.key != b"parmtype" {
                fields.push(Field {
                    key: text(&e.key),
                    value: text(&e.value),
                });
                continue;
            }
            let Some(colon) = e.value.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, rest) = (text(&e.value[..colon]), text(&e.value[colon + 1..]));
            let at = match parameters.iter().position(|p| p.name == name) {
                Some(i) => i,
                None => {
                    parameters.push(Parameter {
                        name,
                        kind: None,
                        description: None,
                    });
                    parameters.len() - 1
                }
            };
            if is_parm {
                parameters[at].description = Some(rest);
            } else {
                parameters[at].kind = Some(rest);
            }
        }
        ModinfoRecord {
            name: module.name_lossy().into_owned(),
            filename: module.path().map(|p| p.to_string_lossy().into_owned()),
            builtin: module.path().is_none(),
            fields,
            parameters,
        }
    }
}

/// What `rlsmod --json` says of one loaded module.
#[derive(Serialize, Debug)]
pub struct LoadedRecord {
    pub name: String,
    pub size: Option<u64>,
    /// The reference count, or null when it cannot be read.
    pub refcount: Option<i64>,
    /// The modules holding this one (`/sys/module/<name>/holders`).
    pub used_by: Vec<String>,
    /// `Live`, `Loading` or `Unloading`, as `/proc/modules` says.
    pub state: String,
}

/// Every loaded module, in `/proc/modules` order.
pub fn loaded_records(state: &KernelState) -> std::io::Result<Vec<LoadedRecord>> {
    Ok(state
        .loaded()?
        .into_iter()
        .map(|m| LoadedRecord {
            size: state.size(&m.name),
            refcount: state.refcnt(&m.name).ok(),
            used_by: state.holders(&m.name).unwrap_or(m.used_by),
            name: m.name,
            state: m.state,
        })
        .collect())
}

/// One step of a load plan (`rmodprobe --show-depends --json`).
#[derive(Serialize, Debug)]
pub struct StepRecord {
    pub module: String,
    /// `insmod`, `install` (a configured command), `builtin` or `missing`.
    pub action: &'static str,
    /// The file inserted, for `insmod`.
    pub path: Option<String>,
    /// The install command as it would run, for `install`.
    pub command: Option<String>,
    /// Options passed (configured ones, then the command line's).
    pub options: String,
    /// A hard dependency or the module itself (false: a softdep).
    pub required: bool,
}

impl StepRecord {
    /// `command` is the install command with its options substituted, as
    /// the probe reported it.
    pub fn new(step: &PlanStep, command: Option<&[u8]>) -> StepRecord {
        let (action, path) = match (&step.action, command) {
            (_, Some(_)) | (StepAction::Command(_), _) => ("install", None),
            (StepAction::Insert(p), None) => ("insmod", Some(p.to_string_lossy().into_owned())),
            (StepAction::Builtin, None) => ("builtin", None),
            (StepAction::Missing, None) => ("missing", None),
        };
        StepRecord {
            module: step.module.name_lossy().into_owned(),
            action,
            path,
            command: command.map(text).or(match &step.action {
                StepAction::Command(c) => Some(text(c)),
                _ => None,
            }),
            options: String::from_utf8_lossy(&step.options)
                .trim_end()
                .to_string(),
            required: step.required,
        }
    }
}

/// What one name on the command line resolved to and the steps to load it.
#[derive(Serialize, Debug)]
pub struct PlanRecord {
    /// The name or alias as given.
    pub request: String,
    /// The module it resolved to.
    pub module: String,
    pub steps: Vec<StepRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(k: &str, v: &str) -> InfoEntry {
        InfoEntry {
            key: k.as_bytes().to_vec(),
            value: v.as_bytes().to_vec(),
        }
    }

    #[test]
    fn modinfo_record_keeps_order_and_pairs_parameters() {
        let m = Module {
            name: b"m".to_vec(),
            path: Some("/x/m.ko".into()),
            origin: crate::Origin::Path,
            alias: None,
        };
        let info = [
            entry("alias", "a1"),
            entry("parmtype", "io:int"),
            entry("alias", "a2"),
            entry("parm", "io:The level"),
            entry("parm", "msg:A message"),
            entry("license", "GPL"),
        ];
        let r = ModinfoRecord::new(&m, &info);
        let keys: Vec<&str> = r.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["alias", "alias", "license"]);
        assert_eq!(r.fields[1].value, "a2");
        assert_eq!(
            r.parameters,
            [
                Parameter {
                    name: "io".into(),
                    kind: Some("int".into()),
                    description: Some("The level".into())
                },
                Parameter {
                    name: "msg".into(),
                    kind: None,
                    description: Some("A message".into())
                }
            ]
        );
        assert!(!r.builtin);
        let doc = serde_json::to_value(Document::new("rmodinfo", vec![r])).unwrap();
        assert_eq!(doc["schema"], "rkmod/1");
        assert_eq!(doc["tool"], "rmodinfo");
        assert_eq!(doc["data"][0]["parameters"][0]["type"], "int");
        assert_eq!(doc["data"][0]["filename"], "/x/m.ko");
    }
}

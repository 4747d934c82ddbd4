//! `modules.builtin.modinfo`: the `.modinfo` of modules built into the
//! kernel, as `name.key=value` strings; one module's strings are contiguous.

use crate::context::Context;
use crate::error::{Error, Result};

impl Context {
    /// The `key=value` strings of a builtin module, in file order.
    /// A missing file is an I/O error (kmod then prints nothing more);
    /// a file without the module is [`Error::NoBuiltinInfo`].
    pub fn builtin_modinfo(&self, name: &[u8]) -> Result<Vec<Vec<u8>>> {
        let data = std::fs::read(self.file("modules.builtin.modinfo"))?;
        let mut strings = data.split(|&b| b == 0).peekable();
        // The last piece after the final NUL is not a string.
        let mut found = Vec::new();
        let mut block: Option<&[u8]> = None;
        while let Some(s) = strings.next() {
            if strings.peek().is_none() && s.is_empty() {
                break;
            }
            let Some(dot) = s.iter().position(|&b| b == b'.') else {
                // kmod stops reading at a string without a module prefix
                break;
            };
            let owner = &s[..dot];
            match block {
                Some(current) if current != owner => {
                    if !found.is_empty() {
                        break;
                    }
                    block = Some(owner);
                }
                None => block = Some(owner),
                _ => {}
            }
            if owner == name {
                found.push(s[dot + 1..].to_vec());
            }
        }
        if found.is_empty() {
            return Err(Error::NoBuiltinInfo);
        }
        Ok(found)
    }
}

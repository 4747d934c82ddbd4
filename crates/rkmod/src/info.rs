//! A module's information as `modinfo` lists it: the `.modinfo` entries
//! (or the builtin ones), then what the signature says.

use modfile::{hex_colon_into, Image, Limits, ModinfoEntry, Wanted};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::module::Module;

/// One `key: value` pair of a module's information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoEntry {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

impl InfoEntry {
    fn new(key: &[u8], value: &[u8]) -> InfoEntry {
        InfoEntry {
            key: key.to_vec(),
            value: value.to_vec(),
        }
    }

    /// `key`, with `bytes` as kmod prints key ids and signatures.
    fn hex(key: &[u8], bytes: &[u8]) -> InfoEntry {
        let mut value = Vec::new();
        hex_colon_into(bytes, &mut value);
        InfoEntry {
            key: key.to_vec(),
            value,
        }
    }
}

impl Context {
    /// The information of a module: kmod's `kmod_module_get_info`.
    /// Builtin modules (found as such, or named in modules.builtin) answer
    /// from `modules.builtin.modinfo`; others from their file, followed by
    /// `sig_id`, `signer`, `sig_key`, `sig_hashalgo` and `signature` when
    /// the file is signed.
    pub fn module_info(&self, module: &Module) -> Result<Vec<InfoEntry>> {
        if module.is_builtin() || self.is_builtin_name(module.name()) {
            return Ok(self
                .builtin_modinfo(module.name())?
                .iter()
                .map(|s| {
                    let e = ModinfoEntry::split(s);
                    InfoEntry::new(e.key, e.value)
                })
                .collect());
        }
        let path = module.path().ok_or(Error::NotFound)?;
        // Only `.modinfo` and the signature: read, not mapped, which also
        // spares threads working side by side each other's TLB flushes.
        let file = Image::open(path, &Wanted::MODINFO, &Limits::default())?;
        let elf = file.elf()?;
        let mut out: Vec<InfoEntry> = elf
            .modinfo()?
            .map(|e| InfoEntry::new(e.key, e.value))
            .collect();
        if let Some(sig) = file.signature() {
            out.push(InfoEntry::new(b"sig_id", sig.id_type.as_bytes()));
            out.push(InfoEntry::new(b"signer", &sig.signer));
            out.push(InfoEntry::hex(b"sig_key", &sig.key_id));
            out.push(InfoEntry::new(b"sig_hashalgo", sig.hash_algo.as_bytes()));
            out.push(InfoEntry::hex(b"signature", &sig.signature));
        }
        Ok(out)
    }
}

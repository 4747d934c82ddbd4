//! Copies of a module with what `--force` removes: vermagic blanked in
//! `.modinfo`, `__versions` no longer loaded (SHF_ALLOC cleared).

use crate::elf::Elf;
use crate::error::{Error, Result};

impl<'a> Elf<'a> {
    /// A copy of the file with the named section's SHF_ALLOC flag cleared, so
    /// the kernel does not load it.
    pub fn strip_section(&self, name: &'static str) -> Result<Vec<u8>> {
        let mut out = self.data().to_vec();
        self.strip_section_into(&mut out, name)?;
        Ok(out)
    }

    fn strip_section_into(&self, out: &mut [u8], name: &'static str) -> Result<()> {
        let sec = self.find(name).ok_or(Error::NoSection(name))?;
        let (flags_at, width) = match self.class() {
            crate::Class::Elf32 => (sec.header_off + 8, 4),
            crate::Class::Elf64 => (sec.header_off + 8, 8),
        };
        let flags = sec.flags & !0x2;
        write_uint(out, flags_at as usize, width, flags, self.is_big_endian());
        Ok(())
    }

    /// A copy of the file with its vermagic string overwritten by NULs.
    pub fn strip_vermagic(&self) -> Result<Vec<u8>> {
        let mut out = self.data().to_vec();
        self.strip_vermagic_into(&mut out)?;
        Ok(out)
    }

    fn strip_vermagic_into(&self, out: &mut [u8]) -> Result<()> {
        let sec = self.find(".modinfo").ok_or(Error::NoSection(".modinfo"))?;
        let base = sec.offset as usize;
        let info = self.slice(sec);
        let mut at = 0;
        for s in info.split(|&b| b == 0) {
            if s.starts_with(b"vermagic=") {
                out[base + at..base + at + s.len()].fill(0);
                return Ok(());
            }
            at += s.len() + 1;
        }
        Err(Error::NoSection("vermagic"))
    }

    /// What `--force` loads: vermagic blanked and `__versions` unloaded,
    /// each only where present.
    pub fn strip_for_force(&self) -> Vec<u8> {
        let mut out = self.data().to_vec();
        let _ = self.strip_vermagic_into(&mut out);
        let _ = self.strip_section_into(&mut out, "__versions");
        out
    }
}

fn write_uint(out: &mut [u8], at: usize, width: usize, mut value: u64, big: bool) {
    let Some(bytes) = out.get_mut(at..at + width) else {
        return;
    };
    for i in 0..width {
        let idx = if big { width - 1 - i } else { i };
        bytes[idx] = (value & 0xff) as u8;
        value >>= 8;
    }
}

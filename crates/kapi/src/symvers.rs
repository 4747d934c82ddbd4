//! The kernel's export table, from `Module.symvers` of the headers:
//! which names vmlinux exports, GPL-only or not, with their CRCs. kapi
//! serves exactly the names it implements from this table, so a module
//! that imports anything else fails to load as in the real kernel, and a
//! GPL-only export is refused to a non-GPL module.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Error;

/// One exported name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    /// The modversions CRC.
    pub crc: u32,
    /// `EXPORT_SYMBOL_GPL`.
    pub gpl_only: bool,
}

/// vmlinux's exports.
#[derive(Debug, Clone, Default)]
pub struct Symvers {
    exports: HashMap<String, Export>,
}

impl Symvers {
    /// Read `<headers>/Module.symvers`.
    pub fn read(headers: &Path) -> Result<Symvers, Error> {
        let path = headers.join("Module.symvers");
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        Ok(Symvers::parse(&text))
    }

    /// Parse the text: `0xCRC<TAB>name<TAB>module<TAB>EXPORT_SYMBOL[_GPL]…`;
    /// only vmlinux's lines count, malformed ones are skipped.
    pub fn parse(text: &[u8]) -> Symvers {
        let mut exports = HashMap::new();
        for line in text.split(|&b| b == b'\n') {
            let mut f = line.split(|&b| b == b'\t');
            let (Some(crc), Some(name), Some(module), Some(kind)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            if module != b"vmlinux" {
                continue;
            }
            let (Ok(crc), Ok(name)) = (std::str::from_utf8(crc), std::str::from_utf8(name)) else {
                continue;
            };
            let Ok(crc) = u32::from_str_radix(crc.trim_start_matches("0x"), 16) else {
                continue;
            };
            exports.insert(
                name.to_string(),
                Export {
                    crc,
                    gpl_only: kind == b"EXPORT_SYMBOL_GPL",
                },
            );
        }
        Symvers { exports }
    }

    /// The export `name`, if vmlinux has it.
    pub fn get(&self, name: &str) -> Option<Export> {
        self.exports.get(name).copied()
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.exports.len()
    }

    /// No names at all.
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_vmlinux_lines_count() {
        let s = Symvers::parse(
            b"0x1234abcd\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n\
              0x00000001\tkthread_stop\tvmlinux\tEXPORT_SYMBOL_GPL\t\n\
              0x00000002\tsquare\textra/square\tEXPORT_SYMBOL\t\n\
              garbage\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(
            s.get("_printk"),
            Some(Export {
                crc: 0x1234abcd,
                gpl_only: false
            })
        );
        assert!(s.get("kthread_stop").unwrap().gpl_only);
        assert!(s.get("square").is_none());
    }
}

//! A small writer of ELF64 little-endian relocatable objects, to craft
//! valid and malformed inputs byte by byte.

#![allow(dead_code)]

pub const SHT_PROGBITS: u32 = 1;
pub const SHT_NOBITS: u32 = 8;
pub const SHF_WRITE: u64 = 1;
pub const SHF_ALLOC: u64 = 2;
pub const SHF_EXECINSTR: u64 = 4;
pub const TEXT: u64 = SHF_ALLOC | SHF_EXECINSTR;
pub const DATA: u64 = SHF_ALLOC | SHF_WRITE;
pub const RODATA: u64 = SHF_ALLOC;

#[derive(Clone)]
pub struct Sec {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub data: Vec<u8>,
    /// sh_size when not the data's length (NOBITS, or a lie).
    pub size: Option<u64>,
    pub align: u64,
    pub relocs: Vec<Rela>,
}

#[derive(Clone, Copy)]
pub struct Rela {
    pub offset: u64,
    /// Index in the symbol table (1 = the first symbol added).
    pub sym: u32,
    pub r_type: u32,
    pub addend: i64,
}

#[derive(Clone)]
pub struct Sym {
    pub name: String,
    pub value: u64,
    pub size: u64,
    /// bind << 4 | type.
    pub info: u8,
    pub shndx: u16,
}

pub const GLOBAL_NOTYPE: u8 = 0x10;
pub const GLOBAL_FUNC: u8 = 0x12;
pub const GLOBAL_OBJECT: u8 = 0x11;
pub const WEAK_NOTYPE: u8 = 0x20;
pub const LOCAL_SECTION: u8 = 0x03;

pub struct Builder {
    pub e_type: u16,
    pub machine: u16,
    pub sections: Vec<Sec>,
    pub symbols: Vec<Sym>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            e_type: 1,
            machine: 62,
            sections: Vec::new(),
            symbols: Vec::new(),
        }
    }
}

impl Builder {
    /// Add a section; returns its index in the header table.
    pub fn section(&mut self, name: &str, flags: u64, data: &[u8], align: u64) -> u16 {
        self.sections.push(Sec {
            name: name.into(),
            sh_type: SHT_PROGBITS,
            flags,
            data: data.to_vec(),
            size: None,
            align,
            relocs: Vec::new(),
        });
        self.sections.len() as u16
    }

    pub fn bss(&mut self, name: &str, size: u64, align: u64) -> u16 {
        self.sections.push(Sec {
            name: name.into(),
            sh_type: SHT_NOBITS,
            flags: DATA,
            data: Vec::new(),
            size: Some(size),
            align,
            relocs: Vec::new(),
        });
        self.sections.len() as u16
    }

    /// Add a symbol; returns its symbol-table index.
    pub fn symbol(&mut self, name: &str, shndx: u16, value: u64, info: u8) -> u32 {
        self.symbols.push(Sym {
            name: name.into(),
            value,
            size: 0,
            info,
            shndx,
        });
        self.symbols.len() as u32
    }

    pub fn undefined(&mut self, name: &str) -> u32 {
        self.symbol(name, 0, 0, GLOBAL_NOTYPE)
    }

    pub fn reloc(&mut self, section: u16, offset: u64, sym: u32, r_type: u32, addend: i64) {
        self.sections[section as usize - 1].relocs.push(Rela {
            offset,
            sym,
            r_type,
            addend,
        });
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        let mut shstr = vec![0u8];
        let name = |shstr: &mut Vec<u8>, n: &str| {
            let at = shstr.len() as u32;
            shstr.extend_from_slice(n.as_bytes());
            shstr.push(0);
            at
        };
        // Headers: (name, type, flags, offset, size, link, info, align, entsize).
        let mut headers: Vec<[u64; 9]> = vec![[0; 9]];
        let nuser = self.sections.len();
        let nrela = self
            .sections
            .iter()
            .filter(|s| !s.relocs.is_empty())
            .count();
        let symtab_index = (1 + nuser + nrela) as u64;
        for s in &self.sections {
            let off = out.len() as u64;
            out.extend_from_slice(&s.data);
            let size = s.size.unwrap_or(s.data.len() as u64);
            headers.push([
                u64::from(name(&mut shstr, &s.name)),
                u64::from(s.sh_type),
                s.flags,
                off,
                size,
                0,
                0,
                s.align,
                0,
            ]);
        }
        for (i, s) in self.sections.iter().enumerate() {
            if s.relocs.is_empty() {
                continue;
            }
            let off = out.len() as u64;
            for r in &s.relocs {
                out.extend_from_slice(&r.offset.to_le_bytes());
                let info = (u64::from(r.sym) << 32) | u64::from(r.r_type);
                out.extend_from_slice(&info.to_le_bytes());
                out.extend_from_slice(&r.addend.to_le_bytes());
            }
            headers.push([
                u64::from(name(&mut shstr, &format!(".rela{}", s.name))),
                4,
                0x40,
                off,
                (s.relocs.len() * 24) as u64,
                symtab_index,
                (i + 1) as u64,
                8,
                24,
            ]);
        }
        let mut strtab = vec![0u8];
        let symoff = out.len() as u64;
        out.extend_from_slice(&[0u8; 24]);
        for s in &self.symbols {
            let n = strtab.len() as u32;
            strtab.extend_from_slice(s.name.as_bytes());
            strtab.push(0);
            out.extend_from_slice(&n.to_le_bytes());
            out.push(s.info);
            out.push(0);
            out.extend_from_slice(&s.shndx.to_le_bytes());
            out.extend_from_slice(&s.value.to_le_bytes());
            out.extend_from_slice(&s.size.to_le_bytes());
        }
        headers.push([
            u64::from(name(&mut shstr, ".symtab")),
            2,
            0,
            symoff,
            ((self.symbols.len() + 1) * 24) as u64,
            symtab_index + 1,
            1,
            8,
            24,
        ]);
        let stroff = out.len() as u64;
        out.extend_from_slice(&strtab);
        headers.push([
            u64::from(name(&mut shstr, ".strtab")),
            3,
            0,
            stroff,
            strtab.len() as u64,
            0,
            0,
            1,
            0,
        ]);
        let shstrndx = headers.len();
        let shname = name(&mut shstr, ".shstrtab");
        let shstroff = out.len() as u64;
        out.extend_from_slice(&shstr);
        headers.push([
            u64::from(shname),
            3,
            0,
            shstroff,
            shstr.len() as u64,
            0,
            0,
            1,
            0,
        ]);
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        for h in &headers {
            out.extend_from_slice(&(h[0] as u32).to_le_bytes());
            out.extend_from_slice(&(h[1] as u32).to_le_bytes());
            out.extend_from_slice(&h[2].to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes());
            out.extend_from_slice(&h[3].to_le_bytes());
            out.extend_from_slice(&h[4].to_le_bytes());
            out.extend_from_slice(&(h[5] as u32).to_le_bytes());
            out.extend_from_slice(&(h[6] as u32).to_le_bytes());
            out.extend_from_slice(&h[7].to_le_bytes());
            out.extend_from_slice(&h[8].to_le_bytes());
        }
        out[..16].copy_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        out[16..18].copy_from_slice(&self.e_type.to_le_bytes());
        out[18..20].copy_from_slice(&self.machine.to_le_bytes());
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[40..48].copy_from_slice(&shoff.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes());
        out[58..60].copy_from_slice(&64u16.to_le_bytes());
        out[60..62].copy_from_slice(&(headers.len() as u16).to_le_bytes());
        out[62..64].copy_from_slice(&(shstrndx as u16).to_le_bytes());
        out
    }
}

/// Offset of section header `index` in a built object.
pub fn shdr(bytes: &[u8], index: usize) -> usize {
    let shoff = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
    shoff + index * 64
}

/// Lay out `b`'s object and relocate it at `base`, binding `imports` by
/// name (any other import is unknown).
pub fn relocate_at(
    b: &Builder,
    base: u64,
    imports: &[(&str, u64)],
) -> Result<modload::Image, modload::Error> {
    let bytes = b.build();
    let obj = modload::parse(&bytes)?;
    let lay = modload::layout(&obj, &mut modload::LayoutOptions::new())?;
    modload::relocate(&obj, &lay, base, &mut |n: &str| {
        imports.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)
    })
}

/// The bytes of section `name` of a relocated image.
pub fn bytes_of<'a>(image: &'a modload::Image, name: &str) -> &'a [u8] {
    image.section_bytes(image.section(name).unwrap()).unwrap()
}

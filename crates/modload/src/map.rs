//! Executable load: map the image in the low 2 GiB of this process (modules
//! are built `-mcmodel=kernel`: their 32-bit sign-extended addresses must
//! reach the image), copy and relocate it, then protect each group: text
//! and PLT read-execute, rodata and GOT read-only, data and bss
//! read-write. The mapping is removed on drop.

use std::io;

use crate::error::{Error, Result};
use crate::image::{Image, PlacedSection};
use crate::layout::{self, LayoutOptions, Protection, PAGE_SIZE};
use crate::parse::Object;
use crate::relocate::relocate;
use crate::symbols::Resolver;

/// Addresses below this are reachable as sign-extended 32-bit values.
const LOW_LIMIT: u64 = 1 << 31;

/// The host's `e_machine`, when the loader can execute its objects.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
const HOST_MACHINE: Option<u16> = Some(object::elf::EM_X86_64);
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
const HOST_MACHINE: Option<u16> = None;

/// An anonymous mapping, unmapped on drop.
struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly what mmap returned; nothing refers to
        // the mapping once its owner is dropped.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

impl Mapping {
    /// `len` bytes read-write below 2 GiB: MAP_32BIT first, then hinted
    /// addresses (MAP_32BIT's window is only 1 GiB wide).
    fn low(len: usize) -> io::Result<Mapping> {
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        let mut last = io::Error::from_raw_os_error(libc::ENOMEM);
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: an anonymous mapping at an address of the kernel's choice.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    prot,
                    flags | libc::MAP_32BIT,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                last = io::Error::last_os_error();
            } else {
                let m = Mapping { ptr: p, len };
                if (p as u64).saturating_add(len as u64) <= LOW_LIMIT {
                    return Ok(m);
                }
            }
        }
        let mut hint = 0x1000_0000u64;
        while hint.saturating_add(len as u64) <= LOW_LIMIT {
            // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
            let p = unsafe {
                libc::mmap(
                    hint as *mut _,
                    len,
                    prot,
                    flags | libc::MAP_FIXED_NOREPLACE,
                    -1,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                let m = Mapping { ptr: p, len };
                if p as u64 == hint {
                    return Ok(m);
                }
            } else {
                last = io::Error::last_os_error();
            }
            hint += 0x1000_0000;
        }
        Err(last)
    }
}

/// A module mapped and relocated in this process.
pub struct LoadedModule {
    map: Mapping,
    base: u64,
    image: Image,
}

// SAFETY: the mapping is owned; after load it is only read through the
// addresses handed out, which callers use under their own `unsafe`.
unsafe impl Send for LoadedModule {}
unsafe impl Sync for LoadedModule {}

impl std::fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModule")
            .field("base", &format_args!("{:#x}", self.base))
            .field("mapped", &self.map.len)
            .finish()
    }
}

impl LoadedModule {
    /// The image's base address.
    pub fn base(&self) -> u64 {
        self.base
    }
    /// The map of the image: sections and symbols with their addresses
    /// (its bytes live in the mapping, not in [`Image::bytes`]).
    pub fn image(&self) -> &Image {
        &self.image
    }
    /// The address of a symbol the module defines.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.image.symbol(name).map(|s| s.address)
    }
    /// A placed section by name.
    pub fn section(&self, name: &str) -> Option<&PlacedSection> {
        self.image.section(name)
    }
}

fn prot_bits(p: Protection) -> libc::c_int {
    match p {
        Protection::ReadExec => libc::PROT_READ | libc::PROT_EXEC,
        Protection::Read => libc::PROT_READ,
        Protection::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
    }
}

/// Lay out, map below 2 GiB, relocate and protect `obj` in this process.
/// Calling into it is the caller's `unsafe` business.
pub fn load_executable(
    obj: &Object<'_>,
    opts: &mut LayoutOptions<'_>,
    resolver: &mut dyn Resolver,
) -> Result<LoadedModule> {
    if HOST_MACHINE != Some(obj.machine()) {
        return Err(Error::HostMismatch {
            machine: obj.machine(),
        });
    }
    let layout = layout::layout(obj, opts)?;
    let align = layout.align();
    let pages = layout.size().max(1).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let len = pages + (align - PAGE_SIZE.min(align));
    let map = Mapping::low(len as usize).map_err(|source| Error::Map { size: len, source })?;
    let base = (map.ptr as u64).div_ceil(align) * align;
    let mut image = relocate(obj, &layout, base, resolver)?;
    let bytes = image.take_bytes();
    // SAFETY: [base, base + bytes.len()) lies inside the read-write mapping.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), base as *mut u8, bytes.len());
    }
    drop(bytes);
    for seg in layout.segments() {
        let start = base + seg.offset;
        let len = (seg.size.max(1)).div_ceil(PAGE_SIZE) * PAGE_SIZE;
        // SAFETY: a page-aligned range of our own mapping.
        let rc = unsafe {
            libc::mprotect(
                start as *mut libc::c_void,
                len as usize,
                prot_bits(seg.kind.protection()),
            )
        };
        if rc != 0 {
            return Err(Error::Map {
                size: len,
                source: io::Error::last_os_error(),
            });
        }
    }
    Ok(LoadedModule { map, base, image })
}

//! Per-CPU data. Kernel code reaches per-CPU variables (`current`, the
//! preemption count, the stack canary at `%gs:40`) through `%gs`; in the
//! sim every host thread that runs kernel code is a CPU of its own, with
//! its own copy of the per-CPU template and `%gs` pointing at it. The
//! template is kapi's per-CPU sections (`.data..percpu..first` at offset
//! 0, as the kernel links it) followed by each module's `.data..percpu`;
//! a module's section is copied into every existing CPU when it loads.

use std::sync::Mutex;

use modload::ExternalSection;

/// Bytes of one CPU's area; the template never grows past it.
pub const AREA_SIZE: usize = 64 << 10;

const ARCH_SET_GS: libc::c_int = 0x1001;

struct Inner {
    template: Vec<u8>,
    /// Live areas (their addresses).
    areas: Vec<usize>,
}

/// The template and the areas made from it.
pub(crate) struct PerCpu {
    inner: Mutex<Inner>,
}

impl PerCpu {
    pub fn new() -> PerCpu {
        PerCpu {
            inner: Mutex::new(Inner {
                template: Vec::new(),
                areas: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Size the empty template for sections placed later at fixed offsets.
    pub fn reserve(&self, size: u64) -> bool {
        let mut g = self.lock();
        let Ok(size) = usize::try_from(size) else {
            return false;
        };
        if size > AREA_SIZE || !g.template.is_empty() {
            return false;
        }
        g.template.resize(size, 0);
        true
    }

    /// Copy `sec` in at `offset`, into the template and every area.
    fn fill(g: &mut Inner, offset: usize, sec: &ExternalSection<'_>) -> Option<u64> {
        let size = usize::try_from(sec.size).ok()?;
        let end = offset.checked_add(size)?;
        if end > AREA_SIZE {
            return None;
        }
        if g.template.len() < end {
            g.template.resize(end, 0);
        }
        let init = &sec.init[..sec.init.len().min(size)];
        g.template[offset..offset + init.len()].copy_from_slice(init);
        for &a in &g.areas {
            // SAFETY: each area is AREA_SIZE bytes, owned by this table
            // until it is detached; end <= AREA_SIZE.
            unsafe {
                let dst = (a as *mut u8).add(offset);
                std::ptr::write_bytes(dst, 0, size);
                std::ptr::copy_nonoverlapping(init.as_ptr(), dst, init.len());
            }
        }
        Some(offset as u64)
    }

    /// Place a section at the offset reserved for it.
    pub fn place_at(&self, offset: usize, sec: &ExternalSection<'_>) -> Option<u64> {
        Self::fill(&mut self.lock(), offset, sec)
    }

    /// Place a section after what the template holds.
    pub fn append(&self, sec: &ExternalSection<'_>) -> Option<u64> {
        let mut g = self.lock();
        let align = usize::try_from(sec.align.max(1)).ok()?;
        let offset = g.template.len().checked_add(align - 1)? & !(align - 1);
        Self::fill(&mut g, offset, sec)
    }

    /// Give the calling thread an area and point `%gs` at it; its address.
    pub fn attach(&self) -> Option<usize> {
        let mut g = self.lock();
        let mut p: *mut libc::c_void = std::ptr::null_mut();
        // SAFETY: posix_memalign with a power-of-two alignment and a size.
        if unsafe { libc::posix_memalign(&mut p, 4096, AREA_SIZE) } != 0 {
            return None;
        }
        let base = p as usize;
        // SAFETY: a fresh AREA_SIZE allocation; the template is no larger.
        unsafe {
            std::ptr::write_bytes(p.cast::<u8>(), 0, AREA_SIZE);
            std::ptr::copy_nonoverlapping(g.template.as_ptr(), p.cast(), g.template.len());
        }
        // SAFETY: arch_prctl(ARCH_SET_GS) only changes this thread's %gs
        // base; nothing in the host's own code uses %gs.
        let r = unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, base) };
        if r != 0 {
            // SAFETY: allocated above, not shared yet.
            unsafe { libc::free(p) };
            return None;
        }
        g.areas.push(base);
        Some(base)
    }

    /// The calling thread is done with its area.
    pub fn detach(&self, base: usize) {
        let mut g = self.lock();
        g.areas.retain(|&a| a != base);
        // SAFETY: clear %gs first so nothing can reach the area afterwards.
        unsafe {
            libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, 0usize);
            libc::free(base as *mut libc::c_void);
        }
    }
}

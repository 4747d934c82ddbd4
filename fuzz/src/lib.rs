//! What every rkmod fuzz target shares: a heap with a ceiling, the
//! self-test inputs that prove a run can fail, and small helpers.
//!
//! Memory: libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks,
//! which a stable toolchain does not have. So the targets allocate through
//! [`CappedAlloc`]: one allocation above [`MAX_ALLOCATION`] or a live Rust
//! heap above [`MAX_LIVE`] aborts the process with "rkmod-fuzz: memory
//! allocation of N bytes refused" and libFuzzer records the input as a
//! crash — even where the caller would have handled the failure
//! (`try_reserve`, `read_to_end`): for inputs of a few KB, wanting that
//! much memory is the finding. Memory the C libraries allocate (liblzma,
//! libzstd) is bounded by `-rss_limit_mb` (scripts/fuzz.sh passes it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Largest single allocation a target may make.
pub const MAX_ALLOCATION: usize = 256 << 20;
/// Largest live Rust heap a target may hold.
pub const MAX_LIVE: usize = 512 << 20;

/// The system allocator with a ceiling; see the crate documentation.
pub struct CappedAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);

impl CappedAlloc {
    /// Count `size` more bytes, or abort when that passes a limit.
    fn admit(size: usize) {
        if size > MAX_ALLOCATION {
            refuse(size);
        }
        let before = LIVE.fetch_add(size, Ordering::Relaxed);
        if before + size > MAX_LIVE {
            refuse(size);
        }
    }

    fn release(size: usize) {
        LIVE.fetch_sub(size, Ordering::Relaxed);
    }
}

extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

/// Say why and abort, without allocating.
fn refuse(size: usize) -> ! {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = size;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let parts: [&[u8]; 3] = [
        b"rkmod-fuzz: memory allocation of ",
        &digits[at..],
        b" bytes refused (over the fuzz heap limit)\n",
    ];
    for part in parts {
        // SAFETY: a valid buffer and its length; a failed write changes nothing.
        unsafe { write(2, part.as_ptr(), part.len()) };
    }
    std::process::abort()
}

// SAFETY: every call is forwarded to `System` unchanged; refusing an
// allocation by returning null is what the `GlobalAlloc` contract allows.
unsafe impl GlobalAlloc for CappedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::admit(layout.size());
        let p = System.alloc(layout);
        if p.is_null() {
            Self::release(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::admit(layout.size());
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            Self::release(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        Self::release(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        let grows = new_size.saturating_sub(old);
        if new_size > MAX_ALLOCATION {
            refuse(new_size);
        }
        Self::admit(grows);
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            Self::release(grows);
        } else {
            Self::release(old.saturating_sub(new_size));
        }
        p
    }
}

/// Declare the capped allocator as the global one (once per target).
#[macro_export]
macro_rules! capped_heap {
    () => {
        #[global_allocator]
        static ALLOC: $crate::CappedAlloc = $crate::CappedAlloc;
    };
}

/// Prefix of the self-test inputs.
pub const SELFTEST_PREFIX: &[u8] = b"rkmod-fuzz-selftest:";

/// With `RKMOD_FUZZ_SELFTEST=1` in the environment, the inputs
/// `rkmod-fuzz-selftest:panic`, `:hang` and `:oom` make the target panic,
/// spin forever or allocate past the ceiling, so that `make fuzz-smoke` can
/// check that a finding of each kind fails the run. Without the variable
/// they are ordinary inputs.
pub fn selftest(data: &[u8]) {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    let Some(what) = data.strip_prefix(SELFTEST_PREFIX) else {
        return;
    };
    if !*ENABLED.get_or_init(|| std::env::var_os("RKMOD_FUZZ_SELFTEST").is_some_and(|v| v == "1")) {
        return;
    }
    match what {
        b"panic" => panic!("rkmod fuzz self-test: deliberate panic"),
        b"hang" => loop {
            std::hint::spin_loop();
        },
        b"oom" => {
            let v = vec![1u8; MAX_ALLOCATION + 1];
            std::hint::black_box(v);
        }
        _ => {}
    }
}

/// Split `data` at the first occurrence of `sep`: `(before, Some(after))`,
/// or `(data, None)` when it does not occur.
pub fn split_once<'a>(data: &'a [u8], sep: &[u8]) -> (&'a [u8], Option<&'a [u8]>) {
    // Not `windows().position()`: libFuzzer intercepts every memcmp, and
    // one per byte of input costs more than the parsers.
    let Some((&first, _)) = sep.split_first() else {
        return (data, None);
    };
    let mut from = 0;
    while let Some(i) = data[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if data[at..].starts_with(sep) {
            return (&data[..at], Some(&data[at + sep.len()..]));
        }
        from = at + 1;
    }
    (data, None)
}

/// `data` with a right trailer for rkmod's checksummed files (the cache,
/// the replay record: CRC-32 of the body, then `END\n`), replacing the one
/// it has, so that mutations reach the parser behind the checksum.
pub fn with_crc_trailer(data: &[u8]) -> Vec<u8> {
    let body = match data.len().checked_sub(8) {
        Some(n) if data.ends_with(b"END\n") => &data[..n],
        _ => data,
    };
    let mut fixed = body.to_vec();
    fixed.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    fixed.extend_from_slice(b"END\n");
    fixed
}

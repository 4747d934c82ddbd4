//! How much memory decompressing modules may take.
//!
//! A compressed module is expanded in memory, as kmod expands it. Its
//! compressed size says nothing about its expanded size: 132 KB of zstd
//! can hold 4 GiB of zeros. So the expanded image is refused once it passes
//! [`MAX_DECOMPRESSED`], and the buffer grows only as data actually arrives.
//!
//! Why 1 GiB: the kernel itself never loads a module of 2 GiB or more —
//! `finit_module` reads at most `INT_MAX` bytes of a file, and its in-kernel
//! zstd decompressor returns the expanded size in an `int` — and on x86-64
//! the whole module area is 1.5 GiB. The largest module in Debian's trees,
//! `amdgpu.ko`, is 19 MB expanded in 6.1 and 29 MB in 6.12; kernels built
//! with debug info and compressed modules stay in the hundreds of
//! megabytes. 1 GiB is 35 times the first and keeps a margin over the
//! second, while an expansion bomb costs a bounded 1 GiB (kmod takes all
//! it can get: 4.2 GB for 4 GiB of zeros). Plain files are mapped, not
//! read, and have no such limit.
//!
//! Programs that decompress several modules at once (depmod reads a tree in
//! parallel) share one [`MemoryBudget`]: every expanded image in flight is
//! accounted against it, so the total never exceeds the budget, whatever
//! the number of threads.

use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// The largest expanded size of a compressed module: 1 GiB (see the
/// module documentation for why).
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// `RKMOD_MAX_DECOMPRESSED=BYTES` lowers the limit for a process (for small
/// machines, and for tests that need a bomb to go off cheaply); a value
/// above [`MAX_DECOMPRESSED`], or one that is not a number, is ignored.
pub const LIMIT_ENV: &str = "RKMOD_MAX_DECOMPRESSED";

/// What decompression may use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Refuse a compressed module whose contents exceed this many bytes.
    pub max_decompressed: u64,
    /// Account every expanded image against this budget while it lives.
    pub budget: Option<MemoryBudget>,
}

impl Default for Limits {
    /// [`MAX_DECOMPRESSED`] (or the lower `RKMOD_MAX_DECOMPRESSED`), no budget.
    fn default() -> Limits {
        Limits {
            max_decompressed: default_max(),
            budget: None,
        }
    }
}

impl Limits {
    /// The default limit, with images accounted against `budget`.
    pub fn with_budget(budget: MemoryBudget) -> Limits {
        Limits {
            budget: Some(budget),
            ..Limits::default()
        }
    }
}

fn default_max() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var(LIMIT_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(MAX_DECOMPRESSED, |v| v.min(MAX_DECOMPRESSED))
    })
}

/// Bytes that expanded images may hold at once, shared between threads.
///
/// An image reserves its room before it grows into it; a reservation that
/// does not fit waits until enough is released. Requests are served in
/// arrival order, so a large one is not starved by a stream of small ones.
/// Nobody waits while holding a reservation (a decompression that outgrows
/// its reservation gives it back, with what it expanded, before asking for
/// more), so waiting never deadlocks.
#[derive(Debug, Clone)]
pub struct MemoryBudget(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    total: u64,
    ledger: Mutex<Ledger>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Ledger {
    in_use: u64,
    next_ticket: u64,
    serving: u64,
}

impl MemoryBudget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> MemoryBudget {
        MemoryBudget(Arc::new(Shared {
            total: total.max(1),
            ledger: Mutex::new(Ledger::default()),
            changed: Condvar::new(),
        }))
    }

    /// The budget's size.
    pub fn total(&self) -> u64 {
        self.0.total
    }

    /// Bytes reserved right now.
    pub fn in_use(&self) -> u64 {
        self.lock().in_use
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A panic while holding the lock leaves consistent numbers behind.
        self.0.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserve `bytes` (at most the whole budget), waiting for room.
    pub(crate) fn reserve(&self, bytes: u64) -> Reservation {
        let bytes = bytes.min(self.0.total);
        let mut ledger = self.lock();
        let ticket = ledger.next_ticket;
        ledger.next_ticket += 1;
        while ledger.serving != ticket || ledger.in_use + bytes > self.0.total {
            ledger = self
                .0
                .changed
                .wait(ledger)
                .unwrap_or_else(|p| p.into_inner());
        }
        ledger.in_use += bytes;
        ledger.serving += 1;
        drop(ledger);
        self.0.changed.notify_all();
        Reservation {
            budget: self.clone(),
            bytes,
        }
    }
}

/// Room reserved in a [`MemoryBudget`]; given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: MemoryBudget,
    bytes: u64,
}

impl Reservation {
    /// Give back what is reserved beyond `bytes`.
    pub(crate) fn shrink_to(&mut self, bytes: u64) {
        if bytes < self.bytes {
            self.budget.lock().in_use -= self.bytes - bytes;
            self.bytes = bytes;
            self.budget.0.changed.notify_all();
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.shrink_to(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn reservations_never_exceed_the_budget() {
        let budget = MemoryBudget::new(100);
        let peak = Arc::new(Mutex::new(0u64));
        std::thread::scope(|s| {
            for i in 0..8u64 {
                let (budget, peak) = (budget.clone(), peak.clone());
                s.spawn(move || {
                    for _ in 0..50 {
                        let r = budget.reserve(10 + i * 10);
                        let now = budget.in_use();
                        let mut p = peak.lock().unwrap();
                        *p = (*p).max(now);
                        drop(p);
                        std::thread::sleep(Duration::from_micros(50));
                        drop(r);
                    }
                });
            }
        });
        assert!(*peak.lock().unwrap() <= 100);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn a_whole_budget_request_is_served_after_the_others() {
        let budget = MemoryBudget::new(10);
        let small = budget.reserve(3);
        let b = budget.clone();
        let big = std::thread::spawn(move || {
            let _held = b.reserve(1000); // clamped to the whole budget
            b.in_use()
        });
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(budget.in_use(), 3, "the big request waits");
        drop(small);
        assert_eq!(big.join().unwrap(), 10);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn shrinking_gives_back_the_rest() {
        let budget = MemoryBudget::new(10);
        let mut r = budget.reserve(8);
        r.shrink_to(2);
        assert_eq!(budget.in_use(), 2);
        drop(r);
        assert_eq!(budget.in_use(), 0);
    }
}

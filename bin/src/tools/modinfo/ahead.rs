//! Work out many items on several threads, a bounded window ahead of the
//! one thread that consumes them in order: what is printed, and in which
//! order, is the same as one by one; memory stays bounded by the window.

use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::Result as Outcome;

/// How far work may run ahead of the consumer: enough to keep every
/// thread busy past a slow item, few enough that results stay small.
const WINDOW: usize = 32;
/// Threads beyond the caller's, at most.
const MAX_HELPERS: usize = 7;

/// The helper threads worth starting here (none on one CPU).
pub(super) fn helpers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .min(MAX_HELPERS)
}

struct State<T> {
    /// The first item nobody has claimed.
    next: usize,
    /// Items consumed so far: `slots[0]` is item `consumed`.
    consumed: usize,
    /// Claimed items not yet consumed, done or not.
    slots: VecDeque<Option<Outcome<T>>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    changed: Condvar,
    count: usize,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claim the next item if the window allows.
    fn claim(&self, st: &mut State<T>) -> Option<usize> {
        let i = st.next;
        if i >= self.count || i >= st.consumed + WINDOW {
            return None;
        }
        st.next += 1;
        st.slots.push_back(None);
        Some(i)
    }

    fn run(&self, i: usize, work: &(impl Fn(usize) -> T + Sync)) {
        let done = attempt(i, work);
        let mut st = self.lock();
        // Unless the consumer, tired of waiting, did the item itself.
        if let Some(at) = i.checked_sub(st.consumed) {
            st.slots[at] = Some(done);
        }
        self.changed.notify_all();
    }
}

/// `work(i)`, a panic kept for the consumer (which would otherwise wait
/// for this item forever).
fn attempt<T>(i: usize, work: &(impl Fn(usize) -> T + Sync)) -> Outcome<T> {
    catch_unwind(AssertUnwindSafe(|| work(i)))
}

/// Consume the first item, done or not.
fn take_front<T>(shared: &Shared<T>, mut st: MutexGuard<'_, State<T>>) -> Option<Outcome<T>> {
    st.consumed += 1;
    shared.changed.notify_all();
    st.slots.pop_front().flatten()
}

/// Ends the helpers' loops: nothing more to claim.
struct Stop<'a, T>(&'a Shared<T>);

impl<T> Drop for Stop<'_, T> {
    fn drop(&mut self) {
        self.0.lock().next = usize::MAX;
        self.0.changed.notify_all();
    }
}

/// `work(i)` for every `i` in `0..count`, on `helpers` threads besides
/// this one, and `consume(i, result)` on this thread in order of `i`.
/// `work` may run more than once for an item: it must give the same
/// result each time, and have no other effect.
pub(super) fn in_order<T: Send>(
    count: usize,
    helpers: usize,
    work: impl Fn(usize) -> T + Sync,
    mut consume: impl FnMut(usize, T),
) {
    let shared = Shared {
        state: Mutex::new(State {
            next: 0,
            consumed: 0,
            slots: VecDeque::with_capacity(WINDOW),
        }),
        changed: Condvar::new(),
        count,
    };
    std::thread::scope(|scope| {
        for _ in 0..helpers {
            // A thread that cannot be had is no error: the consumer does
            // every item nobody claimed.
            let _ = std::thread::Builder::new().spawn_scoped(scope, || loop {
                let mut st = shared.lock();
                let i = loop {
                    if st.next >= count {
                        return;
                    }
                    if let Some(i) = shared.claim(&mut st) {
                        break i;
                    }
                    st = shared.changed.wait(st).unwrap_or_else(|p| p.into_inner());
                };
                drop(st);
                shared.run(i, &work);
            });
        }
        // However this thread leaves (a panic too), the helpers stop.
        let _stop = Stop(&shared);
        for i in 0..count {
            let done = loop {
                let mut st = shared.lock();
                if matches!(st.slots.front(), Some(Some(_))) {
                    break take_front(&shared, st);
                }
                // Rather than wait, work on what comes next.
                if let Some(j) = shared.claim(&mut st) {
                    drop(st);
                    shared.run(j, &work);
                    continue;
                }
                // Nothing left to claim and the first item still out: its
                // thread may not even be running on a busy machine, so do
                // it here too rather than wait (work must be repeatable).
                drop(st);
                let mine = attempt(i, &work);
                take_front(&shared, shared.lock());
                break Some(mine);
            };
            match done {
                Some(Ok(result)) => consume(i, result),
                Some(Err(panic)) => resume_unwind(panic),
                None => unreachable!("a done item has its result"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_with_any_number_of_threads() {
        for helpers in [0, 1, 3] {
            let mut seen = Vec::new();
            in_order(500, helpers, |i| i * 2, |i, r| seen.push((i, r)));
            let want: Vec<(usize, usize)> = (0..500).map(|i| (i, i * 2)).collect();
            assert_eq!(seen, want, "{helpers} helpers");
        }
    }

    #[test]
    fn work_stays_within_the_window() {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut consumed = 0;
        in_order(
            1000,
            2,
            |i| {
                let ahead = i - next.load(std::sync::atomic::Ordering::SeqCst);
                assert!(ahead <= WINDOW, "item {i} is {ahead} ahead");
            },
            |i, ()| {
                consumed += 1;
                next.store(i + 1, std::sync::atomic::Ordering::SeqCst);
            },
        );
        assert_eq!(consumed, 1000);
    }

    #[test]
    fn a_panic_reaches_the_consumer() {
        let r = catch_unwind(|| in_order(100, 1, |i| assert_ne!(i, 42), |_, ()| {}));
        assert!(r.is_err());
    }
}

//! The crate's one view of atomics: `core::sync::atomic` normally, loom's
//! instrumented atomics under `cfg(rearm_loom)`, so the model checker sees every access.
//! Nothing else in the crate names where an atomic type comes from.

#[cfg(not(rearm_loom))]
pub(crate) use core::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering, fence,
};
#[cfg(rearm_loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering, fence,
};

/// Counter cell: 64 bits wherever the target has 64-bit atomics, so a long soak
/// cannot wrap it; 32 bits (wrapping, documented on [`crate::Ledger`]) elsewhere.
#[cfg(all(not(rearm_loom), target_has_atomic = "64"))]
pub(crate) type AtomicCount = core::sync::atomic::AtomicU64;
#[cfg(all(not(rearm_loom), not(target_has_atomic = "64")))]
pub(crate) type AtomicCount = core::sync::atomic::AtomicU32;
#[cfg(rearm_loom)]
pub(crate) type AtomicCount = loom::sync::atomic::AtomicU64;

/// The integer an [`AtomicCount`] holds.
#[cfg(any(rearm_loom, target_has_atomic = "64"))]
pub(crate) type Count = u64;
#[cfg(all(not(rearm_loom), not(target_has_atomic = "64")))]
pub(crate) type Count = u32;

/// Adds one to a counter that only one thread writes: a load and a store, no
/// locked instruction. Relaxed: counters are read at quiescent points, which are
/// ordered by whatever made them quiescent.
pub(crate) fn bump_owned(counter: &AtomicCount) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

/// Adds one to a counter that several threads may write.
pub(crate) fn bump_shared(counter: &AtomicCount) {
    // Relaxed: a counter orders nothing; see `bump_owned`.
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A counter's value, as a `u64` whatever its width.
pub(crate) fn read(counter: &AtomicCount) -> u64 {
    // Widens on targets whose counters are 32 bits; a no-op elsewhere.
    let value: Count = counter.load(Ordering::Relaxed);
    #[allow(clippy::useless_conversion)]
    u64::from(value)
}

/// The futex-shaped word a loop parks on; see [`crate::park::Park`].
///
/// It is `core::sync::atomic::AtomicU32` in every normal build, so a parker can
/// hand it straight to `futex(2)`; under `cfg(rearm_loom)` it is loom's model of it.
///
/// # Examples
///
/// ```
/// use rearm_core::park::ParkWord;
/// use core::sync::atomic::Ordering;
///
/// let word = ParkWord::new(0);
/// word.store(1, Ordering::Release);
/// assert_eq!(word.load(Ordering::Acquire), 1);
/// ```
pub type ParkWord = AtomicU32;

#[cfg(rearm_loom)]
pub(crate) use loom::sync::Mutex;

/// One value a queue's cell holds, for code without `unsafe`: a lock that is
/// never contended (the queue's positions keep the ends apart) around an
/// `Option`. spin's mutex in normal builds, loom's under `cfg(rearm_loom)`,
/// so the models see the cell's accesses too.
pub(crate) struct ValueCell<T> {
    #[cfg(not(rearm_loom))]
    value: spin::mutex::SpinMutex<Option<T>>,
    #[cfg(rearm_loom)]
    value: Mutex<Option<T>>,
}

impl<T> ValueCell<T> {
    /// `N` empty cells.
    #[cfg(not(rearm_loom))]
    pub(crate) const fn array<const N: usize>() -> [Self; N] {
        [const {
            ValueCell {
                value: spin::mutex::SpinMutex::new(None),
            }
        }; N]
    }

    /// `N` empty cells.
    #[cfg(rearm_loom)]
    pub(crate) fn array<const N: usize>() -> [Self; N] {
        core::array::from_fn(|_| ValueCell {
            value: Mutex::new(None),
        })
    }

    /// One empty cell.
    #[cfg(not(rearm_loom))]
    pub(crate) const fn new() -> Self {
        ValueCell {
            value: spin::mutex::SpinMutex::new(None),
        }
    }

    /// One empty cell.
    #[cfg(rearm_loom)]
    pub(crate) fn new() -> Self {
        ValueCell {
            value: Mutex::new(None),
        }
    }

    /// Runs `change` on the cell's value, under its lock.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut Option<T>) -> R) -> R {
        change(&mut self.lock())
    }

    /// Puts `value` in the cell (which the caller knows is empty).
    pub(crate) fn put(&self, value: T) {
        *self.lock() = Some(value);
    }

    /// Takes the value out of the cell.
    pub(crate) fn take(&self) -> Option<T> {
        self.lock().take()
    }

    #[cfg(not(rearm_loom))]
    fn lock(&self) -> spin::mutex::SpinMutexGuard<'_, Option<T>> {
        self.value.lock()
    }

    #[cfg(rearm_loom)]
    fn lock(&self) -> loom::sync::MutexGuard<'_, Option<T>> {
        // A model's panic while the lock is held poisons it; the cell's value
        // is still whole (an Option put or taken in one step).
        match self.value.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}
#[cfg(all(feature = "std", rearm_loom))]
pub(crate) use loom::sync::{Condvar, MutexGuard};
#[cfg(all(feature = "std", rearm_loom))]
pub(crate) use loom::thread::yield_now;
#[cfg(feature = "std")]
pub(crate) use std::sync::PoisonError;
/// What [`crate::park::ThreadPark`] takes from std, the only place the crate names it
/// (and only with the `std` feature): the blocking primitives it sleeps on,
/// std's or loom's models of them, so the models see every lock, wait and
/// notification; its yield; its clock.
#[cfg(all(feature = "std", not(rearm_loom)))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
/// What [`crate::OwnedSlotHandle`] takes from std: the shared ownership of its loop
/// and the waker it becomes. Only the loop's atomics are modelled by loom, so
/// these are std's under every cfg.
#[cfg(feature = "std")]
pub(crate) use std::{
    sync::Arc,
    task::{Wake, Waker},
};
#[cfg(all(feature = "std", not(rearm_loom)))]
pub(crate) use std::{sync::OnceLock, thread::yield_now, time::Instant};

/// The longest a mailbox sender waiting for room sleeps before it looks
/// again by itself: a receive that takes values without emptying the mailbox
/// looks for waiting senders without a fence, and may not see one in time.
#[cfg(all(feature = "std", not(rearm_loom)))]
const ROOM_LOOK_EVERY: core::time::Duration = core::time::Duration::from_millis(1);

/// Sleeps on `made` until woken (spurious wakes included) or for
/// `ROOM_LOOK_EVERY`: a mailbox sender waiting for room, without a deadline.
#[cfg(all(feature = "std", not(rearm_loom)))]
pub(crate) fn wait<'a>(made: &'a Condvar, guard: MutexGuard<'a, ()>) -> MutexGuard<'a, ()> {
    // Poisoning carries no broken invariant: the lock guards no data.
    let (guard, _) = made
        .wait_timeout(guard, ROOM_LOOK_EVERY)
        .unwrap_or_else(PoisonError::into_inner);
    guard
}

/// Under loom, time does not pass: sleeps until woken. The models wake
/// waiting senders through the fenced path only.
#[cfg(all(feature = "std", rearm_loom))]
pub(crate) fn wait<'a>(made: &'a Condvar, guard: MutexGuard<'a, ()>) -> MutexGuard<'a, ()> {
    made.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps on `made` until woken, for at most `ROOM_LOOK_EVERY`, or until
/// `deadline`; `None` once it has passed: a mailbox sender waiting for room
/// for a while.
#[cfg(all(feature = "std", not(rearm_loom)))]
pub(crate) fn wait_until<'a>(
    made: &'a Condvar,
    guard: MutexGuard<'a, ()>,
    deadline: Instant,
) -> Option<MutexGuard<'a, ()>> {
    let left = deadline.checked_duration_since(Instant::now())?;
    let (guard, _) = made
        .wait_timeout(guard, left.min(ROOM_LOOK_EVERY))
        .unwrap_or_else(PoisonError::into_inner);
    Some(guard)
}

/// Defines a `const fn` in normal builds and a plain `fn` under
/// `cfg(rearm_loom)`, whose atomics cannot be made in a const context: one
/// body for both, so the loop the models check is built as the real one is.
macro_rules! const_fn_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(rearm_loom))]
        $(#[$attr])*
        $vis const fn $($rest)*

        #[cfg(rearm_loom)]
        $(#[$attr])*
        $vis fn $($rest)*
    };
}
pub(crate) use const_fn_unless_loom;

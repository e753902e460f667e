//! A parker that sleeps wherever the standard library runs: a mutex and a
//! condition variable beside the loop's park word.

#![cfg(feature = "std")]

use crate::park::Park;
use crate::sync::{
    AtomicCount, Condvar, Mutex, MutexGuard, Ordering, ParkWord, PoisonError, bump_shared,
    const_fn_unless_loom, read, yield_now,
};
#[cfg(not(rearm_loom))]
use crate::sync::{Instant, OnceLock};

/// Sleeps on a [`Condvar`](std::sync::Condvar) while the loop's park word
/// holds the announced value; any thread may wake it. Needs the `std` feature.
///
/// It works on every platform std supports (on Linux, macOS, Windows and the
/// BSDs std's condition variable is itself futex-like), costs nothing while the
/// loop does not sleep (notifiers call [`unpark`](Park::unpark) only when the
/// loop announced a park), and gives the adaptive wait std's clock
/// ([`now_ns`](Park::now_ns)) and `yield`. [`new`](ThreadPark::new) is a
/// `const fn`, so a `static` loop can sleep on it.
///
/// It holds no thread identity: successive runners on different threads may
/// drive its loop, and whichever one sleeps is the one woken. One parker may
/// also serve several loops (each holding a `&ThreadPark`): a wake reaches
/// every thread asleep on it, and each goes back to sleep unless its own
/// loop's word changed.
///
/// ```
/// use rearm_core::park::ThreadPark;
/// use rearm_core::{Action, CallbackRunner, Loop, RunMode};
///
/// static LOOP: Loop<ThreadPark, 4> = Loop::new(ThreadPark::new());
///
/// let mut seen = 0;
/// let mut on_event = || { seen += 1; Action::Disarm };
/// let mut runner = CallbackRunner::new(&LOOP)?;
/// let slot = runner.add(&mut on_event)?;
/// let notifier = std::thread::spawn(move || LOOP.handle(slot).unwrap().notify());
/// runner.run(RunMode::UntilDone); // sleeps until the other thread notifies
/// notifier.join().unwrap();
/// drop(runner);
/// assert_eq!(seen, 1);
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[derive(Debug)]
pub struct ThreadPark {
    /// Held while the sleeper looks at the word and, by `unpark`, between the
    /// word's change and the notification: see `unpark`.
    lock: Mutex<()>,
    changed: Condvar,
    sleeps: AtomicCount,
    wakes: AtomicCount,
    yields: AtomicCount,
    /// What `now_ns` counts from: the first reading.
    #[cfg(not(rearm_loom))]
    epoch: OnceLock<Instant>,
    /// Under loom only, the negative control: wake without taking the lock.
    #[cfg(rearm_loom)]
    unlocked_wake: bool,
}

impl ThreadPark {
    const_fn_unless_loom! {
        /// A parker with nobody asleep on it.
        pub fn new() -> Self {
            ThreadPark {
                lock: Mutex::new(()),
                changed: Condvar::new(),
                sleeps: AtomicCount::new(0),
                wakes: AtomicCount::new(0),
                yields: AtomicCount::new(0),
                #[cfg(not(rearm_loom))]
                epoch: OnceLock::new(),
                #[cfg(rearm_loom)]
                unlocked_wake: false,
            }
        }
    }

    /// A parker whose `unpark` notifies without taking the lock, so a wake can
    /// fall between the sleeper's look at the word and its sleep and be lost:
    /// the loom models' negative control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    #[must_use]
    pub fn with_unlocked_wake() -> Self {
        // Assigned, not a struct update: cargo-mutants names a struct
        // update's field deletion without the function, so the configuration
        // could not leave this loom-only code out.
        let mut parker = Self::new();
        parker.unlocked_wake = true;
        parker
    }

    /// Times the loop's thread went to sleep (waited on the condition
    /// variable; a spurious return that found the word unchanged sleeps again
    /// and counts again).
    pub fn sleeps(&self) -> u64 {
        read(&self.sleeps)
    }

    /// Times a notifier woke the loop's thread (it had announced a park).
    pub fn wakes(&self) -> u64 {
        read(&self.wakes)
    }

    /// Times the loop's thread yielded its CPU while waiting.
    pub fn yields(&self) -> u64 {
        read(&self.yields)
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // Poisoning cannot carry a broken invariant here: the lock guards no
        // data (the word is atomic), and no user code runs while it is held.
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ThreadPark {
    fn default() -> Self {
        Self::new()
    }
}

impl Park for ThreadPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        let mut guard = self.lock();
        // The word is read under the lock that `unpark` takes after the word
        // changed, so no change can fall between this look and the sleep.
        // Relaxed would do for that (the lock orders it); Acquire keeps the
        // parker correct on its own, whatever the caller does after it returns.
        while word.load(Ordering::Acquire) == expected {
            bump_shared(&self.sleeps);
            guard = self
                .changed
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sleeps in the condition variable's timed wait, for what is left
    /// until the deadline on [`now_ns`](Park::now_ns)'s clock, as often as
    /// it returns early with the word unchanged.
    #[cfg(not(rearm_loom))]
    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        let mut guard = self.lock();
        // Acquire, and under the lock: as in `park`.
        while word.load(Ordering::Acquire) == expected {
            let now = self.now_ns().unwrap_or(u64::MAX);
            if now >= deadline_ns {
                return true;
            }
            bump_shared(&self.sleeps);
            let left = core::time::Duration::from_nanos(deadline_ns - now);
            guard = self
                .changed
                .wait_timeout(guard, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        false
    }

    fn unpark(&self, _word: &ParkWord) {
        bump_shared(&self.wakes);
        // The word changed before this call. Taking the lock (and letting it go)
        // orders that change after the sleeper's look at the word, or the look
        // after the change: either the sleeper saw the change and does not
        // sleep, or it was already waiting when the lock came free, and the
        // notification below wakes it. Notifying after the unlock spares the
        // woken thread from blocking on a lock still held here.
        #[cfg(rearm_loom)]
        let skip_lock = self.unlocked_wake;
        #[cfg(not(rearm_loom))]
        let skip_lock = false;
        if !skip_lock {
            drop(self.lock());
        }
        // Every sleeper: loops that share this parker sleep on the same
        // condition variable, and one woken at random may be another loop's,
        // which would look at its own word, sleep again, and leave the
        // sleeper this wake was for asleep. With one loop there is one
        // sleeper, and waking all costs what waking one does.
        self.changed.notify_all();
    }

    fn yield_now(&self) {
        bump_shared(&self.yields);
        yield_now();
    }

    #[cfg(not(rearm_loom))]
    fn now_ns(&self) -> Option<u64> {
        let epoch = *self.epoch.get_or_init(Instant::now);
        // u64 nanoseconds last 584 years from the first reading.
        Some(u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }
}

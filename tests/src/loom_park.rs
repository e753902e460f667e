//! A parker for loom models: a real blocking sleep (mutex and condition
//! variable), so a lost wakeup shows up as a deadlock that loom reports.

use loom::sync::{Condvar, Mutex};
use rearm_core::park::{Park, ParkWord};
use std::sync::atomic::Ordering;

/// Blocks on a condition variable while the word holds the expected value.
///
/// It does not return spuriously by itself (loom's condition variable does not
/// simulate spurious wakeups); [`LoomPark::spurious_wake`] and
/// `spurious_returns` inject them.
#[derive(Debug)]
pub struct LoomPark {
    /// Unparks not yet taken by [`LoomPark::block_until_unparked`]: an eventfd's
    /// counter, for models of a reactor that watches the parker.
    lock: Mutex<u64>,
    changed: Condvar,
    /// `park` returns this many times without sleeping before it behaves.
    spurious_returns: loom::sync::atomic::AtomicUsize,
    /// Skip the look at the word before sleeping: the negative control's bug.
    no_recheck: bool,
}

impl LoomPark {
    /// A well-behaved parker.
    pub fn new() -> Self {
        Self::with(0, false)
    }

    /// A parker whose first `returns` parks return at once, spuriously.
    pub fn spurious(returns: usize) -> Self {
        Self::with(returns, false)
    }

    /// A broken parker that sleeps without first looking at the word: a wake
    /// that came before the sleep is lost. For the negative control.
    pub fn without_recheck() -> Self {
        Self::with(0, true)
    }

    fn with(returns: usize, no_recheck: bool) -> Self {
        LoomPark {
            lock: Mutex::new(0),
            changed: Condvar::new(),
            spurious_returns: loom::sync::atomic::AtomicUsize::new(returns),
            no_recheck,
        }
    }

    /// Blocks until `unpark` was called since the last return from here, and
    /// takes those calls: what a reactor watching an eventfd parker does.
    pub fn block_until_unparked(&self) {
        let mut unparks = self.lock.lock().unwrap();
        while *unparks == 0 {
            unparks = self.changed.wait(unparks).unwrap();
        }
        *unparks = 0;
    }

    /// Wakes whoever sleeps here without any change of the word.
    pub fn spurious_wake(&self) {
        let _guard = self.lock.lock().unwrap();
        self.changed.notify_all();
    }
}

impl Default for LoomPark {
    fn default() -> Self {
        Self::new()
    }
}

impl Park for LoomPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        let spurious = self.spurious_returns.load(Ordering::Relaxed);
        if spurious > 0 {
            self.spurious_returns.store(spurious - 1, Ordering::Relaxed);
            return;
        }
        let mut guard = self.lock.lock().unwrap();
        if self.no_recheck {
            drop(self.changed.wait(guard).unwrap());
            return;
        }
        // The word is read under the lock that `unpark` takes after the word
        // changed, so a change cannot slip between this look and the sleep.
        while word.load(Ordering::Acquire) == expected {
            guard = self.changed.wait(guard).unwrap();
        }
    }

    fn unpark(&self, _word: &ParkWord) {
        let mut unparks = self.lock.lock().unwrap();
        *unparks += 1;
        self.changed.notify_all();
    }

    fn relax(&self) {
        loom::thread::yield_now();
    }

    fn yield_now(&self) {
        loom::thread::yield_now();
    }
}

/// A [`LoomPark`] with a clock whose timed parks always time out at once
/// (when the word still holds the expected value), moving the clock to the
/// deadline: the adversary for a run's deadline, since every interleaving
/// of a notifier with the timeout's withdrawal is then one loom explores.
#[derive(Debug, Default)]
pub struct TimeoutPark {
    inner: LoomPark,
    /// Read by the loop's thread alone: a plain std atomic, not a loom one,
    /// so the clock adds no interleavings of its own.
    now: std::sync::atomic::AtomicU64,
}

impl TimeoutPark {
    /// A parker at time zero.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Park for TimeoutPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        self.inner.park(word, expected);
    }

    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        // Relaxed: the loop re-reads the word with the ordering it needs
        // after any return; this look only decides whether to time out.
        if word.load(Ordering::Relaxed) != expected {
            return false;
        }
        // Relaxed: the clock is the loop thread's alone.
        self.now.fetch_max(deadline_ns, Ordering::Relaxed);
        true
    }

    fn unpark(&self, word: &ParkWord) {
        self.inner.unpark(word);
    }

    fn relax(&self) {
        loom::thread::yield_now();
    }

    fn yield_now(&self) {
        loom::thread::yield_now();
    }

    fn now_ns(&self) -> Option<u64> {
        // Relaxed: the clock is the loop thread's alone.
        Some(self.now.load(Ordering::Relaxed))
    }
}

//! A parker whose "sleep" is a task's `Pending`: `unpark` wakes the task's
//! waker.

use crate::park::Park;
use crate::sync::{Ordering, ParkWord, ValueCell, fence};
use core::task::Waker;

/// A parker for loops and receivers that run inside an async task (tokio,
/// smol, embassy, any executor): instead of sleeping, the task registers its
/// [`Waker`] and returns `Pending`, and a notifier's [`unpark`](Park::unpark)
/// wakes it. Bare metal, no heap, no `unsafe`: the waker lives in a
/// lock that is never held across user code.
///
/// [`HandlerRunner::poll_run`](crate::HandlerRunner::poll_run) runs a loop on it,
/// and [`AsyncSignal`](crate::mailbox::AsyncSignal) lets a mailbox's receiver await
/// its values with it. Spinning, yielding and sleeping are the executor's
/// business there: the task never blocks, and a task with nothing ready
/// returns `Pending` at once.
///
/// Its [`park`](Park::park), which a blocking run would call, cannot block
/// a task: it spins on the word (the [`SpinPark`](crate::park::SpinPark) way).
/// Drive a loop on it with `poll_run`, not `run`. It has no clock, so
/// runners refuse deadlines and timers on it ([`Error::NoClock`](crate::Error::NoClock)):
/// an executor's own timer serves those.
///
/// One task at a time waits on it: registering replaces the waker that was
/// there. Like the eventfd parker, one per loop.
///
/// ```
/// use rearm_core::park::{Park, ParkWord, WakerPark};
/// use core::task::Waker;
///
/// let parker = WakerPark::new();
/// parker.register(Waker::noop());
/// let word = ParkWord::new(1);
/// parker.unpark(&word); // wakes the registered waker, and forgets it
/// assert!(!parker.is_registered());
/// ```
pub struct WakerPark {
    waker: ValueCell<Waker>,
    /// Under loom only, the negative control: its users register after
    /// announcing their wait instead of before.
    #[cfg(rearm_loom)]
    late_register: bool,
}

impl WakerPark {
    crate::sync::const_fn_unless_loom! {
        /// A parker with no task registered.
        pub fn new() -> Self {
            WakerPark {
                waker: ValueCell::new(),
                #[cfg(rearm_loom)]
                late_register: false,
            }
        }
    }

    /// A parker whose users register their waker after announcing the wait,
    /// so a notifier can find the announcement and no waker: the loom
    /// models' negative control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    #[must_use]
    pub fn with_late_register() -> Self {
        let mut parker = Self::new();
        parker.late_register = true;
        parker
    }

    /// Registers `waker` and then announces a wait with `announce`, returning
    /// what `announce` returns; under loom's negative control, the other way
    /// round.
    pub(crate) fn register_then(&self, waker: &Waker, announce: impl FnOnce() -> bool) -> bool {
        #[cfg(rearm_loom)]
        if self.late_register {
            let announced = announce();
            self.register(waker);
            return announced;
        }
        self.register(waker);
        announce()
    }

    /// Registers `waker` as the one the next [`unpark`](Park::unpark) wakes,
    /// replacing the one there (kept, without a clone, when it would wake the
    /// same task). Register *before* announcing the wait (the runner's
    /// announcement, or the signal's), so that a notifier that finds the
    /// announcement finds the waker too.
    pub fn register(&self, waker: &Waker) {
        self.waker.update(|slot| match slot {
            Some(held) if held.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        });
        // Release, paired with the Acquire fence in `unpark`: the caller
        // announces its wait next (a relaxed compare-and-swap on the park
        // word, in the runner); a notifier that reads that announcement
        // then sees this waker, whatever the announcement's own ordering.
        fence(Ordering::Release);
    }

    /// Whether a waker is registered (none after an `unpark` took it).
    pub fn is_registered(&self) -> bool {
        self.waker.update(|slot| slot.is_some())
    }
}

impl Default for WakerPark {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for WakerPark {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WakerPark")
            .field("registered", &self.is_registered())
            .finish()
    }
}

impl Park for WakerPark {
    /// Spins while the word holds `expected`: a task cannot block. Only a
    /// blocking run (not [`poll_run`](crate::HandlerRunner::poll_run)) calls it.
    fn park(&self, word: &ParkWord, expected: u32) {
        // Relaxed: the caller re-reads the word with the ordering it needs.
        while word.load(Ordering::Relaxed) == expected {
            core::hint::spin_loop();
        }
    }

    /// Takes the registered waker and wakes it (outside the lock: an
    /// executor's wake may do anything, registering again included).
    fn unpark(&self, _word: &ParkWord) {
        // Acquire, paired with the Release fence in `register`: the caller
        // read the waiter's announcement, written after its registration.
        fence(Ordering::Acquire);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

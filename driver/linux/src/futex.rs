//! A parker on Linux private futexes: the loop sleeps in `FUTEX_WAIT` on its own
//! park word; a notifier that found it parked issues one `FUTEX_WAKE`.

use crate::{BusyClock, SyscallCounter};
use core::num::NonZeroU32;
use rearm_core::park::{Park, ParkWord};
use rustix::io::Errno;
use rustix::thread::futex;

/// `FUTEX_BITSET_MATCH_ANY`: a bitset wait that any wake ends.
const MATCH_ANY: NonZeroU32 = NonZeroU32::MAX;

/// Sleeps on the loop's park word with `futex(FUTEX_WAIT_PRIVATE)`.
///
/// `EINTR` (a signal), `EAGAIN` (the word changed before the kernel looked) and
/// plain spurious returns all just return: the core re-checks the word.
///
/// # Examples
///
/// ```
/// use rearm_core::{Action, CallbackRunner, Exit, Loop, RunMode};
/// use rearm_linux::FutexPark;
///
/// let lp: Loop<FutexPark, 4> = Loop::new(FutexPark::new());
/// let mut on_event = || Action::Disarm;
/// let mut runner = CallbackRunner::new(&lp)?;
/// runner.arm(0, &mut on_event)?;
/// std::thread::scope(|s| {
///     s.spawn(|| lp.handle(0).map(|handle| handle.notify()));
///     // Sleeps in the futex until notified.
///     assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
/// });
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct FutexPark {
    waits: SyscallCounter,
    wakes: SyscallCounter,
    yields: SyscallCounter,
    busy: BusyClock,
}

impl FutexPark {
    /// A new futex parker. It holds no kernel object.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `FUTEX_WAIT` calls so far.
    pub fn waits(&self) -> u64 {
        self.waits.get()
    }

    /// `FUTEX_WAKE` calls so far.
    pub fn wakes(&self) -> u64 {
        self.wakes.get()
    }

    /// `sched_yield` calls so far.
    pub fn yields(&self) -> u64 {
        self.yields.get()
    }
}

impl Park for FutexPark {
    fn park(&self, word: &ParkWord, expected: u32) {
        self.waits.bump();
        match futex::wait(word, futex::Flags::PRIVATE, expected, None) {
            Ok(()) | Err(Errno::AGAIN) | Err(Errno::INTR) => {}
            // Any other error (none is possible with a valid word) is treated as a
            // spurious return too: the caller re-checks, it cannot hang on it.
            Err(_) => {}
        }
    }

    /// `FUTEX_WAIT_BITSET`, whose timeout is a point on `CLOCK_MONOTONIC`
    /// (the clock of [`now_ns`](Park::now_ns)): the deadline goes to the
    /// kernel as it is, with no clock read here. `ETIMEDOUT` is the timeout.
    /// The thread's timer slack is set to 1 ns first (once per thread): the
    /// kernel would otherwise let the sleep end up to 50 µs late, to merge
    /// wakeups, and a loop that runs timers wants each on time.
    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        crate::timer_slack::tighten();
        self.waits.bump();
        let deadline = crate::clock::monotonic_timespec(deadline_ns);
        matches!(
            futex::wait_bitset(
                word,
                futex::Flags::PRIVATE,
                expected,
                Some(&deadline),
                MATCH_ANY,
            ),
            Err(Errno::TIMEDOUT)
        )
    }

    fn unpark(&self, word: &ParkWord) {
        self.wakes.bump();
        // The result (how many woke, or an error) changes nothing: the word was
        // changed before this call, so a sleeper that was not woken here cannot
        // fall asleep again on it.
        let _ = futex::wake(word, futex::Flags::PRIVATE, 1);
    }

    crate::common::yield_and_clocks!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_futex_wait_wake_and_yield_is_counted() {
        let park = FutexPark::new();
        let word = ParkWord::new(1);
        // The word does not hold 0: each wait returns at once (EAGAIN).
        park.park(&word, 0);
        park.park(&word, 0);
        park.unpark(&word);
        park.unpark(&word);
        park.unpark(&word);
        park.yield_now();
        park.yield_now();
        assert_eq!((park.waits(), park.wakes(), park.yields()), (2, 3, 2));
    }
}

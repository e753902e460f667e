//! The one seam to the platform: how a loop's thread sleeps and is woken,
//! and the parkers this crate brings.
//!
//! - [`Park`]: the trait a platform implements, around a [`ParkWord`].
//! - [`SpinPark`]: never sleeps; for bare metal and for model checking.
//! - [`ThreadPark`] (feature `std`): sleeps wherever the standard library runs.
//! - [`WakerPark`]: registers a task's `Waker` instead of sleeping, so a loop
//!   runs inside any executor.
//!
//! The `rearm-linux` package adds futex and eventfd parkers.

use crate::relax::{Relax, Spin};
use crate::sync::Ordering;
use core::marker::PhantomData;

// The family's other members are defined where their machinery lives.
pub use crate::sync::ParkWord;
pub use crate::task::WakerPark;
#[cfg(feature = "std")]
pub use crate::thread_park::ThreadPark;

/// How a loop's thread sleeps until it is notified; futex-shaped.
///
/// The loop announces that it is about to sleep by writing a known value into its
/// [`ParkWord`], then calls [`park`](Park::park) with that value. A notifier that
/// finds the announcement changes the word *first* and calls
/// [`unpark`](Park::unpark) *after*, so an implementation is correct exactly when
/// `park` never sleeps through a change of the word that happened before or during
/// the call. Spurious returns are allowed: the loop re-checks the word.
///
/// Implementations: [`SpinPark`] here (bare metal, or any platform as a
/// fallback); with the `std` feature, `ThreadPark` (sleeps wherever std runs);
/// futex and eventfd parkers in the `driver` crate.
///
/// A parker that is `Sync` makes its [`Loop`](crate::Loop) `Sync`, so that
/// other threads can notify it; one that is not (a single-threaded system's,
/// say) still gives a working loop, which the compiler then keeps on its thread.
///
/// A reference to a parker is a parker, so several loops can share one
/// (`Loop::new(&PARKER)`). That is correct only for a parker whose `unpark`
/// wakes the thread parked on the given word, wherever others sleep:
/// [`SpinPark`] (nobody sleeps), `ThreadPark` (it wakes every sleeper, and the
/// others sleep again), the driver's futex parker (one futex per word). A
/// parker with one wake channel for whoever sleeps on it (the driver's eventfd
/// parker: one eventfd, read by the first thread it wakes) must be one per
/// loop, and says so.
///
/// ```
/// use rearm_core::park::{Park, ParkWord};
/// use core::sync::atomic::Ordering;
///
/// /// A parker for a single-core system with an interrupt-driven notifier,
/// /// spinning politely (a real one would wait for an interrupt here).
/// struct PollPark;
///
/// impl Park for PollPark {
///     fn park(&self, word: &ParkWord, expected: u32) {
///         while word.load(Ordering::Acquire) == expected {
///             core::hint::spin_loop();
///         }
///     }
///     fn unpark(&self, _word: &ParkWord) {}
/// }
/// ```
pub trait Park {
    /// Sleeps while `word` holds `expected`. May return spuriously.
    fn park(&self, word: &ParkWord, expected: u32);

    /// Sleeps while `word` holds `expected`, until this parker's clock
    /// ([`now_ns`](Park::now_ns)) reaches `deadline_ns`. Returns `true` when it
    /// returned because the deadline passed, `false` otherwise (the word
    /// changed, or a spurious return). May return spuriously, but never
    /// reports a timeout before the clock reached `deadline_ns`; the loop
    /// re-checks the word and the clock either way.
    ///
    /// The default is correct for any parker, and fit for none that can sleep
    /// with a timeout: with a clock it looks at the word and yields
    /// ([`yield_now`](Park::yield_now)) until the word changes or the deadline
    /// passes, burning its CPU; without a clock it cannot tell time and
    /// [`park`](Park::park)s (runners refuse deadlines and timers on such a
    /// parker, with [`Error::NoClock`](crate::Error::NoClock), so they never
    /// call it). Parkers that can sleep with a timeout implement it.
    ///
    /// ```
    /// use rearm_core::park::{Park, ParkWord, SpinPark};
    ///
    /// fn ticks() -> u64 {
    ///     use core::sync::atomic::{AtomicU64, Ordering};
    ///     static NOW: AtomicU64 = AtomicU64::new(0);
    ///     NOW.fetch_add(1_000, Ordering::Relaxed) // a clock that runs 1 µs a look
    /// }
    ///
    /// let parker: SpinPark = SpinPark::with_clock(ticks);
    /// let word = ParkWord::new(0);
    /// assert!(parker.park_until(&word, 0, 10_000)); // nobody changed the word
    /// ```
    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        if self.now_ns().is_none() {
            self.park(word, expected);
            return false;
        }
        loop {
            // Relaxed: the caller re-reads the word with the ordering it needs.
            if word.load(Ordering::Relaxed) != expected {
                return false;
            }
            if self.now_ns().is_some_and(|now| now >= deadline_ns) {
                return true;
            }
            self.yield_now();
        }
    }

    /// Wakes the thread parked on `word`, if there is one. Called only after the
    /// word was changed: once per announced park by a notifier, and once more by
    /// each stop request that finds the loop parked.
    fn unpark(&self, word: &ParkWord);

    /// One step of a busy wait, between two looks at the word while spinning.
    fn relax(&self) {
        core::hint::spin_loop();
    }

    /// Offers the CPU to another thread, between spinning and parking. Where the
    /// platform has no scheduler this is just [`relax`](Park::relax).
    fn yield_now(&self) {
        self.relax();
    }

    /// A monotonic clock in nanoseconds, if the platform has a cheap one. The
    /// wait times one yield in eight and every park with it: yields that cost
    /// more than sleeping and being woken would, and more than parked waits
    /// have lately slept (another busy process got the CPU, not the thread
    /// being waited for), make the next waits park instead of yielding. The
    /// default, `None`, keeps yielding as [`SpinPolicy`](crate::SpinPolicy) says.
    fn now_ns(&self) -> Option<u64> {
        None
    }

    /// CPU time this process has used, divided by the number of CPUs it may
    /// run on, in nanoseconds; `None` (the default) if the platform cannot
    /// tell. It advances as fast as [`now_ns`](Park::now_ns) exactly while the
    /// process keeps every CPU it may use busy.
    ///
    /// The wait reads it around a yield, once a slow yield was seen, to tell
    /// where the CPU went: a long yield during which this kept pace went to
    /// the process's own threads (five threads on two CPUs, say), which needed
    /// it, and says nothing against yielding; one during which it stalled went
    /// to another process, or the process was stopped, and counts against
    /// yielding. Without it every slow yield counts against. It may cost a
    /// syscall: it is read only while slow yields are about.
    fn busy_ns(&self) -> Option<u64> {
        None
    }

    /// CPU time the calling thread has used, in nanoseconds; `None` (the
    /// default) if the platform cannot tell. The wait reads it around some
    /// parks to learn what parking costs this loop's thread, and spins for at
    /// most about that long ([`SpinBound::ParkCost`](crate::SpinBound::ParkCost)).
    /// It may cost a syscall: it is read around one park in eight.
    fn thread_cpu_ns(&self) -> Option<u64> {
        None
    }
}

/// A shared parker: see [`Park`] for which parkers may be shared by several
/// loops.
impl<P: Park + ?Sized> Park for &P {
    fn park(&self, word: &ParkWord, expected: u32) {
        (**self).park(word, expected);
    }

    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        (**self).park_until(word, expected, deadline_ns)
    }

    fn unpark(&self, word: &ParkWord) {
        (**self).unpark(word);
    }

    fn relax(&self) {
        (**self).relax();
    }

    fn yield_now(&self) {
        (**self).yield_now();
    }

    fn now_ns(&self) -> Option<u64> {
        (**self).now_ns()
    }

    fn busy_ns(&self) -> Option<u64> {
        (**self).busy_ns()
    }

    fn thread_cpu_ns(&self) -> Option<u64> {
        (**self).thread_cpu_ns()
    }
}

/// A parker that never sleeps: `park` busy-waits on the word, `unpark` does
/// nothing. Correct on any platform (the notifier's change of the word is what
/// ends the wait); right for bare-metal cores that own their CPU.
///
/// `R` says how to pass time once the loop has given up spinning, in
/// [`yield_now`](Park::yield_now) and in `park`: [`relax::Spin`](crate::relax::Spin)
/// (the CPU's spin-loop hint, the default) or, where threads share CPUs (with
/// the `std` feature), `relax::Yield`, so the thread being waited for can
/// run. The loop's own spin steps ([`relax`](Park::relax)) always use the
/// spin-loop hint: a notification usually arrives within a few of them, and
/// giving the CPU away there would cost a whole scheduler time slice.
///
/// It has no clock unless given one ([`with_clock`](SpinPark::with_clock)):
/// a function that reads a monotonic time in nanoseconds, such as a
/// bare-metal core's timer. With one, it can run deadlines and timers, and
/// [`park_until`](Park::park_until) spins until the clock passes the deadline.
///
/// ```
/// use rearm_core::park::{Park, SpinPark};
///
/// let parker: SpinPark = SpinPark::new();
/// let word = rearm_core::park::ParkWord::new(1);
/// parker.park(&word, 0); // returns at once: the word does not hold 0
/// ```
#[derive(Debug)]
pub struct SpinPark<R = Spin> {
    relax: PhantomData<fn() -> R>,
    clock: Option<fn() -> u64>,
}

impl<R> SpinPark<R> {
    /// A new spin parker, without a clock.
    #[must_use]
    pub const fn new() -> Self {
        SpinPark {
            relax: PhantomData,
            clock: None,
        }
    }

    /// A spin parker whose clock ([`now_ns`](Park::now_ns)) is `clock`: a
    /// monotonic time in nanoseconds (from any epoch, never going back).
    ///
    /// ```
    /// use rearm_core::park::{Park, SpinPark};
    ///
    /// /// A bare-metal core would read its timer here.
    /// fn uptime_ns() -> u64 { 42 }
    ///
    /// let parker: SpinPark = SpinPark::with_clock(uptime_ns);
    /// assert_eq!(parker.now_ns(), Some(42));
    /// ```
    pub const fn with_clock(clock: fn() -> u64) -> Self {
        SpinPark {
            relax: PhantomData,
            clock: Some(clock),
        }
    }
}

impl<R> Default for SpinPark<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Relax> Park for SpinPark<R> {
    fn park(&self, word: &ParkWord, expected: u32) {
        // Acquire is not needed for correctness (the loop re-reads the word with
        // the ordering it needs after park returns); Relaxed keeps the spin cheap.
        while word.load(Ordering::Relaxed) == expected {
            R::relax();
        }
    }

    fn park_until(&self, word: &ParkWord, expected: u32, deadline_ns: u64) -> bool {
        let Some(clock) = self.clock else {
            self.park(word, expected);
            return false;
        };
        // Relaxed, as in `park`.
        while word.load(Ordering::Relaxed) == expected {
            if clock() >= deadline_ns {
                return true;
            }
            R::relax();
        }
        false
    }

    fn unpark(&self, _word: &ParkWord) {}

    fn yield_now(&self) {
        R::relax();
    }

    fn now_ns(&self) -> Option<u64> {
        self.clock.map(|clock| clock())
    }
}

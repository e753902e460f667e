//! The part of a loop that every thread shares: ready set, park word, slot states
//! and counters. Callbacks live in the [`Runner`], on the loop's own thread.

use crate::ready::{MAX_CAPACITY, ReadySet};
use crate::sync::{AtomicBool, AtomicCount, AtomicU8, Count, Ordering};
use crate::{Async, Error, Ledger, Park, Runner, State};

/// Slot state values in [`NotifySide::state`].
pub(crate) const DEAD: u8 = 0;
pub(crate) const ACTIVE: u8 = 1;

/// What notifiers read and write for one slot: its state and their counters.
/// One cache line each, so notifiers of different slots do not slow each other.
#[repr(align(64))]
pub(crate) struct NotifySide {
    /// `DEAD` or `ACTIVE`; written only by the runner.
    pub(crate) state: AtomicU8,
    pub(crate) notified: AtomicCount,
    pub(crate) coalesced: AtomicCount,
    /// Notifications that found the slot dead.
    pub(crate) dropped: AtomicCount,
}

/// What only the runner writes for one slot, kept apart from [`NotifySide`] so the
/// runner's writes do not pull the notifiers' line away from them.
pub(crate) struct OwnerSide {
    /// Callbacks run.
    pub(crate) delivered: AtomicCount,
    /// Pending bits the runner took after the slot was disarmed.
    pub(crate) reaped: AtomicCount,
}

#[cfg(not(loom))]
impl NotifySide {
    const fn new() -> Self {
        NotifySide {
            state: AtomicU8::new(DEAD),
            notified: AtomicCount::new(0),
            coalesced: AtomicCount::new(0),
            dropped: AtomicCount::new(0),
        }
    }
}

#[cfg(not(loom))]
impl OwnerSide {
    const fn new() -> Self {
        OwnerSide {
            delivered: AtomicCount::new(0),
            reaped: AtomicCount::new(0),
        }
    }
}

#[cfg(loom)]
impl NotifySide {
    fn new() -> Self {
        NotifySide {
            state: AtomicU8::new(DEAD),
            notified: AtomicCount::new(0),
            coalesced: AtomicCount::new(0),
            dropped: AtomicCount::new(0),
        }
    }
}

#[cfg(loom)]
impl OwnerSide {
    fn new() -> Self {
        OwnerSide {
            delivered: AtomicCount::new(0),
            reaped: AtomicCount::new(0),
        }
    }
}

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

fn read(counter: &AtomicCount) -> u64 {
    // Widens on targets whose counters are 32 bits; a no-op elsewhere.
    let value: Count = counter.load(Ordering::Relaxed);
    #[allow(clippy::useless_conversion)]
    u64::from(value)
}

/// The shared half of an event loop with `CAP` completion slots.
///
/// Any thread may hold a `&Loop`: it hands out [`Async`] handles that notify a
/// slot, takes [`stop`](Loop::stop) requests and reads the [`Ledger`]. Exactly one
/// [`Runner`] at a time drives it: registers callbacks, runs them, sleeps.
///
/// `CAP` is between 1 and [`MAX_CAPACITY`] (4096 on 64-bit targets, 1024 on
/// 32-bit ones); anything else fails to compile. A loop does not allocate: its
/// size is fixed by `CAP`, and on targets with atomics it can be a `static`.
///
/// # Example: two threads playing ping-pong
///
/// ```
/// use rearm_core::{Action, Loop, RunMode, Runner, SpinPark};
///
/// const PINGS: u64 = 1000;
/// let main_loop: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let worker_loop: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let to_main = main_loop.handle(0)?;
/// let to_worker = worker_loop.handle(0)?;
///
/// let mut sent = 0;
/// let mut on_pong = || {
///     to_worker.notify();
///     sent += 1;
///     if sent == PINGS { Action::Disarm } else { Action::Rearm }
/// };
/// let mut runner = Runner::new(&main_loop)?;
/// // Armed before the worker exists: a kick that found main's completion still
/// // dead would be dropped, and both threads would wait for ever.
/// runner.arm(0, &mut on_pong)?;
///
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let mut sent = 0;
///         let mut on_ping = || {
///             to_main.notify();
///             sent += 1;
///             if sent == PINGS { Action::Disarm } else { Action::Rearm }
///         };
///         let mut runner = Runner::new(&worker_loop).unwrap();
///         runner.arm(0, &mut on_ping).unwrap();
///         to_main.notify(); // the kick
///         runner.run(RunMode::UntilDone);
///     });
///     runner.run(RunMode::UntilDone);
/// });
/// drop(runner);
///
/// // Every ping was seen on both sides; the worker's last reply found main's
/// // completion disarmed and was dropped (or is still pending: nobody ran the
/// // main loop again). Either way the ledger balances.
/// assert_eq!(main_loop.ledger(0)?.delivered, PINGS);
/// assert_eq!(worker_loop.ledger(0)?.delivered, PINGS);
/// assert_eq!(main_loop.ledger(0)?.notified, PINGS + 1);
/// main_loop.ledger(0)?.check()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Loop<P: Park, const CAP: usize> {
    pub(crate) ready: ReadySet,
    pub(crate) slots: [NotifySide; CAP],
    pub(crate) owner: [OwnerSide; CAP],
    /// Whether a [`Runner`] drives this loop now.
    pub(crate) claimed: AtomicBool,
    pub(crate) parker: P,
}

impl<P: Park, const CAP: usize> Loop<P, CAP> {
    const CAPACITY_IS_VALID: () = assert!(
        CAP >= 1 && CAP <= MAX_CAPACITY,
        "a Loop holds between 1 and MAX_CAPACITY slots"
    );

    /// A loop with every slot dead, sleeping through `parker`.
    #[cfg(not(loom))]
    pub const fn new(parker: P) -> Self {
        let () = Self::CAPACITY_IS_VALID;
        Loop {
            ready: ReadySet::new(),
            slots: [const { NotifySide::new() }; CAP],
            owner: [const { OwnerSide::new() }; CAP],
            claimed: AtomicBool::new(false),
            parker,
        }
    }

    /// A loop with every slot dead, sleeping through `parker`.
    #[cfg(loom)]
    pub fn new(parker: P) -> Self {
        let () = Self::CAPACITY_IS_VALID;
        Loop {
            ready: ReadySet::new(),
            slots: core::array::from_fn(|_| NotifySide::new()),
            owner: core::array::from_fn(|_| OwnerSide::new()),
            claimed: AtomicBool::new(false),
            parker,
        }
    }

    /// A loop whose park protocol has a deliberate bug: the loom models' negative
    /// control. Exists only under `cfg(loom)`.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn with_fault(parker: P, fault: crate::ready::Fault) -> Self {
        let mut lp = Self::new(parker);
        lp.ready.fault = fault;
        lp
    }

    /// The number of slots, `CAP`.
    pub const fn capacity(&self) -> usize {
        CAP
    }

    /// A handle that notifies `slot`, from any thread.
    ///
    /// The slot need not be armed yet: notifications of a dead slot are dropped
    /// and counted.
    pub fn handle(&self, slot: usize) -> Result<Async<'_, P, CAP>, Error> {
        self.check_slot(slot)?;
        Ok(Async::new(self, slot))
    }

    /// Makes the [`Runner`] of this loop for this thread; see [`Runner::new`].
    pub fn runner<'c>(&self) -> Result<Runner<'_, 'c, P, CAP>, Error> {
        Runner::new(self)
    }

    /// Asks the run in progress (or, if none is, the next one) to return
    /// [`Exit::Stopped`](crate::Exit::Stopped) at its next look at the ready set,
    /// waking the loop if it sleeps. Any thread; requests before that look merge.
    pub fn stop(&self) {
        self.ready.request_stop(&self.parker);
    }

    /// The state of `slot`, as notifiers see it.
    pub fn state(&self, slot: usize) -> Result<State, Error> {
        self.check_slot(slot)?;
        // Relaxed: a snapshot; see `Async::notify` for why notifiers need no more.
        Ok(match self.slots[slot].state.load(Ordering::Relaxed) {
            ACTIVE => State::Active,
            _ => State::Dead,
        })
    }

    /// The ledger of `slot`'s notifications. Balanced at quiescent points.
    pub fn ledger(&self, slot: usize) -> Result<Ledger, Error> {
        self.check_slot(slot)?;
        let (notify, owner) = (&self.slots[slot], &self.owner[slot]);
        Ok(Ledger {
            notified: read(&notify.notified),
            delivered: read(&owner.delivered),
            coalesced: read(&notify.coalesced),
            dropped: read(&notify.dropped).wrapping_add(read(&owner.reaped)),
            pending: u64::from(self.ready.is_pending(slot)),
        })
    }

    /// The sum of every slot's ledger.
    pub fn ledger_total(&self) -> Ledger {
        (0..CAP)
            .filter_map(|slot| self.ledger(slot).ok())
            .fold(Ledger::default(), |sum, one| sum + one)
    }

    /// The parker this loop sleeps through (for its counters, or its file
    /// descriptor where it has one).
    pub fn parker(&self) -> &P {
        &self.parker
    }

    pub(crate) fn check_slot(&self, slot: usize) -> Result<(), Error> {
        if slot < CAP {
            Ok(())
        } else {
            Err(Error::NoSuchSlot {
                slot,
                capacity: CAP,
            })
        }
    }
}

impl<P: Park + core::fmt::Debug, const CAP: usize> core::fmt::Debug for Loop<P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Loop")
            .field("capacity", &CAP)
            .field("ledger", &self.ledger_total())
            .field("parker", &self.parker)
            .finish_non_exhaustive()
    }
}

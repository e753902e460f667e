//! The part of a loop that every thread shares: ready set, park word, slot states
//! and counters. Callbacks live in the [`Runner`], on the loop's own thread.

use crate::ready::{MAX_CAPACITY, ReadySet};
use crate::slot::{self, Notifiers, Owners};
use crate::sync::{AtomicBool, const_fn_unless_loom};
use crate::{Async, Error, Ledger, Park, Runner, State};

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
    pub(crate) notifiers: Notifiers<CAP>,
    pub(crate) owners: Owners<CAP>,
    /// Whether a [`Runner`] drives this loop now.
    pub(crate) claimed: AtomicBool,
    pub(crate) parker: P,
}

impl<P: Park, const CAP: usize> Loop<P, CAP> {
    const CAPACITY_IS_VALID: () = assert!(
        CAP >= 1 && CAP <= MAX_CAPACITY,
        "a Loop holds between 1 and MAX_CAPACITY slots"
    );

    const_fn_unless_loom! {
        /// A loop with every slot dead, sleeping through `parker`.
        pub fn new(parker: P) -> Self {
            let () = Self::CAPACITY_IS_VALID;
            Loop {
                ready: ReadySet::new(),
                notifiers: Notifiers::new(),
                owners: Owners::new(),
                claimed: AtomicBool::new(false),
                parker,
            }
        }
    }

    /// A loop whose park protocol has a deliberate bug: the loom models' negative
    /// control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
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
        Ok(self.notifiers.state(slot))
    }

    /// The ledger of `slot`'s notifications. Balanced at quiescent points.
    pub fn ledger(&self, slot: usize) -> Result<Ledger, Error> {
        self.check_slot(slot)?;
        Ok(slot::ledger(
            &self.notifiers,
            &self.owners,
            slot,
            self.ready.is_pending(slot),
        ))
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

//! The part of a loop that every thread shares: ready set, park word, slot states
//! and counters. Callbacks live in the [`CallbackRunner`], on the loop's own thread.

use crate::async_handle::SlotHandle;
use crate::completion::SlotState;
use crate::error::Error;
use crate::ledger::Ledger;
use crate::park::Park;
use crate::ready::{MAX_CAPACITY, ReadySet};
use crate::runner::CallbackRunner;
use crate::slot::{self, Notifiers, Owners};
use crate::sync::{AtomicBool, const_fn_unless_loom};

/// The shared half of an event loop with `CAP` completion slots.
///
/// Any thread may hold a `&Loop`: it hands out [`SlotHandle`] handles that notify a
/// slot, takes [`stop`](Loop::stop) requests and reads the [`Ledger`]. Exactly one
/// [`CallbackRunner`] at a time drives it: registers callbacks, runs them, sleeps.
///
/// `CAP` is between 1 and [`MAX_CAPACITY`] (32,768); anything else fails to
/// compile. A loop does not allocate: its size is fixed by `CAP`, and on
/// targets with atomics it can be a `static`.
///
/// # Example: notifications and the callbacks they run
///
/// One thread here; a handle is `Send` and `Sync`, and notifies the same way
/// from any thread (`examples/thread_park.rs`, and the driver's ping-pong).
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, CallbackRunner, Loop, Notified, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let handle = lp.handle(0)?;
/// // Not armed yet: the notification is dropped (counted, never queued for a
/// // later arm), so arm a slot before anyone notifies it.
/// assert_eq!(handle.notify(), Notified::Dropped);
///
/// let mut calls = 0;
/// let mut on_notify = || {
///     calls += 1;
///     if calls == 2 { Action::Disarm } else { Action::Rearm }
/// };
/// let mut runner = CallbackRunner::new(&lp)?;
/// runner.arm(0, &mut on_notify)?;
/// assert_eq!(handle.notify(), Notified::Queued);
/// assert_eq!(handle.notify(), Notified::Coalesced); // one is already pending
/// runner.run(RunMode::NoWait); // the first call: rearms
/// assert_eq!(handle.notify(), Notified::Queued);
/// runner.run(RunMode::UntilDone); // the second call disarms, and the run ends
/// drop(runner);
/// assert_eq!(calls, 2);
///
/// // The ledger accounts for every notification.
/// let ledger = lp.ledger(0)?;
/// assert_eq!(
///     (ledger.notified, ledger.delivered, ledger.coalesced, ledger.dropped),
///     (4, 2, 1, 1)
/// );
/// assert!(ledger.check().is_ok());
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct Loop<P: Park, const CAP: usize> {
    pub(crate) ready: ReadySet,
    pub(crate) notifiers: Notifiers<CAP>,
    pub(crate) owners: Owners<CAP>,
    /// Whether a [`CallbackRunner`] drives this loop now.
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
        ///
        /// # Panics
        ///
        /// Never at run time. A `CAP` of 0 or above [`MAX_CAPACITY`] does not
        /// compile: the check is a constant, evaluated when the type is used.
        ///
        /// # Examples
        ///
        /// ```
        /// use rearm_core::Loop;
        /// use rearm_core::park::SpinPark;
        ///
        /// static LOOP: Loop<SpinPark, 8> = Loop::new(SpinPark::new()); // no heap: a static
        /// assert_eq!(LOOP.capacity(), 8);
        /// ```
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

    /// A handle that notifies `slot`, from any thread. A `const fn`, so a
    /// `static` (a mailbox, say) can hold a handle to a `static` loop.
    ///
    /// The slot need not be armed yet: notifications of a dead slot are dropped
    /// and counted (or kept, see [`SlotHandle::notify_kept`]).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    /// let handle = lp.handle(1)?;
    /// assert_eq!(handle.slot(), 1);
    /// assert!(lp.handle(2).is_err()); // slots 0 and 1 only
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub const fn handle(&self, slot: usize) -> Result<SlotHandle<'_, P, CAP>, Error> {
        match self.check_slot(slot) {
            Ok(()) => Ok(SlotHandle::new(self, slot)),
            Err(error) => Err(error),
        }
    }

    /// Makes the [`CallbackRunner`] of this loop for this thread; see [`CallbackRunner::new`].
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyHasRunner`] when this loop already has a runner: a loop is
    /// run from one place at a time.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Error, Loop};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut on_event = || Action::Rearm;
    /// let mut runner = lp.runner()?;
    /// runner.arm(0, &mut on_event)?;
    /// assert_eq!(lp.runner().unwrap_err(), Error::AlreadyHasRunner);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn runner<'c>(&self) -> Result<CallbackRunner<'_, 'c, P, CAP>, Error> {
        CallbackRunner::new(self)
    }

    /// Asks the run in progress (or, if none is, the next one) to return
    /// [`Exit::Stopped`](crate::Exit::Stopped) at its next look at the ready set,
    /// waking the loop if it sleeps. Any thread; requests before that look merge.
    pub fn stop(&self) {
        self.ready.request_stop(&self.parker);
    }

    /// The state of `slot`, as notifiers see it.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Loop, SlotState};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// assert_eq!(lp.state(0)?, SlotState::Dead);
    /// assert!(lp.state(1).is_err());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn state(&self, slot: usize) -> Result<SlotState, Error> {
        self.check_slot(slot)?;
        Ok(self.notifiers.state(slot))
    }

    /// The ledger of `slot`'s notifications. Balanced at quiescent points.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// lp.handle(0)?.notify(); // nobody armed slot 0: dropped
    /// let ledger = lp.ledger(0)?;
    /// assert_eq!((ledger.notified, ledger.dropped), (1, 1));
    /// assert!(ledger.check().is_ok());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn ledger(&self, slot: usize) -> Result<Ledger, Error> {
        self.check_slot(slot)?;
        Ok(slot::ledger(
            &self.notifiers,
            &self.owners,
            slot,
            self.ready.is_pending(slot, &self.notifiers),
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

    pub(crate) const fn check_slot(&self, slot: usize) -> Result<(), Error> {
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

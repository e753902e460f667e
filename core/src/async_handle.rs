//! The cross-thread handle: notify one slot of one loop.

use crate::event_loop::Loop;
use crate::ledger::Ledger;
use crate::park::Park;

/// Notifies one slot of a [`Loop`] from any thread; `Copy`, and `Send` and `Sync`
/// whenever the loop's parker is `Sync` (every parker meant for threads is).
///
/// Notifications **coalesce**: while one is pending (set, not yet taken by the
/// loop), more notifications of the same slot merge into it, so the callback runs
/// once for all of them, after the last one. There is no one-to-one mapping
/// between `notify` calls and callbacks, exactly as with libuv's `uv_async_send`
/// and libxev's `Async.notify`; what *is* promised is that a callback runs, in
/// full, after every `notify` of an active completion, and that it sees what the
/// notifying thread wrote before notifying.
///
/// A notification of a dead slot is dropped and counted, never an error: the
/// thread notifying cannot know whether the loop has just disarmed the slot.
/// [`notify_kept`](SlotHandle::notify_kept) is the other rule, for slots that must
/// never miss one (a [`Mailbox`](crate::mailbox::Mailbox)'s): it keeps such
/// notifications for the slot's next arm.
///
/// # Examples
///
/// ```
/// use rearm_core::Loop;
/// use rearm_core::park::SpinPark;
///
/// let lp: Loop<SpinPark, 4> = Loop::new(SpinPark::new());
/// let handle = lp.handle(3)?;
/// let copy = handle; // Copy: one for each thread
/// std::thread::scope(|s| {
///     s.spawn(move || copy.notify());
/// });
/// assert_eq!(handle.slot(), 3);
/// assert_eq!(handle.ledger().dropped, 1); // nobody armed slot 3
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct SlotHandle<'l, P: Park, const CAP: usize> {
    lp: &'l Loop<P, CAP>,
    slot: usize,
}

/// What became of one notification.
///
/// Ignoring it is fine: a notification needs no answer. New outcomes may
/// come, so code that matches on it needs a wildcard arm.
///
/// # Examples
///
/// ```
/// use rearm_core::park::SpinPark;
/// use rearm_core::{HandlerRunner, Loop, Notified};
///
/// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
/// let mut runner = HandlerRunner::new(&lp)?;
/// runner.arm(0)?;
/// assert_eq!(lp.handle(0)?.notify(), Notified::Queued);
/// assert_eq!(lp.handle(0)?.notify(), Notified::Coalesced); // one callback for both
/// assert_eq!(lp.handle(1)?.notify(), Notified::Dropped); // slot 1 is not armed
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Notified {
    /// It is queued for the loop, which will take it (and run the callback, if the slot is
    /// still active then).
    Queued,
    /// One was already pending (or kept); this one merged with it.
    Coalesced,
    /// The slot was dead: the notification is dropped.
    Dropped,
    /// The slot was dead and keeps its notifications
    /// ([`SlotHandle::notify_kept`]): the notification waits for the slot's next
    /// arm, then runs the callback.
    Kept,
}

impl<'l, P: Park, const CAP: usize> SlotHandle<'l, P, CAP> {
    pub(crate) const fn new(lp: &'l Loop<P, CAP>, slot: usize) -> Self {
        SlotHandle { lp, slot }
    }

    /// Notifies the slot: O(1) whatever the loop's size, never blocks, wakes the
    /// loop's thread only if it announced that it sleeps.
    // Not must_use: a notification needs no answer.
    #[allow(clippy::must_use_candidate)]
    pub fn notify(&self) -> Notified {
        let lp = self.lp;
        lp.notifiers.notify(self.slot, &lp.ready, &lp.parker, false)
    }

    /// Notifies the slot as [`notify`](SlotHandle::notify) does, and makes the slot
    /// keep its notifications from now on, whoever notifies it: one that
    /// finds it dead returns [`Notified::Kept`], and one that the loop takes
    /// after the slot was disarmed is kept too; each waits for the slot's next
    /// arm and then runs its callback, instead of being dropped. This is how a
    /// [`Mailbox`](crate::mailbox::Mailbox) notifies: whatever happens to the slot, a
    /// value it was told of is drained once the slot is armed again.
    ///
    /// Kept notifications coalesce like pending ones, and the slot keeps
    /// notifications for the loop's lifetime: a callback later armed on it,
    /// for whatever purpose, runs once for what was kept.
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, CallbackRunner, Loop, Notified, RunMode};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let handle = lp.handle(0)?;
    /// assert_eq!(handle.notify_kept(), Notified::Kept); // nobody armed slot 0 yet
    /// assert_eq!(handle.notify(), Notified::Coalesced); // the slot keeps, from now on
    ///
    /// let mut calls = 0;
    /// let mut count = || { calls += 1; Action::Rearm };
    /// let mut runner = CallbackRunner::new(&lp)?;
    /// runner.arm(0, &mut count)?; // the kept notification becomes pending
    /// runner.run(RunMode::NoWait);
    /// drop(runner);
    /// assert_eq!(calls, 1);
    /// assert!(lp.ledger(0)?.check().is_ok());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    // Not must_use: a notification needs no answer.
    #[allow(clippy::must_use_candidate)]
    pub fn notify_kept(&self) -> Notified {
        let lp = self.lp;
        lp.notifiers.notify(self.slot, &lp.ready, &lp.parker, true)
    }

    /// The slot this handle notifies.
    #[must_use]
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The loop this handle notifies.
    #[must_use]
    pub fn event_loop(&self) -> &'l Loop<P, CAP> {
        self.lp
    }

    /// This slot's ledger; see [`Loop::ledger`].
    #[must_use]
    pub fn ledger(&self) -> Ledger {
        // The slot was checked when the handle was made.
        self.lp.ledger(self.slot).unwrap_or_default()
    }
}

impl<P: Park, const CAP: usize> Clone for SlotHandle<'_, P, CAP> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Park, const CAP: usize> Copy for SlotHandle<'_, P, CAP> {}

impl<P: Park, const CAP: usize> core::fmt::Debug for SlotHandle<'_, P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SlotHandle")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

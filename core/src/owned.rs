//! Handles that own a share of their loop (feature `std`): they move into
//! `thread::spawn` without a `'static` loop, and become `Waker`s.

#![cfg(feature = "std")]

use crate::async_handle::{Notified, SlotHandle};
use crate::error::Error;
use crate::event_loop::Loop;
use crate::ledger::Ledger;
use crate::park::Park;
use crate::sync::{Arc, Wake, Waker};

/// Notifies one slot of a loop it shares ownership of, through an [`Arc`]: it
/// can be moved to any thread and kept for as long as wanted, whatever the
/// loop's lifetime would otherwise be. Notifying behaves as [`SlotHandle::notify`]
/// does; [`waker`](OwnedSlotHandle::waker) makes a [`Waker`] that notifies the slot.
///
/// ```
/// use rearm_core::park::ThreadPark;
/// use rearm_core::{Action, CallbackRunner, Loop, OwnedSlotHandle, RunMode};
/// use std::sync::Arc;
///
/// let lp: Arc<Loop<ThreadPark, 2>> = Arc::new(Loop::new(ThreadPark::new()));
/// let mut once = || Action::Disarm;
/// let mut runner = CallbackRunner::new(&lp)?;
/// runner.arm(1, &mut once)?; // armed before anyone notifies: nothing is dropped
/// let handle = OwnedSlotHandle::new(Arc::clone(&lp), 1)?;
/// let sender = std::thread::spawn(move || handle.notify()); // no 'static loop needed
/// runner.run(RunMode::UntilDone); // returns once the notification ran `once`
/// sender.join().unwrap();
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct OwnedSlotHandle<P: Park, const CAP: usize> {
    lp: Arc<Loop<P, CAP>>,
    slot: usize,
}

impl<P: Park, const CAP: usize> OwnedSlotHandle<P, CAP> {
    /// A handle to `slot` of `lp`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchSlot`] when `slot` is `CAP` or more.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Loop, OwnedSlotHandle};
    /// use std::sync::Arc;
    ///
    /// let lp = Arc::new(Loop::<SpinPark, 2>::new(SpinPark::new()));
    /// let handle = OwnedSlotHandle::new(Arc::clone(&lp), 1)?;
    /// std::thread::spawn(move || handle.notify()).join().unwrap();
    /// assert_eq!(lp.ledger(1)?.notified, 1);
    /// assert!(OwnedSlotHandle::new(lp, 2).is_err()); // no slot 2
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn new(lp: Arc<Loop<P, CAP>>, slot: usize) -> Result<Self, Error> {
        lp.check_slot(slot)?;
        Ok(OwnedSlotHandle { lp, slot })
    }

    /// Notifies the slot; see [`SlotHandle::notify`].
    // Not must_use: a notification needs no answer.
    #[allow(clippy::must_use_candidate)]
    pub fn notify(&self) -> Notified {
        self.borrowed().notify()
    }

    /// Notifies the slot and makes it keep its notifications; see
    /// [`SlotHandle::notify_kept`].
    // Not must_use: a notification needs no answer.
    #[allow(clippy::must_use_candidate)]
    pub fn notify_kept(&self) -> Notified {
        self.borrowed().notify_kept()
    }

    /// The slot this handle notifies.
    #[must_use]
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The loop this handle notifies.
    #[must_use]
    pub fn event_loop(&self) -> &Arc<Loop<P, CAP>> {
        &self.lp
    }

    /// This slot's ledger; see [`Loop::ledger`].
    #[must_use]
    pub fn ledger(&self) -> Ledger {
        self.borrowed().ledger()
    }

    /// The same slot, as a borrowing [`SlotHandle`].
    #[must_use]
    pub fn borrowed(&self) -> SlotHandle<'_, P, CAP> {
        SlotHandle::new(&self.lp, self.slot)
    }
}

impl<P: Park + Send + Sync + 'static, const CAP: usize> OwnedSlotHandle<P, CAP> {
    /// A [`Waker`] whose `wake` notifies this slot: a future polled on the
    /// loop's thread (in the slot's callback) hands it to whatever completes it
    /// on another thread, and the loop runs the callback again. Its one
    /// allocation is the `Arc` it lives in.
    ///
    /// ```
    /// use rearm_core::park::ThreadPark;
    /// use rearm_core::{Loop, Notified, OwnedSlotHandle};
    /// use std::sync::Arc;
    ///
    /// let lp: Arc<Loop<ThreadPark, 1>> = Arc::new(Loop::new(ThreadPark::new()));
    /// let waker = OwnedSlotHandle::new(Arc::clone(&lp), 0)?.waker();
    /// waker.wake_by_ref(); // the slot is dead: dropped and counted
    /// assert_eq!(lp.ledger(0)?.dropped, 1);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[must_use]
    pub fn waker(self) -> Waker {
        Waker::from(Arc::new(self))
    }
}

impl<P: Park + Send + Sync + 'static, const CAP: usize> Wake for OwnedSlotHandle<P, CAP> {
    fn wake(self: Arc<Self>) {
        self.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notify();
    }
}

impl<P: Park, const CAP: usize> Clone for OwnedSlotHandle<P, CAP> {
    fn clone(&self) -> Self {
        OwnedSlotHandle {
            lp: Arc::clone(&self.lp),
            slot: self.slot,
        }
    }
}

impl<P: Park, const CAP: usize> core::fmt::Debug for OwnedSlotHandle<P, CAP> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OwnedSlotHandle")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl<P: Park, const CAP: usize> crate::mailbox::Notifier for OwnedSlotHandle<P, CAP> {
    fn notify(&self) -> Notified {
        OwnedSlotHandle::notify(self)
    }

    fn notify_kept(&self) -> Notified {
        OwnedSlotHandle::notify_kept(self)
    }

    fn slot(&self) -> usize {
        self.slot
    }
}

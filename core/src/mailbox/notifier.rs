//! What a mailbox notifies its loop through.

use crate::async_handle::{Notified, SlotHandle};
use crate::park::Park;

/// A handle that notifies one slot of a loop: [`SlotHandle`], which borrows the
/// loop; [`OwnedSlotHandle`](crate::OwnedSlotHandle) (feature `std`), which shares
/// ownership of it; or a reference to either. A [`Mailbox`](crate::mailbox::Mailbox)
/// keeps one and notifies through it after every send.
///
/// ```
/// use rearm_core::mailbox::Notifier;
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Loop, Notified};
///
/// fn kick(to_loop: &impl Notifier) -> Notified {
///     to_loop.notify()
/// }
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let handle = lp.handle(0)?;
/// assert_eq!(kick(&handle), Notified::Dropped); // nobody armed slot 0
/// assert_eq!(handle.slot(), 0);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub trait Notifier {
    /// Notifies the slot; see [`SlotHandle::notify`].
    fn notify(&self) -> Notified;

    /// Notifies the slot and makes it keep notifications that find it dead,
    /// for its next arm; see [`SlotHandle::notify_kept`]. What a mailbox calls.
    fn notify_kept(&self) -> Notified;

    /// The slot it notifies.
    fn slot(&self) -> usize;
}

impl<P: Park, const CAP: usize> Notifier for SlotHandle<'_, P, CAP> {
    fn notify(&self) -> Notified {
        SlotHandle::notify(self)
    }

    fn notify_kept(&self) -> Notified {
        SlotHandle::notify_kept(self)
    }

    fn slot(&self) -> usize {
        SlotHandle::slot(self)
    }
}

impl<N: Notifier + ?Sized> Notifier for &N {
    fn notify(&self) -> Notified {
        (**self).notify()
    }

    fn notify_kept(&self) -> Notified {
        (**self).notify_kept()
    }

    fn slot(&self) -> usize {
        (**self).slot()
    }
}

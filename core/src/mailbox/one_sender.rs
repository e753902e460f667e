//! A mailbox for exactly one sender: the same protocol as [`Mailbox`], on a
//! single-producer ring.
//!
//! [`Mailbox`]: super::Mailbox

#[cfg(rearm_loom)]
use super::MailboxFault;
use super::handover::{Handover, Senders};
use super::one_queue::{OneToOne, PopEnd, PushEnd};
use super::{MailboxCounts, Notifier};
use crate::Notified;

/// A bounded queue of `N - 1` values of `T` with one sender, bound to one
/// slot of a loop: [`split`](OneSenderMailbox::split) it into a
/// [`OneSender`], which one thread at a time sends with, and a
/// [`OneReceiver`], which the slot's callback drains with.
///
/// It keeps [`Mailbox`](crate::Mailbox)'s promises (a send never blocks and
/// never drops a value, a full mailbox hands the value back, every value
/// enqueued before a notify or a skipped one is there for the drain that
/// follows, the mailbox is [never deaf](crate::Mailbox#never-deaf), the same
/// [`MailboxCounts`]) on a faster queue: heapless's
/// single-producer ring, where neither end takes a lock or a
/// compare-and-swap. Use it when one thread produces; `Mailbox` when several
/// do. One cell stays free to tell full from empty, so `N` is at least 2 and
/// the mailbox holds `N - 1`.
///
/// The ends borrow the mailbox: keep it where both threads can reach it for
/// as long as they run (a scoped thread, a `static` through a
/// one-time `&'static mut`, any storage that outlives both).
///
/// On one thread, the sender playing another (`examples/one_sender.rs` has a
/// producer thread):
///
/// ```
/// use rearm_core::{Action, Exit, Loop, Notified, OneSenderMailbox, RunMode, SlotRunner, SpinPark};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mut mailbox: OneSenderMailbox<u32, 3> = OneSenderMailbox::new();
/// assert_eq!(mailbox.capacity(), 2);
/// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
/// let mut runner = SlotRunner::new(&lp)?;
/// runner.arm(0)?; // armed before the first send: none is dropped
///
/// assert_eq!(sender.send(7), Ok(Notified::Pending)); // tells the loop
/// assert_eq!(sender.send(8), Ok(Notified::Coalesced)); // already told
/// assert_eq!(sender.send(9), Err(9)); // full: the value comes back
///
/// let mut sum = 0;
/// let mut on_mail = |_slot: usize| {
///     receiver.drain(|value| sum += value); // every callback empties it
///     Action::Disarm
/// };
/// assert_eq!(runner.run(RunMode::UntilDone, &mut on_mail), Exit::Done);
/// assert_eq!(sum, 15);
/// drop((sender, runner));
/// let counts = mailbox.counts();
/// assert_eq!((counts.sent, counts.received, counts.refused), (2, 2, 1));
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct OneSenderMailbox<T, const N: usize> {
    queue: OneToOne<T, N>,
    handover: Handover,
}

impl<T, const N: usize> OneSenderMailbox<T, N> {
    const SIZE_IS_VALID: () = assert!(
        N >= 2,
        "a OneSenderMailbox keeps one cell free: N is at least 2"
    );

    /// An empty mailbox.
    pub fn new() -> Self {
        let () = Self::SIZE_IS_VALID;
        OneSenderMailbox {
            queue: OneToOne::new(),
            handover: Handover::new(),
        }
    }

    /// A mailbox whose sends have a deliberate bug: the loom models'
    /// negative control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    pub fn with_fault(fault: MailboxFault) -> Self {
        let mut mailbox = Self::new();
        mailbox.handover.set_fault(fault);
        mailbox
    }

    /// Its two ends: the sender, which notifies through `to_loop`, and the
    /// receiver. Each may move to another thread; while they live, the
    /// mailbox is theirs. Split again after dropping both, to hand the ends
    /// to other threads: values still queued stay queued.
    pub fn split<A: Notifier>(
        &mut self,
        to_loop: A,
    ) -> (OneSender<'_, T, A, N>, OneReceiver<'_, T, N>) {
        let (push, pop) = self.queue.split();
        let handover = &self.handover;
        (
            OneSender {
                push,
                to_loop,
                handover,
                unannounced: false,
            },
            OneReceiver { pop, handover },
        )
    }

    /// The counts: values sent, received, refused; see
    /// [`Mailbox::counts`](crate::Mailbox::counts).
    pub fn counts(&self) -> MailboxCounts {
        self.handover.counts()
    }

    /// How many values it holds at most, `N - 1`.
    pub const fn capacity(&self) -> usize {
        N - 1
    }
}

impl<T, const N: usize> Default for OneSenderMailbox<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The sending end of a [`OneSenderMailbox`]: one per mailbox, so it sends
/// with `&mut self`.
///
/// [`send`](OneSender::send) tells the loop of each value. A sender with a
/// burst to hand over can [`send_deferred`](OneSender::send_deferred) each
/// value and [`flush`](OneSender::flush) once: the loop learns of the whole
/// burst at the flush, for one look at whether it was told and at most one
/// notify, where `send` pays a full memory fence per value.
///
/// ```
/// use rearm_core::{Action, Loop, Notified, OneSenderMailbox, RunMode, SlotRunner, SpinPark};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mut mailbox: OneSenderMailbox<u32, 8> = OneSenderMailbox::new();
/// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
/// let mut runner = SlotRunner::new(&lp)?;
/// runner.arm(0)?;
///
/// for value in 1..=5 {
///     sender.send_deferred(value).expect("room for five");
/// }
/// let sum = core::cell::Cell::new(0);
/// let mut on_mail = |_slot: usize| {
///     receiver.drain(|value| sum.set(sum.get() + value));
///     Action::Rearm
/// };
/// runner.run(RunMode::NoWait, &mut on_mail);
/// assert_eq!(sum.get(), 0); // queued, but the loop was not told
/// assert_eq!(sender.flush(), Some(Notified::Pending)); // one notify for all five
/// assert_eq!(sender.flush(), None); // nothing new to announce
/// runner.run(RunMode::NoWait, &mut on_mail);
/// assert_eq!(sum.get(), 15);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct OneSender<'m, T, A: Notifier, const N: usize> {
    push: PushEnd<'m, T, N>,
    to_loop: A,
    handover: &'m Handover,
    /// Values were enqueued by `send_deferred` since the loop was last
    /// told: the next `flush` (or `send`, or the drop) must announce them.
    unannounced: bool,
}

impl<T, A: Notifier, const N: usize> OneSender<'_, T, A, N> {
    /// Enqueues `value`, then makes sure the loop will drain it and every
    /// value deferred before it; never blocks. Returns what
    /// [`Mailbox::send`](crate::Mailbox::send) returns: `Pending`,
    /// `Coalesced` or `Kept`, or the value back in the `Err` when the
    /// mailbox is full (which [flushes](OneSender::flush) deferred values).
    pub fn send(&mut self, value: T) -> Result<Notified, T> {
        let push = &mut self.push;
        match self
            .handover
            .send(Senders::One, &self.to_loop, || push.push(value))
        {
            Ok(notified) => {
                self.unannounced = false;
                Ok(notified)
            }
            Err(value) => {
                self.flush();
                Err(value)
            }
        }
    }

    /// Enqueues `value` without telling the loop; never blocks. The loop
    /// learns of it at the next [`flush`](OneSender::flush) or
    /// [`send`](OneSender::send), or when this sender is dropped; a drain
    /// that runs before then for another reason may take it too. Counted
    /// as sent at once, like a value from `send`.
    ///
    /// When the mailbox is full the value comes back in the `Err`, and the
    /// deferred values that fill it are flushed first: a sender that waits
    /// for room never waits on a loop that was not told.
    pub fn send_deferred(&mut self, value: T) -> Result<(), T> {
        let push = &mut self.push;
        match self
            .handover
            .enqueue_quietly(Senders::One, || push.push(value))
        {
            Ok(()) => {
                self.unannounced = true;
                Ok(())
            }
            Err(value) => {
                self.flush();
                Err(value)
            }
        }
    }

    /// Tells the loop of every value deferred since it was last told, as one
    /// `send` would: `Some` of what the notify did (`Coalesced` also when
    /// the loop was already told), or `None` when there was nothing to
    /// announce.
    pub fn flush(&mut self) -> Option<Notified> {
        if !core::mem::take(&mut self.unannounced) {
            return None;
        }
        Some(self.handover.announce(&self.to_loop))
    }

    /// The mailbox's counts; see [`OneSenderMailbox::counts`].
    pub fn counts(&self) -> MailboxCounts {
        self.handover.counts()
    }

    /// What it notifies through.
    pub fn notifier(&self) -> &A {
        &self.to_loop
    }
}

/// A sender dropped with deferred values announces them: none is left in
/// the queue with the loop untold.
impl<T, A: Notifier, const N: usize> Drop for OneSender<'_, T, A, N> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The receiving end of a [`OneSenderMailbox`], for the slot's callback.
pub struct OneReceiver<'m, T, const N: usize> {
    pop: PopEnd<'m, T, N>,
    handover: &'m Handover,
}

impl<T, const N: usize> OneReceiver<'_, T, N> {
    /// Hands every value there to `each`, oldest first, and returns how
    /// many. As with [`Mailbox::drain`](crate::Mailbox::drain), every
    /// callback must empty the mailbox, with this or with `try_recv` until
    /// `None`.
    pub fn drain(&mut self, each: impl FnMut(T)) -> usize {
        let pop = &mut self.pop;
        self.handover.drain(|| pop.pop(), each)
    }

    /// Takes the oldest value, if any; `None` means the mailbox was empty
    /// (a value is there the moment its `send` enqueued it: one sender never
    /// leaves a claimed cell half-written), and the next send notifies.
    pub fn try_recv(&mut self) -> Option<T> {
        let pop = &mut self.pop;
        self.handover.try_recv(|| pop.pop())
    }

    /// The mailbox's counts; see [`OneSenderMailbox::counts`].
    pub fn counts(&self) -> MailboxCounts {
        self.handover.counts()
    }
}

impl<T, const N: usize> core::fmt::Debug for OneSenderMailbox<T, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneSenderMailbox")
            .field("capacity", &self.capacity())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl<T, A: Notifier, const N: usize> core::fmt::Debug for OneSender<'_, T, A, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneSender")
            .field("slot", &self.to_loop.slot())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl<T, const N: usize> core::fmt::Debug for OneReceiver<'_, T, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneReceiver")
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

//! A bounded, allocation-free queue bound to one slot: notifications that
//! carry data.

mod handover;
mod notifier;
mod one_queue;
mod one_sender;
mod queue;

pub use notifier::Notifier;
pub use one_sender::{OneReceiver, OneSender, OneSenderMailbox};

use crate::Notified;
use handover::{Handover, Senders};
use queue::Queue;

/// A bounded queue of `N` values of `T` bound to one slot of a loop: any
/// thread [`send`](Mailbox::send)s, and the slot's callback
/// [`drain`](Mailbox::drain)s. It is what libuv users build from
/// `uv_async_send` and a queue behind a mutex, without the mutex and without
/// allocating: the values live in the mailbox (heapless's multi-producer
/// array queue), and `N` is a power of two, at least 2.
///
/// A send enqueues, then notifies the slot through its [`Notifier`], unless
/// the loop has already been told and has not yet found the mailbox empty:
/// while a busy loop drains, senders touch nothing of the loop's. Every value
/// enqueued before a notify, or before a skipped one, is there for the drain
/// that follows: none is left behind for some later send. A full mailbox
/// hands the value back in the `Err`: a send never drops a value and never
/// blocks.
///
/// # Never deaf
///
/// A value that `send` accepted is drained by a later run once the slot is
/// armed and the loop runs, whatever happened to the slot in between: a send
/// while it was dead, a disarm (by the callback or from outside) with the
/// notification still pending, a runner dropped and made again, a callback or
/// a drain that panicked. No hand-drain is needed after any of them: the
/// mailbox notifies with [`Async::notify_kept`](crate::Async::notify_kept),
/// so the loop keeps such notifications for the slot's next arm; a handler
/// that panics leaves its notification pending for the next run; a drain
/// that panics clears the "told" mark, so the next send notifies. What the
/// mailbox needs from its callback is that every call empties it, with
/// [`drain`](Mailbox::drain) or [`try_recv`](Mailbox::try_recv) until `None`.
///
/// Its counts ([`counts`](Mailbox::counts)): values sent, received and
/// refused, each counted where it happens. At a quiescent point
/// `sent == received + queued`, with refused sends apart.
///
/// On one thread, the sender playing another (`examples/mailbox.rs` has
/// producer threads):
///
/// ```
/// use rearm_core::{Action, Exit, Loop, Mailbox, Notified, RunMode, SlotRunner, SpinPark};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(lp.handle(0)?);
/// let mut runner = SlotRunner::new(&lp)?;
/// runner.arm(0)?; // armed before the first send: none is dropped
///
/// assert_eq!(mailbox.send(7), Ok(Notified::Pending)); // tells the loop
/// assert_eq!(mailbox.send(8), Ok(Notified::Coalesced)); // already told
/// assert_eq!(mailbox.send(9), Err(9)); // full: the value comes back
///
/// let mut sum = 0;
/// let mut on_mail = |_slot: usize| {
///     mailbox.drain(|value| sum += value); // every callback empties it
///     Action::Disarm
/// };
/// assert_eq!(runner.run(RunMode::UntilDone, &mut on_mail), Exit::Done);
/// assert_eq!(sum, 15);
/// let counts = mailbox.counts();
/// assert_eq!((counts.sent, counts.received, counts.refused), (2, 2, 1));
/// assert_eq!(counts.queued(), 0);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct Mailbox<T, A: Notifier, const N: usize> {
    queue: Queue<T, N>,
    to_loop: A,
    handover: Handover,
}

/// A value alone on its cache line (128 bytes: two 64-byte lines, for
/// processors that fetch lines in pairs).
#[repr(align(128))]
struct LineOf<T>(T);

/// A mailbox's counts; see [`Mailbox::counts`].
///
/// More may be counted later: read the fields, do not build the struct.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MailboxCounts {
    /// Values enqueued (sends that returned `Ok`).
    pub sent: u64,
    /// Values taken out by [`Mailbox::drain`] and [`Mailbox::try_recv`].
    pub received: u64,
    /// Sends that found the mailbox full and handed their value back.
    pub refused: u64,
}

impl MailboxCounts {
    /// Values sent but not yet received: at a quiescent point, what a drain
    /// would take. Wraps with the counters on targets without 64-bit atomics.
    pub fn queued(&self) -> u64 {
        self.sent.wrapping_sub(self.received)
    }
}

/// A deliberately wrong send, for the loom models' negative control. Exists
/// only under `cfg(rearm_loom)`.
#[cfg(rearm_loom)]
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxFault {
    /// Sends as designed.
    None,
    /// Notifies first and enqueues after: the loop can take the notification
    /// and drain before the value is there, and nothing notifies again.
    NotifyBeforeEnqueue,
    /// Reads whether the loop was told without the fence after the enqueue:
    /// a sender can read a stale "told" while the receiver, having cleared
    /// it, finds the queue empty.
    NoFenceBeforeLook,
}

impl<T, A: Notifier, const N: usize> Mailbox<T, A, N> {
    const CAPACITY_IS_VALID: () = assert!(
        N >= 2 && N.is_power_of_two(),
        "a Mailbox holds a power of two values, at least 2"
    );

    /// An empty mailbox that notifies through `to_loop` after each send.
    pub fn new(to_loop: A) -> Self {
        let () = Self::CAPACITY_IS_VALID;
        Mailbox {
            queue: Queue::new(),
            to_loop,
            handover: Handover::new(),
        }
    }

    /// A mailbox whose sends have a deliberate bug: the loom models'
    /// negative control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    pub fn with_fault(to_loop: A, fault: MailboxFault) -> Self {
        let mut mailbox = Self::new(to_loop);
        mailbox.handover.set_fault(fault);
        mailbox
    }

    /// Enqueues `value`, then makes sure the loop will drain it, from any
    /// thread; never blocks. Returns what became of the notification:
    /// `Pending` (this send told the loop), `Coalesced` (it had been told and
    /// has not yet found the mailbox empty: it drains this value too; such a
    /// send does not notify at all, so the slot's ledger does not count it),
    /// or `Kept` (the slot is dead: the loop is told when the slot is next
    /// armed, and drains the value then). When the mailbox is full the value
    /// comes back in the `Err`, and nothing is notified.
    pub fn send(&self, value: T) -> Result<Notified, T> {
        self.handover
            .send(Senders::Many, &self.to_loop, || self.queue.push(value))
    }

    /// Takes the oldest value, if any; take values until `None` in the slot's
    /// callback. `None` clears the "told" mark as [`drain`](Mailbox::drain)
    /// does, so the next send notifies.
    ///
    /// `None` means no value was ready: the mailbox was empty, or the sender
    /// of its oldest value had claimed that value's cell and not yet finished
    /// writing it (the values behind it wait with it). That sender then finds
    /// the mark cleared and notifies, so the loop drains its value next; a
    /// receive that must see it at once has to look again. (crossbeam's
    /// bounded `try_recv` waits for such a sender instead; the mailbox never
    /// waits.)
    pub fn try_recv(&self) -> Option<T> {
        self.handover.try_recv(|| self.queue.pop())
    }

    /// Hands every value there to `each`, oldest first, and returns how many.
    /// Call it from the slot's callback (every callback must empty the
    /// mailbox, with this or with `try_recv` until `None`): senders skip the
    /// notify while the loop is told, and only finding the mailbox empty
    /// clears that.
    ///
    /// A value whose sender is still writing it is not there yet, nor are
    /// those behind it; that sender then finds the mark cleared and notifies.
    pub fn drain(&self, each: impl FnMut(T)) -> usize {
        self.handover.drain(|| self.queue.pop(), each)
    }

    /// The counts: values sent, received, refused. Read them at a quiescent
    /// point (senders joined, the loop not draining) for
    /// `sent == received + queued` to hold; in between they are read one at a
    /// time.
    pub fn counts(&self) -> MailboxCounts {
        self.handover.counts()
    }

    /// How many values it holds at most, `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// What it notifies through.
    pub fn notifier(&self) -> &A {
        &self.to_loop
    }
}

impl<T, A: Notifier, const N: usize> core::fmt::Debug for Mailbox<T, A, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mailbox")
            .field("capacity", &N)
            .field("slot", &self.to_loop.slot())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

//! A bounded, allocation-free queue bound to one slot: notifications that
//! carry data.

mod notifier;
mod queue;

pub use notifier::Notifier;

use crate::Notified;
use crate::sync::{AtomicCount, Ordering, bump_shared, read};
use queue::Queue;

/// A bounded queue of `N` values of `T` bound to one slot of a loop: any
/// thread [`send`](Mailbox::send)s, and the slot's callback
/// [`drain`](Mailbox::drain)s. It is what libuv users build from
/// `uv_async_send` and a queue behind a mutex, without the mutex and without
/// allocating: the values live in the mailbox (heapless's multi-producer
/// array queue), and `N` is a power of two, at least 2.
///
/// A send enqueues, then notifies the slot through its [`Notifier`]. The
/// loop takes the notification before it runs the callback, so every value
/// enqueued before a notify, coalesced or not, is there for the drain that
/// notification leads to: none is left behind for some later notify. A full
/// mailbox hands the value back in the `Err`: a send never drops a value and
/// never blocks.
///
/// Its counts ([`counts`](Mailbox::counts)): values sent, received and
/// refused, each counted where it happens. At a quiescent point
/// `sent == received + queued`, with refused sends apart.
///
/// ```
/// use rearm_core::{Action, Loop, Mailbox, RunMode, Runner, SpinPark};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mailbox: Mailbox<u64, _, 64> = Mailbox::new(lp.handle(0)?);
/// let (mut sum, mut seen) = (0, 0);
/// let mut on_mail = || {
///     seen += mailbox.drain(|value| sum += value);
///     if seen == 300 { Action::Disarm } else { Action::Rearm }
/// };
/// let mut runner = Runner::new(&lp)?;
/// runner.arm(0, &mut on_mail)?;
/// std::thread::scope(|s| {
///     for sender in 0..3 {
///         let mailbox = &mailbox;
///         s.spawn(move || {
///             for i in 0..100 {
///                 let mut value = sender * 100 + i;
///                 // Full: the value comes back; try again.
///                 while let Err(back) = mailbox.send(value) {
///                     value = back;
///                     std::thread::yield_now();
///                 }
///             }
///         });
///     }
///     runner.run(RunMode::UntilDone);
/// });
/// drop(runner);
/// assert_eq!(sum, (0..300).sum());
/// let counts = mailbox.counts();
/// assert_eq!((counts.sent, counts.received, counts.queued()), (300, 300, 0));
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct Mailbox<T, A: Notifier, const N: usize> {
    queue: Queue<T, N>,
    to_loop: A,
    sent: AtomicCount,
    refused: AtomicCount,
    received: AtomicCount,
    #[cfg(rearm_loom)]
    fault: MailboxFault,
}

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
            sent: AtomicCount::new(0),
            refused: AtomicCount::new(0),
            received: AtomicCount::new(0),
            #[cfg(rearm_loom)]
            fault: MailboxFault::None,
        }
    }

    /// A mailbox whose sends have a deliberate bug: the loom models'
    /// negative control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    pub fn with_fault(to_loop: A, fault: MailboxFault) -> Self {
        Mailbox {
            fault,
            ..Self::new(to_loop)
        }
    }

    /// Enqueues `value`, then notifies the slot, from any thread; never
    /// blocks. Returns what became of the notification: `Coalesced` is normal
    /// (the loop has one pending and will drain this value with it);
    /// `Dropped` means the slot is dead, so the value waits until the slot is
    /// armed and notified again, or someone drains. When the mailbox is full
    /// the value comes back in the `Err`, and nothing is notified.
    pub fn send(&self, value: T) -> Result<Notified, T> {
        #[cfg(rearm_loom)]
        if self.fault == MailboxFault::NotifyBeforeEnqueue {
            self.to_loop.notify();
            return self.enqueue(value).map(|()| Notified::Pending);
        }
        self.enqueue(value)?;
        // The order is the point: the value is complete in its cell (the
        // queue's Release store of the cell's sequence) before the notify's
        // read-modify-write on the loop's word, also Release. The loop's
        // Acquire swap of that word reads this RMW or a later one in the same
        // chain (every write to it is an RMW), so it synchronizes with it,
        // coalesced or not, and the drain after it sees the value.
        Ok(self.to_loop.notify())
    }

    fn enqueue(&self, value: T) -> Result<(), T> {
        match self.queue.push(value) {
            Ok(()) => {
                bump_shared(&self.sent);
                Ok(())
            }
            Err(value) => {
                bump_shared(&self.refused);
                Err(value)
            }
        }
    }

    /// Takes the oldest value, if any. A value whose sender is still writing
    /// it is not there yet (nor are those behind it); that sender notifies
    /// when it is done.
    pub fn try_recv(&self) -> Option<T> {
        let value = self.queue.pop()?;
        bump_shared(&self.received);
        Some(value)
    }

    /// Hands every value there to `each`, oldest first, and returns how many.
    /// Call it from the slot's callback: the notification that ran the
    /// callback was taken first, so every value sent before it is drained now,
    /// and any sent later notifies again.
    pub fn drain(&self, mut each: impl FnMut(T)) -> usize {
        // Counted once per drain, one locked add instead of one per value;
        // the guard adds them even if `each` panics part-way.
        let mut taken = Taken {
            counter: &self.received,
            count: 0,
        };
        while let Some(value) = self.queue.pop() {
            taken.count += 1;
            each(value);
        }
        taken.count
    }

    /// The counts: values sent, received, refused. Read them at a quiescent
    /// point (senders joined, the loop not draining) for
    /// `sent == received + queued` to hold; in between they are read one at a
    /// time.
    pub fn counts(&self) -> MailboxCounts {
        MailboxCounts {
            sent: read(&self.sent),
            received: read(&self.received),
            refused: read(&self.refused),
        }
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

/// Adds a drain's count to `received` when the drain ends, however it ends.
struct Taken<'a> {
    counter: &'a AtomicCount,
    count: usize,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if self.count > 0 {
            // Relaxed: a counter orders nothing; read at quiescent points.
            self.counter.fetch_add(self.count as _, Ordering::Relaxed);
        }
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

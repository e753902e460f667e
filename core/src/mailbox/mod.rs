//! Bounded queues bound to one slot: notifications that carry data, with no
//! lock and no heap.
//!
//! - [`Mailbox`]: any number of senders; the slot's callback drains it, or
//!   any thread receives.
//! - [`OneSenderMailbox`]: one sender and one receiver ([`OneSender`],
//!   [`OneReceiver`]), on a ring neither end locks or compare-and-swaps.
//! - [`Notifier`]: how a mailbox tells its receiver. A [`SlotHandle`]
//!   tells a loop; a [`Signal`] wakes a receiver that blocks on its own
//!   (`recv`, `recv_timeout`); an [`AsyncSignal`] wakes one that awaits
//!   (`recv().await`).
//! - With the `std` feature, owned ends ([`OwnedSender`], [`OwnedReceiver`],
//!   [`OwnedOneSender`], [`OwnedOneReceiver`]) that close the mailbox when
//!   the last of one side is dropped.
//!
//! [`SlotHandle`]: crate::SlotHandle

mod error;
mod handover;
mod notifier;
mod one_queue;
mod one_sender;
#[cfg(feature = "std")]
mod owned;
mod queue;
mod receive;
#[cfg(feature = "futures-core")]
mod stream;

pub use error::{RecvError, RecvTimeoutError, TryRecvError, TrySendError};
pub use notifier::Notifier;
pub use one_sender::{OneReceiver, OneSender, OneSenderMailbox};
#[cfg(feature = "std")]
pub use one_sender::{OwnedOneReceiver, OwnedOneSender};
#[cfg(feature = "std")]
pub use owned::{OwnedReceiver, OwnedSender};
// The notifiers of a receiver that waits without a loop live beside it.
pub use crate::signal::{AsyncSignal, Signal};

use crate::async_handle::Notified;
use crate::sync::const_fn_unless_loom;
use handover::{Handover, Senders};
use queue::Queue;

/// A bounded queue of `N` values of `T` bound to one slot of a loop: any
/// thread [`send`](Mailbox::send)s, and the slot's callback
/// [`drain`](Mailbox::drain)s. It is what libuv users build from
/// `uv_async_send` and a queue behind a mutex, without the mutex and without
/// allocating: the values live in the mailbox (a multi-producer array
/// queue), and `N` is a power of two, at least 2.
///
/// A send enqueues, then notifies the slot through its [`Notifier`], unless
/// the loop has already been told and has not yet found the mailbox empty:
/// while a busy loop drains, senders touch nothing of the loop's. Every value
/// enqueued before a notify, or before a skipped one, is there for the drain
/// that follows: none is left behind for some later send. A full or closed
/// mailbox hands the value back in the `Err` ([`TrySendError`]): a send never
/// drops a value and never blocks.
///
/// [`new`](Mailbox::new) is a `const fn`: a mailbox can be a `static` beside
/// a `static` loop (the `bare_metal` example has one).
///
/// # Closing
///
/// [`close`](Mailbox::close) says no more values will come (or, called by the
/// receiver, that none is wanted): later sends hand their value back as
/// [`TrySendError::Closed`], the loop is told, and the receiver takes what was
/// sent before the close, after which [`try_recv`](Mailbox::try_recv) returns
/// [`TryRecvError::Closed`] (and [`is_closed`](Mailbox::is_closed) says so
/// after a [`drain`](Mailbox::drain)). A send racing the close may still be
/// accepted; its value then arrives after the receiver saw the close.
///
/// # Never deaf
///
/// A value that `send` accepted is drained by a later run once the slot is
/// armed and the loop runs, whatever happened to the slot in between: a send
/// while it was dead, a disarm (by the callback or from outside) with the
/// notification still pending, a runner dropped and made again, a callback or
/// a drain that panicked. No hand-drain is needed after any of them: the
/// mailbox notifies with [`SlotHandle::notify_kept`](crate::SlotHandle::notify_kept),
/// so the loop keeps such notifications for the slot's next arm; a handler
/// that panics leaves its notification pending for the next run; a drain
/// that panics clears the "told" mark, so the next send notifies. What the
/// mailbox needs from its callback is that every call empties it, with
/// [`drain`](Mailbox::drain) or [`try_recv`](Mailbox::try_recv) until an `Err`.
///
/// Its counts ([`counts`](Mailbox::counts)): values sent, received and
/// refused, each counted where it happens. At a quiescent point
/// `sent == received + queued`, with refused sends apart.
///
/// On one thread, the sender playing another (`examples/mailbox.rs` has
/// producer threads):
///
/// ```
/// use rearm_core::mailbox::{Mailbox, TrySendError};
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, Exit, HandlerRunner, Loop, Notified, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(lp.handle(0)?);
/// let mut runner = HandlerRunner::new(&lp)?;
/// runner.arm(0)?;
///
/// assert_eq!(mailbox.send(7), Ok(Notified::Queued)); // tells the loop
/// assert_eq!(mailbox.send(8), Ok(Notified::Coalesced)); // already told
/// assert_eq!(mailbox.send(9), Err(TrySendError::Full(9))); // the value comes back
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

/// What a queue's drop does with the values still in it: drops every value
/// `pop` gives, oldest first. If one's drop panics, `leak_rest` runs during
/// the unwind and leaks those left rather than drop them (a second panic
/// there would abort the process), as heapless's queues and crossbeam's
/// channels do.
fn drop_oldest_first<T>(mut pop: impl FnMut() -> Option<T>, leak_rest: impl FnOnce()) {
    struct OnUnwind<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for OnUnwind<F> {
        fn drop(&mut self) {
            if let Some(leak_rest) = self.0.take() {
                leak_rest();
            }
        }
    }
    let mut unwinding = OnUnwind(Some(leak_rest));
    while let Some(value) = pop() {
        drop(value);
    }
    unwinding.0 = None;
}

/// A mailbox's counts; see [`Mailbox::counts`].
///
/// More may be counted later: read the fields, do not build the struct.
///
/// # Examples
///
/// ```
/// use rearm_core::Loop;
/// use rearm_core::mailbox::Mailbox;
/// use rearm_core::park::SpinPark;
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mailbox: Mailbox<u32, _, 4> = Mailbox::new(lp.handle(0)?);
/// mailbox.send(1).unwrap();
/// mailbox.send(2).unwrap();
/// assert_eq!(mailbox.try_recv(), Ok(1));
/// let counts = mailbox.counts();
/// assert_eq!((counts.sent, counts.received, counts.refused), (2, 1, 0));
/// assert_eq!(counts.queued(), 1);
/// # Ok::<(), rearm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MailboxCounts {
    /// Values enqueued (sends that returned `Ok`).
    pub sent: u64,
    /// Values taken out by [`Mailbox::drain`], [`Mailbox::try_recv`] and
    /// [`Mailbox::try_iter`].
    pub received: u64,
    /// Sends that handed their value back: the mailbox was full, or closed.
    pub refused: u64,
}

impl MailboxCounts {
    /// Values sent but not yet received: at a quiescent point, what a drain
    /// would take. Wraps with the counters on targets without 64-bit atomics.
    #[must_use]
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
    /// Closes without telling the loop: a receiver that found the mailbox
    /// empty and open just before is never run again to see the close.
    CloseUntold,
    /// A receiver that empties the mailbox does not look for senders waiting
    /// for room, nor for those that asked for it: a sender asleep on a full
    /// mailbox stays asleep, and one that asked is never told.
    NoRoomWake,
}

impl<T, A: Notifier, const N: usize> Mailbox<T, A, N> {
    const CAPACITY_IS_VALID: () = assert!(
        N >= 2 && N.is_power_of_two(),
        "a Mailbox holds a power of two values, at least 2 (its queue, a \
         multi-producer array queue, tells a cell's turn by its position modulo N)"
    );

    const_fn_unless_loom! {
        /// An empty, open mailbox that notifies through `to_loop` after each
        /// send.
        ///
        /// # Panics
        ///
        /// Never at run time. An `N` that is not a power of two of at least 2
        /// does not compile: the check is a constant, evaluated when the type
        /// is used.
        ///
        /// # Examples
        ///
        /// ```
        /// use rearm_core::Loop;
        /// use rearm_core::mailbox::Mailbox;
        /// use rearm_core::park::SpinPark;
        ///
        /// static LOOP: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
        /// static INBOX: Mailbox<u8, rearm_core::SlotHandle<'static, SpinPark, 1>, 16> =
        ///     Mailbox::new(match LOOP.handle(0) {
        ///         Ok(handle) => handle,
        ///         Err(_) => panic!("slot 0 exists"),
        ///     });
        /// assert_eq!(INBOX.capacity(), 16);
        /// ```
        pub fn new(to_loop: A) -> Self {
            let () = Self::CAPACITY_IS_VALID;
            Mailbox {
                queue: Queue::new(),
                to_loop,
                handover: Handover::new(),
            }
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
    /// `Queued` (this send told the loop), `Coalesced` (it had been told and
    /// has not yet found the mailbox empty: it drains this value too; such a
    /// send does not notify at all, so the slot's ledger does not count it),
    /// or `Kept` (the slot is dead: the loop is told when the slot is next
    /// armed, and drains the value then).
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the mailbox holds `N` values, or when the
    /// cell this send needs is still being emptied by a receive in progress
    /// (it is free the moment that receive ends); [`TrySendError::Closed`]
    /// once it is closed. Each with the value, and nothing notified.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, TrySendError};
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Loop, Notified};
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(lp.handle(0)?);
    /// assert_eq!(mailbox.send(1), Ok(Notified::Kept)); // slot 0 hears of it once armed
    /// assert_eq!(mailbox.send(2), Ok(Notified::Coalesced)); // told already
    /// assert_eq!(mailbox.send(3), Err(TrySendError::Full(3)));
    /// mailbox.close();
    /// assert_eq!(mailbox.drain(|_| {}), 2);
    /// assert_eq!(mailbox.send(4), Err(TrySendError::Closed(4)));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn send(&self, value: T) -> Result<Notified, TrySendError<T>> {
        self.handover
            .send(Senders::Many, &self.to_loop, value, |value| {
                self.queue.push(value)
            })
    }

    /// Sends `value`, waiting while the mailbox is full until a receiver
    /// makes room (a drain or `try_recv` that empties it wakes the waiting
    /// senders); needs the `std` feature. Returns what [`send`](Mailbox::send)
    /// returns. A sender that finds it full first yields a few times, trying
    /// again after each (on a CPU it shares with the receiver, that lets the
    /// receiver drain), and then sleeps: it costs the receiver one load per
    /// drain while nobody waits.
    ///
    /// It waits for ever if nothing drains (the slot dead, the loop stopped):
    /// [`send_timeout`](Mailbox::send_timeout) bounds the wait.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Closed`], with the value, once the mailbox is closed,
    /// before or while it waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(Signal::new(ThreadPark::new()));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         for value in 0..10 {
    ///             mailbox.send_blocking(value).unwrap(); // waits while the mailbox is full
    ///         }
    ///     });
    ///     let received: u32 = (0..10).map(|_| mailbox.recv().unwrap()).sum();
    ///     assert_eq!(received, 45);
    /// });
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_blocking(&self, value: T) -> Result<Notified, TrySendError<T>> {
        self.handover.send_waiting(
            Senders::Many,
            &self.to_loop,
            value,
            |value| self.queue.push(value),
            |made, guard| Some(crate::sync::wait(made, guard)),
        )
    }

    /// [`send`](Mailbox::send) for senders that cannot sleep (a loop's
    /// callback; any `no_std` sender): when the mailbox is full, the sender
    /// asks to be told of room and tries once more, and when that fails too
    /// it gets the value back, as from `send`. The receiver's next
    /// [`drain_and_tell_room`](Mailbox::drain_and_tell_room) then notifies
    /// the notifier it is given, the sender's own slot, and the sender tries
    /// again when that slot runs. It is told at most once per ask, and
    /// perhaps after it found room by itself: a notification with nothing to
    /// do. Receivers that drain otherwise tell nobody.
    ///
    /// A sender on slot 1 and a receiver on slot 0 of one loop (they could be
    /// two loops on two threads):
    ///
    /// ```
    /// use rearm_core::mailbox::Mailbox;
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode};
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    /// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(lp.handle(0)?);
    /// let room = lp.handle(1)?; // the sender's slot, told when there is room
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// runner.arm(1)?;
    /// room.notify(); // the sender's first run
    ///
    /// let (mut next, mut sum) = (1, 0);
    /// let mut on_ready = |slot: usize| {
    ///     if slot == 1 {
    ///         while next <= 5 {
    ///             if mailbox.send_or_ask_room(next).is_err() {
    ///                 return Action::Rearm; // full: run again when told
    ///             }
    ///             next += 1;
    ///         }
    ///         Action::Disarm
    ///     } else {
    ///         mailbox.drain_and_tell_room(|value| sum += value, &room);
    ///         if sum == 15 { Action::Disarm } else { Action::Rearm }
    ///     }
    /// };
    /// assert_eq!(runner.run(RunMode::UntilDone, &mut on_ready), Exit::Done);
    /// assert_eq!(sum, 15);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`send`](Mailbox::send)'s: [`TrySendError::Full`] after the
    /// second try, [`TrySendError::Closed`] once closed; each with the value.
    pub fn send_or_ask_room(&self, value: T) -> Result<Notified, TrySendError<T>> {
        self.handover
            .send_or_ask_room(Senders::Many, &self.to_loop, value, |value| {
                self.queue.push(value)
            })
    }

    /// [`send_blocking`](Mailbox::send_blocking) for at most `timeout`.
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, TrySendError};
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::Loop;
    /// use core::time::Duration;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mailbox: Mailbox<u32, _, 2> = Mailbox::new(lp.handle(0)?);
    /// mailbox.send(1).unwrap();
    /// mailbox.send(2).unwrap();
    /// // Nobody drains: the send waits a millisecond, then hands the value back.
    /// let refused = mailbox.send_timeout(3, Duration::from_millis(1));
    /// assert_eq!(refused, Err(TrySendError::Full(3)));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the mailbox was still full at the end of
    /// `timeout`; [`TrySendError::Closed`] once it is closed. Each with the
    /// value.
    #[cfg(all(feature = "std", not(rearm_loom)))]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: core::time::Duration,
    ) -> Result<Notified, TrySendError<T>> {
        let deadline = crate::sync::Instant::now() + timeout;
        self.handover.send_waiting(
            Senders::Many,
            &self.to_loop,
            value,
            |value| self.queue.push(value),
            |made, guard| crate::sync::wait_until(made, guard, deadline),
        )
    }

    /// Takes the oldest value; take values until an `Err` in the slot's
    /// callback. `Err` clears the "told" mark as [`drain`](Mailbox::drain)
    /// does, so the next send notifies.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Closed`] once the mailbox is closed and every value
    /// sent before the close was taken. [`TryRecvError::Empty`] when no value
    /// was ready: the mailbox was empty, or the sender of its oldest value had
    /// claimed that value's cell and not yet finished writing it (the values
    /// behind it wait with it). That sender then finds the mark cleared and
    /// notifies, so the loop drains its value next; a receive that must see it
    /// at once has to look again. (crossbeam's bounded `try_recv` waits for
    /// such a sender instead; the mailbox never waits.)
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{Mailbox, TryRecvError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mailbox: Mailbox<u32, _, 4> = Mailbox::new(lp.handle(0)?);
    /// mailbox.send(7).unwrap();
    /// assert_eq!(mailbox.try_recv(), Ok(7));
    /// assert_eq!(mailbox.try_recv(), Err(TryRecvError::Empty));
    /// mailbox.close();
    /// assert_eq!(mailbox.try_recv(), Err(TryRecvError::Closed));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.handover.try_recv(|| self.queue.pop())
    }

    /// An iterator that takes values with [`try_recv`](Mailbox::try_recv)
    /// until it finds none ready (or the mailbox closed and empty). Run to
    /// its end it empties the mailbox as a drain does.
    ///
    /// ```
    /// use rearm_core::mailbox::Mailbox;
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::Loop;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mailbox: Mailbox<u32, _, 4> = Mailbox::new(lp.handle(0)?);
    /// for value in [1, 2, 3] {
    ///     mailbox.send(value).unwrap();
    /// }
    /// assert_eq!(mailbox.try_iter().sum::<u32>(), 6);
    /// assert!(mailbox.is_empty());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        core::iter::from_fn(|| self.try_recv().ok())
    }

    /// Hands every value there to `each`, oldest first, and returns how many.
    /// Call it from the slot's callback (every callback must empty the
    /// mailbox, with this or with `try_recv` until an `Err`): senders skip the
    /// notify while the loop is told, and only finding the mailbox empty
    /// clears that.
    ///
    /// A drain says nothing of a close. After it, ask
    /// [`is_closed`](Mailbox::is_closed), and when that says closed, drain
    /// once more before concluding nothing more will come: a value sent just
    /// before the close can land after the first drain's last look, and the
    /// close's own notification may be what the next run would have taken.
    /// (`try_recv` until [`TryRecvError::Closed`] does all this by itself.)
    ///
    /// A value whose sender is still writing it is not there yet, nor are
    /// those behind it; that sender then finds the mark cleared and notifies.
    ///
    /// # Panics
    ///
    /// Only with `each`'s own panic. Then the value it was given is lost with the panic, the
    /// rest stay queued, and the mark is cleared, so the next send notifies
    /// (inside the callback, the loop also runs the callback again).
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::Mailbox;
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mailbox: Mailbox<u32, _, 4> = Mailbox::new(lp.handle(0)?);
    /// for value in 1..=3 {
    ///     mailbox.send(value).unwrap();
    /// }
    /// let mut sum = 0;
    /// assert_eq!(mailbox.drain(|value| sum += value), 3);
    /// assert_eq!(sum, 6);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn drain(&self, each: impl FnMut(T)) -> usize {
        self.handover.drain(|| self.queue.pop(), each)
    }

    /// [`drain`](Mailbox::drain), then, if a sender asked for room
    /// ([`send_or_ask_room`](Mailbox::send_or_ask_room)) since the last such
    /// drain, notifies `room` (with
    /// [`notify_kept`](Notifier::notify_kept), so an asker whose slot is
    /// disarmed just then hears it when armed again). Returns how many values
    /// it handed to `each`. `room` is the askers' notifier: one notification
    /// tells every asker behind it.
    pub fn drain_and_tell_room(&self, each: impl FnMut(T), room: &impl Notifier) -> usize {
        self.handover
            .drain_and_tell_room(|| self.queue.pop(), each, room)
    }

    /// Closes the mailbox: later sends hand their value back as
    /// [`TrySendError::Closed`], and the loop is told, so that its receiver
    /// takes what is left and sees the close. Returns whether this call
    /// closed it (`false`: it already was). Values already sent stay to be
    /// received; a mailbox is closed for good.
    pub fn close(&self) -> bool {
        let closed = self.handover.close();
        #[cfg(rearm_loom)]
        let tell = !self.handover.has_fault(MailboxFault::CloseUntold);
        #[cfg(not(rearm_loom))]
        let tell = true;
        if closed && tell {
            self.handover.announce(&self.to_loop);
        }
        closed
    }

    /// Whether the mailbox is closed. After it reads `true`, every value sent
    /// before the close can be taken: drain once more (see
    /// [`drain`](Mailbox::drain)), or `try_recv` until
    /// [`TryRecvError::Closed`].
    pub fn is_closed(&self) -> bool {
        self.handover.is_closed()
    }

    /// How many values it holds: values sent and not yet received, from the
    /// counts. Exact when nothing sends or receives meanwhile; otherwise a
    /// snapshot, between 0 and `N`, that may already be out of date: a send
    /// counts from just after its value is enqueued (a receiver may take it
    /// first), and a drain's values count until the drain returns.
    pub fn len(&self) -> usize {
        // Received first: a value is counted sent before it can be counted
        // received, except in the moment between its enqueue and its count,
        // which the clamp covers.
        let received = self.handover.received();
        let sent = self.handover.sent();
        usize::try_from(sent.saturating_sub(received)).map_or(N, |held| held.min(N))
    }

    /// Whether it holds no value; [`len`](Mailbox::len) says how exact that is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it holds `N` values, so that a send would be refused;
    /// [`len`](Mailbox::len) says how exact that is.
    pub fn is_full(&self) -> bool {
        self.len() >= N
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

//! A mailbox for exactly one sender: the same protocol as [`Mailbox`], on a
//! single-producer ring.
//!
//! [`Mailbox`]: super::Mailbox

#[cfg(rearm_loom)]
use super::MailboxFault;
use super::handover::{Handover, Senders};
use super::one_queue::{OneToOne, PopEnd, PushEnd};
use super::{MailboxCounts, Notifier, TryRecvError, TrySendError};
use crate::async_handle::Notified;
#[cfg(feature = "std")]
use crate::sync::Arc;
use crate::sync::{AtomicU8, Ordering, const_fn_unless_loom};
use core::marker::PhantomData;
use core::ops::Deref;

/// [`OneSenderMailbox::ends`] bit: the sender is out.
const SENDER: u8 = 1;
/// [`OneSenderMailbox::ends`] bit: the receiver is out.
const RECEIVER: u8 = 2;

/// A bounded queue of `N` values of `T` with one sender, bound to one slot of
/// a loop: split it into a [`OneSender`], which one thread at a time sends
/// with, and a [`OneReceiver`], which the slot's callback drains with.
///
/// It keeps [`Mailbox`](crate::mailbox::Mailbox)'s promises (a send never blocks and
/// never drops a value, a full or closed mailbox hands the value back, every
/// value enqueued before a notify or a skipped one is there for the drain
/// that follows, the mailbox is [never deaf](crate::mailbox::Mailbox#never-deaf), the
/// same [`MailboxCounts`]) on a faster queue: a single-producer ring where
/// neither end compare-and-swaps a shared position. Use it when one thread
/// produces; `Mailbox` when several do. `N` is any capacity from 1.
///
/// Three ways to hold the ends:
/// - [`split`](OneSenderMailbox::split) borrows the mailbox mutably: ends for
///   scoped threads or one thread;
/// - [`try_split`](OneSenderMailbox::try_split) borrows it shared, for a
///   mailbox in a `static` (its `new` is a `const fn`): once, until both ends
///   are dropped;
/// - with `std`, [`split_owned`](OneSenderMailbox::split_owned) makes ends
///   that each own a share of the mailbox (an `Arc`), to move into
///   `thread::spawn`.
///
/// Dropping an end closes the mailbox: after the sender is gone, the receiver
/// takes what is left and then sees [`TryRecvError::Closed`]; after the
/// receiver is gone, sends hand their value back as
/// [`TrySendError::Closed`]. Splitting anew opens it again.
///
/// On one thread, the sender playing another (`examples/one_sender.rs` has a
/// producer thread):
///
/// ```
/// use rearm_core::mailbox::{OneSenderMailbox, TrySendError};
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, Exit, HandlerRunner, Loop, Notified, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
/// assert_eq!(mailbox.capacity(), 2);
/// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
/// let mut runner = HandlerRunner::new(&lp)?;
/// runner.arm(0)?;
///
/// assert_eq!(sender.send(7), Ok(Notified::Queued)); // tells the loop
/// assert_eq!(sender.send(8), Ok(Notified::Coalesced)); // already told
/// assert_eq!(sender.send(9), Err(TrySendError::Full(9))); // the value comes back
///
/// let mut sum = 0;
/// let mut on_mail = |_slot: usize| {
///     receiver.drain(|value| sum += value); // every callback empties it
///     Action::Disarm
/// };
/// assert_eq!(runner.run(RunMode::UntilDone, &mut on_mail), Exit::Done);
/// assert_eq!(sum, 15);
/// drop((sender, receiver, runner));
/// let counts = mailbox.counts();
/// assert_eq!((counts.sent, counts.received, counts.refused), (2, 2, 1));
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct OneSenderMailbox<T, const N: usize> {
    queue: OneToOne<T, N>,
    handover: Handover,
    /// Which ends are out (`SENDER`, `RECEIVER`): `try_split` hands them out
    /// once, and each end's drop gives its bit back.
    ends: AtomicU8,
}

impl<T, const N: usize> OneSenderMailbox<T, N> {
    const_fn_unless_loom! {
        /// An empty, open mailbox.
        pub fn new() -> Self {
            OneSenderMailbox {
                queue: OneToOne::new(),
                handover: Handover::new(),
                ends: AtomicU8::new(0),
            }
        }
    }

    /// A mailbox whose sends have a deliberate bug: the loom models'
    /// negative control. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    #[must_use]
    pub fn with_fault(fault: MailboxFault) -> Self {
        let mut mailbox = Self::new();
        mailbox.handover.set_fault(fault);
        mailbox
    }

    /// Its two ends, borrowing it: the sender, which notifies through
    /// `to_loop`, and the receiver. Each may move to another thread (a scoped
    /// one). Values still queued from earlier ends stay queued, and the
    /// mailbox is open again.
    pub fn split<A: Notifier>(
        &mut self,
        to_loop: A,
    ) -> (OneSender<'_, T, A, N>, OneReceiver<'_, T, N>) {
        // Nothing else can reach the mailbox while it is borrowed mutably:
        // no end is out. Relaxed: the borrow orders everything.
        self.ends.store(SENDER | RECEIVER, Ordering::Relaxed);
        self.handover.reopen();
        Self::ends_of(&*self, to_loop)
    }

    /// Its two ends, borrowing it shared, as [`split`](Self::split) does; for
    /// a mailbox that cannot be borrowed mutably (a `static`). `None` while
    /// ends from an earlier split are out: an end given back when dropped.
    ///
    /// ```
    /// use rearm_core::mailbox::{OneSenderMailbox, TryRecvError};
    /// use rearm_core::park::SpinPark;
    /// use rearm_core::Loop;
    ///
    /// static LOOP: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// static MAILBOX: OneSenderMailbox<u32, 4> = OneSenderMailbox::new();
    ///
    /// let (mut sender, mut receiver) = MAILBOX.try_split(LOOP.handle(0)?).expect("first split");
    /// assert!(MAILBOX.try_split(LOOP.handle(0)?).is_none()); // one sender at a time
    /// sender.send(1).unwrap();
    /// drop(sender); // closes
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    /// drop(receiver);
    /// assert!(MAILBOX.try_split(LOOP.handle(0)?).is_some()); // open again
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn try_split<A: Notifier>(
        &self,
        to_loop: A,
    ) -> Option<(OneSender<'_, T, A, N>, OneReceiver<'_, T, N>)> {
        self.claim_ends()?;
        Some(Self::ends_of(self, to_loop))
    }

    /// Its two ends, each owning a share of the mailbox, as
    /// [`try_split`](Self::try_split) does: `None` while ends are out. Needs
    /// the `std` feature.
    ///
    /// ```
    /// use rearm_core::mailbox::OneSenderMailbox;
    /// use rearm_core::park::ThreadPark;
    /// use rearm_core::{Loop, OwnedSlotHandle};
    /// use std::sync::Arc;
    ///
    /// let lp = Arc::new(Loop::<ThreadPark, 1>::new(ThreadPark::new()));
    /// let mailbox = Arc::new(OneSenderMailbox::<u64, 64>::new());
    /// let (mut sender, mut receiver) =
    ///     mailbox.split_owned(OwnedSlotHandle::new(Arc::clone(&lp), 0)?).expect("first split");
    /// let producer = std::thread::spawn(move || {
    ///     for value in 0..10 {
    ///         while sender.send(value).is_err() {
    ///             std::thread::yield_now();
    ///         }
    ///     }
    /// }); // the sender's drop closes the mailbox
    /// producer.join().unwrap();
    /// assert_eq!(receiver.try_iter().sum::<u64>(), 45);
    /// assert!(receiver.is_closed());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn split_owned<A: Notifier>(
        self: Arc<Self>,
        to_loop: A,
    ) -> Option<(OwnedOneSender<T, A, N>, OwnedOneReceiver<T, N>)> {
        self.claim_ends()?;
        Some(Self::ends_of(self, to_loop))
    }

    /// Takes both ends' bits, if neither end is out, and opens the mailbox.
    fn claim_ends(&self) -> Option<()> {
        // Acquire: the last ends' drops (Release) left the positions and the
        // marks these ends start from.
        self.ends
            .compare_exchange(0, SENDER | RECEIVER, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        self.handover.reopen();
        Some(())
    }

    /// Both ends over `mailbox`, whose bits are taken.
    fn ends_of<'m, A: Notifier, M: Deref<Target = Self> + Clone>(
        mailbox: M,
        to_loop: A,
    ) -> (OneSender<'m, T, A, N, M>, OneReceiver<'m, T, N, M>) {
        let push = mailbox.queue.push_end();
        let pop = mailbox.queue.pop_end();
        (
            OneSender {
                mailbox: mailbox.clone(),
                end: push,
                to_loop,
                unannounced: false,
                borrow: PhantomData,
            },
            OneReceiver {
                mailbox,
                end: pop,
                borrow: PhantomData,
            },
        )
    }

    /// The counts: values sent, received, refused; see
    /// [`Mailbox::counts`](crate::mailbox::Mailbox::counts).
    pub fn counts(&self) -> MailboxCounts {
        self.handover.counts()
    }

    /// How many values it holds: exact while neither end moves, a snapshot
    /// otherwise.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether it holds no value; see [`len`](Self::len).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it holds `N` values; see [`len`](Self::len).
    pub fn is_full(&self) -> bool {
        self.len() == N
    }

    /// Whether it is closed: an end was dropped since the last split.
    pub fn is_closed(&self) -> bool {
        self.handover.is_closed()
    }

    /// How many values it holds at most, `N`.
    pub const fn capacity(&self) -> usize {
        N
    }
}

impl<T, const N: usize> Default for OneSenderMailbox<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The sending end of a [`OneSenderMailbox`]: one per mailbox, so it sends
/// with `&mut self`. `M` is how it holds the mailbox: a reference (from
/// [`split`](OneSenderMailbox::split) or
/// [`try_split`](OneSenderMailbox::try_split)) or, with `std`, an `Arc`
/// ([`OwnedOneSender`]).
///
/// [`send`](OneSender::send) tells the loop of each value. A sender with a
/// burst to hand over can [`send_deferred`](OneSender::send_deferred) each
/// value and [`flush`](OneSender::flush) once: the loop learns of the whole
/// burst at the flush, for one look at whether it was told and at most one
/// notify, where `send` pays a full memory fence per value. Dropping the
/// sender flushes, then closes the mailbox and tells the loop.
///
/// ```
/// use rearm_core::mailbox::OneSenderMailbox;
/// use rearm_core::park::SpinPark;
/// use rearm_core::{Action, HandlerRunner, Loop, Notified, RunMode};
///
/// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
/// let mut mailbox: OneSenderMailbox<u32, 8> = OneSenderMailbox::new();
/// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
/// let mut runner = HandlerRunner::new(&lp)?;
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
/// assert_eq!(sender.flush(), Some(Notified::Queued)); // one notify for all five
/// assert_eq!(sender.flush(), None); // nothing new to announce
/// runner.run(RunMode::NoWait, &mut on_mail);
/// assert_eq!(sum.get(), 15);
/// # Ok::<(), rearm_core::Error>(())
/// ```
pub struct OneSender<'m, T, A, const N: usize, M = &'m OneSenderMailbox<T, N>>
where
    A: Notifier,
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    mailbox: M,
    end: PushEnd,
    to_loop: A,
    /// Values were enqueued by `send_deferred` since the loop was last
    /// told: the next `flush` (or `send`, or the drop) must announce them.
    unannounced: bool,
    borrow: PhantomData<&'m ()>,
}

/// A [`OneSender`] that owns a share of its mailbox; see
/// [`OneSenderMailbox::split_owned`].
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub type OwnedOneSender<T, A, const N: usize> =
    OneSender<'static, T, A, N, Arc<OneSenderMailbox<T, N>>>;

impl<T, A, const N: usize, M> OneSender<'_, T, A, N, M>
where
    A: Notifier,
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    /// Enqueues `value`, then makes sure the loop will drain it and every
    /// value deferred before it; never blocks. Returns what
    /// [`Mailbox::send`](crate::mailbox::Mailbox::send) returns: `Queued`,
    /// `Coalesced` or `Kept`.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the mailbox holds `N` values (which
    /// [flushes](OneSender::flush) deferred values), and
    /// [`TrySendError::Closed`] once the receiver is gone, each with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{OneSenderMailbox, TryRecvError, TrySendError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
    /// sender.send(1).unwrap();
    /// sender.send(2).unwrap();
    /// assert_eq!(sender.send(3), Err(TrySendError::Full(3)));
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// # let _ = TryRecvError::Empty;
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn send(&mut self, value: T) -> Result<Notified, TrySendError<T>> {
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        match self
            .mailbox
            .handover
            .send(Senders::One, &self.to_loop, value, |value| {
                queue.push(end, value)
            }) {
            Ok(notified) => {
                self.unannounced = false;
                Ok(notified)
            }
            Err(refused) => {
                self.flush();
                Err(refused)
            }
        }
    }

    /// Enqueues `value` without telling the loop; never blocks. The loop
    /// learns of it at the next [`flush`](OneSender::flush) or
    /// [`send`](OneSender::send), or when this sender is dropped; a drain
    /// that runs before then for another reason may take it too. Counted
    /// as sent at once, like a value from `send`.
    ///
    /// # Errors
    ///
    /// As [`send`](OneSender::send)'s. A refused value's deferred
    /// predecessors are flushed first: a sender that waits for room never
    /// waits on a loop that was not told.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{OneSenderMailbox, TrySendError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
    /// sender.send_deferred(1).unwrap(); // queued, the loop not told yet
    /// sender.send_deferred(2).unwrap();
    /// assert_eq!(sender.send_deferred(3), Err(TrySendError::Full(3)));
    /// assert_eq!(lp.ledger(0)?.notified, 1); // refused: the two before it were flushed
    /// assert_eq!(receiver.drain(|_| {}), 2);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn send_deferred(&mut self, value: T) -> Result<(), TrySendError<T>> {
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        match self
            .mailbox
            .handover
            .enqueue_quietly(Senders::One, value, |value| queue.push(end, value))
        {
            Ok(()) => {
                self.unannounced = true;
                Ok(())
            }
            Err(refused) => {
                self.flush();
                Err(refused)
            }
        }
    }

    /// Sends `value`, waiting while the mailbox is full until the receiver
    /// makes room; needs the `std` feature. Deferred values are flushed
    /// first, so the loop is told of everything that fills the mailbox. See
    /// [`Mailbox::send_blocking`](crate::mailbox::Mailbox::send_blocking).
    ///
    /// # Errors
    ///
    /// [`TrySendError::Closed`], with the value, once the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{OneSenderMailbox, Signal, TrySendError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(Signal::new(ThreadPark::new()));
    /// std::thread::scope(|s| {
    ///     s.spawn(move || {
    ///         for value in 0..10 {
    ///             sender.send_blocking(value).unwrap(); // waits while the mailbox is full
    ///         }
    ///     });
    ///     let mut received = 0;
    ///     while received < 10 {
    ///         received += receiver.drain(|_| {});
    ///         std::thread::yield_now();
    ///     }
    /// });
    /// # let _ = TrySendError::Full(0);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_blocking(&mut self, value: T) -> Result<Notified, TrySendError<T>> {
        self.send_waiting(value, |made, guard| Some(crate::sync::wait(made, guard)))
    }

    /// [`send_blocking`](OneSender::send_blocking) for at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the mailbox was still full at the end of
    /// `timeout`; [`TrySendError::Closed`] once the receiver is gone. Each
    /// with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{OneSenderMailbox, Signal, TrySendError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(Signal::new(ThreadPark::new()));
    /// use core::time::Duration;
    ///
    /// sender.send(1).unwrap();
    /// sender.send(2).unwrap();
    /// // Nobody drains: the third waits 1 ms for room, then hands its value back.
    /// assert_eq!(sender.send_timeout(3, Duration::from_millis(1)), Err(TrySendError::Full(3)));
    /// assert_eq!(receiver.drain(|_| {}), 2);
    /// ```
    #[cfg(all(feature = "std", not(rearm_loom)))]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_timeout(
        &mut self,
        value: T,
        timeout: core::time::Duration,
    ) -> Result<Notified, TrySendError<T>> {
        let deadline = crate::sync::Instant::now() + timeout;
        self.send_waiting(value, |made, guard| {
            crate::sync::wait_until(made, guard, deadline)
        })
    }

    /// Sends `value`, asking to be told of room when the mailbox is full;
    /// deferred values are flushed first. See
    /// [`Mailbox::send_or_ask_room`](crate::mailbox::Mailbox::send_or_ask_room): the
    /// receiver's [`drain_and_tell_room`](OneReceiver::drain_and_tell_room)
    /// tells it.
    ///
    /// # Errors
    ///
    /// As [`send`](OneSender::send)'s, after the second try.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{OneSenderMailbox, TrySendError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
    /// sender.send_or_ask_room(1).unwrap();
    /// sender.send_or_ask_room(2).unwrap();
    /// assert_eq!(sender.send_or_ask_room(3), Err(TrySendError::Full(3))); // asked
    /// let room = lp.handle(0)?; // the sender's loop slot, here the same one
    /// assert_eq!(receiver.drain_and_tell_room(|_| {}, &room), 2); // tells the asker
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn send_or_ask_room(&mut self, value: T) -> Result<Notified, TrySendError<T>> {
        self.flush();
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        self.mailbox
            .handover
            .send_or_ask_room(Senders::One, &self.to_loop, value, |value| {
                queue.push(end, value)
            })
    }

    #[cfg(feature = "std")]
    fn send_waiting(
        &mut self,
        value: T,
        sleep: impl for<'a> FnMut(
            &'a crate::sync::Condvar,
            crate::sync::MutexGuard<'a, ()>,
        ) -> Option<crate::sync::MutexGuard<'a, ()>>,
    ) -> Result<Notified, TrySendError<T>> {
        self.flush();
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        self.mailbox.handover.send_waiting(
            Senders::One,
            &self.to_loop,
            value,
            |value| queue.push(end, value),
            sleep,
        )
    }

    /// Tells the loop of every value deferred since it was last told, as one
    /// `send` would: `Some` of what the notify did (`Coalesced` also when
    /// the loop was already told), or `None` when there was nothing to
    /// announce.
    pub fn flush(&mut self) -> Option<Notified> {
        if !core::mem::take(&mut self.unannounced) {
            return None;
        }
        Some(self.mailbox.handover.announce(&self.to_loop))
    }

    /// Whether the mailbox is closed: its receiver was dropped, and sends
    /// hand their value back.
    pub fn is_closed(&self) -> bool {
        self.mailbox.is_closed()
    }

    /// The mailbox's counts; see [`OneSenderMailbox::counts`].
    pub fn counts(&self) -> MailboxCounts {
        self.mailbox.counts()
    }

    /// What it notifies through.
    pub fn notifier(&self) -> &A {
        &self.to_loop
    }
}

/// A sender dropped announces its deferred values, then closes the mailbox
/// and tells the loop, so that the receiver takes what is left and sees the
/// close.
impl<T, A, const N: usize, M> Drop for OneSender<'_, T, A, N, M>
where
    A: Notifier,
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    fn drop(&mut self) {
        self.flush();
        if self.mailbox.handover.close() {
            self.mailbox.handover.announce(&self.to_loop);
        }
        // Release: the next ends (their Acquire in `claim_ends`) start from
        // this end's position.
        self.mailbox.ends.fetch_and(!SENDER, Ordering::Release);
    }
}

/// The receiving end of a [`OneSenderMailbox`], for the slot's callback.
/// `M` is how it holds the mailbox, as for [`OneSender`].
pub struct OneReceiver<'m, T, const N: usize, M = &'m OneSenderMailbox<T, N>>
where
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    mailbox: M,
    end: PopEnd,
    borrow: PhantomData<&'m ()>,
}

/// A [`OneReceiver`] that owns a share of its mailbox; see
/// [`OneSenderMailbox::split_owned`].
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub type OwnedOneReceiver<T, const N: usize> =
    OneReceiver<'static, T, N, Arc<OneSenderMailbox<T, N>>>;

impl<T, const N: usize, M> OneReceiver<'_, T, N, M>
where
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    /// Hands every value there to `each`, oldest first, and returns how
    /// many. As with [`Mailbox::drain`](crate::mailbox::Mailbox::drain), every
    /// callback must empty the mailbox, with this or with `try_recv` until
    /// an `Err`, and a drain says nothing of a close: when
    /// [`is_closed`](OneReceiver::is_closed) says closed after it, drain once
    /// more before concluding nothing more will come.
    ///
    /// # Panics
    ///
    /// Only with `each`'s own panic; as with
    /// [`Mailbox::drain`](crate::mailbox::Mailbox::drain), the rest stay
    /// queued and the next send notifies.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{OneSenderMailbox, TryRecvError, TrySendError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
    /// sender.send(1).unwrap();
    /// sender.send(2).unwrap();
    /// let mut sum = 0;
    /// assert_eq!(receiver.drain(|value| sum += value), 2);
    /// assert_eq!(sum, 3);
    /// # let _ = (TryRecvError::Empty, TrySendError::Full(0));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn drain(&mut self, each: impl FnMut(T)) -> usize {
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        self.mailbox.handover.drain(|| queue.pop(end), each)
    }

    /// [`drain`](OneReceiver::drain), then tells `room` if the sender
    /// asked for room; see
    /// [`Mailbox::drain_and_tell_room`](crate::mailbox::Mailbox::drain_and_tell_room).
    pub fn drain_and_tell_room(&mut self, each: impl FnMut(T), room: &impl Notifier) -> usize {
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        self.mailbox
            .handover
            .drain_and_tell_room(|| queue.pop(end), each, room)
    }

    /// Takes the oldest value. A value is there the moment its `send`
    /// enqueued it: one sender never leaves a claimed cell half-written.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when the mailbox is empty (the next send
    /// notifies), [`TryRecvError::Closed`] when it is empty and its sender is
    /// gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{OneSenderMailbox, TryRecvError, TrySendError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 1> = Loop::new(SpinPark::new());
    /// let mut mailbox: OneSenderMailbox<u32, 2> = OneSenderMailbox::new();
    /// let (mut sender, mut receiver) = mailbox.split(lp.handle(0)?);
    /// sender.send(5).unwrap();
    /// assert_eq!(receiver.try_recv(), Ok(5));
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    /// drop(sender); // the sender's drop closes the mailbox
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    /// # let _ = TrySendError::Full(0);
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let (queue, end) = (&self.mailbox.queue, &mut self.end);
        self.mailbox.handover.try_recv(|| queue.pop(end))
    }

    /// An iterator that takes values with [`try_recv`](OneReceiver::try_recv)
    /// until there is none (or the mailbox is closed and empty).
    pub fn try_iter(&mut self) -> impl Iterator<Item = T> + '_ {
        core::iter::from_fn(|| self.try_recv().ok())
    }

    /// Whether the mailbox is closed: its sender was dropped. Values it sent
    /// before can still be taken.
    pub fn is_closed(&self) -> bool {
        self.mailbox.is_closed()
    }

    /// How many values the mailbox holds; see [`OneSenderMailbox::len`].
    pub fn len(&self) -> usize {
        self.mailbox.len()
    }

    /// Whether the mailbox holds no value; see [`OneSenderMailbox::len`].
    pub fn is_empty(&self) -> bool {
        self.mailbox.is_empty()
    }

    /// The mailbox's counts; see [`OneSenderMailbox::counts`].
    pub fn counts(&self) -> MailboxCounts {
        self.mailbox.counts()
    }
}

/// A receiver dropped closes the mailbox: later sends hand their value back.
impl<T, const N: usize, M> Drop for OneReceiver<'_, T, N, M>
where
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    fn drop(&mut self) {
        // Nobody to tell: the receiver is the one who would look.
        self.mailbox.handover.close();
        // Release: see `OneSender`'s drop.
        self.mailbox.ends.fetch_and(!RECEIVER, Ordering::Release);
    }
}

impl<T, const N: usize> core::fmt::Debug for OneSenderMailbox<T, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneSenderMailbox")
            .field("capacity", &N)
            .field("closed", &self.is_closed())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl<T, A, const N: usize, M> core::fmt::Debug for OneSender<'_, T, A, N, M>
where
    A: Notifier,
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneSender")
            .field("slot", &self.to_loop.slot())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl<T, const N: usize, M> core::fmt::Debug for OneReceiver<'_, T, N, M>
where
    M: Deref<Target = OneSenderMailbox<T, N>>,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneReceiver")
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

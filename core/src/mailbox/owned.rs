//! A [`Mailbox`]'s owned ends (feature `std`): a sender any thread can clone
//! and keep, a receiver to move into the loop's callback, both sharing the
//! mailbox through an `Arc`, and a close when the last sender or the receiver
//! is dropped.

#![cfg(feature = "std")]

use super::{Mailbox, MailboxCounts, Notifier, TryRecvError, TrySendError};
use crate::async_handle::Notified;
use crate::sync::{Arc, AtomicUsize, Ordering};

/// What the ends share: the mailbox and how many senders are alive.
struct Shared<T, A: Notifier, const N: usize> {
    mailbox: Mailbox<T, A, N>,
    /// Live [`OwnedSender`]s; the drop that takes it to zero closes.
    senders: AtomicUsize,
}

/// A sending end of a [`Mailbox`] that owns a share of it (see
/// [`Mailbox::into_owned`]): clone it for each thread that sends. When the
/// last clone is dropped the mailbox closes and the loop is told, so the
/// receiver takes what is left and then sees [`TryRecvError::Closed`].
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct OwnedSender<T, A: Notifier, const N: usize> {
    shared: Arc<Shared<T, A, N>>,
}

/// The receiving end of a [`Mailbox`] that owns a share of it (see
/// [`Mailbox::into_owned`]), for the slot's callback. Dropping it closes the
/// mailbox: sends then hand their value back as [`TrySendError::Closed`].
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct OwnedReceiver<T, A: Notifier, const N: usize> {
    shared: Arc<Shared<T, A, N>>,
}

impl<T, A: Notifier, const N: usize> Mailbox<T, A, N> {
    /// Its ends, each owning a share of it: one sender (clone it for more)
    /// and the receiver. Needs the `std` feature.
    ///
    /// ```
    /// use rearm_core::mailbox::Mailbox;
    /// use rearm_core::park::ThreadPark;
    /// use rearm_core::{Action, HandlerRunner, Loop, OwnedSlotHandle, RunMode};
    /// use std::sync::Arc;
    ///
    /// let lp = Arc::new(Loop::<ThreadPark, 1>::new(ThreadPark::new()));
    /// let (sender, receiver) = Mailbox::<u64, _, 64>::new(OwnedSlotHandle::new(Arc::clone(&lp), 0)?)
    ///     .into_owned();
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(0)?;
    /// let producers: Vec<_> = (0..4)
    ///     .map(|p| {
    ///         let sender = sender.clone();
    ///         std::thread::spawn(move || {
    ///             for value in 0..100 {
    ///                 while sender.send(p * 100 + value).is_err() {
    ///                     std::thread::yield_now();
    ///                 }
    ///             }
    ///         })
    ///     })
    ///     .collect();
    /// drop(sender); // the clones close the mailbox when the last one goes
    ///
    /// let mut sum = 0;
    /// let mut on_mail = |_slot: usize| {
    ///     receiver.drain(|value| sum += value);
    ///     if !receiver.is_closed() {
    ///         return Action::Rearm;
    ///     }
    ///     receiver.drain(|value| sum += value); // what landed after the first look
    ///     Action::Disarm
    /// };
    /// runner.run(RunMode::UntilDone, &mut on_mail);
    /// producers.into_iter().for_each(|p| p.join().unwrap());
    /// assert_eq!(sum, (0..400).sum::<u64>());
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn into_owned(self) -> (OwnedSender<T, A, N>, OwnedReceiver<T, A, N>) {
        let shared = Arc::new(Shared {
            mailbox: self,
            senders: AtomicUsize::new(1),
        });
        (
            OwnedSender {
                shared: Arc::clone(&shared),
            },
            OwnedReceiver { shared },
        )
    }
}

impl<T, A: Notifier, const N: usize> OwnedSender<T, A, N> {
    /// Sends `value`; see [`Mailbox::send`].
    ///
    /// # Errors
    ///
    /// As [`Mailbox::send`]'s: the value back when the mailbox is full, or
    /// closed (its receiver was dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal, TrySendError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// let to_move = sender.clone(); // one per producer thread
    /// std::thread::spawn(move || to_move.send(1)).join().unwrap().unwrap();
    /// assert_eq!(receiver.recv(), Ok(1));
    /// drop(receiver);
    /// assert_eq!(sender.send(2), Err(TrySendError::Closed(2))); // the receiver is gone
    /// ```
    pub fn send(&self, value: T) -> Result<Notified, TrySendError<T>> {
        self.shared.mailbox.send(value)
    }

    /// Sends `value`, waiting while the mailbox is full; see
    /// [`Mailbox::send_blocking`].
    ///
    /// # Errors
    ///
    /// [`TrySendError::Closed`], with the value, once the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal, TrySendError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// let producer = std::thread::spawn(move || {
    ///     for value in 0..10 {
    ///         sender.send_blocking(value).unwrap(); // waits while the mailbox is full
    ///     }
    /// });
    /// let received: u32 = (0..10).map(|_| receiver.recv().unwrap()).sum();
    /// producer.join().unwrap();
    /// assert_eq!(received, 45);
    /// # let _ = TrySendError::Full(0);
    /// ```
    pub fn send_blocking(&self, value: T) -> Result<Notified, TrySendError<T>> {
        self.shared.mailbox.send_blocking(value)
    }

    /// Sends `value`, waiting at most `timeout` while the mailbox is full;
    /// see [`Mailbox::send_timeout`].
    ///
    /// # Errors
    ///
    /// As [`Mailbox::send_timeout`]'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal, TrySendError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// use core::time::Duration;
    ///
    /// sender.send(1).unwrap();
    /// sender.send(2).unwrap();
    /// assert_eq!(sender.send_timeout(3, Duration::from_millis(1)), Err(TrySendError::Full(3)));
    /// assert_eq!(receiver.drain(|_| {}), 2);
    /// ```
    #[cfg(not(rearm_loom))]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: core::time::Duration,
    ) -> Result<Notified, TrySendError<T>> {
        self.shared.mailbox.send_timeout(value, timeout)
    }

    /// Sends `value`, asking to be told of room when the mailbox is full;
    /// see [`Mailbox::send_or_ask_room`].
    ///
    /// # Errors
    ///
    /// As [`Mailbox::send_or_ask_room`]'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::Loop;
    /// use rearm_core::mailbox::{Mailbox, TrySendError};
    /// use rearm_core::park::SpinPark;
    ///
    /// let lp: Loop<SpinPark, 2> = Loop::new(SpinPark::new());
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(lp.handle(0)?).into_owned();
    /// sender.send_or_ask_room(1).unwrap();
    /// sender.send_or_ask_room(2).unwrap();
    /// assert_eq!(sender.send_or_ask_room(3), Err(TrySendError::Full(3))); // asked
    /// assert_eq!(receiver.drain_and_tell_room(|_| {}, &lp.handle(1)?), 2);
    /// assert_eq!(lp.ledger(1)?.notified, 1); // the asker's slot was told
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn send_or_ask_room(&self, value: T) -> Result<Notified, TrySendError<T>> {
        self.shared.mailbox.send_or_ask_room(value)
    }

    /// Whether the mailbox is closed: sends hand their value back.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.mailbox.is_closed()
    }

    /// The mailbox; every method that takes `&self` works through it.
    #[must_use]
    pub fn mailbox(&self) -> &Mailbox<T, A, N> {
        &self.shared.mailbox
    }
}

/// Another sender: the mailbox closes when the last one is dropped.
impl<T, A: Notifier, const N: usize> Clone for OwnedSender<T, A, N> {
    fn clone(&self) -> Self {
        // Relaxed: a new sender comes from a live one, so the count cannot
        // reach zero meanwhile; see `drop` for the ordering that matters.
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        OwnedSender {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The last sender dropped closes the mailbox and tells the loop.
impl<T, A: Notifier, const N: usize> Drop for OwnedSender<T, A, N> {
    fn drop(&mut self) {
        // AcqRel: each sender's drop releases its sends; the last one
        // acquires them all (the count's release sequence), and its close
        // (Release) hands them to the receiver that sees it.
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.mailbox.close();
        }
    }
}

impl<T, A: Notifier, const N: usize> OwnedReceiver<T, A, N> {
    /// Drains the mailbox; see [`Mailbox::drain`].
    pub fn drain(&self, each: impl FnMut(T)) -> usize {
        self.shared.mailbox.drain(each)
    }

    /// Drains the mailbox, then tells `room` if a sender asked for room;
    /// see [`Mailbox::drain_and_tell_room`].
    pub fn drain_and_tell_room(&self, each: impl FnMut(T), room: &impl Notifier) -> usize {
        self.shared.mailbox.drain_and_tell_room(each, room)
    }

    /// Takes the oldest value; see [`Mailbox::try_recv`].
    ///
    /// # Errors
    ///
    /// As [`Mailbox::try_recv`]'s: [`TryRecvError::Closed`] once every
    /// sender was dropped and every value they sent was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal, TryRecvError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// sender.send(1).unwrap();
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    /// drop(sender); // the last sender's drop closes the mailbox
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.shared.mailbox.try_recv()
    }

    /// Takes values until none is ready; see [`Mailbox::try_iter`].
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        self.shared.mailbox.try_iter()
    }

    /// Whether the mailbox is closed: every sender was dropped (values they
    /// sent before can still be taken).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.mailbox.is_closed()
    }

    /// The mailbox; every method that takes `&self` works through it.
    #[must_use]
    pub fn mailbox(&self) -> &Mailbox<T, A, N> {
        &self.shared.mailbox
    }

    /// The mailbox's counts; see [`Mailbox::counts`].
    #[must_use]
    pub fn counts(&self) -> MailboxCounts {
        self.shared.mailbox.counts()
    }
}

/// The receiver dropped closes the mailbox; nobody is left to tell.
impl<T, A: Notifier, const N: usize> Drop for OwnedReceiver<T, A, N> {
    fn drop(&mut self) {
        self.shared.mailbox.handover.close();
    }
}

impl<T, A: Notifier, const N: usize> core::fmt::Debug for OwnedSender<T, A, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("OwnedSender")
            .field(&self.shared.mailbox)
            .finish()
    }
}

impl<T, A: Notifier, const N: usize> core::fmt::Debug for OwnedReceiver<T, A, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("OwnedReceiver")
            .field(&self.shared.mailbox)
            .finish()
    }
}

impl<T, P: crate::park::Park, const N: usize> OwnedReceiver<T, crate::signal::Signal<P>, N> {
    /// Takes the oldest value, waiting for one; see [`Mailbox::recv`].
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let (sender, receiver) = Mailbox::<u32, Signal<ThreadPark>, 8>::new(Signal::default()).into_owned();
    /// for value in 0..5 {
    ///     sender.send(value).unwrap(); // another thread's, usually
    /// }
    /// drop(sender); // the last sender's drop closes the mailbox
    /// let mut sum = 0;
    /// while let Ok(value) = receiver.recv() {
    ///     sum += value;
    /// }
    /// assert_eq!(sum, 10);
    /// ```
    ///
    /// # Errors
    ///
    /// [`RecvError`](crate::mailbox::RecvError) once the mailbox is closed and empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, Signal, TrySendError};
    /// use rearm_core::park::ThreadPark;
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// std::thread::spawn(move || sender.send(7)).join().unwrap().unwrap();
    /// assert_eq!(receiver.recv(), Ok(7));
    /// assert!(receiver.recv().is_err()); // the sender is gone: closed and empty
    /// # let _ = TrySendError::Full(0);
    /// ```
    pub fn recv(&self) -> Result<T, crate::mailbox::RecvError> {
        self.mailbox().recv()
    }

    /// Waits `timeout` at most for a value; see [`Mailbox::recv_timeout`].
    ///
    /// # Errors
    ///
    /// As [`Mailbox::recv_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, RecvTimeoutError, Signal};
    /// use rearm_core::park::ThreadPark;
    /// use core::time::Duration;
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// assert_eq!(receiver.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// sender.send(8).unwrap();
    /// assert_eq!(receiver.recv_timeout(Duration::from_millis(1)), Ok(8));
    /// ```
    pub fn recv_timeout(
        &self,
        timeout: core::time::Duration,
    ) -> Result<T, crate::mailbox::RecvTimeoutError> {
        self.mailbox().recv_timeout(timeout)
    }

    /// Waits until the parker's clock reaches `deadline_ns` at most; see
    /// [`Mailbox::recv_deadline`].
    ///
    /// # Errors
    ///
    /// As [`Mailbox::recv_deadline`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, RecvTimeoutError, Signal};
    /// use rearm_core::park::{Park, ThreadPark};
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(Signal::new(ThreadPark::new())).into_owned();
    /// let now = receiver.mailbox().notifier().parker().now_ns().expect("a clock");
    /// assert_eq!(receiver.recv_deadline(now + 1_000_000), Err(RecvTimeoutError::Timeout));
    /// sender.send(9).unwrap();
    /// assert_eq!(receiver.recv_deadline(now + 1_000_000), Ok(9));
    /// ```
    pub fn recv_deadline(&self, deadline_ns: u64) -> Result<T, crate::mailbox::RecvTimeoutError> {
        self.mailbox().recv_deadline(deadline_ns)
    }
}

impl<T, const N: usize> OwnedReceiver<T, crate::signal::AsyncSignal, N> {
    /// Polls for the oldest value; see [`Mailbox::poll_recv`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{AsyncSignal, Mailbox, RecvError};
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(AsyncSignal::new()).into_owned();
    /// let mut cx = Context::from_waker(Waker::noop()); // an executor's, in a task
    /// assert_eq!(receiver.poll_recv(&mut cx), Poll::Pending);
    /// sender.send(5).unwrap(); // wakes the task
    /// assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Ok(5)));
    /// drop(sender);
    /// assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Err(RecvError)));
    /// ```
    pub fn poll_recv(
        &self,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Result<T, crate::mailbox::RecvError>> {
        self.mailbox().poll_recv(cx)
    }

    /// Awaits the oldest value; see [`Mailbox::recv`].
    ///
    /// # Errors
    ///
    /// [`RecvError`](crate::mailbox::RecvError) once the mailbox is closed and empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{AsyncSignal, Mailbox, RecvError};
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let (sender, receiver) = Mailbox::<u32, _, 2>::new(AsyncSignal::new()).into_owned();
    /// let mut cx = Context::from_waker(Waker::noop()); // an executor's, in a task
    /// sender.send(6).unwrap();
    /// let mut next = core::pin::pin!(receiver.recv()); // `receiver.recv().await` in a task
    /// assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(Ok(6)));
    /// # let _ = RecvError;
    /// ```
    pub fn recv(
        &self,
    ) -> impl core::future::Future<Output = Result<T, crate::mailbox::RecvError>> + '_ {
        self.mailbox().recv()
    }
}

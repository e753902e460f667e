//! Receivers that wait by themselves: a thread that blocks in `recv`, a task
//! that awaits it, on a mailbox that notifies a [`Signal`] or an
//! [`AsyncSignal`] instead of a loop.

use super::{Mailbox, RecvError, RecvTimeoutError, TryRecvError};
use crate::park::Park;
use crate::signal::{AsyncSignal, Signal};
use core::future::Future;
use core::task::{Context, Poll};
use core::time::Duration;

/// A receive as a step of a wait: a value or the close end it; an empty
/// mailbox waits for the next notification.
pub(crate) fn step<T>(received: Result<T, TryRecvError>) -> Poll<Result<T, RecvError>> {
    match received {
        Ok(value) => Poll::Ready(Ok(value)),
        Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError)),
        Err(TryRecvError::Empty) => Poll::Pending,
    }
}

impl<T, P: Park, const N: usize> Mailbox<T, Signal<P>, N> {
    /// Takes the oldest value, waiting for one while the mailbox is empty:
    /// spins a little, then sleeps on the signal's parker until a send (or
    /// the close) notifies it. One thread receives at a time.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the mailbox is closed and every value sent before
    /// the close was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, RecvError, Signal};
    /// use rearm_core::park::SpinPark;
    ///
    /// // `ThreadPark` sleeps where std runs; this parker spins anywhere.
    /// let mailbox: Mailbox<u32, Signal<SpinPark>, 4> = Mailbox::new(Signal::new(SpinPark::new()));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         mailbox.send(1).unwrap();
    ///         mailbox.close();
    ///     });
    ///     assert_eq!(mailbox.recv(), Ok(1)); // sleeps until the send
    ///     assert_eq!(mailbox.recv(), Err(RecvError)); // closed and empty
    /// });
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        self.notifier().wait_for(|| step(self.try_recv()))
    }

    /// [`recv`](Mailbox::recv), waiting until the parker's clock
    /// ([`Park::now_ns`]) reaches `deadline_ns` at most.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when no value came by the deadline;
    /// [`RecvTimeoutError::Closed`] once the mailbox is closed and empty;
    /// [`RecvTimeoutError::NoClock`], before any receive, when the parker
    /// has no clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, RecvTimeoutError, Signal};
    /// use rearm_core::park::{Park, SpinPark};
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # static NOW: AtomicU64 = AtomicU64::new(0);
    ///
    /// fn clock() -> u64 {
    ///     // A real clock here; this one runs 1 µs a look.
    ///     NOW.fetch_add(1_000, Ordering::Relaxed)
    /// }
    /// let mailbox: Mailbox<u32, Signal<SpinPark>, 4> =
    ///     Mailbox::new(Signal::new(SpinPark::with_clock(clock)));
    /// let now = mailbox.notifier().parker().now_ns().expect("a clock");
    /// assert_eq!(mailbox.recv_deadline(now + 1_000_000), Err(RecvTimeoutError::Timeout));
    /// mailbox.send(2).unwrap();
    /// assert_eq!(mailbox.recv_deadline(now + 1_000_000), Ok(2)); // one there: no wait
    /// ```
    pub fn recv_deadline(&self, deadline_ns: u64) -> Result<T, RecvTimeoutError> {
        if self.notifier().parker().now_ns().is_none() {
            return Err(RecvTimeoutError::NoClock);
        }
        match self
            .notifier()
            .wait_for_until(deadline_ns, || step(self.try_recv()))
        {
            Some(Ok(value)) => Ok(value),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// [`recv`](Mailbox::recv), waiting `timeout` at most (on the parker's
    /// clock).
    ///
    /// ```
    /// use rearm_core::mailbox::{Mailbox, RecvTimeoutError, Signal};
    /// use rearm_core::park::SpinPark;
    /// use core::time::Duration;
    ///
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # static NOW: AtomicU64 = AtomicU64::new(0);
    /// fn clock() -> u64 {
    ///     // A real clock here (ThreadPark has one); this one runs 1 µs a look.
    ///     NOW.fetch_add(1_000, Ordering::Relaxed)
    /// }
    /// let parker: SpinPark = SpinPark::with_clock(clock);
    /// let mailbox: Mailbox<u32, Signal<SpinPark>, 2> = Mailbox::new(Signal::new(parker));
    /// assert_eq!(mailbox.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// mailbox.send(3).unwrap();
    /// assert_eq!(mailbox.recv_timeout(Duration::from_millis(1)), Ok(3));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`recv_deadline`](Mailbox::recv_deadline).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let Some(now) = self.notifier().parker().now_ns() else {
            return Err(RecvTimeoutError::NoClock);
        };
        let timeout = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        self.recv_deadline(now.saturating_add(timeout))
    }
}

impl<T, const N: usize> Mailbox<T, AsyncSignal, N> {
    /// Polls for the oldest value: `Ready` with it (or with the close), or
    /// `Pending` with the task's waker registered, so the next send (or the
    /// close) wakes the task. One task receives at a time.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{AsyncSignal, Mailbox, RecvError};
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let mailbox: Mailbox<u32, _, 4> = Mailbox::new(AsyncSignal::new());
    /// let mut cx = Context::from_waker(Waker::noop()); // an executor's, in a task
    /// assert_eq!(mailbox.poll_recv(&mut cx), Poll::Pending); // the waker is registered
    /// mailbox.send(3).unwrap(); // wakes the task
    /// assert_eq!(mailbox.poll_recv(&mut cx), Poll::Ready(Ok(3)));
    /// mailbox.close();
    /// assert_eq!(mailbox.poll_recv(&mut cx), Poll::Ready(Err(RecvError)));
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        self.notifier().poll_for(cx, || step(self.try_recv()))
    }

    /// Takes the oldest value, awaiting one while the mailbox is empty, on
    /// any executor: `mailbox.recv().await`. The future allocates nothing,
    /// and dropping it before it is ready loses no value (a value is taken
    /// only by the poll that returns it).
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the mailbox is closed and every value sent before
    /// the close was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::mailbox::{AsyncSignal, Mailbox, RecvError};
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let mailbox: Mailbox<u32, _, 4> = Mailbox::new(AsyncSignal::new());
    /// let mut cx = Context::from_waker(Waker::noop()); // an executor's, in a task
    /// mailbox.send(4).unwrap();
    /// let mut next = core::pin::pin!(mailbox.recv()); // `mailbox.recv().await` in a task
    /// assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(Ok(4)));
    /// # let _ = RecvError;
    /// ```
    pub fn recv(&self) -> impl Future<Output = Result<T, RecvError>> + '_ {
        core::future::poll_fn(move |cx| self.poll_recv(cx))
    }
}

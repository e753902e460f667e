//! A signal whose waiter is an async task.

use super::Signal;
use crate::sync::const_fn_unless_loom;
use crate::{Notified, Notifier, WakerPark};
use core::task::{Context, Poll};

/// A [`Notifier`] that wakes one async task waiting on it: what a
/// [`Mailbox`](crate::Mailbox) whose receiver awaits its values notifies
/// (`mailbox.recv().await`, [`poll_recv`](crate::Mailbox::poll_recv)). It
/// is a [`Signal`] on a [`WakerPark`]: the task registers its waker, then
/// announces its wait, so a notification that finds the announcement finds
/// the waker. Works on any executor, with no `std` and no allocation.
///
/// One task waits on it at a time: a second one's waker replaces the
/// first's.
///
/// ```
/// use rearm_core::{AsyncSignal, Mailbox};
///
/// let mailbox: Mailbox<u32, AsyncSignal, 4> = Mailbox::new(AsyncSignal::new());
/// mailbox.send(7).unwrap();
/// mailbox.close();
/// # let block_on = |f| futures_executor_stub(f);
/// # fn futures_executor_stub<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop { if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let received = block_on(async {
///     let mut sum = 0;
///     while let Ok(value) = mailbox.recv().await {
///         sum += value;
///     }
///     sum
/// });
/// assert_eq!(received, 7);
/// ```
pub struct AsyncSignal {
    signal: Signal<WakerPark>,
}

impl AsyncSignal {
    const_fn_unless_loom! {
        /// A signal with no task waiting and nothing told.
        pub fn new() -> Self {
            AsyncSignal {
                signal: Signal::new(WakerPark::new()),
            }
        }
    }

    /// A signal on a given parker: the loom models' negative control passes
    /// one that registers late. Exists only under `cfg(rearm_loom)`.
    #[cfg(rearm_loom)]
    #[doc(hidden)]
    pub fn with_parker(parker: WakerPark) -> Self {
        AsyncSignal {
            signal: Signal::new(parker),
        }
    }

    /// Tells the waiting task: wakes it if it returned `Pending`, or makes
    /// its next poll look again at once; see [`Signal::notify`].
    pub fn notify(&self) -> Notified {
        self.signal.notify()
    }

    /// Polls `attempt` for the task of `cx`: runs it, and while it is
    /// pending registers the task's waker and announces the wait, so the
    /// next notification wakes the task; `Pending` then. A notification
    /// that came between the look and the announcement makes it look
    /// again. The poll never blocks and never spins.
    ///
    /// ```
    /// use rearm_core::AsyncSignal;
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let signal = AsyncSignal::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut ready = false;
    /// assert_eq!(signal.poll_for(&mut cx, || if ready { Poll::Ready(1) } else { Poll::Pending }), Poll::Pending);
    /// ready = true;
    /// signal.notify(); // what the one making it ready does next
    /// assert_eq!(signal.poll_for(&mut cx, || if ready { Poll::Ready(1) } else { Poll::Pending }), Poll::Ready(1));
    /// ```
    pub fn poll_for<R>(
        &self,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut() -> Poll<R>,
    ) -> Poll<R> {
        loop {
            if let Poll::Ready(done) = self.signal.look(&mut attempt) {
                return Poll::Ready(done);
            }
            let parker = self.signal.parker();
            if parker.register_then(cx.waker(), || self.signal.announce()) {
                return Poll::Pending;
            }
        }
    }
}

impl Default for AsyncSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for AsyncSignal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("AsyncSignal").field(&self.signal).finish()
    }
}

/// As [`Signal`]'s: [`slot`](Notifier::slot) is 0, and every notification
/// is kept until the task looks.
impl Notifier for AsyncSignal {
    fn notify(&self) -> Notified {
        self.signal.notify()
    }

    fn notify_kept(&self) -> Notified {
        self.signal.notify()
    }

    fn slot(&self) -> usize {
        0
    }
}
